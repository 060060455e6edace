/* tflite.h — a TensorFlow Lite model (.tflite) read into plain C structs.
 *
 * The importer's first step (issue 5): tfg_tflite_parse checks the whole FlatBuffer
 * against the TFLite schema (field numbers from tensorflow/lite/schema/schema.fbs) and
 * copies out what tinyforge uses: operator codes, subgraphs (tensors with shape, type,
 * buffer and quantization; operators with their tensors and the builtin options of the
 * supported op set) and buffers (pointers into the model's own copy of the file).
 * Metadata, signatures and sparsity are ignored. A malformed file is refused with
 * TFG_EINPUT and "file: offset N: what is wrong"; an operator tinyforge cannot run is
 * NOT an error here (inspect must still show the model): it is marked unsupported and
 * tfg_tflite_check_supported turns it into an error for callers that need to run it.
 * Later sessions map this read model onto the network IR (nn/) and write .tflite. */
#ifndef TFG_IMPORT_TFLITE_H
#define TFG_IMPORT_TFLITE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Absurd-size limits: a real microcontroller model is far below them. */
#define TFG_TFL_MAX_COUNT 100000              /* tensors, operators, buffers, ... */
#define TFG_TFL_MAX_RANK 16                   /* dimensions of one tensor */
#define TFG_TFL_MAX_ELEMS ((int64_t)1 << 31)  /* elements of one tensor (must be below) */

/* Builtin operator codes (schema enum BuiltinOperator) that tinyforge runs. */
enum {
    TFG_TFL_ADD = 0,
    TFG_TFL_AVERAGE_POOL_2D = 1,
    TFG_TFL_CONV_2D = 3,
    TFG_TFL_DEPTHWISE_CONV_2D = 4,
    TFG_TFL_DEQUANTIZE = 6,
    TFG_TFL_FULLY_CONNECTED = 9,
    TFG_TFL_LOGISTIC = 14,
    TFG_TFL_MAX_POOL_2D = 17,
    TFG_TFL_RESHAPE = 22,
    TFG_TFL_SOFTMAX = 25,
    TFG_TFL_TANH = 28,
    TFG_TFL_CUSTOM = 32,
    TFG_TFL_QUANTIZE = 114
};

/* Tensor element types (schema enum TensorType), the ones named in code. */
enum {
    TFG_TFL_FLOAT32 = 0,
    TFG_TFL_INT32 = 2,
    TFG_TFL_UINT8 = 3,
    TFG_TFL_INT64 = 4,
    TFG_TFL_INT16 = 7,
    TFG_TFL_INT8 = 9
};

typedef enum { TFG_TFL_PAD_SAME = 0, TFG_TFL_PAD_VALID = 1 } tfg_tfl_padding;
/* schema enum ActivationFunctionType */
typedef enum {
    TFG_TFL_ACT_NONE = 0,
    TFG_TFL_ACT_RELU = 1,
    TFG_TFL_ACT_RELU_N1_TO_1 = 2,
    TFG_TFL_ACT_RELU6 = 3,
    TFG_TFL_ACT_TANH = 4,
    TFG_TFL_ACT_SIGN_BIT = 5
} tfg_tfl_activation;

typedef struct {
    int32_t builtin;         /* effective code: the larger of the two fields below */
    int8_t deprecated_code;  /* the old int8 field (codes < 127) */
    int32_t builtin_code;    /* the int32 field of newer writers */
    int32_t version;
    char *custom;            /* custom_code, or NULL */
} tfg_tfl_opcode;

typedef struct {
    char *name;
    int32_t type;            /* TensorType */
    int32_t *shape;
    size_t rank;
    int64_t elems;           /* product of shape (1 for a scalar) */
    size_t bytes;            /* elems x element size; 0 when the type has no fixed size */
    uint32_t buffer;         /* index into tfg_tflite.buffers; 0 = no data */
    bool is_variable;
    /* quantization (n_scale == 0: none) */
    float *scale;
    size_t n_scale;
    int64_t *zero_point;
    size_t n_zero_point;
    int32_t quantized_dimension;
} tfg_tfl_tensor;

