/* compose.c — a loaded run (load.h) becomes the report document (doc.h), section by
 * section in the order a person asks: what was built and is it right, the spec, the
 * data and what was done to it, the model, accuracy from float to device, the
 * confusion matrix, memory against the board, work per inference, and what each stage
 * cost. Texts here are plain; the renderers escape them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/strutil.h"
#include "report/png.h"
#include "report/report.h"
#include "spec/rundir.h"

enum { MAX_PROFILE_COLUMNS = 24, MAX_SPLIT_CLASSES = 12 };

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static double jnum(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static bool jhas_int(const json_t *o, const char *key)
{
    return json_is_integer(json_object_get(o, key));
}

static long long jint(const json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

static void set_pct(tfg_doc_cell *c, double v)
{
    c->number = true;
    if (isnan(v))
        tfg_doc_cell_set(c, "not run");
    else
        tfg_doc_cell_set(c, "%.2f %%", 100 * v);
}

static void set_count(tfg_doc_cell *c, uint64_t v)
{
    char n[32];
    tfg_fmt_count(n, sizeof n, v);
    tfg_doc_cell_set(c, "%s", n);
    c->number = true;
}

static void set_num(tfg_doc_cell *c, double v, const char *fmt)
{
    c->number = true;
    if (isnan(v))
        tfg_doc_cell_set(c, "-");
    else
        tfg_doc_cell_set(c, fmt, v);
}

/* A key-value table: two columns, the first names the row. */
static tfg_doc_block *kv_table(tfg_doc *d, const char *id, const char *caption)
{
    static const char *const head[] = {"", "", NULL};
    tfg_doc_block *t = tfg_doc_table(d, id, caption, head);
    free(t->head[0]);
    free(t->head[1]);
    t->head[0] = tfg_xstrdup("what");
    t->head[1] = tfg_xstrdup("value");
    t->row_heads = true;
    return t;
}

static tfg_doc_cell *kv(tfg_doc_block *t, const char *key)
{
    tfg_doc_cell *row = tfg_doc_row(t);
    tfg_doc_cell_set(&row[0], "%s", key);
    return &row[1];
}

static const char *not_run_list(const tfg_run *r, char *buf, size_t n)
{
    buf[0] = '\0';
    for (int s = 0; s < TFG_RUN_STAGES; s++)
        if (!r->ran[s]) {
            size_t len = strlen(buf);
            snprintf(buf + len, n - len, "%s%s", len ? ", " : "", tfg_run_stage_name(s));
        }
    return buf;
}

/* ---- the result at a glance ---- */

/* The application sketch's proof, one sentence per board it ran on. */
static void sketch_result(const tfg_run *r, tfg_doc *d)
{
    const json_t *k = r->files[TFG_RUN_SKETCHREP].j;
    if (!k)
        return;
    const tfg_sketch_result *sk = &r->sketch;
    if (strcmp(sk->result, "passed")) {
        tfg_doc_note(d, "The application sketch was rejected: %s",
                     sk->error ? sk->error : "(no reason recorded)");
        return;
    }
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(k, "checks"), i, c)
        tfg_doc_para(d, "The application sketch (%s), built by %s, ran on %s (%s): its printed "
                        "prediction equals the host int8 prediction for all %lld test samples.",
                     sk->source ? sk->source : "builtin template",
                     jstr(c, "builder") ? jstr(c, "builder") : "tinyforge",
                     jstr(c, "board") ? jstr(c, "board") : "the board",
                     jstr(c, "machine") ? jstr(c, "machine") : "emulated",
                     (long long)jint(c, "samples"));
}

