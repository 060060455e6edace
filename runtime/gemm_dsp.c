/* gemm_dsp.c — fully connected and 2-D convolution for cores with the Armv7E-M DSP
 * extension (Cortex-M4, M7, M33), built on int8 matrix micro-kernels.
 *
 * Every kernel here gives the same bytes as its reference (fully_connected.c, conv.c)
 * for every input of a layer that passes tfg_rt_dsp_sums_ok; tests/device/dsp_cases.c
 * proves it on the host and on the emulated Cortex-M4. What makes them faster:
 *  - kernel sums: the code generator folds bias - input_zero_point * sum(weights) into
 *    one int32 per output channel (tfg_rt_fold_bias), so the inner loops multiply raw
 *    int8 values; sums wrap mod 2^32 exactly as the reference's do;
 *  - a word of four int8 holds two pairs for SMLAD after SXTB16 (bytes 0, 2) and SXTB16
 *    ror 8 (bytes 1, 3); multiplying the pairs of a weight word with the same pairs of an
 *    input word sums all four products, so neither operand is reordered in the word;
 *  - the convolutions take four output pixels at a time (register blocking: one output
 *    channel of four pixels per inner loop): the four pixels' inputs (their im2col
 *    windows, or the pixels themselves for 1x1) are widened once into the scratch as
 *    SMLAD pairs, and each weight word is widened once for the four (two SXTB16, two LDM
 *    of widened inputs, eight SMLAD for sixteen multiply-adds); the weight rows are
 *    padded to whole words at codegen time (tfg_rt_pad_weight_rows), so no tail loop;
 *  - fully connected (usually one batch row, where a weight is used once) takes four
 *    rows of one input vector (tfg_rt_interleave_weights at codegen time), each input
 *    word widened once for the four, the four rows' words read by two LDRD;
 *  - the requantization is tfg_dsp.h's short one (SMMULR), exact for bounded sums, with
 *    each channel's constants made once per call;
 *  - the inner loops are written with inline assembly on the device, as the compiler
 *    loads the words one at a time; elsewhere the same arithmetic in C.
 * Output pixels are written in raster order, a block only after all its windows are in
 * the scratch, so the memory planner's in-place lag (docs/planner.md) holds for these
 * kernels as for the reference. */
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

/* What the micro-kernels need besides their operands. */
typedef struct {
    const tfg_rt_requant *rq;
    const int32_t *sums;   /* per output channel: bias - input_zero_point * sum(weights) */
    int32_t zp, lo, hi;    /* output zero point and clamp */
} gemm_out;

/* ---- fully connected: four rows of one vector ----------------------------------------- */

/* y[n] for n < rows: sum over k < depth of w[n][k] * x[k], plus the folded sum, requantized.
 * The weights are in the order tfg_rt_interleave_weights writes: per group of four rows,
 * the four rows' words k..k+3 one after another, then the rows' last depth % 4 bytes;
 * the rows % 4 rows left over as they are. One pointer walks them, four words a step. */
