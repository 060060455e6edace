/* stage_spec.c — the spec stage: a spec JSON from a request in plain words and the data
 * the user gave: a CSV file, or IDX images with their labels file (the MNIST format),
 * and optionally test data of the same kind that stays the test split whole.
 *
 * Context: the request, the data (a CSV's columns with a few levels; for images their
 * number, size and classes, never one line per pixel column), the exact sources the
 * spec must use as JSON text, the board table, and under the llm_data policy the data's
 * profile (for images a summary: pixel range and moments, rows per class) or a few CSV
 * rows (images are never sent). Builtin: a rule-based writer (task words, the column
 * whose values or name the request mentions, "label" for images, a board the request
 * names, the sources as given). A request that names a board tinyforge does not know
 * stops the stage before any backend is asked (check_named_board). Validator: every file a source names is one the user
 * gave, in its role (a host path: unsafe; another file, images and labels swapped or
 * mispaired, the test data not kept as the test split, a file left out or read twice:
 * spec); budgets within the board; the spec schema (tfg_spec_from_json: board known);
 * the files exist and load with the label and feature columns; a classification label
 * holds classes. The accepted spec is written to opts.spec_out. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/alloc.h"
#include "core/io.h"
#include "core/json.h"
#include "core/strutil.h"
#include "data/csv.h"
#include "data/idx.h"
#include "data/profile.h"
#include "data/stage.h"
#include "pilot/pilot.h"

/* The files the user gave, by role; an IDX source pairs GIVEN_DATA with GIVEN_LABELS,
 * or GIVEN_TEST with GIVEN_TEST_LABELS. */
enum { GIVEN_DATA, GIVEN_LABELS, GIVEN_TEST, GIVEN_TEST_LABELS, GIVEN_N };
static const char *const given_what[GIVEN_N] = {"data file", "labels file",
                                                "test data file", "test labels file"};

typedef enum { KIND_CSV, KIND_IDX_IMAGES, KIND_IDX_LABELS } file_kind;

/* What one IDX pair holds, for the prompt (the table itself is not kept: 60,000
 * images are 377 MB of doubles). */
typedef struct {
    size_t rows;
    uint32_t h, w;
    double min, max, mean, std; /* over every pixel of every image */
    size_t counts[256];         /* rows per label value (IDX labels are bytes) */
} idx_summary;

typedef struct {
    bool idx;           /* IDX images with labels, else CSV */
    char *abs[GIVEN_N]; /* realpaths of the files given (NULL: not given) */
    tfg_csv_info csv[2];/* CSV: the data's, the test data's dialect (header, ...) */
    tfg_table t;        /* CSV: the data file (the builtin picks its label column) */
    size_t test_rows;   /* CSV: rows of the test data */
    idx_summary img[2]; /* IDX: the data, the test data */
    json_t *sources;    /* the sources the spec must use, in order */
} spec_state;

/* ---- the files given ----------------------------------------------------------------- */

/* By content, not name: the IDX magic 00 00 08 03 (images) or 00 00 08 01 (labels),
 * raw or gzip'd (gzread passes a plain file through unchanged); anything else is CSV. */
