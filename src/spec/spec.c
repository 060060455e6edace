/* spec.c — reading and checking the spec. Every error names the spec file and the
 * field path ("data.sources[0].path") and says what was expected. */
#include "spec/spec.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/io.h"
#include "core/json.h"

static const char *const task_names[] = {"classification", "regression", "anomaly_detection",
                                         NULL};
static const char *const split_names[] = {"none", "train", "val", "test", NULL};

const char *tfg_task_name(tfg_task t)
{
    return task_names[t];
}

static char *dup_or_null(const char *s)
{
    return s ? tfg_xstrdup(s) : NULL;
}

void tfg_spec_free(tfg_spec *s)
{
    free(s->path);
    free(s->name);
    for (size_t i = 0; i < s->n_sources; i++) {
        free(s->sources[i].path);
        free(s->sources[i].labels);
        tfg_strv_free(s->sources[i].columns);
    }
    free(s->sources);
    free(s->label);
    tfg_strv_free(s->features);
    tfg_strv_free(s->categorical);
    tfg_strv_free(s->class_names);
    free(s->plan);
    tfg_board_free(&s->board);
    json_decref(s->json);
    memset(s, 0, sizeof *s);
}

static tfg_status parse_source(const json_t *o, const tfg_jctx *c, tfg_source *src,
                               tfg_err *err)
{
    static const char *const keys[] = {"format",    "path",     "images",    "labels",
                                       "header",    "delimiter", "decimal",  "quote",
                                       "skip_rows", "encoding", "columns",   "split", NULL};
    static const char *const formats[] = {"csv", "idx", NULL};
    static const char *const decimals[] = {".", ",", NULL};
    static const char *const quotes[] = {"\"", "'", NULL};
    static const char *const encodings[] = {"utf-8", "windows-1252", "latin-1", NULL};
    if (!json_is_object(o))
        return tfg_err_field(err, TFG_EINPUT, c->file, c->path,
                             "expected an object such as {\"path\": \"data.csv\"}, got %s",
                             tfg_json_type_name(o));
    tfg_status st = tfg_jcheck_keys(o, keys, c, err);
    if (st)
        return st;
    const char *path = NULL, *images = NULL, *labels = NULL, *delim = NULL;
    int format = -1, split = TFG_SPLIT_NONE, decimal = -1, quote = -1, encoding = -1;
    int64_t skip = -1;
    bool header = true, header_given = json_object_get(o, "header") != NULL;
    if (!st) st = tfg_jget_enum(o, "format", false, formats, &format, c, err);
    if (!st) st = tfg_jget_str(o, "path", false, &path, c, err);
    if (!st) st = tfg_jget_str(o, "images", false, &images, c, err);
    if (!st) st = tfg_jget_str(o, "labels", false, &labels, c, err);
    if (!st) st = tfg_jget_bool(o, "header", false, &header, c, err);
    if (!st) st = tfg_jget_str(o, "delimiter", false, &delim, c, err);
    if (!st) st = tfg_jget_enum(o, "decimal", false, decimals, &decimal, c, err);
    if (!st) st = tfg_jget_enum(o, "quote", false, quotes, &quote, c, err);
    if (!st) st = tfg_jget_int(o, "skip_rows", false, 0, 1000000, &skip, c, err);
    if (!st) st = tfg_jget_enum(o, "encoding", false, encodings, &encoding, c, err);
    if (!st) st = tfg_jget_enum(o, "split", false, split_names, &split, c, err);
    if (!st) st = tfg_jget_strv(o, "columns", false, &src->columns, &src->n_columns, c, err);
    if (st)
        return st;
    if (format < 0)
        format = (images || labels) ? TFG_SRC_IDX : TFG_SRC_CSV;
    char fp[256];
    if (format == TFG_SRC_CSV) {
        tfg_jpath_key(fp, sizeof fp, c->path, "path");
        if (!path)
            return tfg_err_field(err, TFG_EINPUT, c->file, fp,
                                 "required field is missing (the CSV file to read)");
        if (images || labels)
            return tfg_err_field(err, TFG_EINPUT, c->file, c->path,
                                 "'images' and 'labels' belong to IDX sources; this one is CSV");
        if (!*path)
            return tfg_err_field(err, TFG_EINPUT, c->file, fp, "expected a file name, got \"\"");
        src->path = tfg_path_beside(c->file, path);
    } else {
        tfg_jpath_key(fp, sizeof fp, c->path, images ? "labels" : "images");
        if (!images || !labels)
            return tfg_err_field(err, TFG_EINPUT, c->file, fp,
                                 "required field is missing (an IDX source names both "
                                 "'images' and 'labels' files)");
        src->path = tfg_path_beside(c->file, images);
        src->labels = tfg_path_beside(c->file, labels);
    }
    src->format = (tfg_src_format)format;
    src->header = header_given ? header : src->columns ? 0 : -1;
    src->delimiter = 0;
    src->decimal = decimal < 0 ? 0 : decimals[decimal][0];
    src->quote = quote < 0 ? 0 : quotes[quote][0];
    src->skip_rows = (long)skip;
    src->encoding = encoding < 0 ? 0 : encoding == 0 ? 1 : 2;
    if (delim) {
        tfg_jpath_key(fp, sizeof fp, c->path, "delimiter");
        if (!strcmp(delim, "tab") || !strcmp(delim, "\\t"))
            delim = "\t";
        if (strlen(delim) != 1 || delim[0] == '"' || delim[0] == '\'' || delim[0] == '\n' ||
            delim[0] == '\r')
            return tfg_err_field(err, TFG_EINPUT, c->file, fp,
                                 "expected one character such as \",\" \";\" \"|\" or \"\\t\" "
                                 "(\"tab\"), not a quote, got \"%s\"",
                                 delim);
        src->delimiter = delim[0];
    }
    if (src->decimal == ',' && src->delimiter == ',') {
        tfg_jpath_key(fp, sizeof fp, c->path, "decimal");
        return tfg_err_field(err, TFG_EINPUT, c->file, fp,
                             "a decimal comma needs another delimiter; set \"delimiter\" "
                             "to \";\" (or leave it out to detect it)");
    }
    if (src->columns && src->header == 1) {
        tfg_jpath_key(fp, sizeof fp, c->path, "columns");
        return tfg_err_field(err, TFG_EINPUT, c->file, fp,
                             "column names are for files without a header; set "
                             "\"header\": false or remove 'columns'");
    }
    src->split = (tfg_split_id)split;
    return TFG_OK;
}

