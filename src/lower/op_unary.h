/* op_unary.h — what SOFTMAX, LOGISTIC and TANH share (op_unary.c); lower/ only. */
#ifndef TFG_LOWER_OP_UNARY_H
#define TFG_LOWER_OP_UNARY_H

#include "lower/op.h"

/* int8 in and out, equal element counts, per-tensor input quantization; sets s->size. */
tfg_status tfg_lower_prep_unary_int8(const tfg_lower_prep *c, float *in_s, int32_t *in_zp);
/* The output quantization the op requires (within 0.1% of the scale). */
tfg_status tfg_lower_need_fixed_output(const tfg_lower_prep *c, float want_scale,
                                       int32_t want_zp);

#endif
