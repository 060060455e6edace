/* depthwise_dsp.c — 3x3 depthwise convolution with channel multiplier 1 for cores with the
 * Armv7E-M DSP extension; the same bytes as tfg_rt_depthwise_conv2d_s8 for every input.
 *
 * Four channels at a time: one word of input (four channels of one cell) and one word of
 * weights (the same four channels of one tap) are split by SXTB16 into even and odd
 * channels, and SMLABB / SMLATT add the four products to four accumulators. Each
 * accumulator starts at the folded sum bias - input_zero_point * sum(taps)
 * (tfg_rt_fold_bias), so a tap outside the input (padding) reads a word of four input
 * zero points, and the inner loop never tests a bound for the pixels whose window lies
 * inside. Any stride, no dilation. Output pixels in raster order, as the reference, so
 * the planner's in-place rule holds. */
#include "tfg_dsp.h"

size_t tfg_rt_depthwise_conv2d_3x3_s8_dsp_scratch_size(const tfg_rt_dims *in,
                                                       const tfg_rt_dims *filter)
{
    (void)in;
    (void)filter;
    return 0;
}

typedef struct {
    const tfg_rt_requant *rq;
    const int32_t *sums;
    int32_t zp, lo, hi, channels;
} dw_out;

static inline int8_t dw_result(const dw_out *g, int32_t c, int32_t acc)
{
    const int32_t i = g->rq->count == 1 ? 0 : c;
    return tfg_dsp_requant(acc, g->rq->multiplier[i], g->rq->shift[i], g->zp, g->lo, g->hi);
}

/* One output pixel: tap[t] points at the input cell of tap t (row-major 3x3), or at pad,
 * which holds the input zero point in every byte. */
static void dw_pixel(const int8_t *const tap[9], const int8_t *w, const dw_out *g, int8_t *y)
{
    const int32_t C = g->channels;
    int32_t c = 0, t;
    for (; c + 4 <= C; c += 4) {
        int32_t a0 = g->sums[c], a1 = g->sums[c + 1], a2 = g->sums[c + 2];
        int32_t a3 = g->sums[c + 3];
        const int8_t *wc = w + c;
        for (t = 0; t < 9; t++) {
            const uint32_t xv = tfg_dsp_load4(tap[t] + c), wv = tfg_dsp_load4(wc + t * C);
            const uint32_t xe = tfg_dsp_sxtb16(xv), we = tfg_dsp_sxtb16(wv);
            const uint32_t xo = tfg_dsp_sxtb16_ror8(xv), wo = tfg_dsp_sxtb16_ror8(wv);
            a0 = tfg_dsp_smlabb(xe, we, a0);
            a2 = tfg_dsp_smlatt(xe, we, a2);
            a1 = tfg_dsp_smlabb(xo, wo, a1);
            a3 = tfg_dsp_smlatt(xo, wo, a3);
        }
        y[c] = dw_result(g, c, a0);
        y[c + 1] = dw_result(g, c + 1, a1);
        y[c + 2] = dw_result(g, c + 2, a2);
        y[c + 3] = dw_result(g, c + 3, a3);
    }
    for (; c < C; c++) {
        int32_t a = g->sums[c];
        for (t = 0; t < 9; t++)
            a = tfg_dsp_mac(a, tap[t][c], w[t * C + c]);
        y[c] = dw_result(g, c, a);
    }
}

tfg_rt_status tfg_rt_depthwise_conv2d_3x3_s8_dsp(const tfg_rt_dw_params *dp,
                                                 const tfg_rt_requant *rq,
                                                 const tfg_rt_dims *in, const int8_t *input,
                                                 const tfg_rt_dims *filter,
                                                 const int8_t *weights,
                                                 const int32_t *kernel_sums,
                                                 const tfg_rt_dims *out, int8_t *output,
                                                 const tfg_rt_scratch *scratch)
{
    /* Input zero points for the taps in the padding, one per channel (up to 64). */
    int8_t pad[64];
    const int8_t *tap[9];
    const tfg_rt_conv_params *p;
    dw_out g;
    int32_t b, oy, ox, ky, kx, C;
    (void)scratch;
    if (!dp || !input || !weights || !kernel_sums || !output)
        return TFG_RT_EPARAM;
    p = &dp->conv;
    if (!tfg_rt_dims_ok(in) || !tfg_rt_dims_ok(filter) || !tfg_rt_dims_ok(out))
        return TFG_RT_ESHAPE;
    if (dp->depth_multiplier != 1 || p->dilation_h != 1 || p->dilation_w != 1)
        return TFG_RT_EPARAM;
    if (in->n != out->n || filter->n != 1 || filter->h != 3 || filter->w != 3 ||
        filter->c != out->c || out->c != in->c)
        return TFG_RT_ESHAPE;
    if (!tfg_rt_conv_params_ok(p, rq, out->c) || !tfg_rt_dsp_requant_ok(rq, out->c))
        return TFG_RT_EPARAM;
    C = in->c;
    g.rq = rq;
    g.sums = kernel_sums;
    g.zp = p->output_zero_point;
    g.lo = p->act_min;
    g.hi = p->act_max;
    g.channels = C;
    memset(pad, (int)(int8_t)p->input_zero_point, sizeof pad);
    for (b = 0; b < out->n; b++)
        for (oy = 0; oy < out->h; oy++) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            for (ox = 0; ox < out->w; ox++) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                for (ky = 0; ky < 3; ky++)
                    for (kx = 0; kx < 3; kx++) {
                        const int32_t y = y0 + ky, x = x0 + kx;
                        /* a padded tap reads pad from channel c on: it must not move */
                        tap[ky * 3 + kx] = y < 0 || y >= in->h || x < 0 || x >= in->w
                                               ? NULL
                                               : input + tfg_rt_offset(in, b, y, x, 0);
                    }
                for (ky = 0; ky < 9; ky++)
                    if (!tap[ky])
                        tap[ky] = pad;
                if (C <= 64 || (y0 >= 0 && y0 + 3 <= in->h && x0 >= 0 && x0 + 3 <= in->w)) {
                    dw_pixel(tap, weights, &g, output + tfg_rt_offset(out, b, oy, ox, 0));
                    continue;
                }
                /* more channels than pad holds: the border pixel one cell at a time */
                {
                    int32_t c, t;
                    for (c = 0; c < C; c++) {
                        int32_t a = kernel_sums[c];
                        for (t = 0; t < 9; t++)
                            a = tfg_dsp_mac(a, tap[t] == pad ? p->input_zero_point
                                                             : tap[t][c],
                                            weights[t * C + c]);
                        output[tfg_rt_offset(out, b, oy, ox, c)] = dw_result(&g, c, a);
                    }
                }
            }
        }
    return TFG_RT_OK;
}
