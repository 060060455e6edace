/* train.c — native float training of a tfg_graph: the losses (cross-entropy, fused with
 * a final softmax when there is one; mean squared error), SGD with momentum and Adam,
 * the epoch loop with early stopping on the validation split, and evaluation.
 *
 * The graph owns the parameters and their optimizer state (nn/graph.h); tfg_net runs
 * forward and backward over mini-batches. Everything random (the order of the rows in
 * each epoch) comes from a tfg_rng seeded from the options' seed and the epoch number,
 * so two runs with the same inputs give the same weights bit for bit.
 *
 * The loop runs until the validation loss has not fallen (by min_delta) for `patience`
 * epochs, and keeps the weights of its lowest point; `epochs` is a bound, and reaching
 * it is reported (history.stop) because the model may not have converged. */
#include "nn/train.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/rng.h"

#define EVAL_BATCH 256
/* log(0) guard: a probability the softmax rounded to zero costs log(1e-12), not inf. */
#define PROB_FLOOR 1e-12

void tfg_train_opts_default(tfg_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->epochs = TFG_TRAIN_EPOCHS_DEFAULT;
    o->batch = 32;
    o->optim = TFG_OPTIM_ADAM;
    o->lr = 1e-3f;
    o->momentum = 0.9f;
    o->beta1 = 0.9f;
    o->beta2 = 0.999f;
    o->eps = 1e-7f;
    o->weight_decay = 1e-4f; /* L2 on the kernels: small nets on small data sets overfit */
    o->patience = TFG_TRAIN_PATIENCE_DEFAULT;
    o->min_delta = 1e-3f;
    o->loss = TFG_LOSS_CROSS_ENTROPY;
    o->seed = 0;
    o->progress = NULL;
}

static bool in_unit(float x) /* [0, 1) */
{
    return isfinite(x) && x >= 0.0f && x < 1.0f;
}

tfg_status tfg_train_opts_check(const tfg_train_opts *o, tfg_err *err)
{
    if (o->epochs < 1)
        return tfg_err_set(err, TFG_EINPUT, "training.epochs: must be at least 1");
    if (o->batch < 1)
        return tfg_err_set(err, TFG_EINPUT, "training.batch: must be at least 1");
    if (o->optim != TFG_OPTIM_SGD && o->optim != TFG_OPTIM_ADAM)
        return tfg_err_set(err, TFG_EINPUT, "training.optimizer: must be \"sgd\" or \"adam\"");
    if (!isfinite(o->lr) || o->lr <= 0.0f)
        return tfg_err_set(err, TFG_EINPUT, "training.lr: must be a finite number > 0");
    if (!in_unit(o->momentum))
        return tfg_err_set(err, TFG_EINPUT, "training.momentum: must be in [0, 1)");
    if (!in_unit(o->beta1))
        return tfg_err_set(err, TFG_EINPUT, "training.beta1: must be in [0, 1)");
    if (!in_unit(o->beta2))
        return tfg_err_set(err, TFG_EINPUT, "training.beta2: must be in [0, 1)");
    if (!isfinite(o->eps) || o->eps <= 0.0f)
        return tfg_err_set(err, TFG_EINPUT, "training.eps: must be a finite number > 0");
    if (!isfinite(o->weight_decay) || o->weight_decay < 0.0f)
        return tfg_err_set(err, TFG_EINPUT,
                           "training.weight_decay: must be a finite number >= 0");
    if (!in_unit(o->min_delta))
        return tfg_err_set(err, TFG_EINPUT, "training.min_delta: must be in [0, 1)");
    if (o->loss != TFG_LOSS_CROSS_ENTROPY && o->loss != TFG_LOSS_MSE)
        return tfg_err_set(err, TFG_EINPUT,
                           "training.loss: must be cross-entropy or mean squared error");
    return TFG_OK;
}

const char *tfg_train_stop_name(tfg_train_stop s)
{
    switch (s) {
    case TFG_STOP_PATIENCE: return "patience";
    case TFG_STOP_BOUND: return "bound";
    case TFG_STOP_NO_VALIDATION: return "no_validation";
    }
    return "?";
}

