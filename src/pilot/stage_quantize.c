/* stage_quantize.c — the quantize stage: int8 calibration settings (the spec's
 * "quantization" section: calibration_samples, method, percentile).
 *
 * Context: the float model's test accuracy and size, the training split's rows, the
 * spec's current settings and its allowed drop. Builtin: the spec's own settings (the
 * defaults when it has none). Validator: nothing on the host (unsafe); only the known
 * keys (format); int8 only, a known method, a percentile in [90, 100], calibration
 * rows within the training split (misuse of quantization parameters); max_drop may not
 * be loosened by a proposal (that would make a failing model look good: silent); then
 * the quantize stage runs with these settings and the spec's max_drop and must pass
 * its int8 gate (quant/gate.h: more than max_drop and more than chance fails: misuse),
 * publishing <out>/quantize. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/strutil.h"
#include "pilot/pilot.h"
#include "quant/stage.h"
#include "spec/results.h"
#include "spec/rundir.h"

typedef struct {
    json_int_t train_rows;
    double max_drop;
} quant_state;

static tfg_status prepare(tfg_pilot *p, void **state, json_t *ctx, json_t *sent, tfg_err *err)
{
    const tfg_pilot_opts *o = tfg_pilot_options(p);
    if (!o->spec || !o->boards)
        return tfg_err_set(err, TFG_EUSAGE, "the quantize stage needs a spec and the boards");
    quant_state *st = tfg_xcalloc(1, sizeof *st);
    *state = st;
    json_t *summary = NULL, *report = NULL;
    tfg_status s = tfg_pilot_load_summary(p, &summary, err);
    char *rp = tfg_rundir_path(o->out, TFG_ART_TRAIN_REPORT);
    tfg_train_result tr;
    if (!s)
        s = tfg_json_load_file(rp, &report, err);
    if (!s)
        s = tfg_train_result_read(report, rp, &tr, err);
    free(rp);
    if (s) {
        json_decref(summary);
        json_decref(report);
        return tfg_err_prefix(err, "the quantize stage needs the train stage's report");
    }
    st->train_rows = json_integer_value(json_object_get(
        json_object_get(json_object_get(summary, "splits"), "train"), "rows"));
    const json_t *q = json_object_get(o->spec->json, "quantization");
    st->max_drop = 1.0;
    const json_t *md = json_object_get(q, "max_drop");
    if (json_is_number(md))
        st->max_drop = json_number_value(md);
    tfg_pilot_ctx_set(ctx, "train_rows", "%lld", (long long)st->train_rows);
    tfg_pilot_ctx_set(ctx, "max_drop", "%g", st->max_drop);
    if (!isnan(tr.test_accuracy))
        tfg_pilot_ctx_set(ctx, "float_result", "float test accuracy %.2f %%",
                          100 * tr.test_accuracy);
    else
        tfg_pilot_ctx_set(ctx, "float_result", "float test mean squared error %.6g, mean "
                          "absolute error %.6g, R2 %.4f", tr.test_loss, tr.test_mae,
                          tr.test_r2);
    tfg_pilot_ctx_set(ctx, "params", "%lld", (long long)tr.params);
    char *text = q ? tfg_pilot_json_text(q, 2000) : tfg_xstrdup("{}");
    tfg_pilot_ctx_set(ctx, "settings", "%s", text);
    free(text);
    tfg_pilot_ctx_board(ctx, o->spec);
    json_array_append_new(sent, json_string("summary"));
    json_decref(summary);
    json_decref(report);
    return TFG_OK;
}

static void done(void *state)
{
    free(state);
}

/* The spec's own settings, without max_drop (not the proposal's to set). */
static tfg_status builtin(tfg_pilot *p, void *state, char **reply, tfg_err *err)
{
    const json_t *q = json_object_get(tfg_pilot_options(p)->spec->json, "quantization");
    json_t *j = q ? json_deep_copy(q) : json_object();
    json_object_del(j, "max_drop");
    *reply = tfg_json_pretty(j);
    json_decref(j);
    (void)state;
    (void)err;
    return TFG_OK;
}

/* ---- the validator ------------------------------------------------------------------- */