static tfg_status sniff(const char *path, file_kind *kind, tfg_err *err)
{
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        return tfg_err_set(err, TFG_EIO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char m[4];
    int n = gzread(gz, m, sizeof m);
    gzclose(gz);
    *kind = KIND_CSV;
    if (n == 4 && m[0] == 0 && m[1] == 0 && m[2] == 0x08 && (m[3] == 0x03 || m[3] == 0x01))
        *kind = m[3] == 0x03 ? KIND_IDX_IMAGES : KIND_IDX_LABELS;
    return TFG_OK;
}

/* The files as the user named them, by role (for messages). */
static void given_paths(const tfg_pilot_opts *o, const char **given)
{
    given[GIVEN_DATA] = o->data_file;
    given[GIVEN_LABELS] = o->labels_file;
    given[GIVEN_TEST] = o->test_file;
    given[GIVEN_TEST_LABELS] = o->test_labels_file;
}

static tfg_status resolve_given(const tfg_pilot_opts *o, spec_state *st, tfg_err *err)
{
    const char *given[GIVEN_N];
    given_paths(o, given);
    char abs[PATH_MAX];
    for (int k = 0; k < GIVEN_N; k++) {
        if (!given[k])
            continue;
        if (!realpath(given[k], abs)) {
            const char *why = tfg_path_problem(given[k]);
            if (!strcmp(why, "file not found"))
                return tfg_err_set(err, TFG_EINPUT, "%s: %s not found", given[k], given_what[k]);
            return tfg_err_set(err, TFG_EINPUT, "%s: the %s cannot be read: %s", given[k],
                               given_what[k], *why ? why : strerror(errno));
        }
        st->abs[k] = tfg_xstrdup(abs);
        for (int m = 0; m < k; m++)
            if (st->abs[m] && !strcmp(st->abs[m], abs))
                return tfg_err_set(err, TFG_EUSAGE, "%s is given both as the %s and as the %s",
                                   given[k], given_what[m], given_what[k]);
    }
    if (st->abs[GIVEN_TEST_LABELS] && !st->abs[GIVEN_TEST])
        return tfg_err_set(err, TFG_EUSAGE,
                           "test labels (%s) without test data: give the test images too",
                           given[GIVEN_TEST_LABELS]);
    return TFG_OK;
}

/* The files given are a CSV (and a CSV of test data), or IDX images with their labels
 * (and IDX test images with theirs). */
static tfg_status check_kinds(const tfg_pilot_opts *o, spec_state *st, tfg_err *err)
{
    const char *given[GIVEN_N];
    given_paths(o, given);
    file_kind kind[GIVEN_N] = {KIND_CSV, KIND_CSV, KIND_CSV, KIND_CSV};
    for (int k = 0; k < GIVEN_N; k++)
        if (st->abs[k] && sniff(st->abs[k], &kind[k], err))
            return err->code;
    for (int s = 0; s < 2; s++) {
        int im = s ? GIVEN_TEST : GIVEN_DATA, lb = im + 1;
        const char *what = s ? "test data" : "data", *opt = s ? "--test-labels" : "--labels";
        if (!st->abs[im])
            continue;
        if (kind[im] == KIND_IDX_LABELS)
            return tfg_err_set(err, TFG_EUSAGE,
                               "%s holds IDX labels (magic 00 00 08 01), not images: give the "
                               "images file as the %s and this one as their labels (%s)",
                               given[im], what, opt);
        if (kind[im] == KIND_IDX_IMAGES && !st->abs[lb])
            return tfg_err_set(err, TFG_EUSAGE,
                               "%s holds IDX images: their labels file is needed too (%s FILE)",
                               given[im], opt);
        if (kind[im] == KIND_CSV && st->abs[lb])
            return tfg_err_set(err, TFG_EUSAGE,
                               "%s is not IDX images but CSV: a labels file (%s %s) is only "
                               "for IDX images",
                               given[im], opt, given[lb]);
    }
    st->idx = kind[GIVEN_DATA] == KIND_IDX_IMAGES;
    if (st->abs[GIVEN_TEST] && (kind[GIVEN_TEST] == KIND_IDX_IMAGES) != st->idx)
        return tfg_err_set(err, TFG_EUSAGE, "the test data %s is %s but the data %s is %s: give "
                           "both in one format",
                           given[GIVEN_TEST], st->idx ? "CSV" : "IDX images", given[GIVEN_DATA],
                           st->idx ? "IDX images" : "CSV");
    return TFG_OK;
}

/* ---- CSV ----------------------------------------------------------------------------- */

/* The CSV in the dialect given (po->csv) or detected (data/csv.h). A detected header
 * that fails (it repeats a name) is tried once more as data; the first error stays. */
static tfg_status read_csv(const tfg_pilot_opts *po, const char *path, tfg_csv_info *info,
                           tfg_table *t, tfg_err *err)
{
    tfg_csv_opts o;
    tfg_csv_opts_default(&o);
    if (po->csv) {
        o.header = po->csv->header;
        o.delimiter = po->csv->delimiter;
        o.decimal = po->csv->decimal;
        o.skip_rows = po->csv->skip_rows;
    }
    tfg_status s = tfg_csv_read_info(path, &o, t, info, err);
    if (!s || !(info->detected & TFG_CSV_DET_HEADER) || !info->header)
        return s;
    tfg_err first = *err;
    tfg_csv_info again;
    o.header = 0;
    if (tfg_csv_read_info(path, &o, t, &again, err) == TFG_OK) {
        tfg_csv_info_free(info);
        *info = again;
        info->detected |= TFG_CSV_DET_HEADER;
        return TFG_OK;
    }
    tfg_csv_info_free(&again);
    *err = first;
    return s;
}

/* Test data is appended to the data: same columns, same order. */
static tfg_status same_columns(const tfg_table *d, const tfg_table *t, const char *path,
                               tfg_err *err)
{
    if (d->n_cols != t->n_cols)
        return tfg_err_set(err, TFG_EINPUT, "%s: the test data has %zu columns, the data %zu",
                           path, t->n_cols, d->n_cols);
    for (size_t c = 0; c < d->n_cols; c++)
        if (strcmp(d->cols[c].name, t->cols[c].name))
            return tfg_err_set(err, TFG_EINPUT,
                               "%s: column %zu of the test data is '%s', the data has '%s' there",
                               path, c + 1, t->cols[c].name, d->cols[c].name);
    return TFG_OK;
}

static tfg_status load_csv(const tfg_pilot_opts *po, spec_state *st, tfg_err *err)
{
    tfg_status s = read_csv(po, st->abs[GIVEN_DATA], &st->csv[0], &st->t, err);
    if (s)
        return tfg_err_prefix(err, "%s is not IDX images, so it is read as CSV",
                              st->abs[GIVEN_DATA]);
    if (!st->abs[GIVEN_TEST])
        return TFG_OK;
    tfg_table tt;
    tfg_table_init(&tt);
    s = read_csv(po, st->abs[GIVEN_TEST], &st->csv[1], &tt, err);
    if (!s)
        s = same_columns(&st->t, &tt, st->abs[GIVEN_TEST], err);
    st->test_rows = tt.n_rows;
    tfg_table_free(&tt);
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

static void csv_context(const tfg_pilot_opts *o, spec_state *st, json_t *ctx, json_t *sent)
{
    tfg_buf b;
    tfg_buf_init(&b);
    tfg_buf_printf(&b, "the CSV file %s (its first line is a header: %s), %zu rows",
                   st->abs[GIVEN_DATA], st->csv[0].header ? "true" : "false", st->t.n_rows);
    if (st->abs[GIVEN_TEST])
        tfg_buf_printf(&b, "; test data: the CSV file %s (header: %s), %zu rows, kept whole "
                           "as the test split",
                       st->abs[GIVEN_TEST], st->csv[1].header ? "true" : "false",
                       st->test_rows);
    char *text = tfg_buf_take(&b);
    tfg_pilot_ctx_set(ctx, "data", "%s", text);
    free(text);
    tfg_pilot_ctx_set(ctx, "header", "%s", st->csv[0].header ? "true" : "false");
    text = columns_text(&st->t);
    tfg_pilot_ctx_set(ctx, "columns", "%s", text);
    free(text);
    json_array_append_new(sent, json_string("columns"));
    if (o->policy->llm_data >= TFG_LLM_DATA_PROFILE) {
        tfg_profile pr;
        tfg_err perr;
        if (tfg_profile_compute(&st->t, NULL, &pr, &perr) == TFG_OK) {
            json_t *pj = tfg_profile_to_json(&pr);
            text = tfg_pilot_json_text(pj, 12000);
            tfg_pilot_ctx_set(ctx, "profile", "%s", text);
            free(text);
            json_decref(pj);
            tfg_profile_free(&pr);
            json_array_append_new(sent, json_string("profile"));
        }
    }
    if (o->policy->llm_data == TFG_LLM_DATA_SAMPLE_ROWS) {
        text = rows_text(&st->t, 5);
        tfg_pilot_ctx_set(ctx, "sample_rows", "%s", text);
        free(text);
        json_array_append_new(sent, json_string("sample_rows"));
    }
}

/* ---- IDX images ---------------------------------------------------------------------- */

static void summarise(const tfg_table *t, idx_summary *s)
{
    memset(s, 0, sizeof *s);
    s->rows = t->n_rows;
    s->h = t->shape[0];
    s->w = t->shape[1];
    int label = tfg_table_find(t, "label");
    double sum = 0, sum2 = 0, lo = INFINITY, hi = -INFINITY;
    size_t n = 0;
    for (size_t c = 0; c < t->n_cols; c++) {
        const double *v = t->cols[c].num;
        for (size_t r = 0; r < t->n_rows; r++) {
            if ((int)c == label) {
                if (v[r] >= 0 && v[r] < 256)
                    s->counts[(size_t)v[r]]++;
                continue;
            }
            sum += v[r], sum2 += v[r] * v[r];
            lo = v[r] < lo ? v[r] : lo;
            hi = v[r] > hi ? v[r] : hi;
        }
        n += (int)c == label ? 0 : t->n_rows;
    }
    if (n) {
        s->min = lo, s->max = hi, s->mean = sum / (double)n;
        double var = sum2 / (double)n - s->mean * s->mean;
        s->std = var > 0 ? sqrt(var) : 0;
    }
}

static tfg_status load_idx(spec_state *st, tfg_err *err)
{
    for (int s = 0; s < 2; s++) {
        int im = s ? GIVEN_TEST : GIVEN_DATA;
        if (!st->abs[im])
            continue;
        tfg_table t;
        tfg_status rc = tfg_idx_read(st->abs[im], st->abs[im + 1], &t, err);
        if (!rc)
            summarise(&t, &st->img[s]);
        tfg_table_free(&t);
        if (rc)
            return rc;
    }
    const idx_summary *d = &st->img[0], *t = &st->img[1];
    if (st->abs[GIVEN_TEST] && (t->h != d->h || t->w != d->w))
        return tfg_err_set(err, TFG_EINPUT, "%s: the test images are %ux%u, the data's %ux%u",
                           st->abs[GIVEN_TEST], (unsigned)t->h, (unsigned)t->w, (unsigned)d->h,
                           (unsigned)d->w);
    return TFG_OK;
}

/* "10 levels, rows per class 0: 6000, 1: 6000, ..." or, without counts, "10 levels: 0, 1". */
static void classes_text(tfg_buf *b, const idx_summary *s, bool counts)
{
    size_t k = 0;
    for (size_t v = 0; v < 256; v++)
        k += s->counts[v] > 0;
    tfg_buf_printf(b, "%zu level%s%s", k, k == 1 ? "" : "s", counts ? ", rows per class" : ":");
    const char *sep = " ";
    for (size_t v = 0; v < 256; v++)
        if (s->counts[v]) {
            if (counts)
                tfg_buf_printf(b, "%s%zu: %zu", sep, v, s->counts[v]);
            else
                tfg_buf_printf(b, "%s%zu", sep, v);
            sep = ", ";
        }
}

/* One line for the images, not H*W lines of pixel columns. */
static char *idx_columns_text(const spec_state *st, bool counts)
{
    const idx_summary *d = &st->img[0];
    tfg_buf b;
    tfg_buf_init(&b);
    tfg_buf_printf(&b, "%zu images of %ux%u grey pixels (columns px0..px%zu, 0..255) and the "
                       "column label (integer classes: ",
                   d->rows, (unsigned)d->h, (unsigned)d->w, (size_t)d->h * d->w - 1);
    classes_text(&b, d, counts);
    tfg_buf_printf(&b, ")\n");
    if (st->abs[GIVEN_TEST]) {
        tfg_buf_printf(&b, "Test data: %zu more images of %ux%u, the test split (label: ",
                       st->img[1].rows, (unsigned)st->img[1].h, (unsigned)st->img[1].w);
        classes_text(&b, &st->img[1], counts);
        tfg_buf_printf(&b, ")\n");
    }
    return tfg_buf_take(&b);
}

static json_t *classes_json(const idx_summary *s)
{
    json_t *c = json_object();
    for (size_t v = 0; v < 256; v++)
        if (s->counts[v]) {
            char key[8];
            snprintf(key, sizeof key, "%zu", v);
            json_object_set_new(c, key, json_integer((json_int_t)s->counts[v]));
        }
    return c;
}

/* The profile of images, summarised: 784 columns of pixel statistics would be cut
 * after a few dozen columns of the image's blank border. */
static json_t *idx_profile(const spec_state *st)
{
    const idx_summary *d = &st->img[0];
    char cols[64];
    snprintf(cols, sizeof cols, "px0..px%zu", (size_t)d->h * d->w - 1);
    json_t *j = json_pack("{s:s, s:I, s:[i,i,i], s:{s:s, s:f, s:f, s:f, s:f}, s:{s:s, s:o}}",
                          "format", "idx", "rows", (json_int_t)d->rows, "image", (int)d->h,
                          (int)d->w, 1, "pixels", "columns", cols, "min", d->min, "max", d->max,
                          "mean", d->mean, "std", d->std, "label", "column", "label",
                          "rows_per_class", classes_json(d));
    if (st->abs[GIVEN_TEST])
        json_object_set_new(j, "test", json_pack("{s:I, s:o}", "rows",
                                                 (json_int_t)st->img[1].rows, "rows_per_class",
                                                 classes_json(&st->img[1])));
    return j;
}

static void idx_context(const tfg_pilot_opts *o, spec_state *st, json_t *ctx, json_t *sent)
{
    tfg_buf b;
    tfg_buf_init(&b);
    tfg_buf_printf(&b, "IDX images %s with their labels %s, %zu images", st->abs[GIVEN_DATA],
                   st->abs[GIVEN_LABELS], st->img[0].rows);
    if (st->abs[GIVEN_TEST])
        tfg_buf_printf(&b, "; test data: IDX images %s with their labels %s, %zu images, kept "
                           "whole as the test split",
                       st->abs[GIVEN_TEST], st->abs[GIVEN_TEST_LABELS], st->img[1].rows);
    char *text = tfg_buf_take(&b);
    tfg_pilot_ctx_set(ctx, "data", "%s", text);
    free(text);
    tfg_pilot_ctx_set(ctx, "header", "not a CSV (IDX images)");
    bool profile = o->policy->llm_data >= TFG_LLM_DATA_PROFILE;
    text = idx_columns_text(st, profile);
    tfg_pilot_ctx_set(ctx, "columns", "%s", text);
    free(text);
    json_array_append_new(sent, json_string("columns"));
    if (profile) {
        json_t *pj = idx_profile(st);
        text = tfg_pilot_json_text(pj, 12000);
        tfg_pilot_ctx_set(ctx, "profile", "%s", text);
        free(text);
        json_decref(pj);
        json_array_append_new(sent, json_string("profile"));
    }
    if (o->policy->llm_data == TFG_LLM_DATA_SAMPLE_ROWS)
        tfg_pilot_ctx_set(ctx, "sample_rows", "(images: not sent)");
}

/* ---- the context ------------------------------------------------------------------- */

/* A CSV source with the dialect it was read in: what differs from plain RFC 4180 (comma,
 * decimal point, double quote, nothing skipped, UTF-8) is written out, so the spec says
 * how to read the file and the data stage reads it the same way. */
static json_t *csv_source_json(const char *path, const tfg_csv_info *in)
{
    json_t *j = json_pack("{s:s, s:b}", "path", path, "header", in->header);
    if (in->delimiter != ',') {
        char d[2] = {in->delimiter, 0};
        json_object_set_new(j, "delimiter", json_string(d));
    }
    if (in->decimal != '.')
        json_object_set_new(j, "decimal", json_string(","));
    if (in->quote != '"')
        json_object_set_new(j, "quote", json_string("'"));
    if (in->skip_rows)
        json_object_set_new(j, "skip_rows", json_integer((json_int_t)in->skip_rows));
    if (in->converted)
        json_object_set_new(j, "encoding", json_string("windows-1252"));
    return j;
}

/* The source of the data (which 0) or the test data (1), as the spec must write it. */
static json_t *source_json(const spec_state *st, int which)
{
    int im = which ? GIVEN_TEST : GIVEN_DATA;
    json_t *j = st->idx ? json_pack("{s:s, s:s, s:s}", "format", "idx", "images", st->abs[im],
                                    "labels", st->abs[im + 1])
                        : csv_source_json(st->abs[im], &st->csv[which]);
    if (which)
        json_object_set_new(j, "split", json_string("test"));
    return j;
}

static char *source_text(const spec_state *st, int which)
{
    return json_dumps(json_array_get(st->sources, (size_t)which), JSON_PRESERVE_ORDER);
}

/* [one source a line] */
static char *sources_text(const spec_state *st)
{
    tfg_buf b;
    tfg_buf_init(&b);
    tfg_buf_printf(&b, "[\n");
    for (size_t i = 0; i < json_array_size(st->sources); i++) {
        char *s = source_text(st, (int)i);
        tfg_buf_printf(&b, "  %s%s\n", s, i + 1 < json_array_size(st->sources) ? "," : "");
        free(s);
    }
    tfg_buf_printf(&b, "]");
    return tfg_buf_take(&b);
}

/* ---- the board the request names ---------------------------------------------------- */

/* The request's words: as written (for messages, edge punctuation trimmed) and as board
 * names compare (tfg_boards_find: letters and digits, lower case). */
typedef struct {
    char **shown, **key;
    size_t n;
} req_words;

static void words_free(req_words *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->shown[i]), free(w->key[i]);
    free(w->shown);
    free(w->key);
}

static req_words words_of(const char *text)
{
    req_words w = {0};
    size_t cap = strlen(text) / 2 + 1;
    w.shown = tfg_xcalloc(cap, sizeof *w.shown);
    w.key = tfg_xcalloc(cap, sizeof *w.key);
    for (const char *p = text; *p;) {
        while (*p && (isspace((unsigned char)*p) || ispunct((unsigned char)*p)))
            p++;
        const char *e = p;
        while (*e && !isspace((unsigned char)*e))
            e++;
        const char *end = e;
        while (end > p && ispunct((unsigned char)end[-1]))
            end--;
        if (end > p && w.n < cap) {
            w.shown[w.n] = tfg_xstrndup(p, (size_t)(end - p));
            char *k = tfg_xstrndup(p, (size_t)(end - p)), *q = k;
            for (const char *c = k; *c; c++)
                if (isalnum((unsigned char)*c))
                    *q++ = (char)tolower((unsigned char)*c);
            *q = '\0';
            w.key[w.n++] = k;
        }
        p = e;
    }
    return w;
}

/* Words i..i+len-1 as written, joined by spaces. */
static char *span_text(const req_words *w, size_t i, size_t len)
{
    tfg_buf b;
    tfg_buf_init(&b);
    for (size_t k = i; k < i + len; k++)
        tfg_buf_printf(&b, "%s%s", k > i ? " " : "", w->shown[k]);
    return tfg_buf_take(&b);
}

#define BOARD_SPAN_MAX 6 /* words in the longest board name ("Arduino Nano 33 BLE Sense") */

/* The known board the longest run of the request's words names, or NULL. */
static const tfg_board *known_board(const tfg_boards *bs, const req_words *w)
{
    const tfg_board *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < w->n; i++)
        for (size_t len = 1; len <= BOARD_SPAN_MAX && i + len <= w->n; len++) {
            char *t = span_text(w, i, len);
            size_t keylen = 0;
            for (size_t k = i; k < i + len; k++)
                keylen += strlen(w->key[k]);
            const tfg_board *b = keylen > 2 ? tfg_boards_find(bs, t) : NULL;
            free(t);
            if (b && len > best_len)
                best = b, best_len = len;
        }
    return best;
}

