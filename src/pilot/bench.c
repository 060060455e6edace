/* bench.c — `tinyforge bench`: many independent runs of the pilot's stages by one
 * backend, in worker processes (fork; each run has its own directory, LLM cache and
 * trace, so runs share nothing), and the table that sums them. Past one machine the
 * same independent runs would go to a batch scheduler (DESIGN.md), not a home-made one. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/io.h"
#include "core/json.h"
#include "pilot/bench.h"
#include "pilot/lifecycle.h"

/* The stages a bench measures: the lifecycle table's with a pilot entry, in order. The
 * others (build) are run when a measured stage needs them, never measured alone. */
static bool measured(tfg_stage_id s)
{
    return tfg_pilot_stage_for(s) != NULL;
}

/* ---- one run ------------------------------------------------------------------------ */

typedef struct {
    const tfg_bench_opts *o;
    const tfg_pilot_policy *policy;
    char *base;         /* absolute path of <out>/base */
    char *train_cache;  /* absolute path of <out>/train-cache, or NULL */
    const tfg_source *data, *test; /* the spec's sources the spec stage is given */
} bench_ctx;

static json_t *row_json(const char *stage, int run, const tfg_pilot_result *r,
                        tfg_status st, const tfg_err *err)
{
    json_t *classes = json_object();
    for (int k = 1; k < TFG_PILOT_CLASSES; k++)
        if (r->classes[k])
            json_object_set_new(classes, tfg_pilot_class_name((tfg_pilot_class)k),
                                json_integer(r->classes[k]));
    json_t *j = json_pack("{s:s, s:i, s:b, s:s, s:i, s:f, s:f, s:I, s:I, s:f, s:o}", "stage",
                          stage, "run", run, "ok", r->ok && !st, "backend", r->backend,
                          "attempts", r->attempts, "seconds", r->seconds, "llm_ms", r->llm_ms,
                          "tokens_in", (json_int_t)r->tokens_in, "tokens_out",
                          (json_int_t)r->tokens_out, "cost", r->cost, "classes", classes);
    json_object_set_new(j, "error", st ? json_string(err->msg) : json_null());
    return j;
}

static tfg_status link_prereq(const bench_ctx *b, const char *dir, tfg_stage_id stage,
                              tfg_err *err)
{
    char *from = tfg_rundir_stage(b->base, stage), *to = tfg_rundir_stage(dir, stage);
    tfg_status st = TFG_OK;
    if (symlink(from, to) != 0)
        st = tfg_err_set(err, TFG_EIO, "%s: cannot link the prepared %s stage", to,
                         tfg_stage_name(stage));
    free(from);
    free(to);
    return st;
}

/* A stage that is not measured (nothing in it is proposed: build), run as its command
 * runs it. */
static tfg_status plain_stage(tfg_stage_id id, const tfg_spec *s, const char *dir,
                              tfg_progress *progress, tfg_err *err)
{
    tfg_stage_opts so = {.out = dir, .progress = progress};
    tfg_stage_outcome r;
    tfg_status st = tfg_lifecycle_run(tfg_lifecycle_stage(id), s, &so, NULL, NULL, &r, err);
    tfg_stage_outcome_free(&r);
    return st;
}

/* In a chain, the stages that are not measured between the measured stage before `to`
 * and `to` itself, which `to` needs (the build before the sketch): run now, their time
 * counted to to's row. */
static tfg_status between(const tfg_spec *s, const char *dir, tfg_stage_id from,
                          tfg_stage_id to, tfg_err *err)
{
    tfg_stage_id need[TFG_STAGE_COUNT];
    size_t n = tfg_lifecycle_needs(to, need);
    tfg_status st = TFG_OK;
    for (size_t i = 0; !st && i < n; i++)
        if (need[i] > from && !measured(need[i]))
            st = plain_stage(need[i], s, dir, NULL, err);
    return st;
}

/* One run: the stages of `stages` in order in dir; one row each (after the first
 * failure of a chain, the later stages are not run and count as failed). */
