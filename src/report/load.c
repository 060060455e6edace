/* load.c — loads a run directory's artifacts and checks every field the report reads
 * (load.h). The checks are written per file, in the order the file documents its
 * fields, so a reader can hold one next to the other. */
#include "report/load.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/io.h"
#include "core/json.h"
#include "spec/rundir.h"

static const tfg_stage_id stages[TFG_RUN_STAGES] = {
    TFG_STAGE_DATA, TFG_STAGE_TRAIN, TFG_STAGE_QUANTIZE, TFG_STAGE_BUILD, TFG_STAGE_VALIDATE,
    TFG_STAGE_SKETCH};

static const tfg_artifact file_table[TFG_RUN_FILES] = {
    TFG_ART_DATA_SUMMARY,    TFG_ART_DATA_PROFILE,  TFG_ART_DATA_PLAN,
    TFG_ART_TRAIN_REPORT,    TFG_ART_TRAIN_ARCH,    TFG_ART_QUANTIZE_REPORT,
    TFG_ART_BUILD_REPORT,    TFG_ART_VALIDATE_REPORT, TFG_ART_SKETCH_REPORT};

const char *tfg_run_stage_name(tfg_run_stage s)
{
    return s < TFG_RUN_STAGES ? tfg_stage_name(stages[s]) : "?";
}

/* ---- small field checks: each returns TFG_OK for a missing optional field ---- */

typedef struct {
    const char *file;
    tfg_err *err;
} chk;

static tfg_status num(const chk *k, const json_t *o, const char *parent, const char *key,
                      bool req, double min, double max)
{
    tfg_jctx c = {k->file, parent};
    double v;
    return tfg_jget_num(o, key, req, min, max, &v, &c, k->err);
}

static tfg_status count(const chk *k, const json_t *o, const char *parent, const char *key,
                        bool req)
{
    tfg_jctx c = {k->file, parent};
    int64_t v;
    return tfg_jget_int(o, key, req, 0, INT64_MAX, &v, &c, k->err);
}

static tfg_status str(const chk *k, const json_t *o, const char *parent, const char *key,
                      bool req)
{
    tfg_jctx c = {k->file, parent};
    const char *v;
    return tfg_jget_str(o, key, req, &v, &c, k->err);
}

static tfg_status strv(const chk *k, const json_t *o, const char *parent, const char *key,
                       bool req)
{
    const json_t *v = json_object_get(o, key);
    char path[256];
    tfg_jpath_key(path, sizeof path, parent, key);
    if (!v || json_is_null(v))
        return req ? tfg_err_field(k->err, TFG_EINPUT, k->file, path, "required field is missing")
                   : TFG_OK;
    if (!json_is_array(v))
        return tfg_err_field(k->err, TFG_EINPUT, k->file, path,
                             "expected an array of strings, got %s", tfg_json_type_name(v));
    for (size_t i = 0; i < json_array_size(v); i++)
        if (!json_is_string(json_array_get(v, i))) {
            char ip[300];
            tfg_jpath_index(ip, sizeof ip, path, i);
            return tfg_err_field(k->err, TFG_EINPUT, k->file, ip, "expected a string, got %s",
                                 tfg_json_type_name(json_array_get(v, i)));
        }
    return TFG_OK;
}

/* obj[key] must be of type t (object or array) when present. */
static tfg_status shape(const chk *k, const json_t *o, const char *parent, const char *key,
                        bool req, json_type t)
{
    const json_t *v = json_object_get(o, key);
    char path[256];
    tfg_jpath_key(path, sizeof path, parent, key);
    if (!v || json_is_null(v))
        return req ? tfg_err_field(k->err, TFG_EINPUT, k->file, path, "required field is missing")
                   : TFG_OK;
    if (json_typeof(v) != t)
        return tfg_err_field(k->err, TFG_EINPUT, k->file, path, "expected %s, got %s",
                             t == JSON_OBJECT ? "an object" : "an array", tfg_json_type_name(v));
    return TFG_OK;
}

typedef tfg_status (*item_check)(const chk *k, const json_t *item, const char *path);

