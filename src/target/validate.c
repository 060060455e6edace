/* validate.c — the validate stage: build/ -> firmware on the board's stand-in, every
 * test sample through it, compared byte for byte with the host int8 outputs
 * (validate.h). The firmware and its run come from target.h; this file reads the run
 * directory, decides, and publishes.
 *
 * One fit rule: where the run has a builtin application sketch, it is built too (not
 * run) the way the sketch stage builds it, and held to the board by the same rule, so
 * what validate accepts the sketch fits as well; validate refuses a board the sketch
 * would not fit, with the sketch firmware's numbers. */
#include "target/validate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/io.h"
#include "core/json.h"
#include "core/manifest.h"
#include "data/splitfile.h"
#include "spec/rundir.h"
#include "target/sketch_internal.h"

typedef struct {
    char *build_dir, *in_path, *out_path, *test_path;
    char *inputs, *host;   /* quantize/test_input.bin, quantize/test_output.bin */
    size_t in_len, host_len;
    tfg_split test;        /* labels */
    json_t *build_report, *quant_report;
} vin;

static void vin_free(vin *v)
{
    free(v->build_dir);
    free(v->in_path);
    free(v->out_path);
    free(v->test_path);
    free(v->inputs);
    free(v->host);
    tfg_split_free(&v->test);
    json_decref(v->build_report);
    json_decref(v->quant_report);
}

static tfg_status read_inputs(const tfg_spec *s, const char *out, vin *v, tfg_err *err)
{
    memset(v, 0, sizeof *v);
    v->build_dir = tfg_rundir_stage(out, TFG_STAGE_BUILD);
    v->in_path = tfg_rundir_path(out, TFG_ART_QUANTIZE_TEST_INPUT);
    v->out_path = tfg_rundir_path(out, TFG_ART_QUANTIZE_TEST_OUTPUT);
    v->test_path = tfg_rundir_path(out, TFG_ART_DATA_TEST);
    char *br = tfg_rundir_path(out, TFG_ART_BUILD_REPORT);
    char *qr = tfg_rundir_path(out, TFG_ART_QUANTIZE_REPORT);
    tfg_status st = TFG_OK;
    if (!tfg_exists(br))
        st = tfg_err_set(err, TFG_EINPUT, "%s not found: run `tinyforge build %s` first (with "
                         "the same --out)", br, s->path);
    if (!st) st = tfg_json_load_file(br, &v->build_report, err);
    if (!st) st = tfg_json_load_file(qr, &v->quant_report, err);
    if (!st) st = tfg_read_file(v->in_path, SIZE_MAX, &v->inputs, &v->in_len, err);
    if (!st) st = tfg_read_file(v->out_path, SIZE_MAX, &v->host, &v->host_len, err);
    if (!st) st = tfg_split_read(v->test_path, &v->test, err);
    size_t ib = (size_t)json_integer_value(json_object_get(v->build_report, "input_bytes"));
    size_t ob = (size_t)json_integer_value(json_object_get(v->build_report, "output_bytes"));
    if (!st && (!ib || !ob || v->in_len % ib || v->host_len % ob ||
                v->in_len / ib != v->host_len / ob || v->in_len / ib != v->test.rows))
        st = tfg_err_set(err, TFG_EINPUT, "%s, %s and %s disagree on the number of test "
                         "samples: run quantize and build again", v->in_path, v->out_path,
                         v->test_path);
    free(br);
    free(qr);
    return st;
}

static size_t argmax_s8(const int8_t *v, size_t n)
{
    size_t b = 0;
    for (size_t k = 1; k < n; k++)
        if (v[k] > v[b])
            b = k;
    return b;
}

static json_t *board_json(const tfg_board *b)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "id", b->id, "name", b->name, "core",
                     b->core ? b->core : "", "clock_hz", (json_int_t)b->clock_hz,
                     "flash_bytes", (json_int_t)b->flash_bytes, "ram_bytes",
                     (json_int_t)b->ram_bytes);
}

/* Compares device and host rows; fills accuracy and confusion; TFG_ECHECK on the first
 * difference. */
