/* preprocess_emit.c — preprocess.json -> preprocess.h/.c (preprocess_emit.h).
 *
 * The generator replays the steps symbolically: it keeps the same list of named slots
 * as the host reference (data/preprocess.c), but each slot is a C variable. A numeric
 * slot is a float; a categorical slot is an int indexing a table of level names that
 * the generator owns (the input's levels, plus any name an impute step brings in), -1
 * when missing. Steps become statements on those variables; level lookups become
 * constant tables, so the device compares integers, never strings. */
#include "codegen/preprocess_emit.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/emit.h"
#include "core/alloc.h"

typedef struct {
    char *name;
    bool cat;
    int var;          /* the C variable: v<var> (float) or c<var> (int) */
    char **levels;    /* categorical: names by index */
    size_t n_levels;
} slot;

typedef struct {
    slot *s;
    size_t n;
    int next_var;
    tfg_buf body;
    const char *file;
    tfg_err *err;
} pgen;

static void slot_free(slot *s)
{
    free(s->name);
    for (size_t k = 0; k < s->n_levels; k++)
        free(s->levels[k]);
    free(s->levels);
}

static slot *find(pgen *g, const char *name)
{
    for (size_t i = 0; name && i < g->n; i++)
        if (!strcmp(g->s[i].name, name))
            return &g->s[i];
    return NULL;
}

static slot *insert(pgen *g, size_t at, const char *name, bool cat)
{
    g->s = tfg_xreallocarray(g->s, g->n + 1, sizeof *g->s);
    memmove(&g->s[at + 1], &g->s[at], (g->n - at) * sizeof *g->s);
    g->s[at] = (slot){tfg_xstrdup(name), cat, g->next_var++, NULL, 0};
    g->n++;
    tfg_buf_printf(&g->body, "    %s %c%d;\n", cat ? "int" : "float", cat ? 'c' : 'v',
                   g->s[at].var);
    return &g->s[at];
}

static int level_of(const slot *s, const char *name)
{
    for (size_t k = 0; name && k < s->n_levels; k++)
        if (!strcmp(s->levels[k], name))
            return (int)k;
    return -1;
}

static int add_level(slot *s, const char *name)
{
    int k = level_of(s, name);
    if (k >= 0)
        return k;
    s->levels = tfg_xreallocarray(s->levels, s->n_levels + 1, sizeof *s->levels);
    s->levels[s->n_levels] = tfg_xstrdup(name);
    return (int)s->n_levels++;
}

/* A float constant as the host reads it: (float) of the JSON number, printed exactly. */
static void put_f(tfg_buf *b, const json_t *v)
{
    float f = (float)json_number_value(v);
    if (isnan(f))
        tfg_buf_printf(b, "(0.0f / 0.0f)");
    else
        tfg_buf_printf(b, "%af", (double)f);
}

/* A comment-safe copy of a name (no "*" followed by "/", printable ASCII). */
static void put_comment_name(tfg_buf *b, const char *s)
{
    for (char prev = '\0'; *s; prev = *s++)
        tfg_buf_putc(b, (*s == '/' && prev == '*') || !isprint((unsigned char)*s) ? '?' : *s);
}

/* Ends a statement with a comment saying what its constant is (column, then what). */
static void put_what(tfg_buf *b, const char *column, const char *what)
{
    tfg_buf_printf(b, " /* ");
    put_comment_name(b, column);
    tfg_buf_printf(b, "%s */\n", what);
}

