/* stage.c — the data stage: sources -> profile -> plan -> splits, published atomically
 * and skipped when its inputs did not change (see stage.h). */
#include "data/stage.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/hash.h"
#include "core/io.h"
#include "core/json.h"
#include "core/manifest.h"
#include "core/strutil.h"
#include "data/csv.h"
#include "data/idx.h"
#include "data/plan.h"
#include "data/profile.h"
#include "data/splitfile.h"
#include "spec/rundir.h"

static tfg_status load_one(const tfg_source *src, const tfg_spec *s, tfg_table *t,
                           tfg_csv_info *info, tfg_err *err)
{
    if (src->format == TFG_SRC_IDX)
        return tfg_idx_read(src->path, src->labels, t, err);
    tfg_csv_opts o;
    tfg_csv_opts_default(&o);
    o.header = src->header;
    o.delimiter = src->delimiter;
    o.decimal = src->decimal;
    o.quote = src->quote;
    o.skip_rows = src->skip_rows;
    o.encoding = (tfg_csv_encoding)src->encoding;
    o.names = (const char *const *)src->columns;
    o.n_names = src->n_columns;
    o.categorical = (const char *const *)s->categorical;
    return tfg_csv_read_info(src->path, &o, t, info, err);
}

static tfg_status check_column(const tfg_table *t, const tfg_spec *s, const char *name,
                               const char *field, tfg_err *err)
{
    if (tfg_table_find(t, name) >= 0)
        return TFG_OK;
    const char **names = tfg_table_names(t);
    char list[512];
    tfg_join(list, sizeof list, names, ", ");
    const char *near = tfg_closest(name, names);
    tfg_status st;
    if (near)
        st = tfg_err_field(err, TFG_EINPUT, s->path, field,
                           "no column '%s' in the data; did you mean '%s'? (columns: %s)", name,
                           near, list);
    else
        st = tfg_err_field(err, TFG_EINPUT, s->path, field,
                           "no column '%s' in the data (columns: %s)", name, list);
    free(names);
    return st;
}

tfg_status tfg_data_load_sources(const tfg_spec *s, tfg_table *t, tfg_err *err)
{
    return tfg_data_load_sources_info(s, t, NULL, err);
}

tfg_status tfg_data_load_sources_info(const tfg_spec *s, tfg_table *t, tfg_csv_info *infos,
                                      tfg_err *err)
{
    tfg_table_init(t);
    tfg_status st = TFG_OK;
    for (size_t i = 0; infos && i < s->n_sources; i++)
        memset(&infos[i], 0, sizeof infos[i]);
    for (size_t i = 0; !st && i < s->n_sources; i++) {
        const tfg_source *src = &s->sources[i];
        tfg_table part;
        tfg_table_init(&part);
        st = load_one(src, s, &part, infos ? &infos[i] : NULL, err);
        if (!st && src->split != TFG_SPLIT_NONE) {
            part.pin = tfg_xmalloc(part.n_rows ? part.n_rows : 1);
            memset(part.pin, (int)src->split, part.n_rows);
        }
        if (!st && i == 0) {
            *t = part;
            continue;
        }
        if (!st)
            st = tfg_table_append(t, &part, src->path, err);
        tfg_table_free(&part);
    }
    if (!st && s->label)
        st = check_column(t, s, s->label, "data.label", err);
    for (size_t i = 0; !st && i < s->n_features; i++) {
        char f[64];
        snprintf(f, sizeof f, "data.features[%zu]", i);
        st = check_column(t, s, s->features[i], f, err);
    }
    for (size_t i = 0; !st && i < s->n_categorical; i++) {
        char f[64];
        snprintf(f, sizeof f, "data.categorical[%zu]", i);
        st = check_column(t, s, s->categorical[i], f, err);
    }
    if (st)
        tfg_table_free(t);
    return st;
}

/* The part of the spec this stage depends on, in canonical form. */
static char *spec_inputs(const tfg_spec *s)
{
    json_t *o = json_object();
    json_object_set(o, "task", json_object_get(s->json, "task"));
    json_object_set(o, "data", json_object_get(s->json, "data"));
    json_object_set_new(o, "seed", json_integer((json_int_t)s->seed));
    char *text = tfg_json_canonical(o);
    json_decref(o);
    return text;
}

