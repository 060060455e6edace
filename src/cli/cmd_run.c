/* cmd_run.c — `tinyforge run SPEC`: the whole lifecycle, data -> train -> quantize ->
 * build -> validate -> sketch -> report, each stage skipped when its inputs did not
 * change, with the time each one took. With a "routing" section in the spec the data,
 * model, quantize and sketch stages it routes go through the pilot (proposals from the
 * routed backends, validated, repaired, escalated to builtin); the others run as their
 * own commands do. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "codegen/stage.h"
#include "core/alloc.h"
#include "core/io.h"
#include "data/stage.h"
#include "nn/stage.h"
#include "pilot/pilot.h"
#include "quant/stage.h"
#include "report/report.h"
#include "target/sketch.h"
#include "target/validate.h"

static const char usage[] =
    "usage: tinyforge run SPEC [--out DIR] [--force] [--offline] [--sketch-samples N] [--json]\n"
    "\n"
    "Runs every stage in order, as the separate commands would: data, train, quantize,\n"
    "build, validate, sketch, report (see `tinyforge COMMAND --help` for each). A stage\n"
    "whose inputs did not change since the last run is skipped; the first stage that fails\n"
    "stops the run with its error and exit code, and what earlier stages published stays.\n"
    "The sketch stage runs for classification specs whose data plan keeps raw readings.\n"
    "Prints one line per stage with its time, then where the report is.\n"
    "\n"
    "With a \"routing\" section in the spec (docs/pilot.md), the data, train, quantize and\n"
    "sketch stages take proposals from the backends routed to them (an LLM: a data plan,\n"
    "an architecture, quantization settings, the application sketch), validate, repair\n"
    "and escalate to builtin;\n"
    "DIR/llm/ holds the cache, the trace and the pilot's log. Without one, nothing leaves\n"
    "the machine.\n"
    "\n"
    "options:\n"
    "  --out DIR    run directory (default: runs/<spec name>)\n"
    "  --force      run every stage even when nothing changed\n"
    "  --offline    routed stages answer from the LLM cache only (replay a run)\n"
    "  --sketch-samples N  stream only the first N test readings to the sketch per pass\n"
    "               (default all; validate still proves the model on every one). Over\n"
    "               the emulated UART a 784-value reading takes 0.12-0.3 s:\n"
    "               Fashion-MNIST's 10,000 take 20-27 min per pass.\n"
    "  --json       one JSON object: each stage's status and seconds, and the report\n"
    "\n"
    "example:\n"
    "  tinyforge run examples/fruit/spec.json && xdg-open runs/fruit/report/report.html\n";

typedef struct {
    const char *name;
    bool skipped, not_applicable;
    double seconds;
    const char *note;   /* a short result for the line, or NULL */
    char buf[160];
} stage_line;

/* What every stage of the run shares. */
typedef struct {
    const char *out;
    bool force;
    tfg_progress *progress;
    size_t sketch_samples; /* test readings streamed to the sketch per pass (0: all) */
} run_opts;

/* The pilot, when the spec routes stages to backends. */
typedef struct {
    tfg_llm_config cfg;
    tfg_llm_prices prices;
    tfg_pilot_policy policy;
    tfg_pilot *p;
} routed;

static tfg_status routed_open(routed *r, tfg_cli_run *run, bool offline,
                              size_t sketch_samples, tfg_err *err)
{
    memset(r, 0, sizeof *r);
    if (!json_object_get(run->spec.json, "routing"))
        return TFG_OK;
    tfg_status st = tfg_pilot_config_load(&run->spec, NULL, &r->cfg, err);
    if (!st) st = tfg_llm_prices_load(tfg_llm_prices_default_path(), &r->prices, err);
    if (!st) st = tfg_pilot_policy_from_spec(&run->spec, &r->cfg, &r->policy, err);
    if (!st) {
        tfg_pilot_opts po = {.out = run->out, .spec = &run->spec, .boards = &run->boards,
                             .config = &r->cfg, .prices = &r->prices, .policy = &r->policy,
                             .offline = offline, .progress = run->progress,
                             .sketch_samples = sketch_samples};
        st = tfg_pilot_open(&r->p, &po, err);
    }
    return st;
}

static void routed_close(routed *r)
{
    if (r->p)
        tfg_pilot_close(r->p);
    tfg_pilot_policy_free(&r->policy);
    tfg_llm_prices_free(&r->prices);
    tfg_llm_config_free(&r->cfg);
}