static void section_result(const tfg_spec *s, const tfg_run *r, tfg_doc *d)
{
    tfg_doc_heading(d, 2, "Result");
    const char *desc = jstr(s->json, "description");
    tfg_doc_para(d, "%s: %s for the %s (%s, %s, %.0f MHz).%s%s", s->name, tfg_task_name(s->task),
                 s->board.name, s->board.mcu, s->board.core, (double)s->board.clock_hz / 1e6,
                 desc ? " " : "", desc ? desc : "");
    const bool validated = r->files[TFG_RUN_VALREP].j != NULL;
    char missing[128];
    if (validated) {
        long long n = r->validate.samples, bad = r->validate.mismatches;
        const char *emu = r->validate.emulator;
        if (bad == 0)
            tfg_doc_para(d, "Proven on the device: the firmware ran on the emulated board%s%s%s "
                            "and its prediction equals the host int8 prediction for all %lld "
                            "test samples.",
                         emu ? " (" : "", emu ? emu : "", emu ? ")" : "", n);
        else
            tfg_doc_note(d, "The device disagrees with the host int8 model on %lld of %lld test "
                            "samples. Any difference is a bug in tinyforge, never a tolerance.",
                         bad, n);
    } else {
        tfg_doc_para(d, "Not proven on a device yet. Stages not run: %s.",
                     not_run_list(r, missing, sizeof missing));
    }
    sketch_result(r, d);
    tfg_doc_block *t = kv_table(d, "key-figures", "Key figures");
    if (s->task == TFG_TASK_REGRESSION) {
        /* the device's outputs are the int8 model's byte for byte (validated above) */
        double dev = validated && r->validate.mismatches == 0 ? r->quantize.int8_mae : NAN;
        set_num(kv(t, "mean absolute error, float model (host)"), r->quantize.float_mae,
                "%.4g");
        set_num(kv(t, "mean absolute error, int8 model (host)"), r->quantize.int8_mae, "%.4g");
        set_num(kv(t, "mean absolute error on the device"), dev, "%.4g");
        set_num(kv(t, "R2, int8 model (1 is perfect, 0 the mean's)"), r->quantize.int8_r2,
                "%.3f");
    } else {
        set_pct(kv(t, "accuracy, float model (host)"), r->acc_float);
        set_pct(kv(t, "accuracy, int8 model (host)"), r->acc_int8);
        set_pct(kv(t, "accuracy on the device"), r->acc_device);
    }
    if (r->mem.source != TFG_MEM_NONE) {
        char u[32], l[32];
        tfg_fmt_count(u, sizeof u, r->mem.flash_used);
        tfg_fmt_count(l, sizeof l, r->mem.flash_limit);
        tfg_doc_cell_set(kv(t, "flash"), "%s of %s bytes", u, l);
        tfg_fmt_count(u, sizeof u, r->mem.ram_used);
        tfg_fmt_count(l, sizeof l, r->mem.ram_limit);
        tfg_doc_cell_set(kv(t, "RAM"), "%s of %s bytes", u, l);
    }
    double ms = validated ? r->validate.estimated_ms : NAN;
    if (!isnan(ms))
        tfg_doc_cell_set(kv(t, "estimated time per inference"), "%.3f ms", ms);
}

/* ---- the spec ---- */

static void section_spec(const tfg_spec *s, tfg_doc *d)
{
    tfg_doc_heading(d, 2, "The spec");
    tfg_doc_block *t = kv_table(d, "spec", NULL);
    tfg_doc_cell_set(kv(t, "name"), "%s", s->name);
    tfg_doc_cell_set(kv(t, "task"), "%s", tfg_task_name(s->task));
    tfg_doc_cell_set(kv(t, "board"), "%s (%s): %s, %s, %.0f MHz", s->board.name, s->board.id,
                     s->board.mcu, s->board.core, (double)s->board.clock_hz / 1e6);
    char f[32], r[32], bf[32], br[32];
    tfg_fmt_count(f, sizeof f, s->board.flash_bytes);
    tfg_fmt_count(r, sizeof r, s->board.ram_bytes);
    tfg_fmt_count(bf, sizeof bf, s->budget.flash_bytes);
    tfg_fmt_count(br, sizeof br, s->budget.ram_bytes);
    tfg_doc_cell_set(kv(t, "board memory"), "flash %s bytes, RAM %s bytes", f, r);
    tfg_doc_cell *b = kv(t, "budgets");
    if (s->budget.latency_ms > 0)
        tfg_doc_cell_set(b, "flash %s bytes, RAM %s bytes, latency %g ms", bf, br,
                         s->budget.latency_ms);
    else
        tfg_doc_cell_set(b, "flash %s bytes, RAM %s bytes, no latency limit", bf, br);
    tfg_buf src;
    tfg_buf_init(&src);
    for (size_t i = 0; i < s->n_sources; i++)
        tfg_buf_printf(&src, "%s%s%s%s", i ? ", " : "", s->sources[i].path,
                       s->sources[i].labels ? " + " : "",
                       s->sources[i].labels ? s->sources[i].labels : "");
    char *srcs = tfg_buf_take(&src);
    tfg_doc_cell_set(kv(t, "data"), "%s", srcs);
    free(srcs);
    tfg_doc_cell_set(kv(t, "label"), "%s", s->label ? s->label : "(none)");
    if (s->n_features) {
        tfg_buf fb;
        tfg_buf_init(&fb);
        for (size_t i = 0; i < s->n_features; i++)
            tfg_buf_printf(&fb, "%s%s", i ? ", " : "", s->features[i]);
        char *list = tfg_buf_take(&fb);
        tfg_doc_cell_set(kv(t, "features"), "%s", list);
        free(list);
    } else {
        tfg_doc_cell_set(kv(t, "features"), "every column but the label");
    }
    tfg_doc_cell_set(kv(t, "seed"), "%llu", (unsigned long long)s->seed);
    char *text = tfg_json_pretty(s->json);
    char *caption = tfg_xasprintf("The spec as read from %s", s->path);
    tfg_doc_pre(d, caption, text);
    free(caption);
    free(text);
}

/* ---- the data ---- */

