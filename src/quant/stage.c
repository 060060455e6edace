/* stage.c — the quantize stage: trained float model + splits -> calibrated int8 TFLite
 * model, checked on the test split, published atomically (see stage.h). */
#include "quant/stage.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/io.h"
#include "core/json.h"
#include "core/manifest.h"
#include "core/rng.h"
#include "data/splitfile.h"
#include "lower/invoke.h"
#include "import/tflite_write.h"
#include "nn/regress.h"
#include "nn/train.h"
#include "quant/gate.h"
#include "quant/quant.h"
#include "tfg_runtime.h"
#include "spec/rundir.h"

/* At most this many validation rows choose between calibration methods. */
#define SELECT_ROWS 2000

typedef struct {
    int64_t samples;
    int method;          /* 0 auto, 1 minmax, 2 percentile */
    double percentile;
    double max_drop;     /* percentage points */
    double max_mae_increase; /* percent of float's mean absolute error (regression) */
} qopts;

static tfg_status read_options(const tfg_spec *s, qopts *q, tfg_err *err)
{
    static const char *const keys[] = {"calibration_samples", "method", "percentile",
                                       "max_drop", "max_mae_increase", NULL};
    static const char *const methods[] = {"auto", "minmax", "percentile", NULL};
    *q = (qopts){500, 0, 99.99, 1.0, 10.0};
    const json_t *j = json_object_get(s->json, "quantization");
    if (!j)
        return TFG_OK;
    tfg_jctx c = {s->path, "quantization"};
    tfg_status st = tfg_jcheck_keys(j, keys, &c, err);
    if (!st) st = tfg_jget_int(j, "calibration_samples", false, 1, 1000000, &q->samples, &c, err);
    if (!st) st = tfg_jget_enum(j, "method", false, methods, &q->method, &c, err);
    if (!st) st = tfg_jget_num(j, "percentile", false, 50.000001, 100, &q->percentile, &c, err);
    if (!st) st = tfg_jget_num(j, "max_drop", false, 0, 100, &q->max_drop, &c, err);
    if (!st)
        st = tfg_jget_num(j, "max_mae_increase", false, 0, 1e6, &q->max_mae_increase, &c, err);
    return st;
}

typedef struct {
    tfg_split train, val, test;
    json_t *summary;
    tfg_graph g;
} inputs;

static void inputs_free(inputs *in)
{
    tfg_split_free(&in->train);
    tfg_split_free(&in->val);
    tfg_split_free(&in->test);
    json_decref(in->summary);
    tfg_graph_free(&in->g);
}

/* What the stage reads: the splits, the data summary and the trained float model. */
static const tfg_artifact reads[] = {TFG_ART_DATA_TRAIN, TFG_ART_DATA_VAL, TFG_ART_DATA_TEST,
                                     TFG_ART_DATA_SUMMARY, TFG_ART_TRAIN_MODEL,
                                     TFG_ART_TRAIN_WEIGHTS};
enum { N_READS = sizeof reads / sizeof reads[0] };

static tfg_status need_file(const char *path, const char *cmd, const tfg_spec *s, tfg_err *err)
{
    if (tfg_exists(path))
        return TFG_OK;
    return tfg_err_set(err, TFG_EINPUT, "%s not found: run `tinyforge %s %s` first (with the "
                       "same --out)", path, cmd, s->path);
}

static tfg_status read_inputs(const tfg_spec *s, const char *out, inputs *in, tfg_err *err)
{
    memset(in, 0, sizeof *in);
    char *p[N_READS];
    for (int i = 0; i < N_READS; i++)
        p[i] = tfg_rundir_path(out, reads[i]);
    tfg_status st = need_file(p[3], tfg_stage_name(TFG_STAGE_DATA), s, err);
    if (!st) st = need_file(p[4], tfg_stage_name(TFG_STAGE_TRAIN), s, err);
    if (!st) st = tfg_split_read(p[0], &in->train, err);
    if (!st) st = tfg_split_read(p[1], &in->val, err);
    if (!st) st = tfg_split_read(p[2], &in->test, err);
    if (!st) st = tfg_json_load_file(p[3], &in->summary, err);
    if (!st) st = tfg_model_load(p[4], p[5], &in->g, err);
    if (!st && tfg_shape_size(&in->g.tensors[0]) != in->train.features)
        st = tfg_err_set(err, TFG_EINPUT, "%s: the model takes %zu inputs but the splits have "
                         "%u features: train again (`tinyforge train %s`)", p[4],
                         tfg_shape_size(&in->g.tensors[0]), in->train.features, s->path);
    for (int i = 0; i < N_READS; i++)
        free(p[i]);
    return st;
}

