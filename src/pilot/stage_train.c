/* stage_train.c — the train stage: a network architecture (docs/arch.md) for the data
 * and the board.
 *
 * Context: the data's input shape, classes and split sizes (summary.json), the board
 * and budgets, the training settings. Builtin: the chooser (smallest candidate that
 * reaches the target accuracy; trained in a scratch run beside the real one).
 * Validator, in order: nothing on the host (unsafe); the architecture builds (a spec
 * error); its input and output fit the data, and a classifier ends in softmax (misuse);
 * it fits the board's flash and RAM by the graph's estimates, activations included —
 * a reply that claims it fits when it does not ("ignoring the arena") is a silent
 * failure, one that just does not fit is over budget; it trains (the train stage
 * publishes <out>/train) and its validation accuracy beats always answering the most
 * common class and reaches routing.min_accuracy (else silent, and <out>/train is
 * removed again). A reply may be the architecture itself or {"arch": {...},
 * "estimate": {"flash_bytes": N, "ram_bytes": N}}. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/io.h"
#include "core/json.h"
#include "nn/chooser.h"
#include "nn/graph.h"
#include "nn/stage.h"
#include "pilot/pilot.h"
#include "spec/rundir.h"

typedef struct {
    json_t *summary;
    tfg_arch_need need;
    double majority; /* the most common class's share of the validation split */
    /* the builtin chooser's network and its validation accuracy, once trained: the
     * default floor of a proposal (routing.builtin_margin below it) */
    char *builtin_text; /* arch.json as the chooser wrote it: the builtin's reply */
    json_t *builtin_arch;
    double builtin_acc;
} train_state;

static tfg_status read_need(train_state *st, const tfg_spec *s, tfg_err *err)
{
    const json_t *shape = json_object_get(st->summary, "input_shape");
    size_t rank = json_array_size(shape);
    if (rank != 1 && rank != 3)
        return tfg_err_set(err, TFG_EINPUT, "summary.json: input_shape: expected 1 or 3 dims");
    st->need.input.rank = (uint32_t)rank;
    for (size_t i = 0; i < rank; i++)
        st->need.input.dim[i] = (uint32_t)json_integer_value(json_array_get(shape, i));
    size_t classes = json_array_size(json_object_get(st->summary, "classes"));
    st->need.classification = s->task == TFG_TASK_CLASSIFICATION;
    st->need.n_outputs = st->need.classification ? (uint32_t)classes : 1;
    st->need.flash_bytes = s->budget.flash_bytes;
    st->need.ram_bytes = s->budget.ram_bytes;
    tfg_arch_need_board(&st->need, &s->board, json_object_get(st->summary, "classes"));
    const json_t *counts = json_object_get(
        json_object_get(json_object_get(st->summary, "splits"), "val"), "class_counts");
    json_int_t total = 0, most = 0;
    size_t i;
    const json_t *c;
    json_array_foreach(counts, i, c) {
        total += json_integer_value(c);
        if (json_integer_value(c) > most)
            most = json_integer_value(c);
    }
    st->majority = total ? (double)most / (double)total : 0;
    return TFG_OK;
}

static tfg_status prepare(tfg_pilot *p, void **state, json_t *ctx, json_t *sent, tfg_err *err)
{
    const tfg_pilot_opts *o = tfg_pilot_options(p);
    if (!o->spec)
        return tfg_err_set(err, TFG_EUSAGE, "the train stage needs a spec");
    train_state *st = tfg_xcalloc(1, sizeof *st);
    *state = st;
    tfg_status s = tfg_pilot_load_summary(p, &st->summary, err);
    if (!s)
        s = read_need(st, o->spec, err);
    if (s)
        return s;
    tfg_pilot_ctx_board(ctx, o->spec);
    tfg_pilot_ctx_set(ctx, "task", "%s", tfg_task_name(o->spec->task));
    char *text = tfg_pilot_json_text(json_object_get(st->summary, "input_shape"), 200);
    tfg_pilot_ctx_set(ctx, "input_shape", "%s", text);
    free(text);
    tfg_pilot_ctx_set(ctx, "outputs", "%u", st->need.n_outputs);
    text = tfg_pilot_json_text(json_object_get(st->summary, "classes"), 2000);
    tfg_pilot_ctx_set(ctx, "classes", "%s", text);
    free(text);
    text = tfg_pilot_json_text(json_object_get(st->summary, "splits"), 2000);
    tfg_pilot_ctx_set(ctx, "splits", "%s", text);
    free(text);
    /* The settings training will use, defaults filled in: a model proposed against
     * "(defaults)" could not know how many epochs it would get. */
    tfg_train_opts to;
    double target;
    s = tfg_train_settings(o->spec, st->need.classification, &to, &target, err);
    if (s)
        return s;
    json_t *tj = tfg_train_settings_json(&to, target);
    text = tfg_pilot_json_text(tj, 2000);
    json_decref(tj);
    tfg_pilot_ctx_set(ctx, "training", "%s", text);
    free(text);
    tfg_pilot_ctx_set(ctx, "min_accuracy", "%.4g", o->policy->min_accuracy);
    json_array_append_new(sent, json_string("summary"));
    return TFG_OK;
}