static tfg_status check_unique(char **v, size_t n, const tfg_jctx *c, const char *key,
                               tfg_err *err)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(v[i], v[j])) {
                char p[256], q[300];
                tfg_jpath_key(p, sizeof p, c->path, key);
                tfg_jpath_index(q, sizeof q, p, i);
                return tfg_err_field(err, TFG_EINPUT, c->file, q, "'%s' is listed twice", v[i]);
            }
    return TFG_OK;
}

static tfg_status parse_data(const json_t *o, tfg_spec *s, const tfg_jctx *c, tfg_err *err)
{
    static const char *const keys[] = {"sources", "label", "features", "categorical",
                                       "classes", "plan", NULL};
    if (!json_is_object(o))
        return tfg_err_field(err, TFG_EINPUT, c->file, c->path, "expected an object, got %s",
                             tfg_json_type_name(o));
    tfg_status st = tfg_jcheck_keys(o, keys, c, err);
    if (st)
        return st;
    const json_t *srcs = json_object_get(o, "sources");
    char sp[256];
    tfg_jpath_key(sp, sizeof sp, c->path, "sources");
    if (!srcs)
        return tfg_err_field(err, TFG_EINPUT, c->file, sp,
                             "required field is missing (a list of data files)");
    if (!json_is_array(srcs) || json_array_size(srcs) == 0)
        return tfg_err_field(err, TFG_EINPUT, c->file, sp,
                             "expected a non-empty array of sources, got %s",
                             tfg_json_type_name(srcs));
    size_t n = json_array_size(srcs);
    s->sources = tfg_xcalloc(n, sizeof *s->sources);
    for (size_t i = 0; i < n; i++) {
        char ip[300];
        tfg_jpath_index(ip, sizeof ip, sp, i);
        tfg_jctx ic = {c->file, ip};
        s->n_sources = i + 1;
        st = parse_source(json_array_get(srcs, i), &ic, &s->sources[i], err);
        if (st)
            return st;
    }
    const char *label = NULL, *plan = NULL;
    if (!st) st = tfg_jget_str(o, "label", s->task != TFG_TASK_ANOMALY, &label, c, err);
    if (!st) st = tfg_jget_strv(o, "features", false, &s->features, &s->n_features, c, err);
    if (!st) st = tfg_jget_strv(o, "categorical", false, &s->categorical, &s->n_categorical, c, err);
    if (!st) st = tfg_jget_strv(o, "classes", false, &s->class_names, &s->n_class_names, c, err);
    if (!st) st = tfg_jget_str(o, "plan", false, &plan, c, err);
    if (!st) st = check_unique(s->features, s->n_features, c, "features", err);
    if (!st) st = check_unique(s->class_names, s->n_class_names, c, "classes", err);
    if (st)
        return st;
    s->label = dup_or_null(label);
    if (plan)
        s->plan = tfg_path_beside(c->file, plan);
    char fp[256];
    if (s->features && s->n_features == 0) {
        tfg_jpath_key(fp, sizeof fp, c->path, "features");
        return tfg_err_field(err, TFG_EINPUT, c->file, fp,
                             "expected at least one feature column (or leave it out for all)");
    }
    for (size_t i = 0; label && i < s->n_features; i++)
        if (!strcmp(s->features[i], label)) {
            char q[300];
            tfg_jpath_key(fp, sizeof fp, c->path, "features");
            tfg_jpath_index(q, sizeof q, fp, i);
            return tfg_err_field(err, TFG_EINPUT, c->file, q,
                                 "the label column '%s' cannot also be a feature", label);
        }
    if (s->class_names && s->task != TFG_TASK_CLASSIFICATION) {
        tfg_jpath_key(fp, sizeof fp, c->path, "classes");
        return tfg_err_field(err, TFG_EINPUT, c->file, fp,
                             "class names only apply to the classification task");
    }
    return TFG_OK;
}

