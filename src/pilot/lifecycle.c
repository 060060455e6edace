/* lifecycle.c — the table of stages (lifecycle.h) and the one way to run an entry of
 * it. Each stage's run function adapts its library's call (data/stage.h, nn/stage.h,
 * ...) to the shared options and the shared outcome; its figure for `run`'s line comes
 * from the typed reader of its report (spec/results.h). */
#include "pilot/lifecycle.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/stage.h"
#include "core/alloc.h"
#include "core/io.h"
#include "data/stage.h"
#include "nn/stage.h"
#include "pilot/policy.h"
#include "quant/stage.h"
#include "report/report.h"
#include "spec/results.h"
#include "target/sketch.h"
#include "target/validate.h"

/* The typed figures of the stage's report (r->result), where the stage has a reader. */
static tfg_status read_result(tfg_stage_outcome *r, const tfg_stage_opts *o, tfg_err *err)
{
    static const tfg_artifact reports[TFG_STAGE_COUNT] = {
        [TFG_STAGE_TRAIN] = TFG_ART_TRAIN_REPORT, [TFG_STAGE_QUANTIZE] = TFG_ART_QUANTIZE_REPORT,
        [TFG_STAGE_BUILD] = TFG_ART_BUILD_REPORT, [TFG_STAGE_VALIDATE] = TFG_ART_VALIDATE_REPORT,
        [TFG_STAGE_SKETCH] = TFG_ART_SKETCH_REPORT};
    if (!r->report || !reports[r->stage]) /* 0 is data/profile.json: no stage's report */
        return TFG_OK;
    r->report_path = tfg_rundir_path(o->out, reports[r->stage]);
    const json_t *j = r->report;
    const char *f = r->report_path;
    tfg_status st = TFG_OK;
    switch (r->stage) {
    case TFG_STAGE_TRAIN: st = tfg_train_result_read(j, f, &r->result.train, err); break;
    case TFG_STAGE_QUANTIZE: st = tfg_quantize_result_read(j, f, &r->result.quantize, err); break;
    case TFG_STAGE_BUILD: st = tfg_build_result_read(j, f, &r->result.build, err); break;
    case TFG_STAGE_VALIDATE: st = tfg_validate_result_read(j, f, &r->result.validate, err); break;
    case TFG_STAGE_SKETCH: st = tfg_sketch_result_read(j, f, &r->result.sketch, err); break;
    default: return TFG_OK;
    }
    r->has_result = st == TFG_OK;
    return st;
}

static tfg_status run_data(const tfg_spec *s, const tfg_stage_opts *so, tfg_stage_outcome *r,
                           tfg_err *err)
{
    tfg_data_opts o = so->own ? *(const tfg_data_opts *)so->own : (tfg_data_opts){0};
    o.out = so->out;
    o.force = so->force;
    o.progress = so->progress;
    tfg_data_outcome d;
    tfg_status st = tfg_data_stage(s, &o, &d, err);
    r->skipped = d.skipped;
    r->dir = d.dir;
    r->report = d.summary;
    d.dir = NULL;
    d.summary = NULL;
    tfg_data_outcome_free(&d);
    return st;
}

static tfg_status run_train(const tfg_spec *s, const tfg_stage_opts *so, tfg_stage_outcome *r,
                            tfg_err *err)
{
    tfg_train_stage_opts o =
        so->own ? *(const tfg_train_stage_opts *)so->own : (tfg_train_stage_opts){0};
    o.out = so->out;
    o.force = so->force;
    o.progress = so->progress;
    tfg_train_outcome t;
    tfg_status st = tfg_train_stage(s, &o, &t, err);
    *r = (tfg_stage_outcome){.stage = TFG_STAGE_TRAIN, .skipped = t.skipped, .cached = t.cached,
                             .dir = t.dir, .report = t.report};
    if (!st) st = read_result(r, so, err);
    if (!st && r->has_result && !isnan(r->result.train.test_accuracy))
        snprintf(r->note, sizeof r->note, "float test accuracy %.2f %%",
                 100 * r->result.train.test_accuracy);
    else if (!st && r->has_result && !isnan(r->result.train.test_mae))
        snprintf(r->note, sizeof r->note, "float test MAE %.4g, R2 %.3f",
                 r->result.train.test_mae, r->result.train.test_r2);
    return st;
}

static tfg_status run_quantize(const tfg_spec *s, const tfg_stage_opts *so,
                               tfg_stage_outcome *r, tfg_err *err)
{
    tfg_quantize_stage_opts o = {.out = so->out, .force = so->force, .progress = so->progress};
    tfg_quantize_outcome q;
    tfg_status st = tfg_quantize_stage(s, &o, &q, err);
    *r = (tfg_stage_outcome){.stage = TFG_STAGE_QUANTIZE, .skipped = q.skipped, .dir = q.dir,
                             .report = q.report};
    if (!st) st = read_result(r, so, err);
    if (!st && r->has_result && !isnan(r->result.quantize.int8_accuracy))
        snprintf(r->note, sizeof r->note, "int8 test accuracy %.2f %%",
                 100 * r->result.quantize.int8_accuracy);
    else if (!st && r->has_result && !isnan(r->result.quantize.int8_mae))
        snprintf(r->note, sizeof r->note, "int8 test MAE %.4g, R2 %.3f",
                 r->result.quantize.int8_mae, r->result.quantize.int8_r2);
    return st;
}