static void done(void *state)
{
    train_state *st = state;
    if (st) {
        json_decref(st->summary);
        json_decref(st->builtin_arch);
        free(st->builtin_text);
    }
    free(st);
}

static double val_accuracy(const json_t *report);

/* The chooser trains in <out>/llm/builtin-train, whose data/ is the run's. */
static tfg_status builtin_train(tfg_pilot *p, train_state *ts, tfg_err *err)
{
    const tfg_pilot_opts *o = tfg_pilot_options(p);
    char *scratch = tfg_xasprintf("%s/llm/builtin-train", o->out);
    char *data = tfg_rundir_stage(o->out, TFG_STAGE_DATA);
    char *link = tfg_rundir_stage(scratch, TFG_STAGE_DATA);
    char abs[PATH_MAX];
    tfg_status st = tfg_rmtree(scratch, err);
    if (!st) st = tfg_mkdirs(scratch, err);
    if (!st && (!realpath(data, abs) || symlink(abs, link) != 0))
        st = tfg_err_set(err, TFG_EIO, "%s: cannot link the data stage into the scratch run",
                         link);
    tfg_train_outcome r;
    memset(&r, 0, sizeof r);
    if (!st) {
        tfg_train_stage_opts to = {.out = scratch, .epochs = o->epochs, .force = true,
                                   .cache_dir = o->train_cache};
        st = tfg_train_stage(o->spec, &to, &r, err);
    }
    if (!st) {
        char *arch = tfg_path_join(r.dir, "arch.json");
        json_decref(ts->builtin_arch);
        free(ts->builtin_text);
        ts->builtin_arch = NULL;
        ts->builtin_text = NULL;
        size_t len;
        st = tfg_read_file(arch, (size_t)1 << 24, &ts->builtin_text, &len, err);
        if (!st)
            st = tfg_json_load_buf(ts->builtin_text, len, arch, &ts->builtin_arch, err);
        free(arch);
        ts->builtin_acc = val_accuracy(r.report);
    }
    tfg_train_outcome_free(&r);
    tfg_err e2;
    tfg_rmtree(scratch, &e2);
    free(scratch);
    free(data);
    free(link);
    return st;
}

static tfg_status builtin(tfg_pilot *p, void *state, char **reply, tfg_err *err)
{
    train_state *ts = state;
    tfg_status st = builtin_train(p, ts, err);
    if (!st)
        *reply = tfg_xstrdup(ts->builtin_text);
    return st;
}

/* ---- the validator ------------------------------------------------------------------- */

static bool shape_equal(const json_t *a, const tfg_shape *s)
{
    size_t n = json_array_size(a);
    if (!json_is_array(a) || n != s->rank)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!json_is_integer(json_array_get(a, i)) ||
            json_integer_value(json_array_get(a, i)) != (json_int_t)s->dim[i])
            return false;
    return true;
}

/* The data's sample shape, when the architecture names one. */
static tfg_pilot_class check_input(const json_t *arch, const train_state *st, tfg_err *err)
{
    if (!json_object_get(arch, "input") || shape_equal(json_object_get(arch, "input"),
                                                       &st->need.input))
        return TFG_PILOT_OK;
    char *want = tfg_pilot_json_text(json_object_get(st->summary, "input_shape"), 100);
    tfg_err_field(err, TFG_ECHECK, "arch.json", "input",
                  "the data's samples have the shape %s; the network must take exactly that",
                  want);
    free(want);
    return TFG_PILOT_MISUSE;
}