static tfg_status parse_budgets(const json_t *o, tfg_spec *s, const tfg_jctx *c, tfg_err *err)
{
    static const char *const keys[] = {"flash_bytes", "ram_bytes", "latency_ms", NULL};
    if (!json_is_object(o))
        return tfg_err_field(err, TFG_EINPUT, c->file, c->path, "expected an object, got %s",
                             tfg_json_type_name(o));
    tfg_status st = tfg_jcheck_keys(o, keys, c, err);
    int64_t flash = (int64_t)s->board.flash_bytes, ram = (int64_t)s->board.ram_bytes;
    if (!st) st = tfg_jget_int(o, "flash_bytes", false, 1, INT64_MAX, &flash, c, err);
    if (!st) st = tfg_jget_int(o, "ram_bytes", false, 1, INT64_MAX, &ram, c, err);
    if (!st) st = tfg_jget_num(o, "latency_ms", false, 0, 1e9, &s->budget.latency_ms, c, err);
    if (st)
        return st;
    char fp[256];
    if ((uint64_t)flash > s->board.flash_bytes) {
        tfg_jpath_key(fp, sizeof fp, c->path, "flash_bytes");
        return tfg_err_field(err, TFG_EINPUT, c->file, fp,
                             "%lld bytes is more than the %s has (%llu bytes)", (long long)flash,
                             s->board.name, (unsigned long long)s->board.flash_bytes);
    }
    if ((uint64_t)ram > s->board.ram_bytes) {
        tfg_jpath_key(fp, sizeof fp, c->path, "ram_bytes");
        return tfg_err_field(err, TFG_EINPUT, c->file, fp,
                             "%lld bytes is more than the %s has (%llu bytes)", (long long)ram,
                             s->board.name, (unsigned long long)s->board.ram_bytes);
    }
    s->budget.flash_bytes = (uint64_t)flash;
    s->budget.ram_bytes = (uint64_t)ram;
    return TFG_OK;
}

static tfg_status check_name(const char *name, const char *file, tfg_err *err)
{
    /* The name becomes a directory and a C identifier prefix: keep it plain. */
    size_t n = strlen(name);
    bool ok = n > 0 && n <= 64 && isalpha((unsigned char)name[0]);
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)name[i]) || name[i] == '_' || name[i] == '-';
    if (!ok)
        return tfg_err_field(err, TFG_EINPUT, file, "name",
                             "expected 1-64 letters, digits, '_' or '-' starting with a letter, "
                             "got \"%s\"",
                             name);
    return TFG_OK;
}

