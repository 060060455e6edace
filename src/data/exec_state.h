/* exec_state.h — the helpers every data op calls on the execution state (tfg_exec, in
 * plan_impl.h), implemented in exec_state.c. The ops (ops.h) and the executor (exec.c)
 * sit above them; nothing here calls an op. Private to src/data. */
#ifndef TFG_DATA_EXEC_STATE_H
#define TFG_DATA_EXEC_STATE_H

#include "data/plan_impl.h"

/* Releases the execution state (the tables of every part, names, steps). */
void tfg_exec_free(tfg_exec *x);
/* Appends to x->did (what the op did, for the log); marks truncation with "...". */
void tfg_exec_did(tfg_exec *x, const char *fmt, ...) TFG_PRINTF(2, 3);
/* "ops[i]" / "ops[i].key" / "ops[i].key[j]" into dst: j == SIZE_MAX leaves out the index,
 * key NULL leaves out the key. */
void tfg_exec_path(char *dst, size_t n, size_t index, const char *key, size_t j);
/* The seed an op uses: its own, else the spec's. */
uint64_t tfg_exec_seed(const tfg_exec *x, const tfg_plan_op *op);

/* Total rows over the parts. */
size_t tfg_exec_rows(const tfg_exec *x);
/* The original column a (possibly derived) column comes from. */
const char *tfg_exec_source(const tfg_exec *x, const char *name);
void tfg_exec_add_derived(tfg_exec *x, const char *derived, const char *source);
/* Is this column a feature (per the spec's feature list, or every non-label column)? */
bool tfg_exec_is_feature(const tfg_exec *x, const char *name);
bool tfg_exec_is_label(const tfg_exec *x, const char *name);

/* Per-row class keys of the label column of part p, for stratifying and balancing:
 * key[i] is a dense class number (ordered by level name / numeric value) or -1 when
 * the label is missing. *keys is new; *names (if not NULL) gets the class names, new,
 * NULL-terminated. The error names the op (ops[index]) when there is no label. */
tfg_status tfg_exec_class_keys(const tfg_exec *x, size_t p, const tfg_plan_op *op,
                               size_t index, int32_t **keys, size_t *n_classes, char ***names,
                               tfg_err *err);

#endif
