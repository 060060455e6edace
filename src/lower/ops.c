/* ops.c — the op table: which file lowers which builtin op (op.h). A new op is a new
 * op_<name>.c with its tfg_lower_op, one line here, and its name in import/tflite.c's
 * supported set. */
#include "lower/op.h"

extern const tfg_lower_op tfg_lower_op_conv2d, tfg_lower_op_depthwise_conv2d,
    tfg_lower_op_fully_connected, tfg_lower_op_avgpool, tfg_lower_op_maxpool,
    tfg_lower_op_add, tfg_lower_op_softmax, tfg_lower_op_logistic, tfg_lower_op_tanh,
    tfg_lower_op_quantize, tfg_lower_op_dequantize, tfg_lower_op_reshape;

static const tfg_lower_op *const table[] = {
    &tfg_lower_op_conv2d,     &tfg_lower_op_depthwise_conv2d, &tfg_lower_op_fully_connected,
    &tfg_lower_op_avgpool,    &tfg_lower_op_maxpool,          &tfg_lower_op_add,
    &tfg_lower_op_softmax,    &tfg_lower_op_logistic,         &tfg_lower_op_tanh,
    &tfg_lower_op_quantize,   &tfg_lower_op_dequantize,       &tfg_lower_op_reshape,
};

const tfg_lower_op *tfg_lower_op_of(int32_t builtin)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i]->builtin == builtin)
            return table[i];
    return NULL;
}
