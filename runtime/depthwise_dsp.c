/* depthwise_dsp.c — 3x3 depthwise convolution with channel multiplier 1 for cores with the
 * Armv7E-M DSP extension; the same bytes as tfg_rt_depthwise_conv2d_s8 for every input
 * of a layer that passes tfg_rt_dsp_sums_ok.
 *
 * Four channels at a time: one word of input (four channels of one cell) and one word of
 * weights (the same four channels of one tap) are split by SXTB16 into even and odd
 * channels, and SMLABB / SMLATT add the four products to four accumulators. Each
 * accumulator starts at the folded sum bias - input_zero_point * sum(taps)
 * (tfg_rt_fold_bias), so a tap outside the input (padding) reads a word of four input
 * zero points. A pixel whose window lies inside the input reads its three rows through
 * three pointers with the taps at fixed offsets (the common case, unrolled); a border
 * pixel reads each tap through a pointer that is the padding row where the tap is
 * outside. Each channel's requantization constants (tfg_dsp.h) are made once per call
 * into the scratch. Any stride, no dilation. Output pixels in raster order, as the
 * reference, so the planner's in-place rule holds. */
#include "tfg_dsp.h"

size_t tfg_rt_depthwise_conv2d_3x3_s8_dsp_scratch_size(const tfg_rt_dims *in,
                                                       const tfg_rt_dims *filter)
{
    (void)in;
    return filter && filter->c > 0 ? (size_t)filter->c * sizeof(tfg_dsp_rq) : 0;
}

typedef struct {
    const tfg_dsp_rq *rq;      /* per channel */
    const int32_t *sums;
    int32_t zp, lo, hi, channels;
} dw_out;

static inline int8_t dw_result(const dw_out *g, int32_t c, int32_t acc)
{
    return tfg_dsp_rq_apply(acc, &g->rq[c], g->zp, g->lo, g->hi);
}

/* Four channels of one tap into the four accumulators. */
#define DW_TAP(xp, wp)                                                                     \
    do {                                                                                   \
        const uint32_t xv_ = tfg_dsp_load4(xp), wv_ = tfg_dsp_load4(wp);                  \
        const uint32_t xe_ = tfg_dsp_sxtb16(xv_), we_ = tfg_dsp_sxtb16(wv_);              \
        const uint32_t xo_ = tfg_dsp_sxtb16_ror8(xv_), wo_ = tfg_dsp_sxtb16_ror8(wv_);    \
        a0 = tfg_dsp_smlabb(xe_, we_, a0);                                                 \
        a2 = tfg_dsp_smlatt(xe_, we_, a2);                                                 \
        a1 = tfg_dsp_smlabb(xo_, wo_, a1);                                                 \
        a3 = tfg_dsp_smlatt(xo_, wo_, a3);                                                 \
    } while (0)

/* One output pixel whose window lies inside: x is its top-left cell, row the bytes from
 * one input row to the next. */
static void dw_inside(const int8_t *x, int32_t row, const int8_t *w, const dw_out *g,
                      int8_t *y)
{
    /* locals: a store through y may alias anything, and they must not be read again */
    const int32_t C = g->channels, C2 = 2 * C, zp = g->zp, lo = g->lo, hi = g->hi;
    const int32_t *const sums = g->sums;
    const tfg_dsp_rq *const crq = g->rq;
    int32_t c = 0;
    for (; c + 4 <= C; c += 4) {
        const int8_t *x0 = x + c, *x1 = x0 + row, *x2 = x1 + row, *w0 = w + c;
        int32_t a0 = sums[c], a1 = sums[c + 1], a2 = sums[c + 2], a3 = sums[c + 3];
        DW_TAP(x0, w0);
        DW_TAP(x0 + C, w0 + C);
        DW_TAP(x0 + C2, w0 + C2);
        w0 += 3 * C;
        DW_TAP(x1, w0);
        DW_TAP(x1 + C, w0 + C);
        DW_TAP(x1 + C2, w0 + C2);
        w0 += 3 * C;
        DW_TAP(x2, w0);
        DW_TAP(x2 + C, w0 + C);
        DW_TAP(x2 + C2, w0 + C2);
        y[c] = tfg_dsp_rq_apply(a0, &crq[c], zp, lo, hi);
        y[c + 1] = tfg_dsp_rq_apply(a1, &crq[c + 1], zp, lo, hi);
        y[c + 2] = tfg_dsp_rq_apply(a2, &crq[c + 2], zp, lo, hi);
        y[c + 3] = tfg_dsp_rq_apply(a3, &crq[c + 3], zp, lo, hi);
    }
    for (; c < C; c++) {
        int32_t a = g->sums[c], ky, kx;
        for (ky = 0; ky < 3; ky++)
            for (kx = 0; kx < 3; kx++)
                a = tfg_dsp_mac(a, x[ky * row + kx * C + c], w[(ky * 3 + kx) * C + c]);
        y[c] = dw_result(g, c, a);
    }
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
        for (t = 0; t < 9; t++)
            DW_TAP(tap[t] + c, wc + t * C);
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
    tfg_dsp_rq *crq;
    dw_out g;
    int32_t b, oy, ox, ky, kx, C, c;
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
    if (!scratch || !scratch->buf || ((uintptr_t)scratch->buf & 3u) != 0 ||
        scratch->size < tfg_rt_depthwise_conv2d_3x3_s8_dsp_scratch_size(in, filter))
        return TFG_RT_ESCRATCH;
    C = in->c;
    crq = (tfg_dsp_rq *)scratch->buf;
    for (c = 0; c < C; c++)
        tfg_dsp_rq_of(rq, c, &crq[c]);
    g.rq = crq;
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
                int8_t *y = output + tfg_rt_offset(out, b, oy, ox, 0);
                if (y0 >= 0 && y0 + 3 <= in->h && x0 >= 0 && x0 + 3 <= in->w) {
                    dw_inside(input + tfg_rt_offset(in, b, y0, x0, 0), in->w * C, weights,
                              &g, y);
                    continue;
                }
                for (ky = 0; ky < 3; ky++)
                    for (kx = 0; kx < 3; kx++) {
                        const int32_t yy = y0 + ky, xx = x0 + kx;
                        /* a padded tap reads pad from channel c on: it must not move */
                        tap[ky * 3 + kx] = yy < 0 || yy >= in->h || xx < 0 || xx >= in->w
                                               ? NULL
                                               : input + tfg_rt_offset(in, b, yy, xx, 0);
                    }
                for (ky = 0; ky < 9; ky++)
                    if (!tap[ky])
                        tap[ky] = pad;
                if (C <= 64) {
                    dw_pixel(tap, weights, &g, y);
                    continue;
                }
                /* more channels than pad holds: the border pixel one cell at a time */
                for (c = 0; c < C; c++) {
                    int32_t a = kernel_sums[c], t;
                    for (t = 0; t < 9; t++)
                        a = tfg_dsp_mac(a, tap[t] == pad ? p->input_zero_point : tap[t][c],
                                        weights[t * C + c]);
                    y[c] = dw_result(&g, c, a);
                }
            }
        }
    return TFG_RT_OK;
}