/* The file name without its directories: a generated file must not carry a path of the
 * machine that made it. */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static tfg_status load_inputs(pgen *g, const json_t *pp)
{
    const json_t *inputs = json_object_get(pp, "inputs");
    const json_t *levels = json_object_get(pp, "input_levels");
    if (!json_is_array(inputs) || !json_array_size(inputs))
        return tfg_err_field(g->err, TFG_EINPUT, g->file, "inputs",
                             "expected a non-empty array of names");
    size_t i;
    const json_t *name;
    json_array_foreach(inputs, i, name) {
        const char *n = json_string_value(name);
        if (!n)
            return tfg_err_field(g->err, TFG_EINPUT, g->file, "inputs", "expected names");
        const json_t *lv = json_object_get(levels, n);
        slot *s = insert(g, g->n, n, lv != NULL);
        if (!lv) {
            tfg_buf_printf(&g->body, "    v%d = raw[%zu];", s->var, i);
            put_what(&g->body, n, "");
            continue;
        }
        size_t k;
        const json_t *l;
        json_array_foreach(lv, k, l)
            add_level(s, json_string_value(l) ? json_string_value(l) : "");
        tfg_buf_printf(&g->body,
                       "    c%d = raw[%zu] == raw[%zu] && raw[%zu] >= 0.0f && raw[%zu] < "
                       "%zu.0f ? (int)raw[%zu] : -1;\n",
                       s->var, i, i, i, i, s->n_levels, i);
    }
    return TFG_OK;
}

/* What the two constants of an affine step are, by the method of the scale op. */
static const char *affine_what(const json_t *step)
{
    const char *m = json_string_value(json_object_get(step, "method"));
    if (m && !strcmp(m, "zscore"))
        return ": (x - training mean) * (1 / training std)";
    if (m && !strcmp(m, "minmax"))
        return ": (x - min) * (1 / (max - min))";
    return ": (x - offset) * scale";
}

static tfg_status per_column(pgen *g, const char *kind, const json_t *step, const char *path)
{
    const char *strategy = json_string_value(json_object_get(step, "strategy"));
    char *imputed = !strategy ? tfg_xstrdup(" missing: the imputed value")
                    : !strcmp(strategy, "constant")
                        ? tfg_xstrdup(" missing: the plan's constant")
                        : tfg_xasprintf(" missing: the training %s", strategy);
    tfg_status st = TFG_OK;
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(step, "columns"), i, e) {
        slot *s = find(g, json_string_value(json_object_get(e, "column")));
        if (!s) {
            st = tfg_err_field(g->err, TFG_EINPUT, g->file, path,
                               "entry %zu names a column that is not there", i);
            break;
        }
        tfg_buf *b = &g->body;
        if (!strcmp(kind, "impute") && s->cat) {
            const char *v = json_string_value(json_object_get(e, "value"));
            if (v) {
                tfg_buf_printf(b, "    if (c%d < 0)\n        c%d = %d;", s->var, s->var,
                               add_level(s, v));
                tfg_buf_printf(b, " /* ");
                put_comment_name(b, s->name);
                tfg_buf_printf(b, "%s, ", imputed);
                put_comment_name(b, v);
                tfg_buf_printf(b, " */\n");
            }
        } else if (!strcmp(kind, "impute")) {
            tfg_buf_printf(b, "    if (v%d != v%d)\n        v%d = ", s->var, s->var, s->var);
            put_f(b, json_object_get(e, "value"));
            tfg_buf_printf(b, ";");
            put_what(b, s->name, imputed);
        } else if (s->cat) {
            st = tfg_err_field(g->err, TFG_EINPUT, g->file, path,
                               "%s of column '%s', which is categorical here", kind, s->name);
            break;
        } else if (!strcmp(kind, "clip")) {
            /* x < lo ? lo : (x > hi ? hi : x), as tfg_pp_clip (NaN stays NaN) */
            tfg_buf_printf(b, "    /* outlier fences of ");
            put_comment_name(b, s->name);
            tfg_buf_printf(b, " (training): ");
            put_f(b, json_object_get(e, "lo"));
            tfg_buf_printf(b, " .. ");
            put_f(b, json_object_get(e, "hi"));
            tfg_buf_printf(b, " */\n    v%d = v%d < ", s->var, s->var);
            put_f(b, json_object_get(e, "lo"));
            tfg_buf_printf(b, " ? ");
            put_f(b, json_object_get(e, "lo"));
            tfg_buf_printf(b, " : (v%d > ", s->var);
            put_f(b, json_object_get(e, "hi"));
            tfg_buf_printf(b, " ? ");
            put_f(b, json_object_get(e, "hi"));
            tfg_buf_printf(b, " : v%d);\n", s->var);
        } else {
            /* (x - offset) * scale, as tfg_pp_affine */
            tfg_buf_printf(b, "    /* ");
            put_comment_name(b, s->name);
            tfg_buf_printf(b, "%s */\n", affine_what(step));
            tfg_buf_printf(b, "    v%d = (v%d - ", s->var, s->var);
            put_f(b, json_object_get(e, "offset"));
            tfg_buf_printf(b, ") * ");
            put_f(b, json_object_get(e, "scale"));
            tfg_buf_printf(b, ";\n");
        }
    }
    free(imputed);
    return st;
}

