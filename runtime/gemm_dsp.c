/* gemm_dsp.c — fully connected and 2-D convolution for cores with the Armv7E-M DSP
 * extension (Cortex-M4, M7, M33), built on one int8 matrix-vector micro-kernel.
 *
 * Every kernel here gives the same bytes as its reference (fully_connected.c, conv.c)
 * for every input; tests/unit/test_runtime_dsp.c and the device test prove it. What makes
 * them faster:
 *  - kernel sums: the code generator folds bias - input_zero_point * sum(weights) into
 *    one int32 per output channel (tfg_rt_fold_bias), so the inner loop multiplies raw
 *    int8 values; sums wrap mod 2^32 exactly as the reference's do, so the order of the
 *    additions does not matter;
 *  - the micro-kernel computes four output channels of one pixel at once: each input
 *    word (four int8) is widened once by two SXTB16 and used by four rows of weights,
 *    each weight word by two SXTB16 and two SMLAD (four multiply-adds); the code
 *    generator reorders the weights (tfg_rt_interleave_weights) so that the four rows'
 *    words follow each other and one pointer reads them;
 *  - a 1x1 convolution with no padding is that micro-kernel on each input pixel in place;
 *    any other convolution first copies one pixel's window into the scratch buffer
 *    (im2col: cells outside the input hold the input zero point, whose products the
 *    folded sum cancels), then runs the micro-kernel on it;
 *  - the requantization is tfg_dsp_requant (tfg_dsp.h).
 * Output pixels are written in raster order, all channels of one before the next, and a
 * pixel's output only after its window is read, so the memory planner's in-place rule
 * (docs/planner.md) holds for these kernels as for the reference. */
#include "tfg_dsp.h"

int tfg_rt_dsp_requant_ok(const tfg_rt_requant *rq, int32_t channels)
{
    int32_t c;
    if (!tfg_rt_requant_ok(rq, channels))
        return 0;
    for (c = 0; c < rq->count; c++)
        if (rq->multiplier[c] < 0 || rq->shift[c] < -TFG_RT_DSP_MAX_RIGHT_SHIFT ||
            rq->shift[c] > 31)
            return 0;
    return 1;
}

/* What the micro-kernel needs besides its operands. */
typedef struct {
    const tfg_rt_requant *rq;
    const int32_t *sums;   /* per output channel: bias - input_zero_point * sum(weights) */
    int32_t zp, lo, hi;    /* output zero point and clamp */
} gemm_out;

static inline int8_t gemm_result(const gemm_out *g, int32_t n, int32_t acc)
{
    const int32_t i = g->rq->count == 1 ? 0 : n;
    return tfg_dsp_requant(acc, g->rq->multiplier[i], g->rq->shift[i], g->zp, g->lo, g->hi);
}

/* y[n] for n < rows: sum over k < depth of w[n][k] * x[k], plus the folded sum, requantized.
 * The weights are in the order tfg_rt_interleave_weights writes: per group of four rows,
 * the four rows' words k..k+3 one after another, then the rows' last depth % 4 bytes;
 * the rows % 4 rows left over as they are. One pointer walks them, four words a step. */
static void gemm_vector(const int8_t *x, const int8_t *w, int32_t depth, int32_t rows,
                        const gemm_out *g, int8_t *y)
{
    const int32_t quads = depth >> 2, tail = depth & 3;
    const int8_t *const xend = x + (quads << 2);
    int32_t n = 0;
    for (; n + 4 <= rows; n += 4) {
        const int8_t *px = x;
        int32_t a0 = g->sums[n], a1 = g->sums[n + 1], a2 = g->sums[n + 2];
        int32_t a3 = g->sums[n + 3], k;
        while (px != xend) {
            const uint32_t xv = tfg_dsp_load4(px);
            const uint32_t xe = tfg_dsp_sxtb16(xv), xo = tfg_dsp_sxtb16_ror8(xv);
            uint32_t wv = tfg_dsp_load4(w);
            a0 = tfg_dsp_smlad(tfg_dsp_sxtb16(wv), xe, a0);
            a0 = tfg_dsp_smlad(tfg_dsp_sxtb16_ror8(wv), xo, a0);
            wv = tfg_dsp_load4(w + 4);
            a1 = tfg_dsp_smlad(tfg_dsp_sxtb16(wv), xe, a1);
            a1 = tfg_dsp_smlad(tfg_dsp_sxtb16_ror8(wv), xo, a1);
            wv = tfg_dsp_load4(w + 8);
            a2 = tfg_dsp_smlad(tfg_dsp_sxtb16(wv), xe, a2);
            a2 = tfg_dsp_smlad(tfg_dsp_sxtb16_ror8(wv), xo, a2);
            wv = tfg_dsp_load4(w + 12);
            a3 = tfg_dsp_smlad(tfg_dsp_sxtb16(wv), xe, a3);
            a3 = tfg_dsp_smlad(tfg_dsp_sxtb16_ror8(wv), xo, a3);
            px += 4;
            w += 16;
        }
        for (k = 0; k < tail; k++) {
            a0 = tfg_dsp_mac(a0, w[k], xend[k]);
            a1 = tfg_dsp_mac(a1, w[tail + k], xend[k]);
            a2 = tfg_dsp_mac(a2, w[2 * tail + k], xend[k]);
            a3 = tfg_dsp_mac(a3, w[3 * tail + k], xend[k]);
        }
        w += 4 * tail;
        y[n] = gemm_result(g, n, a0);
        y[n + 1] = gemm_result(g, n + 1, a1);
        y[n + 2] = gemm_result(g, n + 2, a2);
        y[n + 3] = gemm_result(g, n + 3, a3);
    }
    for (; n < rows; n++) {
        const int8_t *px = x;
        int32_t a0 = g->sums[n], k;
        while (px != xend) {
            const uint32_t xv = tfg_dsp_load4(px), wv = tfg_dsp_load4(w);
            a0 = tfg_dsp_smlad(tfg_dsp_sxtb16(wv), tfg_dsp_sxtb16(xv), a0);
            a0 = tfg_dsp_smlad(tfg_dsp_sxtb16_ror8(wv), tfg_dsp_sxtb16_ror8(xv), a0);
            px += 4;
            w += 4;
        }
        for (k = 0; k < tail; k++)
            a0 = tfg_dsp_mac(a0, w[k], xend[k]);
        w += tail;
        y[n] = gemm_result(g, n, a0);
    }
}