typedef struct {
    char *path;   /* the plan file used, or NULL for the builtin planner */
    char *text;   /* its bytes */
    const char *origin;
} plan_choice;

static tfg_status choose_plan(const tfg_spec *s, const tfg_data_opts *o, const char *dir,
                              plan_choice *pc, tfg_err *err)
{
    memset(pc, 0, sizeof *pc);
    char *run_plan = tfg_path_join(dir, "plan.json");
    if (o->plan_file) {
        pc->path = tfg_xstrdup(o->plan_file);
        pc->origin = "file";
    } else if (s->plan) {
        pc->path = tfg_xstrdup(s->plan);
        pc->origin = "spec";
    } else if (!o->replan && tfg_exists(run_plan)) {
        /* A plan in the run directory is a person's once they edited it: keep using it.
         * One the builtin planner wrote and nobody touched is rewritten (the data may
         * have changed). */
        tfg_manifest prev;
        bool have = tfg_manifest_load(dir, &prev);
        const char *origin = have ? tfg_manifest_get_note(&prev, "plan_origin") : NULL;
        const char *hash = have ? tfg_manifest_output_hash(&prev, "plan.json") : NULL;
        char hex[TFG_SHA256_HEX] = "";
        tfg_sha256_file(run_plan, hex, NULL);
        bool edited = !hash || strcmp(hash, hex) != 0;
        if (edited || (origin && strcmp(origin, "builtin") != 0)) {
            pc->path = tfg_xstrdup(run_plan);
            pc->origin = "edited";
        }
        tfg_manifest_free(&prev);
    }
    free(run_plan);
    if (!pc->path) {
        pc->origin = "builtin";
        return TFG_OK;
    }
    size_t len;
    tfg_status st = tfg_read_file(pc->path, (size_t)16 << 20, &pc->text, &len, err);
    if (st) {
        free(pc->path);
        pc->path = NULL;
    }
    return st;
}

static json_t *load_json_or_null(const char *dir, const char *name)
{
    char *p = tfg_path_join(dir, name);
    json_t *j = NULL;
    if (tfg_json_load_file(p, &j, NULL) != TFG_OK)
        j = NULL;
    free(p);
    return j;
}

