/* conv_common.c — what CONV_2D and DEPTHWISE_CONV_2D share (op.h): their prepare up to
 * the filter shape, and the in-place lag of their raster-order kernels.
 *
 * Prepare follows TFLite Micro's conv_common.cc / depthwise_conv_common.cc: padding
 * from ComputePaddingHeightWidth with the op's dilation, per-channel multipliers from
 * the double formula of PopulateConvolutionQuantizationParams, activation clamps from
 * CalculateActivationRangeQuantized. */
#include "lower/op.h"

tfg_status tfg_lower_prep_conv_like(const tfg_lower_prep *c, bool depthwise,
                                    tfg_rt_conv_params *p)
{
    tfg_lower_step *s = c->s;
    int32_t x = s->in[0], w = s->in[1], y = s->out;
    tfg_status st;
    if ((st = tfg_lower_need_type(c, x, "input", TFG_TFL_INT8)) ||
        (st = tfg_lower_need_type(c, w, "filter", TFG_TFL_INT8)) ||
        (st = tfg_lower_need_type(c, y, "output", TFG_TFL_INT8)) ||
        (st = tfg_lower_need_rank(c, x, "input", 4)) ||
        (st = tfg_lower_need_rank(c, w, "filter", 4)) ||
        (st = tfg_lower_need_rank(c, y, "output", 4)) ||
        (st = tfg_lower_need_const(c, w, "filter")))
        return st;
    s->din = tfg_lower_dims4(tfg_lower_tensor(c, x));
    s->dfilter = tfg_lower_dims4(tfg_lower_tensor(c, w));
    s->dout = tfg_lower_dims4(tfg_lower_tensor(c, y));
    const tfg_tfl_options *o = &c->op->opt;
    float in_s, out_s;
    int32_t in_zp, out_zp, oc = s->dout.c;
    if ((st = tfg_lower_need_quant(c, x, "input", &in_s, &in_zp)) ||
        (st = tfg_lower_need_quant(c, y, "output", &out_s, &out_zp)) ||
        (st = tfg_lower_need_filter_quant(c, w, depthwise ? 3 : 0, oc, false)) ||
        (st = tfg_lower_spatial(c, "height", s->din.h, s->dfilter.h, o->stride_h,
                                o->dilation_h, s->dout.h, &p->pad_h)) ||
        (st = tfg_lower_spatial(c, "width", s->din.w, s->dfilter.w, o->stride_w,
                                o->dilation_w, s->dout.w, &p->pad_w)) ||
        (st = tfg_lower_take_bias(c, oc)))
        return st;
    if (s->din.n != s->dout.n)
        return tfg_lower_fail(c, "input batch %d differs from output batch %d",
                              (int)s->din.n, (int)s->dout.n);
    p->input_zero_point = in_zp;
    p->output_zero_point = out_zp;
    p->stride_h = o->stride_h;
    p->stride_w = o->stride_w;
    p->dilation_h = o->dilation_h;
    p->dilation_w = o->dilation_w;
    tfg_lower_alloc_requant(s, oc);
    const tfg_tfl_tensor *f = tfg_lower_tensor(c, w);
    tfg_rt_status rs = tfg_rt_conv_multipliers(in_s, f->scale, (int32_t)f->n_scale, out_s, oc,
                                               s->multiplier, s->shift);
    if (rs)
        return tfg_lower_rt_fail(c, rs, "the per-channel multipliers");
    return tfg_lower_fused_range(c, out_s, out_zp, &p->act_min, &p->act_max);
}

bool tfg_lower_conv_dims(const tfg_tfl_subgraph *g, const tfg_tfl_op *op, tfg_rt_dims *in,
                         tfg_rt_dims *filter)
{
    if (op->n_inputs < 2 || op->inputs[0] < 0 || op->inputs[1] < 0)
        return false;
    const tfg_tfl_tensor *x = &g->tensors[op->inputs[0]], *w = &g->tensors[op->inputs[1]];
    if (x->rank != 4 || w->rank != 4)
        return false;
    *in = tfg_lower_dims4(x);
    *filter = tfg_lower_dims4(w);
    return true;
}

/* The most bytes a raster-order kernel (pixel after pixel, all channels of a pixel
 * before the next, as runtime/conv.c and depthwise.c run) has written ahead of the
 * first input byte that it or a later pixel still reads. The window of output pixel q
 * starts at input row q_y*stride - pad, column q_x*stride - pad; clamping it into the
 * input can only move that start earlier, which makes the lag larger (safer). */
static int64_t stream_lag(const int32_t in[2], int64_t in_px, const int32_t out[2],
                          int64_t out_px, const int32_t stride[2], const int32_t pad[2])
{
    int64_t lag = 0, need = INT64_MAX;
    for (int64_t q = (int64_t)out[0] * out[1] - 1; q >= 0; q--) {
        int64_t y0 = (q / out[1]) * stride[0] - pad[0], x0 = (q % out[1]) * stride[1] - pad[1];
        y0 = y0 < 0 ? 0 : y0 >= in[0] ? in[0] - 1 : y0;
        x0 = x0 < 0 ? 0 : x0 >= in[1] ? in[1] - 1 : x0;
        if (y0 * in[1] + x0 < need)
            need = y0 * in[1] + x0;
        if ((q + 1) * out_px - need * in_px > lag)
            lag = (q + 1) * out_px - need * in_px;
    }
    return lag;
}

/* Bytes per pixel of an NHWC batch-1 tensor, 0 when it is not one. */
static int64_t pixel_bytes(const tfg_tfl_tensor *t)
{
    if (t->rank != 4 || t->shape[0] != 1 || t->elems <= 0 || t->bytes % (size_t)t->elems)
        return 0;
    return (int64_t)(t->bytes / (size_t)t->elems) * t->shape[3];
}

int64_t tfg_lower_conv_lag(const tfg_tfl_subgraph *g, const tfg_tfl_op *op, size_t k)
{
    if (k != 0 || op->n_inputs < 2 || op->n_outputs != 1 || op->inputs[0] < 0 ||
        op->inputs[1] < 0)
        return -1;
    const tfg_tfl_tensor *x = &g->tensors[op->inputs[0]], *w = &g->tensors[op->inputs[1]];
    const tfg_tfl_tensor *y = &g->tensors[op->outputs[0]];
    int64_t in_px = pixel_bytes(x), out_px = pixel_bytes(y);
    if (!in_px || !out_px || w->rank != 4)
        return -1;
    tfg_rt_padding mode = op->opt.padding == TFG_TFL_PAD_SAME ? TFG_RT_PAD_SAME
                                                               : TFG_RT_PAD_VALID;
    int32_t in[2] = {x->shape[1], x->shape[2]}, out[2] = {y->shape[1], y->shape[2]};
    int32_t stride[2] = {op->opt.stride_h, op->opt.stride_w}, pad[2], size[2];
    if (tfg_rt_compute_padding(mode, in[0], w->shape[1], stride[0], op->opt.dilation_h,
                               &size[0], &pad[0]) != TFG_RT_OK ||
        tfg_rt_compute_padding(mode, in[1], w->shape[2], stride[1], op->opt.dilation_w,
                               &size[1], &pad[1]) != TFG_RT_OK ||
        size[0] != out[0] || size[1] != out[1] || in[0] <= 0 || in[1] <= 0)
        return -1;
    return stream_lag(in, in_px, out, out_px, stride, pad);
}
