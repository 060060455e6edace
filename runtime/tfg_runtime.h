/* tfg_runtime.h — the MCU-side int8 kernels and the host-side helpers that prepare their
 * parameters.
 *
 * The kernels are the *reference* kernels of tinyforge: slow, portable C99 whose results
 * are bit-exact with TensorFlow Lite Micro's reference kernels (commit 90b983c2, default
 * double-rounding requantization). The same source is compiled into the firmware that
 * the code generator emits and into the host tool, so the host int8 predictions and the
 * device predictions come from one definition. The optimized variants below (*_dsp) agree
 * with these bit for bit.
 *
 * Split like TFLM's prepare/eval: everything computable ahead of time (multipliers,
 * shifts, activation ranges, padding) is done by the tfg_*_prepare / tfg_quantize_*
 * helpers of multiplier.c and padding.c on the host (they use double); the kernels only
 * run the integer loop. Kernels never allocate, print or use floating point (except the
 * float edges quantize/dequantize), and every kernel returns a tfg_rt_status after
 * checking its parameters, so a generated model that is wired wrongly fails loudly
 * instead of writing out of bounds.
 *
 * Layouts: tensors are NHWC; fully-connected weights [out][in]; conv weights OHWI;
 * depthwise weights [1][kh][kw][cin*depth_multiplier]; bias int32, one per output
 * channel, and may be NULL. Zero points are given as zero points (not TFLM's negated
 * "offsets"). Fused ReLU/ReLU6 is the act_min/act_max clamp in every param struct (see
 * tfg_rt_activation_range). See docs/runtime.md. */
#ifndef TFG_RUNTIME_H
#define TFG_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status ------------------------------------------------------------------------ */

typedef enum {
    TFG_RT_OK = 0,
    TFG_RT_EPARAM,   /* a parameter is out of its range (stride 0, act_min > act_max, ...) */
    TFG_RT_ESHAPE,   /* tensor dimensions do not fit together */
    TFG_RT_ESCRATCH  /* the scratch buffer is smaller than the kernel asked for */
} tfg_rt_status;

/* A short constant English name of a status, for logs on the host. */
const char *tfg_rt_status_name(tfg_rt_status s);

/* ---- requantization primitives (requant.c) ----------------------------------------- */

/* a * b / 2^31 rounded to nearest with ties toward +infinity (-0.5 -> 0, +0.5 -> 1),
 * saturating the one overflowing case (INT32_MIN * INT32_MIN) to INT32_MAX: ARM's
 * VQRDMULH, gemmlowp's SaturatingRoundingDoublingHighMul. */
int32_t tfg_rt_srdhm(int32_t a, int32_t b);

/* x / 2^exponent rounded to nearest, ties away from zero; exponent in [0, 31]. */
int32_t tfg_rt_rounding_divide_by_pot(int32_t x, int exponent);

/* x * multiplier * 2^shift / 2^31 the way TFLite's MultiplyByQuantizedMultiplier does it
 * with double rounding: left-shift by max(shift, 0) (wrapping, as TFLM does in practice),
 * SRDHM, then a rounding right shift by max(-shift, 0). shift in [-31, 31]. */
int32_t tfg_rt_requantize(int32_t x, int32_t multiplier, int32_t shift);

/* ---- shared parameter pieces ------------------------------------------------------- */

/* A tensor's dimensions in NHWC order. For a weight tensor: n = output channels
 * (conv OHWI) or 1 (depthwise), h/w = kernel size, c = input channels per group (conv)
 * or cin * depth_multiplier (depthwise). */
typedef struct {
    int32_t n, h, w, c;
} tfg_rt_dims;

/* Per-output-channel requantization: count is 1 (per-tensor weights: the one value is
 * used for every channel) or the number of output channels. */
typedef struct {
    const int32_t *multiplier;
    const int32_t *shift;
    int32_t count;
} tfg_rt_requant;

/* Caller-provided working memory. The reference kernels need none (every
 * *_scratch_size returns 0); the argument is there so that optimized kernels (im2col
 * buffers) keep the same signature. May be NULL when the size asked for is 0. */
typedef struct {
    void *buf;
    size_t size;
} tfg_rt_scratch;

/* ---- fully connected (fully_connected.c) ------------------------------------------- */