static json_t *strv_json(char **v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *split_json(const tfg_split *sp, size_t n_classes)
{
    json_t *o = json_pack("{s:I}", "rows", (json_int_t)sp->rows);
    if (sp->label_kind == TFG_LABEL_CLASS) {
        json_t *counts = json_array();
        for (size_t c = 0; c < n_classes; c++) {
            size_t k = 0;
            for (uint32_t i = 0; i < sp->rows; i++)
                k += sp->y_class[i] == (int32_t)c;
            json_array_append_new(counts, json_integer((json_int_t)k));
        }
        json_object_set_new(o, "class_counts", counts);
    }
    return o;
}

/* The source hashes come from the manifest's inputs: each data file is read once. */
static json_t *make_summary(const tfg_spec *s, const tfg_manifest *m, const tfg_table *loaded,
                            const plan_choice *pc, const tfg_data_result *res)
{
    json_t *sources = json_array();
    for (size_t i = 0; i < s->n_sources; i++) {
        json_t *src = json_pack("{s:s}", "path", s->sources[i].path);
        if (s->sources[i].labels)
            json_object_set_new(src, "labels", json_string(s->sources[i].labels));
        char label[64];
        snprintf(label, sizeof label, "source%zu", i);
        json_object_set(src, "sha256", json_object_get(json_object_get(m->j, "inputs"), label));
        json_array_append_new(sources, src);
    }
    json_t *shape = json_array();
    for (uint32_t d = 0; d < res->train.rank; d++)
        json_array_append_new(shape, json_integer(res->train.shape[d]));
    json_t *sum = json_object();
    json_object_set_new(sum, "stage", json_string(tfg_stage_name(TFG_STAGE_DATA)));
    json_object_set_new(sum, "name", json_string(s->name));
    json_object_set_new(sum, "task", json_string(tfg_task_name(s->task)));
    json_object_set_new(sum, "sources", sources);
    json_object_set_new(sum, "rows_loaded", json_integer((json_int_t)loaded->n_rows));
    json_object_set_new(sum, "columns_loaded", json_integer((json_int_t)loaded->n_cols));
    json_object_set_new(sum, "plan_origin", json_string(pc->origin));
    if (pc->path)
        json_object_set_new(sum, "plan_file", json_string(pc->path));
    json_object_set_new(sum, "label", s->label ? json_string(s->label) : json_null());
    json_object_set_new(sum, "classes", strv_json(res->classes, res->n_classes));
    json_object_set_new(sum, "features", strv_json(res->features, res->n_features));
    json_object_set_new(sum, "input_shape", shape);
    json_t *splits = json_pack("{s:o, s:o, s:o}", "train",
                               split_json(&res->train, res->n_classes), "val",
                               split_json(&res->val, res->n_classes), "test",
                               split_json(&res->test, res->n_classes));
    /* where each split's rows came from: drawn, dropped (train), set aside (val, test) */
    const char *name;
    json_t *acc;
    json_object_foreach(json_object_get(res->accounting, "splits"), name, acc)
        json_object_update(json_object_get(splits, name), acc);
    json_object_set_new(sum, "splits", splits);
    json_object_set(sum, "cleaning", json_object_get(res->accounting, "cleaning"));
    json_object_set(sum, "ops", res->log);
    json_object_set_new(sum, "raw_readings",
                        res->test_raw.x
                            ? json_pack("{s:s,s:I}", "file", "test_raw.bin", "rows",
                                        (json_int_t)res->test_raw.rows)
                            : json_pack("{s:n,s:s}", "file", "why", res->raw_why));
    return sum;
}

static tfg_status write_json(const tfg_stagedir *sd, const char *name, const json_t *j,
                             tfg_err *err)
{
    char *p = tfg_stage_path(sd, name);
    tfg_status st = tfg_json_write_file(p, j, err);
    free(p);
    return st;
}

static tfg_status write_split(const tfg_stagedir *sd, const char *name, const tfg_split *sp,
                              tfg_err *err)
{
    char *p = tfg_stage_path(sd, name);
    tfg_status st = tfg_split_write(p, sp, err);
    free(p);
    return st;
}

static tfg_status publish(const tfg_data_opts *o, tfg_manifest *m, const plan_choice *pc,
                          const json_t *profile, const json_t *plan, const tfg_data_result *res,
                          const json_t *summary, tfg_err *err)
{
    tfg_stagedir sd;
    tfg_status st = tfg_stage_begin(&sd, o->out, tfg_stage_name(TFG_STAGE_DATA), err);
    if (st)
        return st;
    if (!st) st = write_json(&sd, tfg_artifact_file(TFG_ART_DATA_PROFILE), profile, err);
    if (!st) {
        /* A person's plan is kept byte for byte (their formatting, their order). */
        char *p = tfg_stage_path(&sd, tfg_artifact_file(TFG_ART_DATA_PLAN));
        st = pc->text ? tfg_write_atomic(p, pc->text, strlen(pc->text), err)
                      : tfg_json_write_file(p, plan, err);
        free(p);
    }
    if (!st) st = write_json(&sd, tfg_artifact_file(TFG_ART_DATA_PREPROCESS), res->preprocess, err);
    if (!st) st = write_split(&sd, tfg_artifact_file(TFG_ART_DATA_TRAIN), &res->train, err);
    if (!st) st = write_split(&sd, tfg_artifact_file(TFG_ART_DATA_VAL), &res->val, err);
    if (!st) st = write_split(&sd, tfg_artifact_file(TFG_ART_DATA_TEST), &res->test, err);
    if (!st && res->test_raw.x) {
        char *p = tfg_stage_path(&sd, tfg_artifact_file(TFG_ART_DATA_TEST_RAW));
        st = tfg_split_write_raw(p, &res->test_raw, err);
        free(p);
    }
    if (!st) st = write_json(&sd, tfg_artifact_file(TFG_ART_DATA_SUMMARY), summary, err);
    if (!st) st = tfg_manifest_add_outputs(m, sd.dir, err);
    if (!st) tfg_manifest_note(m, "plan_origin", pc->origin);
    if (!st) st = tfg_manifest_write(m, sd.dir, err);
    if (!st)
        return tfg_stage_commit(&sd, err);
    tfg_stage_abort(&sd);
    return st;
}

/* ---- what reading the sources found, for profile.json ----------------------- */

static json_t *char_json(char c)
{
    return json_stringn(&c, 1);
}

static json_t *source_read_json(const tfg_source *src, const tfg_csv_info *in)
{
    if (src->format == TFG_SRC_IDX)
        return json_pack("{s:s, s:s}", "path", src->path, "format", "idx");
    json_t *d = json_pack("{s:s, s:s}", "path", src->path, "format", "csv");
    if (!in->line_ends) /* the file could not be read at all */
        return d;
    json_object_set_new(d, "delimiter", char_json(in->delimiter));
    json_object_set_new(d, "decimal", char_json(in->decimal));
    json_object_set_new(d, "quote", char_json(in->quote));
    json_object_set_new(d, "header", json_boolean(in->header));
    json_object_set_new(d, "skip_rows", json_integer((json_int_t)in->skip_rows));
    json_object_set_new(d, "bom", json_boolean(in->bom));
    json_object_set_new(d, "line_ends", json_string(in->line_ends));
    json_object_set_new(d, "encoding", json_string(in->encoding));
    if (in->converted && (in->detected & TFG_CSV_DET_ENCODING)) {
        char note[256];
        snprintf(note, sizeof note,
                 "not UTF-8 (first at line %zu): read as Windows-1252 and converted to UTF-8; "
                 "set \"encoding\" to say which it is",
                 in->converted_line);
        json_object_set_new(d, "encoding_note", json_string(note));
    }
    static const char *const what[] = {"delimiter", "quote",     "decimal",
                                       "header",    "skip_rows", "encoding"};
    json_t *det = json_array();
    for (size_t k = 0; k < sizeof what / sizeof *what; k++)
        if (in->detected & (1u << k))
            json_array_append_new(det, json_string(what[k]));
    json_object_set_new(d, "detected", det);
    json_object_set_new(d, "rows_read", json_integer((json_int_t)in->rows_read));
    json_t *units = json_object();
    for (size_t j = 0; j < in->n_cols; j++)
        if (in->units && in->units[j])
            json_object_set_new(units, in->names[j], json_string(in->units[j]));
    json_object_set_new(d, "units", units);
    return d;
}

/* The first rows read (and the column names), for a profile of a reading that failed. */
static void add_first_rows(json_t *d, const tfg_csv_info *in)
{
    if (in->names)
        json_object_set_new(d, "columns", strv_json(in->names, in->n_cols));
    json_t *rows = json_array();
    for (size_t i = 0; i < in->n_sample; i++)
        json_array_append_new(rows, strv_json(in->sample[i], in->sample_cols[i]));
    json_object_set_new(d, "first_rows", rows);
}

static json_t *sources_read_json(const tfg_spec *s, const tfg_csv_info *infos, bool rows)
{
    json_t *a = json_array();
    for (size_t i = 0; i < s->n_sources; i++) {
        json_t *d = source_read_json(&s->sources[i], &infos[i]);
        if (rows)
            add_first_rows(d, &infos[i]);
        json_array_append_new(a, d);
    }
    return a;
}

/* The sources' units on the profile's columns and as the summary's "units". */
static json_t *units_json(const tfg_spec *s, const tfg_csv_info *infos)
{
    json_t *u = json_object();
    for (size_t i = 0; i < s->n_sources; i++)
        for (size_t j = 0; j < infos[i].n_cols; j++)
            if (infos[i].units && infos[i].units[j] && !json_object_get(u, infos[i].names[j]))
                json_object_set_new(u, infos[i].names[j], json_string(infos[i].units[j]));
    return u;
}

static void add_units(json_t *profile, const json_t *units)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(profile, "columns_detail"), i, c) {
        json_t *u = json_object_get(units, json_string_value(json_object_get(c, "name")));
        if (u)
            json_object_set(c, "unit", u);
    }
}

