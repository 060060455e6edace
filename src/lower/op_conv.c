/* op_conv.c — CONV_2D: everything about it in one place (op.h).
 *
 * prepare: the shared conv part (conv_common.c), then the filter's shape against the
 * input and output channels (grouped convolutions included); eval and emit: one call
 * of the kernel the step names (tfg_rt_conv2d_s8 for the reference); planning: the
 * runtime's scratch size and the raster-order in-place lag; the DSP variants (choose). */
#include <stdlib.h>

#include "core/alloc.h"
#include "lower/op.h"

static tfg_status prepare(const tfg_lower_prep *c)
{
    tfg_lower_step *s = c->s;
    tfg_status st = tfg_lower_prep_conv_like(c, false, &s->p.conv);
    if (st)
        return st;
    if (s->dfilter.n != s->dout.c || s->dfilter.c <= 0 || s->din.c % s->dfilter.c != 0 ||
        s->dout.c % (s->din.c / s->dfilter.c) != 0)
        return tfg_lower_fail(c, "filter [%d,%d,%d,%d] does not fit input channels %d and "
                              "output channels %d", (int)s->dfilter.n, (int)s->dfilter.h,
                              (int)s->dfilter.w, (int)s->dfilter.c, (int)s->din.c,
                              (int)s->dout.c);
    return TFG_OK;
}

static tfg_rt_status eval(const tfg_lower_step *s, const void *x, const void *w, void *y)
{
    return tfg_rt_conv2d_s8(&s->p.conv, &s->rq, &s->din, x, &s->dfilter, w, s->bias, &s->dout,
                            y, NULL);
}

/* The fields of a tfg_rt_conv_params initializer (DEPTHWISE_CONV_2D writes them too). */
static void put_conv_fields(tfg_buf *b, const tfg_rt_conv_params *p)
{
    tfg_buf_printf(b, ".input_zero_point = %ld, .output_zero_point = %ld, .stride_h = %ld, "
                   ".stride_w = %ld, .dilation_h = %ld, .dilation_w = %ld, .pad_h = %ld, "
                   ".pad_w = %ld, .act_min = %ld, .act_max = %ld",
                   (long)p->input_zero_point, (long)p->output_zero_point, (long)p->stride_h,
                   (long)p->stride_w, (long)p->dilation_h, (long)p->dilation_w,
                   (long)p->pad_h, (long)p->pad_w, (long)p->act_min, (long)p->act_max);
}

/* Shared with op_depthwise.c: the two differ only in the params struct around the
 * conv fields and in the kernel. */
void tfg_lower_emit_conv_like(const tfg_lower_step *s, const tfg_lower_emit *e, bool dw)
{
    const char *o = e->name;
    tfg_buf_printf(e->decl, "static const %s %s_params = {", dw ? "tfg_rt_dw_params" :
                   "tfg_rt_conv_params", o);
    if (dw)
        tfg_buf_printf(e->decl, "{");
    put_conv_fields(e->decl, dw ? &s->p.dw.conv : &s->p.conv);
    if (dw)
        tfg_buf_printf(e->decl, "}, %ld", (long)s->p.dw.depth_multiplier);
    tfg_buf_printf(e->decl, "};\n");
    *e->flash += dw ? sizeof s->p.dw : sizeof s->p.conv;
    tfg_lower_put_requant(e, s);
    tfg_lower_put_dims(e, "din", &s->din);
    tfg_lower_put_dims(e, "dfilter", &s->dfilter);
    tfg_lower_put_dims(e, "dout", &s->dout);
    char *bias = tfg_lower_put_bias(e, s, s->dout.c);
    char *call = tfg_xasprintf("%s(&%s_params, &%s_requant, &%s_din, %s, &%s_dfilter, %s, "
                               "%s, &%s_dout, %s, %s)", s->kernel, o, o, o, e->x, o, e->w,
                               bias, o, e->y, e->scratch);
    tfg_lower_put_call(e, s, call);
    free(call);
    free(bias);
}

static void emit(const tfg_lower_step *s, const tfg_lower_emit *e)
{
    tfg_lower_emit_conv_like(s, e, false);
}

static size_t scratch(const tfg_tfl_subgraph *g, const tfg_tfl_op *op)
{
    tfg_rt_dims in, f;
    return tfg_lower_conv_dims(g, op, &in, &f) ? tfg_rt_conv2d_s8_scratch_size(&in, &f) : 0;
}

/* On a core with the DSP extension, an ungrouped convolution runs the DSP GEMM
 * (runtime/gemm_dsp.c), four pixels at a time: the pixels themselves for a 1x1 filter
 * without padding, else their windows (im2col), widened into the scratch. Kernel sums
 * folded, weight rows padded to words; both write pixels in raster order, each block
 * after its inputs are read, so the reference's in-place lag stays. */
static void choose(const tfg_lower_choice *c)
{
    tfg_lower_step *s = c->s;
    const tfg_rt_conv_params *p = &s->p.conv;
    if (!c->dsp || s->din.c != s->dfilter.c || !tfg_lower_dsp_requant_fits(s))
        return;
    int32_t depth = s->dfilter.h * s->dfilter.w * s->dfilter.c;
    if (s->dfilter.h == 1 && s->dfilter.w == 1 && p->pad_h == 0 && p->pad_w == 0)
        tfg_lower_set_variant(c, "dsp_conv_1x1", "tfg_rt_conv2d_1x1_s8_dsp",
                              tfg_rt_conv2d_1x1_s8_dsp_scratch_size(&s->din, &s->dfilter),
                              s->dout.c, depth, depth, 1, p->input_zero_point,
                              TFG_LOWER_PACK_PADDED);
    else
        tfg_lower_set_variant(c, "dsp_conv_im2col", "tfg_rt_conv2d_s8_dsp",
                              tfg_rt_conv2d_s8_dsp_scratch_size(&s->din, &s->dfilter),
                              s->dout.c, depth, depth, 1, p->input_zero_point,
                              TFG_LOWER_PACK_PADDED);
}

const tfg_lower_op tfg_lower_op_conv2d = {
    .builtin = TFG_TFL_CONV_2D,
    .n_required = 2,
    .has_bias = true,
    .kernel = "tfg_rt_conv2d_s8",
    .prepare = prepare,
    .eval = eval,
    .emit = emit,
    .scratch = scratch,
    .stream_lag = tfg_lower_conv_lag,
    .choose = choose,
};
