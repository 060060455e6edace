/* op_depthwise.c — DEPTHWISE_CONV_2D: everything about it in one place (op.h).
 *
 * prepare: the shared conv part (conv_common.c, filter quantized along dimension 3),
 * then the depth multiplier against the channels; eval and emit: one call of the
 * kernel the step names (tfg_rt_depthwise_conv2d_s8 for the reference); planning: the
 * runtime's scratch size and the raster-order in-place lag; the DSP 3x3 variant
 * (choose). */
#include "lower/op.h"

static tfg_status prepare(const tfg_lower_prep *c)
{
    tfg_lower_step *s = c->s;
    tfg_status st = tfg_lower_prep_conv_like(c, true, &s->p.dw.conv);
    if (st)
        return st;
    int32_t dm = c->op->opt.depth_multiplier;
    s->p.dw.depth_multiplier = dm;
    if (s->dfilter.n != 1 || s->dfilter.c != s->dout.c || dm <= 0 ||
        (int64_t)s->din.c * dm != s->dout.c)
        return tfg_lower_fail(c, "filter [%d,%d,%d,%d] with depth multiplier %d does not fit "
                              "input channels %d and output channels %d", (int)s->dfilter.n,
                              (int)s->dfilter.h, (int)s->dfilter.w, (int)s->dfilter.c,
                              (int)dm, (int)s->din.c, (int)s->dout.c);
    return TFG_OK;
}

static tfg_rt_status eval(const tfg_lower_step *s, const void *x, const void *w, void *y)
{
    return tfg_rt_depthwise_conv2d_s8(&s->p.dw, &s->rq, &s->din, x, &s->dfilter, w, s->bias,
                                      &s->dout, y, NULL);
}

static void emit(const tfg_lower_step *s, const tfg_lower_emit *e)
{
    tfg_lower_emit_conv_like(s, e, true);
}

static size_t scratch(const tfg_tfl_subgraph *g, const tfg_tfl_op *op)
{
    tfg_rt_dims in, f;
    if (!tfg_lower_conv_dims(g, op, &in, &f))
        return 0;
    return tfg_rt_depthwise_conv2d_s8_scratch_size(&in, &f);
}

/* On a core with the DSP extension, a 3x3 filter with depth multiplier 1 and no
 * dilation runs runtime/depthwise_dsp.c: kernel sums folded (taps strided by the
 * channels), weights as they are, pixels in raster order (the in-place lag stays). */
static void choose(const tfg_lower_choice *c)
{
    tfg_lower_step *s = c->s;
    const tfg_rt_conv_params *p = &s->p.dw.conv;
    if (!c->dsp || s->p.dw.depth_multiplier != 1 || s->dfilter.h != 3 || s->dfilter.w != 3 ||
        p->dilation_h != 1 || p->dilation_w != 1 || !tfg_lower_dsp_requant_fits(s))
        return;
    tfg_lower_set_variant(c, "dsp_dw_3x3", "tfg_rt_depthwise_conv2d_3x3_s8_dsp",
                          tfg_rt_depthwise_conv2d_3x3_s8_dsp_scratch_size(&s->din,
                                                                          &s->dfilter),
                          s->dout.c, 9, 1, s->dout.c, p->input_zero_point,
                          TFG_LOWER_PACK_NONE);
}

const tfg_lower_op tfg_lower_op_depthwise_conv2d = {
    .builtin = TFG_TFL_DEPTHWISE_CONV_2D,
    .n_required = 2,
    .has_bias = true,
    .kernel = "tfg_rt_depthwise_conv2d_s8",
    .prepare = prepare,
    .eval = eval,
    .emit = emit,
    .scratch = scratch,
    .stream_lag = tfg_lower_conv_lag,
    .choose = choose,
};