typedef struct {
    int32_t input_zero_point;
    int32_t filter_zero_point; /* per-tensor weights only; TFLite int8 weights use 0 */
    int32_t output_zero_point;
    int32_t act_min, act_max;
} tfg_rt_fc_params;

typedef struct {
    int32_t batches, in_features, out_features;
} tfg_rt_fc_dims;

size_t tfg_rt_fully_connected_s8_scratch_size(const tfg_rt_fc_dims *dims);

/* output[b][o] = clamp(requant(sum_i (w[o][i] - fzp) * (x[b][i] - izp) + bias[o]) + ozp).
 * rq->count == 1 follows TFLM's per-tensor FullyConnected, rq->count == out_features its
 * FullyConnectedPerChannel (which has no filter zero point: it must be 0). */
tfg_rt_status tfg_rt_fully_connected_s8(const tfg_rt_fc_params *p, const tfg_rt_requant *rq,
                                        const tfg_rt_fc_dims *dims, const int8_t *input,
                                        const int8_t *weights, const int32_t *bias,
                                        int8_t *output, const tfg_rt_scratch *scratch);

/* ---- convolution (conv.c) and depthwise convolution (depthwise.c) ------------------ */

/* pad_h/pad_w are the (top/left) padding TFLite computes (tfg_rt_compute_padding): output
 * pixel (y, x) reads input rows from y * stride_h - pad_h on; cells outside the input
 * contribute nothing (they are the input zero point). */
typedef struct {
    int32_t input_zero_point, output_zero_point;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_h, pad_w;
    int32_t act_min, act_max;
} tfg_rt_conv_params;

typedef struct {
    tfg_rt_conv_params conv; /* the common fields */
    int32_t depth_multiplier;
} tfg_rt_dw_params;

size_t tfg_rt_conv2d_s8_scratch_size(const tfg_rt_dims *in, const tfg_rt_dims *filter);

/* Per-channel (or per-tensor: rq->count == 1) int8 convolution, weights OHWI with
 * filter->c == in->c / groups (grouped convolution as TFLM; groups is usually 1). */
tfg_rt_status tfg_rt_conv2d_s8(const tfg_rt_conv_params *p, const tfg_rt_requant *rq,
                               const tfg_rt_dims *in, const int8_t *input,
                               const tfg_rt_dims *filter, const int8_t *weights,
                               const int32_t *bias, const tfg_rt_dims *out, int8_t *output,
                               const tfg_rt_scratch *scratch);

size_t tfg_rt_depthwise_conv2d_s8_scratch_size(const tfg_rt_dims *in, const tfg_rt_dims *filter);

/* Output channel ic * depth_multiplier + m reads input channel ic only. */
tfg_rt_status tfg_rt_depthwise_conv2d_s8(const tfg_rt_dw_params *p, const tfg_rt_requant *rq,
                                         const tfg_rt_dims *in, const int8_t *input,
                                         const tfg_rt_dims *filter, const int8_t *weights,
                                         const int32_t *bias, const tfg_rt_dims *out,
                                         int8_t *output, const tfg_rt_scratch *scratch);

/* ---- optimized variants for the Armv7E-M DSP extension (gemm_dsp.c, depthwise_dsp.c) --
 *
 * For Cortex-M4, M7 and M33 (SMLAD, SXTB16, SMMULR); the code generator picks them per
 * layer (src/lower/choose.c and each op's file) and passes kernel_sums, the folded
 * bias - input_zero_point * sum(weights) of each output channel (tfg_rt_fold_bias), in
 * place of the bias; fully connected reads its weights in the order of
 * tfg_rt_interleave_weights, the convolutions in that of tfg_rt_pad_weight_rows.
 * Each gives the same bytes as its reference kernel for every input, for a layer that
 * passes tfg_rt_dsp_sums_ok (below; the code generator checks it); on a core without
 * the extension they compile to portable C with the same results. Besides the
 * reference's checks they refuse (TFG_RT_EPARAM) a multiplier below 0 or a right shift
 * above 23 (shift < -23), which tfg_rt_quantize_multiplier never makes for a scale above
 * 2^-24, and each states what else it needs:
 *   fully_connected: filter zero point 0; no scratch;
 *   conv2d: groups 1, any stride, dilation, padding; scratch for four windows (im2col);
 *   conv2d_1x1: a 1x1 filter, groups 1, no padding, any stride; scratch for four pixels;
 *   depthwise_conv2d_3x3: a 3x3 filter, depth multiplier 1, no dilation, any stride.
 * All write output pixels in raster order, each block of pixels only after its inputs
 * are read (the convolutions copy four pixels' windows into the scratch first), so the
 * planner's in-place lag of the reference holds for them (docs/planner.md). */