static tfg_status run_build(const tfg_spec *s, const tfg_stage_opts *so, tfg_stage_outcome *r,
                            tfg_err *err)
{
    tfg_build_stage_opts o = {.out = so->out, .force = so->force, .progress = so->progress};
    tfg_build_outcome b;
    tfg_status st = tfg_build_stage(s, &o, &b, err);
    *r = (tfg_stage_outcome){.stage = TFG_STAGE_BUILD, .skipped = b.skipped, .dir = b.dir,
                             .report = b.report};
    return st ? st : read_result(r, so, err);
}

static tfg_status run_validate(const tfg_spec *s, const tfg_stage_opts *so,
                               tfg_stage_outcome *r, tfg_err *err)
{
    tfg_validate_opts o = so->own ? *(const tfg_validate_opts *)so->own : (tfg_validate_opts){0};
    o.out = so->out;
    o.force = so->force;
    o.progress = so->progress;
    if (so->board)
        o.board = so->board;
    tfg_validate_outcome v;
    tfg_status st = tfg_validate_stage(s, &o, &v, err);
    *r = (tfg_stage_outcome){.stage = TFG_STAGE_VALIDATE, .skipped = v.skipped, .dir = v.dir,
                             .report = v.report};
    if (!st) st = read_result(r, so, err);
    const tfg_validate_result *f = &r->result.validate;
    if (!st && r->has_result)
        snprintf(r->note, sizeof r->note, "%lld/%lld samples identical to the host on %s",
                 (long long)f->matches, (long long)f->samples, f->emulator ? f->emulator : "?");
    return st;
}

/* The sketch prints classes, one raw reading at a time: classification with raw test
 * readings kept by the data stage. */
static bool sketch_applies(const tfg_spec *s, const char *out, char *why, size_t n)
{
    if (s->task != TFG_TASK_CLASSIFICATION) {
        snprintf(why, n, "not applicable: the sketch prints classes");
        return false;
    }
    char *raw = tfg_rundir_path(out, TFG_ART_DATA_TEST_RAW);
    bool ok = tfg_exists(raw);
    free(raw);
    if (!ok)
        snprintf(why, n, "not applicable: no raw test readings (%s says why)",
                 tfg_artifact_label(TFG_ART_DATA_SUMMARY));
    return ok;
}

static tfg_status run_sketch(const tfg_spec *s, const tfg_stage_opts *so, tfg_stage_outcome *r,
                             tfg_err *err)
{
    tfg_sketch_stage_opts o =
        so->own ? *(const tfg_sketch_stage_opts *)so->own : (tfg_sketch_stage_opts){0};
    o.out = so->out;
    o.force = so->force;
    o.progress = so->progress;
    if (so->board)
        o.board = so->board;
    if (so->sketch_samples)
        o.max_samples = so->sketch_samples;
    tfg_sketch_outcome k;
    tfg_status st = tfg_sketch_stage(s, &o, &k, err);
    *r = (tfg_stage_outcome){.stage = TFG_STAGE_SKETCH, .skipped = k.skipped, .dir = k.dir,
                             .report = k.report};
    if (!st)
        snprintf(r->note, sizeof r->note,
                 "the application sketch agrees with the host on every sample");
    return st ? st : read_result(r, so, err);
}

static tfg_status run_report(const tfg_spec *s, const tfg_stage_opts *so, tfg_stage_outcome *r,
                             tfg_err *err)
{
    tfg_report_opts o = {.out = so->out, .force = so->force};
    tfg_report_outcome p;
    tfg_status st = tfg_report_stage(s, &o, &p, err);
    *r = (tfg_stage_outcome){.stage = TFG_STAGE_REPORT, .skipped = p.skipped, .dir = p.dir,
                             .report = p.summary};
    if (!st && p.html)
        snprintf(r->note, sizeof r->note, "%s", p.html);
    p.dir = NULL;
    p.summary = NULL;
    tfg_report_outcome_free(&p);
    return st;
}

#define END TFG_STAGE_COUNT
static const tfg_stage_id none[] = {END};
static const tfg_stage_id after_data[] = {TFG_STAGE_DATA, END};
static const tfg_stage_id after_train[] = {TFG_STAGE_DATA, TFG_STAGE_TRAIN, END};
static const tfg_stage_id after_quantize[] = {TFG_STAGE_DATA, TFG_STAGE_QUANTIZE, END};
static const tfg_stage_id after_build[] = {TFG_STAGE_DATA, TFG_STAGE_QUANTIZE, TFG_STAGE_BUILD,
                                           END};

