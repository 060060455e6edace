/* stage_spec.c — the spec stage: a spec JSON from a request in plain words and a CSV.
 *
 * Context: the request, the data file, its columns (name, type, a few levels), the
 * board table, and under the llm_data policy the data's profile or a few rows.
 * Builtin: a rule-based writer (task words, the column whose values or name the
 * request mentions, a board the request names). Validator: the spec schema
 * (tfg_spec_from_json: board known, budgets within the board), the data file is the
 * one given (anything else is a host path the user did not offer: unsafe), the files
 * exist, the label and feature columns exist, and a classification label holds
 * classes. The accepted spec is written to opts.spec_out. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/io.h"
#include "core/json.h"
#include "core/strutil.h"
#include "data/csv.h"
#include "data/profile.h"
#include "data/stage.h"
#include "pilot/internal.h"

typedef struct {
    char *data_abs;  /* realpath of the data file */
    bool header;
    tfg_table t;
} spec_state;

static bool is_number(const char *s)
{
    char *end;
    if (!*s)
        return false;
    strtod(s, &end);
    return *end == '\0';
}

/* A CSV whose first record is all numbers (or repeats a name) has no header. */
static tfg_status read_csv(spec_state *st, tfg_err *err)
{
    tfg_csv_opts o;
    tfg_csv_opts_default(&o);
    tfg_err first;
    bool all_numbers = true;
    if (tfg_csv_read(st->data_abs, &o, &st->t, &first) == TFG_OK) {
        all_numbers = st->t.n_cols > 0;
        for (size_t i = 0; i < st->t.n_cols && all_numbers; i++)
            all_numbers = is_number(st->t.cols[i].name);
        if (!all_numbers) {
            st->header = true;
            return TFG_OK;
        }
    }
    tfg_table_free(&st->t);
    o.header = false;
    st->header = false;
    tfg_status s = tfg_csv_read(st->data_abs, &o, &st->t, err);
    if (s && !all_numbers)
        *err = first;
    return s;
}

static char *columns_text(const tfg_table *t)
{
    tfg_buf b;
    tfg_buf_init(&b);
    for (size_t i = 0; i < t->n_cols; i++) {
        const tfg_column *c = &t->cols[i];
        tfg_buf_printf(&b, "- %s: %s", c->name, c->type == TFG_COL_NUM ? "number" : "category");
        if (c->type == TFG_COL_CAT) {
            tfg_buf_printf(&b, " (%zu levels:", c->n_levels);
            for (size_t k = 0; k < c->n_levels && k < 8; k++)
                tfg_buf_printf(&b, " %s%s", c->levels[k], k + 1 < c->n_levels ? "," : "");
            tfg_buf_printf(&b, "%s)", c->n_levels > 8 ? " ..." : "");
        }
        tfg_buf_putc(&b, '\n');
    }
    return tfg_buf_take(&b);
}

static char *rows_text(const tfg_table *t, size_t n)
{
    tfg_buf b;
    tfg_buf_init(&b);
    for (size_t r = 0; r < n && r < t->n_rows; r++) {
        for (size_t i = 0; i < t->n_cols; i++) {
            const tfg_column *c = &t->cols[i];
            if (i)
                tfg_buf_putc(&b, ',');
            if (tfg_col_is_missing(c, r))
                continue;
            if (c->type == TFG_COL_NUM)
                tfg_buf_printf(&b, "%.6g", c->num[r]);
            else
                tfg_buf_printf(&b, "%s", c->levels[c->cat[r]]);
        }
        tfg_buf_putc(&b, '\n');
    }
    return tfg_buf_take(&b);
}

static char *boards_text(const tfg_boards *bs)
{
    tfg_buf b;
    tfg_buf_init(&b);
    for (size_t i = 0; i < bs->n; i++)
        tfg_buf_printf(&b, "- %s: %s (%s, %llu bytes flash, %llu bytes RAM)\n", bs->items[i].id,
                       bs->items[i].name, bs->items[i].mcu,
                       (unsigned long long)bs->items[i].flash_bytes,
                       (unsigned long long)bs->items[i].ram_bytes);
    return tfg_buf_take(&b);
}