void tfg_train_history_free(tfg_train_history *h)
{
    if (!h)
        return;
    free(h->train);
    free(h->val);
    memset(h, 0, sizeof *h);
}

/* ---- the graph's arrays ------------------------------------------------------------ */

static bool has_weights(const tfg_layer *l)
{
    return l->kind == TFG_LAYER_DENSE || l->kind == TFG_LAYER_CONV2D ||
           l->kind == TFG_LAYER_DWCONV2D || l->kind == TFG_LAYER_BATCHNORM;
}

/* Every float array that defines the trained model, in file order (per layer: w, b,
 * then batchnorm mean and var): what a best-epoch snapshot must keep. */
typedef struct {
    float **arr;
    size_t *n;
    size_t count, total;
} array_list;

static void arrays_add(array_list *a, float *p, size_t n)
{
    if (!p || n == 0)
        return;
    a->arr = tfg_xreallocarray(a->arr, a->count + 1, sizeof *a->arr);
    a->n = tfg_xreallocarray(a->n, a->count + 1, sizeof *a->n);
    a->arr[a->count] = p;
    a->n[a->count++] = n;
    a->total += n;
}

static void arrays_of(tfg_graph *g, array_list *a)
{
    memset(a, 0, sizeof *a);
    for (size_t i = 0; i < g->n_layers; i++) {
        tfg_layer *l = &g->layers[i];
        if (!has_weights(l))
            continue;
        arrays_add(a, l->w.value, l->w.n);
        arrays_add(a, l->b.value, l->b.n);
        if (l->kind == TFG_LAYER_BATCHNORM) {
            arrays_add(a, l->mean, l->b.n);
            arrays_add(a, l->var, l->b.n);
        }
    }
}

static void arrays_free(array_list *a)
{
    free(a->arr);
    free(a->n);
    memset(a, 0, sizeof *a);
}

static void arrays_save(const array_list *a, float *dst)
{
    for (size_t i = 0; i < a->count; i++) {
        memcpy(dst, a->arr[i], a->n[i] * sizeof *dst);
        dst += a->n[i];
    }
}

static void arrays_restore(const array_list *a, const float *src)
{
    for (size_t i = 0; i < a->count; i++) {
        memcpy(a->arr[i], src, a->n[i] * sizeof *src);
        src += a->n[i];
    }
}

/* ---- optimizers --------------------------------------------------------------------- */

typedef struct {
    const tfg_train_opts *o;
    uint64_t step; /* Adam's t, 1-based after the first step */
} optimizer;

/* Weight decay goes to weights (dense/conv kernels) only: shrinking biases or a
 * batchnorm's scale does not regularise, it only shifts the outputs. */
static void param_step(optimizer *op, tfg_param *p, bool decay, double c1, double c2)
{
    const tfg_train_opts *o = op->o;
    float wd = decay ? o->weight_decay : 0.0f;
    for (size_t i = 0; i < p->n; i++) {
        float g = p->grad[i] + wd * p->value[i];
        if (o->optim == TFG_OPTIM_SGD) {
            p->m[i] = o->momentum * p->m[i] + g;
            p->value[i] -= o->lr * p->m[i];
        } else {
            p->m[i] = o->beta1 * p->m[i] + (1.0f - o->beta1) * g;
            p->v[i] = o->beta2 * p->v[i] + (1.0f - o->beta2) * g * g;
            double mh = p->m[i] / c1, vh = p->v[i] / c2;
            p->value[i] -= (float)(o->lr * mh / (sqrt(vh) + o->eps));
        }
    }
}

static void optimizer_step(optimizer *op, tfg_graph *g)
{
    op->step++;
    /* Adam's bias corrections: the moments start at zero and need scaling early on. */
    double c1 = 1.0 - pow(op->o->beta1, (double)op->step);
    double c2 = 1.0 - pow(op->o->beta2, (double)op->step);
    for (size_t i = 0; i < g->n_layers; i++) {
        tfg_layer *l = &g->layers[i];
        if (!has_weights(l))
            continue;
        bool kernel = l->kind != TFG_LAYER_BATCHNORM;
        if (l->w.n)
            param_step(op, &l->w, kernel, c1, c2);
        if (l->b.n)
            param_step(op, &l->b, false, c1, c2);
    }
}