/* The requantization the DSP kernels take: multipliers >= 0 and a right shift of at most
 * TFG_RT_DSP_MAX_RIGHT_SHIFT (shift >= -23) for every channel of rq (1 when it holds
 * one multiplier for all, else channels). */
#define TFG_RT_DSP_MAX_RIGHT_SHIFT 23
int tfg_rt_dsp_requant_ok(const tfg_rt_requant *rq, int32_t channels);

size_t tfg_rt_fully_connected_s8_dsp_scratch_size(const tfg_rt_fc_dims *dims);
tfg_rt_status tfg_rt_fully_connected_s8_dsp(const tfg_rt_fc_params *p,
                                            const tfg_rt_requant *rq,
                                            const tfg_rt_fc_dims *dims, const int8_t *input,
                                            const int8_t *weights, const int32_t *kernel_sums,
                                            int8_t *output, const tfg_rt_scratch *scratch);

size_t tfg_rt_conv2d_s8_dsp_scratch_size(const tfg_rt_dims *in, const tfg_rt_dims *filter);
tfg_rt_status tfg_rt_conv2d_s8_dsp(const tfg_rt_conv_params *p, const tfg_rt_requant *rq,
                                   const tfg_rt_dims *in, const int8_t *input,
                                   const tfg_rt_dims *filter, const int8_t *weights,
                                   const int32_t *kernel_sums, const tfg_rt_dims *out,
                                   int8_t *output, const tfg_rt_scratch *scratch);

size_t tfg_rt_conv2d_1x1_s8_dsp_scratch_size(const tfg_rt_dims *in, const tfg_rt_dims *filter);
tfg_rt_status tfg_rt_conv2d_1x1_s8_dsp(const tfg_rt_conv_params *p, const tfg_rt_requant *rq,
                                       const tfg_rt_dims *in, const int8_t *input,
                                       const tfg_rt_dims *filter, const int8_t *weights,
                                       const int32_t *kernel_sums, const tfg_rt_dims *out,
                                       int8_t *output, const tfg_rt_scratch *scratch);

size_t tfg_rt_depthwise_conv2d_3x3_s8_dsp_scratch_size(const tfg_rt_dims *in,
                                                       const tfg_rt_dims *filter);
tfg_rt_status tfg_rt_depthwise_conv2d_3x3_s8_dsp(const tfg_rt_dw_params *p,
                                                 const tfg_rt_requant *rq,
                                                 const tfg_rt_dims *in, const int8_t *input,
                                                 const tfg_rt_dims *filter,
                                                 const int8_t *weights,
                                                 const int32_t *kernel_sums,
                                                 const tfg_rt_dims *out, int8_t *output,
                                                 const tfg_rt_scratch *scratch);

/* ---- pooling (pool.c) -------------------------------------------------------------- */

/* Input and output share scale and zero point (TFLite requires it), so pooling works
 * on the raw int8 values. */
typedef struct {
    int32_t filter_h, filter_w;
    int32_t stride_h, stride_w;
    int32_t pad_h, pad_w;
    int32_t act_min, act_max;
} tfg_rt_pool_params;

/* Mean over the window cells that lie inside the input (padding is not counted),
 * rounded half away from zero. A window with no cell inside is TFG_RT_EPARAM. */
tfg_rt_status tfg_rt_avgpool_s8(const tfg_rt_pool_params *p, const tfg_rt_dims *in,
                                const int8_t *input, const tfg_rt_dims *out, int8_t *output);

tfg_rt_status tfg_rt_maxpool_s8(const tfg_rt_pool_params *p, const tfg_rt_dims *in,
                                const int8_t *input, const tfg_rt_dims *out, int8_t *output);

/* ---- elementwise (elementwise.c) --------------------------------------------------- */

/* TFLite's int8 ADD: both inputs are moved to a common scale with 20 bits of headroom
 * (left_shift), summed, and requantized to the output. Made by tfg_rt_add_prepare. */
