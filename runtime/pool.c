/* pool.c — int8 average and max pooling as TFLite's reference integer AveragePool and
 * MaxPool. Input and output share quantization, so both work on raw int8 values; the
 * window is clipped to the input, and the average divides by the number of cells that
 * were inside (not by the window size). */
#include "tfg_rt_internal.h"

static tfg_rt_status pool_check(const tfg_rt_pool_params *p, const tfg_rt_dims *in,
                                const int8_t *input, const tfg_rt_dims *out,
                                const int8_t *output)
{
    if (!p || !input || !output)
        return TFG_RT_EPARAM;
    if (!tfg_rt_dims_ok(in) || !tfg_rt_dims_ok(out))
        return TFG_RT_ESHAPE;
    if (in->n != out->n || in->c != out->c)
        return TFG_RT_ESHAPE;
    if (p->filter_h <= 0 || p->filter_w <= 0 || p->stride_h <= 0 || p->stride_w <= 0 ||
        p->pad_h < 0 || p->pad_w < 0 || !tfg_rt_act_ok(p->act_min, p->act_max))
        return TFG_RT_EPARAM;
    return TFG_RT_OK;
}

/* The window of output pixel (oy, ox) clipped to the input: rows [*y0, *y1), columns
 * [*x0, *x1) in input coordinates. */
static void window(const tfg_rt_pool_params *p, const tfg_rt_dims *in, int32_t oy, int32_t ox,
                   int32_t *y0, int32_t *y1, int32_t *x0, int32_t *x1)
{
    const int32_t oy_in = oy * p->stride_h - p->pad_h;
    const int32_t ox_in = ox * p->stride_w - p->pad_w;
    *y0 = oy_in < 0 ? 0 : oy_in;
    *y1 = oy_in + p->filter_h < in->h ? oy_in + p->filter_h : in->h;
    *x0 = ox_in < 0 ? 0 : ox_in;
    *x1 = ox_in + p->filter_w < in->w ? ox_in + p->filter_w : in->w;
}

static tfg_rt_status avg_pixel(const tfg_rt_pool_params *p, const tfg_rt_dims *in,
                               const int8_t *input, const tfg_rt_dims *out, int8_t *output,
                               int32_t b, int32_t oy, int32_t ox)
{
    int32_t y0, y1, x0, x1, c, y, x;
    window(p, in, oy, ox, &y0, &y1, &x0, &x1);
    if (y1 <= y0 || x1 <= x0)
        return TFG_RT_EPARAM; /* TFLite fails the same way */
    for (c = 0; c < in->c; c++) {
        const int32_t count = (y1 - y0) * (x1 - x0);
        int32_t acc = 0;
        for (y = y0; y < y1; y++)
            for (x = x0; x < x1; x++)
                acc += input[tfg_rt_offset(in, b, y, x, c)];
        /* Rounds half away from zero (C division truncates). */
        acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
        output[tfg_rt_offset(out, b, oy, ox, c)] =
            (int8_t)tfg_rt_clamp(acc, p->act_min, p->act_max);
    }
    return TFG_RT_OK;
}

tfg_rt_status tfg_rt_avgpool_s8(const tfg_rt_pool_params *p, const tfg_rt_dims *in,
                                const int8_t *input, const tfg_rt_dims *out, int8_t *output)
{
    tfg_rt_status st = pool_check(p, in, input, out, output);
    int32_t b, oy, ox;
    for (b = 0; st == TFG_RT_OK && b < out->n; b++)
        for (oy = 0; st == TFG_RT_OK && oy < out->h; oy++)
            for (ox = 0; st == TFG_RT_OK && ox < out->w; ox++)
                st = avg_pixel(p, in, input, out, output, b, oy, ox);
    return st;
}

tfg_rt_status tfg_rt_maxpool_s8(const tfg_rt_pool_params *p, const tfg_rt_dims *in,
                                const int8_t *input, const tfg_rt_dims *out, int8_t *output)
{
    const tfg_rt_status st = pool_check(p, in, input, out, output);
    int32_t b, oy, ox, c, y, x, y0, y1, x0, x1;
    if (st != TFG_RT_OK)
        return st;
    for (b = 0; b < out->n; b++)
        for (oy = 0; oy < out->h; oy++)
            for (ox = 0; ox < out->w; ox++) {
                window(p, in, oy, ox, &y0, &y1, &x0, &x1);
                for (c = 0; c < in->c; c++) {
                    /* An empty window gives -128 before the clamp, as in TFLite. */
                    int32_t m = INT8_MIN;
                    for (y = y0; y < y1; y++)
                        for (x = x0; x < x1; x++) {
                            const int32_t v = input[tfg_rt_offset(in, b, y, x, c)];
                            m = v > m ? v : m;
                        }
                    output[tfg_rt_offset(out, b, oy, ox, c)] =
                        (int8_t)tfg_rt_clamp(m, p->act_min, p->act_max);
                }
            }
    return TFG_RT_OK;
}