/* Fresh moments: a graph trained twice starts the second run like the first. */
static tfg_status reset_moments(tfg_graph *g, tfg_err *err)
{
    for (size_t i = 0; i < g->n_layers; i++) {
        tfg_layer *l = &g->layers[i];
        tfg_param *ps[2] = {&l->w, &l->b};
        for (int k = 0; k < 2; k++) {
            tfg_param *p = ps[k];
            if (p->n == 0)
                continue;
            if (!p->value || !p->grad || !p->m || !p->v)
                return tfg_err_set(err, TFG_EINTERNAL,
                                   "layers[%zu] (%s): parameter arrays are not allocated", i,
                                   l->name ? l->name : "?");
            memset(p->m, 0, p->n * sizeof *p->m);
            memset(p->v, 0, p->n * sizeof *p->v);
        }
    }
    return TFG_OK;
}

/* ---- losses ------------------------------------------------------------------------- */

/* How the loss meets the graph: cross-entropy fused with a final softmax differentiates
 * at the softmax's input, which is both cheaper and exact ((p - onehot) / batch). */
typedef struct {
    tfg_loss_kind kind;
    bool fused_softmax; /* last layer is softmax: outputs are probabilities */
    int grad_tensor;    /* where the loss gradient enters backward */
    size_t n_out;       /* values per sample at the output */
} loss_site;

static loss_site loss_site_of(const tfg_graph *g, tfg_loss_kind kind)
{
    loss_site s;
    const tfg_layer *last = &g->layers[g->n_layers - 1];
    s.kind = kind;
    s.fused_softmax = kind == TFG_LOSS_CROSS_ENTROPY && last->kind == TFG_LAYER_SOFTMAX;
    s.grad_tensor = s.fused_softmax ? last->in : last->out;
    s.n_out = tfg_shape_size(&g->tensors[last->out]);
    return s;
}

static size_t argmax(const float *v, size_t n) /* first max on ties */
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (v[i] > v[best])
            best = i;
    return best;
}

/* Cross-entropy of one sample; writes d loss / d (softmax input) into g (if non-NULL),
 * scaled by `scale` (1/batch). out holds probabilities (fused) or logits. */
static double ce_sample(const float *out, size_t n, int32_t y, bool probs, float *g,
                        double scale)
{
    double loss;
    if (probs) {
        loss = -log(fmax((double)out[y], PROB_FLOOR));
        if (g)
            for (size_t k = 0; k < n; k++)
                g[k] = (float)(scale * ((double)out[k] - (k == (size_t)y ? 1.0 : 0.0)));
        return loss;
    }
    /* log-sum-exp on logits: subtract the max so exp never overflows. */
    double mx = out[argmax(out, n)], sum = 0.0;
    for (size_t k = 0; k < n; k++)
        sum += exp((double)out[k] - mx);
    double lse = mx + log(sum);
    loss = lse - (double)out[y];
    if (g)
        for (size_t k = 0; k < n; k++) {
            double p = exp((double)out[k] - lse);
            g[k] = (float)(scale * (p - (k == (size_t)y ? 1.0 : 0.0)));
        }
    return loss;
}

typedef struct {
    double loss_sum; /* sum over samples of the per-sample loss */
    size_t correct, seen;
} tally;

/* Loss (and gradient into grad, if non-NULL) of a batch whose rows are idx[0..bn) of s.
 * MSE is the mean over samples and outputs, so the gradient is 2 (o - y) / (bn * n). */