/* Does key start with prefix followed by a digit ("esp32", "stm32f4", "nrf52840")? */
static bool family_with_digit(const char *key, const char *prefix)
{
    size_t n = strlen(prefix);
    return !strncmp(key, prefix, n) && isdigit((unsigned char)key[n]);
}

/* Where the words from i on look like a board name, how many words it spans; else 0.
 * Only what a board name looks like counts, never an ordinary word: a microcontroller
 * family with its number (ESP32, STM32F4, nRF52840, ATtiny85, SAMD21, RP2350), a board
 * maker's word with the word after it (Arduino Mega, Raspberry Pi 4, Nucleo F401RE),
 * a board line's own name (Teensy, XIAO, Portenta, ...), or a product-like token (two
 * capitals and a digit, "MKR1000") right after "on"/"onto" (and an article). */
static size_t board_like(const req_words *w, size_t i)
{
    static const char *const families[] = {"esp", "stm", "nrf", "rp", "samd", "attiny",
                                           "atmega", "msp", "pic", "gd", NULL};
    static const char *const lines[] = {"teensy", "xiao", "portenta", "nicla", "feather",
                                        "pyboard", "jetson", "m5stack", "wemos", NULL};
    static const struct {
        const char *maker;
        size_t then;
    } makers[] = {{"arduino", 1}, {"raspberry", 2}, {"nucleo", 1}, {"adafruit", 1},
                  {"seeed", 1},   {"sparkfun", 1},  {"esp", 1}};
    static const char *const on[] = {"on", "onto", NULL};
    static const char *const articles[] = {"a", "an", "the", "my", "our", "this", NULL};
    const char *k = w->key[i];
    for (size_t f = 0; families[f]; f++)
        if (family_with_digit(k, families[f]))
            return 1;
    for (size_t l = 0; lines[l]; l++)
        if (!strncmp(k, lines[l], strlen(lines[l])))
            return 1;
    /* words after a maker's name that make it a tool or a kind, not a board */
    static const char *const not_boards[] = {"ide", "sketch", "code", "library", "api",
                                             "style", "board", "boards", "compatible", NULL};
    for (size_t m = 0; m < sizeof makers / sizeof makers[0]; m++)
        if (!strcmp(k, makers[m].maker) && i + 1 < w->n) {
            for (size_t x = 0; not_boards[x]; x++)
                if (!strcmp(w->key[i + 1], not_boards[x]))
                    return 0;
            return 1 + (i + makers[m].then < w->n ? makers[m].then : w->n - i - 1);
        }
    const char *s = w->shown[i];
    size_t caps = 0, digits = 0;
    for (const char *c = s; *c; c++)
        caps += isupper((unsigned char)*c) != 0, digits += isdigit((unsigned char)*c) != 0;
    if (caps < 2 || !digits || strlen(k) < 4 || !isalpha((unsigned char)s[0]) || i == 0)
        return 0;
    size_t before = i - 1;
    for (size_t a = 0; articles[a]; a++)
        if (!strcmp(w->key[before], articles[a]) && before > 0) {
            before--;
            break;
        }
    for (size_t o = 0; on[o]; o++)
        if (!strcmp(w->key[before], on[o]))
            return 1;
    return 0;
}