static void profile_columns(const json_t *cols, tfg_doc *d)
{
    static const char *const head[] = {"column", "type", "count", "missing", "min", "max",
                                       "mean", "std", "outliers", NULL};
    tfg_doc_block *t = tfg_doc_table(d, "columns", "Columns of the raw data", head);
    t->row_heads = true;
    size_t n = json_array_size(cols);
    for (size_t i = 0; i < n && i < MAX_PROFILE_COLUMNS; i++) {
        const json_t *c = json_array_get(cols, i);
        tfg_doc_cell *row = tfg_doc_row(t);
        tfg_doc_cell_set(&row[0], "%s", jstr(c, "name"));
        tfg_doc_cell_set(&row[1], "%s", jstr(c, "type"));
        set_count(&row[2], (uint64_t)jint(c, "count"));
        set_count(&row[3], (uint64_t)jint(c, "missing"));
        static const char *const stats[] = {"min", "max", "mean", "std"};
        for (int k = 0; k < 4; k++)
            set_num(&row[4 + k], jnum(c, stats[k]), "%.4g");
        if (jhas_int(c, "outliers"))
            set_count(&row[8], (uint64_t)jint(c, "outliers"));
    }
    if (n > MAX_PROFILE_COLUMNS)
        tfg_doc_para(d, "... and %zu more columns (all of them are in data/profile.json).",
                     n - MAX_PROFILE_COLUMNS);
}

static void profile_balance(const json_t *bal, tfg_doc *d)
{
    if (!json_array_size(bal))
        return;
    static const char *const head[] = {"class", "rows", "share", NULL};
    tfg_doc_block *t = tfg_doc_table(d, "class-balance", "Class balance of the raw data", head);
    t->row_heads = true;
    for (size_t i = 0; i < json_array_size(bal); i++) {
        const json_t *c = json_array_get(bal, i);
        tfg_doc_cell *row = tfg_doc_row(t);
        tfg_doc_cell_set(&row[0], "%s", jstr(c, "class"));
        set_count(&row[1], (uint64_t)jint(c, "count"));
        set_pct(&row[2], jnum(c, "fraction"));
    }
}

static void data_splits(const tfg_run *r, const json_t *sum, tfg_doc *d)
{
    const json_t *splits = json_object_get(sum, "splits");
    if (!splits)
        return;
    bool per_class = r->n_classes && r->n_classes <= MAX_SPLIT_CLASSES;
    const char **head = tfg_xcalloc(3 + (per_class ? r->n_classes : 0), sizeof *head);
    head[0] = "split";
    head[1] = "rows";
    for (size_t k = 0; per_class && k < r->n_classes; k++)
        head[2 + k] = r->classes[k];
    tfg_doc_block *t = tfg_doc_table(d, "splits", "Splits after cleaning", head);
    free(head);
    t->row_heads = true;
    static const char *const names[] = {"train", "val", "test"};
    for (int i = 0; i < 3; i++) {
        const json_t *sp = json_object_get(splits, names[i]);
        if (!sp)
            continue;
        tfg_doc_cell *row = tfg_doc_row(t);
        tfg_doc_cell_set(&row[0], "%s", names[i]);
        set_count(&row[1], (uint64_t)jint(sp, "rows"));
        const json_t *cc = json_object_get(sp, "class_counts");
        for (size_t k = 0; per_class && k < r->n_classes && k < json_array_size(cc); k++)
            set_count(&row[2 + k], (uint64_t)json_integer_value(json_array_get(cc, k)));
    }
}

/* "apple 3, banana 1" from {"apple": 3, "banana": 1}; empty when none. */
static void by_class_text(tfg_buf *b, const json_t *by)
{
    const char *name;
    const json_t *v;
    size_t n = 0;
    json_object_foreach((json_t *)by, name, v)
        if (json_integer_value(v))
            tfg_buf_printf(b, "%s%s %lld", n++ ? ", " : "", name,
                           (long long)json_integer_value(v));
}

/* Where the split rows came from: drawn first from the raw rows; the training rows the
 * plan dropped, by class; the val/test rows set aside because their label is missing. */
static void data_accounting(const json_t *sum, tfg_doc *d)
{
    const json_t *sp = json_object_get(sum, "splits");
    const json_t *tr = json_object_get(sp, "train"), *va = json_object_get(sp, "val"),
                 *te = json_object_get(sp, "test");
    if (!json_object_get(tr, "drawn"))
        return; /* a run from before the split was drawn first */
    tfg_buf b;
    tfg_buf_init(&b);
    tfg_buf_printf(&b, "The split was drawn first, from the raw rows: train %lld, val %lld, "
                   "test %lld. The plan dropped %lld training rows",
                   jint(tr, "drawn"), jint(va, "drawn"), jint(te, "drawn"),
                   jint(tr, "dropped"));
    tfg_buf cls;
    tfg_buf_init(&cls);
    by_class_text(&cls, json_object_get(tr, "dropped_by_class"));
    if (cls.len)
        tfg_buf_printf(&b, " (%s)", cls.data);
    tfg_buf_printf(&b, " and no val or test row; rows without a label that could not be "
                   "judged: val %lld, test %lld.",
                   jint(va, "unusable_missing_label"), jint(te, "unusable_missing_label"));
    tfg_doc_para(d, "%s", b.data);
    tfg_buf_free(&cls);
    tfg_buf_free(&b);
}

/* How each source file was read (profile.json "sources": the dialect, what was
 * detected rather than given, a conversion) and the units its numbers carried. */