static void gemm_vector(const int8_t *x, const int8_t *w, int32_t depth, int32_t rows,
                        const gemm_out *g, int8_t *y)
{
    const int32_t quads = depth >> 2, tail = depth & 3;
    const int8_t *const xend = x + (quads << 2);
    tfg_dsp_rq q;
    int32_t n = 0;
    for (; n + 4 <= rows; n += 4) {
        const int8_t *px = x;
        int32_t a0 = g->sums[n], a1 = g->sums[n + 1], a2 = g->sums[n + 2];
        int32_t a3 = g->sums[n + 3], k;
#if TFG_DSP_NATIVE
        if (px != xend && ((uintptr_t)w & 3u) == 0) {
            /* By hand, as the compiler loads the four weight words one by one: one LDR of
             * the input word and its two SXTB16, two LDRD of two weight words, eight
             * SXTB16 and eight SMLAD. */
            uint32_t xe, xo, w0, w1, t;
            __asm__("1:\n\t"
                    "ldr %[xo], [%[px]], #4\n\t"
                    "sxtb16 %[xe], %[xo]\n\t"
                    "sxtb16 %[xo], %[xo], ror #8\n\t"
                    "ldrd %[w0], %[w1], [%[w]], #8\n\t"
                    "sxtb16 %[t], %[w0]\n\t"
                    "smlad %[a0], %[t], %[xe], %[a0]\n\t"
                    "sxtb16 %[w0], %[w0], ror #8\n\t"
                    "smlad %[a0], %[w0], %[xo], %[a0]\n\t"
                    "sxtb16 %[t], %[w1]\n\t"
                    "smlad %[a1], %[t], %[xe], %[a1]\n\t"
                    "sxtb16 %[w1], %[w1], ror #8\n\t"
                    "smlad %[a1], %[w1], %[xo], %[a1]\n\t"
                    "ldrd %[w0], %[w1], [%[w]], #8\n\t"
                    "sxtb16 %[t], %[w0]\n\t"
                    "smlad %[a2], %[t], %[xe], %[a2]\n\t"
                    "sxtb16 %[w0], %[w0], ror #8\n\t"
                    "smlad %[a2], %[w0], %[xo], %[a2]\n\t"
                    "sxtb16 %[t], %[w1]\n\t"
                    "smlad %[a3], %[t], %[xe], %[a3]\n\t"
                    "sxtb16 %[w1], %[w1], ror #8\n\t"
                    "smlad %[a3], %[w1], %[xo], %[a3]\n\t"
                    "cmp %[px], %[xend]\n\t"
                    "bne 1b"
                    : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3),
                      [px] "+r"(px), [w] "+r"(w), [xe] "=&r"(xe), [xo] "=&r"(xo),
                      [w0] "=&r"(w0), [w1] "=&r"(w1), [t] "=&r"(t)
                    : [xend] "r"(xend)
                    : "cc", "memory");
        }
#endif
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
        tfg_dsp_rq_of(g->rq, n, &q);
        y[n] = tfg_dsp_rq_apply(a0, &q, g->zp, g->lo, g->hi);
        tfg_dsp_rq_of(g->rq, n + 1, &q);
        y[n + 1] = tfg_dsp_rq_apply(a1, &q, g->zp, g->lo, g->hi);
        tfg_dsp_rq_of(g->rq, n + 2, &q);
        y[n + 2] = tfg_dsp_rq_apply(a2, &q, g->zp, g->lo, g->hi);
        tfg_dsp_rq_of(g->rq, n + 3, &q);
        y[n + 3] = tfg_dsp_rq_apply(a3, &q, g->zp, g->lo, g->hi);
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
        tfg_dsp_rq_of(g->rq, n, &q);
        y[n] = tfg_dsp_rq_apply(a0, &q, g->zp, g->lo, g->hi);
    }
}

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

/* ---- convolution: one channel of four pixels a step ---------------------------------- */

/* The columns (pixels or windows) the convolution micro-kernel takes at once. */
#define MM_COLS 4

/* Widens the depth int8 of each of MM_COLS columns into SMLAD pairs: per word q of four
 * inputs, for each column in turn SXTB16 and SXTB16 ror 8 of its word; the last word
 * padded with zeros (their weights are 0 too). */
static void widen(const int8_t *const col[MM_COLS], int32_t depth, uint32_t *q)
{
    const int32_t quads = depth >> 2, tail = depth & 3;
    int32_t i, k;
    for (i = 0; i < quads; i++)
        for (k = 0; k < MM_COLS; k++) {
            const uint32_t v = tfg_dsp_load4(col[k] + 4 * i);
            *q++ = tfg_dsp_sxtb16(v);
            *q++ = tfg_dsp_sxtb16_ror8(v);
        }
    if (tail)
        for (k = 0; k < MM_COLS; k++) {
            int8_t t[4] = {0, 0, 0, 0};
            uint32_t v;
            memcpy(t, col[k] + 4 * quads, (size_t)tail);
            v = tfg_dsp_load4(t);
            *q++ = tfg_dsp_sxtb16(v);
            *q++ = tfg_dsp_sxtb16_ror8(v);
        }
}

/* What the convolution micro-kernel needs besides its operands: the folded sums and
 * each channel's requantization constants (made once per call into the scratch). */
typedef struct {
    const int32_t *sums;
    const tfg_dsp_rq *rq;
    int32_t zp, lo, hi;
} mm_out;