/* The board the request names: a known one (the longest name wins), or NULL with *unknown
 * set (new string) when it names one tinyforge does not know, or NULL with *unknown NULL
 * when it names none. */
static const tfg_board *named_board(const tfg_boards *bs, const char *request, char **unknown)
{
    *unknown = NULL;
    req_words w = words_of(request);
    const tfg_board *b = known_board(bs, &w);
    for (size_t i = 0; !b && !*unknown && i < w.n; i++) {
        size_t len = board_like(&w, i);
        if (len)
            *unknown = span_text(&w, i, len);
    }
    words_free(&w);
    return b;
}

/* TFG_EINPUT when the request names a board tinyforge does not know: no backend may
 * quietly put the default board in its place. */
static tfg_status check_named_board(const tfg_pilot_opts *o, tfg_err *err)
{
    char *unknown;
    named_board(o->boards, o->request, &unknown);
    if (!unknown)
        return TFG_OK;
    char near[256];
    tfg_boards_suggest(o->boards, unknown, near, sizeof near);
    tfg_err_set(err, TFG_EINPUT,
                "the request names the board '%s', which tinyforge does not know; closest "
                "known: %s (all boards: tinyforge boards; a new board is an entry in "
                "boards/boards.json)",
                unknown, near);
    free(unknown);
    return TFG_EINPUT;
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
    tfg_table_init(&st->t);
    *state = st;
    tfg_status s = check_named_board(o, err);
    if (!s)
        s = resolve_given(o, st, err);
    if (!s)
        s = check_kinds(o, st, err);
    if (!s)
        s = st->idx ? load_idx(st, err) : load_csv(o, st, err);
    if (s)
        return s;
    st->sources = json_array();
    json_array_append_new(st->sources, source_json(st, 0));
    if (st->abs[GIVEN_TEST])
        json_array_append_new(st->sources, source_json(st, 1));
    tfg_pilot_ctx_set(ctx, "request", "%s", o->request);
    tfg_pilot_ctx_set(ctx, "data_file", "%s", st->abs[GIVEN_DATA]);
    char *text = sources_text(st);
    tfg_pilot_ctx_set(ctx, "sources", "%s", text);
    free(text);
    text = boards_text(o->boards);
    tfg_pilot_ctx_set(ctx, "boards", "%s", text);
    free(text);
    tfg_pilot_ctx_set(ctx, "profile", "(not sent: llm_data is none)");
    tfg_pilot_ctx_set(ctx, "sample_rows", "(not sent: llm_data is %s)",
                      tfg_llm_data_name(o->policy->llm_data));
    if (st->idx)
        idx_context(o, st, ctx, sent);
    else
        csv_context(o, st, ctx, sent);
    return TFG_OK;
}

