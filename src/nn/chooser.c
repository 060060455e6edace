/* chooser.c — the builtin architecture chooser: how much flash and RAM a network will
 * need on a board, the budget check that names the layer that does not fit, the
 * candidate networks for a task (small MLPs for flat inputs, small CNNs for images),
 * and the search that trains them smallest first and grows the network only while the
 * validation accuracy asks for it.
 *
 * The estimates come before quantization exists, so they are deliberately simple:
 * int8 weights, int32 bias, multiplier and shift per output channel, each op's
 * parameters, peak int8 activations. They are held to the budget by the firmware's own
 * rule (spec/fit.h, the one target/fw_fit.c applies): the stack, the input and output
 * buffers and the program around the model count, and on AVR the weights count against
 * RAM as well, since they are copied there. A budget of 0 means "no limit". */
#include "nn/chooser.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/rng.h"
#include "core/strutil.h"

/* Constant bytes of an op's prepared parameters as the code generator counts them
 * (codegen/emit.c: host struct sizes, no less than the 32- and 8-bit targets'). */
#define PER_CHANNEL_BYTES 12u  /* int32 bias, multiplier and shift per output channel */
#define DENSE_PARAMS_BYTES 56u /* params, dims, requant */
#define CONV_PARAMS_BYTES 116u /* params, requant, three dims */
#define POOL_PARAMS_BYTES 64u  /* params, two dims */
#define OTHER_PARAMS_BYTES 48u /* softmax, add, a standalone activation */
/* A bigger candidate must beat the best so far by this much validation accuracy, and by
 * at least MIN_GAIN_ROWS more validation rows right, to be worth its size: on a small
 * validation split one row is several points, and one row is noise, not signal. */
#define MIN_GAIN 0.005
#define MIN_GAIN_ROWS 2
/* For regression, the relative drop in validation loss a bigger network must bring. */
#define MIN_LOSS_GAIN 0.01
/* The target accuracy counts as reached when the validation accuracy's Wilson lower
 * bound at this many standard errors is at or above it: one lucky validation sample
 * must not stop the search at a network that only just scraped the target. */
#define TARGET_Z 1.0
/* Bigger candidates in a row not worth their size before the search stops. */
#define GROW_PATIENCE 2

/* ---- estimates ---------------------------------------------------------------------- */

/* The constant bytes one layer becomes on the device. Batchnorm is folded into the
 * layer before it for int8, and flatten and reshape are views: they cost nothing. */
static uint64_t layer_flash(const tfg_layer *l)
{
    switch (l->kind) {
    case TFG_LAYER_DENSE:
        return (uint64_t)l->w.n + PER_CHANNEL_BYTES * (uint64_t)l->b.n + DENSE_PARAMS_BYTES;
    case TFG_LAYER_CONV2D:
    case TFG_LAYER_DWCONV2D:
        return (uint64_t)l->w.n + PER_CHANNEL_BYTES * (uint64_t)l->b.n + CONV_PARAMS_BYTES;
    case TFG_LAYER_MAXPOOL:
    case TFG_LAYER_AVGPOOL:
        return POOL_PARAMS_BYTES;
    case TFG_LAYER_SOFTMAX:
    case TFG_LAYER_ADD:
    case TFG_LAYER_RELU:
    case TFG_LAYER_RELU6:
        return OTHER_PARAMS_BYTES;
    default:
        return 0;
    }
}

void tfg_arch_need_board(tfg_arch_need *need, const tfg_board *b, const json_t *classes)
{
    need->arch = tfg_fit_arch_of(b);
    need->class_name_bytes = 0;
    size_t i;
    const json_t *c;
    json_array_foreach(classes, i, c)
        if (json_is_string(c))
            need->class_name_bytes += json_string_length(c) + 1;
}

void tfg_graph_fit_parts(const tfg_graph *g, const tfg_arch_need *need, tfg_fit_parts *p)
{
    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < g->n_layers; i++)
        p->weights += layer_flash(&g->layers[i]);
    p->arena = (uint64_t)tfg_graph_activation_bytes(g);
    uint64_t in = g->n_tensors ? tfg_shape_size(&g->tensors[0]) : 0;
    uint64_t out = g->n_tensors ? tfg_shape_size(&g->tensors[g->n_tensors - 1]) : 0;
    p->io = in + out;
    bool cls = need ? need->classification : false;
    tfg_fit_allow_program(need ? need->arch : TFG_FIT_CORTEX_M, in, cls ? out : 0,
                          need ? need->class_name_bytes : 0, p);
}