static tfg_status prepare(tfg_pilot *p, void **state, json_t *ctx, json_t *sent, tfg_err *err)
{
    const tfg_pilot_opts *o = tfg_pilot_options(p);
    if (!o->request || !o->data_file || !o->spec_out || !o->boards)
        return tfg_err_set(err, TFG_EUSAGE,
                           "the spec stage needs a request, a data file and where to write");
    spec_state *st = tfg_xcalloc(1, sizeof *st);
    *state = st;
    char abs[PATH_MAX];
    if (!realpath(o->data_file, abs))
        return tfg_err_set(err, TFG_EINPUT, "%s: data file not found", o->data_file);
    st->data_abs = tfg_xstrdup(abs);
    tfg_status s = read_csv(st, err);
    if (s)
        return tfg_err_prefix(err, "the spec stage reads a CSV file (write a spec for image "
                                   "sets by hand)");
    tfg_pilot_ctx_set(ctx, "request", "%s", o->request);
    tfg_pilot_ctx_set(ctx, "data_file", "%s", st->data_abs);
    tfg_pilot_ctx_set(ctx, "header", "%s", st->header ? "true" : "false");
    char *cols = columns_text(&st->t);
    tfg_pilot_ctx_set(ctx, "columns", "%s", cols);
    free(cols);
    char *bt = boards_text(o->boards);
    tfg_pilot_ctx_set(ctx, "boards", "%s", bt);
    free(bt);
    json_array_append_new(sent, json_string("columns"));
    tfg_pilot_ctx_set(ctx, "profile", "(not sent: llm_data is none)");
    tfg_pilot_ctx_set(ctx, "sample_rows", "(not sent: llm_data is %s)",
                      tfg_llm_data_name(o->policy->llm_data));
    if (o->policy->llm_data >= TFG_LLM_DATA_PROFILE) {
        tfg_profile pr;
        if (tfg_profile_compute(&st->t, NULL, &pr, err) == TFG_OK) {
            json_t *pj = tfg_profile_to_json(&pr);
            char *text = tfg_pilot_json_text(pj, 12000);
            tfg_pilot_ctx_set(ctx, "profile", "%s", text);
            free(text);
            json_decref(pj);
            tfg_profile_free(&pr);
            json_array_append_new(sent, json_string("profile"));
        }
    }
    if (o->policy->llm_data == TFG_LLM_DATA_SAMPLE_ROWS) {
        char *rows = rows_text(&st->t, 5);
        tfg_pilot_ctx_set(ctx, "sample_rows", "%s", rows);
        free(rows);
        json_array_append_new(sent, json_string("sample_rows"));
    }
    return TFG_OK;
}

static void done(void *state)
{
    spec_state *st = state;
    if (!st)
        return;
    free(st->data_abs);
    tfg_table_free(&st->t);
    free(st);
}

/* ---- the builtin writer -------------------------------------------------------------- */

/* Lower case, with '_' and '-' as spaces, padded with spaces for whole-word search. */
static char *norm(const char *s)
{
    char *n = tfg_xasprintf(" %s ", s);
    for (char *q = n; *q; q++) {
        *q = (char)tolower((unsigned char)*q);
        if (*q == '_' || *q == '-' || ispunct((unsigned char)*q))
            *q = ' ';
    }
    return n;
}

static bool mentions(const char *nreq, const char *word)
{
    char *w = norm(word);
    bool yes = strlen(w) > 2 && strstr(nreq, w) != NULL;
    free(w);
    return yes;
}

static bool has(const char *nreq, const char *const *words)
{
    for (size_t i = 0; words[i]; i++)
        if (strstr(nreq, words[i]))
            return true;
    return false;
}

static int pick_label(const tfg_table *t, const char *nreq, tfg_task task)
{
    static const char *const usual[] = {"label", "class", "target", "y", "category",
                                        "activity", "gesture", "anomaly", NULL};
    int best = -1, best_score = -1;
    for (size_t i = 0; i < t->n_cols; i++) {
        const tfg_column *c = &t->cols[i];
        int score = 0, hits = 0;
        for (size_t k = 0; c->type == TFG_COL_CAT && k < c->n_levels; k++)
            hits += mentions(nreq, c->levels[k]);
        if (hits >= 2)
            score += 3;
        if (mentions(nreq, c->name))
            score += 2;
        for (size_t k = 0; usual[k]; k++)
            if (tfg_name_eq(c->name, usual[k]))
                score += 1;
        if (task == TFG_TASK_REGRESSION && c->type == TFG_COL_CAT)
            score -= 4;
        if (score >= best_score) /* ties: the later column (labels come last) */
            best = (int)i, best_score = score;
    }
    return best;
}