static void batch_loss(const loss_site *ls, const float *out, const tfg_split *s,
                       const size_t *idx, size_t bn, float *grad, tally *t, uint32_t *cm)
{
    size_t n = ls->n_out;
    for (size_t r = 0; r < bn; r++) {
        const float *o = out + r * n;
        float *g = grad ? grad + r * n : NULL;
        size_t row = idx[r];
        if (ls->kind == TFG_LOSS_CROSS_ENTROPY) {
            int32_t y = s->y_class[row];
            t->loss_sum += ce_sample(o, n, y, ls->fused_softmax, g, 1.0 / (double)bn);
            size_t pred = argmax(o, n);
            t->correct += pred == (size_t)y;
            if (cm)
                cm[(size_t)y * n + pred]++;
        } else {
            double se = 0.0;
            for (size_t k = 0; k < n; k++) {
                double d = (double)o[k] - (double)s->y_value[row];
                se += d * d;
                if (g)
                    g[k] = (float)(2.0 * d / ((double)bn * (double)n));
            }
            t->loss_sum += se / (double)n;
        }
    }
    t->seen += bn;
}

static tfg_metrics tally_metrics(const tally *t, tfg_loss_kind kind)
{
    tfg_metrics m = {NAN, NAN};
    if (t->seen == 0)
        return m;
    m.loss = t->loss_sum / (double)t->seen;
    if (kind == TFG_LOSS_CROSS_ENTROPY)
        m.accuracy = (double)t->correct / (double)t->seen;
    return m;
}

/* ---- checks on graph and split ------------------------------------------------------ */

static tfg_status check_split(const tfg_graph *g, const tfg_split *s, tfg_loss_kind kind,
                              const char *what, tfg_err *err)
{
    if (g->n_layers == 0 || g->n_tensors == 0)
        return tfg_err_set(err, TFG_EINPUT, "the network has no layers");
    size_t in = tfg_shape_size(&g->tensors[0]);
    if (s->rows > 0 && s->features != in)
        return tfg_err_set(err, TFG_EINPUT,
                           "%s split: rows have %u features but the network's input takes "
                           "%zu",
                           what, s->features, in);
    loss_site ls = loss_site_of(g, kind);
    if (kind == TFG_LOSS_CROSS_ENTROPY) {
        if (s->label_kind != TFG_LABEL_CLASS)
            return tfg_err_set(err, TFG_EINPUT,
                               "%s split: cross-entropy needs class labels, the split has "
                               "none",
                               what);
        if (s->n_classes != ls.n_out)
            return tfg_err_set(err, TFG_EINPUT,
                               "%s split: %u classes but the network has %zu outputs", what,
                               s->n_classes, ls.n_out);
        for (uint32_t r = 0; r < s->rows; r++)
            if (s->y_class[r] < 0 || (uint32_t)s->y_class[r] >= s->n_classes)
                return tfg_err_set(err, TFG_EINPUT,
                                   "%s split: row %u: class %d is outside 0..%u", what, r,
                                   (int)s->y_class[r], s->n_classes - 1);
    } else {
        if (s->label_kind != TFG_LABEL_VALUE)
            return tfg_err_set(err, TFG_EINPUT,
                               "%s split: mean squared error needs target values, the "
                               "split has none",
                               what);
        if (ls.n_out != 1)
            return tfg_err_set(err, TFG_EINPUT,
                               "%s split: regression needs 1 output, the network has %zu",
                               what, ls.n_out);
    }
    return TFG_OK;
}

/* ---- evaluation --------------------------------------------------------------------- */

/* Evaluation with a net the caller made (batches of at most its max batch). */
static void eval_with(tfg_net *net, size_t max_batch, const tfg_graph *g, const tfg_split *s,
                      tfg_loss_kind kind, tfg_metrics *m, uint32_t *cm)
{
    loss_site ls = loss_site_of(g, kind);
    size_t *idx = tfg_xmalloc(max_batch * sizeof *idx);
    tally t = {0, 0, 0};
    for (size_t start = 0; start < s->rows; start += max_batch) {
        size_t bn = s->rows - start < max_batch ? s->rows - start : max_batch;
        for (size_t r = 0; r < bn; r++)
            idx[r] = start + r;
        const float *out =
            tfg_net_forward(net, s->x + start * (size_t)s->features, bn, false);
        batch_loss(&ls, out, s, idx, bn, NULL, &t, cm);
    }
    free(idx);
    *m = tally_metrics(&t, kind);
}