uint64_t tfg_graph_flash_estimate(const tfg_graph *g, const tfg_arch_need *need)
{
    tfg_fit_parts p;
    tfg_graph_fit_parts(g, need, &p);
    return tfg_fit_flash(need ? need->arch : TFG_FIT_CORTEX_M, &p);
}

uint64_t tfg_graph_ram_estimate(const tfg_graph *g, const tfg_arch_need *need)
{
    tfg_fit_parts p;
    tfg_graph_fit_parts(g, need, &p);
    return tfg_fit_ram(need ? need->arch : TFG_FIT_CORTEX_M, &p);
}

/* ---- the budget check --------------------------------------------------------------- */

/* "812 bytes", "256 KB", "1.2 MB" (binary units, as boards are specified). */
static void human_bytes(char *dst, size_t n, uint64_t b)
{
    const double k = 1024.0;
    if (b < 1024) {
        snprintf(dst, n, "%llu bytes", (unsigned long long)b);
        return;
    }
    double v = b < 1024 * 1024 ? (double)b / k : (double)b / (k * k);
    const char *unit = b < 1024 * 1024 ? "KB" : "MB";
    if (fabs(v - round(v)) < 0.05)
        snprintf(dst, n, "%.0f %s", v, unit);
    else
        snprintf(dst, n, "%.1f %s", v, unit);
}

/* int8 bytes alive while layer i runs: its input(s) and its output. */
static uint64_t layer_activations(const tfg_graph *g, const tfg_layer *l)
{
    uint64_t n = tfg_shape_size(&g->tensors[l->in]) + tfg_shape_size(&g->tensors[l->out]);
    if (l->in2 >= 0)
        n += tfg_shape_size(&g->tensors[l->in2]);
    return n;
}

static size_t largest_layer(const tfg_graph *g, bool flash, uint64_t *bytes)
{
    size_t best = 0;
    *bytes = 0;
    for (size_t i = 0; i < g->n_layers; i++) {
        const tfg_layer *l = &g->layers[i];
        uint64_t b = flash ? layer_flash(l) : layer_activations(g, l);
        if (b > *bytes) {
            *bytes = b;
            best = i;
        }
    }
    return best;
}

static tfg_status over_budget(const tfg_graph *g, const tfg_arch_need *need, bool flash,
                              uint64_t used, const tfg_fit_parts *p, const char *file,
                              tfg_err *err)
{
    uint64_t budget = flash ? need->flash_bytes : need->ram_bytes;
    bool avr = need->arch == TFG_FIT_AVR;
    char a[32], b[32], c[32], n[6][32];
    uint64_t lb;
    size_t li = largest_layer(g, flash, &lb);
    human_bytes(a, sizeof a, used);
    human_bytes(b, sizeof b, budget);
    human_bytes(c, sizeof c, lb);
    tfg_fmt_count(n[0], sizeof n[0], used);
    tfg_fmt_count(n[1], sizeof n[1], p->weights);
    if (flash) {
        tfg_fmt_count(n[2], sizeof n[2], p->code);
        return tfg_err_set(err, TFG_ECHECK,
                           "%s: the network needs %s of flash, the budget is %s; the largest "
                           "layer is layers[%zu] (%s, %s); by the firmware rule: %s bytes = "
                           "weights %s + code %s",
                           file, a, b, li, tfg_layer_kind_name(g->layers[li].kind), c, n[0],
                           n[1], n[2]);
    }
    tfg_fmt_count(n[2], sizeof n[2], p->arena);
    tfg_fmt_count(n[3], sizeof n[3], p->io);
    tfg_fmt_count(n[4], sizeof n[4], tfg_fit_stack(need->arch));
    tfg_fmt_count(n[5], sizeof n[5], p->program);
    char w[96] = "";
    if (avr)
        snprintf(w, sizeof w, "weights %s (copied to RAM on AVR) + ", n[1]);
    return tfg_err_set(err, TFG_ECHECK,
                       "%s: the network needs %s of RAM, the budget is %s; the largest layer "
                       "is layers[%zu] (%s, %s of activations); by the firmware rule: %s "
                       "bytes = %sarena %s + input and output %s + stack %s + the program "
                       "around the model %s",
                       file, a, b, li, tfg_layer_kind_name(g->layers[li].kind), c, n[0], w,
                       n[2], n[3], n[4], n[5]);
}