/* A routed stage: proposals until one is accepted (its artifacts then published). */
static tfg_status pilot_stage(routed *rt, const char *name, stage_line *l, tfg_err *err)
{
    tfg_pilot_result res;
    tfg_status st = tfg_pilot_run_stage(rt->p, name, &res, err);
    if (!st) {
        snprintf(l->buf, sizeof l->buf, "proposed by %s after %d attempt(s)", res.backend,
                 res.attempts);
        l->note = l->buf;
    }
    return st;
}

/* The sketch stage applies to classification with raw test readings (data/test_raw.bin);
 * else it says why not. */
static bool sketch_applies(const tfg_spec *s, const char *out, stage_line *l)
{
    char *raw = tfg_path_join(out, "data/test_raw.bin");
    bool ok = tfg_exists(raw);
    free(raw);
    if (s->task != TFG_TASK_CLASSIFICATION)
        snprintf(l->buf, sizeof l->buf, "not applicable: the sketch prints classes");
    else if (!ok)
        snprintf(l->buf, sizeof l->buf, "not applicable: no raw test readings "
                 "(data/summary.json says why)");
    if (s->task != TFG_TASK_CLASSIFICATION || !ok) {
        l->note = l->buf;
        l->not_applicable = true;
        return false;
    }
    return true;
}

static double num(const json_t *j, const char *key)
{
    return json_number_value(json_object_get(j, key));
}

/* One stage: its call, its result line. Returns the stage's status. */
static tfg_status stage(int k, const tfg_spec *s, const run_opts *ro, routed *rt,
                        stage_line *l, tfg_err *err)
{
    const char *out = ro->out;
    bool force = ro->force;
    tfg_progress *p = ro->progress;
    static const char *const routed_names[] = {"data", "model", "quantize"};
    tfg_status st;
    l->note = NULL;
    if (rt->p && k <= 2 && tfg_pilot_policy_route(&rt->policy, routed_names[k]))
        return pilot_stage(rt, routed_names[k], l, err);
    switch (k) {
    case 0: {
        tfg_data_opts o = {.out = out, .force = force, .progress = p};
        tfg_data_outcome r;
        st = tfg_data_stage(s, &o, &r, err);
        l->skipped = r.skipped;
        tfg_data_outcome_free(&r);
        break;
    }
    case 1: {
        tfg_train_stage_opts o = {.out = out, .force = force, .progress = p};
        tfg_train_outcome r;
        st = tfg_train_stage(s, &o, &r, err);
        l->skipped = r.skipped;
        if (!st && r.report && json_object_get(r.report, "test_accuracy")) {
            snprintf(l->buf, sizeof l->buf, "float test accuracy %.2f %%",
                     100 * num(r.report, "test_accuracy"));
            l->note = l->buf;
        }
        tfg_train_outcome_free(&r);
        break;
    }
    case 2: {
        tfg_quant_stage_opts o = {.out = out, .force = force, .progress = p};
        tfg_quant_outcome r;
        st = tfg_quant_stage(s, &o, &r, err);
        l->skipped = r.skipped;
        if (!st && r.report && json_object_get(r.report, "int8_accuracy")) {
            snprintf(l->buf, sizeof l->buf, "int8 test accuracy %.2f %%",
                     100 * num(r.report, "int8_accuracy"));
            l->note = l->buf;
        }
        tfg_quant_outcome_free(&r);
        break;
    }
    case 3: {
        tfg_build_stage_opts o = {.out = out, .force = force, .progress = p};
        tfg_build_outcome r;
        st = tfg_build_stage(s, &o, &r, err);
        l->skipped = r.skipped;
        tfg_build_outcome_free(&r);
        break;
    }
    case 4: {
        tfg_validate_opts o = {.out = out, .force = force, .progress = p};
        tfg_validate_outcome r;
        st = tfg_validate_stage(s, &o, &r, err);
        l->skipped = r.skipped;
        if (!st && r.report) {
            snprintf(l->buf, sizeof l->buf, "%lld/%lld samples identical to the host on %s",
                     (long long)json_integer_value(json_object_get(r.report, "matches")),
                     (long long)json_integer_value(json_object_get(r.report, "samples")),
                     json_string_value(json_object_get(r.report, "emulator")));
            l->note = l->buf;
        }
        tfg_validate_outcome_free(&r);
        break;
    }
    case 5: {
        if (!sketch_applies(s, out, l))
            return TFG_OK;
        if (rt->p && tfg_pilot_policy_route(&rt->policy, "sketch"))
            return pilot_stage(rt, "sketch", l, err);
        tfg_sketch_stage_opts o = {.out = out, .force = force, .progress = p,
                                   .max_samples = ro->sketch_samples};
        tfg_sketch_outcome r;
        st = tfg_sketch_stage(s, &o, &r, err);
        l->skipped = r.skipped;
        if (!st) {
            snprintf(l->buf, sizeof l->buf, "the application sketch agrees with the host on "
                     "every sample");
            l->note = l->buf;
        }
        tfg_sketch_outcome_free(&r);
        break;
    }
    default: {
        tfg_report_opts o = {.out = out, .force = force};
        tfg_report_outcome r;
        st = tfg_report_stage(s, &o, &r, err);
        l->skipped = r.skipped;
        if (!st && r.html) {
            snprintf(l->buf, sizeof l->buf, "%s", r.html);
            l->note = l->buf;
        }
        tfg_report_outcome_free(&r);
    }
    }
    return st;
}

