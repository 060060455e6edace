/* depthwise.c — int8 depthwise 2-D convolution as TFLite's reference
 * DepthwiseConvPerChannel: weights [1][kh][kw][cin * depth_multiplier], output channel
 * ic * depth_multiplier + m filters input channel ic alone. */
#include "tfg_rt_internal.h"

size_t tfg_rt_depthwise_conv2d_s8_scratch_size(const tfg_rt_dims *in, const tfg_rt_dims *filter)
{
    (void)in;
    (void)filter;
    return 0;
}

static tfg_rt_status dw_check(const tfg_rt_dw_params *dp, const tfg_rt_requant *rq,
                              const tfg_rt_dims *in, const tfg_rt_dims *f, const tfg_rt_dims *out)
{
    const tfg_rt_conv_params *p = &dp->conv;
    if (!tfg_rt_dims_ok(in) || !tfg_rt_dims_ok(f) || !tfg_rt_dims_ok(out))
        return TFG_RT_ESHAPE;
    if (dp->depth_multiplier <= 0)
        return TFG_RT_EPARAM;
    if (in->n != out->n || f->n != 1 || f->c != out->c ||
        out->c != in->c * dp->depth_multiplier)
        return TFG_RT_ESHAPE;
    return tfg_rt_conv_params_ok(p, rq, out->c) ? TFG_RT_OK : TFG_RT_EPARAM;
}

static int32_t dw_cell(const tfg_rt_conv_params *p, const tfg_rt_dims *in, const int8_t *input,
                       const tfg_rt_dims *f, const int8_t *weights, int32_t b, int32_t y0,
                       int32_t x0, int32_t ic, int32_t oc)
{
    int32_t acc = 0, ky, kx;
    for (ky = 0; ky < f->h; ky++) {
        const int32_t y = y0 + p->dilation_h * ky;
        if (y < 0 || y >= in->h)
            continue;
        for (kx = 0; kx < f->w; kx++) {
            const int32_t x = x0 + p->dilation_w * kx;
            if (x < 0 || x >= in->w)
                continue;
            acc = tfg_rt_add_wrap(acc, weights[tfg_rt_offset(f, 0, ky, kx, oc)] *
                                           (input[tfg_rt_offset(in, b, y, x, ic)] -
                                            p->input_zero_point));
        }
    }
    return acc;
}

tfg_rt_status tfg_rt_depthwise_conv2d_s8(const tfg_rt_dw_params *dp, const tfg_rt_requant *rq,
                                         const tfg_rt_dims *in, const int8_t *input,
                                         const tfg_rt_dims *filter, const int8_t *weights,
                                         const int32_t *bias, const tfg_rt_dims *out,
                                         int8_t *output, const tfg_rt_scratch *scratch)
{
    const tfg_rt_conv_params *p;
    tfg_rt_status st;
    int32_t b, oy, ox, oc;
    (void)scratch;
    if (!dp || !input || !weights || !output)
        return TFG_RT_EPARAM;
    st = dw_check(dp, rq, in, filter, out);
    if (st != TFG_RT_OK)
        return st;
    p = &dp->conv;
    for (b = 0; b < out->n; b++)
        for (oy = 0; oy < out->h; oy++)
            for (ox = 0; ox < out->w; ox++)
                for (oc = 0; oc < out->c; oc++) {
                    int32_t acc = dw_cell(p, in, input, filter, weights, b,
                                          oy * p->stride_h - p->pad_h,
                                          ox * p->stride_w - p->pad_w,
                                          oc / dp->depth_multiplier, oc);
                    if (bias)
                        acc = tfg_rt_add_wrap(acc, bias[oc]);
                    acc = tfg_rt_add_wrap(tfg_rt_rq_apply(rq, oc, acc), p->output_zero_point);
                    output[tfg_rt_offset(out, b, oy, ox, oc)] =
                        (int8_t)tfg_rt_clamp(acc, p->act_min, p->act_max);
                }
    return TFG_RT_OK;
}
