/* test_runtime_kernels.c — the int8 layer kernels of runtime/: fully connected, conv,
 * depthwise conv, average/max pooling, add, reshape.
 *
 * Each kernel has hand-worked cases (numbers worked out in the comments), error cases,
 * and a randomized comparison against a slow implementation written here. The slow
 * convolution pads the input explicitly with the input zero point and accumulates in
 * int64; the slow depthwise conv expands its weights into a full convolution whose
 * other channels are zero, so the two kernels check each other too. All slow versions
 * end with the same tfg_rt_requantize, whose own tests are in test_runtime_requant.c. */
#include "../check.h"
#include "tfg_runtime.h"

#include <stdint.h>

static uint64_t rng_state = 0x7f4a7c15c0ffeeULL;
static uint64_t rnd64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static int32_t rnd_in(int32_t lo, int32_t hi)
{
    return lo + (int32_t)(rnd64() % (uint64_t)(hi - lo + 1));
}
static int8_t rnd_s8(void) { return (int8_t)rnd_in(-128, 127); }
static void fill_s8(int8_t *p, int32_t n)
{
    for (int32_t i = 0; i < n; i++)
        p[i] = rnd_s8();
}

static int32_t clamp32(int64_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : v > hi ? hi : (int32_t)v;
}
static int32_t volume(const tfg_rt_dims *d) { return d->n * d->h * d->w * d->c; }

/* ---- fully connected ---------------------------------------------------------------- */

static void test_fc_hand(void)
{
    const int8_t x[3] = {1, 2, 3};
    const int8_t w[6] = {1, 0, -1, 2, 2, 2};
    const int32_t bias[2] = {10, -3};
    const int32_t m_half = 1 << 30, s_zero = 0;
    tfg_rt_fc_params p = {.input_zero_point = -1, .output_zero_point = 5, .act_min = -128,
                       .act_max = 127};
    tfg_rt_fc_dims d = {1, 3, 2};
    tfg_rt_requant rq = {&m_half, &s_zero, 1};
    int8_t y[2];
    /* x - zp = [2, 3, 4]; acc = [2 - 4 + 10, 18 - 3] = [8, 15]; * 0.5 = [4, 7.5 -> 8]. */
    CHECK_INT(tfg_rt_fully_connected_s8(&p, &rq, &d, x, w, bias, y, NULL), TFG_RT_OK);
    CHECK_INT(y[0], 9);
    CHECK_INT(y[1], 13);
    p.act_max = 10; /* a fused clamp */
    tfg_rt_fully_connected_s8(&p, &rq, &d, x, w, bias, y, NULL);
    CHECK_INT(y[1], 10);
    p.act_max = 127;
    /* Per channel: channel 0 * 1.0, channel 1 * 0.25 (3.75 -> 4). */
    const int32_t pm[2] = {1 << 30, 1 << 30}, ps[2] = {1, -1};
    tfg_rt_requant pc = {pm, ps, 2};
    CHECK_INT(tfg_rt_fully_connected_s8(&p, &pc, &d, x, w, bias, y, NULL), TFG_RT_OK);
    CHECK_INT(y[0], 13);
    CHECK_INT(y[1], 9);
    /* No bias, a filter zero point of 1 (per tensor): w - 1 = [0,-1,-2 | 1,1,1]. */
    p.filter_zero_point = 1;
    CHECK_INT(tfg_rt_fully_connected_s8(&p, &rq, &d, x, w, NULL, y, NULL), TFG_RT_OK);
    CHECK_INT(y[0], 5 + tfg_rt_requantize(-3 - 8, 1 << 30, 0)); /* -11 * 0.5 = -5.5 -> -5 */
    CHECK_INT(y[0], 0);
    CHECK_INT(y[1], 10);
    /* ...which the per-channel kernel does not have. */
    CHECK_INT(tfg_rt_fully_connected_s8(&p, &pc, &d, x, w, NULL, y, NULL), TFG_RT_EPARAM);
    p.filter_zero_point = 0;
    /* Saturation at both ends. */
    const int8_t big[3] = {127, 127, 127}, wbig[6] = {127, 127, 127, -128, -128, -128};
    const int32_t m_one = 1 << 30, s_one = 1;
    tfg_rt_requant one = {&m_one, &s_one, 1};
    tfg_rt_fully_connected_s8(&p, &one, &d, big, wbig, NULL, y, NULL);
    CHECK_INT(y[0], 127);
    CHECK_INT(y[1], -128);
    /* Wrong wiring is refused. */
    tfg_rt_requant three = {pm, ps, 3};
    CHECK_INT(tfg_rt_fully_connected_s8(&p, &three, &d, x, w, bias, y, NULL), TFG_RT_EPARAM);
    d.in_features = 0;
    CHECK_INT(tfg_rt_fully_connected_s8(&p, &rq, &d, x, w, bias, y, NULL), TFG_RT_ESHAPE);
    d.in_features = 3;
    p.act_min = 20, p.act_max = 10;
    CHECK_INT(tfg_rt_fully_connected_s8(&p, &rq, &d, x, w, bias, y, NULL), TFG_RT_EPARAM);
    CHECK_INT(tfg_rt_fully_connected_s8_scratch_size(&d), 0);
}

