/* stage_data.c — the data stage: a data plan (docs/plan.md) proposed from the data's
 * profile.
 *
 * Context: the spec (task, label, features), the columns, and under the llm_data
 * policy the profile or a few rows. Builtin: the builtin planner (tfg_plan_builtin).
 * Validator, in order: the plan names nothing on the host (unsafe); it parses (known
 * ops and arguments: a plan error); the data stage runs it (its checks and
 * post-conditions: a plan error) and publishes <out>/data; then nothing the plan
 * claims may be unbacked: a file an op's "why" names must be among the stage's
 * artifacts, a number of rows a dropping op says it removes must be what it removed or
 * what it found in every split (it removes only training rows), and the drops may not
 * single out a class (the rule of data/drops.h) — each a silent failure; the published
 * stage is then removed. The builtin plan passes the same checks. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/io.h"
#include "core/json.h"
#include "data/drops.h"
#include "data/plan.h"
#include "data/profile.h"
#include "data/stage.h"
#include "pilot/pilot.h"

typedef struct {
    tfg_profile prof;
    bool have_prof;
} data_state;

static char *spec_text(const tfg_spec *s)
{
    tfg_buf b;
    tfg_buf_init(&b);
    tfg_buf_printf(&b, "task: %s\nlabel: %s\nfeatures: ", tfg_task_name(s->task),
                   s->label ? s->label : "(none)");
    if (!s->n_features)
        tfg_buf_printf(&b, "every column but the label");
    for (size_t i = 0; i < s->n_features; i++)
        tfg_buf_printf(&b, "%s%s", i ? ", " : "", s->features[i]);
    return tfg_buf_take(&b);
}

static char *columns_text(const tfg_profile *pr)
{
    tfg_buf b;
    tfg_buf_init(&b);
    tfg_buf_printf(&b, "%zu rows, %zu duplicate rows\n", pr->n_rows, pr->duplicate_rows);
    for (size_t i = 0; i < pr->n_cols && i < 64; i++)
        tfg_buf_printf(&b, "- %s: %s, %zu missing\n", pr->cols[i].name,
                       pr->cols[i].type == TFG_COL_NUM ? "number" : "category",
                       pr->cols[i].missing);
    if (pr->n_cols > 64)
        tfg_buf_printf(&b, "... and %zu more columns\n", pr->n_cols - 64);
    return tfg_buf_take(&b);
}

static tfg_status prepare(tfg_pilot *p, void **state, json_t *ctx, json_t *sent, tfg_err *err)
{
    const tfg_pilot_opts *o = tfg_pilot_options(p);
    if (!o->spec)
        return tfg_err_set(err, TFG_EUSAGE, "the data stage needs a spec");
    data_state *st = tfg_xcalloc(1, sizeof *st);
    *state = st;
    tfg_table t;
    tfg_table_init(&t);
    tfg_status s = tfg_data_load_sources(o->spec, &t, err);
    if (!s)
        s = tfg_profile_compute(&t, o->spec->label, &st->prof, err);
    st->have_prof = !s;
    tfg_table_free(&t);
    if (s)
        return s;
    char *text = spec_text(o->spec);
    tfg_pilot_ctx_set(ctx, "spec", "%s", text);
    free(text);
    text = columns_text(&st->prof);
    tfg_pilot_ctx_set(ctx, "columns", "%s", text);
    free(text);
    json_array_append_new(sent, json_string("columns"));
    tfg_pilot_ctx_set(ctx, "profile", "(not sent: llm_data is none)");
    if (o->policy->llm_data >= TFG_LLM_DATA_PROFILE) {
        json_t *pj = tfg_profile_to_json(&st->prof);
        text = tfg_pilot_json_text(pj, 16000);
        tfg_pilot_ctx_set(ctx, "profile", "%s", text);
        free(text);
        json_decref(pj);
        json_array_append_new(sent, json_string("profile"));
    }
    /* Rows of the raw table are not needed to plan: the profile says it all; the
     * sample_rows setting only matters to the spec stage. */
    return TFG_OK;
}

static void done(void *state)
{
    data_state *st = state;
    if (st && st->have_prof)
        tfg_profile_free(&st->prof);
    free(st);
}

static tfg_status builtin(tfg_pilot *p, void *state, char **reply, tfg_err *err)
{
    data_state *st = state;
    json_t *plan = tfg_plan_builtin(&st->prof, tfg_pilot_options(p)->spec);
    if (!plan)
        return tfg_err_set(err, TFG_EINTERNAL, "the builtin planner gave no plan");
    *reply = tfg_json_pretty(plan);
    json_decref(plan);
    return TFG_OK;
}

