/* ops.h — the data plan's ops, one function per op kind, each run on the execution
 * state: the column and row ops in ops.c, window in window.c, split and balance in
 * split.c. They sit side by side; exec.c dispatches to them (tfg_op_run) and each calls
 * only the state helpers below it (exec_state.h). Private to src/data.
 *
 * Every op has the same shape: index names the op in messages ("ops[3]"), the op checks
 * its arguments against the current tables, transforms every part and appends what it
 * did to x->did. */
#ifndef TFG_DATA_OPS_H
#define TFG_DATA_OPS_H

#include "data/plan_impl.h"

/* Runs one op by its kind (the dispatch, in exec.c). */
tfg_status tfg_op_run(tfg_exec *x, const tfg_plan_op *op, size_t index, tfg_err *err);

/* ops.c */
tfg_status tfg_op_select_columns(tfg_exec *x, const tfg_plan_op *op, size_t index,
                                 tfg_err *err);
tfg_status tfg_op_drop_columns(tfg_exec *x, const tfg_plan_op *op, size_t index,
                               tfg_err *err);
tfg_status tfg_op_drop_missing(tfg_exec *x, const tfg_plan_op *op, size_t index,
                               tfg_err *err);
tfg_status tfg_op_impute(tfg_exec *x, const tfg_plan_op *op, size_t index, tfg_err *err);
tfg_status tfg_op_drop_duplicates(tfg_exec *x, const tfg_plan_op *op, size_t index,
                                  tfg_err *err);
tfg_status tfg_op_outliers(tfg_exec *x, const tfg_plan_op *op, size_t index, tfg_err *err);
tfg_status tfg_op_scale(tfg_exec *x, const tfg_plan_op *op, size_t index, tfg_err *err);
tfg_status tfg_op_label_encode(tfg_exec *x, const tfg_plan_op *op, size_t index,
                               tfg_err *err);
tfg_status tfg_op_one_hot(tfg_exec *x, const tfg_plan_op *op, size_t index, tfg_err *err);
tfg_status tfg_op_shuffle(tfg_exec *x, const tfg_plan_op *op, size_t index, tfg_err *err);
/* window.c */
tfg_status tfg_op_window(tfg_exec *x, const tfg_plan_op *op, size_t index, tfg_err *err);
/* split.c */
tfg_status tfg_op_split(tfg_exec *x, const tfg_plan_op *op, size_t index, tfg_err *err);
tfg_status tfg_op_balance(tfg_exec *x, const tfg_plan_op *op, size_t index, tfg_err *err);

#endif