static void done(void *state)
{
    spec_state *st = state;
    if (!st)
        return;
    for (int k = 0; k < GIVEN_N; k++)
        free(st->abs[k]);
    tfg_table_free(&st->t);
    tfg_csv_info_free(&st->csv[0]);
    tfg_csv_info_free(&st->csv[1]);
    json_decref(st->sources);
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

/* The board the request names, else the Nano 33 BLE Sense (else the table's first). */
static const tfg_board *pick_board(const tfg_boards *bs, const char *request)
{
    char *unknown;
    const tfg_board *best = named_board(bs, request, &unknown);
    free(unknown);
    if (!best)
        best = tfg_boards_find(bs, "arduino_nano_33_ble_sense");
    return best ? best : (bs->n ? &bs->items[0] : NULL);
}

/* The data file's name up to its first dot; for IDX also without the format's words
 * ("train-images-idx3-ubyte.gz" -> "train_images"). */
static char *app_name(const char *path, bool idx)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char *n = tfg_xstrdup(base);
    char *cut = strchr(n, '.');
    if (cut)
        *cut = '\0';
    if (idx && (cut = strstr(n, "idx")) != NULL && cut > n) {
        *cut = '\0';
        while (cut > n && (cut[-1] == '-' || cut[-1] == '_'))
            *--cut = '\0';
    }
    for (char *q = n; *q; q++)
        if (!isalnum((unsigned char)*q) && *q != '_' && (*q != '-' || idx))
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
    int label = st->idx ? 0 : pick_label(&st->t, nreq, task);
    const tfg_board *b = pick_board(o->boards, o->request);
    free(nreq);
    if (label < 0 || !b)
        return tfg_err_set(err, TFG_EINPUT, "builtin spec writer: no columns or no boards");
    /* Images: the IDX loader's label column; no class names (the files have none), no
     * model (the train stage proposes one). */
    char *name = app_name(st->abs[GIVEN_DATA], st->idx);
    json_t *j = json_pack("{s:s, s:s, s:s, s:{s:O, s:s}, s:s, s:i}", "name", name,
                          "description", o->request, "task", tfg_task_name(task), "data",
                          "sources", st->sources, "label",
                          st->idx ? "label" : st->t.cols[label].name, "board", b->id, "seed",
                          42);
    free(name);
    *reply = tfg_json_pretty(j);
    json_decref(j);
    return TFG_OK;
}