/* obj[key], when present, is an array of objects each passing check. */
static tfg_status each(const chk *k, const json_t *o, const char *parent, const char *key,
                       item_check check)
{
    tfg_status st = shape(k, o, parent, key, false, JSON_ARRAY);
    const json_t *a = json_object_get(o, key);
    char path[256];
    tfg_jpath_key(path, sizeof path, parent, key);
    for (size_t i = 0; !st && json_is_array(a) && i < json_array_size(a); i++) {
        char ip[300];
        tfg_jpath_index(ip, sizeof ip, path, i);
        const json_t *item = json_array_get(a, i);
        if (!json_is_object(item))
            return tfg_err_field(k->err, TFG_EINPUT, k->file, ip, "expected an object, got %s",
                                 tfg_json_type_name(item));
        st = check(k, item, ip);
    }
    return st;
}

/* ---- data/ ---- */

static tfg_status check_source(const chk *k, const json_t *o, const char *p)
{
    return str(k, o, p, "path", true);
}

static tfg_status check_op_log(const chk *k, const json_t *o, const char *p)
{
    tfg_status st = str(k, o, p, "op", true);
    if (!st) st = count(k, o, p, "rows_before", false);
    if (!st) st = count(k, o, p, "rows_after", false);
    if (!st) st = str(k, o, p, "did", false);
    return st;
}

static tfg_status check_split(const chk *k, const json_t *splits, const char *name)
{
    char p[64];
    tfg_jpath_key(p, sizeof p, "splits", name);
    tfg_status st = shape(k, splits, "splits", name, false, JSON_OBJECT);
    const json_t *s = json_object_get(splits, name);
    if (!st && json_is_object(s)) st = count(k, s, p, "rows", true);
    if (!st && json_is_object(s)) st = shape(k, s, p, "class_counts", false, JSON_ARRAY);
    const json_t *cc = json_object_get(s, "class_counts");
    for (size_t i = 0; !st && i < json_array_size(cc); i++) {
        const json_t *v = json_array_get(cc, i);
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            st = tfg_err_field(k->err, TFG_EINPUT, k->file, p,
                               "class_counts[%zu]: expected a count", i);
    }
    return st;
}

static tfg_status check_summary(const chk *k, const json_t *j, tfg_run *r)
{
    tfg_status st = str(k, j, "", "name", false);
    if (!st) st = each(k, j, "", "sources", check_source);
    if (!st) st = count(k, j, "", "rows_loaded", false);
    if (!st) st = count(k, j, "", "columns_loaded", false);
    if (!st) st = str(k, j, "", "plan_origin", false);
    if (!st) st = str(k, j, "", "plan_file", false);
    if (!st) st = strv(k, j, "", "classes", false);
    if (!st) st = strv(k, j, "", "features", false);
    if (!st) st = shape(k, j, "", "splits", false, JSON_OBJECT);
    static const char *const splits[] = {"train", "val", "test"};
    for (int i = 0; !st && i < 3 && json_object_get(j, "splits"); i++)
        st = check_split(k, json_object_get(j, "splits"), splits[i]);
    if (!st) st = each(k, j, "", "ops", check_op_log);
    if (!st) st = num(k, j, "", "seconds", false, 0, 1e9);
    return st;
}

static tfg_status check_balance(const chk *k, const json_t *o, const char *p)
{
    tfg_status st = str(k, o, p, "class", true);
    if (!st) st = count(k, o, p, "count", true);
    if (!st) st = num(k, o, p, "fraction", false, 0, 1);
    return st;
}

static tfg_status check_column(const chk *k, const json_t *o, const char *p)
{
    tfg_status st = str(k, o, p, "name", true);
    if (!st) st = str(k, o, p, "type", true);
    if (!st) st = count(k, o, p, "count", false);
    if (!st) st = count(k, o, p, "missing", false);
    if (!st) st = count(k, o, p, "distinct", false);
    static const char *const stats[] = {"min", "max", "mean", "std", NULL};
    for (int i = 0; !st && stats[i]; i++)
        st = num(k, o, p, stats[i], false, -HUGE_VAL, HUGE_VAL);
    if (!st) st = count(k, o, p, "outliers", false);
    return st;
}

static tfg_status check_profile(const chk *k, const json_t *j, tfg_run *r)
{
    tfg_status st = count(k, j, "", "rows", false);
    if (!st) st = count(k, j, "", "columns", false);
    if (!st) st = count(k, j, "", "duplicate_rows", false);
    if (!st) st = each(k, j, "", "class_balance", check_balance);
    if (!st) st = each(k, j, "", "columns_detail", check_column);
    return st;
}

