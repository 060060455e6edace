/* op_fc.c — FULLY_CONNECTED: everything about it in one place (op.h).
 *
 * Batches are the input's elements over the filter's input depth (so keep_num_dims
 * only changes the recorded output shape, not the computation). The multiplier
 * follows TFLite: per tensor, the float product of the scales then double
 * (GetQuantizedConvolutionMultipler); per channel, the conv formula. Fully connected
 * layers read the whole input for every output, so they never stream in place. On a
 * core with the DSP extension a symmetric filter runs the DSP GEMM (choose). */
#include <stdlib.h>

#include "core/alloc.h"
#include "lower/op.h"

static tfg_status prep_shapes(const tfg_lower_prep *c, int32_t x, int32_t w, int32_t y)
{
    tfg_lower_step *s = c->s;
    const tfg_tfl_tensor *f = tfg_lower_tensor(c, w);
    s->fc.out_features = f->shape[0];
    s->fc.in_features = f->shape[1];
    int64_t in_elems = tfg_lower_tensor(c, x)->elems;
    if (s->fc.in_features <= 0 || s->fc.out_features <= 0 || in_elems % s->fc.in_features)
        return tfg_lower_fail(c, "input (tensor %d) of %lld elements is not a whole number of "
                              "rows of the filter's %d inputs", (int)x, (long long)in_elems,
                              (int)s->fc.in_features);
    s->fc.batches = (int32_t)(in_elems / s->fc.in_features);
    if (tfg_lower_tensor(c, y)->elems != (int64_t)s->fc.batches * s->fc.out_features)
        return tfg_lower_fail(c, "output (tensor %d) has %lld elements, expected %d batches x "
                              "%d", (int)y, (long long)tfg_lower_tensor(c, y)->elems,
                              (int)s->fc.batches, (int)s->fc.out_features);
    if (c->op->opt.weights_format != 0)
        return tfg_lower_fail(c, "weights format %d is not supported; supported: DEFAULT (0)",
                              (int)c->op->opt.weights_format);
    return TFG_OK;
}

static tfg_status prepare(const tfg_lower_prep *c)
{
    tfg_lower_step *s = c->s;
    int32_t x = s->in[0], w = s->in[1], y = s->out;
    float in_s, out_s;
    int32_t in_zp, out_zp;
    tfg_status st;
    if ((st = tfg_lower_need_type(c, x, "input", TFG_TFL_INT8)) ||
        (st = tfg_lower_need_type(c, w, "filter", TFG_TFL_INT8)) ||
        (st = tfg_lower_need_type(c, y, "output", TFG_TFL_INT8)) ||
        (st = tfg_lower_need_rank(c, w, "filter", 2)) ||
        (st = tfg_lower_need_const(c, w, "filter")) || (st = prep_shapes(c, x, w, y)) ||
        (st = tfg_lower_need_quant(c, x, "input", &in_s, &in_zp)) ||
        (st = tfg_lower_need_quant(c, y, "output", &out_s, &out_zp)) ||
        (st = tfg_lower_need_filter_quant(c, w, 0, s->fc.out_features, true)) ||
        (st = tfg_lower_take_bias(c, s->fc.out_features)))
        return st;
    const tfg_tfl_tensor *f = tfg_lower_tensor(c, w);
    tfg_rt_status rs;
    s->p.fc.input_zero_point = in_zp;
    s->p.fc.output_zero_point = out_zp;
    if (f->n_scale == 1) {
        tfg_lower_alloc_requant(s, 1);
        s->p.fc.filter_zero_point = (int32_t)tfg_lower_zero_point(f, 0);
        rs = tfg_rt_fc_multiplier(in_s, f->scale[0], out_s, s->multiplier, s->shift);
    } else {
        tfg_lower_alloc_requant(s, s->fc.out_features);
        s->p.fc.filter_zero_point = 0;
        rs = tfg_rt_conv_multipliers(in_s, f->scale, (int32_t)f->n_scale, out_s,
                                     s->fc.out_features, s->multiplier, s->shift);
    }
    if (rs)
        return tfg_lower_rt_fail(c, rs, "the output multiplier");
    return tfg_lower_fused_range(c, out_s, out_zp, &s->p.fc.act_min, &s->p.fc.act_max);
}

