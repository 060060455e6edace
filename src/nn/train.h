/* train.h — mini-batch training of a tfg_graph on the data stage's splits: losses,
 * optimizers, early stopping on the validation split, evaluation, and the trained
 * model on disk. Deterministic: the same graph, data, options and seed give the same
 * weights bit for bit on the same machine (one thread count). */
#ifndef TFG_NN_TRAIN_H
#define TFG_NN_TRAIN_H

#include <jansson.h>
#include <stdbool.h>

#include "core/error.h"
#include "core/progress.h"
#include "data/splitfile.h"
#include "nn/graph.h"

typedef enum { TFG_OPTIM_SGD, TFG_OPTIM_ADAM } tfg_optim_kind;
typedef enum { TFG_LOSS_CROSS_ENTROPY, TFG_LOSS_MSE } tfg_loss_kind;

typedef struct {
    uint32_t epochs;        /* > 0: the bound; training usually stops before (patience) */
    uint32_t batch;         /* > 0 */
    tfg_optim_kind optim;
    float lr;               /* finite, > 0 */
    bool lr_default;        /* lr is the spec's default, not a rate the user chose: the
                               linear model then trains at its own (tfg_train_lr) */
    float momentum;         /* SGD */
    float beta1, beta2, eps; /* Adam */
    float weight_decay;     /* L2, 0 for none */
    uint32_t patience;      /* stop after this many epochs without a lower val loss;
                               0: never */
    float min_delta;        /* a val loss lower than the best by less than this fraction of
                               it, or than 0.1 % of the first epoch's, is no improvement
                               (a separable set creeps down forever) */
    tfg_loss_kind loss;
    uint64_t seed;          /* shuffling each epoch; weight init is the caller's */
    tfg_progress *progress; /* may be NULL */
} tfg_train_opts;

/* Defaults: Adam lr 1e-3 (0.9, 0.999, 1e-7), batch 32, patience 20 epochs with a
 * min_delta of 0.1 %, a bound of TFG_TRAIN_EPOCHS_DEFAULT epochs, cross-entropy for
 * classification. The bound is large because a data set of a hundred rows makes four
 * optimizer steps an epoch: it needs hundreds of epochs to converge, and patience ends
 * a bigger data set's training long before the bound. */
#define TFG_TRAIN_EPOCHS_DEFAULT 1000u
#define TFG_TRAIN_PATIENCE_DEFAULT 20u
void tfg_train_opts_default(tfg_train_opts *o);
/* Checks every field; errors name the field ("training.lr: must be a finite number > 0"). */
tfg_status tfg_train_opts_check(const tfg_train_opts *o, tfg_err *err);

typedef struct {
    double loss, accuracy; /* accuracy: classification only, else NAN */
} tfg_metrics;

/* Why the epoch loop ended. */
typedef enum {
    TFG_STOP_PATIENCE,        /* `patience` epochs without a lower validation loss */
    TFG_STOP_BOUND,           /* `epochs` ran out while the validation loss still fell
                                 (within the last `patience` epochs, or patience is 0):
                                 the model may be short of converged */
    TFG_STOP_NO_VALIDATION    /* no validation rows: every epoch of the bound ran */
} tfg_train_stop;

/* "patience", "bound", "no_validation": report.json's stop.reason. */
const char *tfg_train_stop_name(tfg_train_stop s);

typedef struct {
    uint32_t epochs_run, best_epoch;     /* 1-based best epoch (lowest validation loss) */
    tfg_train_stop stop;
    tfg_metrics *train, *val;            /* per epoch, epochs_run entries */
    double samples_per_s;
    double seconds;
} tfg_train_history;

/* The learning rate training uses for g: o->lr, except for the linear model (one dense
 * layer, then softmax) when lr is the spec's default (o->lr_default): its loss is
 * convex and at 1e-3 still falling at the epoch bound on a small set (iris: 1,000
 * epochs of four steps), where TFG_TRAIN_LINEAR_LR converges by patience in a few
 * hundred. */
#define TFG_TRAIN_LINEAR_LR 1e-2f
float tfg_train_lr(const tfg_graph *g, const tfg_train_opts *o);

/* Trains g in place, at tfg_train_lr's rate, until the validation loss has not improved
 * for o->patience epochs or o->epochs have run; at the end g holds the weights of the
 * epoch with the lowest validation loss (or the last epoch's when val is empty). */
tfg_status tfg_train(tfg_graph *g, const tfg_split *train, const tfg_split *val,
                     const tfg_train_opts *o, tfg_train_history *h, tfg_err *err);
void tfg_train_history_free(tfg_train_history *h);

/* Loss and accuracy of g on s; confusion (n_classes^2, row = true class, column =
 * predicted) is filled when non-NULL and the split has classes. */
tfg_status tfg_evaluate(tfg_graph *g, const tfg_split *s, tfg_loss_kind loss, tfg_metrics *m,
                        uint32_t *confusion, tfg_err *err);

/* The float model's outputs for the first `rows` rows of s: rows times its output size
 * values, row after row (the softmax's probabilities, or the regression's values). */
void tfg_predict(tfg_graph *g, const tfg_split *s, size_t rows, float *out);

/* The trained model on disk: model.json (architecture, shapes, parameter count) and
 * weights.bin (magic "TFGWEIGH", version, count, then every parameter array as float32
 * little-endian in layer order; batchnorm adds mean and var). Atomic. */
tfg_status tfg_model_save(const tfg_graph *g, const char *json_path, const char *weights_path,
                          tfg_err *err);
tfg_status tfg_model_load(const char *json_path, const char *weights_path, tfg_graph *g,
                          tfg_err *err);

#endif