/* The representative set: `n` training rows in a seeded random order. */
static float *representative(const tfg_split *t, size_t n, uint64_t seed)
{
    size_t rows = t->rows, f = t->features;
    uint32_t *idx = tfg_xmalloc(rows * sizeof *idx);
    for (size_t i = 0; i < rows; i++)
        idx[i] = (uint32_t)i;
    tfg_rng r;
    tfg_rng_seed(&r, seed ^ 0x5155414eULL); /* "QUAN": not the training shuffle */
    for (size_t i = rows; i > 1; i--) {
        size_t j = (size_t)(tfg_rng_uniform(&r) * (double)i);
        j = j >= i ? i - 1 : j;
        uint32_t tmp = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = tmp;
    }
    float *x = tfg_xmalloc(n * f * sizeof *x);
    for (size_t i = 0; i < n; i++)
        memcpy(x + i * f, t->x + (size_t)idx[i] * f, f * sizeof *x);
    free(idx);
    return x;
}

/* What the int8 model does on a split: accuracy (classes) or mean squared error, the
 * confusion matrix, and optionally every quantized input row and output row. */
typedef struct {
    double accuracy, mse;
    uint32_t *confusion;   /* n_classes^2 when the split has classes */
    int8_t *inputs, *outputs;
} int8_eval;

static size_t argmax_s8(const int8_t *v, size_t n)
{
    size_t best = 0;
    for (size_t k = 1; k < n; k++)
        if (v[k] > v[best]) /* ties: the lowest index, as the firmware does */
            best = k;
    return best;
}

/* pred (classes) or values (regression, dequantized), when non-NULL, get each row's. */
static tfg_status eval_int8(const tfg_tflite *m, const tfg_split *s, bool keep, uint32_t *pred,
                            float *values, int8_eval *e, tfg_progress *progress,
                            tfg_err *err)
{
    memset(e, 0, sizeof *e);
    tfg_tflite_runner *run;
    tfg_status st = tfg_tflite_runner_new(m, &run, err);
    if (st)
        return st;
    const tfg_tfl_subgraph *sg = &m->subgraphs[0];
    const tfg_tfl_tensor *ti = &sg->tensors[sg->inputs[0]], *to = &sg->tensors[sg->outputs[0]];
    size_t ni = tfg_tflite_runner_input_bytes(run), no = tfg_tflite_runner_output_bytes(run);
    size_t nc = s->label_kind == TFG_LABEL_CLASS ? s->n_classes : 0;
    int8_t *qi = tfg_xmalloc(ni), *qo = tfg_xmalloc(no);
    if (keep) {
        e->inputs = tfg_xmalloc(ni * (s->rows ? s->rows : 1));
        e->outputs = tfg_xmalloc(no * (s->rows ? s->rows : 1));
    }
    if (nc)
        e->confusion = tfg_xcalloc(nc * nc, sizeof *e->confusion);
    size_t right = 0;
    double se = 0;
    for (size_t i = 0; !st && i < s->rows; i++) {
        tfg_rt_quantize_f32_s8(ti->scale[0], (int32_t)ti->zero_point[0], s->x + i * s->features,
                               qi, (int32_t)ni);
        st = tfg_tflite_runner_invoke(run, qi, ni, qo, no, err);
        if (st)
            break;
        if (keep) {
            memcpy(e->inputs + i * ni, qi, ni);
            memcpy(e->outputs + i * no, qo, no);
        }
        if (nc) {
            size_t p = argmax_s8(qo, no), y = (size_t)s->y_class[i];
            if (pred)
                pred[i] = (uint32_t)p;
            right += p == y;
            if (y < nc && p < nc)
                e->confusion[y * nc + p]++;
        } else if (s->label_kind == TFG_LABEL_VALUE) {
            float v = to->scale[0] * (float)(qo[0] - to->zero_point[0]);
            if (values)
                values[i] = v;
            double d = (double)v - s->y_value[i];
            se += d * d;
        }
        if (progress && (i % 256 == 255 || i + 1 == s->rows))
            tfg_progress_update(progress, "int8 evaluation", i + 1, s->rows);
    }
    e->accuracy = nc && s->rows ? (double)right / s->rows : NAN;
    e->mse = !nc && s->rows ? se / s->rows : NAN;
    free(qi);
    free(qo);
    tfg_tflite_runner_free(run);
    return st;
}