static tfg_rt_status eval(const tfg_lower_step *s, const void *x, const void *w, void *y)
{
    return tfg_rt_fully_connected_s8(&s->p.fc, &s->rq, &s->fc, x, w, s->bias, y, NULL);
}

static void emit(const tfg_lower_step *s, const tfg_lower_emit *e)
{
    const char *o = e->name;
    const tfg_rt_fc_params *p = &s->p.fc;
    tfg_buf_printf(e->decl, "static const tfg_rt_fc_params %s_params = {.input_zero_point = "
                   "%ld, .filter_zero_point = %ld, .output_zero_point = %ld, .act_min = %ld, "
                   ".act_max = %ld};\n", o, (long)p->input_zero_point,
                   (long)p->filter_zero_point, (long)p->output_zero_point, (long)p->act_min,
                   (long)p->act_max);
    tfg_buf_printf(e->decl, "static const tfg_rt_fc_dims %s_dims = {%ld, %ld, %ld};\n", o,
                   (long)s->fc.batches, (long)s->fc.in_features, (long)s->fc.out_features);
    *e->flash += sizeof *p + sizeof s->fc;
    tfg_lower_put_requant(e, s);
    char *bias = tfg_lower_put_bias(e, s, s->fc.out_features);
    char *call = tfg_xasprintf("%s(&%s_params, &%s_requant, &%s_dims, %s, %s, %s, %s, %s)",
                               s->kernel, o, o, o, e->x, e->w, bias, e->y, e->scratch);
    tfg_lower_put_call(e, s, call);
    free(call);
    free(bias);
}

/* From the raw op, so the planner has it without prepare (0 when the shapes are not as
 * expected: prepare or the kernel refuses them). */
static size_t scratch(const tfg_tfl_subgraph *g, const tfg_tfl_op *op)
{
    if (op->n_inputs < 2 || op->inputs[0] < 0 || op->inputs[1] < 0)
        return 0;
    const tfg_tfl_tensor *x = &g->tensors[op->inputs[0]], *w = &g->tensors[op->inputs[1]];
    if (w->rank != 2 || w->shape[1] <= 0)
        return 0;
    tfg_rt_fc_dims d = {(int32_t)(x->elems / w->shape[1]), w->shape[1], w->shape[0]};
    return tfg_rt_fully_connected_s8_scratch_size(&d);
}

/* The DSP GEMM (runtime/gemm_dsp.c) for a symmetric filter: kernel sums folded and the
 * weights interleaved by four rows. */
static void choose(const tfg_lower_choice *c)
{
    tfg_lower_step *s = c->s;
    if (!c->dsp || s->p.fc.filter_zero_point != 0 || !tfg_lower_dsp_requant_fits(s))
        return;
    int32_t depth = s->fc.in_features;
    tfg_lower_set_variant(c, "dsp_fc", "tfg_rt_fully_connected_s8_dsp",
                          tfg_rt_fully_connected_s8_dsp_scratch_size(&s->fc),
                          s->fc.out_features, depth, depth, 1, s->p.fc.input_zero_point,
                          TFG_LOWER_PACK_ROWS4);
}

const tfg_lower_op tfg_lower_op_fully_connected = {
    .builtin = TFG_TFL_FULLY_CONNECTED,
    .n_required = 2,
    .has_bias = true,
    .kernel = "tfg_rt_fully_connected_s8",
    .prepare = prepare,
    .eval = eval,
    .emit = emit,
    .scratch = scratch,
    .choose = choose,
};