/* ---- the validator ------------------------------------------------------------------- */

/* A name that reaches past the project: a URL ("https://...", "file:..."), a system or
 * home folder, a parent reference, or an absolute path outside the folder of the spec
 * being written (file). */
static bool host_path(const char *path, const char *file)
{
    static const char *const roots[] = {"/etc/", "/proc/", "/sys/", "/dev/", "/root/", "/boot/",
                                        "/var/", "/home/", "~", NULL};
    for (size_t i = 0; roots[i]; i++)
        if (!strncmp(path, roots[i], strlen(roots[i])))
            return true;
    size_t scheme = 0;
    while (isalpha((unsigned char)path[scheme]) || path[scheme] == '+' || path[scheme] == '-')
        scheme++;
    if (scheme > 1 && path[scheme] == ':')
        return true; /* "https:", "file:", "ftp:" (one letter would be a DOS drive) */
    if (strstr(path, ".."))
        return true;
    if (path[0] != '/')
        return false;
    char *abs_file = tfg_path_absolute(file), *dir = tfg_path_dirname(abs_file);
    size_t n = strlen(dir);
    bool inside = !strncmp(path, dir, n) && (path[n] == '/' || !strcmp(dir, "/"));
    free(dir);
    free(abs_file);
    return !inside;
}

/* The role of the file a proposal names (resolved beside the proposal, as the spec
 * will resolve it), by realpath; -1 when it is none of the files given. */
static int role_of(const spec_state *st, const char *file, const char *path)
{
    char *full = tfg_path_beside(file, path), abs[PATH_MAX];
    int role = -1;
    if (realpath(full, abs))
        for (int k = 0; k < GIVEN_N && role < 0; k++)
            if (st->abs[k] && !strcmp(abs, st->abs[k]))
                role = k;
    free(full);
    return role;
}

/* "\"/a/x.csv\" (data file), ..." */
static char *given_text(const spec_state *st)
{
    tfg_buf b;
    tfg_buf_init(&b);
    for (int k = 0; k < GIVEN_N; k++)
        if (st->abs[k])
            tfg_buf_printf(&b, "%s\"%s\" (%s)", b.len ? ", " : "", st->abs[k], given_what[k]);
    return tfg_buf_take(&b);
}

/* Every file a source names must be one the user gave; a host path is unsafe (and
 * outranks a merely unknown file elsewhere in the proposal). */