static const tfg_stage_desc table[TFG_STAGE_COUNT] = {
    {TFG_STAGE_SPEC, "write a spec from a request in plain words and a data file", none, false,
     NULL, NULL, NULL},
    {TFG_STAGE_DATA, "profile, clean and split the spec's data by a plan", none, true, NULL,
     run_data, tfg_data_check_spec},
    {TFG_STAGE_TRAIN, "train a network on the data stage's splits, natively in C", after_data,
     true, NULL, run_train, tfg_train_check_spec},
    {TFG_STAGE_QUANTIZE, "int8 post-training quantization of the trained model", after_train,
     true, NULL, run_quantize, tfg_quantize_check_spec},
    {TFG_STAGE_BUILD, "generate the C99 library of the int8 model, checked on the host",
     after_quantize, true, NULL, run_build, NULL},
    {TFG_STAGE_VALIDATE, "run the firmware on the emulated board with the test set",
     after_build, true, NULL, run_validate, NULL},
    {TFG_STAGE_SKETCH, "write the application sketch and prove it on the emulated board",
     after_build, true, sketch_applies, run_sketch, NULL},
    {TFG_STAGE_REPORT, "write the run's report (HTML and Markdown) for a person", none, true,
     NULL, run_report, NULL},
};

tfg_status tfg_lifecycle_check(const tfg_spec *s, const char *config_path, tfg_err *err)
{
    tfg_status st = TFG_OK;
    for (int i = 0; !st && i < TFG_STAGE_COUNT; i++)
        if (table[i].check)
            st = table[i].check(s, err);
    if (st)
        return st;
    tfg_llm_config cfg;
    st = tfg_pilot_config_load(s, config_path, &cfg, err);
    if (st)
        return st;
    tfg_pilot_policy p;
    st = tfg_pilot_policy_from_spec(s, &cfg, &p, err);
    if (!st)
        tfg_pilot_policy_free(&p);
    tfg_llm_config_free(&cfg);
    return st;
}

const tfg_stage_desc *tfg_lifecycle(void)
{
    return table;
}

const tfg_stage_desc *tfg_lifecycle_stage(tfg_stage_id id)
{
    return (unsigned)id < TFG_STAGE_COUNT ? &table[id] : NULL;
}

const tfg_stage_desc *tfg_lifecycle_find(const char *name)
{
    int id = tfg_stage_parse(name, NULL);
    return id < 0 ? NULL : &table[id];
}

const tfg_pilot_stage_def *tfg_lifecycle_pilot(const tfg_stage_desc *d)
{
    return tfg_pilot_stage_for(d->id);
}

size_t tfg_lifecycle_needs(tfg_stage_id id, tfg_stage_id *out)
{
    bool need[TFG_STAGE_COUNT] = {false};
    /* prerequisites name earlier stages only, so one backward sweep closes the set */
    need[id] = true;
    for (int s = (int)id; s >= 0; s--)
        if (need[s])
            for (const tfg_stage_id *p = table[s].prereqs; *p != END; p++)
                need[*p] = true;
    size_t n = 0;
    for (int s = 0; s < (int)id; s++)
        if (need[s])
            out[n++] = (tfg_stage_id)s;
    return n;
}

tfg_status tfg_lifecycle_run(const tfg_stage_desc *d, const tfg_spec *s,
                             const tfg_stage_opts *o, tfg_pilot *p,
                             const tfg_pilot_policy *policy, tfg_stage_outcome *r,
                             tfg_err *err)
{
    memset(r, 0, sizeof *r);
    r->stage = d->id;
    /* A killed run's staging (and the scratch inside it) goes now, also when the stage
     * turns out to be up to date and never stages again. */
    tfg_status swept = tfg_stage_sweep(o->out, tfg_stage_name(d->id), err);
    if (swept)
        return swept;
    if (d->applies && !d->applies(s, o->out, r->note, sizeof r->note)) {
        r->not_applicable = true;
        return TFG_OK;
    }
    if (p && tfg_lifecycle_pilot(d) && policy &&
        tfg_pilot_policy_route(policy, tfg_stage_name(d->id))) {
        tfg_status st = tfg_pilot_run_stage(p, tfg_stage_name(d->id), &r->pilot, err);
        r->dir = tfg_rundir_stage(o->out, d->id);
        if (!st)
            snprintf(r->note, sizeof r->note, "proposed by %s after %d attempt(s)",
                     r->pilot.backend, r->pilot.attempts);
        return st;
    }
    if (!d->run)
        return tfg_err_set(err, TFG_EUSAGE, "the %s stage runs only through the pilot",
                           tfg_stage_name(d->id));
    tfg_status st = d->run(s, o, r, err);
    r->stage = d->id;
    return st;
}

void tfg_stage_outcome_free(tfg_stage_outcome *r)
{
    free(r->dir);
    free(r->report_path);
    json_decref(r->report);
    memset(r, 0, sizeof *r);
}