static void profile_sources(const json_t *sources, tfg_doc *d)
{
    for (size_t i = 0; i < json_array_size(sources); i++) {
        const json_t *src = json_array_get(sources, i);
        if (!jstr(src, "delimiter"))
            continue; /* not a CSV, or a run from before dialects */
        const char *delim = jstr(src, "delimiter"), *dec = jstr(src, "decimal");
        tfg_buf b;
        tfg_buf_init(&b);
        tfg_buf_printf(&b, "%s was read with delimiter '%s', decimal '%s', %s, %s line "
                       "ends, %s",
                       jstr(src, "path"), !strcmp(delim, "\t") ? "tab" : delim,
                       dec ? dec : ".",
                       json_is_true(json_object_get(src, "header")) ? "a header line"
                                                                  : "no header line",
                       jstr(src, "line_ends") ? jstr(src, "line_ends") : "LF",
                       jstr(src, "encoding") ? jstr(src, "encoding") : "UTF-8");
        if (jint(src, "skip_rows") > 0)
            tfg_buf_printf(&b, ", %lld line(s) before the data skipped",
                           jint(src, "skip_rows"));
        const json_t *det = json_object_get(src, "detected");
        if (json_array_size(det)) {
            tfg_buf_printf(&b, " (detected: ");
            for (size_t k = 0; k < json_array_size(det); k++)
                tfg_buf_printf(&b, "%s%s", k ? ", " : "",
                               json_string_value(json_array_get(det, k)));
            tfg_buf_printf(&b, ")");
        }
        const json_t *units = json_object_get(src, "units");
        if (json_object_size(units)) {
            tfg_buf_printf(&b, "; numbers with a unit, read as numbers:");
            const char *col;
            const json_t *u;
            size_t k = 0;
            json_object_foreach((json_t *)units, col, u)
                tfg_buf_printf(&b, "%s %s (%s)", k++ ? "," : "", col, json_string_value(u));
        }
        tfg_doc_para(d, "%s.", b.data);
        tfg_buf_free(&b);
    }
}

static void section_data(const tfg_spec *s, const tfg_run *r, tfg_doc *d)
{
    tfg_doc_heading(d, 2, "The data");
    const json_t *sum = r->files[TFG_RUN_SUMMARY].j, *prof = r->files[TFG_RUN_PROFILE].j;
    if (!sum && !prof) {
        tfg_doc_para(d, "The data stage has not run (no data/summary.json).");
        return;
    }
    if (prof) {
        tfg_doc_para(d, "The raw data: %lld rows of %lld columns, %lld of them duplicates of an "
                        "earlier row.",
                     jint(prof, "rows"), jint(prof, "columns"), jint(prof, "duplicate_rows"));
        profile_sources(json_object_get(prof, "sources"), d);
        if (s->task != TFG_TASK_REGRESSION) /* a regression label's values are no classes */
            profile_balance(json_object_get(prof, "class_balance"), d);
        profile_columns(json_object_get(prof, "columns_detail"), d);
    }
    data_splits(r, sum, d);
    data_accounting(sum, d);
}

/* ---- the plan ---- */

/* A JSON value as a person writes it: strings bare, arrays as "a, b", objects as JSON. */
static void value_text(tfg_buf *b, const json_t *v)
{
    if (json_is_string(v)) {
        tfg_buf_printf(b, "%s", json_string_value(v));
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                tfg_buf_printf(b, ", ");
            value_text(b, json_array_get(v, i));
        }
    } else {
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER |
                                    JSON_REAL_PRECISION(9));
        tfg_buf_printf(b, "%s", s ? s : "?");
        free(s);
    }
}

/* An op's or a layer's settings: every key but the skipped ones, "key: value; ...". */
static char *settings_text(const json_t *o, const char *const *skip)
{
    tfg_buf b;
    tfg_buf_init(&b);
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)o, key, v) {
        bool skipped = false;
        for (size_t i = 0; skip[i]; i++)
            skipped = skipped || !strcmp(key, skip[i]);
        if (skipped)
            continue;
        tfg_buf_printf(&b, "%s%s: ", b.len ? "; " : "", key);
        value_text(&b, v);
    }
    return tfg_buf_take(&b);
}

static const json_t *op_log(const json_t *ops, size_t index)
{
    for (size_t i = 0; i < json_array_size(ops); i++) {
        const json_t *o = json_array_get(ops, i);
        const json_t *ix = json_object_get(o, "index");
        if (json_is_integer(ix) ? (size_t)json_integer_value(ix) == index : i == index)
            return o;
    }
    return NULL;
}

static const char *origin_text(const char *origin)
{
    if (!origin)
        return "unknown";
    if (!strcmp(origin, "builtin"))
        return "builtin (tinyforge's planner wrote it from the profile)";
    if (!strcmp(origin, "edited"))
        return "edited (a person changed plan.json in the run directory)";
    if (!strcmp(origin, "spec"))
        return "spec (the plan file the spec names)";
    if (!strcmp(origin, "file"))
        return "file (given with --plan)";
    return origin;
}