static void eval_free(int8_eval *e)
{
    free(e->confusion);
    free(e->inputs);
    free(e->outputs);
    memset(e, 0, sizeof *e);
}

/* A higher score is better: accuracy, or minus the squared error. */
static double score(const int8_eval *e)
{
    return isnan(e->accuracy) ? -e->mse : e->accuracy;
}

typedef struct {
    tfg_calib_opts calib;
    tfg_tflite model;
    double val_score;
    uint32_t *val_pred; /* its class for each validation row it was chosen on, or NULL */
    float *val_values;  /* its value there (regression), or NULL */
    size_t val_rows;
} candidate;

static tfg_status try_candidate(inputs *in, const float *rep, size_t n, candidate *c,
                                const char *desc, tfg_progress *progress, tfg_err *err)
{
    tfg_ranges r;
    tfg_status st = tfg_calibrate(&in->g, rep, n, &c->calib, progress, &r, err);
    if (!st)
        st = tfg_quantize(&in->g, &r, desc, &c->model, err);
    tfg_ranges_free(&r);
    if (st)
        return st;
    /* Choose on the validation split (the training rows when it is empty): the test
     * split must not pick the model it then judges. */
    tfg_split sel = in->val.rows ? in->val : in->train;
    if (sel.rows > SELECT_ROWS)
        sel.rows = SELECT_ROWS; /* enough to tell methods apart, and 5x faster on images */
    /* The validation rows' predictions are kept for the gate (gate.h); training rows
     * are no evidence there, the model was fitted and calibrated on them. */
    if (in->val.rows) {
        c->val_rows = sel.rows;
        if (sel.label_kind == TFG_LABEL_CLASS)
            c->val_pred = tfg_xmalloc(sel.rows * sizeof *c->val_pred);
        else
            c->val_values = tfg_xmalloc(sel.rows * sizeof *c->val_values);
    }
    int8_eval e;
    st = eval_int8(&c->model, &sel, false, c->val_pred, c->val_values, &e, progress, err);
    c->val_score = score(&e);
    eval_free(&e);
    return st;
}

static const char *method_name(const tfg_calib_opts *c)
{
    return c->method == TFG_CALIB_MINMAX ? "minmax" : "percentile";
}

