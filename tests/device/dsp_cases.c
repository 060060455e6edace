/* dsp_cases.c — the random layers of dsp_cases.h. Each layer is drawn, run through the
 * reference kernel and through its optimized variant with what the code generator
 * prepares for it (kernel sums folded by tfg_rt_fold_bias, weights interleaved by
 * tfg_rt_interleave_weights, scratch sized by the variant's *_scratch_size), and the
 * outputs are compared byte for byte. Buffers are static (the firmware has no heap). */
#include "dsp_cases.h"

#include <string.h>

#include "tfg_dsp.h"
#include "tfg_runtime.h"

/* The largest layer drawn: up to 2 x 11 x 11 cells of up to 70 channels, filters up to
 * 5 x 5 over up to 40 channels for the im2col conv. */
#define MAX_ACT (2 * 11 * 11 * 70)
#define MAX_W (24 * 5 * 5 * 40)
#define MAX_CH 72

static int8_t g_x[MAX_ACT], g_w[MAX_W], g_y0[MAX_ACT], g_y1[MAX_ACT];
/* the kernels' weights, word-aligned as the code generator emits them; fully connected
 * also runs one time in four on a misaligned copy (its word loads then take the C path) */
static uint32_t g_wi_words[MAX_W / 4 + 1];
#define g_wi ((int8_t *)g_wi_words)
static uint32_t g_scratch[4096]; /* words: the kernels' scratch is word-aligned */
static int32_t g_bias[MAX_CH], g_sums[MAX_CH], g_m[MAX_CH], g_sh[MAX_CH];
static uint32_t g_state;

static uint32_t next(void) /* xorshift32 */
{
    g_state ^= g_state << 13;
    g_state ^= g_state >> 17;
    g_state ^= g_state << 5;
    return g_state;
}

static int32_t rnd(int32_t lo, int32_t hi) /* inclusive; in unsigned, as hi - lo may be 2^31 */
{
    const uint32_t span = (uint32_t)hi - (uint32_t)lo + 1u; /* 0: all 2^32 values */
    return (int32_t)((uint32_t)lo + (span ? next() % span : next()));
}

static void fill8(int8_t *p, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; i++)
        p[i] = (int8_t)rnd(-128, 127);
}

/* Per-channel multipliers as the quantizer makes them (m in [2^30, 2^31)), with right
 * shifts up to the DSP kernels' 23 and now and then a left shift; per tensor one time
 * in four. Returns the count. */
static int32_t fill_rq(int32_t channels)
{
    int32_t c;
    for (c = 0; c < channels; c++) {
        g_m[c] = rnd(1 << 30, INT32_MAX);
        g_sh[c] = rnd(0, 9) == 0 ? rnd(0, 3) : -rnd(1, TFG_RT_DSP_MAX_RIGHT_SHIFT);
    }
    return rnd(0, 3) ? channels : 1;
}

static void fill_bias(int32_t channels, int32_t span)
{
    int32_t c;
    for (c = 0; c < channels; c++)
        g_bias[c] = rnd(-span, span);
}

/* A layer the code generator would not give a DSP kernel counts as refused. */
static void count(tfg_dsp_case_count *n, tfg_rt_status s0, tfg_rt_status s1, int32_t bytes,
                  int fits)
{
    n->cases++;
    if (!fits)
        s1 = TFG_RT_EPARAM;
#ifdef TFG_DSP_CASES_BREAK /* the driver's proof that a wrong byte is seen */
    g_y1[bytes - 1] ^= 1;
#endif
    if (s0 != TFG_RT_OK || s1 != TFG_RT_OK)
        n->refused++;
    else if (memcmp(g_y0, g_y1, (size_t)bytes) != 0)
        n->differ++;
}