typedef struct {
    int32_t input1_zero_point, input2_zero_point, output_zero_point;
    int32_t left_shift;
    int32_t input1_multiplier, input1_shift;
    int32_t input2_multiplier, input2_shift;
    int32_t output_multiplier, output_shift;
    int32_t act_min, act_max;
} tfg_rt_add_params;

/* out[i] = in1[i] + in2[i] for i < size; n1 and n2 are each size or 1 (a one-element
 * input is broadcast). General shape broadcasting is left to the code generator. */
tfg_rt_status tfg_rt_add_s8(const tfg_rt_add_params *p, const int8_t *in1, int32_t n1,
                            const int8_t *in2, int32_t n2, int8_t *output, int32_t size);

/* q = clamp(round_half_away(x / scale) + zero_point, -128, 127), in float exactly as
 * TFLite's AffineQuantize (NaN maps to the zero point). */
tfg_rt_status tfg_rt_quantize_f32_s8(float scale, int32_t zero_point, const float *input,
                                     int8_t *output, int32_t size);

/* x = scale * (q - zero_point), rounded once to float as TFLite's Dequantize. */
tfg_rt_status tfg_rt_dequantize_s8_f32(float scale, int32_t zero_point, const int8_t *input,
                                       float *output, int32_t size);

/* RESHAPE (and FLATTEN, SQUEEZE): the bytes do not change, only the shape the code
 * generator records, so the kernel is a copy (memmove: in place is fine). */
tfg_rt_status tfg_rt_reshape_s8(const int8_t *input, int8_t *output, int32_t size);

/* ---- softmax, logistic, tanh (softmax.c, activations.c) ---------------------------- */

/* Output is always scale 1/256, zero point -128 (TFLite requires it). */
typedef struct {
    int32_t input_multiplier;
    int32_t input_left_shift;
    int32_t diff_min; /* inputs this far (or further) below the row max give -128 */
} tfg_rt_softmax_params;

/* Softmax over the last dimension: rows rows of depth values each. */
tfg_rt_status tfg_rt_softmax_s8(const tfg_rt_softmax_params *p, int32_t rows, int32_t depth,
                                const int8_t *input, int8_t *output);

/* Logistic output: scale 1/256, zero point -128. Tanh output: scale 1/128, zero point 0.
 * Inputs with |x - zero_point| >= input_range_radius saturate. */
typedef struct {
    int32_t input_zero_point;
    int32_t input_range_radius;
    int32_t input_multiplier;
    int32_t input_left_shift;
} tfg_rt_logistic_params;

typedef tfg_rt_logistic_params tfg_rt_tanh_params;

tfg_rt_status tfg_rt_logistic_s8(const tfg_rt_logistic_params *p, const int8_t *input,
                                 int8_t *output, int32_t size);
tfg_rt_status tfg_rt_tanh_s8(const tfg_rt_tanh_params *p, const int8_t *input, int8_t *output,
                             int32_t size);

/* ---- host-side preparation (multiplier.c, padding.c) ------------------------------- */

/* TFLite's QuantizeMultiplier: real = multiplier * 2^shift / 2^31 with multiplier in
 * [2^30, 2^31) (or 0 for real == 0; reals below ~2^-31 flush to 0). real must be finite
 * and >= 0. */
tfg_rt_status tfg_rt_quantize_multiplier(double real, int32_t *multiplier, int32_t *shift);

/* Per-channel multipliers of conv, depthwise conv and per-channel fully connected:
 * real[c] = (double)input_scale * (double)filter_scale[c] / (double)output_scale, as
 * TFLite's PopulateConvolutionQuantizationParams; n_filter_scales is 1 (broadcast) or
 * channels. */
tfg_rt_status tfg_rt_conv_multipliers(float input_scale, const float *filter_scales,
                                      int32_t n_filter_scales, float output_scale,
                                      int32_t channels, int32_t *multiplier, int32_t *shift);

/* Per-tensor fully connected: TFLite multiplies the two scales in float first
 * (GetQuantizedConvolutionMultipler), which can differ in the last bit from the
 * per-channel formula above; this one reproduces it. */
tfg_rt_status tfg_rt_fc_multiplier(float input_scale, float filter_scale, float output_scale,
                                   int32_t *multiplier, int32_t *shift);

typedef enum {
    TFG_RT_ACT_NONE = 0,
    TFG_RT_ACT_RELU,
    TFG_RT_ACT_RELU6,
    TFG_RT_ACT_RELU_N1_TO_1
} tfg_rt_act;