static json_t *make_report(const tfg_spec *s, const inputs *in, const candidate *best,
                           const candidate *cands, size_t n_cands, size_t n_rep,
                           const tfg_metrics *fm, const uint32_t *fcm, const int8_eval *q,
                           const tfg_reg_metrics *rm, double seconds)
{
    json_t *r = json_object();
    bool cls = in->test.label_kind == TFG_LABEL_CLASS;
    json_object_set_new(r, "stage", json_string(tfg_stage_name(TFG_STAGE_QUANTIZE)));
    json_object_set_new(r, "name", json_string(s->name));
    json_object_set_new(r, "test_samples", json_integer(in->test.rows));
    if (cls) {
        json_object_set_new(r, "float_accuracy", json_real(fm->accuracy));
        json_object_set_new(r, "int8_accuracy", json_real(q->accuracy));
        json_object_set_new(r, "drop_points", json_real(100.0 * (fm->accuracy - q->accuracy)));
        json_object_set(r, "class_names", json_object_get(in->summary, "classes"));
        size_t nc = in->test.n_classes;
        json_object_set_new(r, "confusion_float", tfg_json_matrix_u32(fcm, nc, nc));
        json_object_set_new(r, "confusion_int8", tfg_json_matrix_u32(q->confusion, nc, nc));
    } else { /* rm: float's, then int8's */
        tfg_reg_metrics_json(r, "float_", &rm[0]);
        tfg_reg_metrics_json(r, "int8_", &rm[1]);
    }
    json_t *cal = json_pack("{s:I, s:s}", "samples", (json_int_t)n_rep, "method",
                            method_name(&best->calib));
    if (best->calib.method == TFG_CALIB_PERCENTILE)
        json_object_set_new(cal, "percentile", json_real(best->calib.percentile));
    json_t *tried = json_array();
    for (size_t k = 0; k < n_cands; k++) {
        json_t *t = json_pack("{s:s}", "method", method_name(&cands[k].calib));
        if (cands[k].calib.method == TFG_CALIB_PERCENTILE)
            json_object_set_new(t, "percentile", json_real(cands[k].calib.percentile));
        json_object_set_new(t, cls ? "val_accuracy" : "val_neg_mse",
                            json_real(cands[k].val_score));
        json_array_append_new(tried, t);
    }
    json_object_set_new(cal, "tried", tried);
    json_object_set_new(r, "calibration", cal);
    json_object_set_new(r, "model_bytes", json_integer((json_int_t)best->model.file_len));
    json_object_set_new(r, "seconds", json_real(seconds));
    return r;
}

static tfg_status publish(const char *out, tfg_manifest *m, const candidate *best,
                          const int8_eval *q, size_t rows, const json_t *report, tfg_err *err)
{
    tfg_stagedir sd;
    tfg_status st = tfg_stage_begin(&sd, out, tfg_stage_name(TFG_STAGE_QUANTIZE), err);
    if (st)
        return st;
    const tfg_tfl_subgraph *sg = &best->model.subgraphs[0];
    size_t ni = (size_t)sg->tensors[sg->inputs[0]].bytes;
    size_t no = (size_t)sg->tensors[sg->outputs[0]].bytes;
    char *model = tfg_stage_path(&sd, tfg_artifact_file(TFG_ART_QUANTIZE_MODEL));
    char *ti = tfg_stage_path(&sd, tfg_artifact_file(TFG_ART_QUANTIZE_TEST_INPUT));
    char *to = tfg_stage_path(&sd, tfg_artifact_file(TFG_ART_QUANTIZE_TEST_OUTPUT));
    st = tfg_write_atomic(model, best->model.file, best->model.file_len, err);
    if (!st) st = tfg_write_atomic(ti, q->inputs, ni * rows, err);
    if (!st) st = tfg_write_atomic(to, q->outputs, no * rows, err);
    free(model);
    free(ti);
    free(to);
    if (!st)
        return tfg_stage_finish(&sd, m, report, err);
    tfg_stage_abort(&sd);
    return st;
}

static size_t candidates_of(const qopts *q, candidate *c)
{
    memset(c, 0, 3 * sizeof *c);
    if (q->method == 1) {
        c[0].calib = (tfg_calib_opts){TFG_CALIB_MINMAX, 0};
        return 1;
    }
    if (q->method == 2) {
        c[0].calib = (tfg_calib_opts){TFG_CALIB_PERCENTILE, q->percentile};
        return 1;
    }
    c[0].calib = (tfg_calib_opts){TFG_CALIB_MINMAX, 0};
    c[1].calib = (tfg_calib_opts){TFG_CALIB_PERCENTILE, 99.99};
    c[2].calib = (tfg_calib_opts){TFG_CALIB_PERCENTILE, 99.9};
    return 3;
}