tfg_status tfg_spec_from_json(json_t *j, const char *file, const tfg_boards *boards,
                              tfg_spec *s, tfg_err *err)
{
    /* Sections owned by later stages are accepted as objects and kept in s->json. */
    static const char *const keys[] = {"name",     "description", "task",     "data",
                                       "board",    "budgets",     "seed",     "model",
                                       "training", "quantization", "backends", "routing",
                                       "validate", "report",      NULL};
    static const char *const later[] = {"model",   "training", "quantization", "backends",
                                        "routing", "validate", "report",       NULL};
    memset(s, 0, sizeof *s);
    s->path = tfg_xstrdup(file);
    s->json = json_incref(j);
    tfg_jctx c = {file, ""};
    if (!json_is_object(j))
        return tfg_err_field(err, TFG_EINPUT, file, "", "expected a JSON object, got %s",
                             tfg_json_type_name(j));
    tfg_status st = tfg_jcheck_keys(j, keys, &c, err);
    const char *name = NULL, *board = NULL, *desc = NULL;
    int task = 0;
    int64_t seed = 1;
    if (!st) st = tfg_jget_str(j, "name", true, &name, &c, err);
    if (!st) st = check_name(name, file, err);
    if (!st) st = tfg_jget_str(j, "description", false, &desc, &c, err);
    if (!st) st = tfg_jget_enum(j, "task", true, task_names, &task, &c, err);
    if (!st) st = tfg_jget_str(j, "board", true, &board, &c, err);
    if (!st) st = tfg_jget_int(j, "seed", false, 0, INT64_MAX, &seed, &c, err);
    for (size_t i = 0; !st && later[i]; i++) {
        const json_t *v = json_object_get(j, later[i]);
        if (v && !json_is_object(v))
            st = tfg_err_field(err, TFG_EINPUT, file, later[i], "expected an object, got %s",
                               tfg_json_type_name(v));
    }
    /* No stage reads a setting of these yet: one given would be silently ignored. */
    static const char *const unread[] = {"validate", "report", NULL};
    for (size_t i = 0; !st && unread[i]; i++) {
        const json_t *v = json_object_get(j, unread[i]);
        if (v && json_object_size(v))
            st = tfg_err_field(err, TFG_EINPUT, file, unread[i],
                               "this section takes no settings yet (it has %zu); remove them",
                               json_object_size(v));
    }
    if (st)
        return st;
    s->name = tfg_xstrdup(name);
    s->task = (tfg_task)task;
    s->seed = (uint64_t)seed;
    const tfg_board *b = tfg_boards_find(boards, board);
    if (!b) {
        char near[256];
        tfg_boards_suggest(boards, board, near, sizeof near);
        return tfg_err_field(err, TFG_EINPUT, file, "board",
                             "unknown board '%s'; closest known: %s (all boards: tinyforge "
                             "boards)",
                             board, near);
    }
    tfg_board_copy(&s->board, b);
    s->budget.flash_bytes = b->flash_bytes;
    s->budget.ram_bytes = b->ram_bytes;
    const json_t *data = json_object_get(j, "data");
    if (!data)
        return tfg_err_field(err, TFG_EINPUT, file, "data",
                             "required field is missing (where the data is: {\"sources\": "
                             "[...], \"label\": ...})");
    tfg_jctx dc = {file, "data"};
    st = parse_data(data, s, &dc, err);
    const json_t *budgets = json_object_get(j, "budgets");
    tfg_jctx bc = {file, "budgets"};
    if (!st && budgets)
        st = parse_budgets(budgets, s, &bc, err);
    return st;
}

tfg_status tfg_spec_load(const char *path, const tfg_boards *boards, tfg_spec *s,
                         tfg_err *err)
{
    memset(s, 0, sizeof *s);
    json_t *j;
    tfg_status st = tfg_json_load_file(path, &j, err);
    if (st)
        return st;
    st = tfg_spec_from_json(j, path, boards, s, err);
    json_decref(j);
    return st;
}

/* A data file named at field p: it exists, is a regular file (or a gzip of one) and is
 * within the readers' size limit. */
static tfg_status check_file(const tfg_spec *s, const char *p, const char *path, tfg_err *err)
{
    if (!tfg_exists(path))
        return tfg_err_field(err, TFG_EINPUT, s->path, p, "%s: %s", tfg_path_problem(path),
                             path);
    tfg_err e;
    if (tfg_check_size(path, TFG_READ_MAX_DEFAULT, &e))
        return tfg_err_field(err, e.code, s->path, p, "%s", e.msg);
    return TFG_OK;
}

tfg_status tfg_spec_check_files(const tfg_spec *s, tfg_err *err)
{
    tfg_status st = TFG_OK;
    for (size_t i = 0; !st && i < s->n_sources; i++) {
        const tfg_source *src = &s->sources[i];
        char p[64];
        snprintf(p, sizeof p, "data.sources[%zu].%s", i,
                 src->format == TFG_SRC_IDX ? "images" : "path");
        st = check_file(s, p, src->path, err);
        snprintf(p, sizeof p, "data.sources[%zu].labels", i);
        if (!st && src->labels)
            st = check_file(s, p, src->labels, err);
    }
    if (!st && s->plan)
        st = check_file(s, "data.plan", s->plan, err);
    return st;
}