int tfg_cmd_run(int argc, char **argv, tfg_cli *c)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'}, {"force", no_argument, NULL, 'f'},
        {"offline", no_argument, NULL, 'F'},  {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},     {"sketch-samples", required_argument, NULL, 'S'},
        {NULL, 0, NULL, 0}};
    static const char *const names[] = {"data", "train", "quantize", "build", "validate",
                                        "sketch", "report"};
    enum { N_STAGES = sizeof names / sizeof names[0] };
    const char *out = NULL;
    bool force = false, offline = false;
    long sketch_samples = 0;
    int opt, code;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "o:fjhqv", longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': out = optarg; break;
        case 'f': force = true; break;
        case 'F': offline = true; break;
        case 'S':
            if ((code = tfg_cli_int_opt(c, "run", "--sketch-samples", optarg, 1, 100000000,
                                        &sketch_samples)) >= 0)
                return code;
            break;
        default:
            if ((code = tfg_cli_common_opt(c, opt, "run", usage, argv[optind - 1])) >= 0)
                return code;
        }
    }
    tfg_cli_run run;
    if ((code = tfg_cli_run_begin(c, argc, argv, optind, "run", out, &run)))
        return code;
    json_t *stages = json_array();
    double t_all = tfg_now();
    tfg_err err;
    routed rt;
    tfg_status st = routed_open(&rt, &run, offline, (size_t)sketch_samples, &err);
    run_opts ro = {.out = run.out, .force = force, .progress = run.progress,
                   .sketch_samples = (size_t)sketch_samples};
    for (int k = 0; k < N_STAGES && !st; k++) {
        stage_line l = {.name = names[k]};
        double t0 = tfg_now();
        st = stage(k, &run.spec, &ro, &rt, &l, &err);
        l.seconds = tfg_now() - t0;
        const char *status = st ? "error" : l.not_applicable ? "not applicable"
                                          : l.skipped        ? "skipped" : "ok";
        json_t *j = json_pack("{s:s, s:s, s:f}", "stage", names[k], "status", status,
                              "seconds", l.seconds);
        if (l.note)
            json_object_set_new(j, "result", json_string(l.note));
        json_array_append_new(stages, j);
        if (!st && !c->json && c->verbose >= 0)
            printf("%-9s %7.2f s  %-14s  %s\n", names[k], l.seconds,
                   l.not_applicable ? "-" : l.skipped ? "up to date" : "done",
                   l.note ? l.note : "");
        else if (st && !c->json)
            fprintf(stderr, "tinyforge: the %s stage failed after %.2f s\n", names[k], l.seconds);
    }
    routed_close(&rt);
    double total = tfg_now() - t_all;
    if (st) {
        code = tfg_cli_fail(c, &err);
    } else if (c->json) {
        tfg_cli_print_json(json_pack("{s:s, s:s, s:f, s:O}", "status", "ok", "dir", run.out,
                                     "seconds", total, "stages", stages));
    } else {
        printf("all stages: %.2f s; run directory %s/\n", total, run.out);
    }
    json_decref(stages);
    tfg_cli_run_end(&run);
    return code;
}