static tfg_status check_plan_op(const chk *k, const json_t *o, const char *p)
{
    tfg_status st = str(k, o, p, "op", true);
    if (!st) st = str(k, o, p, "why", false);
    return st;
}

static tfg_status check_plan(const chk *k, const json_t *j, tfg_run *r)
{
    tfg_status st = shape(k, j, "", "ops", true, JSON_ARRAY);
    if (!st) st = each(k, j, "", "ops", check_plan_op);
    return st;
}

/* ---- train/ ---- */

static tfg_status check_layer(const chk *k, const json_t *o, const char *p)
{
    return str(k, o, p, "type", true);
}

static tfg_status check_arch(const chk *k, const json_t *j, tfg_run *r)
{
    tfg_status st = shape(k, j, "", "layers", true, JSON_ARRAY);
    if (!st) st = each(k, j, "", "layers", check_layer);
    return st;
}

static tfg_status check_train(const chk *k, const json_t *j, tfg_run *r)
{
    tfg_status st = tfg_train_result_read(j, k->file, &r->train, k->err);
    return st ? st : strv(k, j, "", "classes", false);
}
/* ---- quantize/, build/, validate/ (the contract in docs/report.md) ---- */

static tfg_status check_quant(const chk *k, const json_t *j, tfg_run *r)
{
    tfg_status st = tfg_quantize_result_read(j, k->file, &r->quantize, k->err);
    return st ? st : strv(k, j, "", "class_names", false);
}

static tfg_status check_build(const chk *k, const json_t *j, tfg_run *r)
{
    tfg_status st = tfg_build_result_read(j, k->file, &r->build, k->err);
    if (!st) st = str(k, j, "", "model_sha256", false);
    if (!st) st = strv(k, j, "", "files", false);
    return st;
}

static tfg_status check_validate(const chk *k, const json_t *j, tfg_run *r)
{
    tfg_status st = tfg_validate_result_read(j, k->file, &r->validate, k->err);
    const json_t *b = json_object_get(j, "board");
    static const char *const bnum[] = {"clock_hz", "flash_bytes", "ram_bytes", NULL};
    for (int i = 0; !st && json_is_object(b) && bnum[i]; i++)
        st = count(k, b, "board", bnum[i], false);
    return st;
}

/* ---- sketch/ ---- */

static tfg_status check_sketch_run(const chk *k, const json_t *o, const char *p)
{
    static const char *const s[] = {"board", "machine", "builder", NULL};
    tfg_status st = TFG_OK;
    for (int i = 0; !st && s[i]; i++)
        st = str(k, o, p, s[i], false);
    return st ? st : count(k, o, p, "samples", false);
}

static tfg_status check_sketch(const chk *k, const json_t *j, tfg_run *r)
{
    tfg_status st = tfg_sketch_result_read(j, k->file, &r->sketch, k->err);
    return st ? st : each(k, j, "", "checks", check_sketch_run);
}

typedef tfg_status (*file_check)(const chk *k, const json_t *j, tfg_run *r);

static const file_check file_checks[TFG_RUN_FILES] = {
    check_summary, check_profile, check_plan,     check_train, check_arch,
    check_quant,   check_build,   check_validate, check_sketch};

/* ---- loading ---- */

static tfg_status load_one(tfg_run *r, tfg_run_file_id id, const char *out, tfg_err *err)
{
    tfg_run_file *f = &r->files[id];
    f->path = tfg_rundir_path(out, file_table[id]);
    f->j = NULL;
    if (!tfg_exists(f->path))
        return TFG_OK;
    json_t *j;
    tfg_status st = tfg_json_load_file(f->path, &j, err);
    if (st)
        return st;
    if (!json_is_object(j)) {
        st = tfg_err_set(err, TFG_EINPUT, "%s: expected a JSON object, got %s", f->path,
                         tfg_json_type_name(j));
        json_decref(j);
        return st;
    }
    f->j = j;
    chk k = {f->path, err};
    return file_checks[id](&k, j, r);
}