/* The int8 clamp of a fused activation for an output of this scale and zero point
 * (TFLite's CalculateActivationRangeQuantized, float rounding included). */
tfg_rt_status tfg_rt_activation_range(tfg_rt_act act, float output_scale,
                                      int32_t output_zero_point, int32_t *act_min,
                                      int32_t *act_max);

tfg_rt_status tfg_rt_add_prepare(float input1_scale, int32_t input1_zero_point,
                                 float input2_scale, int32_t input2_zero_point,
                                 float output_scale, int32_t output_zero_point,
                                 tfg_rt_act act, tfg_rt_add_params *p);

/* int8 -> int8 softmax; output scale must be 1/256 and zero point -128 (checked by the
 * caller that owns the tensors). Fails when input_scale * beta is too small for the
 * fixed-point scheme (TFLite would abort). */
tfg_rt_status tfg_rt_softmax_prepare(float input_scale, float beta, tfg_rt_softmax_params *p);

tfg_rt_status tfg_rt_logistic_prepare(float input_scale, int32_t input_zero_point,
                                      tfg_rt_logistic_params *p);
tfg_rt_status tfg_rt_tanh_prepare(float input_scale, int32_t input_zero_point,
                                  tfg_rt_tanh_params *p);

/* The kernel sums of the optimized kernels (fold.c): out[c] = bias[c] (0 if bias is NULL)
 * - input_zero_point * sum over k < depth of weights[c * channel_stride + k * depth_stride],
 * wrapping mod 2^32 as the kernels' sums do. Conv and fully connected weights are
 * (channel_stride = depth, depth_stride = 1); depthwise ones (1, channels). */
tfg_rt_status tfg_rt_fold_bias(const int8_t *weights, int32_t channels, int32_t depth,
                               int32_t channel_stride, int32_t depth_stride,
                               int32_t input_zero_point, const int32_t *bias, int32_t *out);

/* The weight order of the optimized fully connected and conv kernels (fold.c): rows of
 * depth bytes ([out][in], or OHWI with depth = kh * kw * cin) regrouped by four rows, the
 * four rows' bytes 4q..4q+3 one after another for each q < depth / 4, then the four rows'
 * last depth % 4 bytes; the last rows % 4 rows unchanged. out holds rows * depth bytes. */
tfg_rt_status tfg_rt_interleave_weights(const int8_t *weights, int32_t rows, int32_t depth,
                                        int8_t *out);

/* The weight order of the optimized conv kernels (fold.c): rows of depth bytes, each
 * padded with zeros to a multiple of 4 bytes, so every row starts on a word and ends on
 * one. out holds tfg_rt_pad_weight_rows_size(rows, depth) bytes. */
tfg_rt_status tfg_rt_pad_weight_rows(const int8_t *weights, int32_t rows, int32_t depth,
                                     int8_t *out);
size_t tfg_rt_pad_weight_rows_size(int32_t rows, int32_t depth);

/* Whether the DSP kernels may run a layer with these weights (laid out as for
 * tfg_rt_fold_bias) and kernel sums: its requantization passes tfg_rt_dsp_requant_ok and
 * every accumulator of channel c, sums[c] + sum_k w[c][k] * x[k] for any int8 x, is
 * below 2^(30 - left shift of c) in magnitude (then their short requantization is the
 * reference's exactly, tfg_dsp.h). 1 or 0. Real layers are far inside: a 64-deep
 * convolution reaches about 2^20. */
int tfg_rt_dsp_sums_ok(const int8_t *weights, int32_t channels, int32_t depth,
                       int32_t channel_stride, int32_t depth_stride, const int32_t *sums,
                       const tfg_rt_requant *rq);

typedef enum { TFG_RT_PAD_VALID = 0, TFG_RT_PAD_SAME } tfg_rt_padding;

/* TFLite's ComputeOutSize + ComputePaddingWithOffset for one spatial dimension: the
 * output size and the leading padding (the odd extra cell of SAME padding goes at the
 * end, which the kernels get for free by bounds checks). */
tfg_rt_status tfg_rt_compute_padding(tfg_rt_padding padding, int32_t in_size, int32_t filter_size,
                                     int32_t stride, int32_t dilation, int32_t *out_size,
                                     int32_t *pad);

#ifdef __cplusplus
}
#endif

#endif