static tfg_pilot_class check_settings(const json_t *q, const quant_state *st, tfg_err *err)
{
    static const char *const keys[] = {"calibration_samples", "method", "percentile",
                                       "max_drop", NULL};
    static const char *const type_keys[] = {"dtype", "type", "bits", "precision",
                                            "weight_type", "activation_type", NULL};
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)q, k, v) {
        for (size_t i = 0; type_keys[i]; i++)
            if (!strcmp(k, type_keys[i]) && !(json_is_string(v) &&
                                              !strcmp(json_string_value(v), "int8")) &&
                !(json_is_integer(v) && json_integer_value(v) == 8)) {
                tfg_err_field(err, TFG_ECHECK, "quantization", k,
                              "the device runs int8 only (TFLite's int8 spec)");
                return TFG_PILOT_MISUSE;
            }
    }
    tfg_jctx c = {"quantization", ""};
    json_t *known = json_deep_copy(q);
    for (size_t i = 0; type_keys[i]; i++)
        json_object_del(known, type_keys[i]);
    tfg_status s = tfg_jcheck_keys(known, keys, &c, err);
    json_decref(known);
    if (s)
        return TFG_PILOT_FORMAT;
    const json_t *md = json_object_get(q, "max_drop");
    if (md && (!json_is_number(md) || json_number_value(md) != st->max_drop)) {
        tfg_err_field(err, TFG_ECHECK, "quantization", "max_drop",
                      "the allowed accuracy drop is the spec's (%g points); a proposal may not "
                      "change the check it is judged by",
                      st->max_drop);
        return TFG_PILOT_SILENT;
    }
    static const char *const methods[] = {"auto", "minmax", "percentile", NULL};
    const json_t *m = json_object_get(q, "method");
    bool known_method = false;
    for (size_t i = 0; json_is_string(m) && methods[i]; i++)
        known_method |= !strcmp(json_string_value(m), methods[i]);
    if (m && !known_method) {
        tfg_err_field(err, TFG_ECHECK, "quantization", "method",
                      "expected one of auto, minmax, percentile");
        return TFG_PILOT_MISUSE;
    }
    const json_t *pc = json_object_get(q, "percentile");
    if (pc && (!json_is_number(pc) || json_number_value(pc) < 90 ||
               json_number_value(pc) > 100)) {
        tfg_err_field(err, TFG_ECHECK, "quantization", "percentile",
                      "expected a number in [90, 100] (the share of values the int8 range "
                      "keeps, in per cent)");
        return TFG_PILOT_MISUSE;
    }
    const json_t *cs = json_object_get(q, "calibration_samples");
    if (cs && (!json_is_integer(cs) || json_integer_value(cs) < 1)) {
        tfg_err_field(err, TFG_ECHECK, "quantization", "calibration_samples",
                      "expected a whole number of training rows, at least 1 (the training "
                      "split has %lld; more are capped to it)",
                      (long long)st->train_rows);
        return TFG_PILOT_MISUSE;
    }
    return TFG_PILOT_OK;
}

static tfg_status run_stage(tfg_pilot *p, const json_t *q, const quant_state *st,
                            tfg_pilot_class *cls, tfg_err *err)
{
    const tfg_pilot_opts *o = tfg_pilot_options(p);
    json_t *sj = json_deep_copy(o->spec->json);
    json_t *settings = json_deep_copy(q);
    json_object_set_new(settings, "max_drop", json_real(st->max_drop));
    json_object_set_new(sj, "quantization", settings);
    tfg_spec s2;
    tfg_status s = tfg_spec_from_json(sj, o->spec->path, o->boards, &s2, err);
    json_decref(sj);
    if (s) {
        tfg_spec_free(&s2);
        *cls = TFG_PILOT_MISUSE;
        return TFG_OK;
    }
    tfg_quantize_stage_opts qo = {.out = o->out, .progress = o->progress};
    tfg_quantize_outcome r;
    memset(&r, 0, sizeof r);
    s = tfg_quantize_stage(&s2, &qo, &r, err);
    if (s == TFG_EINPUT || s == TFG_ECHECK) {
        *cls = TFG_PILOT_MISUSE;
        s = TFG_OK;
    } else if (!s) {
        *cls = TFG_PILOT_OK;
    }
    tfg_quantize_outcome_free(&r);
    tfg_spec_free(&s2);
    return s;
}

static tfg_status validate(tfg_pilot *p, void *state, const char *reply, tfg_pilot_class *cls,
                           tfg_err *err)
{
    quant_state *st = state;
    json_t *j;
    *cls = TFG_PILOT_FORMAT;
    if (tfg_pilot_extract_json(reply, &j, err))
        return TFG_OK;
    const json_t *q = json_object_get(j, "quantization");
    if (!q)
        q = j;
    tfg_status s = TFG_OK;
    if (!json_is_object(q))
        tfg_err_set(err, TFG_EINPUT, "expected the settings as a JSON object");
    else if (tfg_pilot_scan_unsafe(j, "quantization", err))
        *cls = TFG_PILOT_UNSAFE;
    else if (!(*cls = check_settings(q, st, err)))
        s = run_stage(p, q, st, cls, err);
    json_decref(j);
    return s;
}

const tfg_pilot_stage_def tfg_pilot_stage_quantize = {
    .name = "quantize",
    .format = TFG_LLM_FORMAT_JSON,
    .prepare = prepare,
    .builtin = builtin,
    .validate = validate,
    .done = done,
};