static json_t *one_run(const bench_ctx *b, int worker, const char *dir,
                       const tfg_stage_id *stages, size_t n_stages, int run)
{
    json_t *rows = json_array();
    tfg_err err;
    tfg_pilot *p = NULL;
    char *spec_out = tfg_path_join(dir, "spec.json");
    tfg_pilot_opts po = {.out = dir, .spec = b->o->spec, .boards = b->o->boards,
                         .config = b->o->config, .prices = b->o->prices, .policy = b->policy,
                         .offline = b->o->offline, .request = b->o->request,
                         .data_file = b->data->path, .labels_file = b->data->labels,
                         .test_file = b->test ? b->test->path : NULL,
                         .test_labels_file = b->test ? b->test->labels : NULL,
                         .spec_out = spec_out, .epochs = b->o->epochs,
                         .train_cache = b->train_cache,
                         .sketch_samples = b->o->sketch_samples,
                         .worker = (uint64_t)worker};
    tfg_status st = tfg_pilot_open(&p, &po, &err);
    for (size_t i = 0; i < n_stages; i++) {
        const char *name = tfg_stage_name(stages[i]);
        tfg_pilot_result r;
        memset(&r, 0, sizeof r);
        double t0 = tfg_now();
        if (!st && i > 0)
            st = between(b->o->spec, dir, stages[i - 1], stages[i], &err);
        double t_between = tfg_now() - t0;
        if (!st)
            st = tfg_pilot_run_stage(p, name, &r, &err);
        r.seconds += t_between;
        json_array_append_new(rows, row_json(name, run, &r, st, &err));
    }
    tfg_pilot_close(p);
    free(spec_out);
    return rows;
}

typedef struct {
    const char *stage; /* a stage, or "all" */
    int run;
    char *dir;
} job;

/* The measured stages, in lifecycle order: the chain of "all". */
static size_t chain(tfg_stage_id *out)
{
    size_t n = 0;
    for (int i = 0; i < TFG_STAGE_COUNT; i++)
        if (measured((tfg_stage_id)i))
            out[n++] = (tfg_stage_id)i;
    return n;
}

static tfg_status job_run(const bench_ctx *b, int worker, const job *jb, tfg_err *err)
{
    tfg_status st = tfg_rmtree(jb->dir, err);
    if (!st) st = tfg_mkdirs(jb->dir, err);
    tfg_stage_id stages[TFG_STAGE_COUNT], pre[TFG_STAGE_COUNT];
    size_t n = 1, n_pre = 0;
    if (!strcmp(jb->stage, "all")) {
        n = chain(stages);
    } else {
        stages[0] = (tfg_stage_id)tfg_stage_parse(jb->stage, NULL);
        n_pre = tfg_lifecycle_needs(stages[0], pre);
    }
    /* what a run of one stage starts from: the base's stage folders, linked */
    for (size_t i = 0; !st && i < n_pre; i++)
        if (pre[i] != TFG_STAGE_SPEC)
            st = link_prereq(b, jb->dir, pre[i], err);
    if (st)
        return st;
    json_t *rows = one_run(b, worker, jb->dir, stages, n, jb->run);
    char *path = tfg_path_join(jb->dir, "bench-run.json");
    st = tfg_json_write_file(path, rows, err);
    free(path);
    json_decref(rows);
    return st;
}

/* Runs the jobs in `jobs` worker processes (each takes every jobs-th job). */
static tfg_status run_jobs(const bench_ctx *b, const job *v, size_t n, int jobs,
                           tfg_progress *progress, tfg_err *err)
{
    if (jobs <= 1) {
        for (size_t i = 0; i < n; i++) {
            tfg_status st = job_run(b, 0, &v[i], err);
            if (st)
                return st;
            tfg_progress_update(progress, "bench", i + 1, n);
        }
        return TFG_OK;
    }
    fflush(NULL);
    pid_t *pids = tfg_xcalloc((size_t)jobs, sizeof *pids);
    for (int w = 0; w < jobs; w++) {
        pids[w] = fork();
        if (pids[w] == 0) {
            tfg_err e;
            for (size_t i = (size_t)w; i < n; i += (size_t)jobs)
                if (job_run(b, w, &v[i], &e))
                    _exit(1);
            _exit(0);
        }
    }
    tfg_status st = TFG_OK;
    size_t done = 0;
    for (int w = 0; w < jobs; w++) {
        int status = 0;
        if (pids[w] < 0 || waitpid(pids[w], &status, 0) < 0 || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0)
            st = tfg_err_set(err, TFG_EPROC, "bench: worker %d of %d failed (status %d)", w + 1,
                             jobs, status);
        done += (n + (size_t)jobs - 1 - (size_t)w) / (size_t)jobs;
        tfg_progress_update(progress, "bench", done, n);
    }
    free(pids);
    return st;
}