/* The n x n matrix at obj[key] (absent: cm->n stays 0). */
static tfg_status read_matrix(const tfg_run_file *f, const char *key, size_t n,
                              tfg_confusion *cm, tfg_err *err)
{
    const json_t *m = json_object_get(f->j, key);
    if (!m || json_is_null(m))
        return TFG_OK;
    if (!json_is_array(m))
        return tfg_err_field(err, TFG_EINPUT, f->path, key,
                             "expected an array of rows (one per true class), got %s",
                             tfg_json_type_name(m));
    if (json_array_size(m) != n)
        return tfg_err_field(err, TFG_EINPUT, f->path, key,
                             "has %zu rows; expected %zu, one per class", json_array_size(m), n);
    tfg_confusion_init(cm, n);
    for (size_t i = 0; i < n; i++) {
        const json_t *row = json_array_get(m, i);
        char p[128];
        tfg_jpath_index(p, sizeof p, key, i);
        if (!json_is_array(row) || json_array_size(row) != n) {
            tfg_confusion_free(cm);
            return tfg_err_field(err, TFG_EINPUT, f->path, p,
                                 "expected an array of %zu counts (one per predicted class)", n);
        }
        for (size_t j = 0; j < n; j++) {
            const json_t *v = json_array_get(row, j);
            if (!json_is_integer(v) || json_integer_value(v) < 0) {
                tfg_confusion_free(cm);
                return tfg_err_field(err, TFG_EINPUT, f->path, p,
                                     "[%zu]: expected a count (an integer >= 0), got %s", j,
                                     tfg_json_type_name(v));
            }
            cm->cells[i * n + j] = (uint64_t)json_integer_value(v);
        }
    }
    return TFG_OK;
}

/* Class names: the quantizer's (it evaluated last on the host), else the data stage's,
 * else the trainer's; without any, the rows of the first matrix found are numbered. */
static void pick_classes(tfg_run *r)
{
    const json_t *sources[] = {
        json_object_get(r->files[TFG_RUN_QUANTREP].j, "class_names"),
        json_object_get(r->files[TFG_RUN_SUMMARY].j, "classes"),
        json_object_get(r->files[TFG_RUN_TRAINREP].j, "classes")};
    const json_t *names = NULL;
    for (int i = 0; i < 3 && !names; i++)
        if (json_array_size(sources[i]))
            names = sources[i];
    if (names) {
        r->n_classes = json_array_size(names);
        r->classes = tfg_xcalloc(r->n_classes + 1, sizeof *r->classes);
        for (size_t i = 0; i < r->n_classes; i++)
            r->classes[i] = tfg_xstrdup(json_string_value(json_array_get(names, i)));
        return;
    }
    const json_t *mats[] = {json_object_get(r->files[TFG_RUN_VALREP].j, "confusion"),
                            json_object_get(r->files[TFG_RUN_QUANTREP].j, "confusion_int8"),
                            json_object_get(r->files[TFG_RUN_TRAINREP].j, "confusion")};
    for (int i = 0; i < 3 && !r->n_classes; i++)
        r->n_classes = json_array_size(mats[i]);
    r->classes = tfg_xcalloc(r->n_classes + 1, sizeof *r->classes);
    for (size_t i = 0; i < r->n_classes; i++)
        r->classes[i] = tfg_xasprintf("%zu", i);
}