/* ---- claims -------------------------------------------------------------------------- */

/* File names a "why" mentions ("writes clean.csv"): words ending in a file extension. */
static bool next_file_word(const char **s, char *out, size_t n)
{
    static const char *const exts[] = {".csv", ".json", ".bin", ".txt", ".npy", ".tflite",
                                       ".parquet", ".h", ".c", ".pkl", NULL};
    while (**s) {
        while (**s && !isalnum((unsigned char)**s) && **s != '_')
            (*s)++;
        const char *w = *s;
        while (**s && (isalnum((unsigned char)**s) || strchr("_-.", **s)))
            (*s)++;
        size_t len = (size_t)(*s - w);
        while (len && w[len - 1] == '.')
            len--;
        for (size_t i = 0; exts[i]; i++) {
            size_t el = strlen(exts[i]);
            if (len > el && len < n && !strncasecmp(w + len - el, exts[i], el)) {
                memcpy(out, w, len);
                out[len] = '\0';
                return true;
            }
        }
    }
    return false;
}

/* The number a why says a dropping op removes: "N rows" / "N duplicates"; -1 if none. */
static long claimed_drop(const char *why)
{
    static const char *const nouns[] = {" row", " duplicate", " record", " sample", NULL};
    for (const char *q = why; *q; q++) {
        if (!isdigit((unsigned char)*q) || (q > why && (isalnum((unsigned char)q[-1]) ||
                                                        q[-1] == '.')))
            continue;
        char *end;
        long n = strtol(q, &end, 10);
        for (size_t i = 0; nouns[i]; i++)
            if (!strncmp(end, nouns[i], strlen(nouns[i])))
                return n;
        q = end - 1;
    }
    return -1;
}

static bool drops_rows(const json_t *op)
{
    const char *name = json_string_value(json_object_get(op, "op"));
    const char *action = json_string_value(json_object_get(op, "action"));
    return name && (!strcmp(name, "drop_duplicates") || !strcmp(name, "drop_missing") ||
                    (!strcmp(name, "outliers") && action && !strcmp(action, "drop")));
}

static tfg_pilot_class check_claims(const json_t *plan, const json_t *log, const char *dir,
                                    const char *file, tfg_err *err)
{
    const json_t *ops = json_object_get(plan, "ops");
    size_t i;
    const json_t *op;
    json_array_foreach(ops, i, op) {
        const char *why = json_string_value(json_object_get(op, "why"));
        char fp[64], word[256];
        snprintf(fp, sizeof fp, "ops[%zu].why", i);
        for (const char *s = why ? why : ""; next_file_word(&s, word, sizeof word);) {
            char *path = tfg_path_join(dir, word);
            bool there = !strchr(word, '/') && tfg_exists(path);
            free(path);
            if (!there) {
                tfg_err_field(err, TFG_ECHECK, file, fp,
                              "claims a file '%s' that the data stage did not write (it "
                              "writes profile.json, plan.json, train.bin, val.bin, test.bin, "
                              "preprocess.json, summary.json)",
                              word);
                return TFG_PILOT_SILENT;
            }
        }
        const char *name = json_string_value(json_object_get(op, "op"));
        long claim = why ? claimed_drop(why) : -1;
        const json_t *entry = json_array_get(log, i);
        if (!drops_rows(op) || claim < 0 || !entry)
            continue;
        /* An op removes training rows only; a why written from the profile counts the
         * rows it matches in the whole data: either number backs the claim. */
        long did = (long)(json_integer_value(json_object_get(entry, "rows_before")) -
                          json_integer_value(json_object_get(entry, "rows_after")));
        const json_t *found = json_object_get(entry, "found");
        if (did != claim && (!found || json_integer_value(found) != claim)) {
            tfg_err_field(err, TFG_ECHECK, file, fp,
                          "says %ld rows go, but %s removed %ld (the stage's log: %s)", claim,
                          name, did, json_string_value(json_object_get(entry, "did")));
            return TFG_PILOT_SILENT;
        }
    }
    return TFG_PILOT_OK;
}

/* The ops that removed rows, for the message: "ops[2] outliers -130". */
static void dropping_ops(const json_t *log, tfg_buf *b)
{
    size_t i, n = 0;
    const json_t *e;
    json_array_foreach(log, i, e) {
        json_int_t gone = json_integer_value(json_object_get(e, "rows_before")) -
                          json_integer_value(json_object_get(e, "rows_after"));
        if (gone > 0 && json_object_get(e, "found"))
            tfg_buf_printf(b, "%sops[%lld] %s -%lld", n++ ? ", " : "",
                           (long long)json_integer_value(json_object_get(e, "index")),
                           json_string_value(json_object_get(e, "op")), (long long)gone);
    }
}

