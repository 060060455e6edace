/* stage.c — the train stage: splits -> architecture -> training -> test metrics,
 * published atomically and skipped when nothing changed (see stage.h). */
#include "nn/stage.h"

#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/hash.h"
#include "core/io.h"
#include "core/json.h"
#include "core/manifest.h"
#include "core/rng.h"
#include "data/splitfile.h"
#include "nn/chooser.h"
#include "nn/graph.h"
#include "nn/regress.h"
#include "nn/train.h"
#include "spec/rundir.h"

typedef struct {
    tfg_split train, val, test;
    json_t *summary; /* data/summary.json */
    size_t n_classes;
    tfg_shape input;
} data_in;

static void data_free(data_in *d)
{
    tfg_split_free(&d->train);
    tfg_split_free(&d->val);
    tfg_split_free(&d->test);
    json_decref(d->summary);
}

static const tfg_artifact split_files[] = {TFG_ART_DATA_TRAIN, TFG_ART_DATA_VAL,
                                           TFG_ART_DATA_TEST};

static tfg_status read_data(const char *out, const tfg_spec *s, data_in *d, tfg_err *err)
{
    memset(d, 0, sizeof *d);
    char *sum = tfg_rundir_path(out, TFG_ART_DATA_SUMMARY);
    tfg_status st = TFG_OK;
    if (!tfg_exists(sum))
        st = tfg_err_set(err, TFG_EINPUT,
                         "%s not found: run `tinyforge data %s` first (with the same --out)", sum,
                         s->path);
    if (!st)
        st = tfg_json_load_file(sum, &d->summary, err);
    free(sum);
    tfg_split *parts[] = {&d->train, &d->val, &d->test};
    for (int i = 0; !st && i < 3; i++) {
        char *p = tfg_rundir_path(out, split_files[i]);
        st = tfg_split_read(p, parts[i], err);
        free(p);
    }
    if (st)
        return st;
    d->input.rank = d->train.rank;
    memcpy(d->input.dim, d->train.shape, sizeof d->input.dim);
    d->n_classes = d->train.label_kind == TFG_LABEL_CLASS ? d->train.n_classes : 1;
    if (d->train.label_kind == TFG_LABEL_NONE)
        return tfg_err_set(err, TFG_EINPUT,
                           "%s/%s: the splits have no labels; training needs a label column "
                           "(data.label)",
                           out, tfg_stage_name(TFG_STAGE_DATA));
    return TFG_OK;
}

tfg_status tfg_train_settings(const tfg_spec *s, bool classification, tfg_train_opts *o,
                              double *target, tfg_err *err)
{
    static const char *const keys[] = {"epochs",       "batch",    "optimizer", "lr",
                                       "momentum",     "weight_decay", "patience",
                                       "min_delta", "target_accuracy", "seed", NULL};
    static const char *const optims[] = {"sgd", "adam", NULL};
    tfg_train_opts_default(o);
    o->lr_default = true; /* until the spec gives one */
    o->seed = s->seed;
    o->loss = classification ? TFG_LOSS_CROSS_ENTROPY : TFG_LOSS_MSE;
    *target = NAN; /* none: the chooser grows while growing is worth it */
    const json_t *t = json_object_get(s->json, "training");
    if (!t)
        return TFG_OK;
    tfg_jctx c = {s->path, "training"};
    int64_t epochs = o->epochs, batch = o->batch, patience = o->patience;
    int64_t seed = (int64_t)o->seed;
    int optim = o->optim == TFG_OPTIM_SGD ? 0 : 1;
    double lr = o->lr, mom = o->momentum, wd = o->weight_decay, delta = o->min_delta;
    tfg_status st = tfg_jcheck_keys(t, keys, &c, err);
    if (!st) st = tfg_jget_int(t, "epochs", false, 1, 100000, &epochs, &c, err);
    if (!st) st = tfg_jget_int(t, "batch", false, 1, 65536, &batch, &c, err);
    if (!st) st = tfg_jget_enum(t, "optimizer", false, optims, &optim, &c, err);
    if (!st) st = tfg_jget_num(t, "lr", false, 1e-12, 100, &lr, &c, err);
    if (!st) st = tfg_jget_num(t, "momentum", false, 0, 0.999999, &mom, &c, err);
    if (!st) st = tfg_jget_num(t, "weight_decay", false, 0, 1, &wd, &c, err);
    if (!st) st = tfg_jget_int(t, "patience", false, 0, 100000, &patience, &c, err);
    if (!st) st = tfg_jget_num(t, "min_delta", false, 0, 0.5, &delta, &c, err);
    if (!st) st = tfg_jget_num(t, "target_accuracy", false, 0, 1, target, &c, err);
    if (!st) st = tfg_jget_int(t, "seed", false, 0, INT64_MAX, &seed, &c, err);
    if (st)
        return st;
    o->epochs = (uint32_t)epochs;
    o->batch = (uint32_t)batch;
    o->optim = optim == 0 ? TFG_OPTIM_SGD : TFG_OPTIM_ADAM;
    o->lr = (float)lr;
    o->lr_default = !json_object_get(t, "lr");
    o->momentum = (float)mom;
    o->weight_decay = (float)wd;
    o->patience = (uint32_t)patience;
    o->min_delta = (float)delta;
    o->seed = (uint64_t)seed;
    return TFG_OK;
}

