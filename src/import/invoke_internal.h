/* invoke_internal.h — the prepared operators of the interpreter (invoke.c), shared with
 * the code generator (src/codegen/emit.c).
 *
 * Prepare computes every kernel parameter once (multipliers, shifts, padding, clamps).
 * The generator must emit exactly those numbers as C constants, so instead of a second
 * copy of the prepare logic it builds a runner and reads its steps through this header.
 * Not a public interface: only import/ and codegen/ include it. */
#ifndef TFG_IMPORT_INVOKE_INTERNAL_H
#define TFG_IMPORT_INVOKE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "import/invoke.h"
#include "tfg_runtime.h"

/* One prepared operator: the kernel's parameters, ready to call. */
typedef struct {
    size_t index;              /* operators[index] */
    int32_t builtin;
    int32_t in[3];             /* tensor indexes (-1: none) */
    int32_t out;
    union {
        tfg_rt_conv_params conv;
        tfg_rt_dw_params dw;
        tfg_rt_fc_params fc;
        tfg_rt_pool_params pool;
        tfg_rt_add_params add;
        tfg_rt_softmax_params softmax;
        tfg_rt_logistic_params logistic;
        struct {
            float scale;
            int32_t zero_point;
        } q;
    } p;
    tfg_rt_requant rq;         /* points at multiplier/shift */
    int32_t *multiplier, *shift;
    int32_t *bias;             /* an aligned copy of the model's bias, or NULL */
    tfg_rt_dims din, dfilter, dout;
    tfg_rt_fc_dims fc;
    int32_t size, n1, n2, rows, depth;
} tfg_tflite_step;

/* The prepared steps in execution order (*n of them); owned by the runner. */
const tfg_tflite_step *tfg_tflite_runner_steps(const tfg_tflite_runner *r, size_t *n);

#endif