tfg_status tfg_evaluate(tfg_graph *g, const tfg_split *s, tfg_loss_kind loss, tfg_metrics *m,
                        uint32_t *confusion, tfg_err *err)
{
    m->loss = m->accuracy = NAN;
    tfg_status st = check_split(g, s, loss, "evaluation", err);
    if (st)
        return st;
    uint32_t *cm = loss == TFG_LOSS_CROSS_ENTROPY ? confusion : NULL;
    if (cm)
        memset(cm, 0, (size_t)s->n_classes * s->n_classes * sizeof *cm);
    if (s->rows == 0)
        return TFG_OK;
    tfg_net *net = tfg_net_new(g, EVAL_BATCH);
    eval_with(net, EVAL_BATCH, g, s, loss, m, cm);
    tfg_net_free(net);
    return TFG_OK;
}

void tfg_predict(tfg_graph *g, const tfg_split *s, size_t rows, float *out)
{
    size_t n_out = tfg_shape_size(&g->tensors[g->n_tensors - 1]);
    tfg_net *net = tfg_net_new(g, EVAL_BATCH);
    for (size_t start = 0; start < rows; start += EVAL_BATCH) {
        size_t bn = rows - start < EVAL_BATCH ? rows - start : EVAL_BATCH;
        const float *o = tfg_net_forward(net, s->x + start * (size_t)s->features, bn, false);
        memcpy(out + start * n_out, o, bn * n_out * sizeof *out);
    }
    tfg_net_free(net);
}

/* ---- the loop ----------------------------------------------------------------------- */

typedef struct {
    tfg_graph *g;
    const tfg_split *train, *val;
    const tfg_train_opts *o;
    loss_site ls;
    tfg_net *net, *eval_net;
    size_t *order;  /* row order of this epoch */
    float *xb;      /* gathered batch inputs */
    float *grad;    /* loss gradient at ls.grad_tensor */
    size_t grad_n;  /* values per sample at ls.grad_tensor */
    optimizer opt;
    array_list arrays;
    float *best;    /* snapshot of the best epoch's arrays */
} trainer;

static bool has_val(const tfg_split *val)
{
    return val && val->rows > 0;
}

static void trainer_init(trainer *t, tfg_graph *g, const tfg_split *train,
                         const tfg_split *val, const tfg_train_opts *o)
{
    memset(t, 0, sizeof *t);
    t->g = g;
    t->train = train;
    t->val = val;
    t->o = o;
    t->ls = loss_site_of(g, o->loss);
    size_t batch = o->batch < train->rows ? o->batch : train->rows;
    t->net = tfg_net_new(g, batch);
    if (has_val(val))
        t->eval_net = tfg_net_new(g, EVAL_BATCH);
    t->order = tfg_xmalloc(train->rows * sizeof *t->order);
    t->xb = tfg_xmalloc(batch * (size_t)train->features * sizeof *t->xb);
    t->grad_n = tfg_shape_size(&g->tensors[t->ls.grad_tensor]);
    t->grad = tfg_xmalloc(batch * t->grad_n * sizeof *t->grad);
    t->opt.o = o;
    arrays_of(g, &t->arrays);
    t->best = tfg_xmalloc((t->arrays.total ? t->arrays.total : 1) * sizeof *t->best);
}

static void trainer_free(trainer *t)
{
    tfg_net_free(t->net);
    tfg_net_free(t->eval_net);
    free(t->order);
    free(t->xb);
    free(t->grad);
    free(t->best);
    arrays_free(&t->arrays);
}

/* The order of the rows in epoch e depends on the seed and e only (not on the epochs
 * before), so a run resumed at epoch e sees the same batches. */
