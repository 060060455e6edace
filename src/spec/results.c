/* results.c — the typed readers of the stages' report.json files (results.h). Each
 * reader lists its fields in the order the writer documents them (docs/artifacts.md). */
#include "spec/results.h"

#include <math.h>
#include <string.h>

#include "core/json.h"

/* The checks a reader strings together: each returns TFG_OK for an optional field that
 * is absent, leaving the default in place. */
typedef struct {
    const char *file;
    tfg_err *err;
} rd;

static tfg_status num(const rd *k, const json_t *o, const char *parent, const char *key,
                      bool req, double min, double max, double *v)
{
    tfg_jctx c = {k->file, parent};
    return tfg_jget_num(o, key, req, min, max, v, &c, k->err);
}

static tfg_status count(const rd *k, const json_t *o, const char *parent, const char *key,
                        bool req, int64_t *v)
{
    tfg_jctx c = {k->file, parent};
    return tfg_jget_int(o, key, req, 0, INT64_MAX, v, &c, k->err);
}

static tfg_status str(const rd *k, const json_t *o, const char *parent, const char *key,
                      bool req, const char **v)
{
    tfg_jctx c = {k->file, parent};
    return tfg_jget_str(o, key, req, v, &c, k->err);
}

/* o[key], when present, must be an object; *sub gets it (or NULL). */
static tfg_status object(const rd *k, const json_t *o, const char *key, bool req,
                         const json_t **sub)
{
    const json_t *v = json_object_get(o, key);
    *sub = NULL;
    if (!v || json_is_null(v))
        return req ? tfg_err_field(k->err, TFG_EINPUT, k->file, key, "required field is missing")
                   : TFG_OK;
    if (!json_is_object(v))
        return tfg_err_field(k->err, TFG_EINPUT, k->file, key, "expected an object, got %s",
                             tfg_json_type_name(v));
    *sub = v;
    return TFG_OK;
}

static tfg_status root(const rd *k, const json_t *j)
{
    if (json_is_object(j))
        return TFG_OK;
    return tfg_err_set(k->err, TFG_EINPUT, "%s: expected a JSON object, got %s", k->file,
                       tfg_json_type_name(j));
}

tfg_status tfg_train_result_read(const json_t *j, const char *file, tfg_train_result *r,
                                 tfg_err *err)
{
    rd k = {file, err};
    *r = (tfg_train_result){.params = -1, .macs = -1, .epochs_run = -1, .best_epoch = -1,
                            .est_flash = -1, .est_ram = -1, .test_accuracy = NAN,
                            .test_loss = NAN, .test_mae = NAN, .test_r2 = NAN,
                            .seconds = NAN};
    const json_t *e = NULL;
    tfg_status st = root(&k, j);
    if (!st) st = count(&k, j, "", "params", false, &r->params);
    if (!st) st = count(&k, j, "", "macs", false, &r->macs);
    if (!st) st = object(&k, j, "estimate", false, &e);
    if (!st && e) st = count(&k, e, "estimate", "flash_bytes", true, &r->est_flash);
    if (!st && e) st = count(&k, e, "estimate", "ram_bytes", true, &r->est_ram);
    if (!st) st = count(&k, j, "", "epochs_run", false, &r->epochs_run);
    if (!st) st = count(&k, j, "", "best_epoch", false, &r->best_epoch);
    if (!st) st = num(&k, j, "", "seconds", false, 0, 1e9, &r->seconds);
    if (!st) st = num(&k, j, "", "test_accuracy", false, 0, 1, &r->test_accuracy);
    if (!st) st = num(&k, j, "", "test_loss", false, -HUGE_VAL, HUGE_VAL, &r->test_loss);
    if (!st) st = num(&k, j, "", "test_mae", false, 0, HUGE_VAL, &r->test_mae);
    if (!st) st = num(&k, j, "", "test_r2", false, -HUGE_VAL, 1, &r->test_r2);
    return st;
}

