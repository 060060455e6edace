/* fold.c — host-side preparation for the optimized kernels (*_dsp.c): the kernel sums,
 * the weight orders of the matrix kernels, and the proof that a layer's accumulators
 * stay small enough for their short requantization (tfg_dsp.h).
 *
 * The reference kernels add bias[c] + sum_k w[c][k] * (x[k] - input_zero_point). The
 * optimized kernels start each accumulator at bias[c] - input_zero_point *
 * sum_k w[c][k] and add sum_k w[c][k] * x[k]: the same int32 mod 2^32, one subtraction
 * fewer per product. The code generator calls this once and emits the result as a
 * constant table. The arithmetic wraps (through unsigned) as the kernels' does. */
#include <string.h>

#include "tfg_rt_internal.h"

tfg_rt_status tfg_rt_fold_bias(const int8_t *weights, int32_t channels, int32_t depth,
                               int32_t channel_stride, int32_t depth_stride,
                               int32_t input_zero_point, const int32_t *bias, int32_t *out)
{
    int32_t c, k;
    if (!weights || !out || channels <= 0 || depth <= 0)
        return TFG_RT_EPARAM;
    for (c = 0; c < channels; c++) {
        uint32_t sum = 0;
        for (k = 0; k < depth; k++)
            sum += (uint32_t)(int32_t)weights[(size_t)c * (size_t)channel_stride +
                                              (size_t)k * (size_t)depth_stride];
        out[c] = (int32_t)((bias ? (uint32_t)bias[c] : 0u) - sum * (uint32_t)input_zero_point);
    }
    return TFG_RT_OK;
}

tfg_rt_status tfg_rt_interleave_weights(const int8_t *weights, int32_t rows, int32_t depth,
                                        int8_t *out)
{
    const int32_t quads = depth >> 2, tail = depth & 3;
    int32_t n, q, r, k;
    size_t o = 0;
    if (!weights || !out || rows <= 0 || depth <= 0)
        return TFG_RT_EPARAM;
    for (n = 0; n + 4 <= rows; n += 4) {
        for (q = 0; q < quads; q++)
            for (r = 0; r < 4; r++)
                for (k = 0; k < 4; k++)
                    out[o++] = weights[(size_t)(n + r) * (size_t)depth + (size_t)(4 * q + k)];
        for (r = 0; r < 4; r++)
            for (k = 0; k < tail; k++)
                out[o++] = weights[(size_t)(n + r) * (size_t)depth + (size_t)(4 * quads + k)];
    }
    for (; n < rows; n++)
        for (k = 0; k < depth; k++)
            out[o++] = weights[(size_t)n * (size_t)depth + (size_t)k];
    return TFG_RT_OK;
}

tfg_rt_status tfg_rt_pad_weight_rows(const int8_t *weights, int32_t rows, int32_t depth,
                                     int8_t *out)
{
    const size_t padded = (size_t)((depth + 3) & ~3);
    int32_t n;
    if (!weights || !out || rows <= 0 || depth <= 0)
        return TFG_RT_EPARAM;
    for (n = 0; n < rows; n++) {
        memcpy(out + (size_t)n * padded, weights + (size_t)n * (size_t)depth, (size_t)depth);
        memset(out + (size_t)n * padded + depth, 0, padded - (size_t)depth);
    }
    return TFG_RT_OK;
}

size_t tfg_rt_pad_weight_rows_size(int32_t rows, int32_t depth)
{
    return rows > 0 && depth > 0 ? (size_t)rows * (size_t)((depth + 3) & ~3) : 0;
}

int tfg_rt_dsp_sums_ok(const int8_t *weights, int32_t channels, int32_t depth,
                       int32_t channel_stride, int32_t depth_stride, const int32_t *sums,
                       const tfg_rt_requant *rq)
{
    int32_t c, k;
    if (!weights || !sums || channels <= 0 || depth <= 0 ||
        !tfg_rt_dsp_requant_ok(rq, channels))
        return 0;
    for (c = 0; c < channels; c++) {
        const int32_t shift = rq->shift[rq->count == 1 ? 0 : c];
        int64_t bound = sums[c] < 0 ? -(int64_t)sums[c] : (int64_t)sums[c];
        for (k = 0; k < depth; k++) {
            const int32_t w = weights[(size_t)c * (size_t)channel_stride +
                                      (size_t)k * (size_t)depth_stride];
            bound += 128 * (int64_t)(w < 0 ? -w : w);
        }
        if (bound >= (int64_t)1 << (30 - (shift > 0 ? shift : 0)))
            return 0;
    }
    return 1;
}