static void section_plan(const tfg_run *r, tfg_doc *d)
{
    tfg_doc_heading(d, 2, "The plan that was applied");
    const json_t *plan = r->files[TFG_RUN_PLAN].j, *sum = r->files[TFG_RUN_SUMMARY].j;
    const json_t *log = json_object_get(sum, "ops");
    if (!plan && !log) {
        tfg_doc_para(d, "No plan: the data stage has not run.");
        return;
    }
    tfg_doc_para(d, "Where the plan came from: %s. The operations ran in this order.",
                 origin_text(jstr(sum, "plan_origin")));
    static const char *const head[] = {"#", "operation", "settings", "why", "what it did",
                                       "rows", NULL};
    tfg_doc_block *t = tfg_doc_table(d, "plan", NULL, head);
    const json_t *ops = plan ? json_object_get(plan, "ops") : log;
    for (size_t i = 0; i < json_array_size(ops); i++) {
        const json_t *op = json_array_get(ops, i), *done = op_log(log, i);
        tfg_doc_cell *row = tfg_doc_row(t);
        tfg_doc_cell_set(&row[0], "%zu", i + 1);
        row[0].number = true;
        tfg_doc_cell_set(&row[1], "%s", jstr(op, "op"));
        if (plan) {
            static const char *const skip[] = {"op", "why", NULL};
            char *set = settings_text(op, skip);
            tfg_doc_cell_set(&row[2], "%s", set);
            free(set);
            tfg_doc_cell_set(&row[3], "%s", jstr(op, "why") ? jstr(op, "why") : "");
        }
        tfg_doc_cell_set(&row[4], "%s", jstr(done, "did") ? jstr(done, "did") : "");
        if (jhas_int(done, "rows_before")) {
            tfg_doc_cell_set(&row[5], "%lld \xe2\x86\x92 %lld", jint(done, "rows_before"),
                             jint(done, "rows_after"));
            row[5].number = true;
        }
    }
}

/* ---- the model ---- */

/* Why training stopped (train/report.json "stop"); the bound reached while the loss
 * still fell is a warning. */
static void stop_sentence(const json_t *stop, tfg_doc *d)
{
    const char *reason = jstr(stop, "reason"), *warning = jstr(stop, "warning");
    if (!reason)
        return;
    if (!strcmp(reason, "patience"))
        tfg_doc_para(d, "Training stopped because the validation loss had not fallen for %lld "
                        "epochs (the bound was %lld).",
                     (long long)json_integer_value(json_object_get(stop, "patience")),
                     (long long)json_integer_value(json_object_get(stop, "epochs_bound")));
    if (warning)
        tfg_doc_para(d, "Warning: %s.", warning);
}

static void section_model(const tfg_run *r, tfg_doc *d)
{
    tfg_doc_heading(d, 2, "The model");
    const json_t *tr = r->files[TFG_RUN_TRAINREP].j, *arch = r->files[TFG_RUN_ARCH].j;
    const json_t *b = r->files[TFG_RUN_BUILDREP].j;
    if (!tr && !arch) {
        tfg_doc_para(d, "The train stage has not run.");
        return;
    }
    if (tr) {
        tfg_doc_para(d, "%lld parameters, %lld multiply-accumulates per inference; trained %lld "
                        "epochs, the best on validation was epoch %lld.",
                     (long long)r->train.params, (long long)r->train.macs,
                     (long long)r->train.epochs_run, (long long)r->train.best_epoch);
        stop_sentence(json_object_get(tr, "stop"), d);
    }
    if (arch) {
        static const char *const head[] = {"#", "layer", "settings", NULL};
        tfg_doc_block *t = tfg_doc_table(d, "arch", "Architecture (train/arch.json)", head);
        const json_t *layers = json_object_get(arch, "layers");
        for (size_t i = 0; i < json_array_size(layers); i++) {
            const json_t *l = json_array_get(layers, i);
            tfg_doc_cell *row = tfg_doc_row(t);
            tfg_doc_cell_set(&row[0], "%zu", i + 1);
            row[0].number = true;
            tfg_doc_cell_set(&row[1], "%s", jstr(l, "type"));
            static const char *const skip[] = {"type", "name", NULL};
            char *set = settings_text(l, skip);
            tfg_doc_cell_set(&row[2], "%s", set);
            free(set);
        }
    }
    if (b) {
        const json_t *files = json_object_get(b, "files");
        tfg_buf fb;
        tfg_buf_init(&fb);
        for (size_t i = 0; i < json_array_size(files); i++)
            tfg_buf_printf(&fb, "%s%s", i ? ", " : "", json_string_value(json_array_get(files, i)));
        char *list = tfg_buf_take(&fb);
        const char *sha = jstr(b, "model_sha256");
        tfg_doc_para(d, "Generated C (build/): %s; model SHA-256 %s.", list[0] ? list : "-",
                     sha ? sha : "not recorded");
        free(list);
    }
}

/* ---- accuracy ---- */