/* ---- fully connected ------------------------------------------------------------------ */

size_t tfg_rt_fully_connected_s8_dsp_scratch_size(const tfg_rt_fc_dims *dims)
{
    (void)dims;
    return 0;
}

tfg_rt_status tfg_rt_fully_connected_s8_dsp(const tfg_rt_fc_params *p,
                                            const tfg_rt_requant *rq,
                                            const tfg_rt_fc_dims *dims, const int8_t *input,
                                            const int8_t *weights, const int32_t *kernel_sums,
                                            int8_t *output, const tfg_rt_scratch *scratch)
{
    gemm_out g;
    int32_t b;
    (void)scratch;
    if (!p || !dims || !input || !weights || !kernel_sums || !output)
        return TFG_RT_EPARAM;
    if (dims->batches <= 0 || dims->in_features <= 0 || dims->out_features <= 0)
        return TFG_RT_ESHAPE;
    /* The folded sums stand for a zero filter zero point. */
    if (p->filter_zero_point != 0 || !tfg_rt_dsp_requant_ok(rq, dims->out_features) ||
        !tfg_rt_act_ok(p->act_min, p->act_max))
        return TFG_RT_EPARAM;
    g.rq = rq;
    g.sums = kernel_sums;
    g.zp = p->output_zero_point;
    g.lo = p->act_min;
    g.hi = p->act_max;
    for (b = 0; b < dims->batches; b++)
        gemm_vector(input + b * dims->in_features, weights, dims->in_features,
                    dims->out_features, &g, output + b * dims->out_features);
    return TFG_RT_OK;
}

/* ---- convolution ---------------------------------------------------------------------- */

static tfg_rt_status conv_dsp_check(const tfg_rt_conv_params *p, const tfg_rt_requant *rq,
                                    const tfg_rt_dims *in, const int8_t *input,
                                    const tfg_rt_dims *f, const int8_t *weights,
                                    const int32_t *sums, const tfg_rt_dims *out,
                                    const int8_t *output)
{
    if (!p || !input || !weights || !sums || !output)
        return TFG_RT_EPARAM;
    if (!tfg_rt_dims_ok(in) || !tfg_rt_dims_ok(f) || !tfg_rt_dims_ok(out))
        return TFG_RT_ESHAPE;
    /* groups == 1 only: the im2col row is the whole window */
    if (in->n != out->n || out->c != f->n || in->c != f->c)
        return TFG_RT_ESHAPE;
    if (!tfg_rt_conv_params_ok(p, rq, out->c) || !tfg_rt_dsp_requant_ok(rq, out->c))
        return TFG_RT_EPARAM;
    return TFG_RT_OK;
}

static void conv_out(const tfg_rt_conv_params *p, const tfg_rt_requant *rq,
                     const int32_t *sums, gemm_out *g)
{
    g->rq = rq;
    g->sums = sums;
    g->zp = p->output_zero_point;
    g->lo = p->act_min;
    g->hi = p->act_max;
}

size_t tfg_rt_conv2d_s8_dsp_scratch_size(const tfg_rt_dims *in, const tfg_rt_dims *filter)
{
    (void)in;
    if (!filter || filter->h <= 0 || filter->w <= 0 || filter->c <= 0)
        return 0;
    return (size_t)filter->h * (size_t)filter->w * (size_t)filter->c;
}