/* The float model's class for the first `rows` rows of a split (the first largest
 * output, as the int8 argmax). */
static void float_predict(tfg_graph *g, const tfg_split *s, size_t rows, uint32_t *pred)
{
    size_t nc = s->n_classes;
    float *out = tfg_xmalloc((rows ? rows : 1) * nc * sizeof *out);
    tfg_predict(g, s, rows, out);
    for (size_t r = 0; r < rows; r++) {
        const float *v = out + r * nc;
        size_t best = 0;
        for (size_t k = 1; k < nc; k++)
            if (v[k] > v[best])
                best = k;
        pred[r] = (uint32_t)best;
    }
    free(out);
}

/* The gate's rows (gate.h): the whole test split and the validation rows the chosen
 * candidate was judged on. */
static tfg_quant_gate judge(inputs *in, const candidate *best, const uint32_t *test_pred,
                            double max_drop)
{
    tfg_quant_gate g;
    memset(&g, 0, sizeof g);
    size_t most = in->test.rows > best->val_rows ? in->test.rows : best->val_rows;
    uint32_t *pf = tfg_xmalloc((most ? most : 1) * sizeof *pf);
    float_predict(&in->g, &in->test, in->test.rows, pf);
    tfg_quant_gate_add(&g, in->test.y_class, pf, test_pred, in->test.rows);
    if (best->val_pred) {
        float_predict(&in->g, &in->val, best->val_rows, pf);
        tfg_quant_gate_add(&g, in->val.y_class, pf, best->val_pred, best->val_rows);
    }
    free(pf);
    tfg_quant_gate_judge(&g, max_drop);
    return g;
}

/* The same for regression: test_values are int8's on the test split, float_test the
 * float model's there. */
static tfg_quant_reg_gate judge_reg(inputs *in, const candidate *best, const float *float_test,
                                    const float *test_values, double max_increase)
{
    tfg_quant_reg_gate g;
    memset(&g, 0, sizeof g);
    tfg_quant_reg_gate_add(&g, in->test.y_value, float_test, test_values, in->test.rows);
    if (best->val_values) {
        float *pf = tfg_xmalloc(best->val_rows * sizeof *pf);
        tfg_predict(&in->g, &in->val, best->val_rows, pf);
        tfg_quant_reg_gate_add(&g, in->val.y_value, pf, best->val_values, best->val_rows);
        free(pf);
    }
    tfg_quant_reg_gate_judge(&g, max_increase);
    return g;
}

static json_t *reg_gate_json(const tfg_quant_reg_gate *g, size_t test_rows, double max_inc)
{
    json_t *j = json_pack("{s:I, s:I, s:I, s:f, s:f, s:I, s:I, s:f, s:f, s:f, s:s}",
                          "rows", (json_int_t)g->rows, "test_rows", (json_int_t)test_rows,
                          "val_rows", (json_int_t)(g->rows - test_rows), "float_mae",
                          g->float_mae, "int8_mae", g->int8_mae, "worse",
                          (json_int_t)g->worse, "better", (json_int_t)g->better, "p_value",
                          g->p_value, "alpha", TFG_QUANT_GATE_ALPHA, "max_mae_increase",
                          max_inc, "result", g->failed ? "failed" : "passed");
    if (isfinite(g->increase_pct)) /* not when float's error is 0 */
        json_object_set_new(j, "mae_increase_pct", json_real(g->increase_pct));
    return j;
}

static json_t *gate_json(const tfg_quant_gate *g, size_t test_rows, double max_drop)
{
    return json_pack("{s:I, s:I, s:I, s:f, s:f, s:f, s:I, s:I, s:I, s:f, s:f, s:f, s:s}",
                     "rows", (json_int_t)g->rows, "test_rows", (json_int_t)test_rows,
                     "val_rows", (json_int_t)(g->rows - test_rows),
                     "float_accuracy", g->rows ? (double)g->float_right / g->rows : 0.0,
                     "int8_accuracy", g->rows ? (double)g->int8_right / g->rows : 0.0,
                     "drop_points", g->drop_points, "flipped", (json_int_t)g->flipped,
                     "lost", (json_int_t)g->lost, "gained", (json_int_t)g->gained,
                     "p_value", g->p_value, "alpha", TFG_QUANT_GATE_ALPHA,
                     "max_drop", max_drop, "result", g->failed ? "failed" : "passed");
}