static void section_accuracy(const tfg_run *r, tfg_doc *d)
{
    tfg_doc_heading(d, 2, "Accuracy: float, int8, device");
    const json_t *q = r->files[TFG_RUN_QUANTREP].j, *v = r->files[TFG_RUN_VALREP].j;
    const json_t *tr = r->files[TFG_RUN_TRAINREP].j;
    static const char *const head[] = {"model", "where", "test accuracy", "about it", NULL};
    tfg_doc_block *t = tfg_doc_table(d, "accuracy", NULL, head);
    t->row_heads = true;
    tfg_doc_cell *row = tfg_doc_row(t);
    tfg_doc_cell_set(&row[0], "float");
    tfg_doc_cell_set(&row[1], "host");
    set_pct(&row[2], r->acc_float);
    if (tr && !isnan(r->train.test_loss))
        tfg_doc_cell_set(&row[3], "test loss %.4f", r->train.test_loss);
    row = tfg_doc_row(t);
    tfg_doc_cell_set(&row[0], "int8");
    tfg_doc_cell_set(&row[1], "host");
    set_pct(&row[2], r->acc_int8);
    if (q) {
        double drop = r->quantize.drop_points;
        if (isnan(drop))
            drop = 100 * (r->acc_float - r->acc_int8);
        const json_t *cal = json_object_get(q, "calibration");
        const char *method = r->quantize.calibration_method;
        tfg_buf nb;
        tfg_buf_init(&nb);
        tfg_buf_printf(&nb, "%.2f points below float", drop);
        if (r->quantize.gate_rows >= 0)
            tfg_buf_printf(&nb, "; gate on %lld test and validation rows: %lld flipped, "
                           "%lld lost, %lld gained, %s", (long long)r->quantize.gate_rows,
                           (long long)r->quantize.flipped, (long long)r->quantize.lost,
                           (long long)r->quantize.gained,
                           r->quantize.result && !strcmp(r->quantize.result, "failed")
                               ? "FAILED" : "passed");
        if (method) {
            tfg_buf_printf(&nb, "; calibrated on %lld samples, %s",
                           (long long)r->quantize.calibration_samples, method);
            if (!strcmp(method, "percentile") && !isnan(jnum(cal, "percentile")))
                tfg_buf_printf(&nb, " %g", jnum(cal, "percentile"));
        }
        char *note = tfg_buf_take(&nb);
        tfg_doc_cell_set(&row[3], "%s", note);
        free(note);
    }
    row = tfg_doc_row(t);
    tfg_doc_cell_set(&row[0], "int8");
    tfg_doc_cell_set(&row[1], "device");
    set_pct(&row[2], r->acc_device);
    if (v)
        tfg_doc_cell_set(&row[3], "%lld of %lld predictions equal the host int8 ones%s%s",
                         (long long)r->validate.matches, (long long)r->validate.samples,
                         r->validate.emulator ? "; on " : "",
                         r->validate.emulator ? r->validate.emulator : "");
}

/* Regression: errors in the label's unit instead of accuracies (nn/regress.h). */
static void section_errors(const tfg_run *r, tfg_doc *d)
{
    tfg_doc_heading(d, 2, "Errors: float, int8, device");
    const tfg_quantize_result *q = &r->quantize;
    const json_t *v = r->files[TFG_RUN_VALREP].j;
    tfg_doc_para(d, "On the test split: the mean squared error, the mean absolute error (in the "
                    "label's unit) and R2, the share of the label's variance the model "
                    "explains (1 is perfect, 0 is no better than always saying the mean).");
    static const char *const head[] = {"model", "where", "MSE", "MAE", "R2", "about it", NULL};
    tfg_doc_block *t = tfg_doc_table(d, "errors", NULL, head);
    t->row_heads = true;
    bool same = v && r->validate.mismatches == 0;
    for (int k = 0; k < 3; k++) {
        tfg_doc_cell *row = tfg_doc_row(t);
        tfg_doc_cell_set(&row[0], "%s", k ? "int8" : "float");
        tfg_doc_cell_set(&row[1], "%s", k == 2 ? "device" : "host");
        bool known = k < 2 || same;
        set_num(&row[2], known ? (k ? q->int8_mse : q->float_mse) : NAN, "%.4g");
        set_num(&row[3], known ? (k ? q->int8_mae : q->float_mae) : NAN, "%.4g");
        set_num(&row[4], known ? (k ? q->int8_r2 : q->float_r2) : NAN, "%.4f");
        if (k == 1 && q->worse >= 0)
            tfg_doc_cell_set(&row[5], "gate on %lld test and validation rows: mean absolute "
                             "error %+.1f %%, int8 worse on %lld rows and better on %lld, %s",
                             (long long)q->gate_rows, q->mae_increase_pct,
                             (long long)q->worse, (long long)q->better,
                             q->result && !strcmp(q->result, "failed") ? "FAILED" : "passed");
        if (k == 2 && v)
            tfg_doc_cell_set(&row[5], "%lld of %lld outputs equal the host int8 ones%s%s",
                             (long long)r->validate.matches, (long long)r->validate.samples,
                             r->validate.emulator ? "; on " : "",
                             r->validate.emulator ? r->validate.emulator : "");
    }
}

/* ---- confusion ---- */