typedef struct {
    json_t *arch;     /* the architecture JSON, or NULL for the chooser */
    char *file;       /* where it came from, for messages */
    char *text;       /* canonical text, for the manifest */
} arch_in;

static tfg_status read_arch(const tfg_spec *s, const tfg_train_stage_opts *o, arch_in *a,
                            tfg_err *err)
{
    memset(a, 0, sizeof *a);
    const json_t *model = json_object_get(s->json, "model");
    const json_t *inline_arch = json_object_get(model, "arch");
    tfg_status st = TFG_OK;
    if (model) {
        static const char *const keys[] = {"arch", NULL};
        tfg_jctx c = {s->path, "model"};
        st = tfg_jcheck_keys(model, keys, &c, err);
        if (st)
            return st;
    }
    if (o->arch_file) {
        a->file = tfg_xstrdup(o->arch_file);
        st = tfg_json_load_file(a->file, &a->arch, err);
    } else if (json_is_string(inline_arch)) {
        a->file = tfg_path_beside(s->path, json_string_value(inline_arch));
        st = tfg_json_load_file(a->file, &a->arch, err);
    } else if (json_is_object(inline_arch)) {
        a->file = tfg_xasprintf("%s: model.arch", s->path);
        a->arch = json_incref((json_t *)inline_arch);
    } else if (inline_arch) {
        return tfg_err_field(err, TFG_EINPUT, s->path, "model.arch",
                             "expected an architecture object or a file name, got %s",
                             tfg_json_type_name(inline_arch));
    }
    if (!st)
        a->text = a->arch ? tfg_json_canonical(a->arch) : tfg_xstrdup("builtin");
    return st;
}

/* The architecture as the graph reads it (defaults filled in, one layout), so two
 * spellings of one network — a hand-written arch.json and the arch.json a training
 * published from it — are one manifest input and one training-cache key. Left as
 * written when it does not build (training reports why). */
static void arch_normalize(arch_in *a, const data_in *d)
{
    tfg_graph g;
    memset(&g, 0, sizeof g);
    tfg_err e;
    if (a->arch && !tfg_graph_from_json(a->arch, a->file, &d->input, (uint32_t)d->n_classes,
                                        &g, &e)) {
        json_t *j = tfg_graph_to_json(&g);
        free(a->text);
        a->text = tfg_json_canonical(j);
        json_decref(j);
    }
    tfg_graph_free(&g);
}

static void arch_free(arch_in *a)
{
    json_decref(a->arch);
    free(a->file);
    free(a->text);
}

static json_t *metrics_json(const tfg_metrics *m, uint32_t n)
{
    json_t *a = json_array();
    for (uint32_t i = 0; i < n; i++) {
        json_t *o = json_pack("{s:f}", "loss", m[i].loss);
        if (!isnan(m[i].accuracy))
            json_object_set_new(o, "accuracy", json_real(m[i].accuracy));
        json_array_append_new(a, o);
    }
    return a;
}