/* Output size and softmax: what the data and the trainer need of the network. */
static tfg_pilot_class check_output(const tfg_graph *g, const train_state *st, tfg_err *err)
{
    size_t n_out = tfg_shape_size(&g->tensors[g->n_tensors - 1]);
    if (n_out != st->need.n_outputs) {
        tfg_err_field(err, TFG_ECHECK, "arch.json", "layers",
                      "the network gives %zu outputs; the %s needs %u", n_out,
                      st->need.classification ? "classifier (one per class)" : "regression",
                      st->need.n_outputs);
        return TFG_PILOT_MISUSE;
    }
    if (st->need.classification && g->layers[g->n_layers - 1].kind != TFG_LAYER_SOFTMAX) {
        tfg_err_field(err, TFG_ECHECK, "arch.json", "layers",
                      "a classifier must end with {\"type\": \"softmax\"} (the last layer is "
                      "%s)",
                      tfg_layer_kind_name(g->layers[g->n_layers - 1].kind));
        return TFG_PILOT_MISUSE;
    }
    return TFG_PILOT_OK;
}

/* Over budget; silent when the reply's own estimate claims it fits. */
static tfg_pilot_class check_budget(const tfg_graph *g, const json_t *estimate,
                                    const train_state *st, tfg_err *err)
{
    tfg_err e;
    if (!tfg_graph_check_budget(g, &st->need, "arch.json", &e))
        return TFG_PILOT_OK;
    json_int_t flash = json_integer_value(json_object_get(estimate, "flash_bytes"));
    json_int_t ram = json_integer_value(json_object_get(estimate, "ram_bytes"));
    json_int_t arena = json_integer_value(json_object_get(estimate, "arena_bytes"));
    bool claims_fit = json_is_object(estimate) &&
                      (uint64_t)flash <= st->need.flash_bytes &&
                      (uint64_t)(ram > arena ? ram : arena) <= st->need.ram_bytes;
    if (claims_fit) {
        tfg_err_set(err, TFG_ECHECK,
                    "the reply claims the network fits (flash %lld, RAM %lld bytes), but it "
                    "does not: %s (activations count: they live in the arena)",
                    (long long)flash, (long long)(ram > arena ? ram : arena), e.msg);
        return TFG_PILOT_SILENT;
    }
    *err = e;
    return TFG_PILOT_BUDGET;
}

static double val_accuracy(const json_t *report)
{
    const json_t *val = json_object_get(json_object_get(report, "history"), "val");
    json_int_t best = json_integer_value(json_object_get(report, "best_epoch"));
    const json_t *e = json_array_get(val, (size_t)(best > 0 ? best - 1 : 0));
    return json_number_value(json_object_get(e, "accuracy"));
}

static tfg_pilot_class check_accuracy(const json_t *report, const train_state *st,
                                      double floor_, double builtin_floor, tfg_err *err)
{
    if (!st->need.classification)
        return TFG_PILOT_OK;
    double acc = val_accuracy(report);
    if (acc <= st->majority + 1e-9) {
        tfg_err_set(err, TFG_ECHECK,
                    "the network trains to %.2f %% on the validation split, no better than "
                    "always answering the most common class (%.2f %%)",
                    100 * acc, 100 * st->majority);
        return TFG_PILOT_SILENT;
    }
    if (acc < floor_) {
        tfg_err_set(err, TFG_ECHECK,
                    "the network trains to %.2f %% on the validation split, below the floor "
                    "of %.2f %% (routing.min_accuracy)",
                    100 * acc, 100 * floor_);
        return TFG_PILOT_SILENT;
    }
    if (acc < builtin_floor - 1e-9) {
        tfg_err_set(err, TFG_ECHECK,
                    "the network trains to %.2f %% on the validation split, below the floor "
                    "of %.2f %%: the builtin chooser's network reaches %.2f %%, and a "
                    "proposal may fall short of it by routing.builtin_margin (%.2f points) "
                    "at most",
                    100 * acc, 100 * builtin_floor, 100 * st->builtin_acc,
                    100 * (st->builtin_acc - builtin_floor));
        return TFG_PILOT_SILENT;
    }
    return TFG_PILOT_OK;
}