static double num_or_nan(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static tfg_status read_matrices(tfg_run *r, tfg_err *err)
{
    const tfg_run_file *q = &r->files[TFG_RUN_QUANTREP], *t = &r->files[TFG_RUN_TRAINREP];
    size_t n = r->n_classes;
    tfg_status st = TFG_OK;
    if (q->j) {
        st = read_matrix(q, "confusion_float", n, &r->cm_float, err);
        if (!st) st = read_matrix(q, "confusion_int8", n, &r->cm_int8, err);
    }
    if (!st && t->j && !r->cm_float.n)
        st = read_matrix(t, "confusion", n, &r->cm_float, err);
    if (!st && r->files[TFG_RUN_VALREP].j)
        st = read_matrix(&r->files[TFG_RUN_VALREP], "confusion", n, &r->cm_device, err);
    return st;
}

static uint64_t u64(const json_t *o, const char *key)
{
    return (uint64_t)json_integer_value(json_object_get(o, key));
}

static int64_t part(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

static void read_memory(tfg_run *r, uint64_t board_flash, uint64_t board_ram)
{
    const json_t *v = r->files[TFG_RUN_VALREP].j, *b = r->files[TFG_RUN_BUILDREP].j;
    const json_t *e = json_object_get(r->files[TFG_RUN_TRAINREP].j, "estimate");
    const json_t *vb = json_object_get(v, "board");
    r->mem.flash_limit = json_is_integer(json_object_get(vb, "flash_bytes"))
                             ? u64(vb, "flash_bytes") : board_flash;
    r->mem.ram_limit = json_is_integer(json_object_get(vb, "ram_bytes"))
                           ? u64(vb, "ram_bytes") : board_ram;
    r->mem.weights = r->mem.code = r->mem.arena = -1;
    const json_t *fl = json_object_get(v, "flash"), *ram = json_object_get(v, "ram");
    if (fl && ram) {
        r->mem.source = TFG_MEM_FIRMWARE;
        r->mem.flash_used = u64(fl, "used");
        r->mem.flash_limit = u64(fl, "limit");
        r->mem.ram_used = u64(ram, "used");
        r->mem.ram_limit = u64(ram, "limit");
        r->mem.weights = part(fl, "weights");
        r->mem.code = part(fl, "code");
        r->mem.arena = part(fl, "arena") >= 0 ? part(fl, "arena") : part(ram, "arena");
    } else if (b) {
        r->mem.source = TFG_MEM_BUILD;
        r->mem.flash_used = u64(b, "flash_bytes");
        r->mem.ram_used = u64(b, "arena_bytes");
        r->mem.arena = (int64_t)r->mem.ram_used;
    } else if (e) {
        r->mem.source = TFG_MEM_TRAIN;
        r->mem.flash_used = u64(e, "flash_bytes");
        r->mem.ram_used = u64(e, "ram_bytes");
    }
}

tfg_status tfg_run_load(const char *out, uint64_t board_flash, uint64_t board_ram, tfg_run *r,
                        tfg_err *err)
{
    memset(r, 0, sizeof *r);
    tfg_status st = TFG_OK;
    for (int i = 0; i < TFG_RUN_FILES; i++) {
        tfg_status s1 = load_one(r, (tfg_run_file_id)i, out, st ? NULL : err);
        if (!st)
            st = s1;
    }
    if (st)
        return st;
    static const tfg_run_file_id stage_report[TFG_RUN_STAGES] = {
        TFG_RUN_SUMMARY,  TFG_RUN_TRAINREP, TFG_RUN_QUANTREP,
        TFG_RUN_BUILDREP, TFG_RUN_VALREP,   TFG_RUN_SKETCHREP};
    for (int s = 0; s < TFG_RUN_STAGES; s++) {
        const json_t *j = r->files[stage_report[s]].j;
        r->ran[s] = j != NULL;
        r->seconds[s] = num_or_nan(j, "seconds");
    }
    r->acc_float = r->files[TFG_RUN_QUANTREP].j ? r->quantize.float_accuracy : NAN;
    if (isnan(r->acc_float) && r->files[TFG_RUN_TRAINREP].j)
        r->acc_float = r->train.test_accuracy;
    r->acc_int8 = r->files[TFG_RUN_QUANTREP].j ? r->quantize.int8_accuracy : NAN;
    r->acc_device = r->files[TFG_RUN_VALREP].j ? r->validate.device_accuracy : NAN;
    pick_classes(r);
    st = read_matrices(r, err);
    if (!st)
        read_memory(r, board_flash, board_ram);
    return st;
}

void tfg_run_free(tfg_run *r)
{
    for (int i = 0; i < TFG_RUN_FILES; i++) {
        free(r->files[i].path);
        json_decref(r->files[i].j);
    }
    if (r->classes)
        for (size_t i = 0; i < r->n_classes; i++)
            free(r->classes[i]);
    free(r->classes);
    tfg_confusion_free(&r->cm_float);
    tfg_confusion_free(&r->cm_int8);
    tfg_confusion_free(&r->cm_device);
    memset(r, 0, sizeof *r);
}

const tfg_confusion *tfg_run_final_confusion(const tfg_run *r, const char **which)
{
    const tfg_confusion *c = r->cm_device.n ? &r->cm_device
                             : r->cm_int8.n ? &r->cm_int8
                             : r->cm_float.n ? &r->cm_float : NULL;
    if (which)
        *which = c == &r->cm_device ? "the int8 model on the device"
                 : c == &r->cm_int8 ? "the int8 model on the host"
                                    : "the float model on the host";
    return c;
}