static void confusion_table(const tfg_run *r, const tfg_confusion *c, tfg_doc *d)
{
    const char **head = tfg_xcalloc(c->n + 2, sizeof *head);
    head[0] = "true \\ predicted";
    for (size_t k = 0; k < c->n; k++)
        head[1 + k] = r->classes[k];
    tfg_doc_block *t = tfg_doc_table(d, "confusion", "Confusion matrix (rows: true class, "
                                                     "columns: predicted)", head);
    free(head);
    t->row_heads = true;
    uint64_t max = tfg_confusion_max(c);
    for (size_t i = 0; i < c->n; i++) {
        tfg_doc_cell *row = tfg_doc_row(t);
        tfg_doc_cell_set(&row[0], "%s", r->classes[i]);
        for (size_t j = 0; j < c->n; j++) {
            tfg_doc_cell *cell = &row[1 + j];
            set_count(cell, c->cells[i * c->n + j]);
            cell->shaded = true;
            tfg_confusion_shade(c->cells[i * c->n + j], max, i == j, cell->bg);
        }
    }
}

static void per_class_table(const tfg_run *r, const tfg_confusion *c, tfg_doc *d)
{
    tfg_class_metrics *m = tfg_xcalloc(c->n, sizeof *m);
    tfg_confusion_metrics(c, m);
    static const char *const head[] = {"class", "samples", "predicted", "correct", "precision",
                                       "recall", "F1", NULL};
    tfg_doc_block *t = tfg_doc_table(d, "per-class", "Per-class precision and recall", head);
    t->row_heads = true;
    for (size_t k = 0; k < c->n; k++) {
        tfg_doc_cell *row = tfg_doc_row(t);
        tfg_doc_cell_set(&row[0], "%s", r->classes[k]);
        set_count(&row[1], m[k].support);
        set_count(&row[2], m[k].predicted);
        set_count(&row[3], m[k].correct);
        set_num(&row[4], m[k].precision * 100, "%.2f %%");
        set_num(&row[5], m[k].recall * 100, "%.2f %%");
        set_num(&row[6], m[k].f1, "%.3f");
    }
    free(m);
}

static tfg_status section_confusion(const tfg_run *r, tfg_doc *d, tfg_err *err)
{
    tfg_doc_heading(d, 2, "Confusion matrix and per-class precision and recall");
    const char *which;
    const tfg_confusion *c = tfg_run_final_confusion(r, &which);
    if (!c) {
        tfg_doc_para(d, "No confusion matrix: %s.",
                     r->ran[TFG_RUN_TRAIN] ? "the task has no classes"
                                           : "no model was evaluated yet");
        return TFG_OK;
    }
    uint64_t total = tfg_confusion_total(c), right = tfg_confusion_correct(c);
    tfg_doc_para(d, "The predictions of %s on the %llu test samples: %llu right (on the diagonal), "
                    "%llu wrong (off it). Precision of a class: of the samples predicted as it, "
                    "the share that were it; recall: of its samples, the share predicted as it. "
                    "A dash means the share is of nothing.",
                 which, (unsigned long long)total, (unsigned long long)right,
                 (unsigned long long)(total - right));
    tfg_status st = tfg_confusion_png(c, &d->png, err);
    if (st)
        return st;
    size_t side = tfg_confusion_png_side(c->n);
    char *cap = tfg_xasprintf("Confusion matrix of %s: rows are the true class, columns the "
                              "predicted one, darker is more; blue is right, red is wrong.",
                              which);
    tfg_doc_image(d, "confusion-img", cap, tfg_artifact_file(TFG_ART_REPORT_CONFUSION), side, side);
    free(cap);
    confusion_table(r, c, d);
    per_class_table(r, c, d);
    return TFG_OK;
}

/* ---- memory ---- */

static void section_memory(const tfg_spec *s, const tfg_run *r, tfg_doc *d)
{
    tfg_doc_heading(d, 2, "Flash and RAM against the board");
    static const char *const source[] = {
        [TFG_MEM_NONE] = "",
        [TFG_MEM_TRAIN] = "the trainer's estimate (no model was built yet)",
        [TFG_MEM_BUILD] = "the generated model alone: weights in flash, arena in RAM (no firmware)",
        [TFG_MEM_FIRMWARE] = "the firmware's link map: everything the board must hold"};
    if (r->mem.source == TFG_MEM_NONE) {
        tfg_doc_para(d, "No stage has measured memory yet.");
        return;
    }
    tfg_doc_para(d, "From %s. The limits are the %s's; the mark is the spec's budget.",
                 source[r->mem.source], s->board.name);
    uint64_t fb = s->budget.flash_bytes, rb = s->budget.ram_bytes;
    tfg_doc_block *f = tfg_doc_bar(d, "Flash", r->mem.flash_used, r->mem.flash_limit, fb);
    if (r->mem.weights >= 0)
        tfg_doc_bar_part(f, "weights", (uint64_t)r->mem.weights);
    if (r->mem.code >= 0)
        tfg_doc_bar_part(f, "code", (uint64_t)r->mem.code);
    tfg_doc_block *m = tfg_doc_bar(d, "RAM", r->mem.ram_used, r->mem.ram_limit, rb);
    if (r->mem.arena >= 0)
        tfg_doc_bar_part(m, "tensor arena", (uint64_t)r->mem.arena);
    if (r->mem.flash_used > r->mem.flash_limit || r->mem.ram_used > r->mem.ram_limit)
        tfg_doc_note(d, "The model does not fit the %s.", s->board.name);
}