/* Either gate's error: its numbers in b, then only what retrying could change. Frees b. */
static void gate_fail(tfg_buf *b, const qopts *q, size_t n_rep, size_t train_rows,
                      tfg_err *err)
{
    if (q->method == 0)
        tfg_buf_printf(b, "method auto already tried min/max and percentiles 99.99 and 99.9");
    else
        tfg_buf_printf(b, "try quantization.method \"auto\" (it tries %s)",
                       q->method == 1 ? "percentiles 99.99 and 99.9 too"
                                      : "min/max and percentiles 99.99 and 99.9 too");
    if (n_rep < train_rows)
        tfg_buf_printf(b, "%s more quantization.calibration_samples (%zu of the %zu "
                       "training rows were used)", q->method == 0 ? "; try" : ", or",
                       n_rep, train_rows);
    else if (q->method == 0)
        tfg_buf_printf(b, " on all %zu training rows", train_rows);
    tfg_buf_printf(b, "; or retrain: a model whose activations need a narrower int8 range "
                   "(e.g. training.weight_decay)");
    char *msg = tfg_buf_take(b);
    tfg_err_set(err, TFG_ECHECK, "%s", msg);
    free(msg);
}

/* What a failed gate says: the numbers, and only what was not tried yet. */
static void gate_error(const tfg_quant_gate *g, size_t test_rows, const qopts *q,
                       size_t n_rep, size_t train_rows, tfg_err *err)
{
    tfg_buf b;
    tfg_buf_init(&b);
    tfg_buf_printf(&b, "int8 accuracy %.2f%% is %.2f points below float %.2f%% on %zu rows "
                   "(test %zu + validation %zu): %zu predictions flipped, %zu right answers "
                   "lost and %zu gained, more than quantization.max_drop %.2f and more than "
                   "chance (sign test p = %.2g); ",
                   100.0 * g->int8_right / g->rows, g->drop_points,
                   100.0 * g->float_right / g->rows, g->rows, test_rows, g->rows - test_rows,
                   g->flipped, g->lost, g->gained, q->max_drop, g->p_value);
    gate_fail(&b, q, n_rep, train_rows, err);
}

static void reg_gate_error(const tfg_quant_reg_gate *g, size_t test_rows, const qopts *q,
                           size_t n_rep, size_t train_rows, tfg_err *err)
{
    tfg_buf b;
    tfg_buf_init(&b);
    tfg_buf_printf(&b, "int8 mean absolute error %.6g is %.1f %% above float's %.6g on %zu "
                   "rows (test %zu + validation %zu): int8 is worse on %zu rows and better "
                   "on %zu, more than quantization.max_mae_increase %.1f %% and more than "
                   "chance (sign test p = %.2g); ", g->int8_mae, g->increase_pct,
                   g->float_mae, g->rows, test_rows, g->rows - test_rows, g->worse, g->better,
                   q->max_mae_increase, g->p_value);
    gate_fail(&b, q, n_rep, train_rows, err);
}

/* A failed gate still leaves its evidence: <out>/quantize/ holds report.json (marked
 * failed) and nothing else, no model a later stage could take, and no manifest, so the
 * next run quantizes again instead of skipping. */
static tfg_status publish_failed(const char *out, const json_t *report, tfg_err *err)
{
    tfg_stagedir sd;
    tfg_status st = tfg_stage_begin(&sd, out, tfg_stage_name(TFG_STAGE_QUANTIZE), err);
    if (st)
        return st;
    char *p = tfg_stage_path(&sd, tfg_artifact_file(TFG_ART_QUANTIZE_REPORT));
    st = tfg_json_write_file(p, report, err);
    free(p);
    if (!st)
        return tfg_stage_commit(&sd, err);
    tfg_stage_abort(&sd);
    return st;
}