tfg_status tfg_graph_check_budget(const tfg_graph *g, const tfg_arch_need *need,
                                  const char *file, tfg_err *err)
{
    if (!file)
        file = "architecture";
    tfg_fit_parts p;
    tfg_graph_fit_parts(g, need, &p);
    uint64_t flash = tfg_fit_flash(need->arch, &p);
    uint64_t ram = tfg_fit_ram(need->arch, &p);
    if (need->flash_bytes && flash > need->flash_bytes)
        return over_budget(g, need, true, flash, &p, file, err);
    if (need->ram_bytes && ram > need->ram_bytes)
        return over_budget(g, need, false, ram, &p, file, err);
    return TFG_OK;
}

/* ---- candidates --------------------------------------------------------------------- */

static json_t *input_json(const tfg_shape *s)
{
    json_t *a = json_array();
    for (uint32_t i = 0; i < s->rank; i++)
        json_array_append_new(a, json_integer(s->dim[i]));
    return a;
}

static json_t *dense(uint32_t units, bool relu)
{
    json_t *o = json_pack("{s:s, s:I}", "type", "dense", "units", (json_int_t)units);
    if (relu)
        json_object_set_new(o, "activation", json_string("relu"));
    return o;
}

static json_t *conv(uint32_t filters)
{
    return json_pack("{s:s, s:I, s:I, s:I, s:s, s:s}", "type", "conv2d", "filters",
                     (json_int_t)filters, "kernel", (json_int_t)3, "stride", (json_int_t)1,
                     "padding", "same", "activation", "relu");
}

/* The head every candidate ends with: dense(n) + softmax, or dense(1) for regression. */
static void add_head(json_t *layers, const tfg_arch_need *need)
{
    bool cls = need->classification;
    json_array_append_new(layers, dense(cls ? need->n_outputs : 1, false));
    if (cls)
        json_array_append_new(layers, json_pack("{s:s}", "type", "softmax"));
}

static json_t *arch_of(const tfg_arch_need *need, json_t *layers)
{
    add_head(layers, need);
    json_t *a = json_object();
    json_object_set_new(a, "input", input_json(&need->input));
    json_object_set_new(a, "layers", layers);
    return a;
}

/* MLPs with one or two ReLU hidden layers, and the linear model (no hidden layer); a
 * rank-3 input is flattened first. A hidden layer narrower than the number of classes
 * is a bottleneck the head cannot undo (8-5 for 10 digits is worse than linear), so
 * such a network is no candidate. */
static void mlp_candidates(const tfg_arch_need *need, json_t *out)
{
    static const uint32_t widths[][2] = {
        {0, 0},   {8, 0},   {16, 0},  {32, 0},    {64, 0},   {128, 0},
        {8, 5},   {16, 8},  {32, 16}, {64, 32},   {128, 64}, {256, 128}};
    uint32_t least = need->classification ? need->n_outputs : 1;
    for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++) {
        if ((widths[i][0] && widths[i][0] < least) || (widths[i][1] && widths[i][1] < least))
            continue;
        json_t *layers = json_array();
        if (need->input.rank != 1)
            json_array_append_new(layers, json_pack("{s:s}", "type", "flatten"));
        for (size_t k = 0; k < 2 && widths[i][k]; k++)
            json_array_append_new(layers, dense(widths[i][k], true));
        json_array_append_new(out, arch_of(need, layers));
    }
}

/* Small CNNs: conv(3x3, same, relu) + maxpool(2) blocks, then one dense hidden layer.
 * For Fashion-MNIST (28x28x1, 10 classes) they have about 27K, 33K and 61K parameters:
 * the third block keeps the wider ones under 64K by shrinking what dense sees. */
static void cnn_candidates(const tfg_arch_need *need, json_t *out)
{
    static const struct {
        uint32_t filters[3];
        uint32_t dense;
    } nets[] = {{{8, 16, 0}, 32}, {{16, 32, 32}, 64}, {{16, 32, 64}, 64}};
    for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++) {
        json_t *layers = json_array();
        for (size_t k = 0; k < 3 && nets[i].filters[k]; k++) {
            json_array_append_new(layers, conv(nets[i].filters[k]));
            json_array_append_new(layers, json_pack("{s:s, s:I}", "type", "maxpool", "size",
                                                    (json_int_t)2));
        }
        json_array_append_new(layers, json_pack("{s:s}", "type", "flatten"));
        json_array_append_new(layers, dense(nets[i].dense, true));
        json_array_append_new(out, arch_of(need, layers));
    }
}

typedef struct {
    json_t *arch;
    size_t params;
    size_t order; /* position in generation order, for a stable sort */
} candidate;

