/* chooser.h — the builtin architecture chooser: candidate networks for a task, an input
 * shape and a board's budget, smallest first, and the search that grows the network
 * only while the validation accuracy asks for it. Also the budget check that names the
 * layer a board cannot hold. */
#ifndef TFG_NN_CHOOSER_H
#define TFG_NN_CHOOSER_H

#include <jansson.h>

#include "core/error.h"
#include "data/splitfile.h"
#include "nn/graph.h"
#include "nn/train.h"
#include "spec/boards.h"
#include "spec/fit.h"

typedef struct {
    bool classification;
    tfg_shape input;
    uint32_t n_outputs;       /* classes, or 1 for regression */
    uint64_t flash_bytes;     /* budget for the whole firmware's flash (0: no limit) */
    uint64_t ram_bytes;       /* budget for the whole firmware's RAM (0: no limit) */
    tfg_fit_arch arch;        /* how the board spends memory (spec/fit.h); 0: Cortex-M */
    uint64_t class_name_bytes; /* the class names the application prints, each with
                                  its NUL (0: none or unknown) */
} tfg_arch_need;

/* need's arch and class_name_bytes for board b and the data's class names (a JSON
 * array of strings, or NULL). */
void tfg_arch_need_board(tfg_arch_need *need, const tfg_board *b, const json_t *classes);

/* The firmware's parts (spec/fit.h) for g, estimated before quantization: int8 weights,
 * int32 bias, multiplier and shift per output channel and each op's parameters (as the
 * code generator counts them); peak int8 activations; the input and output; and the
 * allowance for the program around the model. need may be NULL (a Cortex-M, no names). */
void tfg_graph_fit_parts(const tfg_graph *g, const tfg_arch_need *need, tfg_fit_parts *p);
/* The whole firmware's flash and RAM by spec/fit.h's rule, from those parts. */
uint64_t tfg_graph_flash_estimate(const tfg_graph *g, const tfg_arch_need *need);
uint64_t tfg_graph_ram_estimate(const tfg_graph *g, const tfg_arch_need *need);

/* TFG_ECHECK when the firmware around g would not fit need's budget by spec/fit.h's rule:
 * "arch.json: the network needs 1.2 MB of flash, the budget is 256 KB; the largest layer
 * is layers[3] (dense, 1.1 MB); by the firmware rule: 1,234,567 bytes = weights ... +
 * code ...". */
tfg_status tfg_graph_check_budget(const tfg_graph *g, const tfg_arch_need *need,
                                  const char *file, tfg_err *err);

/* Candidate architectures (JSON array, smallest first) that fit the budget: for flat
 * inputs the linear model (dense + softmax: multinomial logistic regression, 3 -> 3 for 3
 * inputs and 3 classes) and MLPs with one or two hidden layers no narrower than the
 * class count (3 -> 8 -> 3, 3 -> 8 -> 5 -> 3, ...), small CNNs for images. Empty when
 * nothing fits. */
json_t *tfg_arch_candidates(const tfg_arch_need *need);

/* Is candidate c worth its size over the smaller best (both measured on the validation
 * split of val_rows rows)? Classification: at least 0.5 points and two rows more right;
 * regression: a validation loss at least 1 % lower. */
bool tfg_arch_worth_growing(bool classification, const tfg_metrics *c,
                            const tfg_metrics *best, uint32_t val_rows);

/* Trains candidates in order and keeps the smallest that is as good as the bigger ones
 * tried, stopping when two bigger networks in a row are not worth their size, or, when
 * target_accuracy is a number (NAN: no target), at the first that reaches it on the
 * validation split (its Wilson lower bound at one standard error does, so one lucky
 * validation sample does not count). A bigger network is worth it only when it is right
 * on at least 0.5 points and two rows more of the validation split than the best so far
 * (one row is noise); one that reaches the target by less than that leaves the smaller
 * best chosen, and the search stops. *g receives the chosen trained graph, *h its
 * history; `log` (if non-NULL) receives one JSON object per candidate tried (arch,
 * params, val accuracy, chosen). */
tfg_status tfg_arch_choose(const tfg_arch_need *need, const tfg_split *train,
                           const tfg_split *val, const tfg_train_opts *o,
                           double target_accuracy, tfg_graph *g, tfg_train_history *h,
                           json_t **log, tfg_err *err);

#endif