/* ---- work per inference ---- */

static void section_work(const tfg_spec *s, const tfg_run *r, tfg_doc *d)
{
    tfg_doc_heading(d, 2, "Work per inference");
    const json_t *v = r->files[TFG_RUN_VALREP].j, *tr = r->files[TFG_RUN_TRAINREP].j;
    tfg_doc_block *t = kv_table(d, "work", NULL);
    if (tr && r->train.macs >= 0)
        set_count(kv(t, "multiply-accumulates (from the architecture)"),
                  (uint64_t)r->train.macs);
    if (v && r->validate.work_per_inference >= 0)
        set_count(kv(t, "instructions executed on the emulated core"),
                  (uint64_t)r->validate.work_per_inference);
    else
        tfg_doc_cell_set(kv(t, "instructions executed on the emulated core"), "not run");
    if (v && r->validate.kernels)
        tfg_doc_cell_set(kv(t, "kernel variants, by operator"), "%s (chosen for %s)",
                         r->validate.kernels,
                         r->validate.kernels_core ? r->validate.kernels_core : "the host");
    double ms = v ? r->validate.estimated_ms : NAN;
    if (!isnan(ms)) {
        const char *bn = r->validate.board_name ? r->validate.board_name : s->board.name;
        tfg_doc_cell_set(kv(t, "estimated time on the board"), "%.3f ms on the %s", ms, bn);
        const char *as = r->validate.assumption;
        tfg_doc_cell_set(kv(t, "assuming"), "%s", as ? as : "(not stated by the validate stage)");
    }
    if (s->budget.latency_ms > 0) {
        tfg_doc_cell_set(kv(t, "the spec's latency budget"), "%g ms", s->budget.latency_ms);
        if (!isnan(ms) && ms > s->budget.latency_ms)
            tfg_doc_note(d, "The estimated %.3f ms per inference is over the spec's latency "
                            "budget of %g ms.",
                         ms, s->budget.latency_ms);
    }
}

/* ---- stage cost ---- */

/* "done", "not run", or "failed" for a quantize stage whose int8 gate failed (it leaves
 * its report.json, marked so, and no model). */
static const char *stage_status(const tfg_run *r, int s)
{
    if (!r->ran[s])
        return "not run";
    if (s == TFG_RUN_QUANT && r->quantize.result && !strcmp(r->quantize.result, "failed"))
        return "failed";
    return "done";
}

static void section_cost(const tfg_run *r, tfg_doc *d)
{
    tfg_doc_heading(d, 2, "What each stage cost");
    static const char *const head[] = {"stage", "status", "seconds", NULL};
    tfg_doc_block *t = tfg_doc_table(d, "stages", NULL, head);
    t->row_heads = true;
    double total = 0;
    for (int s = 0; s < TFG_RUN_STAGES; s++) {
        tfg_doc_cell *row = tfg_doc_row(t);
        tfg_doc_cell_set(&row[0], "%s", tfg_run_stage_name(s));
        tfg_doc_cell_set(&row[1], "%s", stage_status(r, s));
        row[2].number = true;
        if (r->ran[s] && isnan(r->seconds[s]))
            tfg_doc_cell_set(&row[2], "not recorded");
        else if (r->ran[s])
            set_num(&row[2], r->seconds[s], "%.3f");
        if (r->ran[s] && !isnan(r->seconds[s]))
            total += r->seconds[s];
    }
    tfg_doc_cell *row = tfg_doc_row(t);
    tfg_doc_cell_set(&row[0], "total");
    set_num(&row[2], total, "%.3f");
    tfg_doc_para(d, "Seconds are what each stage reported for its own work on the machine that "
                    "ran it (the train stage: the training loop).");
}

tfg_status tfg_report_compose(const tfg_spec *s, const tfg_run *run, tfg_doc *d, tfg_err *err)
{
    char *title = tfg_xasprintf("tinyforge report: %s", s->name);
    tfg_doc_init(d, title);
    free(title);
    section_result(s, run, d);
    section_spec(s, d);
    section_data(s, run, d);
    section_plan(run, d);
    section_model(run, d);
    if (s->task == TFG_TASK_REGRESSION)
        section_errors(run, d);
    else
        section_accuracy(run, d);
    tfg_status st = section_confusion(run, d, err);
    if (st) {
        tfg_doc_free(d);
        return st;
    }
    section_memory(s, run, d);
    section_work(s, run, d);
    section_cost(run, d);
    return TFG_OK;
}

static json_t *num_or_null(double v)
{
    return isnan(v) ? json_null() : json_real(v);
}

json_t *tfg_report_summary(const tfg_run *run)
{
    json_t *stages = json_object();
    for (int s = 0; s < TFG_RUN_STAGES; s++)
        json_object_set_new(stages, tfg_run_stage_name(s),
                            json_string(stage_status(run, s)));
    return json_pack("{s:o, s:o, s:o, s:o}", "stages", stages, "float_accuracy",
                     num_or_null(run->acc_float), "int8_accuracy", num_or_null(run->acc_int8),
                     "device_accuracy", num_or_null(run->acc_device));
}