static tfg_status encode(pgen *g, bool one_hot, const json_t *step, const char *path)
{
    const char *col = json_string_value(json_object_get(step, "column"));
    const json_t *levels = json_object_get(step, "levels");
    slot *s = find(g, col);
    if (!s || !s->cat)
        return tfg_err_field(g->err, TFG_EINPUT, g->file, path,
                             "column '%s' is not a categorical value here", col ? col : "?");
    tfg_buf *b = &g->body;
    if (!one_hot) {
        /* A table from this slot's level index to the step's code (-1: not a level). */
        slot old = *s;
        s->cat = false;
        s->var = g->next_var++;
        tfg_buf_printf(b, "    float v%d;\n    {\n        /* label_encode of ", s->var);
        put_comment_name(b, old.name);
        tfg_buf_printf(b, ": the code of each level (-1: not a level of the plan) */\n"
                       "        static const int map[%zu] = {", old.n_levels ? old.n_levels : 1);
        for (size_t k = 0; k < old.n_levels; k++) {
            int pos = -1;
            for (size_t l = 0; l < json_array_size(levels); l++) {
                const char *name = json_string_value(json_array_get(levels, l));
                if (!strcmp(old.levels[k], name ? name : ""))
                    pos = (int)l;
            }
            tfg_buf_printf(b, "%s%d", k ? ", " : "", pos);
        }
        tfg_buf_printf(b, "%s};\n        v%d = c%d >= 0 && map[c%d] >= 0 ? (float)map[c%d] : "
                       "NAN_F;\n    }\n", old.n_levels ? "" : "-1", s->var, old.var, old.var,
                       old.var);
        for (size_t k = 0; k < old.n_levels; k++)
            free(old.levels[k]);
        free(old.levels);
        s->levels = NULL;
        s->n_levels = 0;
        return TFG_OK;
    }
    size_t at = (size_t)(s - g->s);
    slot old = *s;
    memmove(&g->s[at], &g->s[at + 1], (g->n - at - 1) * sizeof *g->s);
    g->n--;
    for (size_t l = 0; l < json_array_size(levels); l++) {
        const char *lv = json_string_value(json_array_get(levels, l));
        char *name = tfg_xasprintf("%s=%s", col, lv ? lv : "");
        slot *n = insert(g, at + l, name, false);
        tfg_buf_printf(b, "    v%d = c%d < 0 ? NAN_F : (c%d == %d ? 1.0f : 0.0f);", n->var,
                       old.var, old.var, level_of(&old, lv));
        put_what(b, name, ": its one-hot level");
        free(name);
    }
    slot_free(&old);
    return TFG_OK;
}

static tfg_status steps(pgen *g, const json_t *pp)
{
    size_t i;
    const json_t *step;
    json_array_foreach(json_object_get(pp, "steps"), i, step) {
        char path[64];
        snprintf(path, sizeof path, "steps[%zu]", i);
        const char *kind = json_string_value(json_object_get(step, "step"));
        tfg_status st;
        if (!kind)
            st = tfg_err_field(g->err, TFG_EINPUT, g->file, path, "a step needs a \"step\" name");
        else if (!strcmp(kind, "impute") || !strcmp(kind, "clip") || !strcmp(kind, "affine"))
            st = per_column(g, kind, step, path);
        else if (!strcmp(kind, "one_hot") || !strcmp(kind, "label_encode"))
            st = encode(g, !strcmp(kind, "one_hot"), step, path);
        else if (!strcmp(kind, "window"))
            st = tfg_err_field(g->err, TFG_EUSAGE, g->file, path,
                               "a window step works on a sequence of readings; device "
                               "preprocessing is generated for one reading only");
        else
            st = tfg_err_field(g->err, TFG_EINPUT, g->file, path, "unknown step '%s'", kind);
        if (st)
            return st;
    }
    return TFG_OK;
}