static tfg_pilot_class check_paths(const json_t *sources, const spec_state *st,
                                   const char *file, tfg_err *err)
{
    static const char *const keys[] = {"path", "images", "labels", NULL};
    tfg_pilot_class cls = TFG_PILOT_OK;
    size_t i;
    const json_t *src;
    json_array_foreach(sources, i, src) {
        for (size_t k = 0; keys[k]; k++) {
            const char *path = json_string_value(json_object_get(src, keys[k]));
            if (!path || role_of(st, file, path) >= 0)
                continue;
            char fp[64];
            snprintf(fp, sizeof fp, "data.sources[%zu].%s", i, keys[k]);
            char *given = given_text(st);
            if (host_path(path, file)) {
                tfg_err_field(err, TFG_ECHECK, file, fp,
                              "'%s' reaches past the project (a host path or a URL); the "
                              "spec may read only %s",
                              path, given);
                free(given);
                return TFG_PILOT_UNSAFE;
            }
            if (!cls)
                tfg_err_field(err, TFG_EINPUT, file, fp,
                              "'%s' is not a file the user gave; use only %s", path, given);
            cls = TFG_PILOT_SPEC;
            free(given);
        }
    }
    return cls;
}

/* As tfg_spec_from_json reads a source: IDX when it says so or names images or labels. */
static bool is_idx(const json_t *src)
{
    const char *fmt = json_string_value(json_object_get(src, "format"));
    return fmt ? !strcmp(fmt, "idx")
               : json_object_get(src, "images") || json_object_get(src, "labels");
}

/* A CSV source must read the file in the dialect it was read in here: a key given on
 * the command line (`new --skip-rows 1`) must be there with its value, since the data
 * stage would otherwise detect something else; a detected one may be left out (the data
 * stage detects the same), and no key may say another value. A proposal that drops
 * `skip_rows` or `decimal` would have the data stage misread the file. */
static const char *dialect_fault(const json_t *src, const spec_state *st, int which,
                                 const char *path, char *why, size_t n)
{
    static const char *const keys[] = {"delimiter", "decimal", "quote", "skip_rows",
                                       "header", "encoding", NULL};
    static const unsigned bits[] = {TFG_CSV_DET_DELIMITER, TFG_CSV_DET_DECIMAL,
                                    TFG_CSV_DET_QUOTE,     TFG_CSV_DET_SKIP,
                                    TFG_CSV_DET_HEADER,    TFG_CSV_DET_ENCODING};
    const json_t *want = json_array_get(st->sources, (size_t)which);
    for (size_t k = 0; keys[k]; k++) {
        const json_t *w = json_object_get(want, keys[k]), *g = json_object_get(src, keys[k]);
        bool detected = st->csv[which].detected & bits[k];
        if (!g && (!w || detected))
            continue;
        if (w && g && json_equal((json_t *)w, (json_t *)g))
            continue;
        char *wt = w ? json_dumps(w, JSON_ENCODE_ANY) : NULL;
        if (wt)
            snprintf(why, n, "'%s' is read with %s %s", path, keys[k], wt);
        else
            snprintf(why, n, "'%s' is read without %s (the default)", path, keys[k]);
        free(wt);
        return keys[k];
    }
    return NULL;
}

/* What is wrong with one source that reads the file of the given role (NULL: nothing):
 * the field at fault ("" for the source itself), the reason in why. A source reads
 * IDX or CSV as the files are, images with their own labels, the test data (and only
 * it) as the test split, and no file another source reads (used[role]). */
static const char *source_fault(const json_t *src, const spec_state *st, const char *file,
                                int role, const int *used, char *why, size_t n)
{
    bool idx = is_idx(src);
    const char *key = idx ? "images" : "path";
    const char *data_path = json_string_value(json_object_get(src, key));
    const char *labels = json_string_value(json_object_get(src, "labels"));
    const char *split = json_string_value(json_object_get(src, "split"));
    bool test = split && !strcmp(split, "test"), of_test = role >= GIVEN_TEST;
    if (idx != st->idx) {
        snprintf(why, n, "'%s' is read as %s, but the files given are %s", data_path,
                 idx ? "IDX" : "CSV", st->idx ? "IDX images" : "CSV");
        return key;
    }
    if (role == GIVEN_LABELS || role == GIVEN_TEST_LABELS) {
        snprintf(why, n, "'%s' is a labels file, not images", data_path);
        return key;
    }
    if (idx && role_of(st, file, labels) != role + 1) {
        snprintf(why, n, "'%s' are not the labels of '%s'", labels, data_path);
        return "labels";
    }
    if (of_test != test) {
        if (of_test)
            snprintf(why, n, "'%s' is the test data given: it stays the test split", data_path);
        else
            snprintf(why, n, "'%s' is the data to learn from; %s", data_path,
                     st->abs[GIVEN_TEST]
                         ? "only the test data given is the test split"
                         : "no test data was given (the data stage splits the data)");
        return "split";
    }
    if (used[role] >= 0) {
        snprintf(why, n, "'%s' is read already by data.sources[%d]", data_path, used[role]);
        return "";
    }
    return idx ? NULL : dialect_fault(src, st, role >= GIVEN_TEST, data_path, why, n);
}

static tfg_pilot_class check_source(const json_t *src, size_t i, const spec_state *st,
                                    const char *file, int *used, tfg_err *err)
{
    bool idx = is_idx(src);
    const char *data_path = json_string_value(json_object_get(src, idx ? "images" : "path"));
    int role = data_path ? role_of(st, file, data_path) : -1;
    if (role < 0 || (idx && !json_is_string(json_object_get(src, "labels"))))
        return TFG_PILOT_OK; /* the schema names what is missing */
    char why[TFG_ERR_MSG_MAX], fp[64];
    const char *field = source_fault(src, st, file, role, used, why, sizeof why);
    if (!field) {
        used[role] = (int)i;
        return TFG_PILOT_OK;
    }
    snprintf(fp, sizeof fp, "data.sources[%zu]%s%s", i, *field ? "." : "", field);
    char *want = source_text(st, role >= GIVEN_TEST);
    tfg_err_field(err, TFG_EINPUT, file, fp, "%s; the source is %s", why, want);
    free(want);
    return TFG_PILOT_SPEC;
}