json_t *tfg_train_stop_json(const tfg_train_history *h, const tfg_train_opts *o)
{
    json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:I}", "reason", tfg_train_stop_name(h->stop),
                          "epochs_run", (json_int_t)h->epochs_run, "best_epoch",
                          (json_int_t)h->best_epoch, "epochs_bound", (json_int_t)o->epochs,
                          "patience", (json_int_t)o->patience);
    char *w = NULL;
    if (h->stop == TFG_STOP_BOUND)
        w = tfg_xasprintf("training reached its bound of %u epochs while the validation loss "
                          "was still falling (best epoch %u): the model may not have "
                          "converged; raise training.epochs",
                          o->epochs, h->best_epoch);
    else if (h->stop == TFG_STOP_NO_VALIDATION)
        w = tfg_xasprintf("no validation rows: all %u epochs ran and the last one's weights "
                          "were kept; give the data a validation split",
                          o->epochs);
    if (w)
        json_object_set_new(j, "warning", json_string(w));
    free(w);
    return j;
}

json_t *tfg_train_settings_json(const tfg_train_opts *o, double target)
{
    json_t *j = json_pack("{s:i, s:i, s:s, s:f, s:i, s:f, s:I}", "epochs", (int)o->epochs,
                          "batch", (int)o->batch, "optimizer",
                          o->optim == TFG_OPTIM_ADAM ? "adam" : "sgd", "lr", (double)o->lr,
                          "patience", (int)o->patience, "min_delta", (double)o->min_delta,
                          "seed", (json_int_t)o->seed);
    if (!isnan(target))
        json_object_set_new(j, "target_accuracy", json_real(target));
    return j;
}

static json_t *make_report(const tfg_spec *s, const data_in *d, const tfg_graph *g,
                           const tfg_arch_need *need, const tfg_train_history *h,
                           const tfg_metrics *test,
                           const uint32_t *cm, json_t *candidates, const tfg_train_opts *o)
{
    json_t *r = json_object();
    json_object_set_new(r, "stage", json_string(tfg_stage_name(TFG_STAGE_TRAIN)));
    json_object_set_new(r, "name", json_string(s->name));
    json_object_set_new(r, "params", json_integer((json_int_t)tfg_graph_param_count(g)));
    json_object_set_new(r, "macs", json_integer((json_int_t)tfg_graph_macs(g)));
    json_object_set_new(
        r, "estimate",
        json_pack("{s:I, s:I, s:I, s:I, s:s}", "flash_bytes",
                  (json_int_t)tfg_graph_flash_estimate(g, need), "ram_bytes",
                  (json_int_t)tfg_graph_ram_estimate(g, need), "flash_budget",
                  (json_int_t)s->budget.flash_bytes, "ram_budget",
                  (json_int_t)s->budget.ram_bytes, "board", s->board.id));
    tfg_train_opts used = *o; /* the rate the kept model trained at */
    used.lr = tfg_train_lr(g, o);
    json_object_set_new(r, "training", tfg_train_settings_json(&used, NAN));
    json_object_set_new(r, "epochs_run", json_integer(h->epochs_run));
    json_object_set_new(r, "best_epoch", json_integer(h->best_epoch));
    json_object_set_new(r, "stop", tfg_train_stop_json(h, o));
    json_object_set_new(r, "history",
                        json_pack("{s:o, s:o}", "train", metrics_json(h->train, h->epochs_run),
                                  "val", metrics_json(h->val, h->epochs_run)));
    json_object_set_new(r, "samples_per_s", json_real(h->samples_per_s));
    json_object_set_new(r, "seconds", json_real(h->seconds));
    json_object_set_new(r, "test_loss", json_real(test->loss));
    if (!isnan(test->accuracy))
        json_object_set_new(r, "test_accuracy", json_real(test->accuracy));
    if (cm) {
        json_object_set(r, "classes", json_object_get(d->summary, "classes"));
        json_object_set_new(r, "confusion", tfg_json_matrix_u32(cm, d->n_classes, d->n_classes));
    }
    if (candidates)
        json_object_set(r, "candidates", candidates);
    return r;
}

