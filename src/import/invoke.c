/* invoke.c — the in-process interpreter of int8 .tflite models (invoke.h).
 *
 * Prepare (tfg_tflite_runner_new) follows what TFLite Micro computes in each kernel's
 * Prepare (in the micro/kernels/ *_common.cc files): padding from
 * ComputePaddingHeightWidth with the op's dilation (1 for pooling), per-channel
 * multipliers from the double formula of PopulateConvolutionQuantizationParams, the
 * per-tensor FULLY_CONNECTED multiplier from the float product of the two scales
 * (GetQuantizedConvolutionMultipler), activation clamps from
 * CalculateActivationRangeQuantized, softmax scaling from beta. The helpers
 * that do the arithmetic live in runtime/multiplier.c and padding.c; this file decides
 * which numbers go into them and checks that the model is one the kernels can run, so
 * that invoke is nothing but kernel calls. Every check names the operator, because a
 * user fixing a model needs to know which layer is wrong. */
#include "import/invoke.h"
#include "import/invoke_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "tfg_runtime.h"

#define TYPES_SUPPORTED                                                                    \
    "supported: int8 activations and weights, int32 bias, float32 only into QUANTIZE and " \
    "out of DEQUANTIZE"

/* One prepared operator (invoke_internal.h: the code generator reads them too). */
typedef tfg_tflite_step step;

struct tfg_tflite_runner {
    const tfg_tflite *m;
    const tfg_tfl_subgraph *g;
    const uint8_t **view;      /* per tensor: its bytes (constant or owned), or NULL */
    uint8_t **own;             /* per tensor: the buffer this runner allocated, or NULL */
    step *steps;
    size_t n_steps;
    int32_t input, output;
};

/* What prepare of one operator works on. */
typedef struct {
    tfg_tflite_runner *r;
    const tfg_tfl_op *op;
    step *s;
    tfg_err *err;
} prep;

/* ---- messages and small checks ----------------------------------------------------- */

static tfg_status op_fail(const prep *c, const char *fmt, ...) TFG_PRINTF(2, 3);

