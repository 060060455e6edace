/* depthwise_dsp.c — 3x3 depthwise convolution with channel multiplier 1 for cores with the
 * Armv7E-M DSP extension; the same bytes as tfg_rt_depthwise_conv2d_s8 for every input
 * of a layer that passes tfg_rt_dsp_sums_ok.
 *
 * Four channels at a time: one word of input (four channels of one cell) and one word of
 * weights (the same four channels of one tap) are split by SXTB16 into even and odd
 * channels, and SMLABB / SMLATT add the four products to four accumulators. Each
 * accumulator starts at the folded sum bias - input_zero_point * sum(taps)
 * (tfg_rt_fold_bias), so a tap in the padding reads the input zero point. Every pixel
 * reads its window through one pointer with the taps at fixed offsets, unrolled (inline
 * assembly on the device): a row of outputs whose windows all lie inside reads the input
 * itself, any other first copies its three input rows, padded with the input zero point,
 * into the scratch. Each channel's requantization constants (tfg_dsp.h) are made once
 * per call into the scratch. Any stride, no dilation. Output pixels in raster order,
 * each row's inputs read before its outputs are written, so the planner's in-place rule
 * of the reference holds. */
#include "tfg_dsp.h"

size_t tfg_rt_depthwise_conv2d_3x3_s8_dsp_scratch_size(const tfg_rt_dims *in,
                                                       const tfg_rt_dims *filter)
{
    /* each channel's requantization constants, then three padded input rows: a 3x3
     * window's TFLite padding adds at most 2 cells to a row, ((out_w - 1) * stride + 3 <=
     * in_w + 2); the kernel checks what its call needs */
    if (!in || !filter || filter->c <= 0 || in->w <= 0)
        return 0;
    return (size_t)filter->c * sizeof(tfg_dsp_rq) +
           3u * (size_t)(in->w + 2) * (size_t)filter->c;
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

/* The nine taps of four channels: px at the window's top-left cell, pw at the first
 * tap's weights, both at the group's first channel; row the bytes from one input row to
 * the next, C the channels. */
static inline void dw_taps9(const int8_t *px, const int8_t *pw, int32_t C, int32_t row,
                            int32_t acc[4])
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
#if TFG_DSP_NATIVE
    /* By hand, as the compiler spills the pointers: each tap two LDR (at the pointers or
     * C past them), four SXTB16, four multiply-adds; twelve registers in all. */
    const int32_t next = row - C; /* from a row's second cell to the next row's first */
    uint32_t xv, wv, xe, we;
#define DW_TAP_ASM(off)                                                                    \
    "ldr %[xv], [%[px]" off "]\n\t"                                                       \
    "ldr %[wv], [%[pw]" off "]\n\t"                                                       \
    "sxtb16 %[xe], %[xv]\n\t"                                                             \
    "sxtb16 %[we], %[wv]\n\t"                                                             \
    "sxtb16 %[xv], %[xv], ror #8\n\t"                                                     \
    "sxtb16 %[wv], %[wv], ror #8\n\t"                                                     \
    "smlabb %[a0], %[xe], %[we], %[a0]\n\t"                                               \
    "smlatt %[a2], %[xe], %[we], %[a2]\n\t"                                               \
    "smlabb %[a1], %[xv], %[wv], %[a1]\n\t"                                               \
    "smlatt %[a3], %[xv], %[wv], %[a3]\n\t"
#define DW_ROW_ASM                                                                         \
    DW_TAP_ASM("") DW_TAP_ASM(", %[C]")                                                    \
    "add %[px], %[px], %[C]\n\t"                                                          \
    "add %[pw], %[pw], %[C]\n\t" DW_TAP_ASM(", %[C]")
#define DW_NEXT_ROW_ASM                                                                    \
    "add %[px], %[px], %[next]\n\t"                                                       \
    "add %[pw], %[pw], %[C]\n\t"                                                          \
    "add %[pw], %[pw], %[C]\n\t"
    __asm__(DW_ROW_ASM DW_NEXT_ROW_ASM DW_ROW_ASM DW_NEXT_ROW_ASM DW_ROW_ASM
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [px] "+r"(px),
              [pw] "+r"(pw), [xv] "=&r"(xv), [wv] "=&r"(wv), [xe] "=&r"(xe), [we] "=&r"(we)
            : [C] "r"(C), [next] "r"(next)
            : "memory");
#undef DW_TAP_ASM
#undef DW_ROW_ASM
#undef DW_NEXT_ROW_ASM
#else
    int32_t ky;
    for (ky = 0; ky < 3; ky++) {
        DW_TAP(px, pw);
        DW_TAP(px + C, pw + C);
        DW_TAP(px + 2 * C, pw + 2 * C);
        px += row;
        pw += 3 * C;
    }
#endif
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* One output pixel whose window lies inside: x is its top-left cell, row the bytes from
 * one input row to the next. */
static void dw_inside(const int8_t *x, int32_t row, const int8_t *w, const dw_out *g,
                      int8_t *y)
{
    /* locals: a store through y may alias anything, and they must not be read again */
    const int32_t C = g->channels, zp = g->zp, lo = g->lo, hi = g->hi;
    const int32_t *const sums = g->sums;
    const tfg_dsp_rq *const crq = g->rq;
    int32_t c = 0;
    for (; c + 4 <= C; c += 4) {
        int32_t a[4];
        a[0] = sums[c];
        a[1] = sums[c + 1];
        a[2] = sums[c + 2];
        a[3] = sums[c + 3];
        dw_taps9(x + c, w + c, C, row, a);
        y[c] = tfg_dsp_rq_apply(a[0], &crq[c], zp, lo, hi);
        y[c + 1] = tfg_dsp_rq_apply(a[1], &crq[c + 1], zp, lo, hi);
        y[c + 2] = tfg_dsp_rq_apply(a[2], &crq[c + 2], zp, lo, hi);
        y[c + 3] = tfg_dsp_rq_apply(a[3], &crq[c + 3], zp, lo, hi);
    }
    for (; c < C; c++) {
        int32_t a = g->sums[c], ky, kx;
        for (ky = 0; ky < 3; ky++)
            for (kx = 0; kx < 3; kx++)
                a = tfg_dsp_mac(a, x[ky * row + kx * C + c], w[(ky * 3 + kx) * C + c]);
        y[c] = dw_result(g, c, a);
    }
}

/* The bytes of the three padded input rows a border row of outputs reads: each of the
 * padded width the row's windows cover, (out_w - 1) * stride + 3 cells. */
static size_t padded_rows_bytes(const tfg_rt_dims *out, int32_t stride_w, int32_t c)
{
    return 3u * (size_t)((out->w - 1) * stride_w + 3) * (size_t)c;
}

/* Copies input rows y0..y0+2 of image b into rows, each cell x0..x0+pw-1 of a row (pw
 * cells from x0 = -pad_w), the input zero point where a cell is outside. */
static void pad_rows(const tfg_rt_dims *in, const int8_t *input, int32_t b, int32_t y0,
                     int32_t x0, int32_t pw, int8_t zp, int8_t *rows)
{
    const size_t C = (size_t)in->c;
    int32_t ky;
    for (ky = 0; ky < 3; ky++) {
        int8_t *dst = rows + (size_t)ky * (size_t)pw * C;
        const int32_t y = y0 + ky;
        int32_t from = x0 < 0 ? -x0 : 0, to = in->w - x0 < pw ? in->w - x0 : pw;
        if (y < 0 || y >= in->h || from >= to) {
            memset(dst, zp, (size_t)pw * C);
            continue;
        }
        memset(dst, zp, (size_t)from * C);
        memcpy(dst + (size_t)from * C, input + tfg_rt_offset(in, b, y, x0 + from, 0),
               (size_t)(to - from) * C);
        memset(dst + (size_t)to * C, zp, (size_t)(pw - to) * C);
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
    const tfg_rt_conv_params *p;
    tfg_dsp_rq *crq;
    int8_t *rows;
    dw_out g;
    int32_t b, oy, ox, C, c, pw;
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
        scratch->size < (size_t)in->c * sizeof(tfg_dsp_rq) +
                            padded_rows_bytes(out, p->stride_w, in->c))
        return TFG_RT_ESCRATCH;
    C = in->c;
    crq = (tfg_dsp_rq *)scratch->buf;
    rows = (int8_t *)(crq + C);
    pw = (out->w - 1) * p->stride_w + 3;
    for (c = 0; c < C; c++)
        tfg_dsp_rq_of(rq, c, &crq[c]);
    g.rq = crq;
    g.sums = kernel_sums;
    g.zp = p->output_zero_point;
    g.lo = p->act_min;
    g.hi = p->act_max;
    g.channels = C;
    for (b = 0; b < out->n; b++)
        for (oy = 0; oy < out->h; oy++) {
            const int32_t y0 = oy * p->stride_h - p->pad_h, x0 = -p->pad_w;
            int8_t *y = output + tfg_rt_offset(out, b, oy, 0, 0);
            const int8_t *x;
            int32_t row;
            if (y0 >= 0 && y0 + 3 <= in->h && x0 >= 0 && x0 + pw <= in->w) {
                x = input + tfg_rt_offset(in, b, y0, x0, 0); /* every window inside */
                row = in->w * C;
            } else {
                /* a border row: its three input rows, padded, into the scratch (read
                 * before any of the row's outputs is written, as the reference does) */
                pad_rows(in, input, b, y0, x0, pw, (int8_t)p->input_zero_point, rows);
                x = rows;
                row = pw * C;
            }
            for (ox = 0; ox < out->w; ox++, y += C)
                dw_inside(x + (size_t)ox * (size_t)p->stride_w * (size_t)C, row, weights,
                          &g, y);
        }
    return TFG_RT_OK;
}