static tfg_status publish(const tfg_train_stage_opts *o, tfg_manifest *m, const tfg_graph *g,
                          const json_t *report, tfg_err *err)
{
    tfg_stagedir sd;
    tfg_status st = tfg_stage_begin(&sd, o->out, tfg_stage_name(TFG_STAGE_TRAIN), err);
    if (st)
        return st;
    char *arch = tfg_stage_path(&sd, tfg_artifact_file(TFG_ART_TRAIN_ARCH));
    char *model = tfg_stage_path(&sd, tfg_artifact_file(TFG_ART_TRAIN_MODEL));
    char *weights = tfg_stage_path(&sd, tfg_artifact_file(TFG_ART_TRAIN_WEIGHTS));
    json_t *aj = tfg_graph_to_json(g);
    st = tfg_json_write_file(arch, aj, err);
    json_decref(aj);
    if (!st) st = tfg_model_save(g, model, weights, err);
    free(arch);
    free(model);
    free(weights);
    if (!st)
        return tfg_stage_finish(&sd, m, report, err);
    tfg_stage_abort(&sd);
    return st;
}

static tfg_status run(const tfg_spec *s, const tfg_train_stage_opts *o, data_in *d,
                      const arch_in *a, tfg_train_opts *to, double target, tfg_manifest *m,
                      const char *cache_key, tfg_train_outcome *r, tfg_err *err)
{
    tfg_arch_need need = {.classification = d->train.label_kind == TFG_LABEL_CLASS,
                          .input = d->input,
                          .n_outputs = (uint32_t)d->n_classes,
                          .flash_bytes = s->budget.flash_bytes,
                          .ram_bytes = s->budget.ram_bytes};
    tfg_arch_need_board(&need, &s->board, json_object_get(d->summary, "classes"));
    tfg_graph g;
    memset(&g, 0, sizeof g);
    tfg_train_history h;
    memset(&h, 0, sizeof h);
    json_t *candidates = NULL;
    tfg_status st;
    to->progress = o->progress;
    if (a->arch) {
        st = tfg_graph_from_json(a->arch, a->file, &need.input, need.n_outputs, &g, err);
        if (!st)
            st = tfg_graph_check_budget(&g, &need, a->file, err);
        if (!st) {
            tfg_rng rng;
            tfg_rng_seed(&rng, to->seed);
            tfg_graph_init_params(&g, &rng);
            st = tfg_train(&g, &d->train, &d->val, to, &h, err);
        }
    } else {
        st = tfg_arch_choose(&need, &d->train, &d->val, to, target, &g, &h, &candidates, err);
    }
    tfg_metrics test = {NAN, NAN};
    uint32_t *cm = NULL;
    if (!st) {
        if (need.classification)
            cm = tfg_xcalloc(d->n_classes * d->n_classes, sizeof *cm);
        st = tfg_evaluate(&g, &d->test, to->loss, &test, cm, err);
    }
    tfg_progress_finish(o->progress);
    if (!st) {
        json_t *report = make_report(s, d, &g, &need, &h, &test, cm, candidates, to);
        if (!need.classification && d->test.rows) {
            float *pred = tfg_xmalloc(d->test.rows * sizeof *pred);
            tfg_predict(&g, &d->test, d->test.rows, pred);
            tfg_reg_metrics rm;
            tfg_reg_metrics_of(d->test.y_value, pred, d->test.rows, &rm);
            free(pred);
            tfg_reg_metrics_json(report, "test_", &rm);
        }
        if (cache_key)
            json_object_set_new(report, "cache", json_pack("{s:s, s:b}", "key", cache_key,
                                                           "hit", 0));
        st = publish(o, m, &g, report, err);
        if (!st)
            r->report = json_incref(report);
        json_decref(report);
    }
    free(cm);
    json_decref(candidates);
    tfg_train_history_free(&h);
    tfg_graph_free(&g);
    return st;
}

/* ---- the training cache (stage.h) --------------------------------------------------- */