/* int8 softmax (TFLite's reference kernel, which the device runs too) sums the exps of a
 * row in Q12.19 and needs that sum below 2^9: each exp is at most 1, so 511 classes
 * always fit, and more fail on any input whose scores are close (the kernel refuses it,
 * TFLite aborts). Refused here, up front, with the class count as the cause. */
#define SOFTMAX_MAX_DEPTH 511

static tfg_status check_softmax(const tfg_graph *g, tfg_err *err)
{
    for (size_t i = 0; i < g->n_layers; i++) {
        const tfg_layer *L = &g->layers[i];
        size_t depth = 0;
        if (L->kind == TFG_LAYER_SOFTMAX && g->tensors[L->out].rank > 0)
            depth = g->tensors[L->out].dim[g->tensors[L->out].rank - 1];
        if (depth > SOFTMAX_MAX_DEPTH)
            return tfg_err_set(err, TFG_EINPUT,
                               "the model's softmax '%s' spreads over %zu classes, more than "
                               "the %d an int8 softmax can sum (TFLite's kernel, which the "
                               "device runs, overflows on close scores past that); merge "
                               "classes to at most %d", L->name, depth, SOFTMAX_MAX_DEPTH,
                               SOFTMAX_MAX_DEPTH);
    }
    return TFG_OK;
}

static tfg_status run(const tfg_spec *s, const tfg_quantize_stage_opts *o, inputs *in,
                      const qopts *q, tfg_manifest *m, tfg_quantize_outcome *r, tfg_err *err)
{
    double t0 = tfg_now();
    tfg_status sm = check_softmax(&in->g, err);
    if (sm)
        return sm;
    size_t n = (size_t)q->samples < in->train.rows ? (size_t)q->samples : in->train.rows;
    if (n == 0)
        return tfg_err_set(err, TFG_EINPUT, "the training split is empty: nothing to "
                           "calibrate on");
    float *rep = representative(&in->train, n, s->seed);
    char *desc = tfg_xasprintf("tinyforge %s: %s", TFG_VERSION, s->name);
    candidate cands[3];
    size_t nc = candidates_of(q, cands), best = 0;
    tfg_status st = TFG_OK;
    for (size_t k = 0; !st && k < nc; k++) {
        st = try_candidate(in, rep, n, &cands[k], desc, o->progress, err);
        if (!st && cands[k].val_score > cands[best].val_score)
            best = k; /* ties keep the earlier, simpler method */
    }
    free(desc);
    tfg_metrics fm = {NAN, NAN};
    uint32_t *fcm = NULL, *test_pred = NULL;
    float *float_test = NULL, *test_values = NULL; /* regression: each test row's value */
    tfg_reg_metrics rm[2]; /* float's, int8's: unknown (NAN) until measured */
    tfg_reg_metrics_of(NULL, NULL, 0, &rm[0]);
    rm[1] = rm[0];
    int8_eval qe;
    memset(&qe, 0, sizeof qe);
    bool cls = in->test.label_kind == TFG_LABEL_CLASS;
    if (!st) {
        size_t rows = in->test.rows ? in->test.rows : 1;
        if (cls) {
            fcm = tfg_xcalloc((size_t)in->test.n_classes * in->test.n_classes, sizeof *fcm);
            test_pred = tfg_xmalloc(rows * sizeof *test_pred);
        } else {
            float_test = tfg_xmalloc(rows * sizeof *float_test);
            test_values = tfg_xmalloc(rows * sizeof *test_values);
        }
        st = tfg_evaluate(&in->g, &in->test,
                          cls ? TFG_LOSS_CROSS_ENTROPY : TFG_LOSS_MSE, &fm, fcm, err);
    }
    if (!st)
        st = eval_int8(&cands[best].model, &in->test, true, test_pred, test_values, &qe,
                       o->progress, err);
    tfg_progress_finish(o->progress);
    tfg_quant_gate g;
    tfg_quant_reg_gate rg;
    memset(&g, 0, sizeof g);
    memset(&rg, 0, sizeof rg);
    bool gated = !st && in->test.rows;
    if (gated && cls) {
        g = judge(in, &cands[best], test_pred, q->max_drop);
    } else if (gated) {
        tfg_predict(&in->g, &in->test, in->test.rows, float_test);
        tfg_reg_metrics_of(in->test.y_value, float_test, in->test.rows, &rm[0]);
        tfg_reg_metrics_of(in->test.y_value, test_values, in->test.rows, &rm[1]);
        rg = judge_reg(in, &cands[best], float_test, test_values, q->max_mae_increase);
    }
    bool failed = cls ? g.failed : rg.failed;
    if (!st) {
        json_t *report = make_report(s, in, &cands[best], cands, nc, n, &fm, fcm, &qe, rm,
                                     tfg_now() - t0);
        if (gated)
            json_object_set_new(report, "gate",
                                cls ? gate_json(&g, in->test.rows, q->max_drop)
                                    : reg_gate_json(&rg, in->test.rows, q->max_mae_increase));
        json_object_set_new(report, "result", json_string(failed ? "failed" : "passed"));
        if (failed) {
            if (cls)
                gate_error(&g, in->test.rows, q, n, in->train.rows, err);
            else
                reg_gate_error(&rg, in->test.rows, q, n, in->train.rows, err);
            json_object_set_new(report, "error", json_string(err->msg));
            tfg_err keep = *err;
            st = publish_failed(o->out, report, err);
            if (!st) { /* the gate's verdict is the error, now with its evidence written */
                *err = keep;
                st = TFG_ECHECK;
            }
        } else {
            st = publish(o->out, m, &cands[best], &qe, in->test.rows, report, err);
            if (!st)
                r->report = json_incref(report);
        }
        json_decref(report);
    }
    for (size_t k = 0; k < nc; k++) {
        tfg_tflite_free(&cands[k].model);
        free(cands[k].val_pred);
        free(cands[k].val_values);
    }
    eval_free(&qe);
    free(test_pred);
    free(float_test);
    free(test_values);
    free(fcm);
    free(rep);
    return st;
}