static void fc_case(tfg_dsp_case_count *n)
{
    tfg_rt_fc_dims d;
    tfg_rt_fc_params p;
    int8_t *wi;
    tfg_rt_requant rq;
    const int32_t *bias;
    tfg_rt_status s0, s1;
    d.batches = rnd(1, 3);
    d.in_features = rnd(0, 3) ? rnd(1, 70) : rnd(1, 4);
    d.out_features = rnd(0, 3) ? rnd(1, 37) : rnd(1, 5);
    fill8(g_x, d.batches * d.in_features);
    fill8(g_w, d.in_features * d.out_features);
    fill_bias(d.out_features, 100000);
    rq.multiplier = g_m;
    rq.shift = g_sh;
    rq.count = fill_rq(d.out_features);
    p.input_zero_point = rnd(-128, 127);
    p.filter_zero_point = 0;
    p.output_zero_point = rnd(-128, 127);
    p.act_min = rnd(0, 1) ? -128 : p.output_zero_point;
    p.act_max = rnd(0, 3) ? 127 : rnd(p.act_min, 127);
    bias = rnd(0, 7) ? g_bias : NULL;
    s0 = tfg_rt_fully_connected_s8(&p, &rq, &d, g_x, g_w, bias, g_y0, NULL);
    tfg_rt_fold_bias(g_w, d.out_features, d.in_features, d.in_features, 1, p.input_zero_point,
                     bias, g_sums);
    wi = g_wi + (rnd(0, 3) == 0);
    tfg_rt_interleave_weights(g_w, d.out_features, d.in_features, wi);
    s1 = tfg_rt_fully_connected_s8_dsp(&p, &rq, &d, g_x, wi, g_sums, g_y1, NULL);
    count(n, s0, s1, d.batches * d.out_features,
          tfg_rt_dsp_sums_ok(g_w, d.out_features, d.in_features, d.in_features, 1, g_sums,
                             &rq));
}

/* A random conv-like layer: kind picks the filter; 0 when the window does not fit. */
static int conv_case(int kind, tfg_dsp_case_count *n)
{
    const int dw = kind == TFG_DSP_CASE_DW_3X3, one = kind == TFG_DSP_CASE_CONV_1X1;
    tfg_rt_conv_params p;
    tfg_rt_dims in, f, out;
    tfg_rt_requant rq;
    tfg_rt_scratch scr;
    tfg_rt_padding pad;
    tfg_rt_status s0, s1;
    const int32_t *bias;
    int32_t cin, cout, kh, kw, depth;
    int fits;
    cin = one ? (rnd(0, 3) ? rnd(1, 19) : rnd(60, 70)) : rnd(0, 4) ? rnd(1, 19) : rnd(20, 40);
    if (dw && rnd(0, 3) == 0)
        cin = rnd(41, 70); /* more channels than the padding row of depthwise_dsp.c */
    cout = dw ? cin : rnd(0, 3) ? rnd(1, 24) : rnd(1, 5);
    kh = dw ? 3 : one ? 1 : rnd(1, 5);
    kw = dw ? 3 : one ? 1 : rnd(1, 5);
    memset(&p, 0, sizeof p);
    p.input_zero_point = rnd(-128, 127);
    p.output_zero_point = rnd(-128, 127);
    p.stride_h = rnd(1, 3);
    p.stride_w = rnd(1, 3);
    p.dilation_h = p.dilation_w = 1;
    if (kind == TFG_DSP_CASE_CONV && rnd(0, 3) == 0) {
        p.dilation_h = rnd(1, 2);
        p.dilation_w = rnd(1, 2);
    }
    p.act_min = -128;
    p.act_max = 127;
    if (rnd(0, 2) == 0) {
        p.act_min = rnd(-128, 0);
        p.act_max = rnd(1, 127);
    }
    in.n = rnd(1, 2);
    in.h = rnd(1, 11);
    in.w = rnd(1, 11);
    in.c = cin;
    f.n = dw ? 1 : cout;
    f.h = kh;
    f.w = kw;
    f.c = dw ? cout : cin;
    out.n = in.n;
    out.c = cout;
    pad = one ? TFG_RT_PAD_VALID : rnd(0, 1) ? TFG_RT_PAD_SAME : TFG_RT_PAD_VALID;
    if (tfg_rt_compute_padding(pad, in.h, kh, p.stride_h, p.dilation_h, &out.h, &p.pad_h) ||
        tfg_rt_compute_padding(pad, in.w, kw, p.stride_w, p.dilation_w, &out.w, &p.pad_w))
        return 0;
    depth = kh * kw * (dw ? 1 : cin);
    fill8(g_x, in.n * in.h * in.w * in.c);
    fill8(g_w, (dw ? 1 : cout) * kh * kw * f.c);
    fill_bias(cout, 50000);
    bias = rnd(0, 7) ? g_bias : NULL;
    rq.multiplier = g_m;
    rq.shift = g_sh;
    rq.count = fill_rq(cout);
    scr.buf = g_scratch;
    if (dw) {
        tfg_rt_dw_params dp;
        dp.conv = p;
        dp.depth_multiplier = 1;
        s0 = tfg_rt_depthwise_conv2d_s8(&dp, &rq, &in, g_x, &f, g_w, bias, &out, g_y0, NULL);
        tfg_rt_fold_bias(g_w, cout, 9, 1, cout, p.input_zero_point, bias, g_sums);
        fits = tfg_rt_dsp_sums_ok(g_w, cout, 9, 1, cout, g_sums, &rq);
        scr.size = tfg_rt_depthwise_conv2d_3x3_s8_dsp_scratch_size(&in, &f);
        s1 = tfg_rt_depthwise_conv2d_3x3_s8_dsp(&dp, &rq, &in, g_x, &f, g_w, g_sums, &out,
                                                g_y1, &scr);
    } else {
        s0 = tfg_rt_conv2d_s8(&p, &rq, &in, g_x, &f, g_w, bias, &out, g_y0, NULL);
        tfg_rt_fold_bias(g_w, cout, depth, depth, 1, p.input_zero_point, bias, g_sums);
        fits = tfg_rt_dsp_sums_ok(g_w, cout, depth, depth, 1, g_sums, &rq);
        tfg_rt_pad_weight_rows(g_w, cout, depth, g_wi);
        if (one) {
            scr.size = tfg_rt_conv2d_1x1_s8_dsp_scratch_size(&in, &f);
            s1 = tfg_rt_conv2d_1x1_s8_dsp(&p, &rq, &in, g_x, &f, g_wi, g_sums, &out, g_y1,
                                          &scr);
        } else {
            scr.size = tfg_rt_conv2d_s8_dsp_scratch_size(&in, &f);
            s1 = tfg_rt_conv2d_s8_dsp(&p, &rq, &in, g_x, &f, g_wi, g_sums, &out, g_y1, &scr);
        }
    }
    if (scr.size > sizeof g_scratch)
        fits = 0; /* not in this test's scratch: a failure, not a silent pass */
    count(n, s0, s1, out.n * out.h * out.w * out.c, fits);
    return 1;
}