static tfg_status op_fail(const prep *c, const char *fmt, ...)
{
    char what[TFG_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return tfg_err_set(c->err, TFG_EINPUT, "%s: operators[%zu] (%s): %s", c->r->m->name,
                       c->s->index, tfg_tflite_op_name(c->op->builtin), what);
}

static const tfg_tfl_tensor *tensor(const prep *c, int32_t t)
{
    return &c->r->g->tensors[t];
}

static bool is_const(const tfg_tflite_runner *r, int32_t t)
{
    uint32_t b = r->g->tensors[t].buffer;
    return b < r->m->n_buffers && r->m->buffers[b].len > 0;
}

/* Input k of the op, which must be there; role names it in messages. */
static tfg_status need_input(const prep *c, size_t k, const char *role, int32_t *t)
{
    if (k >= c->op->n_inputs || c->op->inputs[k] < 0)
        return op_fail(c, "has no %s (input %zu)", role, k);
    *t = c->op->inputs[k];
    return TFG_OK;
}

static tfg_status need_type(const prep *c, int32_t t, const char *role, int32_t type)
{
    const tfg_tfl_tensor *x = tensor(c, t);
    if (x->type != type)
        return op_fail(c, "%s (tensor %d) is %s, expected %s; " TYPES_SUPPORTED, role, (int)t,
                       tfg_tflite_type_name(x->type), tfg_tflite_type_name(type));
    return TFG_OK;
}

static tfg_status need_rank(const prep *c, int32_t t, const char *role, size_t rank)
{
    const tfg_tfl_tensor *x = tensor(c, t);
    if (x->rank != rank)
        return op_fail(c, "%s (tensor %d) has %zu dimensions, expected %zu", role, (int)t,
                       x->rank, rank);
    return TFG_OK;
}

static tfg_status need_const(const prep *c, int32_t t, const char *role)
{
    if (!is_const(c->r, t))
        return op_fail(c, "%s (tensor %d) has no constant data; only constant weights and "
                       "biases are supported", role, (int)t);
    return TFG_OK;
}

/* The zero point of a quantized tensor (0 when the model leaves it out). */
static int64_t zero_point_of(const tfg_tfl_tensor *x, size_t k)
{
    return k < x->n_zero_point ? x->zero_point[k] : 0;
}

static tfg_status check_scale(const prep *c, int32_t t, const char *role, float s)
{
    if (!(s > 0.0f) || !isfinite(s))
        return op_fail(c, "%s (tensor %d) has scale %g, expected a finite scale > 0", role,
                       (int)t, (double)s);
    return TFG_OK;
}

/* A per-tensor int8 quantization: one scale > 0, zero point within int8. */
static tfg_status need_quant(const prep *c, int32_t t, const char *role, float *scale,
                             int32_t *zp)
{
    const tfg_tfl_tensor *x = tensor(c, t);
    if (x->n_scale != 1)
        return op_fail(c, "%s (tensor %d) has %zu quantization scales, expected one "
                       "(per-tensor int8)", role, (int)t, x->n_scale);
    int64_t z = zero_point_of(x, 0);
    if (z < INT8_MIN || z > INT8_MAX)
        return op_fail(c, "%s (tensor %d) has zero point %lld, outside int8", role, (int)t,
                       (long long)z);
    *scale = x->scale[0];
    *zp = (int32_t)z;
    return check_scale(c, t, role, *scale);
}

/* Weights quantized per tensor or per channel along dimension dim (channels of them),
 * symmetric (zero points 0) as TFLite's int8 kernels without a filter offset assume. */
static tfg_status need_filter_quant(const prep *c, int32_t t, int32_t dim, int32_t channels,
                                    bool allow_zp)
{
    const tfg_tfl_tensor *x = tensor(c, t);
    if (x->n_scale != 1 && x->n_scale != (size_t)channels)
        return op_fail(c, "filter (tensor %d) has %zu quantization scales, expected 1 or one "
                       "per output channel (%d)", (int)t, x->n_scale, (int)channels);
    if (x->n_scale > 1 && x->quantized_dimension != dim)
        return op_fail(c, "filter (tensor %d) is quantized along dimension %d, expected %d",
                       (int)t, (int)x->quantized_dimension, (int)dim);
    for (size_t k = 0; k < x->n_scale; k++) {
        tfg_status st = check_scale(c, t, "filter", x->scale[k]);
        if (st)
            return st;
    }
    bool per_tensor_zp_ok = allow_zp && x->n_scale == 1;
    for (size_t k = 0; k < x->n_zero_point; k++) {
        int64_t z = x->zero_point[k];
        if (z != 0 && !(per_tensor_zp_ok && z >= INT8_MIN && z <= INT8_MAX))
            return op_fail(c, "filter (tensor %d) has zero point %lld at channel %zu, "
                           "expected 0 (symmetric int8 weights)", (int)t, (long long)z, k);
    }
    return TFG_OK;
}

static tfg_status need_same_elems(const prep *c, int32_t a, int32_t b)
{
    if (tensor(c, a)->elems != tensor(c, b)->elems)
        return op_fail(c, "input (tensor %d) has %lld elements but output (tensor %d) has "
                       "%lld", (int)a, (long long)tensor(c, a)->elems, (int)b,
                       (long long)tensor(c, b)->elems);
    return TFG_OK;
}

static tfg_status rt_fail(const prep *c, tfg_rt_status rs, const char *what)
{
    return op_fail(c, "%s failed (%s)", what, tfg_rt_status_name(rs));
}

/* The op's fused activation in the runtime's terms. */
static tfg_status activation_of(const prep *c, tfg_rt_act *a)
{
    switch (c->op->opt.activation) {
    case TFG_TFL_ACT_NONE: *a = TFG_RT_ACT_NONE; return TFG_OK;
    case TFG_TFL_ACT_RELU: *a = TFG_RT_ACT_RELU; return TFG_OK;
    case TFG_TFL_ACT_RELU6: *a = TFG_RT_ACT_RELU6; return TFG_OK;
    case TFG_TFL_ACT_RELU_N1_TO_1: *a = TFG_RT_ACT_RELU_N1_TO_1; return TFG_OK;
    default:
        return op_fail(c, "fused activation %s is not supported; supported: NONE, RELU, "
                       "RELU6, RELU_N1_TO_1",
                       tfg_tflite_activation_name(c->op->opt.activation));
    }
}

static tfg_status fused_activation(const prep *c, float out_scale, int32_t out_zp,
                                   int32_t *lo, int32_t *hi)
{
    tfg_rt_act a = TFG_RT_ACT_NONE;
    tfg_status st = activation_of(c, &a);
    if (st)
        return st;
    tfg_rt_status rs = tfg_rt_activation_range(a, out_scale, out_zp, lo, hi);
    return rs ? rt_fail(c, rs, "the fused activation range") : TFG_OK;
}

static tfg_rt_dims dims4(const tfg_tfl_tensor *x)
{
    return (tfg_rt_dims){x->shape[0], x->shape[1], x->shape[2], x->shape[3]};
}

/* An int32 bias of `channels` values, copied so the kernels read aligned int32 (the
 * model's bytes are little-endian, as is every host tinyforge runs on). */
static tfg_status take_bias(const prep *c, int32_t channels)
{
    int32_t b = c->s->in[2];
    if (b < 0)
        return TFG_OK;
    tfg_status st;
    if ((st = need_type(c, b, "bias", TFG_TFL_INT32)) || (st = need_const(c, b, "bias")))
        return st;
    if (tensor(c, b)->elems != channels)
        return op_fail(c, "bias (tensor %d) has %lld values, expected one per output channel "
                       "(%d)", (int)b, (long long)tensor(c, b)->elems, (int)channels);
    c->s->bias = tfg_xcalloc((size_t)channels, sizeof *c->s->bias);
    memcpy(c->s->bias, c->r->view[b], (size_t)channels * sizeof *c->s->bias);
    return TFG_OK;
}

static void alloc_requant(step *s, int32_t count)
{
    s->multiplier = tfg_xcalloc((size_t)count, sizeof *s->multiplier);
    s->shift = tfg_xcalloc((size_t)count, sizeof *s->shift);
    s->rq = (tfg_rt_requant){s->multiplier, s->shift, count};
}

/* ---- prepare, one function per op -------------------------------------------------- */

/* Output size and leading padding of one spatial dimension, checked against the
 * output tensor (TFLM trusts the converter; a wrong shape here would write out of
 * bounds). */
static tfg_status spatial(const prep *c, const char *axis, int32_t in, int32_t filter,
                          int32_t stride, int32_t dilation, int32_t out, int32_t *pad)
{
    int32_t n;
    tfg_rt_padding pd = c->op->opt.padding == TFG_TFL_PAD_SAME ? TFG_RT_PAD_SAME
                                                                : TFG_RT_PAD_VALID;
    tfg_rt_status rs = tfg_rt_compute_padding(pd, in, filter, stride, dilation, &n, pad);
    if (rs)
        return op_fail(c, "%s: a window of %d (dilation %d) does not fit an input of %d "
                       "with %s padding", axis, (int)filter, (int)dilation, (int)in,
                       pd == TFG_RT_PAD_SAME ? "SAME" : "VALID");
    if (n != out)
        return op_fail(c, "%s: the output is %d but input %d, window %d, stride %d give %d",
                       axis, (int)out, (int)in, (int)filter, (int)stride, (int)n);
    return TFG_OK;
}

/* The common part of CONV_2D and DEPTHWISE_CONV_2D: tensors, quantization, padding,
 * multipliers, bias, activation. */
static tfg_status prep_conv_like(const prep *c, bool depthwise, tfg_rt_conv_params *p)
{
    step *s = c->s;
    int32_t x = s->in[0], w = s->in[1], y = s->out;
    tfg_status st;
    if ((st = need_type(c, x, "input", TFG_TFL_INT8)) ||
        (st = need_type(c, w, "filter", TFG_TFL_INT8)) ||
        (st = need_type(c, y, "output", TFG_TFL_INT8)) || (st = need_rank(c, x, "input", 4)) ||
        (st = need_rank(c, w, "filter", 4)) || (st = need_rank(c, y, "output", 4)) ||
        (st = need_const(c, w, "filter")))
        return st;
    s->din = dims4(tensor(c, x));
    s->dfilter = dims4(tensor(c, w));
    s->dout = dims4(tensor(c, y));
    const tfg_tfl_options *o = &c->op->opt;
    float in_s, out_s;
    int32_t in_zp, out_zp, oc = s->dout.c;
    if ((st = need_quant(c, x, "input", &in_s, &in_zp)) ||
        (st = need_quant(c, y, "output", &out_s, &out_zp)) ||
        (st = need_filter_quant(c, w, depthwise ? 3 : 0, oc, false)) ||
        (st = spatial(c, "height", s->din.h, s->dfilter.h, o->stride_h, o->dilation_h,
                      s->dout.h, &p->pad_h)) ||
        (st = spatial(c, "width", s->din.w, s->dfilter.w, o->stride_w, o->dilation_w,
                      s->dout.w, &p->pad_w)) ||
        (st = take_bias(c, oc)))
        return st;
    if (s->din.n != s->dout.n)
        return op_fail(c, "input batch %d differs from output batch %d", (int)s->din.n,
                       (int)s->dout.n);
    p->input_zero_point = in_zp;
    p->output_zero_point = out_zp;
    p->stride_h = o->stride_h;
    p->stride_w = o->stride_w;
    p->dilation_h = o->dilation_h;
    p->dilation_w = o->dilation_w;
    alloc_requant(c->s, oc);
    const tfg_tfl_tensor *f = tensor(c, w);
    tfg_rt_status rs = tfg_rt_conv_multipliers(in_s, f->scale, (int32_t)f->n_scale, out_s, oc,
                                               s->multiplier, s->shift);
    if (rs)
        return rt_fail(c, rs, "the per-channel multipliers");
    return fused_activation(c, out_s, out_zp, &p->act_min, &p->act_max);
}

static tfg_status prep_conv(const prep *c)
{
    step *s = c->s;
    tfg_status st = prep_conv_like(c, false, &s->p.conv);
    if (st)
        return st;
    if (s->dfilter.n != s->dout.c || s->dfilter.c <= 0 || s->din.c % s->dfilter.c != 0 ||
        s->dout.c % (s->din.c / s->dfilter.c) != 0)
        return op_fail(c, "filter [%d,%d,%d,%d] does not fit input channels %d and output "
                       "channels %d", (int)s->dfilter.n, (int)s->dfilter.h, (int)s->dfilter.w,
                       (int)s->dfilter.c, (int)s->din.c, (int)s->dout.c);
    return TFG_OK;
}

static tfg_status prep_depthwise(const prep *c)
{
    step *s = c->s;
    tfg_status st = prep_conv_like(c, true, &s->p.dw.conv);
    if (st)
        return st;
    int32_t dm = c->op->opt.depth_multiplier;
    s->p.dw.depth_multiplier = dm;
    if (s->dfilter.n != 1 || s->dfilter.c != s->dout.c || dm <= 0 ||
        (int64_t)s->din.c * dm != s->dout.c)
        return op_fail(c, "filter [%d,%d,%d,%d] with depth multiplier %d does not fit input "
                       "channels %d and output channels %d", (int)s->dfilter.n,
                       (int)s->dfilter.h, (int)s->dfilter.w, (int)s->dfilter.c, (int)dm,
                       (int)s->din.c, (int)s->dout.c);
    return TFG_OK;
}

/* FULLY_CONNECTED: batches are the input's elements over the filter's input depth (so
 * keep_num_dims only changes the recorded output shape, not the computation). */
static tfg_status prep_fc_shapes(const prep *c, int32_t x, int32_t w, int32_t y)
{
    step *s = c->s;
    const tfg_tfl_tensor *f = tensor(c, w);
    s->fc.out_features = f->shape[0];
    s->fc.in_features = f->shape[1];
    int64_t in_elems = tensor(c, x)->elems;
    if (s->fc.in_features <= 0 || s->fc.out_features <= 0 || in_elems % s->fc.in_features)
        return op_fail(c, "input (tensor %d) of %lld elements is not a whole number of rows "
                       "of the filter's %d inputs", (int)x, (long long)in_elems,
                       (int)s->fc.in_features);
    s->fc.batches = (int32_t)(in_elems / s->fc.in_features);
    if (tensor(c, y)->elems != (int64_t)s->fc.batches * s->fc.out_features)
        return op_fail(c, "output (tensor %d) has %lld elements, expected %d batches x %d",
                       (int)y, (long long)tensor(c, y)->elems, (int)s->fc.batches,
                       (int)s->fc.out_features);
    if (c->op->opt.weights_format != 0)
        return op_fail(c, "weights format %d is not supported; supported: DEFAULT (0)",
                       (int)c->op->opt.weights_format);
    return TFG_OK;
}

static tfg_status prep_fc(const prep *c)
{
    step *s = c->s;
    int32_t x = s->in[0], w = s->in[1], y = s->out;
    float in_s, out_s;
    int32_t in_zp, out_zp;
    tfg_status st;
    if ((st = need_type(c, x, "input", TFG_TFL_INT8)) ||
        (st = need_type(c, w, "filter", TFG_TFL_INT8)) ||
        (st = need_type(c, y, "output", TFG_TFL_INT8)) ||
        (st = need_rank(c, w, "filter", 2)) || (st = need_const(c, w, "filter")) ||
        (st = prep_fc_shapes(c, x, w, y)) ||
        (st = need_quant(c, x, "input", &in_s, &in_zp)) ||
        (st = need_quant(c, y, "output", &out_s, &out_zp)) ||
        (st = need_filter_quant(c, w, 0, s->fc.out_features, true)) ||
        (st = take_bias(c, s->fc.out_features)))
        return st;
    const tfg_tfl_tensor *f = tensor(c, w);
    tfg_rt_status rs;
    s->p.fc.input_zero_point = in_zp;
    s->p.fc.output_zero_point = out_zp;
    if (f->n_scale == 1) {
        /* TFLite's per-tensor path: the float product of the scales, then double. */
        alloc_requant(s, 1);
        s->p.fc.filter_zero_point = (int32_t)zero_point_of(f, 0);
        rs = tfg_rt_fc_multiplier(in_s, f->scale[0], out_s, s->multiplier, s->shift);
    } else {
        alloc_requant(s, s->fc.out_features);
        s->p.fc.filter_zero_point = 0;
        rs = tfg_rt_conv_multipliers(in_s, f->scale, (int32_t)f->n_scale, out_s,
                                     s->fc.out_features, s->multiplier, s->shift);
    }
    if (rs)
        return rt_fail(c, rs, "the output multiplier");
    return fused_activation(c, out_s, out_zp, &s->p.fc.act_min, &s->p.fc.act_max);
}

/* AVERAGE_POOL_2D and MAX_POOL_2D work on raw int8, so input and output must share
 * their quantization (the converter guarantees it; a model that breaks it would give
 * silently wrong numbers). */
static tfg_status prep_pool(const prep *c)
{
    step *s = c->s;
    int32_t x = s->in[0], y = s->out;
    float in_s, out_s;
    int32_t in_zp, out_zp;
    tfg_status st;
    if ((st = need_type(c, x, "input", TFG_TFL_INT8)) ||
        (st = need_type(c, y, "output", TFG_TFL_INT8)) || (st = need_rank(c, x, "input", 4)) ||
        (st = need_rank(c, y, "output", 4)) ||
        (st = need_quant(c, x, "input", &in_s, &in_zp)) ||
        (st = need_quant(c, y, "output", &out_s, &out_zp)))
        return st;
    if (in_s != out_s || in_zp != out_zp)
        return op_fail(c, "input quantization (%g, %d) differs from output (%g, %d); pooling "
                       "needs them equal", (double)in_s, (int)in_zp, (double)out_s,
                       (int)out_zp);
    s->din = dims4(tensor(c, x));
    s->dout = dims4(tensor(c, y));
    if (s->din.n != s->dout.n || s->din.c != s->dout.c)
        return op_fail(c, "input [%d,..,%d] and output [%d,..,%d] differ in batch or channels",
                       (int)s->din.n, (int)s->din.c, (int)s->dout.n, (int)s->dout.c);
    const tfg_tfl_options *o = &c->op->opt;
    tfg_rt_pool_params *p = &s->p.pool;
    p->filter_h = o->filter_h;
    p->filter_w = o->filter_w;
    p->stride_h = o->stride_h;
    p->stride_w = o->stride_w;
    if ((st = spatial(c, "height", s->din.h, o->filter_h, o->stride_h, 1, s->dout.h,
                      &p->pad_h)) ||
        (st = spatial(c, "width", s->din.w, o->filter_w, o->stride_w, 1, s->dout.w,
                      &p->pad_w)))
        return st;
    return fused_activation(c, out_s, out_zp, &p->act_min, &p->act_max);
}

/* ADD: elementwise, with one input allowed to be a single broadcast value. */
static tfg_status prep_add(const prep *c)
{
    step *s = c->s;
    int32_t a = s->in[0], b = s->in[1], y = s->out;
    float sa, sb, sy;
    int32_t za, zb, zy;
    tfg_status st;
    if ((st = need_type(c, a, "input 1", TFG_TFL_INT8)) ||
        (st = need_type(c, b, "input 2", TFG_TFL_INT8)) ||
        (st = need_type(c, y, "output", TFG_TFL_INT8)) ||
        (st = need_quant(c, a, "input 1", &sa, &za)) ||
        (st = need_quant(c, b, "input 2", &sb, &zb)) ||
        (st = need_quant(c, y, "output", &sy, &zy)))
        return st;
    s->size = (int32_t)tensor(c, y)->elems;
    s->n1 = (int32_t)tensor(c, a)->elems;
    s->n2 = (int32_t)tensor(c, b)->elems;
    if ((s->n1 != s->size && s->n1 != 1) || (s->n2 != s->size && s->n2 != 1))
        return op_fail(c, "inputs of %d and %d elements into an output of %d: only equal "
                       "shapes or a single broadcast value are supported", (int)s->n1,
                       (int)s->n2, (int)s->size);
    tfg_rt_act act = TFG_RT_ACT_NONE;
    if ((st = activation_of(c, &act)))
        return st;
    tfg_rt_status rs = tfg_rt_add_prepare(sa, za, sb, zb, sy, zy, act, &s->p.add);
    return rs ? rt_fail(c, rs, "preparing the scales") : TFG_OK;
}

/* Softmax, logistic and tanh have one output quantization that TFLite requires. */
static tfg_status need_fixed_output(const prep *c, float want_scale, int32_t want_zp)
{
    float sy;
    int32_t zy;
    tfg_status st = need_quant(c, c->s->out, "output", &sy, &zy);
    if (st)
        return st;
    if (zy != want_zp || fabs((double)sy - (double)want_scale) > 0.001 * (double)want_scale)
        return op_fail(c, "output (tensor %d) has scale %g and zero point %d, expected %g "
                       "and %d", (int)c->s->out, (double)sy, (int)zy, (double)want_scale,
                       (int)want_zp);
    return TFG_OK;
}

static tfg_status prep_unary_int8(const prep *c, float *in_s, int32_t *in_zp)
{
    int32_t x = c->s->in[0], y = c->s->out;
    tfg_status st;
    if ((st = need_type(c, x, "input", TFG_TFL_INT8)) ||
        (st = need_type(c, y, "output", TFG_TFL_INT8)) || (st = need_same_elems(c, x, y)) ||
        (st = need_quant(c, x, "input", in_s, in_zp)))
        return st;
    c->s->size = (int32_t)tensor(c, x)->elems;
    return TFG_OK;
}

static tfg_status prep_softmax(const prep *c)
{
    float in_s;
    int32_t in_zp;
    tfg_status st;
    if ((st = prep_unary_int8(c, &in_s, &in_zp)) ||
        (st = need_fixed_output(c, 1.0f / 256, -128)))
        return st;
    const tfg_tfl_tensor *x = tensor(c, c->s->in[0]);
    if (x->rank < 1 || x->shape[x->rank - 1] <= 0)
        return op_fail(c, "input (tensor %d) has no last dimension to take softmax over",
                       (int)c->s->in[0]);
    c->s->depth = x->shape[x->rank - 1];
    c->s->rows = (int32_t)(x->elems / c->s->depth);
    tfg_rt_status rs = tfg_rt_softmax_prepare(in_s, c->op->opt.beta, &c->s->p.softmax);
    return rs ? rt_fail(c, rs, "the softmax scaling (input scale x beta)") : TFG_OK;
}

static tfg_status prep_sigmoid_like(const prep *c, bool tanh_op)
{
    float in_s;
    int32_t in_zp;
    tfg_status st;
    if ((st = prep_unary_int8(c, &in_s, &in_zp)) ||
        (st = need_fixed_output(c, tanh_op ? 1.0f / 128 : 1.0f / 256, tanh_op ? 0 : -128)))
        return st;
    tfg_rt_status rs = tanh_op ? tfg_rt_tanh_prepare(in_s, in_zp, &c->s->p.logistic)
                               : tfg_rt_logistic_prepare(in_s, in_zp, &c->s->p.logistic);
    return rs ? rt_fail(c, rs, "the input scaling") : TFG_OK;
}

/* QUANTIZE float32 -> int8 and DEQUANTIZE int8 -> float32: the model's float edges. */
static tfg_status prep_edge(const prep *c, bool quantize)
{
    int32_t x = c->s->in[0], y = c->s->out, q = quantize ? y : x;
    tfg_status st;
    if ((st = need_type(c, x, "input", quantize ? TFG_TFL_FLOAT32 : TFG_TFL_INT8)) ||
        (st = need_type(c, y, "output", quantize ? TFG_TFL_INT8 : TFG_TFL_FLOAT32)) ||
        (st = need_same_elems(c, x, y)) ||
        (st = need_quant(c, q, quantize ? "output" : "input", &c->s->p.q.scale,
                         &c->s->p.q.zero_point)))
        return st;
    c->s->size = (int32_t)tensor(c, x)->elems;
    return TFG_OK;
}

/* RESHAPE: the same bytes under another shape. */
static tfg_status prep_reshape(const prep *c)
{
    const tfg_tfl_tensor *x = tensor(c, c->s->in[0]), *y = tensor(c, c->s->out);
    if (x->type != y->type || !tfg_tflite_type_bits(x->type) ||
        tfg_tflite_type_bits(x->type) % 8)
        return op_fail(c, "input is %s and output %s, expected one whole-byte type",
                       tfg_tflite_type_name(x->type), tfg_tflite_type_name(y->type));
    tfg_status st = need_same_elems(c, c->s->in[0], c->s->out);
    if (st)
        return st;
    c->s->size = (int32_t)x->bytes;
    return TFG_OK;
}

/* The inputs each op reads: data (and weights) are required, bias is optional. */
static tfg_status take_inputs(const prep *c)
{
    int32_t b = c->op->builtin;
    size_t need = (b == TFG_TFL_CONV_2D || b == TFG_TFL_DEPTHWISE_CONV_2D ||
                   b == TFG_TFL_FULLY_CONNECTED || b == TFG_TFL_ADD) ? 2 : 1;
    static const char *const roles[] = {"input", "filter or second input"};
    for (size_t k = 0; k < 3; k++) {
        c->s->in[k] = -1;
        if (k < need) {
            tfg_status st = need_input(c, k, roles[k], &c->s->in[k]);
            if (st)
                return st;
        }
    }
    bool has_bias = b == TFG_TFL_CONV_2D || b == TFG_TFL_DEPTHWISE_CONV_2D ||
                    b == TFG_TFL_FULLY_CONNECTED;
    if (has_bias && c->op->n_inputs > 2)
        c->s->in[2] = c->op->inputs[2];
    if (c->op->n_outputs != 1)
        return op_fail(c, "has %zu outputs, expected 1", c->op->n_outputs);
    c->s->out = c->op->outputs[0];
    return TFG_OK;
}

static tfg_status prep_op(const prep *c)
{
    tfg_status st = take_inputs(c);
    if (st)
        return st;
    switch (c->op->builtin) {
    case TFG_TFL_CONV_2D: return prep_conv(c);
    case TFG_TFL_DEPTHWISE_CONV_2D: return prep_depthwise(c);
    case TFG_TFL_FULLY_CONNECTED: return prep_fc(c);
    case TFG_TFL_AVERAGE_POOL_2D:
    case TFG_TFL_MAX_POOL_2D: return prep_pool(c);
    case TFG_TFL_ADD: return prep_add(c);
    case TFG_TFL_SOFTMAX: return prep_softmax(c);
    case TFG_TFL_LOGISTIC: return prep_sigmoid_like(c, false);
    case TFG_TFL_TANH: return prep_sigmoid_like(c, true);
    case TFG_TFL_QUANTIZE: return prep_edge(c, true);
    case TFG_TFL_DEQUANTIZE: return prep_edge(c, false);
    case TFG_TFL_RESHAPE: return prep_reshape(c);
    default:
        /* tfg_tflite_check_supported ran first; a new supported op needs a case here. */
        return op_fail(c, "has no interpreter step; supported: %s",
                       tfg_tflite_supported_list());
    }
}

/* ---- data flow: which tensors have bytes when ------------------------------------- */

/* Gives tensor t a zeroed buffer of its own. */
static void own_tensor(tfg_tflite_runner *r, int32_t t)
{
    size_t n = r->g->tensors[t].bytes;
    r->own[t] = tfg_xcalloc(n ? n : 1, 1);
    r->view[t] = r->own[t];
}

/* Every input of the op already has bytes (a constant, the graph input or an earlier
 * op's output), and its output gets a fresh buffer. Runs before the op's own prepare,
 * which may read constant data through view. */
static tfg_status wire_op(const prep *c)
{
    tfg_tflite_runner *r = c->r;
    for (size_t k = 0; k < c->op->n_inputs; k++) {
        int32_t t = c->op->inputs[k];
        if (t >= 0 && !r->view[t])
            return op_fail(c, "reads tensor %d before any operator writes it", (int)t);
    }
    for (size_t k = 0; k < c->op->n_outputs; k++) {
        int32_t t = c->op->outputs[k];
        if (r->view[t])
            return op_fail(c, "writes tensor %d, which already has data (a constant, the "
                           "model input or another operator's output)", (int)t);
        if (!tfg_tflite_type_bits(r->g->tensors[t].type))
            return op_fail(c, "output tensor %d is %s, which has no fixed size", (int)t,
                           tfg_tflite_type_name(r->g->tensors[t].type));
        own_tensor(r, t);
    }
    return TFG_OK;
}

static tfg_status check_graph(tfg_tflite_runner *r, tfg_err *err)
{
    const char *name = r->m->name;
    if (r->m->n_subgraphs < 1)
        return tfg_err_set(err, TFG_EINPUT, "%s: the model has no subgraph", name);
    r->g = &r->m->subgraphs[0];
    if (r->g->n_inputs != 1 || r->g->n_outputs != 1)
        return tfg_err_set(err, TFG_EINPUT, "%s: the model has %zu inputs and %zu outputs; "
                           "only one of each is supported", name, r->g->n_inputs,
                           r->g->n_outputs);
    r->input = r->g->inputs[0];
    r->output = r->g->outputs[0];
    const tfg_tfl_tensor *in = &r->g->tensors[r->input];
    if (is_const(r, r->input) || !tfg_tflite_type_bits(in->type))
        return tfg_err_set(err, TFG_EINPUT, "%s: the model input (tensor %d) is a constant "
                           "or has no fixed-size type", name, (int)r->input);
    return tfg_tflite_check_supported(r->m, err);
}

/* Constants point into the model; everything else is written by the runner. */
static void view_constants(tfg_tflite_runner *r)
{
    for (size_t t = 0; t < r->g->n_tensors; t++)
        if (is_const(r, (int32_t)t))
            r->view[t] = r->m->buffers[r->g->tensors[t].buffer].data;
}

tfg_status tfg_tflite_runner_new(const tfg_tflite *m, tfg_tflite_runner **out, tfg_err *err)
{
    *out = NULL;
    tfg_tflite_runner *r = tfg_xcalloc(1, sizeof *r);
    r->m = m;
    tfg_status st = check_graph(r, err);
    if (st) {
        free(r);
        return st;
    }
    r->view = tfg_xcalloc(r->g->n_tensors, sizeof *r->view);
    r->own = tfg_xcalloc(r->g->n_tensors, sizeof *r->own);
    r->steps = tfg_xcalloc(r->g->n_ops ? r->g->n_ops : 1, sizeof *r->steps);
    view_constants(r);
    own_tensor(r, r->input);
    for (size_t i = 0; i < r->g->n_ops && !st; i++) {
        prep c = {r, &r->g->ops[i], &r->steps[i], err};
        r->steps[i].index = i;
        r->steps[i].builtin = c.op->builtin;
        r->n_steps = i + 1; /* so free releases what this step allocated */
        st = wire_op(&c);
        if (!st)
            st = prep_op(&c);
    }
    if (!st && !r->view[r->output])
        st = tfg_err_set(err, TFG_EINPUT, "%s: no operator writes the model output (tensor "
                         "%d)", m->name, (int)r->output);
    if (st) {
        tfg_tflite_runner_free(r);
        return st;
    }
    *out = r;
    return TFG_OK;
}

/* ---- eval -------------------------------------------------------------------------- */

static tfg_rt_status run_step(tfg_tflite_runner *r, const step *s)
{
    const int8_t *x = (const int8_t *)r->view[s->in[0]];
    const int8_t *w = s->in[1] >= 0 ? (const int8_t *)r->view[s->in[1]] : NULL;
    int8_t *y = (int8_t *)r->own[s->out];
    switch (s->builtin) {
    case TFG_TFL_CONV_2D:
        return tfg_rt_conv2d_s8(&s->p.conv, &s->rq, &s->din, x, &s->dfilter, w, s->bias,
                                &s->dout, y, NULL);
    case TFG_TFL_DEPTHWISE_CONV_2D:
        return tfg_rt_depthwise_conv2d_s8(&s->p.dw, &s->rq, &s->din, x, &s->dfilter, w, s->bias,
                                          &s->dout, y, NULL);
    case TFG_TFL_FULLY_CONNECTED:
        return tfg_rt_fully_connected_s8(&s->p.fc, &s->rq, &s->fc, x, w, s->bias, y, NULL);
    case TFG_TFL_AVERAGE_POOL_2D: return tfg_rt_avgpool_s8(&s->p.pool, &s->din, x, &s->dout, y);
    case TFG_TFL_MAX_POOL_2D: return tfg_rt_maxpool_s8(&s->p.pool, &s->din, x, &s->dout, y);
    case TFG_TFL_ADD: return tfg_rt_add_s8(&s->p.add, x, s->n1, w, s->n2, y, s->size);
    case TFG_TFL_SOFTMAX: return tfg_rt_softmax_s8(&s->p.softmax, s->rows, s->depth, x, y);
    case TFG_TFL_LOGISTIC: return tfg_rt_logistic_s8(&s->p.logistic, x, y, s->size);
    case TFG_TFL_TANH: return tfg_rt_tanh_s8(&s->p.logistic, x, y, s->size);
    case TFG_TFL_QUANTIZE:
        return tfg_rt_quantize_f32_s8(s->p.q.scale, s->p.q.zero_point,
                                      (const float *)(const void *)r->view[s->in[0]], y, s->size);
    case TFG_TFL_DEQUANTIZE:
        return tfg_rt_dequantize_s8_f32(s->p.q.scale, s->p.q.zero_point, x,
                                        (float *)(void *)r->own[s->out], s->size);
    case TFG_TFL_RESHAPE: return tfg_rt_reshape_s8(x, y, s->size);
    default: return TFG_RT_EPARAM;
    }
}

size_t tfg_tflite_runner_input_bytes(const tfg_tflite_runner *r)
{
    return r->g->tensors[r->input].bytes;
}

size_t tfg_tflite_runner_output_bytes(const tfg_tflite_runner *r)
{
    return r->g->tensors[r->output].bytes;
}

size_t tfg_tflite_runner_ops(const tfg_tflite_runner *r)
{
    return r->n_steps;
}

const tfg_tflite_step *tfg_tflite_runner_steps(const tfg_tflite_runner *r, size_t *n)
{
    *n = r->n_steps;
    return r->steps;
}

tfg_status tfg_tflite_runner_invoke(tfg_tflite_runner *r, const void *in, size_t n, void *out,
                                    size_t m, tfg_err *err)
{
    size_t want_in = tfg_tflite_runner_input_bytes(r);
    size_t want_out = tfg_tflite_runner_output_bytes(r);
    if (n != want_in || (n && !in))
        return tfg_err_set(err, TFG_EUSAGE, "%s: the input has %zu bytes, expected %zu",
                           r->m->name, n, want_in);
    if (m != want_out || (m && !out))
        return tfg_err_set(err, TFG_EUSAGE,
                           "%s: the output buffer has %zu bytes, expected %zu", r->m->name, m,
                           want_out);
    if (n)
        memcpy(r->own[r->input], in, n);
    for (size_t i = 0; i < r->n_steps; i++) {
        const step *s = &r->steps[i];
        tfg_rt_status rs = run_step(r, s);
        if (rs)
            return tfg_err_set(err, TFG_EINPUT, "%s: operators[%zu] (%s): the kernel refused "
                               "its data (%s)", r->m->name, i, tfg_tflite_op_name(s->builtin),
                               tfg_rt_status_name(rs));
    }
    if (m)
        memcpy(out, r->view[r->output], m);
    return TFG_OK;
}

const int8_t *tfg_tflite_runner_tensor(const tfg_tflite_runner *r, int tensor, size_t *bytes)
{
    *bytes = 0;
    if (tensor < 0 || (size_t)tensor >= r->g->n_tensors || !r->view[tensor])
        return NULL;
    *bytes = r->g->tensors[tensor].bytes;
    return (const int8_t *)r->view[tensor];
}

void tfg_tflite_runner_free(tfg_tflite_runner *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_steps; i++) {
        free(r->steps[i].multiplier);
        free(r->steps[i].shift);
        free(r->steps[i].bias);
    }
    if (r->own)
        for (size_t t = 0; t < r->g->n_tensors; t++)
            free(r->own[t]);
    free(r->own);
    free(r->view);
    free(r->steps);
    free(r);
}
