/* conv.c — int8 2-D convolution (NHWC input, OHWI weights, per-channel requantization)
 * as TFLite's reference ConvPerChannel, with stride, dilation, padding and groups.
 *
 * A window cell outside the input is skipped, which is the same as padding with the
 * input zero point because inputs enter the sum as (x - zero_point). */
#include "tfg_rt_internal.h"

size_t tfg_rt_conv2d_s8_scratch_size(const tfg_rt_dims *in, const tfg_rt_dims *filter)
{
    (void)in;
    (void)filter;
    return 0;
}

static tfg_rt_status conv_check(const tfg_rt_conv_params *p, const tfg_rt_requant *rq,
                                const tfg_rt_dims *in, const tfg_rt_dims *f, const tfg_rt_dims *out)
{
    if (!p)
        return TFG_RT_EPARAM;
    if (!tfg_rt_dims_ok(in) || !tfg_rt_dims_ok(f) || !tfg_rt_dims_ok(out))
        return TFG_RT_ESHAPE;
    if (in->n != out->n || out->c != f->n || in->c % f->c != 0 ||
        out->c % (in->c / f->c) != 0)
        return TFG_RT_ESHAPE;
    return tfg_rt_conv_params_ok(p, rq, out->c) ? TFG_RT_OK : TFG_RT_EPARAM;
}

int tfg_rt_conv_params_ok(const tfg_rt_conv_params *p, const tfg_rt_requant *rq,
                          int32_t out_channels)
{
    return p->stride_h > 0 && p->stride_w > 0 && p->dilation_h > 0 && p->dilation_w > 0 &&
           p->pad_h >= 0 && p->pad_w >= 0 && tfg_rt_requant_ok(rq, out_channels) &&
           tfg_rt_act_ok(p->act_min, p->act_max);
}

/* The int32 sum of one output cell (before bias). */
static int32_t conv_cell(const tfg_rt_conv_params *p, const tfg_rt_dims *in, const int8_t *input,
                         const tfg_rt_dims *f, const int8_t *weights, int32_t b, int32_t y0,
                         int32_t x0, int32_t oc, int32_t in_c0)
{
    int32_t acc = 0, ky, kx, ic;
    for (ky = 0; ky < f->h; ky++) {
        const int32_t y = y0 + p->dilation_h * ky;
        if (y < 0 || y >= in->h)
            continue;
        for (kx = 0; kx < f->w; kx++) {
            const int32_t x = x0 + p->dilation_w * kx;
            const int8_t *px, *pw;
            if (x < 0 || x >= in->w)
                continue;
            px = input + tfg_rt_offset(in, b, y, x, in_c0);
            pw = weights + tfg_rt_offset(f, oc, ky, kx, 0);
            for (ic = 0; ic < f->c; ic++)
                acc = tfg_rt_add_wrap(acc, pw[ic] * (px[ic] - p->input_zero_point));
        }
    }
    return acc;
}

tfg_rt_status tfg_rt_conv2d_s8(const tfg_rt_conv_params *p, const tfg_rt_requant *rq,
                               const tfg_rt_dims *in, const int8_t *input,
                               const tfg_rt_dims *filter, const int8_t *weights,
                               const int32_t *bias, const tfg_rt_dims *out, int8_t *output,
                               const tfg_rt_scratch *scratch)
{
    const tfg_rt_status st = conv_check(p, rq, in, filter, out);
    int32_t b, oy, ox, oc, per_group;
    (void)scratch;
    if (st != TFG_RT_OK)
        return st;
    if (!input || !weights || !output)
        return TFG_RT_EPARAM;
    per_group = out->c / (in->c / filter->c);
    for (b = 0; b < out->n; b++)
        for (oy = 0; oy < out->h; oy++)
            for (ox = 0; ox < out->w; ox++)
                for (oc = 0; oc < out->c; oc++) {
                    const int32_t in_c0 = (oc / per_group) * filter->c;
                    int32_t acc = conv_cell(p, in, input, filter, weights, b,
                                            oy * p->stride_h - p->pad_h,
                                            ox * p->stride_w - p->pad_w, oc, in_c0);
                    if (bias)
                        acc = tfg_rt_add_wrap(acc, bias[oc]);
                    acc = tfg_rt_add_wrap(tfg_rt_rq_apply(rq, oc, acc), p->output_zero_point);
                    output[tfg_rt_offset(out, b, oy, ox, oc)] =
                        (int8_t)tfg_rt_clamp(acc, p->act_min, p->act_max);
                }
    return TFG_RT_OK;
}