/* The outputs of rows channels for MM_COLS columns widened in q (quads words each): each
 * weight word is widened once (two SXTB16) for the four columns, eight SMLAD; weights as
 * tfg_rt_pad_weight_rows writes them. y[k] is column k's output pixel; only the first
 * n_cols are stored (the others repeat a column to fill the block). The clamp and zero
 * point are locals: a store through y may alias anything, they must not be reloaded. */
/* The four accumulators of one weight row over the widened columns p..end. */
static inline void mm_row4(const uint32_t *p, const uint32_t *end, const int8_t *w,
                           int32_t acc[MM_COLS])
{
#if TFG_DSP_NATIVE
    /* By hand, because the compiler loads the eight column words one by one: one LDR of
     * the weight word, its two SXTB16, two LDM of four column words, eight SMLAD. */
    register uint32_t x0 __asm__("r4"), x1 __asm__("r5"), x2 __asm__("r6");
    register uint32_t x3 __asm__("r8");
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    uint32_t we, wo;
    __asm__("1:\n\t"
            "ldr %[wo], [%[w]], #4\n\t"
            "sxtb16 %[we], %[wo]\n\t"
            "sxtb16 %[wo], %[wo], ror #8\n\t"
            "ldmia %[p]!, {%[x0], %[x1], %[x2], %[x3]}\n\t"
            "smlad %[a0], %[we], %[x0], %[a0]\n\t"
            "smlad %[a0], %[wo], %[x1], %[a0]\n\t"
            "smlad %[a1], %[we], %[x2], %[a1]\n\t"
            "smlad %[a1], %[wo], %[x3], %[a1]\n\t"
            "ldmia %[p]!, {%[x0], %[x1], %[x2], %[x3]}\n\t"
            "smlad %[a2], %[we], %[x0], %[a2]\n\t"
            "smlad %[a2], %[wo], %[x1], %[a2]\n\t"
            "smlad %[a3], %[we], %[x2], %[a3]\n\t"
            "smlad %[a3], %[wo], %[x3], %[a3]\n\t"
            "cmp %[p], %[end]\n\t"
            "bne 1b"
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [p] "+r"(p),
              [w] "+r"(w), [we] "=&r"(we), [wo] "=&r"(wo), [x0] "=&r"(x0), [x1] "=&r"(x1),
              [x2] "=&r"(x2), [x3] "=&r"(x3)
            : [end] "r"(end)
            : "cc", "memory");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
#else
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    while (p != end) {
        const uint32_t wv = tfg_dsp_load4(w);
        const uint32_t we = tfg_dsp_sxtb16(wv), wo = tfg_dsp_sxtb16_ror8(wv);
        a0 = tfg_dsp_smlad(we, p[0], a0);
        a0 = tfg_dsp_smlad(wo, p[1], a0);
        a1 = tfg_dsp_smlad(we, p[2], a1);
        a1 = tfg_dsp_smlad(wo, p[3], a1);
        a2 = tfg_dsp_smlad(we, p[4], a2);
        a2 = tfg_dsp_smlad(wo, p[5], a2);
        a3 = tfg_dsp_smlad(we, p[6], a3);
        a3 = tfg_dsp_smlad(wo, p[7], a3);
        p += 8;
        w += 4;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
#endif
}

/* The outputs of rows channels for MM_COLS columns widened in q (quads words each), at
 * y, y + ystride, ...: each weight word is widened once (two SXTB16) for the four columns
 * and used by eight SMLAD; weights as tfg_rt_pad_weight_rows writes them. The clamp and
 * zero point are locals: a store through y may alias anything, so they must not be
 * reloaded. */
/* Rows the micro-kernel sums before it requantizes them: the sums wait on the stack
 * (MM_CHUNK * MM_COLS int32), so neither loop keeps the other's values in registers. */
#define MM_CHUNK 16

static void mm_1x4(const uint32_t *q, int32_t quads, const int8_t *w, int32_t rows,
                   const mm_out *g, int8_t *y, int32_t ystride)
{
    const uint32_t *const end = q + 2 * MM_COLS * quads;
    const size_t wrow = (size_t)(4 * quads);
    int32_t acc[MM_CHUNK][MM_COLS];
    int32_t n0, n, k;
    for (n0 = 0; n0 < rows; n0 += MM_CHUNK) {
        const int32_t m = rows - n0 < MM_CHUNK ? rows - n0 : MM_CHUNK;
        for (n = 0; n < m; n++) {
            int32_t *a = acc[n];
            a[0] = a[1] = a[2] = a[3] = g->sums[n0 + n];
            mm_row4(q, end, w, a);
            w += wrow;
        }
        for (k = 0; k < MM_COLS; k++) {
            const int32_t zp = g->zp, lo = g->lo, hi = g->hi;
            const tfg_dsp_rq *r = g->rq + n0;
            int8_t *yk = y + (size_t)k * (size_t)ystride + n0;
            for (n = 0; n < m; n++)
                yk[n] = tfg_dsp_rq_apply(acc[n][k], &r[n], zp, lo, hi);
        }
    }
}

/* A block of n < MM_COLS columns: computed into sink (MM_COLS * rows bytes of scratch),
 * the first n columns copied to y. */
static void mm_short(const uint32_t *q, int32_t quads, const int8_t *w, int32_t rows,
                     const mm_out *g, int8_t *sink, int8_t *y, int32_t n)
{
    mm_1x4(q, quads, w, rows, g, sink, rows);
    memcpy(y, sink, (size_t)n * (size_t)rows);
}

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

/* The micro-kernels' constants; each channel's requantization into crq. */
static void conv_out(const tfg_rt_conv_params *p, const tfg_rt_requant *rq,
                     const int32_t *sums, int32_t channels, tfg_dsp_rq *crq, mm_out *g)
{
    int32_t c;
    for (c = 0; c < channels; c++)
        tfg_dsp_rq_of(rq, c, &crq[c]);
    g->rq = crq;
    g->sums = sums;
    g->zp = p->output_zero_point;
    g->lo = p->act_min;
    g->hi = p->act_max;
}

/* Bytes of the widened columns of depth inputs: 8 per input word and column. */
static size_t widened_bytes(int32_t depth)
{
    return 8u * MM_COLS * (size_t)((depth + 3) >> 2);
}

/* The scratch of a convolution: each channel's requantization constants, the widened
 * columns, (im2col) the MM_COLS windows, then the outputs of a short last block. */
static int scratch_ok(const tfg_rt_scratch *s, size_t need)
{
    return s && s->buf && s->size >= need && ((uintptr_t)s->buf & 3u) == 0;
}

size_t tfg_rt_conv2d_s8_dsp_scratch_size(const tfg_rt_dims *in, const tfg_rt_dims *filter)
{
    (void)in;
    if (!filter || filter->h <= 0 || filter->w <= 0 || filter->c <= 0)
        return 0;
    {
        const int32_t depth = filter->h * filter->w * filter->c;
        return (size_t)filter->n * sizeof(tfg_dsp_rq) + widened_bytes(depth) +
               MM_COLS * ((size_t)depth + (size_t)filter->n);
    }
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

/* The window of output pixel k (raster order over batch, rows, columns) into col. */
static void im2col_index(const tfg_rt_conv_params *p, const tfg_rt_dims *in,
                         const int8_t *input, const tfg_rt_dims *f, const tfg_rt_dims *out,
                         int32_t k, int8_t *col)
{
    const int32_t per_image = out->h * out->w, b = k / per_image, r = k % per_image;
    const int8_t *image = input + (size_t)b * (size_t)in->h * (size_t)in->w * (size_t)in->c;
    im2col_pixel(p, in, image, f, (r / out->w) * p->stride_h - p->pad_h,
                 (r % out->w) * p->stride_w - p->pad_w, col);
}

tfg_rt_status tfg_rt_conv2d_s8_dsp(const tfg_rt_conv_params *p, const tfg_rt_requant *rq,
                                   const tfg_rt_dims *in, const int8_t *input,
                                   const tfg_rt_dims *filter, const int8_t *weights,
                                   const int32_t *kernel_sums, const tfg_rt_dims *out,
                                   int8_t *output, const tfg_rt_scratch *scratch)
{
    const tfg_rt_status st = conv_dsp_check(p, rq, in, input, filter, weights, kernel_sums,
                                            out, output);
    int32_t depth, quads, pixels, k, j;
    uint32_t *wide;
    int8_t *cols;
    mm_out g;
    if (st != TFG_RT_OK)
        return st;
    if (!scratch_ok(scratch, tfg_rt_conv2d_s8_dsp_scratch_size(in, filter)))
        return TFG_RT_ESCRATCH;
    depth = filter->h * filter->w * filter->c;
    quads = (depth + 3) >> 2;
    conv_out(p, rq, kernel_sums, out->c, (tfg_dsp_rq *)scratch->buf, &g);
    wide = (uint32_t *)((tfg_dsp_rq *)scratch->buf + out->c);
    cols = (int8_t *)wide + widened_bytes(depth);
    pixels = out->n * out->h * out->w;
    for (k = 0; k < pixels; k += MM_COLS) {
        const int32_t n = pixels - k < MM_COLS ? pixels - k : MM_COLS;
        const int8_t *col[MM_COLS];
        int8_t *y = output + (size_t)k * (size_t)out->c;
        for (j = 0; j < MM_COLS; j++) {
            /* a short last block repeats its last window */
            if (j < n)
                im2col_index(p, in, input, filter, out, k + j, cols + (size_t)j * depth);
            col[j] = cols + (size_t)(j < n ? j : n - 1) * depth;
        }
        widen(col, depth, wide);
        if (n == MM_COLS)
            mm_1x4(wide, quads, weights, out->c, &g, y, out->c);
        else
            mm_short(wide, quads, weights, out->c, &g, cols + MM_COLS * (size_t)depth, y, n);
    }
    return TFG_RT_OK;
}

size_t tfg_rt_conv2d_1x1_s8_dsp_scratch_size(const tfg_rt_dims *in, const tfg_rt_dims *filter)
{
    return in && in->c > 0 && filter && filter->n > 0
               ? (size_t)filter->n * sizeof(tfg_dsp_rq) + widened_bytes(in->c) +
                     MM_COLS * (size_t)filter->n
               : 0;
}

tfg_rt_status tfg_rt_conv2d_1x1_s8_dsp(const tfg_rt_conv_params *p, const tfg_rt_requant *rq,
                                       const tfg_rt_dims *in, const int8_t *input,
                                       const tfg_rt_dims *filter, const int8_t *weights,
                                       const int32_t *kernel_sums, const tfg_rt_dims *out,
                                       int8_t *output, const tfg_rt_scratch *scratch)
{
    const tfg_rt_status st = conv_dsp_check(p, rq, in, input, filter, weights, kernel_sums,
                                            out, output);
    const int8_t *col[MM_COLS];
    int8_t *y = output, *sink;
    int32_t quads, b, oy, ox, n = 0, j;
    uint32_t *wide;
    mm_out g;
    if (st != TFG_RT_OK)
        return st;
    /* One input pixel per output pixel: no padding, and the strides must land inside. */
    if (filter->h != 1 || filter->w != 1 || p->pad_h != 0 || p->pad_w != 0 ||
        (out->h - 1) * p->stride_h >= in->h || (out->w - 1) * p->stride_w >= in->w)
        return TFG_RT_ESHAPE;
    if (!scratch_ok(scratch, tfg_rt_conv2d_1x1_s8_dsp_scratch_size(in, filter)))
        return TFG_RT_ESCRATCH;
    conv_out(p, rq, kernel_sums, out->c, (tfg_dsp_rq *)scratch->buf, &g);
    wide = (uint32_t *)((tfg_dsp_rq *)scratch->buf + out->c);
    sink = (int8_t *)wide + widened_bytes(in->c);
    quads = (in->c + 3) >> 2;
    /* pixels in raster order, MM_COLS at a time as they come; the outputs of a block are
     * consecutive pixels of the output */
    for (b = 0; b < out->n; b++)
        for (oy = 0; oy < out->h; oy++)
            for (ox = 0; ox < out->w; ox++) {
                col[n] = input + tfg_rt_offset(in, b, oy * p->stride_h, ox * p->stride_w, 0);
                if (++n < MM_COLS)
                    continue;
                widen(col, in->c, wide);
                mm_1x4(wide, quads, weights, out->c, &g, y, out->c);
                y += MM_COLS * out->c;
                n = 0;
            }
    if (n) { /* a short last block repeats its last pixel */
        for (j = n; j < MM_COLS; j++)
            col[j] = col[n - 1];
        widen(col, in->c, wide);
        mm_short(wide, quads, weights, out->c, &g, sink, y, n);
    }
    return TFG_RT_OK;
}