static void epoch_order(trainer *t, uint32_t epoch)
{
    tfg_rng r;
    tfg_rng_seed(&r, t->o->seed ^ (0x9E3779B97F4A7C15ull * (uint64_t)(epoch + 1)));
    for (size_t i = 0; i < t->train->rows; i++)
        t->order[i] = i;
    tfg_rng_shuffle(&r, t->order, t->train->rows);
}

static void progress_label(char *dst, size_t n, const trainer *t, uint32_t epoch,
                           const tally *tl, double samples_per_s)
{
    tfg_metrics m = tally_metrics(tl, t->o->loss);
    if (t->o->loss == TFG_LOSS_CROSS_ENTROPY)
        snprintf(dst, n, "train: epoch %u/%u loss %.4f acc %.1f%% %.0f samples/s", epoch + 1,
                 t->o->epochs, m.loss, 100.0 * m.accuracy, samples_per_s);
    else
        snprintf(dst, n, "train: epoch %u/%u loss %.4g %.0f samples/s", epoch + 1,
                 t->o->epochs, m.loss, samples_per_s);
}

static tfg_status diverged(uint32_t epoch, const char *what, tfg_err *err)
{
    return tfg_err_set(err, TFG_ECHECK,
                       "training diverged at epoch %u (%s); lower the learning rate "
                       "(training.lr)",
                       epoch + 1, what);
}

static bool arrays_finite(const array_list *a)
{
    for (size_t i = 0; i < a->count; i++)
        for (size_t k = 0; k < a->n[i]; k++)
            if (!isfinite(a->arr[i][k]))
                return false;
    return true;
}

/* One pass over the training rows. The returned metrics are the running average over
 * the epoch's batches (weights change during the epoch), which is what training costs
 * nothing extra to know; the validation metrics are measured after the epoch. */
static tfg_status run_epoch(trainer *t, uint32_t epoch, tfg_metrics *m, tfg_err *err)
{
    const tfg_split *s = t->train;
    size_t rows = s->rows, batch = t->o->batch < rows ? t->o->batch : rows;
    size_t n_batches = (rows + batch - 1) / batch, feat = s->features;
    tally tl = {0, 0, 0};
    char label[128];
    double t0 = tfg_now();
    epoch_order(t, epoch);
    for (size_t b = 0; b < n_batches; b++) {
        size_t start = b * batch, bn = rows - start < batch ? rows - start : batch;
        const size_t *idx = t->order + start;
        for (size_t r = 0; r < bn; r++)
            memcpy(t->xb + r * feat, s->x + idx[r] * feat, feat * sizeof *t->xb);
        const float *out = tfg_net_forward(t->net, t->xb, bn, true);
        double before = tl.loss_sum;
        batch_loss(&t->ls, out, s, idx, bn, t->grad, &tl, NULL);
        double bl = (tl.loss_sum - before) / (double)bn;
        if (!isfinite(bl))
            return diverged(epoch, isnan(bl) ? "loss nan" : "loss inf", err);
        tfg_net_backward(t->net, t->ls.grad_tensor, t->grad);
        optimizer_step(&t->opt, t->g);
        tfg_net_zero_grad(t->net);
        double el = tfg_now() - t0;
        progress_label(label, sizeof label, t, epoch, &tl,
                       el > 0 ? (double)(start + bn) / el : 0);
        tfg_progress_update(t->o->progress, label, b + 1, n_batches);
    }
    *m = tally_metrics(&tl, t->o->loss);
    /* A saturated softmax keeps the clamped loss finite while the weights run off to
     * infinity; catch that here rather than in the quantizer. */
    if (!arrays_finite(&t->arrays))
        return diverged(epoch, "weights not finite", err);
    return TFG_OK;
}

/* Better validation: a loss lower than the best by more than min_delta of it, and by
 * more than MIN_DELTA_FIRST of the first epoch's loss: on a separable set the loss
 * creeps towards zero by a steady fraction an epoch long after the answers stopped
 * changing (fruit: 0.04 at epoch 100, 3e-5 at 1000), and that is not learning. The
 * loss, not the accuracy: on a small validation split the accuracy moves in steps of
 * several points and sits still for many epochs while the model goes on improving, so
 * stopping on it ends training early; the loss says how sure the right answers are. */