/* Where a failed reading's profile goes: beside <out>/data, whose artifacts of an
 * earlier run stay as they were (a failed run changes no artifact). */
static char *failed_dir(const tfg_data_opts *o)
{
    char *name = tfg_xasprintf("%s.failed", tfg_stage_name(TFG_STAGE_DATA));
    char *d = tfg_path_join(o->out, name);
    free(name);
    return d;
}

/* Reading failed: <out>/data.failed/profile.json gets the error, each source's dialect
 * and the first rows read, so a person can see how far the reader got; the error says
 * where it is. */
static void publish_failed(const tfg_spec *s, const tfg_data_opts *o,
                           const tfg_csv_info *infos, tfg_err *why)
{
    json_t *p = json_pack("{s:s, s:s}", "status", "failed", "error", why ? why->msg : "");
    json_object_set_new(p, "sources", sources_read_json(s, infos, true));
    char *dir = failed_dir(o), *path = tfg_path_join(dir, "profile.json");
    tfg_err ignored;
    if (!tfg_mkdirs(dir, &ignored) && !tfg_json_write_file(path, p, &ignored) && why) {
        size_t n = strlen(why->msg);
        snprintf(why->msg + n, sizeof why->msg - n, " (what was read: %s)", path);
    }
    free(path);
    free(dir);
    json_decref(p);
}