static const tfg_board *pick_board(const tfg_boards *bs, const char *nreq)
{
    const tfg_board *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < bs->n; i++) {
        const tfg_board *b = &bs->items[i];
        const char *names[64] = {b->id, b->name};
        size_t n = 2;
        for (size_t k = 0; b->aliases && b->aliases[k] && n < 63; k++)
            names[n++] = b->aliases[k];
        for (size_t k = 0; k < n; k++)
            if (mentions(nreq, names[k]) && strlen(names[k]) > best_len)
                best = b, best_len = strlen(names[k]);
    }
    if (!best)
        best = tfg_boards_find(bs, "arduino_nano_33_ble_sense");
    return best ? best : (bs->n ? &bs->items[0] : NULL);
}

static char *app_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char *n = tfg_xstrdup(base);
    char *dot = strchr(n, '.');
    if (dot)
        *dot = '\0';
    for (char *q = n; *q; q++)
        if (!isalnum((unsigned char)*q) && *q != '_' && *q != '-')
            *q = '_';
    if (!isalpha((unsigned char)n[0]) || strlen(n) > 64) {
        free(n);
        n = tfg_xstrdup("app");
    }
    return n;
}

static tfg_status builtin(tfg_pilot *p, void *state, char **reply, tfg_err *err)
{
    static const char *const regress[] = {" regress", " estimate ", " predict the value",
                                          " how much ", " how many ", NULL};
    static const char *const anomaly[] = {" anomal", " unusual ", " abnormal ", " fault", NULL};
    const tfg_pilot_opts *o = tfg_pilot_options(p);
    spec_state *st = state;
    char *nreq = norm(o->request);
    tfg_task task = has(nreq, anomaly)   ? TFG_TASK_ANOMALY
                    : has(nreq, regress) ? TFG_TASK_REGRESSION
                                         : TFG_TASK_CLASSIFICATION;
    int label = pick_label(&st->t, nreq, task);
    const tfg_board *b = pick_board(o->boards, nreq);
    free(nreq);
    if (label < 0 || !b)
        return tfg_err_set(err, TFG_EINPUT, "builtin spec writer: no columns or no boards");
    char *name = app_name(st->data_abs);
    json_t *src = json_pack("{s:s}", "path", st->data_abs);
    if (!st->header)
        json_object_set_new(src, "header", json_false());
    json_t *j = json_pack("{s:s, s:s, s:s, s:{s:[o], s:s}, s:s, s:i}", "name", name,
                          "description", o->request, "task", tfg_task_name(task), "data",
                          "sources", src, "label", st->t.cols[label].name, "board", b->id,
                          "seed", 42);
    free(name);
    *reply = tfg_json_pretty(j);
    json_decref(j);
    return TFG_OK;
}

/* ---- the validator ------------------------------------------------------------------- */

static bool host_path(const char *path)
{
    static const char *const roots[] = {"/etc/", "/proc/", "/sys/", "/dev/", "/root/", "/boot/",
                                        "/var/", "/home/", "~", NULL};
    for (size_t i = 0; roots[i]; i++)
        if (!strncmp(path, roots[i], strlen(roots[i])))
            return true;
    return strstr(path, "..") != NULL;
}

/* Every source must be the data file given. */
static tfg_pilot_class check_sources(const json_t *j, const spec_state *st, const char *file,
                                     tfg_err *err)
{
    const json_t *sources = json_object_get(json_object_get(j, "data"), "sources");
    size_t i;
    const json_t *src;
    json_array_foreach(sources, i, src) {
        static const char *const keys[] = {"path", "images", "labels", NULL};
        for (size_t k = 0; keys[k]; k++) {
            const char *path = json_string_value(json_object_get(src, keys[k]));
            if (!path)
                continue;
            char fp[64], abs[PATH_MAX];
            snprintf(fp, sizeof fp, "data.sources[%zu].%s", i, keys[k]);
            char *full = tfg_path_beside(file, path);
            bool same = realpath(full, abs) && !strcmp(abs, st->data_abs);
            free(full);
            if (same)
                continue;
            if (host_path(path)) {
                tfg_err_field(err, TFG_ECHECK, file, fp,
                              "'%s' is a host path the user did not give; the spec may read "
                              "only the data file %s",
                              path, st->data_abs);
                return TFG_PILOT_UNSAFE;
            }
            tfg_err_field(err, TFG_EINPUT, file, fp,
                          "'%s' is not the data file given; use \"%s\"", path, st->data_abs);
            return TFG_PILOT_SPEC;
        }
    }
    return TFG_PILOT_OK;
}