/* The short requantization alone (tfg_dsp.h) against tfg_rt_requantize, over random and
 * edge accumulators within its bound |acc| < 2^(30 - left shift). */
static void requant_cases(uint32_t values, tfg_dsp_case_count *n)
{
    uint32_t i;
    for (i = 0; i < values; i++) {
        int32_t sh = rnd(-TFG_RT_DSP_MAX_RIGHT_SHIFT, 7), zp = rnd(-128, 127);
        int32_t m = i % 7 == 0 ? rnd(0, INT32_MAX) : rnd(1 << 30, INT32_MAX);
        int32_t lo = rnd(-128, 0), hi = rnd(0, 127), want, acc;
        const int32_t left = sh > 0 ? sh : 0, limit = ((int32_t)1 << (30 - left)) - 1;
        tfg_rt_requant rq;
        tfg_dsp_rq q;
        switch (i % 5) {
        case 0: acc = limit; break;
        case 1: acc = -limit; break;
        case 2: acc = rnd(-255, 255); break;
        default: acc = rnd(-limit, limit) >> rnd(0, 29); break;
        }
        rq.multiplier = &m;
        rq.shift = &sh;
        rq.count = 1;
        tfg_dsp_rq_of(&rq, 0, &q);
        want = tfg_rt_requantize(acc, m, sh);
        want = (int32_t)((uint32_t)want + (uint32_t)zp);
        want = want < lo ? lo : want > hi ? hi : want;
        n->cases++;
        n->differ += tfg_dsp_rq_apply(acc, &q, zp, lo, hi) != want;
    }
}

const char *tfg_dsp_case_name(int k)
{
    static const char *const names[] = {"fc", "conv_im2col", "conv_1x1", "dw_3x3",
                                        "requant"};
    return k >= 0 && k < TFG_DSP_CASE_KINDS ? names[k] : "?";
}

void tfg_dsp_cases_run(uint32_t seed, uint32_t layers, tfg_dsp_case_count *n)
{
    uint32_t i;
    int k;
    g_state = seed ? seed : 1u;
    memset(n, 0, sizeof *n * TFG_DSP_CASE_KINDS);
    for (i = 0; i < layers; i++)
        fc_case(&n[TFG_DSP_CASE_FC]);
    for (k = TFG_DSP_CASE_CONV; k <= TFG_DSP_CASE_DW_3X3; k++)
        while (n[k].cases < layers)
            conv_case(k, &n[k]);
    requant_cases(100u * layers, &n[TFG_DSP_CASE_REQUANT]);
}