tfg_status tfg_quantize_result_read(const json_t *j, const char *file,
                                    tfg_quantize_result *r, tfg_err *err)
{
    rd k = {file, err};
    *r = (tfg_quantize_result){.test_samples = -1, .float_accuracy = NAN, .int8_accuracy = NAN,
                               .drop_points = NAN, .float_mse = NAN, .int8_mse = NAN,
                               .float_mae = NAN, .int8_mae = NAN, .float_r2 = NAN,
                               .int8_r2 = NAN, .worse = -1, .better = -1,
                               .mae_increase_pct = NAN,
                               .model_bytes = -1, .calibration_samples = -1, .seconds = NAN,
                               .gate_rows = -1, .flipped = -1, .lost = -1, .gained = -1,
                               .p_value = NAN};
    const json_t *c = NULL, *g = NULL;
    tfg_status st = root(&k, j);
    if (!st) st = count(&k, j, "", "test_samples", false, &r->test_samples);
    /* classification reports accuracies; regression mean squared errors */
    bool cls = json_object_get(j, "float_mse") == NULL;
    if (!st) st = num(&k, j, "", "float_accuracy", cls, 0, 1, &r->float_accuracy);
    if (!st) st = num(&k, j, "", "int8_accuracy", cls, 0, 1, &r->int8_accuracy);
    if (!st) st = num(&k, j, "", "drop_points", false, -100, 100, &r->drop_points);
    if (!st) st = num(&k, j, "", "float_mse", !cls, 0, HUGE_VAL, &r->float_mse);
    if (!st) st = num(&k, j, "", "int8_mse", !cls, 0, HUGE_VAL, &r->int8_mse);
    if (!st) st = num(&k, j, "", "float_mae", false, 0, HUGE_VAL, &r->float_mae);
    if (!st) st = num(&k, j, "", "int8_mae", false, 0, HUGE_VAL, &r->int8_mae);
    if (!st) st = num(&k, j, "", "float_r2", false, -HUGE_VAL, 1, &r->float_r2);
    if (!st) st = num(&k, j, "", "int8_r2", false, -HUGE_VAL, 1, &r->int8_r2);
    if (!st) st = object(&k, j, "calibration", false, &c);
    if (!st && c) st = count(&k, c, "calibration", "samples", false, &r->calibration_samples);
    if (!st && c) st = str(&k, c, "calibration", "method", false, &r->calibration_method);
    if (!st && c) {
        double pct = NAN;
        st = num(&k, c, "calibration", "percentile", false, 0, 100, &pct);
    }
    if (!st) st = count(&k, j, "", "model_bytes", false, &r->model_bytes);
    if (!st) st = num(&k, j, "", "seconds", false, 0, 1e9, &r->seconds);
    if (!st) st = str(&k, j, "", "result", false, &r->result);
    if (!st && r->result && strcmp(r->result, "passed") && strcmp(r->result, "failed"))
        st = tfg_err_field(err, TFG_EINPUT, file, "result",
                           "expected \"passed\" or \"failed\", got \"%s\"", r->result);
    if (!st) st = str(&k, j, "", "error", false, &r->error);
    if (!st) st = object(&k, j, "gate", false, &g);
    if (!st && g) st = count(&k, g, "gate", "rows", true, &r->gate_rows);
    if (!st && g) st = count(&k, g, "gate", "flipped", cls, &r->flipped);
    if (!st && g) st = count(&k, g, "gate", "lost", cls, &r->lost);
    if (!st && g) st = count(&k, g, "gate", "gained", cls, &r->gained);
    if (!st && g) st = count(&k, g, "gate", "worse", !cls, &r->worse);
    if (!st && g) st = count(&k, g, "gate", "better", !cls, &r->better);
    if (!st && g)
        st = num(&k, g, "gate", "mae_increase_pct", false, -100, HUGE_VAL,
                 &r->mae_increase_pct);
    if (!st && g) st = num(&k, g, "gate", "p_value", true, 0, 1, &r->p_value);
    return st;
}

tfg_status tfg_build_result_read(const json_t *j, const char *file, tfg_build_result *r,
                                 tfg_err *err)
{
    rd k = {file, err};
    *r = (tfg_build_result){.flash_bytes = -1, .arena_bytes = -1, .input_bytes = -1,
                            .output_bytes = -1, .host_check_rows = -1, .seconds = NAN};
    const json_t *hc = NULL;
    tfg_status st = root(&k, j);
    if (!st) st = count(&k, j, "", "flash_bytes", true, &r->flash_bytes);
    if (!st) st = count(&k, j, "", "arena_bytes", true, &r->arena_bytes);
    if (!st) st = count(&k, j, "", "input_bytes", false, &r->input_bytes);
    if (!st) st = count(&k, j, "", "output_bytes", false, &r->output_bytes);
    if (!st) st = object(&k, j, "host_check", false, &hc);
    if (!st && hc) st = str(&k, hc, "host_check", "compiler", false, &r->host_check_compiler);
    if (!st && hc) st = count(&k, hc, "host_check", "rows", false, &r->host_check_rows);
    if (!st) st = num(&k, j, "", "seconds", false, 0, 1e9, &r->seconds);
    return st;
}