tfg_status tfg_quantize_check_spec(const tfg_spec *s, tfg_err *err)
{
    qopts q;
    return read_options(s, &q, err);
}

tfg_status tfg_quantize_stage(const tfg_spec *s, const tfg_quantize_stage_opts *o,
                              tfg_quantize_outcome *r, tfg_err *err)
{
    memset(r, 0, sizeof *r);
    r->dir = tfg_rundir_stage(o->out, TFG_STAGE_QUANTIZE);
    qopts q;
    inputs in;
    memset(&in, 0, sizeof in);
    tfg_status st = read_options(s, &q, err);
    if (!st) st = read_inputs(s, o->out, &in, err);
    tfg_manifest m;
    tfg_manifest_init(&m, tfg_stage_name(TFG_STAGE_QUANTIZE));
    for (int i = 0; !st && i < N_READS; i++) {
        char *p = tfg_rundir_path(o->out, reads[i]);
        st = tfg_manifest_input_file(&m, tfg_artifact_label(reads[i]), p, err);
        free(p);
    }
    if (!st) {
        char *text = tfg_xasprintf("%lld %d %.9g %.9g %llu", (long long)q.samples, q.method,
                                   q.percentile, q.max_drop, (unsigned long long)s->seed);
        tfg_manifest_input_text(&m, "quantization", text);
        free(text);
    }
    if (!st && !o->force && tfg_manifest_up_to_date(&m, r->dir)) {
        r->skipped = true;
        r->report = tfg_stage_report_load(r->dir);
    } else if (!st) {
        st = run(s, o, &in, &q, &m, r, err);
    }
    tfg_manifest_free(&m);
    inputs_free(&in);
    return st;
}

void tfg_quantize_outcome_free(tfg_quantize_outcome *r)
{
    free(r->dir);
    json_decref(r->report);
    memset(r, 0, sizeof *r);
}