tfg_status tfg_codegen_preprocess(const json_t *pp, const char *file, const char *prefix,
                                  char **h, char **c, tfg_err *err)
{
    *h = *c = NULL;
    prefix = prefix ? prefix : "tfg_model";
    if (!tfg_codegen_is_ident(prefix))
        return tfg_err_set(err, TFG_EUSAGE, "'%s' is not a C identifier", prefix);
    pgen g = {.file = file ? file : "preprocess.json", .err = err};
    tfg_buf_init(&g.body);
    tfg_status st = load_inputs(&g, pp);
    if (!st)
        st = steps(&g, pp);
    const json_t *features = json_object_get(pp, "features");
    if (!st && (!json_is_array(features) || !json_array_size(features)))
        st = tfg_err_field(err, TFG_EINPUT, g.file, "features", "expected a non-empty array");
    tfg_buf out;
    tfg_buf_init(&out);
    size_t i;
    const json_t *f;
    json_array_foreach(features, i, f) {
        if (st)
            break;
        slot *s = find(&g, json_string_value(f));
        if (!s || s->cat)
            st = tfg_err_field(err, TFG_EINPUT, g.file, "features",
                               "feature '%s' is not a number after the steps",
                               json_string_value(f) ? json_string_value(f) : "?");
        else
            tfg_buf_printf(&out, "    features[%zu] = v%d;\n", i, s->var);
    }
    if (!st) {
        char *U = tfg_codegen_upper(prefix);
        size_t n_in = json_array_size(json_object_get(pp, "inputs"));
        size_t n_f = json_array_size(features);
        tfg_buf hb, cb;
        tfg_buf_init(&hb);
        tfg_buf_init(&cb);
        tfg_buf_printf(&hb, "/* preprocess.h — generated by tinyforge %s from ", TFG_VERSION);
        put_comment_name(&hb, base_name(g.file));
        tfg_buf_printf(&hb, ": what the device does\n * to one raw reading to get the model's "
                       "input features (float32, bit-identical\n * to the host). Do not edit. "
                       "Raw inputs, in order:\n");
        const json_t *n;
        json_array_foreach(json_object_get(pp, "inputs"), i, n) {
            tfg_buf_printf(&hb, " *   raw[%zu] ", i);
            put_comment_name(&hb, json_string_value(n));
            tfg_buf_printf(&hb, "%s\n", json_object_get(json_object_get(pp, "input_levels"),
                                                        json_string_value(n))
                                            ? " (categorical: index of its level)"
                                            : "");
        }
        tfg_buf_printf(&hb, " * NaN marks a missing value. */\n#ifndef %s_PREPROCESS_H\n"
                       "#define %s_PREPROCESS_H\n\n#define %s_RAW_INPUTS %zu\n"
                       "#define %s_FEATURES %zu\n\n/* Fills features[%s_FEATURES] from "
                       "raw[%s_RAW_INPUTS]; returns 0. */\nint %s_preprocess(const float *raw, "
                       "float *features);\n\n#endif\n",
                       U, U, U, n_in, U, n_f, U, U, prefix);
        tfg_buf_printf(&cb, "/* preprocess.c — generated by tinyforge %s; see preprocess.h. "
                       "*/\n#include \"preprocess.h\"\n\n/* NaN without libm (C99 has no "
                       "portable constant for it). */\n#define NAN_F (0.0f / 0.0f)\n\n"
                       "int %s_preprocess(const float *raw, float *features)\n{\n",
                       TFG_VERSION, prefix);
        tfg_buf_append(&cb, g.body.data, g.body.len);
        tfg_buf_append(&cb, out.data, out.len);
        tfg_buf_printf(&cb, "    return 0;\n}\n");
        *h = tfg_buf_take(&hb);
        *c = tfg_buf_take(&cb);
        free(U);
    }
    tfg_buf_free(&out);
    tfg_buf_free(&g.body);
    for (size_t k = 0; k < g.n; k++)
        slot_free(&g.s[k]);
    free(g.s);
    return st;
}