/* Budgets over the board's flash or RAM are a budget failure, not a schema one. */
static tfg_pilot_class check_budgets(const json_t *j, const tfg_boards *bs, const char *file,
                                     tfg_err *err)
{
    const tfg_board *b = tfg_boards_find(bs, json_string_value(json_object_get(j, "board"))
                                                 ? json_string_value(json_object_get(j, "board"))
                                                 : "");
    const json_t *bud = json_object_get(j, "budgets");
    if (!b || !json_is_object(bud))
        return TFG_PILOT_OK;
    json_int_t flash = json_integer_value(json_object_get(bud, "flash_bytes"));
    json_int_t ram = json_integer_value(json_object_get(bud, "ram_bytes"));
    if (flash > 0 && (uint64_t)flash > b->flash_bytes) {
        tfg_err_field(err, TFG_ECHECK, file, "budgets.flash_bytes",
                      "%lld bytes is more than the %s has (%llu bytes)", (long long)flash,
                      b->name, (unsigned long long)b->flash_bytes);
        return TFG_PILOT_BUDGET;
    }
    if (ram > 0 && (uint64_t)ram > b->ram_bytes) {
        tfg_err_field(err, TFG_ECHECK, file, "budgets.ram_bytes",
                      "%lld bytes is more than the %s has (%llu bytes)", (long long)ram, b->name,
                      (unsigned long long)b->ram_bytes);
        return TFG_PILOT_BUDGET;
    }
    return TFG_PILOT_OK;
}

/* A classification label must hold classes: categories or integers. */
static tfg_pilot_class check_label(const tfg_spec *s, const tfg_table *t, tfg_err *err)
{
    if (s->task != TFG_TASK_CLASSIFICATION || !s->label)
        return TFG_PILOT_OK;
    int i = tfg_table_find(t, s->label);
    if (i < 0 || t->cols[i].type != TFG_COL_NUM)
        return TFG_PILOT_OK;
    const tfg_column *c = &t->cols[i];
    for (size_t r = 0; r < t->n_rows; r++)
        if (!isnan(c->num[r]) && c->num[r] != floor(c->num[r])) {
            tfg_err_field(err, TFG_EINPUT, s->path, "data.label",
                          "column '%s' holds measurements (e.g. %g in row %zu), not classes; "
                          "name the column with the classes, or make the task regression",
                          s->label, c->num[r], r + 1);
            return TFG_PILOT_SPEC;
        }
    return TFG_PILOT_OK;
}

static tfg_status validate(tfg_pilot *p, void *state, const char *reply, tfg_pilot_class *cls,
                           tfg_err *err)
{
    const tfg_pilot_opts *o = tfg_pilot_options(p);
    spec_state *st = state;
    json_t *j;
    *cls = TFG_PILOT_FORMAT;
    if (tfg_pilot_extract_json(reply, &j, err))
        return TFG_OK;
    const char *file = o->spec_out;
    if ((*cls = check_sources(j, st, file, err)) || (*cls = check_budgets(j, o->boards, file, err))) {
        json_decref(j);
        return TFG_OK;
    }
    tfg_spec s;
    tfg_table t;
    tfg_table_init(&t);
    *cls = TFG_PILOT_SPEC;
    if (!tfg_spec_from_json(j, file, o->boards, &s, err) && !tfg_spec_check_files(&s, err) &&
        !tfg_data_load_sources(&s, &t, err) && !(*cls = check_label(&s, &t, err))) {
        tfg_status wst = tfg_json_write_file(file, j, err);
        if (wst) {
            *cls = TFG_PILOT_OK;
            tfg_spec_free(&s);
            tfg_table_free(&t);
            json_decref(j);
            return wst;
        }
    }
    tfg_spec_free(&s);
    tfg_table_free(&t);
    json_decref(j);
    return TFG_OK;
}

const tfg_pilot_stage_def tfg_pilot_stage_spec = {
    .name = "spec",
    .format = TFG_LLM_FORMAT_JSON,
    .prepare = prepare,
    .builtin = builtin,
    .validate = validate,
    .done = done,
};