/* ---- the table ---------------------------------------------------------------------- */

typedef struct {
    double n, ok, s, s2, tin, tout, cost, attempts;
    int classes[TFG_PILOT_CLASSES];
} agg;

static void agg_add(agg *a, const json_t *row)
{
    double sec = json_number_value(json_object_get(row, "seconds"));
    a->n++;
    a->ok += json_is_true(json_object_get(row, "ok"));
    a->s += sec;
    a->s2 += sec * sec;
    a->tin += (double)json_integer_value(json_object_get(row, "tokens_in"));
    a->tout += (double)json_integer_value(json_object_get(row, "tokens_out"));
    a->cost += json_number_value(json_object_get(row, "cost"));
    a->attempts += (double)json_integer_value(json_object_get(row, "attempts"));
    const char *k;
    const json_t *v;
    json_object_foreach(json_object_get(row, "classes"), k, v) {
        int c = tfg_pilot_class_parse(k);
        if (c > 0)
            a->classes[c] += (int)json_integer_value(v);
    }
}

static json_t *agg_json(const char *stage, const agg *a)
{
    double n = a->n > 0 ? a->n : 1, mean = a->s / n;
    double var = a->n > 1 ? (a->s2 - a->n * mean * mean) / (a->n - 1) : 0;
    json_t *classes = json_object();
    for (int k = 1; k < TFG_PILOT_CLASSES; k++)
        json_object_set_new(classes, tfg_pilot_class_name((tfg_pilot_class)k),
                            json_integer(a->classes[k]));
    return json_pack("{s:s, s:i, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:o}", "stage", stage,
                     "runs", (int)a->n, "ok", (int)a->ok, "success", a->ok / n, "seconds_mean",
                     mean, "seconds_std", var > 0 ? sqrt(var) : 0.0, "tokens_in_mean",
                     a->tin / n, "tokens_out_mean", a->tout / n, "cost_mean", a->cost / n,
                     "attempts_mean", a->attempts / n, "classes", classes);
}

static char *markdown(const json_t *stages, const char *backend)
{
    tfg_buf b;
    tfg_buf_init(&b);
    tfg_buf_printf(&b, "| stage | backend | success | time (s) mean ± std | tokens in/out per run "
                       "| cost per run | attempts per run | failure classes |\n"
                       "|---|---|---|---|---|---|---|---|\n");
    size_t i;
    const json_t *s;
    json_array_foreach(stages, i, s) {
        tfg_buf_printf(&b, "| %s | %s | %lld/%lld (%.0f %%) | %.3f ± %.3f | %.0f / %.0f | %.6f | "
                           "%.2f | ",
                       json_string_value(json_object_get(s, "stage")), backend,
                       (long long)json_integer_value(json_object_get(s, "ok")),
                       (long long)json_integer_value(json_object_get(s, "runs")),
                       100 * json_number_value(json_object_get(s, "success")),
                       json_number_value(json_object_get(s, "seconds_mean")),
                       json_number_value(json_object_get(s, "seconds_std")),
                       json_number_value(json_object_get(s, "tokens_in_mean")),
                       json_number_value(json_object_get(s, "tokens_out_mean")),
                       json_number_value(json_object_get(s, "cost_mean")),
                       json_number_value(json_object_get(s, "attempts_mean")));
        bool any = false;
        const char *k;
        const json_t *v;
        json_object_foreach(json_object_get(s, "classes"), k, v)
            if (json_integer_value(v)) {
                tfg_buf_printf(&b, "%s%s %lld", any ? ", " : "", k,
                               (long long)json_integer_value(v));
                any = true;
            }
        tfg_buf_printf(&b, "%s |\n", any ? "" : "none");
    }
    return tfg_buf_take(&b);
}

