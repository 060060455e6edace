/* emit.h — the C99 code generator for int8 .tflite models (issue 5, first version).
 *
 * tfg_codegen_emit turns a model read by import/tflite.h into two C99 sources, model.h
 * and model.c, that run it on a microcontroller with the runtime/ kernels: weights and
 * biases as static const arrays (flash), every operator's prepared parameters as
 * constants (taken from the lowering, lower/lower.h, the steps the interpreter runs, so
 * the firmware computes the very bytes `tinyforge` computes on the host), and one
 * static arena laid out by the memory planner (memplan.h). No allocation, no floating
 * point except the optional float wrapper. The generated API, for prefix P (default
 * "tfg_model", macros in upper case):
 *   int P_invoke(const int8_t *in, int8_t *out);     0, or 1 + the failing operator
 *   int P_invoke_f32(const float *in, float *out);   quantize, invoke, dequantize
 *   P_INPUT_BYTES, P_OUTPUT_BYTES, P_ARENA_BYTES, P_FLASH_BYTES,
 *   P_INPUT_SCALE, P_INPUT_ZERO_POINT, P_OUTPUT_SCALE, P_OUTPUT_ZERO_POINT.
 * Names inside model.c come from the tensors of the .tflite (docs/planner.md): constant
 * arrays, prepared parameters and the arena offsets (an enum, with each tensor's size and
 * lifetime) are named after them, made into unique C identifiers.
 * Supported: what the interpreter runs, with an int8 model input and output (models
 * with float QUANTIZE/DEQUANTIZE edges are refused in this version). */
#ifndef TFG_CODEGEN_EMIT_H
#define TFG_CODEGEN_EMIT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "core/json.h"
#include "import/tflite.h"

typedef struct {
    const char *prefix;       /* C identifier for the API; NULL: "tfg_model" */
    const char *header_name;  /* what model.c #includes; NULL: "model.h" */
    unsigned plan_flags;      /* TFG_PLAN_* of memplan.h; 0 = all savings on */
    const char *core;         /* the board's CPU (boards.json "core"): picks each layer's
                                 kernel variant (lower.h tfg_lower_choose); NULL: the
                                 reference kernels */
} tfg_codegen_opts;

/* The kernel one operator's call uses (static strings). */
typedef struct {
    size_t op;                /* operators[op] */
    const char *type;         /* "CONV_2D" */
    const char *variant;      /* "reference", "dsp_conv_1x1", ... */
    const char *kernel;       /* the runtime function called: "tfg_rt_conv2d_1x1_s8_dsp" */
} tfg_codegen_layer;

typedef struct {
    char *model_h, *model_c;  /* NUL-terminated sources (the caller frees with _out_free) */
    size_t input_bytes, output_bytes;
    size_t arena_bytes;       /* the static arena */
    size_t flash_bytes;       /* weights + biases + prepared parameters */
    tfg_codegen_layer *layers;/* per step, in execution order */
    size_t n_layers;
} tfg_codegen_out;

/* Generates the sources for subgraph 0 of m. o may be NULL (defaults). TFG_EUSAGE for a
 * prefix that is not a C identifier; TFG_EINPUT when the model cannot be run (the
 * interpreter's message naming the operator) or its input/output is not int8. On error
 * *out is empty (safe to free). */
tfg_status tfg_codegen_emit(const tfg_tflite *m, const tfg_codegen_opts *o,
                            tfg_codegen_out *out, tfg_err *err);

void tfg_codegen_out_free(tfg_codegen_out *out);

/* [{"op": k, "type": "CONV_2D", "variant": "dsp_conv_1x1", "kernel": "tfg_rt_..."}, ...]:
 * the kernel variant of every step in execution order, for the build and validate
 * reports (a new reference). */
json_t *tfg_codegen_layers_json(const tfg_codegen_out *co);

/* Names in generated code: true when s is a C identifier; s in upper case (for macros,
 * a new string). Shared by every generator in codegen/. */
bool tfg_codegen_is_ident(const char *s);
char *tfg_codegen_upper(const char *s);

#endif