static tfg_status memory(const rd *k, const json_t *m, const char *name, tfg_memory_result *r)
{
    tfg_status st = count(k, m, name, "used", true, &r->used);
    if (!st) st = count(k, m, name, "limit", true, &r->limit);
    if (!st) st = count(k, m, name, "weights", false, &r->weights);
    if (!st) st = count(k, m, name, "arena", false, &r->arena);
    if (!st) st = count(k, m, name, "code", false, &r->code);
    if (!st) st = count(k, m, name, "stack", false, &r->stack);
    return st;
}

tfg_status tfg_validate_result_read(const json_t *j, const char *file,
                                    tfg_validate_result *r, tfg_err *err)
{
    rd k = {file, err};
    memset(r, 0, sizeof *r);
    r->device_accuracy = r->estimated_ms = r->seconds = NAN;
    r->work_per_inference = -1;
    r->flash = r->ram = (tfg_memory_result){.used = -1, .limit = -1, .weights = -1, .arena = -1,
                                            .code = -1, .stack = -1};
    const json_t *b = NULL, *fl = NULL, *ram = NULL, *w = NULL;
    tfg_status st = root(&k, j);
    if (!st) st = object(&k, j, "board", false, &b);
    if (!st && b) st = str(&k, b, "board", "id", false, &r->board_id);
    if (!st && b) st = str(&k, b, "board", "name", false, &r->board_name);
    if (!st) st = str(&k, j, "", "emulator", false, &r->emulator);
    if (!st) st = str(&k, j, "", "link", false, &r->link);
    if (!st) st = count(&k, j, "", "samples", true, &r->samples);
    if (!st) st = count(&k, j, "", "matches", true, &r->matches);
    if (!st) st = count(&k, j, "", "mismatches", true, &r->mismatches);
    if (!st && (r->matches > r->samples || r->matches + r->mismatches != r->samples))
        st = tfg_err_field(err, TFG_EINPUT, file, "matches",
                           "%lld matches + %lld mismatches should be the %lld samples",
                           (long long)r->matches, (long long)r->mismatches,
                           (long long)r->samples);
    if (!st) st = num(&k, j, "", "device_accuracy", false, 0, 1, &r->device_accuracy);
    if (!st) st = object(&k, j, "flash", false, &fl);
    if (!st) st = object(&k, j, "ram", false, &ram);
    if (!st && fl) st = memory(&k, fl, "flash", &r->flash);
    if (!st && ram) st = memory(&k, ram, "ram", &r->ram);
    r->has_memory = fl && ram;
    if (!st) st = count(&k, j, "", "instructions_per_inference", false, &r->work_per_inference);
    if (!st) st = object(&k, j, "work", false, &w);
    if (!st && w) st = str(&k, w, "work", "unit", false, &r->work_unit);
    if (!st) st = num(&k, j, "", "estimated_ms", false, 0, 1e12, &r->estimated_ms);
    if (!st) st = str(&k, j, "", "assumption", false, &r->assumption);
    const json_t *kn = NULL;
    if (!st) st = object(&k, j, "kernels", false, &kn);
    if (!st && kn) st = str(&k, kn, "kernels", "summary", true, &r->kernels);
    if (!st && kn) st = str(&k, kn, "kernels", "core", false, &r->kernels_core);
    if (!st) st = num(&k, j, "", "seconds", false, 0, 1e9, &r->seconds);
    return st;
}

tfg_status tfg_sketch_result_read(const json_t *j, const char *file, tfg_sketch_result *r,
                                  tfg_err *err)
{
    rd k = {file, err};
    memset(r, 0, sizeof *r);
    r->seconds = NAN;
    tfg_status st = root(&k, j);
    if (!st) st = str(&k, j, "", "result", true, &r->result);
    if (!st) st = str(&k, j, "", "source", false, &r->source);
    if (!st) st = str(&k, j, "", "error", false, &r->error);
    const json_t *checks = json_object_get(j, "checks");
    if (!st && checks && !json_is_array(checks))
        st = tfg_err_field(err, TFG_EINPUT, file, "checks", "expected an array, got %s",
                           tfg_json_type_name(checks));
    r->checks = json_array_size(checks);
    if (!st) st = num(&k, j, "", "seconds", false, 0, 1e9, &r->seconds);
    return st;
}