static tfg_status write_csv(const char *path, const json_t *rows, tfg_err *err)
{
    tfg_buf b;
    tfg_buf_init(&b);
    tfg_buf_printf(&b, "stage,run,ok,backend,attempts,seconds,llm_ms,tokens_in,tokens_out,"
                       "cost,classes\n");
    size_t i;
    const json_t *r;
    json_array_foreach(rows, i, r) {
        tfg_buf_printf(&b, "%s,%lld,%d,%s,%lld,%.6f,%.3f,%lld,%lld,%.9g,",
                       json_string_value(json_object_get(r, "stage")),
                       (long long)json_integer_value(json_object_get(r, "run")),
                       json_is_true(json_object_get(r, "ok")),
                       json_string_value(json_object_get(r, "backend")),
                       (long long)json_integer_value(json_object_get(r, "attempts")),
                       json_number_value(json_object_get(r, "seconds")),
                       json_number_value(json_object_get(r, "llm_ms")),
                       (long long)json_integer_value(json_object_get(r, "tokens_in")),
                       (long long)json_integer_value(json_object_get(r, "tokens_out")),
                       json_number_value(json_object_get(r, "cost")));
        const char *k;
        const json_t *v;
        bool first = true;
        json_object_foreach(json_object_get(r, "classes"), k, v) {
            tfg_buf_printf(&b, "%s%s:%lld", first ? "" : ";", k, (long long)json_integer_value(v));
            first = false;
        }
        tfg_buf_putc(&b, '\n');
    }
    tfg_status st = tfg_write_atomic(path, b.data ? b.data : "", b.len, err);
    tfg_buf_free(&b);
    return st;
}

/* Sums the runs' rows per stage and writes the three files. */
static tfg_status summarize(const tfg_bench_opts *o, const job *v, size_t n, json_t **summary,
                            tfg_err *err)
{
    json_t *rows = json_array();
    tfg_status st = TFG_OK;
    for (size_t i = 0; i < n && !st; i++) {
        char *path = tfg_path_join(v[i].dir, "bench-run.json");
        json_t *r;
        st = tfg_json_load_file(path, &r, err);
        free(path);
        if (!st) {
            json_array_extend(rows, r);
            json_decref(r);
        }
    }
    json_t *stages = json_array();
    tfg_stage_id all[TFG_STAGE_COUNT];
    size_t n_all = chain(all);
    for (size_t s = 0; !st && s < n_all; s++) {
        const char *name = tfg_stage_name(all[s]);
        agg a;
        memset(&a, 0, sizeof a);
        size_t i;
        const json_t *r;
        json_array_foreach(rows, i, r)
            if (!strcmp(json_string_value(json_object_get(r, "stage")), name))
                agg_add(&a, r);
        if (a.n > 0)
            json_array_append_new(stages, agg_json(name, &a));
    }
    char *md = markdown(stages, o->backend);
    char *p_csv = tfg_path_join(o->out, "bench.csv"), *p_md = tfg_path_join(o->out, "bench.md"),
         *p_json = tfg_path_join(o->out, "bench.json");
    json_t *sum = json_pack("{s:s, s:i, s:s, s:O, s:s}", "backend", o->backend, "runs", o->runs,
                            "stage", o->stage, "stages", stages, "markdown", md);
    if (!st) st = write_csv(p_csv, rows, err);
    if (!st) st = tfg_write_atomic(p_md, md, strlen(md), err);
    if (!st) st = tfg_json_write_file(p_json, sum, err);
    if (!st)
        *summary = json_incref(sum);
    json_decref(sum);
    json_decref(stages);
    json_decref(rows);
    free(md);
    free(p_csv);
    free(p_md);
    free(p_json);
    return st;
}

/* ---- the study ---------------------------------------------------------------------- */

/* The builtin's earlier stages once in <out>/base, for runs that start later. */
static tfg_status prepare_base(const tfg_bench_opts *o, const char *base,
                               const char *train_cache, tfg_err *err)
{
    tfg_stage_id pre[TFG_STAGE_COUNT];
    size_t n = 0;
    if (strcmp(o->stage, "all"))
        n = tfg_lifecycle_needs((tfg_stage_id)tfg_stage_parse(o->stage, NULL), pre);
    if (n == 0 || (n == 1 && pre[0] == TFG_STAGE_SPEC))
        return TFG_OK;
    tfg_pilot_policy policy;
    tfg_pilot_policy_default(&policy);
    tfg_pilot_opts po = {.out = base, .spec = o->spec, .boards = o->boards, .config = o->config,
                         .policy = &policy, .epochs = o->epochs, .train_cache = train_cache,
                         .progress = o->progress};
    tfg_pilot *p = NULL;
    tfg_pilot_result r;
    tfg_status st = tfg_pilot_open(&p, &po, err);
    for (size_t i = 0; !st && i < n; i++)
        if (pre[i] == TFG_STAGE_SPEC)
            continue;
        else if (measured(pre[i]))
            st = tfg_pilot_run_stage(p, tfg_stage_name(pre[i]), &r, err);
        else
            st = plain_stage(pre[i], o->spec, base, o->progress, err);
    tfg_pilot_close(p);
    tfg_pilot_policy_free(&policy);
    return st ? tfg_err_prefix(err, "bench: preparing the builtin's earlier stages") : TFG_OK;
}