static void free_infos(tfg_csv_info *infos, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tfg_csv_info_free(&infos[i]);
    free(infos);
}

static tfg_status run(const tfg_spec *s, const tfg_data_opts *o, tfg_manifest *m,
                      const plan_choice *pc, tfg_data_outcome *r, tfg_err *err)
{
    tfg_table t;
    tfg_progress_update(o->progress, "data: loading", 0, 0);
    tfg_csv_info *infos = tfg_xcalloc(s->n_sources ? s->n_sources : 1, sizeof *infos);
    tfg_status st = tfg_data_load_sources_info(s, &t, infos, err);
    if (st) {
        tfg_progress_finish(o->progress);
        publish_failed(s, o, infos, err);
        free_infos(infos, s->n_sources);
        return st;
    }
    json_t *sources_read = sources_read_json(s, infos, false), *units = units_json(s, infos);
    free_infos(infos, s->n_sources);
    tfg_progress_update(o->progress, "data: profiling", 0, 0);
    tfg_profile prof;
    st = tfg_profile_compute(&t, s->label, &prof, err);
    if (st) {
        json_decref(sources_read);
        json_decref(units);
        tfg_table_free(&t);
        return st;
    }
    if (s->task == TFG_TASK_CLASSIFICATION && prof.n_classes < 2) {
        tfg_err_field(err, TFG_EINPUT, s->path, "data.label",
                      "column '%s' has %s class%s%s%s in the data; a classifier needs at least "
                      "two",
                      s->label, prof.n_classes ? "only one" : "no",
                      prof.n_classes ? " ('" : "es", prof.n_classes ? prof.classes[0] : "",
                      prof.n_classes ? "')" : "");
        json_decref(sources_read);
        json_decref(units);
        tfg_profile_free(&prof);
        tfg_table_free(&t);
        return TFG_EINPUT;
    }
    json_t *plan_json = NULL;
    if (pc->text)
        st = tfg_json_load_buf(pc->text, strlen(pc->text), pc->path, &plan_json, err);
    else
        plan_json = tfg_plan_builtin(&prof, s);
    tfg_plan *plan = NULL;
    if (!st)
        st = tfg_plan_parse(plan_json, pc->path ? pc->path : "builtin plan", &plan, err);
    tfg_table loaded_shape = {.n_rows = t.n_rows, .n_cols = t.n_cols};
    tfg_data_result res;
    memset(&res, 0, sizeof res);
    if (!st)
        st = tfg_plan_execute(plan, s, &t, o->progress, &res, err);
    tfg_progress_finish(o->progress);
    json_t *profile = st ? NULL : tfg_profile_to_json(&prof);
    json_t *summary = st ? NULL : make_summary(s, m, &loaded_shape, pc, &res);
    if (profile) {
        json_object_set(profile, "sources", sources_read);
        add_units(profile, units);
    }
    if (summary && json_object_size(units))
        json_object_set(summary, "units", units);
    json_decref(sources_read);
    json_decref(units);
    if (!st)
        st = publish(o, m, pc, profile, plan_json, &res, summary, err);
    if (!st) {
        char *fd = failed_dir(o);
        tfg_err ignored;
        tfg_rmtree(fd, &ignored); /* an earlier failure's profile is out of date */
        free(fd);
        r->summary = json_incref(summary);
        r->profile = json_incref(profile);
        r->plan = json_incref(plan_json);
    }
    json_decref(summary);
    json_decref(profile);
    json_decref(plan_json);
    tfg_plan_free(plan);
    tfg_data_result_free(&res);
    tfg_profile_free(&prof);
    tfg_table_free(&t);
    return st;
}

