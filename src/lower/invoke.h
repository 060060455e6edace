/* invoke.h — run an int8 .tflite model in process, bit-exact with TensorFlow Lite Micro.
 *
 * The host interpreter (issue 5): it runs the lowered steps of a model (lower.h) with
 * the runtime/ kernels, so the host gets exactly the bytes that TFLM's reference
 * kernels give on the device. Split like TFLM: tfg_tflite_runner_new is the *prepare*
 * step (tfg_lower with TFG_LOWER_PREPARE checks every op, tensor type and shape once and
 * computes multipliers, shifts, padding, activation ranges; the runner gives every
 * tensor its own buffer, no memory planning), and tfg_tflite_runner_invoke is the *eval*
 * step (copies the input in, runs the kernels in the lowering's order, copies the
 * output out).
 *
 * Supported: the ops of tfg_tflite_supported_list() with int8 activations, int8 weights
 * (per-tensor or per-channel), int32 bias, and float32 only on the model's edges
 * (QUANTIZE float -> int8, DEQUANTIZE int8 -> float). Anything else is refused at
 * prepare time with TFG_EINPUT naming the operator index and op. Only subgraph 0 runs;
 * it must have exactly one input and one output. */
#ifndef TFG_LOWER_INVOKE_H
#define TFG_LOWER_INVOKE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "import/tflite.h"
#include "lower/lower.h"

typedef struct tfg_tflite_runner tfg_tflite_runner;

/* Prepares model m (which must outlive the runner: constant tensors point into it). On
 * error *out is NULL and err names the operator ("model.tflite: operators[3] (CONV_2D):
 * ..."). */
tfg_status tfg_tflite_runner_new(const tfg_tflite *m, tfg_tflite_runner **out, tfg_err *err);

/* Raw bytes of the model's input / output tensor (elements x element size). */
size_t tfg_tflite_runner_input_bytes(const tfg_tflite_runner *r);
size_t tfg_tflite_runner_output_bytes(const tfg_tflite_runner *r);

/* Runs the model once on n input bytes, writing m output bytes. n and m must be the
 * exact sizes above (else TFG_EUSAGE). A kernel that refuses its data while running
 * (an empty pooling window) gives TFG_EINPUT naming the operator. */
tfg_status tfg_tflite_runner_invoke(tfg_tflite_runner *r, const void *in, size_t n, void *out,
                                    size_t m, tfg_err *err);

/* The current bytes of tensor `tensor` of subgraph 0 (after an invoke: the value that
 * op wrote; for constants: the model's data), for comparing layers against a reference
 * dump. NULL (and *bytes 0) when the index is out of range or the tensor has no data. */
const int8_t *tfg_tflite_runner_tensor(const tfg_tflite_runner *r, int tensor, size_t *bytes);

/* Number of operators that run (for callers that walk the layers). */
size_t tfg_tflite_runner_ops(const tfg_tflite_runner *r);

/* The runner's lowering (steps in execution order, lifetimes), for readers that want
 * the prepared parameters. */
const tfg_lowered *tfg_tflite_runner_lowered(const tfg_tflite_runner *r);

void tfg_tflite_runner_free(tfg_tflite_runner *r);

#endif