static void slow_fc(const tfg_rt_fc_params *p, const tfg_rt_requant *rq, const tfg_rt_fc_dims *d,
                    const int8_t *x, const int8_t *w, const int32_t *bias, int8_t *y)
{
    for (int b = 0; b < d->batches; b++)
        for (int o = 0; o < d->out_features; o++) {
            int64_t acc = bias ? bias[o] : 0;
            for (int i = 0; i < d->in_features; i++)
                acc += (int64_t)(w[o * d->in_features + i] - p->filter_zero_point) *
                       (x[b * d->in_features + i] - p->input_zero_point);
            const int k = rq->count == 1 ? 0 : o;
            const int64_t r =
                (int64_t)tfg_rt_requantize((int32_t)acc, rq->multiplier[k], rq->shift[k]) +
                              p->output_zero_point;
            y[b * d->out_features + o] = (int8_t)clamp32(r, p->act_min, p->act_max);
        }
}

static void random_requant(int32_t channels, float in_scale, float out_scale, int per_channel,
                           int32_t *m, int32_t *s)
{
    float fs[64];
    for (int c = 0; c < channels; c++)
        fs[c] = (float)(0.0005 + (double)(rnd64() % 10000) / 1e6);
    tfg_rt_status st = tfg_rt_conv_multipliers(in_scale, fs, per_channel ? channels : 1,
                                               out_scale, channels, m, s);
    CHECK_INT(st, TFG_RT_OK);
}

static void test_fc_random(void)
{
    int bad = 0;
    for (int t = 0; t < 300; t++) {
        tfg_rt_fc_dims d = {rnd_in(1, 3), rnd_in(1, 40), rnd_in(1, 20)};
        const int per_channel = t % 2;
        tfg_rt_fc_params p = {.input_zero_point = rnd_in(-128, 127),
                           .filter_zero_point = per_channel ? 0 : rnd_in(-3, 3),
                           .output_zero_point = rnd_in(-128, 127), .act_min = -128,
                           .act_max = 127};
        if (t % 3 == 0)
            tfg_rt_activation_range(TFG_RT_ACT_RELU6, 0.05f, p.output_zero_point, &p.act_min,
                                    &p.act_max);
        int8_t x[3 * 40], w[20 * 40], y[3 * 20], ys[3 * 20];
        int32_t bias[20], m[20], s[20];
        fill_s8(x, d.batches * d.in_features);
        fill_s8(w, d.out_features * d.in_features);
        for (int o = 0; o < d.out_features; o++)
            bias[o] = rnd_in(-20000, 20000);
        random_requant(d.out_features, 0.05f, (float)(0.02 + (double)(t % 7) * 0.03),
                       per_channel, m, s);
        tfg_rt_requant rq = {m, s, per_channel ? d.out_features : 1};
        CHECK_INT(tfg_rt_fully_connected_s8(&p, &rq, &d, x, w, t % 5 ? bias : NULL, y, NULL),
                  TFG_RT_OK);
        slow_fc(&p, &rq, &d, x, w, t % 5 ? bias : NULL, ys);
        bad += memcmp(y, ys, (size_t)(d.batches * d.out_features)) != 0;
    }
    CHECK_INT(bad, 0);
}

/* ---- convolution -------------------------------------------------------------------- */

