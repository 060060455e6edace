/* padding.c — output size and leading padding of a convolution or pooling window for
 * TFLite's SAME and VALID padding (ComputeOutSize, ComputePaddingWithOffset). Integer
 * only; the code generator calls it when it lays out a layer. */
#include "tfg_runtime.h"

tfg_rt_status tfg_rt_compute_padding(tfg_rt_padding padding, int32_t in_size, int32_t filter_size,
                                     int32_t stride, int32_t dilation, int32_t *out_size,
                                     int32_t *pad)
{
    int64_t eff, out, total;
    if (!out_size || !pad || in_size <= 0 || filter_size <= 0 || stride <= 0 ||
        dilation <= 0)
        return TFG_RT_EPARAM;
    eff = (int64_t)(filter_size - 1) * dilation + 1; /* the dilated window */
    if (padding == TFG_RT_PAD_SAME)
        out = ((int64_t)in_size + stride - 1) / stride;
    else if (padding == TFG_RT_PAD_VALID)
        out = ((int64_t)in_size + stride - eff) / stride;
    else
        return TFG_RT_EPARAM;
    if (out <= 0)
        return TFG_RT_ESHAPE; /* VALID window larger than the input */
    total = (out - 1) * stride + eff - in_size;
    total = total > 0 ? total : 0;
    *out_size = (int32_t)out;
    *pad = (int32_t)(total / 2); /* the odd cell, if any, is padded at the end */
    return TFG_RT_OK;
}