/* The hash of what the manifest records as inputs, and of the tool's version. */
static char *cache_key(const tfg_manifest *m)
{
    char *canon = tfg_json_canonical(json_object_get(m->j, "inputs"));
    char *text = tfg_xasprintf("%s\n%s", TFG_VERSION, canon);
    char hex[TFG_SHA256_HEX];
    tfg_sha256_hex(text, strlen(text), hex);
    free(canon);
    free(text);
    return tfg_xstrdup(hex);
}

/* Waits for and holds <cache>/<key>.lock (released when *fd is closed). */
static tfg_status cache_lock(const char *cache, const char *key, int *fd, tfg_err *err)
{
    tfg_status st = tfg_mkdirs(cache, err);
    if (st)
        return st;
    char *path = tfg_xasprintf("%s/%s.lock", cache, key);
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (*fd < 0 || fcntl(*fd, F_SETLKW, &fl) != 0)
        st = tfg_err_set(err, TFG_EIO, "%s: cannot lock the training cache entry", path);
    free(path);
    return st;
}

/* Every file of from (manifest.json only when with_manifest) into to. */
static tfg_status copy_files(const char *from, const char *to, bool with_manifest,
                             tfg_err *err)
{
    char **names = NULL;
    size_t n = 0;
    tfg_status st = tfg_list_files(from, "", &names, &n, err);
    for (size_t i = 0; !st && i < n; i++) {
        if (!with_manifest && !strcmp(names[i], "manifest.json"))
            continue;
        char *a = tfg_path_join(from, names[i]), *b = tfg_path_join(to, names[i]);
        st = tfg_copy_file(a, b, (size_t)1 << 30, err);
        free(a);
        free(b);
    }
    tfg_strv_free(names);
    return st;
}

/* Publishes a cache entry as <out>/train, its report marked as a hit. */
static tfg_status publish_cached(const tfg_train_stage_opts *o, tfg_manifest *m,
                                 const char *entry, const char *key, tfg_train_outcome *r,
                                 tfg_err *err)
{
    json_t *report = tfg_stage_report_load(entry);
    if (!report)
        return tfg_err_set(err, TFG_EIO, "%s/report.json: cannot read the cached training",
                           entry);
    json_object_set_new(report, "cache", json_pack("{s:s, s:b}", "key", key, "hit", 1));
    tfg_stagedir sd;
    tfg_status st = tfg_stage_begin(&sd, o->out, tfg_stage_name(TFG_STAGE_TRAIN), err);
    if (!st) {
        st = copy_files(entry, sd.dir, false, err);
        if (!st)
            st = tfg_stage_finish(&sd, m, report, err);
        else
            tfg_stage_abort(&sd);
    }
    if (!st) {
        r->cached = true;
        r->report = json_incref(report);
    }
    json_decref(report);
    return st;
}

/* A finished training (dir) becomes the cache entry <cache>/<key>, whole or not at all. */
static tfg_status cache_store(const char *cache, const char *key, const char *dir,
                              tfg_err *err)
{
    tfg_stagedir sd;
    tfg_status st = tfg_stage_begin(&sd, cache, key, err);
    if (st)
        return st;
    st = copy_files(dir, sd.dir, true, err);
    if (!st)
        return tfg_stage_commit(&sd, err);
    tfg_stage_abort(&sd);
    return st;
}

/* Trains (or takes the cache's entry for these inputs) and publishes. */
static tfg_status run_cached(const tfg_spec *s, const tfg_train_stage_opts *o, data_in *d,
                             const arch_in *a, tfg_train_opts *to, double target,
                             tfg_manifest *m, tfg_train_outcome *r, tfg_err *err)
{
    if (!o->cache_dir)
        return run(s, o, d, a, to, target, m, NULL, r, err);
    char *key = cache_key(m), *entry = tfg_path_join(o->cache_dir, key);
    int lock = -1;
    tfg_status st = cache_lock(o->cache_dir, key, &lock, err);
    if (!st && tfg_manifest_up_to_date(m, entry)) {
        st = publish_cached(o, m, entry, key, r, err);
    } else if (!st) {
        st = run(s, o, d, a, to, target, m, key, r, err);
        if (!st)
            st = cache_store(o->cache_dir, key, r->dir, err);
    }
    if (lock >= 0)
        close(lock);
    free(key);
    free(entry);
    return st;
}