static tfg_status compare(const vin *v, const tfg_fw_run_result *res, size_t n, size_t ob,
                          json_t *report, tfg_err *err)
{
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < n; i++)
        if (memcmp(res->outputs + i * ob, v->host + i * ob, ob) && bad++ == 0)
            first = i;
    json_object_set_new(report, "samples", json_integer((json_int_t)n));
    json_object_set_new(report, "matches", json_integer((json_int_t)(n - bad)));
    json_object_set_new(report, "mismatches", json_integer((json_int_t)bad));
    if (bad) {
        const int8_t *d = res->outputs + first * ob, *h = (const int8_t *)v->host + first * ob;
        char dv[96] = "", hv[96] = "";
        for (size_t k = 0; k < ob && k < 8; k++) {
            snprintf(dv + strlen(dv), sizeof dv - strlen(dv), "%s%d", k ? " " : "", d[k]);
            snprintf(hv + strlen(hv), sizeof hv - strlen(hv), "%s%d", k ? " " : "", h[k]);
        }
        return tfg_err_set(err, TFG_ECHECK, "the device's output differs from the host int8 "
                           "output on %zu of %zu test samples; first at sample %zu: device "
                           "[%s%s], host [%s%s]", bad, n, first, dv, ob > 8 ? " ..." : "", hv,
                           ob > 8 ? " ..." : "");
    }
    if (v->test.label_kind != TFG_LABEL_CLASS)
        return TFG_OK;
    size_t nc = v->test.n_classes, right = 0;
    uint32_t *cm = tfg_xcalloc(nc * nc, sizeof *cm);
    for (size_t i = 0; i < n; i++) {
        size_t p = argmax_s8(res->outputs + i * ob, ob), y = (size_t)v->test.y_class[i];
        right += p == y;
        if (p < nc && y < nc)
            cm[y * nc + p]++;
    }
    json_object_set_new(report, "device_accuracy", json_real(n ? (double)right / n : 0));
    json_object_set(report, "class_names", json_object_get(v->quant_report, "class_names"));
    json_object_set_new(report, "confusion", tfg_json_matrix_u32(cm, nc, nc));
    free(cm);
    return TFG_OK;
}

/* The spec's budgets (which may be below the board's limits) and its latency. */
static tfg_status check_budgets(const tfg_spec *s, const tfg_fw_info *fw,
                                const tfg_fw_run_result *res, tfg_err *err)
{
    if (s->budget.flash_bytes && fw->flash_used > s->budget.flash_bytes)
        return tfg_err_set(err, TFG_ECHECK, "the firmware needs %llu bytes of flash, more "
                           "than budgets.flash_bytes (%llu)", (unsigned long long)fw->flash_used,
                           (unsigned long long)s->budget.flash_bytes);
    if (s->budget.ram_bytes && fw->ram_used > s->budget.ram_bytes)
        return tfg_err_set(err, TFG_ECHECK, "the firmware needs %llu bytes of RAM, more than "
                           "budgets.ram_bytes (%llu)", (unsigned long long)fw->ram_used,
                           (unsigned long long)s->budget.ram_bytes);
    if (s->budget.latency_ms > 0 && res->est_ms > s->budget.latency_ms)
        return tfg_err_set(err, TFG_ECHECK, "one inference takes about %.3f ms, more than "
                           "budgets.latency_ms (%g); %s", res->est_ms, s->budget.latency_ms,
                           res->assumption);
    return TFG_OK;
}

/* Which kernel variant each layer of the firmware used, from the build report (the
 * variants were chosen there, for the spec board's core): {"core", "summary", "layers"},
 * the summary grouping operator indexes by variant ("dsp_dw_3x3: 1, 3; reference: 9");
 * NULL for a build report from before the variants. */
static json_t *kernels_json(const json_t *build_report)
{
    const json_t *layers = json_object_get(build_report, "layers");
    if (!json_is_array(layers) || !json_array_size(layers))
        return NULL;
    tfg_buf sum;
    tfg_buf_init(&sum);
    size_t n = json_array_size(layers);
    bool *done = tfg_xcalloc(n, sizeof *done);
    for (size_t i = 0; i < n; i++) {
        const char *v = json_string_value(json_object_get(json_array_get(layers, i),
                                                          "variant"));
        if (done[i] || !v)
            continue;
        tfg_buf_printf(&sum, "%s%s:", sum.len ? "; " : "", v);
        for (size_t k = i, first = 1; k < n; k++) {
            const json_t *l = json_array_get(layers, k);
            const char *vk = json_string_value(json_object_get(l, "variant"));
            if (done[k] || !vk || strcmp(vk, v))
                continue;
            done[k] = true;
            tfg_buf_printf(&sum, "%s %lld", first ? "" : ",",
                           (long long)json_integer_value(json_object_get(l, "op")));
            first = 0;
        }
    }
    free(done);
    const json_t *core = json_object_get(build_report, "core");
    json_t *r = json_pack("{s:O, s:s, s:O}", "core", core ? core : json_null(), "summary",
                          sum.data ? sum.data : "", "layers", layers);
    tfg_buf_free(&sum);
    return r;
}