/* Copies the window of the output pixel whose top-left input cell is (y0, x0) into col:
 * kh rows of kw cells of c bytes, the input zero point where the cell is outside. */
static void im2col_pixel(const tfg_rt_conv_params *p, const tfg_rt_dims *in,
                         const int8_t *image, const tfg_rt_dims *f, int32_t y0, int32_t x0,
                         int8_t *col)
{
    const size_t cb = (size_t)in->c;
    int32_t ky, kx;
    for (ky = 0; ky < f->h; ky++) {
        const int32_t y = y0 + p->dilation_h * ky;
        int8_t *row = col + (size_t)ky * (size_t)f->w * cb;
        if (y < 0 || y >= in->h) {
            memset(row, (int)(int8_t)p->input_zero_point, (size_t)f->w * cb);
            continue;
        }
        if (p->dilation_w == 1 && x0 >= 0 && x0 + f->w <= in->w) {
            memcpy(row, image + ((size_t)y * (size_t)in->w + (size_t)x0) * cb,
                   (size_t)f->w * cb);
            continue;
        }
        for (kx = 0; kx < f->w; kx++) {
            const int32_t x = x0 + p->dilation_w * kx;
            if (x < 0 || x >= in->w)
                memset(row + (size_t)kx * cb, (int)(int8_t)p->input_zero_point, cb);
            else
                memcpy(row + (size_t)kx * cb,
                       image + ((size_t)y * (size_t)in->w + (size_t)x) * cb, cb);
        }
    }
}

tfg_rt_status tfg_rt_conv2d_s8_dsp(const tfg_rt_conv_params *p, const tfg_rt_requant *rq,
                                   const tfg_rt_dims *in, const int8_t *input,
                                   const tfg_rt_dims *filter, const int8_t *weights,
                                   const int32_t *kernel_sums, const tfg_rt_dims *out,
                                   int8_t *output, const tfg_rt_scratch *scratch)
{
    const tfg_rt_status st = conv_dsp_check(p, rq, in, input, filter, weights, kernel_sums,
                                            out, output);
    const int32_t depth = filter->h * filter->w * filter->c;
    gemm_out g;
    int32_t b, oy, ox;
    if (st != TFG_RT_OK)
        return st;
    if (!scratch || !scratch->buf ||
        scratch->size < tfg_rt_conv2d_s8_dsp_scratch_size(in, filter))
        return TFG_RT_ESCRATCH;
    conv_out(p, rq, kernel_sums, &g);
    for (b = 0; b < out->n; b++) {
        const int8_t *image =
            input + (size_t)b * (size_t)in->h * (size_t)in->w * (size_t)in->c;
        for (oy = 0; oy < out->h; oy++)
            for (ox = 0; ox < out->w; ox++) {
                int8_t *col = (int8_t *)scratch->buf;
                im2col_pixel(p, in, image, filter, oy * p->stride_h - p->pad_h,
                             ox * p->stride_w - p->pad_w, col);
                gemm_vector(col, weights, depth, out->c, &g,
                            output + tfg_rt_offset(out, b, oy, ox, 0));
            }
    }
    return TFG_RT_OK;
}

size_t tfg_rt_conv2d_1x1_s8_dsp_scratch_size(const tfg_rt_dims *in, const tfg_rt_dims *filter)
{
    (void)in;
    (void)filter;
    return 0;
}

tfg_rt_status tfg_rt_conv2d_1x1_s8_dsp(const tfg_rt_conv_params *p, const tfg_rt_requant *rq,
                                       const tfg_rt_dims *in, const int8_t *input,
                                       const tfg_rt_dims *filter, const int8_t *weights,
                                       const int32_t *kernel_sums, const tfg_rt_dims *out,
                                       int8_t *output, const tfg_rt_scratch *scratch)
{
    const tfg_rt_status st = conv_dsp_check(p, rq, in, input, filter, weights, kernel_sums,
                                            out, output);
    gemm_out g;
    int32_t b, oy, ox;
    (void)scratch;
    if (st != TFG_RT_OK)
        return st;
    /* One input pixel per output pixel: no padding, and the strides must land inside. */
    if (filter->h != 1 || filter->w != 1 || p->pad_h != 0 || p->pad_w != 0 ||
        (out->h - 1) * p->stride_h >= in->h || (out->w - 1) * p->stride_w >= in->w)
        return TFG_RT_ESHAPE;
    conv_out(p, rq, kernel_sums, &g);
    for (b = 0; b < out->n; b++)
        for (oy = 0; oy < out->h; oy++)
            for (ox = 0; ox < out->w; ox++)
                gemm_vector(input + tfg_rt_offset(in, b, oy * p->stride_h,
                                                  ox * p->stride_w, 0),
                            weights, in->c, out->c, &g,
                            output + tfg_rt_offset(out, b, oy, ox, 0));
    return TFG_RT_OK;
}