/* The builtin options of the supported ops; fields an op does not have keep the
 * schema defaults. */
typedef struct {
    uint8_t type;            /* BuiltinOptions union type (0 = none) */
    tfg_tfl_padding padding;
    int32_t stride_w, stride_h;
    int32_t dilation_w, dilation_h;   /* schema default 1 */
    int32_t depth_multiplier;
    int32_t filter_w, filter_h;
    tfg_tfl_activation activation;
    float beta;                       /* SOFTMAX */
    bool keep_num_dims;               /* FULLY_CONNECTED */
    int32_t weights_format;           /* FULLY_CONNECTED: 0 = DEFAULT */
    int32_t *new_shape;               /* RESHAPE; NULL when absent */
    size_t n_new_shape;
} tfg_tfl_options;

typedef struct {
    uint32_t opcode_index;
    int32_t builtin;         /* copied from the opcode */
    int32_t *inputs;         /* tensor indexes; -1 = optional input left out */
    size_t n_inputs;
    int32_t *outputs;
    size_t n_outputs;
    tfg_tfl_options opt;
    bool supported;          /* in tfg_tflite_op_supported's set, not CUSTOM */
} tfg_tfl_op;

typedef struct {
    char *name;              /* "" when absent */
    tfg_tfl_tensor *tensors;
    size_t n_tensors;
    int32_t *inputs;
    size_t n_inputs;
    int32_t *outputs;
    size_t n_outputs;
    tfg_tfl_op *ops;
    size_t n_ops;
} tfg_tfl_subgraph;

typedef struct {
    const uint8_t *data;     /* into tfg_tflite.file; NULL when empty */
    size_t len;
    size_t offset;           /* of data in the file */
} tfg_tfl_buffer;

typedef struct {
    char *name;              /* file name for messages */
    uint8_t *file;           /* the model's own copy of the bytes */
    size_t file_len;
    uint32_t version;        /* schema version (3) */
    char *description;       /* "" when absent */
    tfg_tfl_opcode *opcodes;
    size_t n_opcodes;
    tfg_tfl_subgraph *subgraphs;
    size_t n_subgraphs;
    tfg_tfl_buffer *buffers;
    size_t n_buffers;
} tfg_tflite;

/* Parses len bytes (copied; data may be freed after). name is used in messages. On
 * error *m is left empty (safe to free). */
tfg_status tfg_tflite_parse(const void *data, size_t len, const char *name, tfg_tflite *m,
                            tfg_err *err);
tfg_status tfg_tflite_read(const char *path, tfg_tflite *m, tfg_err *err);
void tfg_tflite_free(tfg_tflite *m);

/* TFG_EINPUT naming the first unsupported operator ("unsupported op CUSTOM 'foo' at
 * operators[3]; supported: ..."), else TFG_OK. */
tfg_status tfg_tflite_check_supported(const tfg_tflite *m, tfg_err *err);

/* A JSON object for `tinyforge inspect`: version, description, op counts, and per
 * subgraph the ops in order (with tensors and options) and the tensors (shape, type,
 * bytes, buffer, scale, zero point). The caller json_decref's it. */
json_t *tfg_tflite_describe(const tfg_tflite *m);

/* Names and facts of the schema enums. Unknown values give "UNKNOWN". */
const char *tfg_tflite_op_name(int32_t builtin);
bool tfg_tflite_op_supported(int32_t builtin);
const char *tfg_tflite_type_name(int32_t type);
/* Bits of one element (4 for INT4), 0 when not fixed (STRING, RESOURCE, unknown). */
unsigned tfg_tflite_type_bits(int32_t type);
const char *tfg_tflite_activation_name(int32_t act);
/* The supported ops, comma-separated, for messages. */
const char *tfg_tflite_supported_list(void);

#endif