static int by_params(const void *a, const void *b)
{
    const candidate *x = a, *y = b;
    if (x->params != y->params)
        return x->params < y->params ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static uint32_t outputs_of(const tfg_arch_need *need)
{
    return need->classification ? need->n_outputs : 1;
}

/* Keeps the architectures of `all` that build for the input and fit the budget (when
 * fit is set), smallest first. */
static json_t *filter_sorted(const tfg_arch_need *need, json_t *all, bool fit)
{
    size_t n = json_array_size(all), kept = 0;
    candidate *c = tfg_xcalloc(n ? n : 1, sizeof *c);
    for (size_t i = 0; i < n; i++) {
        tfg_graph g;
        json_t *a = json_array_get(all, i);
        if (tfg_graph_from_json(a, "candidate", &need->input, outputs_of(need), &g, NULL))
            continue; /* does not build for this input (e.g. too small to pool) */
        bool ok = !fit || !tfg_graph_check_budget(&g, need, "candidate", NULL);
        if (ok)
            c[kept++] = (candidate){json_incref(a), tfg_graph_param_count(&g), i};
        tfg_graph_free(&g);
    }
    qsort(c, kept, sizeof *c, by_params);
    json_t *out = json_array();
    for (size_t i = 0; i < kept; i++)
        json_array_append_new(out, c[i].arch);
    free(c);
    return out;
}

static json_t *all_candidates(const tfg_arch_need *need, bool fit)
{
    json_t *all = json_array();
    if (need->input.rank == 3)
        cnn_candidates(need, all);
    else
        mlp_candidates(need, all);
    json_t *out = filter_sorted(need, all, fit);
    /* An image too small for any CNN (or a budget none fits) still gets flat MLPs. */
    if (need->input.rank == 3 && json_array_size(out) == 0) {
        json_decref(all);
        all = json_array();
        mlp_candidates(need, all);
        json_decref(out);
        out = filter_sorted(need, all, fit);
    }
    json_decref(all);
    return out;
}

json_t *tfg_arch_candidates(const tfg_arch_need *need)
{
    if (need->classification && need->n_outputs < 2)
        return json_array();
    return all_candidates(need, true);
}

/* ---- the search --------------------------------------------------------------------- */

typedef struct {
    tfg_graph g;
    tfg_train_history h;
    tfg_metrics val; /* at the best epoch */
    bool set;
} trained;

static void trained_free(trained *t)
{
    tfg_graph_free(&t->g);
    tfg_train_history_free(&t->h);
    memset(t, 0, sizeof *t);
}

/* The validation metrics of the best epoch, or the training ones when there is no
 * validation split (the search then has nothing better to go on). */
static tfg_metrics best_metrics(const tfg_train_history *h)
{
    tfg_metrics m = h->val[h->best_epoch - 1];
    if (isnan(m.loss))
        m = h->train[h->best_epoch - 1];
    return m;
}

static tfg_status train_candidate(const json_t *arch, size_t i, const tfg_arch_need *need,
                                  const tfg_split *train, const tfg_split *val,
                                  const tfg_train_opts *o, trained *t, tfg_err *err)
{
    memset(t, 0, sizeof *t);
    tfg_status st =
        tfg_graph_from_json(arch, "candidate", &need->input, outputs_of(need), &t->g, err);
    if (!st) {
        tfg_rng r;
        tfg_rng_seed(&r, o->seed);
        tfg_graph_init_params(&t->g, &r);
        st = tfg_train(&t->g, train, val, o, &t->h, err);
    }
    if (st) {
        trained_free(t);
        return tfg_err_prefix(err, "candidate architecture %zu", i + 1);
    }
    t->val = best_metrics(&t->h);
    t->set = true;
    return TFG_OK;
}

/* Is c enough better than best to be worth being bigger? */
bool tfg_arch_worth_growing(bool classification, const tfg_metrics *c,
                            const tfg_metrics *best, uint32_t val_rows)
{
    if (classification) {
        double gain = c->accuracy - best->accuracy;
        /* rows right: rounded, as accuracies are counts over val_rows */
        double rows = floor(gain * val_rows + 0.5);
        return gain >= MIN_GAIN && (val_rows == 0 || rows >= MIN_GAIN_ROWS);
    }
    return c->loss <= best->loss * (1.0 - MIN_LOSS_GAIN);
}

/* Wilson lower bound of an accuracy p measured on n samples, at TARGET_Z. */
static double accuracy_lower_bound(double p, uint32_t n)
{
    if (n == 0 || isnan(p))
        return 0;
    double z2 = TARGET_Z * TARGET_Z, nn = (double)n;
    double centre = p + z2 / (2 * nn);
    double spread = TARGET_Z * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
    return (centre - spread) / (1 + z2 / nn);
}

static json_t *log_entry(const json_t *arch, const trained *t, const tfg_train_opts *o)
{
    json_t *e = json_object();
    json_object_set(e, "arch", (json_t *)arch);
    json_object_set_new(e, "params", json_integer((json_int_t)tfg_graph_param_count(&t->g)));
    json_object_set_new(e, "lr", json_real(tfg_train_lr(&t->g, o)));
    json_object_set_new(e, "val_accuracy",
                        isnan(t->val.accuracy) ? json_null() : json_real(t->val.accuracy));
    json_object_set_new(e, "val_loss", isfinite(t->val.loss) ? json_real(t->val.loss)
                                                             : json_null());
    json_object_set_new(e, "epochs", json_integer(t->h.epochs_run));
    json_object_set_new(e, "stop", json_string(tfg_train_stop_name(t->h.stop)));
    json_object_set_new(e, "chosen", json_false());
    return e;
}

/* The error when no candidate fits: the budget check's message for the smallest
 * builtin architecture, which says by how much and which layer is to blame. */
static tfg_status nothing_fits(const tfg_arch_need *need, tfg_err *err)
{
    json_t *any = all_candidates(need, false);
    tfg_status st = TFG_OK;
    tfg_graph g;
    if (json_array_size(any) > 0 &&
        !tfg_graph_from_json(json_array_get(any, 0), "candidate", &need->input,
                             outputs_of(need), &g, NULL)) {
        st = tfg_graph_check_budget(&g, need, "the smallest builtin architecture", err);
        tfg_graph_free(&g);
    }
    json_decref(any);
    if (st == TFG_OK)
        st = tfg_err_set(err, TFG_ECHECK,
                         "no builtin architecture fits this task (%u outputs)",
                         outputs_of(need));
    return tfg_err_prefix(err, "choosing an architecture");
}

/* Trains candidates smallest first until one reaches the target (when the spec sets one;
 * NAN: none), or until GROW_PATIENCE bigger ones in a row were not worth their size; *best gets the one to keep, *best_i
 * its index in cands. A bigger network replaces the best only when it is worth its size
 * (worth_growing), also when it reaches the target: one that reaches it by a row or so
 * more than the smaller best shows the smaller one is as good, and the search stops
 * with it. One candidate that ties with the best can be validation noise, so the search
 * looks one further before it settles on the smaller network. */
static tfg_status search(const json_t *cands, const tfg_arch_need *need,
                         const tfg_split *train, const tfg_split *val,
                         const tfg_train_opts *o, double target, json_t *entries,
                         trained *best, size_t *best_i, tfg_err *err)
{
    unsigned misses = 0;
    for (size_t i = 0; i < json_array_size(cands); i++) {
        const json_t *arch = json_array_get(cands, i);
        trained cur;
        tfg_status st = train_candidate(arch, i, need, train, val, o, &cur, err);
        if (st)
            return st;
        json_array_append_new(entries, log_entry(arch, &cur, o));
        bool reached = need->classification && /* never when target is NAN */
                       accuracy_lower_bound(cur.val.accuracy, val->rows) >= target;
        bool grow = !best->set || tfg_arch_worth_growing(need->classification, &cur.val,
                                                         &best->val, val->rows);
        if (grow) {
            trained_free(best);
            *best = cur;
            *best_i = i;
            misses = 0;
        } else {
            trained_free(&cur);
            misses++;
        }
        if (reached || misses >= GROW_PATIENCE)
            break;
    }
    return TFG_OK;
}

tfg_status tfg_arch_choose(const tfg_arch_need *need, const tfg_split *train,
                           const tfg_split *val, const tfg_train_opts *o,
                           double target_accuracy, tfg_graph *g, tfg_train_history *h,
                           json_t **log, tfg_err *err)
{
    memset(g, 0, sizeof *g);
    memset(h, 0, sizeof *h);
    if (log)
        *log = NULL;
    json_t *cands = tfg_arch_candidates(need);
    if (json_array_size(cands) == 0) {
        json_decref(cands);
        return nothing_fits(need, err);
    }
    json_t *entries = json_array();
    trained best;
    memset(&best, 0, sizeof best);
    size_t best_i = 0;
    tfg_status st =
        search(cands, need, train, val, o, target_accuracy, entries, &best, &best_i, err);
    if (!st) {
        json_object_set_new(json_array_get(entries, best_i), "chosen", json_true());
        *g = best.g;
        *h = best.h;
    } else {
        trained_free(&best);
    }
    if (log && !st)
        *log = entries;
    else
        json_decref(entries);
    json_decref(cands);
    return st;
}