tfg_status tfg_data_check_spec(const tfg_spec *s, tfg_err *err)
{
    tfg_status st = tfg_spec_check_files(s, err);
    tfg_plan *p = NULL;
    if (!st && s->plan)
        st = tfg_plan_load(s->plan, &p, err);
    tfg_plan_free(p);
    return st;
}

tfg_status tfg_data_stage(const tfg_spec *s, const tfg_data_opts *o, tfg_data_outcome *r,
                          tfg_err *err)
{
    memset(r, 0, sizeof *r);
    r->dir = tfg_rundir_stage(o->out, TFG_STAGE_DATA);
    plan_choice pc;
    tfg_status st = choose_plan(s, o, r->dir, &pc, err);
    if (st)
        return st;
    tfg_manifest m;
    tfg_manifest_init(&m, tfg_stage_name(TFG_STAGE_DATA));
    char *spec_text = spec_inputs(s);
    tfg_manifest_input_text(&m, "spec", spec_text);
    free(spec_text);
    for (size_t i = 0; !st && i < s->n_sources; i++) {
        char label[64];
        snprintf(label, sizeof label, "source%zu", i);
        /* a file too large to read is refused before hashing it costs a pass over it */
        st = tfg_check_size(s->sources[i].path, TFG_READ_MAX_DEFAULT, err);
        if (!st && s->sources[i].labels)
            st = tfg_check_size(s->sources[i].labels, TFG_READ_MAX_DEFAULT, err);
        if (!st)
            st = tfg_manifest_input_file(&m, label, s->sources[i].path, err);
        snprintf(label, sizeof label, "source%zu.labels", i);
        if (!st && s->sources[i].labels)
            st = tfg_manifest_input_file(&m, label, s->sources[i].labels, err);
    }
    tfg_manifest_input_text(&m, "plan", pc.text ? pc.text : "builtin");
    /* What the stage publishes: a run directory from before test_raw.bin existed is
     * brought up to date once. */
    tfg_manifest_input_text(&m, "artifacts", "splits+test_raw");
    if (!st && !o->force && tfg_manifest_up_to_date(&m, r->dir)) {
        r->skipped = true;
        r->summary = load_json_or_null(r->dir, "summary.json");
        r->profile = load_json_or_null(r->dir, "profile.json");
        r->plan = load_json_or_null(r->dir, "plan.json");
    } else if (!st) {
        st = run(s, o, &m, &pc, r, err);
    }
    tfg_manifest_free(&m);
    free(pc.path);
    free(pc.text);
    return st;
}

void tfg_data_outcome_free(tfg_data_outcome *r)
{
    free(r->dir);
    json_decref(r->summary);
    json_decref(r->profile);
    json_decref(r->plan);
    memset(r, 0, sizeof *r);
}
