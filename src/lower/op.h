/* op.h — the op table of the lowering, and the helpers its op files share.
 *
 * One tfg_lower_op per builtin op tinyforge runs, defined in that op's file
 * (op_conv.c, op_depthwise.c, ...) and listed in ops.c. Not a public interface: only
 * lower/ includes it; everyone else goes through lower.h. */
#ifndef TFG_LOWER_OP_H
#define TFG_LOWER_OP_H

#include "core/error.h"
#include "lower/lower.h"

/* What the prepare of one step works on. */
typedef struct {
    const tfg_tflite *m;
    const tfg_tfl_subgraph *g;
    const tfg_tfl_op *op;
    tfg_lower_step *s;
    tfg_err *err;
} tfg_lower_prep;

/* What a variant chooser works on: the step, its model, and the target's features. */
typedef struct {
    const tfg_lowered *l;
    tfg_lower_step *s;
    bool dsp;                  /* the core has the Armv7E-M DSP extension */
} tfg_lower_choice;

struct tfg_lower_op {
    int32_t builtin;
    /* inputs the op must have (data, weights) and whether input 2 is an optional bias */
    int n_required;
    bool has_bias;
    const char *kernel;        /* the reference kernel's C name; NULL: no C form */
    /* Checks the op's tensors and options and fills s->p and friends. */
    tfg_status (*prepare)(const tfg_lower_prep *c);
    tfg_rt_status (*eval)(const tfg_lower_step *s, const void *x, const void *w, void *y);
    void (*emit)(const tfg_lower_step *s, const tfg_lower_emit *e);  /* NULL: none */
    /* Planning facts from the raw op, so they hold without prepare too (inspect):
     * the reference kernel's scratch bytes, and its output's lag over input k (-1: may
     * not overlap). NULL: 0 and -1. */
    size_t (*scratch)(const tfg_tfl_subgraph *g, const tfg_tfl_op *op);
    int64_t (*stream_lag)(const tfg_tfl_subgraph *g, const tfg_tfl_op *op, size_t k);
    bool same_bytes;           /* the output is its input 0's bytes (RESHAPE) */
    /* Picks the variant of prepared step s for the target (lower.h tfg_lower_choose);
     * NULL: the reference everywhere. */
    void (*choose)(const tfg_lower_choice *c);
};

/* The op of a builtin code, or NULL when tinyforge does not run it (ops.c). */
const tfg_lower_op *tfg_lower_op_of(int32_t builtin);

/* ---- prepare helpers (check.c): each fails with TFG_EINPUT naming the operator ---- */

tfg_status tfg_lower_fail(const tfg_lower_prep *c, const char *fmt, ...) TFG_PRINTF(2, 3);
tfg_status tfg_lower_rt_fail(const tfg_lower_prep *c, tfg_rt_status rs, const char *what);
const tfg_tfl_tensor *tfg_lower_tensor(const tfg_lower_prep *c, int32_t t);
tfg_status tfg_lower_need_type(const tfg_lower_prep *c, int32_t t, const char *role,
                               int32_t type);
tfg_status tfg_lower_need_rank(const tfg_lower_prep *c, int32_t t, const char *role,
                               size_t rank);
tfg_status tfg_lower_need_const(const tfg_lower_prep *c, int32_t t, const char *role);
/* A per-tensor int8 quantization: one scale > 0, zero point within int8. */
tfg_status tfg_lower_need_quant(const tfg_lower_prep *c, int32_t t, const char *role,
                                float *scale, int32_t *zp);
/* Weights per tensor or per channel along dim (channels of them), symmetric unless
 * allow_zp (a per-tensor int8 zero point, FULLY_CONNECTED). */
tfg_status tfg_lower_need_filter_quant(const tfg_lower_prep *c, int32_t t, int32_t dim,
                                       int32_t channels, bool allow_zp);
tfg_status tfg_lower_need_same_elems(const tfg_lower_prep *c, int32_t a, int32_t b);
/* The fused activation as a runtime enum, and as an int8 clamp range. */
tfg_status tfg_lower_activation(const tfg_lower_prep *c, tfg_rt_act *a);
tfg_status tfg_lower_fused_range(const tfg_lower_prep *c, float out_scale, int32_t out_zp,
                                 int32_t *lo, int32_t *hi);