#define MIN_DELTA_FIRST 1e-3
static bool better(const trainer *t, const tfg_metrics *cur, const tfg_metrics *best,
                   double first)
{
    double delta = fmax((double)t->o->min_delta * fabs(best->loss),
                        MIN_DELTA_FIRST * fabs(first));
    return cur->loss < best->loss - delta;
}

static tfg_status train_loop(trainer *t, tfg_train_history *h, size_t *samples,
                             tfg_err *err)
{
    const tfg_train_opts *o = t->o;
    tfg_metrics best = {INFINITY, -INFINITY};
    h->stop = has_val(t->val) ? TFG_STOP_BOUND : TFG_STOP_NO_VALIDATION;
    for (uint32_t e = 0; e < o->epochs; e++) {
        tfg_metrics tm, vm = {NAN, NAN};
        tfg_status st = run_epoch(t, e, &tm, err);
        if (st)
            return st;
        *samples += t->train->rows;
        if (has_val(t->val))
            eval_with(t->eval_net, EVAL_BATCH, t->g, t->val, o->loss, &vm, NULL);
        h->train[e] = tm;
        h->val[e] = vm;
        h->epochs_run = e + 1;
        if (!has_val(t->val)) {
            h->best_epoch = e + 1;
            continue;
        }
        if (h->best_epoch == 0 || better(t, &vm, &best, h->val[0].loss)) {
            best = vm;
            h->best_epoch = e + 1;
            arrays_save(&t->arrays, t->best);
        } else if (o->patience > 0 && e + 1 - h->best_epoch >= o->patience) {
            h->stop = TFG_STOP_PATIENCE;
            break;
        }
    }
    if (has_val(t->val))
        arrays_restore(&t->arrays, t->best);
    return TFG_OK;
}

/* The linear model: one dense layer (after any flatten), then softmax or nothing. */
static bool is_linear(const tfg_graph *g)
{
    size_t dense = 0;
    for (size_t i = 0; i < g->n_layers; i++) {
        tfg_layer_kind k = g->layers[i].kind;
        if (k == TFG_LAYER_DENSE)
            dense++;
        else if (k != TFG_LAYER_FLATTEN && k != TFG_LAYER_SOFTMAX)
            return false;
    }
    return dense == 1;
}

float tfg_train_lr(const tfg_graph *g, const tfg_train_opts *o)
{
    return o->lr_default && is_linear(g) ? TFG_TRAIN_LINEAR_LR : o->lr;
}

tfg_status tfg_train(tfg_graph *g, const tfg_split *train, const tfg_split *val,
                     const tfg_train_opts *given, tfg_train_history *h, tfg_err *err)
{
    memset(h, 0, sizeof *h);
    tfg_train_opts eff = *given;
    eff.lr = tfg_train_lr(g, given);
    const tfg_train_opts *o = &eff;
    tfg_status st = tfg_train_opts_check(o, err);
    if (!st) st = check_split(g, train, o->loss, "training", err);
    if (!st && has_val(val)) st = check_split(g, val, o->loss, "validation", err);
    if (!st && train->rows == 0)
        st = tfg_err_set(err, TFG_EINPUT, "the training split has no rows");
    if (!st) st = reset_moments(g, err);
    if (st)
        return st;
    double t0 = tfg_now();
    trainer t;
    trainer_init(&t, g, train, val, o);
    tfg_net_zero_grad(t.net);
    h->train = tfg_xcalloc(o->epochs, sizeof *h->train);
    h->val = tfg_xcalloc(o->epochs, sizeof *h->val);
    size_t samples = 0;
    st = train_loop(&t, h, &samples, err);
    trainer_free(&t);
    if (st) {
        tfg_train_history_free(h);
        return st;
    }
    h->seconds = tfg_now() - t0;
    h->samples_per_s = h->seconds > 0 ? (double)samples / h->seconds : 0.0;
    return TFG_OK;
}
