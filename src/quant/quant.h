/* quant.h — post-training int8 quantization of a trained float network (issue 5).
 *
 * The quantizer reads a float graph (nn/graph.h) and writes an int8 TFLite model
 * (import/tflite.h) that follows TensorFlow Lite's int8 quantization spec:
 *   - weights int8, symmetric (zero point 0), one scale per output channel (conv2d and
 *     dense: dimension 0; depthwise: dimension 3), values in [-127, 127];
 *   - bias int32 with scale input_scale x weight_scale[c] and zero point 0;
 *   - activations int8, asymmetric, one scale and zero point per tensor from the range
 *     seen on a representative set (min/max, or a percentile to cut outliers), always
 *     including 0 so zero padding is exact;
 *   - max/avg pooling and reshape keep their input's parameters; softmax outputs scale
 *     1/256 and zero point -128;
 *   - batch normalization is folded into the conv2d/depthwise/dense before it, and a
 *     separate ReLU/ReLU6 layer into the layer before it, as fused activations.
 * The int8 model is the one thing every later stage uses: the in-process runner
 * (lower/invoke.h) measures its accuracy, the code generator (codegen/emit.h) turns it
 * into C, and `inspect` or TensorFlow Lite Micro can read the written file. This is why
 * the quantizer produces a tfg_tflite rather than annotating the float graph (DESIGN.md
 * says "the quantizer annotates the IR"; the TFLite model is that annotation, in the
 * format the rest already speaks). */
#ifndef TFG_QUANT_QUANT_H
#define TFG_QUANT_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/progress.h"
#include "import/tflite.h"
#include "nn/graph.h"

typedef enum { TFG_CALIB_MINMAX, TFG_CALIB_PERCENTILE } tfg_calib_method;

typedef struct {
    tfg_calib_method method;
    double percentile;  /* TFG_CALIB_PERCENTILE: keep this share (e.g. 99.99) of values */
} tfg_calib_opts;

/* The range [min, max] of every tensor of a graph over a representative set. */
typedef struct {
    float *min, *max;   /* n_tensors each */
    size_t n_tensors;
} tfg_ranges;

/* Runs g (inference mode) on n samples x (n x input size floats) and records each
 * tensor's range. Percentiles come from a 4096-bin histogram between the exact min and
 * max (a second pass), so memory does not grow with n. TFG_EINPUT when n is 0 or a value
 * is not finite. */
tfg_status tfg_calibrate(tfg_graph *g, const float *x, size_t n, const tfg_calib_opts *o,
                         tfg_progress *progress, tfg_ranges *r, tfg_err *err);
void tfg_ranges_free(tfg_ranges *r);

/* The int8 TFLite model of g with the activation ranges r (from tfg_calibrate on the
 * same graph). description goes into the file. The model is complete and parsed back
 * from its own bytes, so *out behaves exactly like a model read from disk. TFG_EINPUT
 * names the layer that cannot be expressed ("layers[3] (relu): a ReLU must follow a
 * dense, conv2d, depthwise or add layer with no activation of its own"). */
tfg_status tfg_quantize(const tfg_graph *g, const tfg_ranges *r, const char *description,
                        tfg_tflite *out, tfg_err *err);

/* The affine parameters TFLite picks for a range (widened to include 0): scale =
 * (max - min) / 255 and the zero point that maps min to -128, rounded and clamped. A
 * range of width 0 gets scale 1/255 (any value is then exact: it is 0). */
void tfg_quant_params(float min, float max, float *scale, int32_t *zero_point);

/* The other direction: a .tflite model (float32, or int8 with quantization parameters)
 * as a float network IR, so a model from TensorFlow can be retrained, requantized or
 * measured like one trained here. int8 weights are dequantized (w = scale[c] x q, bias
 * = bias_scale[c] x b). Supported: subgraph 0 as a chain of CONV_2D, DEPTHWISE_CONV_2D,
 * FULLY_CONNECTED (a FLATTEN is inserted before it when its input is not flat),
 * AVERAGE/MAX_POOL_2D, RESHAPE, SOFTMAX (beta 1) and ADD whose second input is the
 * output of an earlier operator or the model input, with fused NONE/RELU/RELU6, and
 * QUANTIZE/DEQUANTIZE at the edges (dropped). Anything else is TFG_EINPUT naming the
 * operator ("model.tflite: operators[4] (LOGISTIC): ..."). */
tfg_status tfg_graph_from_tflite(const tfg_tflite *m, tfg_graph *g, tfg_err *err);

#endif