static tfg_status check_opts(const tfg_bench_opts *o, tfg_err *err)
{
    int id = tfg_stage_parse(o->stage, NULL);
    if (strcmp(o->stage, "all") && (id < 0 || !measured((tfg_stage_id)id))) {
        tfg_stage_id all[TFG_STAGE_COUNT];
        size_t n = chain(all);
        char names[160] = "";
        for (size_t i = 0; i < n; i++) {
            size_t u = strlen(names);
            snprintf(names + u, sizeof names - u, "%s, ", tfg_stage_name(all[i]));
        }
        return tfg_err_set(err, TFG_EUSAGE, "bench: unknown stage '%s' (%sor all)", o->stage,
                           names);
    }
    if (o->runs < 1 || o->jobs < 1)
        return tfg_err_set(err, TFG_EUSAGE, "bench: runs and jobs must be at least 1");
    if (!tfg_llm_config_find(o->config, o->backend, err))
        return TFG_EINPUT;
    if (!o->spec->n_sources)
        return tfg_err_set(err, TFG_EINPUT, "%s: the spec has no data source", o->spec->path);
    return TFG_OK;
}

tfg_status tfg_pilot_bench(const tfg_bench_opts *o, json_t **summary, tfg_err *err)
{
    *summary = NULL;
    tfg_status st = check_opts(o, err);
    if (st)
        return st;
    tfg_pilot_policy policy;
    st = tfg_pilot_policy_from_spec(o->spec, o->config, &policy, err);
    if (st)
        return st;
    tfg_pilot_policy_route_all(&policy, o->backend, true);
    if (o->attempts > 0)
        policy.attempts = o->attempts;
    char abs[PATH_MAX];
    char *base = tfg_path_join(o->out, "base");
    bench_ctx b = {.o = o, .policy = &policy};
    for (size_t i = 0; i < o->spec->n_sources; i++) {
        const tfg_source *src = &o->spec->sources[i];
        if (src->split == TFG_SPLIT_TEST && !b.test)
            b.test = src;
        else if (src->split != TFG_SPLIT_TEST && !b.data)
            b.data = src;
    }
    if (!b.data)
        b.data = &o->spec->sources[0];
    st = tfg_mkdirs(o->out, err);
    if (!st && !realpath(o->out, abs))
        st = tfg_err_set(err, TFG_EIO, "%s: cannot resolve the bench directory", o->out);
    if (!st && !o->no_train_cache) {
        /* fresh for every bench: an entry is only reused within one study */
        b.train_cache = tfg_path_join(abs, "train-cache");
        st = tfg_rmtree(b.train_cache, err);
    }
    if (!st) st = prepare_base(o, base, b.train_cache, err);
    bench_ctx *bp = &b;
    tfg_bench_opts local = *o;
    if (strcmp(o->stage, "all")) /* an old name counts under today's */
        local.stage = tfg_stage_name((tfg_stage_id)tfg_stage_parse(o->stage, NULL));
    if (!local.request)
        local.request = json_string_value(json_object_get(o->spec->json, "description"))
                            ? json_string_value(json_object_get(o->spec->json, "description"))
                            : o->spec->name;
    b.o = &local;
    size_t n = (size_t)o->runs;
    job *v = tfg_xcalloc(n, sizeof *v);
    if (!st) {
        b.base = tfg_path_join(abs, "base");
        for (size_t i = 0; i < n; i++)
            v[i] = (job){local.stage, (int)i + 1,
                         tfg_xasprintf("%s/%s-%03zu", abs, local.stage, i + 1)};
        st = run_jobs(bp, v, n, o->jobs, o->progress, err);
        tfg_progress_finish(o->progress);
    }
    if (!st)
        st = summarize(&local, v, n, summary, err);
    for (size_t i = 0; i < n; i++)
        free(v[i].dir);
    free(v);
    free(b.base);
    free(b.train_cache);
    free(base);
    tfg_pilot_policy_free(&policy);
    return st;
}