/* No class may lose its rows to the plan's drops out of proportion (data/drops.h): an
 * outlier fence that takes a class's hard cases makes the model blind to them. */
static tfg_pilot_class check_drops(const json_t *summary, const char *file, tfg_err *err)
{
    size_t i;
    const json_t *rec;
    json_array_foreach(json_object_get(summary, "cleaning"), i, rec) {
        size_t N = (size_t)json_integer_value(json_object_get(rec, "rows"));
        size_t D = (size_t)json_integer_value(json_object_get(rec, "dropped"));
        const json_t *by = json_object_get(rec, "rows_by_class");
        const json_t *gone = json_object_get(rec, "dropped_by_class");
        const char *cls;
        const json_t *v;
        json_object_foreach((json_t *)by, cls, v) {
            size_t n_c = (size_t)json_integer_value(v);
            size_t d_c = (size_t)json_integer_value(json_object_get(gone, cls));
            tfg_drop_judgement j;
            if (!tfg_drop_disproportionate(N, n_c, D, d_c, &j))
                continue;
            tfg_buf ops;
            tfg_buf_init(&ops);
            dropping_ops(json_object_get(summary, "ops"), &ops);
            const char *part = json_string_value(json_object_get(rec, "part"));
            tfg_err_field(err, TFG_ECHECK, file, "ops",
                          "the plan's drops single out class '%s': %zu of its %zu %srows go "
                          "(%.1f%%), against %zu of the other %zu (%.1f%%); drops blind to "
                          "the class would take that many with probability %.2g (%s). Drop "
                          "rows only for evidence they are wrong; clip extreme values "
                          "(outliers with action clip) instead of dropping them",
                          cls, d_c, n_c, strcmp(part, "train") ? "" : "training ",
                          100 * j.rate_class, D - d_c, N - n_c, 100 * j.rate_rest, j.p,
                          ops.len ? ops.data : "no op named");
            tfg_buf_free(&ops);
            return TFG_PILOT_SILENT;
        }
    }
    return TFG_PILOT_OK;
}

/* ---- the validator ------------------------------------------------------------------- */

static tfg_status validate(tfg_pilot *p, void *state, const char *reply, tfg_pilot_class *cls,
                           tfg_err *err)
{
    const tfg_pilot_opts *o = tfg_pilot_options(p);
    json_t *j;
    *cls = TFG_PILOT_FORMAT;
    if (tfg_pilot_extract_json(reply, &j, err))
        return TFG_OK;
    if (!json_is_array(json_object_get(j, "ops"))) {
        json_decref(j);
        tfg_err_set(err, TFG_EINPUT,
                    "the reply is not a data plan: expected {\"plan_version\": 1, \"ops\": "
                    "[...]}");
        return TFG_OK;
    }
    *cls = TFG_PILOT_UNSAFE;
    if (tfg_pilot_scan_unsafe(j, "plan.json", err)) {
        json_decref(j);
        return TFG_OK;
    }
    *cls = TFG_PILOT_SPEC;
    tfg_plan *plan;
    if (tfg_plan_parse(j, "plan.json", &plan, err)) {
        json_decref(j);
        return TFG_OK;
    }
    tfg_plan_free(plan);
    char *pf = tfg_pilot_proposal_path(p, "data");
    tfg_status st = tfg_json_write_file(pf, j, err);
    tfg_data_outcome r;
    memset(&r, 0, sizeof r);
    if (!st) {
        tfg_data_opts dopt = {.out = o->out, .plan_file = pf, .progress = o->progress};
        st = tfg_data_stage(o->spec, &dopt, &r, err);
        if (st == TFG_EINPUT || st == TFG_ECHECK) {
            st = TFG_OK; /* the plan's fault: rejected, with the stage's message */
        } else if (!st) {
            *cls = check_claims(j, json_object_get(r.summary, "ops"), r.dir, "plan.json", err);
            if (!*cls)
                *cls = check_drops(r.summary, "plan.json", err);
            if (*cls) {
                tfg_err e2;
                tfg_rmtree(r.dir, &e2); /* nothing unvalidated stays published */
            }
        }
    }
    tfg_data_outcome_free(&r);
    free(pf);
    json_decref(j);
    return st;
}

const tfg_pilot_stage_def tfg_pilot_stage_data = {
    .name = "data",
    .format = TFG_LLM_FORMAT_JSON,
    .prepare = prepare,
    .builtin = builtin,
    .validate = validate,
    .done = done,
};