static json_t *make_report(const tfg_board *b, const tfg_target *t, const tfg_fw_info *fw,
                           const tfg_fw_run_result *res)
{
    json_t *r = json_object();
    json_object_set_new(r, "stage", json_string(tfg_stage_name(TFG_STAGE_VALIDATE)));
    json_object_set_new(r, "board", board_json(b));
    json_object_set_new(r, "emulator", json_string(t->machine));
    json_object_set_new(r, "link", json_string(fw->link == TFG_FW_LINK_UART ? "uart"
                                                                             : "semihosting"));
    json_object_set_new(r, "flash",
                        json_pack("{s:I, s:I, s:I, s:I, s:I}", "used",
                                  (json_int_t)fw->flash_used, "limit",
                                  (json_int_t)fw->flash_limit, "weights",
                                  (json_int_t)fw->weights_bytes, "arena",
                                  (json_int_t)fw->arena_bytes, "code",
                                  (json_int_t)fw->code_bytes));
    json_object_set_new(r, "ram", json_pack("{s:I, s:I, s:I, s:I}", "used",
                                            (json_int_t)fw->ram_used, "limit",
                                            (json_int_t)fw->ram_limit, "arena",
                                            (json_int_t)fw->arena_bytes, "stack",
                                            (json_int_t)fw->stack_bytes));
    json_object_set_new(r, "instructions_per_inference",
                        json_integer((json_int_t)llround(res->work_mean)));
    json_object_set_new(r, "work", json_pack("{s:s, s:I, s:I, s:f}", "unit", res->work_unit,
                                             "min", (json_int_t)res->work_min, "max",
                                             (json_int_t)res->work_max, "mean",
                                             res->work_mean));
    json_object_set_new(r, "estimated_ms", json_real(res->est_ms));
    json_object_set_new(r, "assumption", json_string(res->assumption));
    json_object_set_new(r, "emulator_seconds", json_real(res->seconds));
    return r;
}

/* The builtin sketch's firmware against the board: its sizes in the report, TFG_ECHECK
 * when it does not fit; a run with no builtin sketch says why in the report. */
static tfg_status size_sketch(const tfg_spec *s, const tfg_validate_opts *o,
                              const tfg_target *t, const char *stage_dir, json_t **note,
                              tfg_err *err)
{
    char *dir = tfg_path_join(stage_dir, "sketch-size");
    tfg_fw_info fw;
    tfg_err e;
    tfg_status st = tfg_sketch_size_builtin(s, o->out, t, dir, &fw, &e);
    if (!st)
        *note = json_pack("{s:I, s:I}", "flash_used", (json_int_t)fw.flash_used, "ram_used",
                          (json_int_t)fw.ram_used);
    else if (st == TFG_EUSAGE)
        *note = json_pack("{s:s}", "not_sized", e.msg);
    else
        *err = e;
    tfg_fw_info_free(&fw);
    tfg_rmtree(dir, NULL);
    free(dir);
    return st == TFG_EUSAGE ? TFG_OK : st;
}

