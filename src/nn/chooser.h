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

typedef struct {
    bool classification;
    tfg_shape input;
    uint32_t n_outputs;       /* classes, or 1 for regression */
    uint64_t flash_bytes;     /* budget for int8 weights + biases + code */
    uint64_t ram_bytes;       /* budget for activations */
} tfg_arch_need;

/* Estimated flash (int8 weights, int32 biases, a fixed runtime allowance) and RAM (peak
 * int8 activations + a fixed allowance) of g on a device. */
uint64_t tfg_graph_flash_estimate(const tfg_graph *g);
uint64_t tfg_graph_ram_estimate(const tfg_graph *g);

/* TFG_ECHECK when g does not fit: "arch.json: the network needs 1.2 MB of flash, the
 * budget is 256 KB; the largest layer is layers[3] (dense, 1.1 MB)". */
tfg_status tfg_graph_check_budget(const tfg_graph *g, const tfg_arch_need *need,
                                  const char *file, tfg_err *err);

/* Candidate architectures (JSON array, smallest first) that fit the budget: MLPs for
 * flat inputs (the first for 3 inputs and 3 classes is 3 -> 8 -> 5 -> 3), small CNNs
 * for images. Empty when nothing fits. */
json_t *tfg_arch_candidates(const tfg_arch_need *need);

/* Trains candidates in order and keeps the smallest that reaches target_accuracy on the
 * validation split (its Wilson lower bound at one standard error does, so one lucky
 * validation sample does not count), stopping early when two bigger networks in a row
 * are not better than the best by at least 0.5 points. *g receives the chosen trained
 * graph, *h its history; `log` (if non-NULL) receives one JSON object per candidate
 * tried (arch, params, val accuracy, chosen). */
tfg_status tfg_arch_choose(const tfg_arch_need *need, const tfg_split *train,
                           const tfg_split *val, const tfg_train_opts *o,
                           double target_accuracy, tfg_graph *g, tfg_train_history *h,
                           json_t **log, tfg_err *err);

#endif