static void test_conv_hand(void)
{
    const int8_t in[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    const int8_t ones[4] = {1, 1, 1, 1};
    const int32_t m1 = 1 << 30, s1 = 1; /* * 1.0 */
    tfg_rt_requant rq = {&m1, &s1, 1};
    tfg_rt_dims din = {1, 3, 3, 1}, df = {1, 2, 2, 1}, dout = {1, 2, 2, 1};
    tfg_rt_conv_params p = {.stride_h = 1, .stride_w = 1, .dilation_h = 1, .dilation_w = 1,
                         .act_min = -128, .act_max = 127};
    int8_t out[9];
    /* VALID 2x2 box sums. */
    CHECK_INT(tfg_rt_conv2d_s8(&p, &rq, &din, in, &df, ones, NULL, &dout, out, NULL), TFG_RT_OK);
    CHECK(out[0] == 12 && out[1] == 16 && out[2] == 24 && out[3] == 28);
    /* SAME with a 2x2 window on 3x3: padding 0 before, 1 after; cells outside count as
     * the zero point, i.e. nothing. With zero point 1 the inputs are 0..8. */
    tfg_rt_dims dsame = {1, 3, 3, 1};
    p.input_zero_point = 1;
    CHECK_INT(tfg_rt_conv2d_s8(&p, &rq, &din, in, &df, ones, NULL, &dsame, out, NULL), TFG_RT_OK);
    const int8_t want_same[9] = {8, 12, 7, 20, 24, 13, 13, 15, 8};
    CHECK(memcmp(out, want_same, 9) == 0);
    /* Stride 2, dilation 2 on a 5x5 ramp 0..24: the window reads (y, x), (y, x+2),
     * (y+2, x), (y+2, x+2). */
    int8_t ramp[25];
    for (int i = 0; i < 25; i++)
        ramp[i] = (int8_t)i;
    tfg_rt_dims d5 = {1, 5, 5, 1};
    p.input_zero_point = 0;
    p.stride_h = p.stride_w = 2;
    p.dilation_h = p.dilation_w = 2;
    CHECK_INT(tfg_rt_conv2d_s8(&p, &rq, &d5, ramp, &df, ones, NULL, &dout, out, NULL), TFG_RT_OK);
    CHECK(out[0] == 24 && out[1] == 32 && out[2] == 64 && out[3] == 72);
    /* Bias, a negative output zero point and ReLU: 24 - 30 = -6 -> clamp at zp -5. */
    const int32_t bias = -30;
    p.output_zero_point = -5;
    p.act_min = -5;
    tfg_rt_conv2d_s8(&p, &rq, &d5, ramp, &df, ones, &bias, &dout, out, NULL);
    CHECK(out[0] == -5 && out[1] == -3 && out[2] == 29 && out[3] == 37);
    /* Shape errors. */
    tfg_rt_dims bad_out = {1, 2, 2, 2};
    CHECK_INT(tfg_rt_conv2d_s8(&p, &rq, &d5, ramp, &df, ones, NULL, &bad_out, out, NULL),
              TFG_RT_ESHAPE);
    p.stride_w = 0;
    CHECK_INT(tfg_rt_conv2d_s8(&p, &rq, &d5, ramp, &df, ones, NULL, &dout, out, NULL),
              TFG_RT_EPARAM);
    CHECK_INT(tfg_rt_conv2d_s8_scratch_size(&d5, &df), 0);
}

/* Full convolution the slow way: an explicitly padded input holding the zero point
 * outside the image, then a plain sum over the dilated window. groups = in.c / f.c. */
static void slow_conv(const tfg_rt_conv_params *p, const tfg_rt_requant *rq, const tfg_rt_dims *in,
                      const int8_t *x, const tfg_rt_dims *f, const int8_t *w, const int32_t *bias,
                      const tfg_rt_dims *out, int8_t *y)
{
    const int ph = p->pad_h, pw = p->pad_w;
    const int H = in->h + 2 * ph + 2 * (f->h * p->dilation_h + out->h * p->stride_h);
    const int W = in->w + 2 * pw + 2 * (f->w * p->dilation_w + out->w * p->stride_w);
    int8_t *pad = malloc((size_t)(in->n * H * W * in->c));
    for (int i = 0; i < in->n * H * W * in->c; i++)
        pad[i] = (int8_t)p->input_zero_point;
    for (int b = 0; b < in->n; b++)
        for (int yy = 0; yy < in->h; yy++)
            for (int xx = 0; xx < in->w; xx++)
                for (int c = 0; c < in->c; c++)
                    pad[((b * H + yy + ph) * W + xx + pw) * in->c + c] =
                        x[((b * in->h + yy) * in->w + xx) * in->c + c];
    const int groups = in->c / f->c, per_group = out->c / groups;
    for (int b = 0; b < out->n; b++)
        for (int oy = 0; oy < out->h; oy++)
            for (int ox = 0; ox < out->w; ox++)
                for (int oc = 0; oc < out->c; oc++) {
                    int64_t acc = bias ? bias[oc] : 0;
                    const int g = oc / per_group;
                    for (int ky = 0; ky < f->h; ky++)
                        for (int kx = 0; kx < f->w; kx++)
                            for (int ic = 0; ic < f->c; ic++) {
                                const int py = oy * p->stride_h + ky * p->dilation_h;
                                const int px = ox * p->stride_w + kx * p->dilation_w;
                                const int v = pad[((b * H + py) * W + px) * in->c + g * f->c + ic];
                                acc += (int64_t)w[((oc * f->h + ky) * f->w + kx) * f->c + ic] *
                                       (v - p->input_zero_point);
                            }
                    const int k = rq->count == 1 ? 0 : oc;
                    const int64_t r = (int64_t)tfg_rt_requantize((int32_t)acc, rq->multiplier[k],
                                                                 rq->shift[k]) +
                                      p->output_zero_point;
                    y[((b * out->h + oy) * out->w + ox) * out->c + oc] =
                        (int8_t)clamp32(r, p->act_min, p->act_max);
                }
    free(pad);
}

/* Random geometry: SAME or VALID padding as TFLite computes it, strides and dilations
 * 1-2. Returns 0 when the VALID window does not fit (the caller draws again). */
static int random_geometry(tfg_rt_conv_params *p, tfg_rt_dims *in, tfg_rt_dims *f, tfg_rt_dims *out)
{
    const tfg_rt_padding pad = rnd_in(0, 1) ? TFG_RT_PAD_SAME : TFG_RT_PAD_VALID;
    in->n = rnd_in(1, 2);
    in->h = rnd_in(1, 7);
    in->w = rnd_in(1, 7);
    f->h = rnd_in(1, 3);
    f->w = rnd_in(1, 3);
    p->stride_h = rnd_in(1, 2);
    p->stride_w = rnd_in(1, 2);
    p->dilation_h = rnd_in(1, 2);
    p->dilation_w = rnd_in(1, 2);
    out->n = in->n;
    if (tfg_rt_compute_padding(pad, in->h, f->h, p->stride_h, p->dilation_h, &out->h,
                               &p->pad_h) != TFG_RT_OK ||
        tfg_rt_compute_padding(pad, in->w, f->w, p->stride_w, p->dilation_w, &out->w,
                               &p->pad_w) != TFG_RT_OK)
        return 0;
    p->input_zero_point = rnd_in(-128, 127);
    p->output_zero_point = rnd_in(-128, 127);
    p->act_min = -128;
    p->act_max = 127;
    if (rnd_in(0, 2) == 0) {
        p->act_min = rnd_in(-128, 0);
        p->act_max = rnd_in(p->act_min, 127);
    }
    return 1;
}

static void test_conv_random(void)
{
    int bad = 0, runs = 0;
    while (runs < 400) {
        tfg_rt_conv_params p;
        tfg_rt_dims in, f, out;
        if (!random_geometry(&p, &in, &f, &out))
            continue;
        runs++;
        const int groups = runs % 7 == 0 ? 2 : 1;
        f.c = rnd_in(1, 4);
        in.c = f.c * groups;
        out.c = f.n = groups * rnd_in(1, 4);
        int8_t x[2 * 7 * 7 * 8], w[8 * 3 * 3 * 4], y[2 * 7 * 7 * 8], ys[2 * 7 * 7 * 8];
        int32_t bias[8], m[8], s[8];
        fill_s8(x, volume(&in));
        fill_s8(w, volume(&f));
        for (int c = 0; c < out.c; c++)
            bias[c] = rnd_in(-5000, 5000);
        const int per_channel = runs % 4 != 0;
        random_requant(out.c, 0.04f, (float)(0.01 + (double)(runs % 5) * 0.02), per_channel,
                       m, s);
        tfg_rt_requant rq = {m, s, per_channel ? out.c : 1};
        CHECK_INT(tfg_rt_conv2d_s8(&p, &rq, &in, x, &f, w, bias, &out, y, NULL), TFG_RT_OK);
        slow_conv(&p, &rq, &in, x, &f, w, bias, &out, ys);
        if (memcmp(y, ys, (size_t)volume(&out)) != 0 && bad++ < 3)
            fprintf(stderr,
                    "conv differs: in %dx%dx%dx%d f %dx%dx%dx%d s %d,%d d %d,%d pad %d,%d\n",
                    in.n, in.h, in.w, in.c, f.n, f.h, f.w, f.c, p.stride_h, p.stride_w,
                    p.dilation_h, p.dilation_w, p.pad_h, p.pad_w);
    }
    CHECK_INT(bad, 0);
}

/* ---- depthwise convolution ---------------------------------------------------------- */

static void test_depthwise_hand(void)
{
    /* 1x2x2x2 input, depth multiplier 2, 2x2 kernel, VALID: one output pixel with four
     * channels; channel ic*2+m reads input channel ic only. */
    const int8_t in[8] = {1, 10, 2, 20, 3, 30, 4, 40};
    /* w[(ky*2+kx)*4 + oc]: columns oc0 = [1,1,1,1], oc1 = [2,0,0,-1] (on channel 0),
     * oc2 = [3,0,0,0], oc3 = [0,1,0,0] (on channel 1). */
    const int8_t w[16] = {1, 2, 3, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, -1, 0, 0};
    const int32_t m1 = 1 << 30, s1 = 1;
    tfg_rt_requant rq = {&m1, &s1, 1};
    tfg_rt_dims din = {1, 2, 2, 2}, df = {1, 2, 2, 4}, dout = {1, 1, 1, 4};
    tfg_rt_dw_params p = {.conv = {.stride_h = 1, .stride_w = 1, .dilation_h = 1,
                                .dilation_w = 1, .act_min = -128, .act_max = 127},
                       .depth_multiplier = 2};
    int8_t out[4];
    CHECK_INT(tfg_rt_depthwise_conv2d_s8(&p, &rq, &din, in, &df, w, NULL, &dout, out, NULL),
              TFG_RT_OK);
    /* 1+2+3+4 = 10; 2*1 - 4 = -2; 3*10 = 30; 20. */
    CHECK(out[0] == 10 && out[1] == -2 && out[2] == 30 && out[3] == 20);
    dout.c = 3;
    CHECK_INT(tfg_rt_depthwise_conv2d_s8(&p, &rq, &din, in, &df, w, NULL, &dout, out, NULL),
              TFG_RT_ESHAPE);
    dout.c = 4;
    p.depth_multiplier = 0;
    CHECK_INT(tfg_rt_depthwise_conv2d_s8(&p, &rq, &din, in, &df, w, NULL, &dout, out, NULL),
              TFG_RT_EPARAM);
    CHECK_INT(tfg_rt_depthwise_conv2d_s8_scratch_size(&din, &df), 0);
}

static void test_depthwise_random(void)
{
    int bad = 0, runs = 0;
    while (runs < 400) {
        tfg_rt_dw_params p;
        tfg_rt_dims in, f, out;
        if (!random_geometry(&p.conv, &in, &f, &out))
            continue;
        runs++;
        p.depth_multiplier = rnd_in(1, 3);
        in.c = rnd_in(1, 4);
        out.c = f.c = in.c * p.depth_multiplier;
        f.n = 1;
        int8_t x[2 * 7 * 7 * 4], w[3 * 3 * 12], y[2 * 7 * 7 * 12], ys[2 * 7 * 7 * 12];
        int8_t full[12 * 3 * 3 * 4];
        int32_t bias[12], m[12], s[12];
        fill_s8(x, volume(&in));
        fill_s8(w, volume(&f));
        for (int c = 0; c < out.c; c++)
            bias[c] = rnd_in(-5000, 5000);
        const int per_channel = runs % 4 != 0;
        random_requant(out.c, 0.04f, 0.03f, per_channel, m, s);
        tfg_rt_requant rq = {m, s, per_channel ? out.c : 1};
        CHECK_INT(tfg_rt_depthwise_conv2d_s8(&p, &rq, &in, x, &f, w, bias, &out, y, NULL),
                  TFG_RT_OK);
        /* The same layer as a full convolution whose weights are zero off the diagonal. */
        tfg_rt_dims ff = {out.c, f.h, f.w, in.c};
        for (int oc = 0; oc < out.c; oc++)
            for (int k = 0; k < f.h * f.w; k++)
                for (int ic = 0; ic < in.c; ic++)
                    full[(oc * f.h * f.w + k) * in.c + ic] =
                        ic == oc / p.depth_multiplier ? w[k * out.c + oc] : 0;
        slow_conv(&p.conv, &rq, &in, x, &ff, full, bias, &out, ys);
        bad += memcmp(y, ys, (size_t)volume(&out)) != 0;
    }
    CHECK_INT(bad, 0);
}

/* ---- pooling ------------------------------------------------------------------------ */

static void test_pool_hand(void)
{
    /* 2x3 input, one channel; 2x2 window, stride 2, SAME (pad 0, the last column
     * window is clipped to one column). */
    const int8_t in[6] = {1, 2, -1, 2, 2, -2};
    tfg_rt_dims din = {1, 2, 3, 1}, dout = {1, 1, 2, 1};
    tfg_rt_pool_params p = {.filter_h = 2, .filter_w = 2, .stride_h = 2, .stride_w = 2,
                         .act_min = -128, .act_max = 127};
    int8_t out[2];
    /* (1+2+2+2)/4 = 1.75 -> 2; (-1-2)/2 = -1.5 -> -2 (away from zero, 2 cells only). */
    CHECK_INT(tfg_rt_avgpool_s8(&p, &din, in, &dout, out), TFG_RT_OK);
    CHECK_INT(out[0], 2);
    CHECK_INT(out[1], -2);
    CHECK_INT(tfg_rt_maxpool_s8(&p, &din, in, &dout, out), TFG_RT_OK);
    CHECK_INT(out[0], 2);
    CHECK_INT(out[1], -1);
    /* -0.5 rounds to -1, 0.5 to 1; a 3-cell window divides by 3: (1+2+2)/3 -> 2. */
    const int8_t half[4] = {-1, 0, 1, 0};
    tfg_rt_dims d1 = {1, 1, 4, 1}, d2 = {1, 1, 2, 1};
    tfg_rt_pool_params q = {.filter_h = 1, .filter_w = 2, .stride_h = 1, .stride_w = 2,
                         .act_min = -128, .act_max = 127};
    tfg_rt_avgpool_s8(&q, &d1, half, &d2, out);
    CHECK_INT(out[0], -1);
    CHECK_INT(out[1], 1);
    const int8_t three[3] = {1, 2, 2};
    tfg_rt_dims d3 = {1, 1, 3, 1}, d31 = {1, 1, 1, 1};
    q.filter_w = 3;
    tfg_rt_avgpool_s8(&q, &d3, three, &d31, out);
    CHECK_INT(out[0], 2);
    /* Activation clamp on both pools. */
    p.act_min = 0;
    p.act_max = 1;
    tfg_rt_avgpool_s8(&p, &din, in, &dout, out);
    CHECK(out[0] == 1 && out[1] == 0);
    tfg_rt_maxpool_s8(&p, &din, in, &dout, out);
    CHECK(out[0] == 1 && out[1] == 0);
    /* A window entirely in the padding has no cell to average. */
    p.act_min = -128;
    p.act_max = 127;
    p.pad_w = 3;
    CHECK_INT(tfg_rt_avgpool_s8(&p, &din, in, &dout, out), TFG_RT_EPARAM);
    p.pad_w = 0;
    tfg_rt_dims badc = {1, 1, 2, 2};
    CHECK_INT(tfg_rt_maxpool_s8(&p, &din, in, &badc, out), TFG_RT_ESHAPE);
}

static void slow_pool(const tfg_rt_pool_params *p, const tfg_rt_dims *in, const int8_t *x,
                      const tfg_rt_dims *out, int8_t *avg, int8_t *max)
{
    for (int b = 0; b < out->n; b++)
        for (int oy = 0; oy < out->h; oy++)
            for (int ox = 0; ox < out->w; ox++)
                for (int c = 0; c < out->c; c++) {
                    int64_t sum = 0;
                    int n = 0, m = -128;
                    for (int ky = 0; ky < p->filter_h; ky++)
                        for (int kx = 0; kx < p->filter_w; kx++) {
                            const int yy = oy * p->stride_h - p->pad_h + ky;
                            const int xx = ox * p->stride_w - p->pad_w + kx;
                            if (yy < 0 || yy >= in->h || xx < 0 || xx >= in->w)
                                continue;
                            const int v = x[((b * in->h + yy) * in->w + xx) * in->c + c];
                            sum += v;
                            n++;
                            m = v > m ? v : m;
                        }
                    /* Round half away from zero, in exact rational arithmetic. */
                    const int64_t mag = sum < 0 ? -sum : sum;
                    int64_t q = (2 * mag + n) / (2 * n);
                    q = sum < 0 ? -q : q;
                    const int i = ((b * out->h + oy) * out->w + ox) * out->c + c;
                    avg[i] = (int8_t)clamp32(q, p->act_min, p->act_max);
                    max[i] = (int8_t)clamp32(m, p->act_min, p->act_max);
                }
}

static void test_pool_random(void)
{
    int bad = 0, runs = 0;
    while (runs < 400) {
        tfg_rt_conv_params g;
        tfg_rt_dims in, f, out;
        if (!random_geometry(&g, &in, &f, &out))
            continue;
        if (g.dilation_h != 1 || g.dilation_w != 1)
            continue; /* pooling has no dilation */
        runs++;
        in.c = out.c = rnd_in(1, 5);
        tfg_rt_pool_params p = {f.h, f.w, g.stride_h, g.stride_w, g.pad_h, g.pad_w, g.act_min,
                             g.act_max};
        int8_t x[2 * 7 * 7 * 5], ya[2 * 7 * 7 * 5], ym[2 * 7 * 7 * 5], sa[2 * 7 * 7 * 5],
            sm[2 * 7 * 7 * 5];
        fill_s8(x, volume(&in));
        CHECK_INT(tfg_rt_avgpool_s8(&p, &in, x, &out, ya), TFG_RT_OK);
        CHECK_INT(tfg_rt_maxpool_s8(&p, &in, x, &out, ym), TFG_RT_OK);
        slow_pool(&p, &in, x, &out, sa, sm);
        bad += memcmp(ya, sa, (size_t)volume(&out)) != 0;
        bad += memcmp(ym, sm, (size_t)volume(&out)) != 0;
    }
    CHECK_INT(bad, 0);
}

/* ---- add ---------------------------------------------------------------------------- */

static void test_add_hand(void)
{
    tfg_rt_add_params p;
    /* Real values: a * 0.5 + b * 0.25, output scale 0.5. */
    CHECK_INT(tfg_rt_add_prepare(0.5f, 0, 0.25f, 0, 0.5f, 0, TFG_RT_ACT_NONE, &p), TFG_RT_OK);
    CHECK_INT(p.left_shift, 20);
    CHECK_INT(p.input1_multiplier, 1 << 30); /* 0.5 / (2 * 0.5) = 0.5 */
    CHECK_INT(p.input1_shift, 0);
    CHECK_INT(p.input2_shift, -1); /* 0.25 */
    const int8_t a[4] = {10, -10, 127, 1}, b[4] = {4, -4, 127, 1};
    int8_t y[4];
    CHECK_INT(tfg_rt_add_s8(&p, a, 4, b, 4, y, 4), TFG_RT_OK);
    CHECK_INT(y[0], 12);   /* 5 + 1 = 6.0 */
    CHECK_INT(y[1], -12);
    CHECK_INT(y[2], 127);  /* 63.5 + 31.75 saturates */
    CHECK_INT(y[3], 2);    /* 0.5 + 0.25 = 0.75 -> 1.5 -> 2 */
    /* Broadcast a one-element second input. */
    const int8_t one = 8; /* 2.0 */
    CHECK_INT(tfg_rt_add_s8(&p, a, 4, &one, 1, y, 4), TFG_RT_OK);
    CHECK(y[0] == 14 && y[1] == -6);
    /* Zero points and a fused ReLU. */
    CHECK_INT(tfg_rt_add_prepare(0.5f, -3, 0.25f, 7, 0.5f, -10, TFG_RT_ACT_RELU, &p), TFG_RT_OK);
    CHECK_INT(p.act_min, -10);
    const int8_t c[2] = {-3 + 4, -3 - 8}, d[2] = {7 + 4, 7};
    tfg_rt_add_s8(&p, c, 2, d, 2, y, 2);
    CHECK_INT(y[0], -10 + 6); /* 2 + 1 = 3.0 */
    CHECK_INT(y[1], -10);     /* -4 clamps at zero */
    CHECK_INT(tfg_rt_add_s8(&p, c, 2, d, 3, y, 2), TFG_RT_ESHAPE);
}

static void test_add_random(void)
{
    int bad = 0, far = 0;
    for (int t = 0; t < 200; t++) {
        const float s1 = (float)(0.01 + (double)(rnd64() % 1000) / 5000);
        const float s2 = (float)(0.01 + (double)(rnd64() % 1000) / 5000);
        const float so = (float)(0.02 + (double)(rnd64() % 1000) / 2500);
        const int32_t z1 = rnd_in(-128, 127), z2 = rnd_in(-128, 127), zo = rnd_in(-128, 127);
        tfg_rt_add_params p;
        const tfg_rt_act act = t % 2 ? TFG_RT_ACT_RELU : TFG_RT_ACT_NONE;
        CHECK_INT(tfg_rt_add_prepare(s1, z1, s2, z2, so, zo, act, &p),
                  TFG_RT_OK);
        int8_t a[64], b[64], y[64];
        fill_s8(a, 64);
        fill_s8(b, 64);
        CHECK_INT(tfg_rt_add_s8(&p, a, 64, b, 64, y, 64), TFG_RT_OK);
        for (int i = 0; i < 64; i++) {
            /* The slow version: the formula of TFLite's AddFunc spelled out. */
            const int32_t ra =
                tfg_rt_requantize((a[i] - z1) * (1 << 20), p.input1_multiplier, p.input1_shift);
            const int32_t rb =
                tfg_rt_requantize((b[i] - z2) * (1 << 20), p.input2_multiplier, p.input2_shift);
            const int64_t r =
                (int64_t)tfg_rt_requantize(ra + rb, p.output_multiplier, p.output_shift) + zo;
            bad += y[i] != (int8_t)clamp32(r, p.act_min, p.act_max);
            /* And the meaning: the real sum, within one step of rounding. */
            const double real = (double)s1 * (a[i] - z1) + (double)s2 * (b[i] - z2);
            double want = real / so + zo;
            want = want < p.act_min ? p.act_min : want > p.act_max ? p.act_max : want;
            far += fabs(y[i] - want) > 1.0;
        }
    }
    CHECK_INT(bad, 0);
    CHECK_INT(far, 0);
}

static void test_reshape(void)
{
    int8_t a[5] = {1, -2, 3, -4, 5}, b[5] = {0};
    CHECK_INT(tfg_rt_reshape_s8(a, b, 5), TFG_RT_OK);
    CHECK(memcmp(a, b, 5) == 0);
    CHECK_INT(tfg_rt_reshape_s8(a, a, 5), TFG_RT_OK); /* in place */
    CHECK_INT(tfg_rt_reshape_s8(a, b, -1), TFG_RT_EPARAM);
}

/* An accumulator past int32 wraps as the core's adder does, defined on the host too (the
 * TFLite fuzzer found a bias of INT32_MIN: undefined behaviour in TFLM's int32 sum, a
 * sanitizer abort here before). -2 + INT32_MIN wraps to INT32_MAX - 1: * 0.5 clamps to
 * 127 in every kernel. */
static void test_accumulator_wraps(void)
{
    const int8_t x[3] = {1, 2, 3}, w[3] = {1, 0, -1}, one[1] = {-2};
    const int32_t bias[1] = {INT32_MIN}, m_half = 1 << 30, s_zero = 0;
    tfg_rt_requant rq = {&m_half, &s_zero, 1};
    tfg_rt_fc_params p = {.input_zero_point = -1, .act_min = -128, .act_max = 127};
    tfg_rt_fc_dims d = {1, 3, 1};
    int8_t y[1] = {0};
    CHECK_INT(tfg_rt_fully_connected_s8(&p, &rq, &d, x, w, bias, y, NULL), TFG_RT_OK);
    CHECK_INT(y[0], 127);
    /* a 1x1 convolution and a depthwise one of the input 1 (zero point 0) by -2 */
    tfg_rt_dims d1 = {1, 1, 1, 1};
    tfg_rt_conv_params cp = {.stride_h = 1, .stride_w = 1, .dilation_h = 1, .dilation_w = 1,
                             .act_min = -128, .act_max = 127};
    y[0] = 0;
    CHECK_INT(tfg_rt_conv2d_s8(&cp, &rq, &d1, x, &d1, one, bias, &d1, y, NULL), TFG_RT_OK);
    CHECK_INT(y[0], 127);
    tfg_rt_dw_params dp = {.conv = cp, .depth_multiplier = 1};
    y[0] = 0;
    CHECK_INT(tfg_rt_depthwise_conv2d_s8(&dp, &rq, &d1, x, &d1, one, bias, &d1, y, NULL),
              TFG_RT_OK);
    CHECK_INT(y[0], 127);
}

TFG_TEST_MAIN(test_accumulator_wraps, test_fc_hand, test_fc_random, test_conv_hand, test_conv_random,
              test_depthwise_hand, test_depthwise_random, test_pool_hand, test_pool_random,
              test_add_hand, test_add_random, test_reshape)