/* Output size and leading padding of one spatial dimension, checked against out. */
tfg_status tfg_lower_spatial(const tfg_lower_prep *c, const char *axis, int32_t in,
                             int32_t filter, int32_t stride, int32_t dilation, int32_t out,
                             int32_t *pad);
/* An aligned copy of bias input 2 (channels int32 values), when the op has one. */
tfg_status tfg_lower_take_bias(const tfg_lower_prep *c, int32_t channels);
void tfg_lower_alloc_requant(tfg_lower_step *s, int32_t count);
int64_t tfg_lower_zero_point(const tfg_tfl_tensor *x, size_t k);
tfg_rt_dims tfg_lower_dims4(const tfg_tfl_tensor *x);

/* ---- the convolutions' shared part (conv_common.c) ------------------------------- */

/* Tensors, quantization, padding, multipliers, bias and activation of CONV_2D and
 * DEPTHWISE_CONV_2D (the filter quantized along dimension 3 when depthwise). */
tfg_status tfg_lower_prep_conv_like(const tfg_lower_prep *c, bool depthwise,
                                    tfg_rt_conv_params *p);
/* The lag of a raster-order convolution's output over its input (k must be 0), -1 when
 * its shapes are not the plain batch-1 NHWC case (docs/planner.md). */
int64_t tfg_lower_conv_lag(const tfg_tfl_subgraph *g, const tfg_tfl_op *op, size_t k);
/* The runtime's 4-D operands of a conv-like raw op; false when they are not 4-D. */
bool tfg_lower_conv_dims(const tfg_tfl_subgraph *g, const tfg_tfl_op *op, tfg_rt_dims *in,
                         tfg_rt_dims *filter);
/* Writes a conv-like step: its params (tfg_rt_dw_params when dw), requant, dims, bias
 * and the call (op_conv.c). */
void tfg_lower_emit_conv_like(const tfg_lower_step *s, const tfg_lower_emit *e, bool dw);

/* ---- the DSP variants' shared part (choose.c) ------------------------------------ */

/* Do the step's multipliers fit the DSP kernels' requantization (tfg_dsp.h: multipliers
 * >= 0, right shifts <= 23)? */
bool tfg_lower_dsp_requant_fits(const tfg_lower_step *s);
/* The bytes of constant tensor t. */
const int8_t *tfg_lower_const_data(const tfg_lowered *l, int32_t t);
/* How a variant reads its weights: as the model has them, by groups of four rows
 * (tfg_rt_interleave_weights), or by rows padded to words (tfg_rt_pad_weight_rows). */
typedef enum {
    TFG_LOWER_PACK_NONE,
    TFG_LOWER_PACK_ROWS4,
    TFG_LOWER_PACK_PADDED
} tfg_lower_pack;
/* Gives s a DSP variant (name, kernel, scratch), with the folded kernel sums of its
 * weights (channels of depth values, strides as tfg_rt_fold_bias takes them) and its
 * weights packed as pack says; false, and s unchanged, when the sums fail
 * tfg_rt_dsp_sums_ok. */
bool tfg_lower_set_variant(const tfg_lower_choice *c, const char *name, const char *kernel,
                           size_t scratch, int32_t channels, int32_t depth,
                           int32_t channel_stride, int32_t depth_stride, int32_t input_zp,
                           tfg_lower_pack pack);

/* ---- C writing helpers for the op emitters (cwrite.c) ---------------------------- */

/* Generated lines are kept under this many columns (the emitter wraps longer ones). */
#define TFG_LOWER_WRAP 95

void tfg_lower_put_i32(tfg_buf *b, int32_t v);
void tfg_lower_put_i32_array(const tfg_lower_emit *e, const char *name, const int32_t *v,
                             size_t n);
/* e->name + "_" + what: a const tfg_rt_dims */
void tfg_lower_put_dims(const tfg_lower_emit *e, const char *what, const tfg_rt_dims *d);
/* name_multipliers, name_shifts and name_requant */
void tfg_lower_put_requant(const tfg_lower_emit *e, const tfg_lower_step *s);
/* "NULL" or name_bias (emitted here, as prepared), or name_sums when the variant takes
 * kernel sums in place of the bias; the caller frees. */
char *tfg_lower_put_bias(const tfg_lower_emit *e, const tfg_lower_step *s, int32_t channels);
/* The kernel call into body, returning 1 + the operator index when it fails. */
void tfg_lower_put_call(const tfg_lower_emit *e, const tfg_lower_step *s, const char *call);

#endif