/* The sources are exactly the ones given: each file in its role, none left out. */
static tfg_pilot_class check_sources(const json_t *j, const spec_state *st, const char *file,
                                     tfg_err *err)
{
    const json_t *sources = json_object_get(json_object_get(j, "data"), "sources");
    if (!json_is_array(sources))
        return TFG_PILOT_OK; /* the schema says so */
    tfg_pilot_class cls = check_paths(sources, st, file, err);
    int used[GIVEN_N] = {-1, -1, -1, -1};
    size_t i;
    const json_t *src;
    json_array_foreach(sources, i, src) {
        if (!cls)
            cls = check_source(src, i, st, file, used, err);
    }
    static const int needed[] = {GIVEN_DATA, GIVEN_TEST};
    for (size_t n = 0; !cls && n < 2; n++) {
        int k = needed[n];
        if (st->abs[k] && used[k] < 0) {
            char *want = source_text(st, k == GIVEN_TEST);
            tfg_err_field(err, TFG_EINPUT, file, "data.sources",
                          "the %s '%s' is not among the sources; add %s", given_what[k],
                          st->abs[k], want);
            free(want);
            cls = TFG_PILOT_SPEC;
        }
    }
    return cls;
}

/* The fields a spec proposal may set: the task, the data as given, the board and its
 * budgets, and the settings of the stages that run on it. Who serves a stage and with
 * which key (backends, routing, any key_env or base_url), the validate and report
 * sections, a data plan file and an architecture file are the user's alone: a
 * proposal that sets one could send the data and a secret to a URL of its choosing, or
 * have a stage read a host file. A proposal may set name, description, task, data
 * (these keys), board, budgets, seed, model (an inline arch), training, quantization. */
static const char *const data_may_set[] = {"sources",     "label",   "features",
                                           "categorical", "classes", NULL};
static const char *const spec_known[] = {"backends", "routing", "validate", "report", NULL};

static bool listed(const char *const *names, const char *k)
{
    for (size_t i = 0; names[i]; i++)
        if (!strcmp(names[i], k))
            return true;
    return false;
}

/* Adds every key_env and base_url under j (at path) to refused. */
static void refuse_keys(const json_t *j, const char *path, tfg_buf *refused)
{
    char sub[256];
    const char *k;
    const json_t *v;
    size_t i;
    if (json_is_object(j)) {
        json_object_foreach((json_t *)j, k, v) {
            tfg_jpath_key(sub, sizeof sub, path, k);
            if (!strcmp(k, "key_env") || !strcmp(k, "base_url"))
                tfg_buf_printf(refused, "%s%s", refused->len ? ", " : "", sub);
            else
                refuse_keys(v, sub, refused);
        }
    } else if (json_is_array(j)) {
        json_array_foreach(j, i, v) {
            tfg_jpath_index(sub, sizeof sub, path, i);
            refuse_keys(v, sub, refused);
        }
    }
}

/* Every field outside the allow-list is named; unknown keys are left to the schema (a
 * spec error), keys the schema knows but a proposal may not set are unsafe. Then the
 * settings sections may hold no host reference (tfg_pilot_scan_unsafe). */
static tfg_pilot_class check_allowed(const json_t *j, const char *file, tfg_err *err)
{
    if (!json_is_object(j))
        return TFG_PILOT_OK;
    tfg_buf refused;
    tfg_buf_init(&refused);
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)j, k, v) {
        if (listed(spec_known, k))
            tfg_buf_printf(&refused, "%s%s", refused.len ? ", " : "", k);
        else /* an allowed section, or an unknown one (the schema's), may hide no key */
            refuse_keys(v, k, &refused);
    }
    const json_t *data = json_object_get(j, "data");
    if (json_is_object(data))
        json_object_foreach((json_t *)data, k, v)
            if (!listed(data_may_set, k) && (!strcmp(k, "plan") || json_is_string(v)))
                tfg_buf_printf(&refused, "%sdata.%s", refused.len ? ", " : "", k);
    const json_t *arch = json_object_get(json_object_get(j, "model"), "arch");
    if (arch && !json_is_object(arch))
        tfg_buf_printf(&refused, "%smodel.arch", refused.len ? ", " : "");
    if (refused.len) {
        tfg_err_field(err, TFG_ECHECK, file, refused.data,
                      "a spec proposal may not set these: backends, routing and keys come "
                      "only from the user's config, flags or own spec; a data plan or an "
                      "architecture file is a file the user did not give (give the "
                      "architecture inline, or leave model out: the train stage chooses "
                      "one); remove them");
        tfg_buf_free(&refused);
        return TFG_PILOT_UNSAFE;
    }
    tfg_buf_free(&refused);
    static const char *const settings[] = {"budgets", "model", "training", "quantization",
                                           NULL};
    tfg_pilot_class cls = TFG_PILOT_OK;
    for (size_t i = 0; settings[i] && !cls; i++) {
        json_t *sec = json_object_get(j, settings[i]);
        json_t *one = sec ? json_pack("{s:O}", settings[i], sec) : NULL; /* the field path */
        if (one && tfg_pilot_scan_unsafe(one, file, err))
            cls = TFG_PILOT_UNSAFE;
        json_decref(one);
    }
    return cls;
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
    if (i >= 0 && t->cols[i].type == TFG_COL_CAT && s->class_names) {
        tfg_err_field(err, TFG_EINPUT, s->path, "data.classes",
                      "names the classes of an integer label, but the label '%s' is "
                      "categorical: its own values are the class names; remove data.classes",
                      s->label);
        return TFG_PILOT_SPEC;
    }
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
    if ((*cls = check_allowed(j, file, err)) || (*cls = check_sources(j, st, file, err)) ||
        (*cls = check_budgets(j, o->boards, file, err))) {
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