/* The floor a proposal's validation accuracy must reach besides min_accuracy: the
 * builtin chooser's minus routing.builtin_margin (the builtin's training is cached, so
 * this costs one training per data set); none for the builtin's own network. */
static tfg_status builtin_floor(tfg_pilot *p, const json_t *arch, train_state *st,
                                double *floor_, tfg_err *err)
{
    const tfg_pilot_opts *o = tfg_pilot_options(p);
    *floor_ = 0;
    if (!st->need.classification || o->policy->builtin_margin >= 1)
        return TFG_OK;
    tfg_status s = st->builtin_arch ? TFG_OK : builtin_train(p, st, err);
    if (s)
        return tfg_err_prefix(err, "training the builtin chooser's network for the floor");
    if (!json_equal((json_t *)arch, st->builtin_arch))
        *floor_ = st->builtin_acc - o->policy->builtin_margin;
    return TFG_OK;
}

static tfg_status train(tfg_pilot *p, const json_t *arch, train_state *st,
                        tfg_pilot_class *cls, tfg_err *err)
{
    const tfg_pilot_opts *o = tfg_pilot_options(p);
    double bfloor = 0;
    tfg_status s = builtin_floor(p, arch, st, &bfloor, err);
    if (s)
        return s;
    char *af = tfg_pilot_proposal_path(p, "train");
    s = tfg_json_write_file(af, arch, err);
    tfg_train_outcome r;
    memset(&r, 0, sizeof r);
    if (!s) {
        tfg_train_stage_opts to = {.out = o->out, .arch_file = af, .epochs = o->epochs,
                                   .progress = o->progress, .cache_dir = o->train_cache};
        s = tfg_train_stage(o->spec, &to, &r, err);
        if (s == TFG_EINPUT) {
            *cls = TFG_PILOT_SPEC, s = TFG_OK;
        } else if (s == TFG_ECHECK) {
            *cls = TFG_PILOT_SILENT, s = TFG_OK;
        } else if (!s) {
            *cls = check_accuracy(r.report, st, o->policy->min_accuracy, bfloor, err);
            if (*cls) {
                tfg_err e2;
                tfg_rmtree(r.dir, &e2);
            }
        }
    }
    tfg_train_outcome_free(&r);
    free(af);
    return s;
}

static tfg_status validate(tfg_pilot *p, void *state, const char *reply, tfg_pilot_class *cls,
                           tfg_err *err)
{
    train_state *st = state;
    json_t *j;
    *cls = TFG_PILOT_FORMAT;
    if (tfg_pilot_extract_json(reply, &j, err))
        return TFG_OK;
    const json_t *arch = json_object_get(j, "arch") ? json_object_get(j, "arch") : j;
    const json_t *estimate = json_object_get(j, "estimate");
    tfg_status s = TFG_OK;
    tfg_graph g;
    memset(&g, 0, sizeof g);
    /* what points at the host is unsafe whatever its shape ({"arch": "/etc/passwd"}) */
    if (tfg_pilot_scan_unsafe(j, "arch.json", err)) {
        *cls = TFG_PILOT_UNSAFE;
    } else if (!json_is_object(arch) || !json_is_array(json_object_get(arch, "layers"))) {
        tfg_err_set(err, TFG_EINPUT,
                    "the reply is not an architecture: expected {\"input\": [...], "
                    "\"layers\": [...]}");
    } else if ((*cls = check_input(arch, st, err))) {
        /* rejected: misuse */
    } else if (tfg_graph_from_json(arch, "arch.json", &st->need.input, 0, &g, err)) {
        *cls = TFG_PILOT_SPEC;
    } else if (!(*cls = check_output(&g, st, err)) &&
               !(*cls = check_budget(&g, estimate, st, err))) {
        s = train(p, arch, st, cls, err);
    }
    tfg_graph_free(&g);
    json_decref(j);
    return s;
}

const tfg_pilot_stage_def tfg_pilot_stage_train = {
    .name = "train",
    .format = TFG_LLM_FORMAT_JSON,
    .prepare = prepare,
    .builtin = builtin,
    .validate = validate,
    .done = done,
};