static tfg_status run(const tfg_spec *s, const tfg_validate_opts *o, const tfg_board *b,
                      vin *v, tfg_manifest *m, tfg_validate_outcome *out, tfg_err *err)
{
    double t0 = tfg_now();
    tfg_target t;
    tfg_status st = tfg_target_for_board(b, &t, err);
    if (st)
        return st;
    size_t ib = (size_t)json_integer_value(json_object_get(v->build_report, "input_bytes"));
    size_t ob = (size_t)json_integer_value(json_object_get(v->build_report, "output_bytes"));
    size_t n = v->test.rows;
    if (o->max_samples && o->max_samples < n)
        n = o->max_samples;
    tfg_stagedir sd;
    st = tfg_stage_begin(&sd, o->out, tfg_stage_name(TFG_STAGE_VALIDATE), err);
    if (st) {
        tfg_target_free(&t);
        return st;
    }
    tfg_fw_info fw;
    memset(&fw, 0, sizeof fw);
    tfg_fw_run_result res;
    memset(&res, 0, sizeof res);
    if (o->progress)
        tfg_progress_update(o->progress, "firmware build", 0, 1);
    tfg_fw_build_opts bo = {.target = &t, .model_dir = v->build_dir, .out_dir = sd.dir,
                            .link = o->link};
    st = tfg_fw_build(&bo, &fw, err);
    json_t *sketch_note = NULL;
    if (!st)
        st = size_sketch(s, o, &t, sd.dir, &sketch_note, err);
    if (!st) {
        if (o->progress)
            tfg_progress_update(o->progress, "emulated run", 0, 1);
        tfg_fw_run_opts ro = {.target = &t, .elf = fw.elf, .link = fw.link,
                              .inputs = (const int8_t *)v->inputs, .n = n, .input_bytes = ib,
                              .output_bytes = ob, .work_dir = sd.dir};
        /* the request file in the staging directory: a kill leaves nothing in /tmp */
        st = tfg_fw_run(&ro, &res, err);
    }
    tfg_progress_finish(o->progress);
    json_t *report = NULL;
    if (!st) {
        report = make_report(b, &t, &fw, &res);
        json_t *kernels = kernels_json(v->build_report);
        if (kernels)
            json_object_set_new(report, "kernels", kernels);
        json_object_set(report, "sketch_firmware", sketch_note);
        st = compare(v, &res, n, ob, report, err);
    }
    if (!st) st = check_budgets(s, &fw, &res, err);
    if (!st) {
        char *p = tfg_stage_path(&sd, tfg_artifact_file(TFG_ART_VALIDATE_DEVICE_OUTPUT));
        st = tfg_write_atomic(p, res.outputs, n * ob, err);
        free(p);
    }
    if (!st) {
        json_object_set_new(report, "seconds", json_real(tfg_now() - t0));
        st = tfg_stage_finish(&sd, m, report, err);
    } else {
        tfg_stage_abort(&sd);
    }
    if (!st)
        out->report = json_incref(report);
    json_decref(report);
    json_decref(sketch_note);
    tfg_fw_run_result_free(&res);
    tfg_fw_info_free(&fw);
    tfg_target_free(&t);
    return st;
}

tfg_status tfg_validate_stage(const tfg_spec *s, const tfg_validate_opts *o,
                              tfg_validate_outcome *r, tfg_err *err)
{
    memset(r, 0, sizeof *r);
    r->dir = tfg_rundir_stage(o->out, TFG_STAGE_VALIDATE);
    const tfg_board *b = o->board ? o->board : &s->board;
    vin v;
    tfg_status st = read_inputs(s, o->out, &v, err);
    tfg_manifest m;
    tfg_manifest_init(&m, tfg_stage_name(TFG_STAGE_VALIDATE));
    static const tfg_artifact reads[] = {
        TFG_ART_BUILD_MODEL_H,         TFG_ART_BUILD_MODEL_C,        TFG_ART_BUILD_REPORT,
        TFG_ART_QUANTIZE_TEST_INPUT, TFG_ART_QUANTIZE_TEST_OUTPUT, TFG_ART_DATA_TEST};
    for (size_t i = 0; !st && i < sizeof reads / sizeof reads[0]; i++) {
        char *p = tfg_rundir_path(o->out, reads[i]);
        st = tfg_manifest_input_file(&m, tfg_artifact_label(reads[i]), p, err);
        free(p);
    }
    /* what the builtin sketch's size depends on (absent for a window plan) */
    static const tfg_artifact sketch_in[] = {TFG_ART_BUILD_PREPROCESS_H,
                                             TFG_ART_BUILD_PREPROCESS_C,
                                             TFG_ART_DATA_PREPROCESS};
    for (size_t i = 0; !st && i < sizeof sketch_in / sizeof sketch_in[0]; i++) {
        char *p = tfg_rundir_path(o->out, sketch_in[i]);
        if (tfg_exists(p))
            st = tfg_manifest_input_file(&m, tfg_artifact_label(sketch_in[i]), p, err);
        free(p);
    }
    if (!st) {
        char *text = tfg_xasprintf("%s %s %d %zu %llu %llu %.9g", TFG_VERSION, b->id,
                                   (int)o->link, o->max_samples,
                                   (unsigned long long)s->budget.flash_bytes,
                                   (unsigned long long)s->budget.ram_bytes,
                                   s->budget.latency_ms);
        tfg_manifest_input_text(&m, "validate", text);
        free(text);
    }
    if (!st && !o->force && tfg_manifest_up_to_date(&m, r->dir)) {
        r->skipped = true;
        r->report = tfg_stage_report_load(r->dir);
    } else if (!st) {
        st = run(s, o, b, &v, &m, r, err);
    }
    tfg_manifest_free(&m);
    vin_free(&v);
    return st;
}

void tfg_validate_outcome_free(tfg_validate_outcome *r)
{
    free(r->dir);
    json_decref(r->report);
    memset(r, 0, sizeof *r);
}