tfg_status tfg_train_check_spec(const tfg_spec *s, tfg_err *err)
{
    tfg_train_opts to;
    double target;
    bool classification = s->task == TFG_TASK_CLASSIFICATION;
    tfg_status st = tfg_train_settings(s, classification, &to, &target, err);
    tfg_train_stage_opts none;
    memset(&none, 0, sizeof none);
    arch_in a;
    memset(&a, 0, sizeof a);
    const json_t *named = json_object_get(json_object_get(s->json, "model"), "arch");
    if (!st && (st = read_arch(s, &none, &a, err)) && json_is_string(named)) {
        /* the file it names is unreadable: the spec is what is wrong */
        tfg_err_prefix(err, "%s: model.arch", s->path);
        st = TFG_EINPUT;
        if (err)
            err->code = st;
    }
    if (!st && !json_is_object(a.arch) && a.arch)
        st = tfg_err_field(err, TFG_EINPUT, s->path, "model.arch",
                           "%s: expected an architecture object, got %s", a.file,
                           tfg_json_type_name(a.arch));
    arch_free(&a);
    return st;
}

tfg_status tfg_train_stage(const tfg_spec *s, const tfg_train_stage_opts *o,
                           tfg_train_outcome *r, tfg_err *err)
{
    memset(r, 0, sizeof *r);
    r->dir = tfg_rundir_stage(o->out, TFG_STAGE_TRAIN);
    data_in d;
    tfg_train_opts to;
    double target = 0;
    arch_in a;
    memset(&a, 0, sizeof a);
    tfg_status st = read_data(o->out, s, &d, err);
    if (!st)
        st = tfg_train_settings(s, d.train.label_kind == TFG_LABEL_CLASS, &to, &target, err);
    if (!st && o->epochs)
        to.epochs = o->epochs;
    if (!st) st = tfg_train_opts_check(&to, err);
    if (!st) st = read_arch(s, o, &a, err);
    if (!st)
        arch_normalize(&a, &d);
    tfg_manifest m;
    tfg_manifest_init(&m, tfg_stage_name(TFG_STAGE_TRAIN));
    static const tfg_artifact inputs[] = {TFG_ART_DATA_TRAIN, TFG_ART_DATA_VAL,
                                          TFG_ART_DATA_TEST, TFG_ART_DATA_SUMMARY};
    for (size_t i = 0; !st && i < sizeof inputs / sizeof inputs[0]; i++) {
        char *p = tfg_rundir_path(o->out, inputs[i]);
        st = tfg_manifest_input_file(&m, tfg_artifact_file(inputs[i]), p, err);
        free(p);
    }
    if (!st) {
        char *opts = tfg_xasprintf("%u %u %d %.9g%s %.9g %.9g %u %.9g %llu %.9g", to.epochs,
                                   to.batch, (int)to.optim, (double)to.lr,
                                   to.lr_default ? " (default)" : "",
                                   (double)to.momentum, (double)to.weight_decay, to.patience,
                                   (double)to.min_delta, (unsigned long long)to.seed, target);
        tfg_manifest_input_text(&m, "training", opts);
        free(opts);
        tfg_manifest_input_text(&m, "arch", a.text);
        char budget[128];
        snprintf(budget, sizeof budget, "%llu %llu", (unsigned long long)s->budget.flash_bytes,
                 (unsigned long long)s->budget.ram_bytes);
        tfg_manifest_input_text(&m, "budget", budget);
    }
    if (!st && !o->force && tfg_manifest_up_to_date(&m, r->dir)) {
        r->skipped = true;
        r->report = tfg_stage_report_load(r->dir);
    } else if (!st) {
        st = run_cached(s, o, &d, &a, &to, target, &m, r, err);
    }
    tfg_manifest_free(&m);
    arch_free(&a);
    data_free(&d);
    return st;
}

void tfg_train_outcome_free(tfg_train_outcome *r)
{
    free(r->dir);
    json_decref(r->report);
    memset(r, 0, sizeof *r);
}
