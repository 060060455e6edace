/* tflite.c — reads a .tflite FlatBuffer into the structs of tflite.h.
 *
 * Field numbers follow tensorflow/lite/schema/schema.fbs (a union takes two slots: its
 * type, then its value). Order of work: operator codes and buffers first, so that each
 * tensor and operator can be checked against them the moment it is read and the error
 * can name the byte offset of the bad index. Everything copied out of the file is
 * charged to a budget proportional to the file size: FlatBuffers lets many objects share
 * one vector, and a small hostile file must not expand into gigabytes. */
#include "import/tflite.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/io.h"
#include "import/tflite_schema.h"
#include "import/flatbuf.h"

/* The options union type a supported op carries (0: none that tinyforge reads). */
uint8_t tfg_tfl_options_type(int32_t builtin)
{
    switch (builtin) {
    case TFG_TFL_CONV_2D: return OPT_CONV;
    case TFG_TFL_DEPTHWISE_CONV_2D: return OPT_DWCONV;
    case TFG_TFL_AVERAGE_POOL_2D:
    case TFG_TFL_MAX_POOL_2D: return OPT_POOL;
    case TFG_TFL_FULLY_CONNECTED: return OPT_FC;
    case TFG_TFL_SOFTMAX: return OPT_SOFTMAX;
    case TFG_TFL_ADD: return OPT_ADD;
    case TFG_TFL_RESHAPE: return OPT_RESHAPE;
    default: return 0;
    }
}

static const char *const op_names[] = {
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D",
    "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE", "DEQUANTIZE", "EMBEDDING_LOOKUP",
    "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP", "L2_NORMALIZATION",
    "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", "LSH_PROJECTION",
    "LSTM", "MAX_POOL_2D", "MUL", "RELU",
    "RELU_N1_TO_1", "RELU6", "RESHAPE", "RESIZE_BILINEAR",
    "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF",
    "TANH", "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL",
    "CUSTOM", "EMBEDDING_LOOKUP_SPARSE", "PAD", "UNIDIRECTIONAL_SEQUENCE_RNN",
    "GATHER", "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND", "TRANSPOSE",
    "MEAN", "SUB", "DIV", "SQUEEZE",
    "UNIDIRECTIONAL_SEQUENCE_LSTM", "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP",
    "TOPK_V2", "SPLIT", "LOG_SOFTMAX", "DELEGATE",
    "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM",
    "ARG_MAX", "MINIMUM", "LESS", "NEG",
    "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL",
    "SELECT", "SLICE", "SIN", "TRANSPOSE_CONV",
    "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL",
    "NOT_EQUAL", "LOG", "SUM", "SQRT",
    "RSQRT", "SHAPE", "POW", "ARG_MIN",
    "FAKE_QUANT", "REDUCE_PROD", "REDUCE_MAX", "PACK",
    "LOGICAL_OR", "ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT",
    "UNPACK", "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY",
    "SQUARE", "ZEROS_LIKE", "FILL", "FLOOR_MOD",
    "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE",
    "MIRROR_PAD", "ABS", "SPLIT_V", "UNIQUE",
    "CEIL", "REVERSE_V2", "ADD_N", "GATHER_ND",
    "COS", "WHERE", "RANK", "ELU",
    "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE", "MATRIX_SET_DIAG",
    "ROUND", "HARD_SWISH", "IF", "WHILE",
    "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5", "SCATTER_ND", "SELECT_V2",
    "DENSIFY", "SEGMENT_SUM", "BATCH_MATMUL", "PLACEHOLDER_FOR_GREATER_OP_CODES",
    "CUMSUM", "CALL_ONCE", "BROADCAST_TO", "RFFT2D",
    "CONV_3D", "IMAG", "REAL", "COMPLEX_ABS",
    "HASHTABLE", "HASHTABLE_FIND", "HASHTABLE_IMPORT", "HASHTABLE_SIZE",
    "REDUCE_ALL", "CONV_3D_TRANSPOSE", "VAR_HANDLE", "READ_VARIABLE",
    "ASSIGN_VARIABLE", "BROADCAST_ARGS", "RANDOM_STANDARD_NORMAL", "BUCKETIZE",
    "RANDOM_UNIFORM", "MULTINOMIAL", "GELU", "DYNAMIC_UPDATE_SLICE",
    "RELU_0_TO_1", "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX", "UNSORTED_SEGMENT_SUM",
    "ATAN2", "UNSORTED_SEGMENT_MIN", "SIGN", "BITCAST",
    "BITWISE_XOR", "RIGHT_SHIFT", "STABLEHLO_LOGISTIC", "STABLEHLO_ADD",
    "STABLEHLO_DIVIDE", "STABLEHLO_MULTIPLY", "STABLEHLO_MAXIMUM", "STABLEHLO_RESHAPE",
    "STABLEHLO_CLAMP", "STABLEHLO_CONCATENATE", "STABLEHLO_BROADCAST_IN_DIM",
    "STABLEHLO_CONVOLUTION", "STABLEHLO_SLICE", "STABLEHLO_CUSTOM_CALL", "STABLEHLO_REDUCE",
    "STABLEHLO_ABS", "STABLEHLO_AND", "STABLEHLO_COSINE", "STABLEHLO_EXPONENTIAL",
    "STABLEHLO_FLOOR", "STABLEHLO_LOG", "STABLEHLO_MINIMUM", "STABLEHLO_NEGATE",
    "STABLEHLO_OR", "STABLEHLO_POWER", "STABLEHLO_REMAINDER", "STABLEHLO_RSQRT",
    "STABLEHLO_SELECT", "STABLEHLO_SUBTRACT", "STABLEHLO_TANH", "STABLEHLO_SCATTER",
    "STABLEHLO_COMPARE", "STABLEHLO_CONVERT", "STABLEHLO_DYNAMIC_SLICE",
    "STABLEHLO_DYNAMIC_UPDATE_SLICE", "STABLEHLO_PAD", "STABLEHLO_IOTA", "STABLEHLO_DOT_GENERAL",
    "STABLEHLO_REDUCE_WINDOW", "STABLEHLO_SORT", "STABLEHLO_WHILE", "STABLEHLO_GATHER",
    "STABLEHLO_TRANSPOSE", "DILATE", "STABLEHLO_RNG_BIT_GENERATOR", "REDUCE_WINDOW",
    "STABLEHLO_COMPOSITE", "STABLEHLO_SHIFT_LEFT", "STABLEHLO_CBRT", "STABLEHLO_CASE",
};

static const struct {
    const char *name;
    unsigned bits;
} types[] = {
    {"FLOAT32", 32}, {"FLOAT16", 16}, {"INT32", 32},  {"UINT8", 8},      {"INT64", 64},
    {"STRING", 0},   {"BOOL", 8},     {"INT16", 16},  {"COMPLEX64", 64}, {"INT8", 8},
    {"FLOAT64", 64}, {"COMPLEX128", 128}, {"UINT64", 64}, {"RESOURCE", 0}, {"VARIANT", 0},
    {"UINT32", 32},  {"UINT16", 16},  {"INT4", 4},    {"BFLOAT16", 16},  {"INT2", 2},
    {"UINT4", 4},    {"FLOAT8_E4M3FN", 8}, {"FLOAT8_E5M2", 8},
};

static const int32_t supported_ops[] = {
    TFG_TFL_CONV_2D, TFG_TFL_DEPTHWISE_CONV_2D, TFG_TFL_FULLY_CONNECTED,
    TFG_TFL_AVERAGE_POOL_2D, TFG_TFL_MAX_POOL_2D, TFG_TFL_ADD, TFG_TFL_RESHAPE,
    TFG_TFL_SOFTMAX, TFG_TFL_LOGISTIC, TFG_TFL_TANH, TFG_TFL_QUANTIZE, TFG_TFL_DEQUANTIZE,
};
#define N_SUPPORTED (sizeof supported_ops / sizeof supported_ops[0])

const char *tfg_tflite_op_name(int32_t builtin)
{
    if (builtin < 0 || (size_t)builtin >= sizeof op_names / sizeof op_names[0])
        return "UNKNOWN";
    return op_names[builtin];
}

bool tfg_tflite_op_supported(int32_t builtin)
{
    for (size_t i = 0; i < N_SUPPORTED; i++)
        if (supported_ops[i] == builtin)
            return true;
    return false;
}

const char *tfg_tflite_supported_list(void)
{
    /* a literal rather than text built on first use: no static state to race on;
     * test_tflite checks it names every op of supported_ops */
    return "CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, AVERAGE_POOL_2D, MAX_POOL_2D, ADD, "
           "RESHAPE, SOFTMAX, LOGISTIC, TANH, QUANTIZE, DEQUANTIZE";
}

const char *tfg_tflite_type_name(int32_t type)
{
    if (type < 0 || (size_t)type >= sizeof types / sizeof types[0])
        return "UNKNOWN";
    return types[type].name;
}

unsigned tfg_tflite_type_bits(int32_t type)
{
    if (type < 0 || (size_t)type >= sizeof types / sizeof types[0])
        return 0;
    return types[type].bits;
}

const char *tfg_tflite_activation_name(int32_t act)
{
    static const char *const names[] = {"NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH",
                                        "SIGN_BIT"};
    if (act < 0 || act > 5)
        return "UNKNOWN";
    return names[act];
}

/* ---- parsing ---------------------------------------------------------------------- */

typedef struct {
    tfg_fb fb;
    tfg_err *err;
    tfg_tflite *m;
    size_t budget;   /* bytes that may still be copied out of the file */
    char sg[40];     /* "" or "subgraphs[K]." before tensor/operator names in messages */
} ctx;

static tfg_status charge(ctx *c, size_t bytes, size_t off, const char *what)
{
    if (bytes > c->budget)
        return tfg_fb_fail(&c->fb, off, c->err,
                           "%s makes the decoded model larger than 4 times the file plus 1 MiB "
                           "(vectors or strings shared by too many objects?)", what);
    c->budget -= bytes;
    return TFG_OK;
}

static tfg_status check_count(ctx *c, const tfg_fb_vec *v, const char *what)
{
    if (v->n > TFG_TFL_MAX_COUNT)
        return tfg_fb_fail(&c->fb, v->ref, c->err, "%s has %zu entries, more than %d", what,
                           v->n, TFG_TFL_MAX_COUNT);
    return TFG_OK;
}

/* A string field as a new string ("" when absent). */
static tfg_status copy_str(ctx *c, const tfg_fb_table *t, unsigned id, const char *what,
                           char **out)
{
    const char *s;
    size_t n;
    bool present;
    *out = NULL;
    tfg_status st = tfg_fb_get_str(&c->fb, t, id, what, &s, &n, &present, c->err);
    if (!st)
        st = charge(c, n + 1, t->pos, what);
    if (!st)
        *out = present ? tfg_xstrndup(s, n) : tfg_xstrdup("");
    return st;
}

/* An int32 vector field as a new array (NULL, 0 when absent or empty). */
static tfg_status copy_i32v(ctx *c, const tfg_fb_table *t, unsigned id, const char *what,
                            int32_t **out, size_t *n, bool *present, size_t *ref)
{
    tfg_fb_vec v;
    bool pres;
    *out = NULL;
    *n = 0;
    tfg_status st = tfg_fb_get_vec(&c->fb, t, id, 4, what, &v, &pres, c->err);
    if (present)
        *present = pres;
    if (ref)
        *ref = v.ref;
    if (st || !pres || !v.n)
        return st;
    if ((st = check_count(c, &v, what)) || (st = charge(c, v.n * 4, v.ref, what)))
        return st;
    *out = tfg_xcalloc(v.n, sizeof **out);
    for (size_t i = 0; i < v.n; i++)
        (*out)[i] = tfg_fb_vec_i32(&c->fb, &v, i);
    *n = v.n;
    return TFG_OK;
}

/* A vector-of-tables field: *v and the count, checked against the limit. */
static tfg_status table_vec(ctx *c, const tfg_fb_table *t, unsigned id, const char *what,
                            tfg_fb_vec *v)
{
    bool present;
    tfg_status st = tfg_fb_get_vec(&c->fb, t, id, 4, what, v, &present, c->err);
    return st ? st : check_count(c, v, what);
}

static tfg_status parse_opcode(ctx *c, const tfg_fb_table *t, size_t i, tfg_tfl_opcode *oc)
{
    char what[64];
    uint8_t dep;
    tfg_status st;
    snprintf(what, sizeof what, "operator_codes[%zu]", i);
    if ((st = tfg_fb_get_u8(&c->fb, t, OPC_DEPRECATED, 0, &dep, what, c->err)) ||
        (st = tfg_fb_get_i32(&c->fb, t, OPC_VERSION, 1, &oc->version, what, c->err)) ||
        (st = tfg_fb_get_i32(&c->fb, t, OPC_BUILTIN, 0, &oc->builtin_code, what, c->err)))
        return st;
    oc->deprecated_code = (int8_t)dep;
    /* Old writers fill only the int8 field, new ones both (int8 capped at 127), so the
     * larger of the two is the code: the rule TensorFlow itself applies. */
    oc->builtin = oc->builtin_code > oc->deprecated_code ? oc->builtin_code : oc->deprecated_code;
    const char *s;
    size_t n;
    bool present;
    snprintf(what, sizeof what, "operator_codes[%zu].custom_code", i);
    if ((st = tfg_fb_get_str(&c->fb, t, OPC_CUSTOM, what, &s, &n, &present, c->err)) ||
        (st = charge(c, n + 1, t->pos, what)))
        return st;
    if (present)
        oc->custom = tfg_xstrndup(s, n);
    return TFG_OK;
}

static tfg_status parse_opcodes(ctx *c, const tfg_fb_table *root)
{
    tfg_fb_vec v;
    tfg_status st = table_vec(c, root, MODEL_OPCODES, "operator_codes", &v);
    if (st || !v.n)
        return st;
    c->m->opcodes = tfg_xcalloc(v.n, sizeof *c->m->opcodes);
    c->m->n_opcodes = v.n;
    for (size_t i = 0; i < v.n; i++) {
        tfg_fb_table t;
        char what[48];
        snprintf(what, sizeof what, "operator_codes[%zu]", i);
        if ((st = tfg_fb_vec_table(&c->fb, &v, i, what, &t, c->err)) ||
            (st = parse_opcode(c, &t, i, &c->m->opcodes[i])))
            return st;
    }
    return TFG_OK;
}

static tfg_status parse_buffer(ctx *c, const tfg_fb_table *t, size_t i, tfg_tfl_buffer *b)
{
    char what[48];
    tfg_fb_vec v;
    bool present;
    uint64_t off, size;
    tfg_status st;
    snprintf(what, sizeof what, "buffer %zu data", i);
    if ((st = tfg_fb_get_vec(&c->fb, t, BUF_DATA, 1, what, &v, &present, c->err)) ||
        (st = tfg_fb_get_u64(&c->fb, t, BUF_OFFSET, 0, &off, what, c->err)) ||
        (st = tfg_fb_get_u64(&c->fb, t, BUF_SIZE, 0, &size, what, c->err)))
        return st;
    if (v.n) {
        b->data = c->fb.buf + v.pos;
        b->len = v.n;
        b->offset = v.pos;
    } else if (off > 1) { /* a model over 2 GB keeps data after the FlatBuffer; 1 = none */
        if (off > c->fb.len || size > c->fb.len - off)
            return tfg_fb_fail(&c->fb, t->pos, c->err,
                               "%s (offset %llu, size %llu) runs past the end of the file "
                               "(%zu bytes)", what, (unsigned long long)off,
                               (unsigned long long)size, c->fb.len);
        b->data = size ? c->fb.buf + off : NULL;
        b->len = (size_t)size;
        b->offset = (size_t)off;
    }
    return TFG_OK;
}

static tfg_status parse_buffers(ctx *c, const tfg_fb_table *root)
{
    tfg_fb_vec v;
    tfg_status st = table_vec(c, root, MODEL_BUFFERS, "buffers", &v);
    if (st || !v.n)
        return st;
    c->m->buffers = tfg_xcalloc(v.n, sizeof *c->m->buffers);
    c->m->n_buffers = v.n;
    for (size_t i = 0; i < v.n; i++) {
        tfg_fb_table t;
        char what[32];
        snprintf(what, sizeof what, "buffer %zu", i);
        if ((st = tfg_fb_vec_table(&c->fb, &v, i, what, &t, c->err)) ||
            (st = parse_buffer(c, &t, i, &c->m->buffers[i])))
            return st;
    }
    return TFG_OK;
}

/* Shape: dims >= 1, rank <= TFG_TFL_MAX_RANK, product < 2^31. A zero dimension is refused
 * here, not when a kernel divides by it: every later stage may assume a non-empty tensor
 * (rank 0, a scalar, has one element). */
static tfg_status parse_shape(ctx *c, const tfg_fb_table *t, const char *what, tfg_tfl_tensor *x)
{
    size_t ref;
    char w[96];
    snprintf(w, sizeof w, "%s shape", what);
    tfg_status st = copy_i32v(c, t, TEN_SHAPE, w, &x->shape, &x->rank, NULL, &ref);
    if (st)
        return st;
    if (x->rank > TFG_TFL_MAX_RANK)
        return tfg_fb_fail(&c->fb, ref, c->err, "%s has %zu dimensions, more than %d", w,
                           x->rank, TFG_TFL_MAX_RANK);
    x->elems = 1;
    for (size_t d = 0; d < x->rank; d++) {
        if (x->shape[d] < 1)
            return tfg_fb_fail(&c->fb, ref, c->err,
                               "%s[%zu] is %d, expected a size >= 1 (an empty tensor cannot"
                               " run on a device)", w, d, (int)x->shape[d]);
        x->elems *= x->shape[d];
        if (x->elems >= TFG_TFL_MAX_ELEMS)
            return tfg_fb_fail(&c->fb, ref, c->err,
                               "%s has 2^31 or more elements, too many for a tensor", w);
    }
    unsigned bits = tfg_tflite_type_bits(x->type);
    x->bytes = (size_t)(((uint64_t)x->elems * bits + 7) / 8);
    return TFG_OK;
}

static tfg_status parse_quant(ctx *c, const tfg_fb_table *t, const char *what, tfg_tfl_tensor *x)
{
    tfg_fb_table q;
    tfg_fb_vec sv, zv;
    bool present;
    char w[96];
    snprintf(w, sizeof w, "%s quantization", what);
    tfg_status st = tfg_fb_get_table(&c->fb, t, TEN_QUANT, w, &q, &present, c->err);
    if (st || !present)
        return st;
    if ((st = tfg_fb_get_vec(&c->fb, &q, Q_SCALE, 4, w, &sv, &present, c->err)) ||
        (st = tfg_fb_get_vec(&c->fb, &q, Q_ZERO_POINT, 8, w, &zv, &present, c->err)) ||
        (st = tfg_fb_get_i32(&c->fb, &q, Q_DIM, 0, &x->quantized_dimension, w, c->err)) ||
        (st = check_count(c, &sv, w)) || (st = check_count(c, &zv, w)) ||
        (st = charge(c, sv.n * 4 + zv.n * 8, q.pos, w)))
        return st;
    if (sv.n && zv.n && sv.n != zv.n)
        return tfg_fb_fail(&c->fb, q.pos, c->err, "%s has %zu scales but %zu zero points", w,
                           sv.n, zv.n);
    if (sv.n > 1 && (x->quantized_dimension < 0 || (size_t)x->quantized_dimension >= x->rank ||
                     (size_t)x->shape[x->quantized_dimension] != sv.n))
        return tfg_fb_fail(&c->fb, q.pos, c->err,
                           "%s has %zu per-channel scales along dimension %d, which is not a "
                           "dimension of that size", w, sv.n, (int)x->quantized_dimension);
    if (sv.n) {
        x->scale = tfg_xcalloc(sv.n, sizeof *x->scale);
        for (size_t i = 0; i < sv.n; i++)
            x->scale[i] = tfg_fb_vec_f32(&c->fb, &sv, i);
    }
    if (zv.n) {
        x->zero_point = tfg_xcalloc(zv.n, sizeof *x->zero_point);
        for (size_t i = 0; i < zv.n; i++)
            x->zero_point[i] = tfg_fb_vec_i64(&c->fb, &zv, i);
    }
    x->n_scale = sv.n;
    x->n_zero_point = zv.n;
    return TFG_OK;
}

/* The tensor's buffer index exists and its data, if any, fits shape x type. */
static tfg_status check_buffer(ctx *c, const tfg_fb_table *t, const char *what,
                               const tfg_tfl_tensor *x)
{
    size_t pos;
    tfg_status st = tfg_fb_field(&c->fb, t, TEN_BUFFER, 4, what, &pos, c->err);
    if (st)
        return st;
    if (x->buffer >= c->m->n_buffers && (x->buffer || c->m->n_buffers))
        return tfg_fb_fail(&c->fb, pos ? pos : t->pos, c->err,
                           "%s names buffer %u, but the model has %zu buffers", what,
                           (unsigned)x->buffer, c->m->n_buffers);
    if (x->buffer >= c->m->n_buffers)
        return TFG_OK; /* no buffers at all and buffer 0: no data */
    const tfg_tfl_buffer *b = &c->m->buffers[x->buffer];
    if (b->len && tfg_tflite_type_bits(x->type) && b->len != x->bytes)
        return tfg_fb_fail(&c->fb, pos ? pos : t->pos, c->err,
                           "%s has %zu bytes of data in buffer %u, but %lld elements of %s "
                           "need %zu", what, b->len, (unsigned)x->buffer, (long long)x->elems,
                           tfg_tflite_type_name(x->type), x->bytes);
    return TFG_OK;
}

static tfg_status parse_tensor(ctx *c, const tfg_fb_table *t, size_t i, tfg_tfl_tensor *x)
{
    char what[64], w[80];
    uint8_t type, var;
    tfg_status st;
    snprintf(what, sizeof what, "%stensor %zu", c->sg, i);
    if ((st = tfg_fb_get_u8(&c->fb, t, TEN_TYPE, 0, &type, what, c->err)) ||
        (st = tfg_fb_get_u32(&c->fb, t, TEN_BUFFER, 0, &x->buffer, what, c->err)) ||
        (st = tfg_fb_get_u8(&c->fb, t, TEN_VARIABLE, 0, &var, what, c->err)))
        return st;
    x->type = (int8_t)type;
    x->is_variable = var != 0;
    snprintf(w, sizeof w, "%s name", what);
    if ((st = copy_str(c, t, TEN_NAME, w, &x->name)) || (st = parse_shape(c, t, what, x)) ||
        (st = parse_quant(c, t, what, x)) || (st = check_buffer(c, t, what, x)))
        return st;
    return TFG_OK;
}

/* Every index in idx (at vector ref) names a tensor; -1 is allowed when optional. */
static tfg_status check_tensor_refs(ctx *c, const int32_t *idx, size_t n, size_t ref,
                                    bool optional, size_t n_tensors, const char *what)
{
    for (size_t k = 0; k < n; k++) {
        if (idx[k] == -1 && optional)
            continue;
        if (idx[k] < 0 || (size_t)idx[k] >= n_tensors)
            return tfg_fb_fail(&c->fb, ref, c->err,
                               "%s[%zu] names tensor %d, but the subgraph has %zu tensors", what,
                               k, (int)idx[k], n_tensors);
    }
    return TFG_OK;
}

static tfg_status expect_at_least(ctx *c, size_t off, const char *what, const char *field,
                                  int32_t v, int32_t min)
{
    if (v < min)
        return tfg_fb_fail(&c->fb, off, c->err, "%s %s is %d, expected >= %d", what, field,
                           (int)v, (int)min);
    return TFG_OK;
}

/* Reads the options table o of union type `type` into opt for a supported op. */
static tfg_status read_options(ctx *c, const tfg_fb_table *o, const char *w, tfg_tfl_options *p)
{
    uint8_t pad = 0, act = 0, b = 0, wf = 0;
    tfg_status st = TFG_OK;
    const tfg_fb *fb = &c->fb;
    tfg_err *e = c->err;
    switch (p->type) {
    case OPT_CONV:
        if ((st = tfg_fb_get_u8(fb, o, 0, 0, &pad, w, e)) ||
            (st = tfg_fb_get_i32(fb, o, 1, 0, &p->stride_w, w, e)) ||
            (st = tfg_fb_get_i32(fb, o, 2, 0, &p->stride_h, w, e)) ||
            (st = tfg_fb_get_u8(fb, o, 3, 0, &act, w, e)) ||
            (st = tfg_fb_get_i32(fb, o, 4, 1, &p->dilation_w, w, e)) ||
            (st = tfg_fb_get_i32(fb, o, 5, 1, &p->dilation_h, w, e)))
            return st;
        break;
    case OPT_DWCONV:
        if ((st = tfg_fb_get_u8(fb, o, 0, 0, &pad, w, e)) ||
            (st = tfg_fb_get_i32(fb, o, 1, 0, &p->stride_w, w, e)) ||
            (st = tfg_fb_get_i32(fb, o, 2, 0, &p->stride_h, w, e)) ||
            (st = tfg_fb_get_i32(fb, o, 3, 0, &p->depth_multiplier, w, e)) ||
            (st = tfg_fb_get_u8(fb, o, 4, 0, &act, w, e)) ||
            (st = tfg_fb_get_i32(fb, o, 5, 1, &p->dilation_w, w, e)) ||
            (st = tfg_fb_get_i32(fb, o, 6, 1, &p->dilation_h, w, e)))
            return st;
        break;
    case OPT_POOL:
        if ((st = tfg_fb_get_u8(fb, o, 0, 0, &pad, w, e)) ||
            (st = tfg_fb_get_i32(fb, o, 1, 0, &p->stride_w, w, e)) ||
            (st = tfg_fb_get_i32(fb, o, 2, 0, &p->stride_h, w, e)) ||
            (st = tfg_fb_get_i32(fb, o, 3, 0, &p->filter_w, w, e)) ||
            (st = tfg_fb_get_i32(fb, o, 4, 0, &p->filter_h, w, e)) ||
            (st = tfg_fb_get_u8(fb, o, 5, 0, &act, w, e)))
            return st;
        break;
    case OPT_FC:
        if ((st = tfg_fb_get_u8(fb, o, 0, 0, &act, w, e)) ||
            (st = tfg_fb_get_u8(fb, o, 1, 0, &wf, w, e)) ||
            (st = tfg_fb_get_u8(fb, o, 2, 0, &b, w, e)))
            return st;
        p->weights_format = wf;
        p->keep_num_dims = b != 0;
        break;
    case OPT_SOFTMAX:
        return tfg_fb_get_f32(fb, o, 0, 0.0f, &p->beta, w, e);
    case OPT_ADD:
        if ((st = tfg_fb_get_u8(fb, o, 0, 0, &act, w, e)))
            return st;
        break;
    case OPT_RESHAPE:
        return copy_i32v(c, o, 0, w, &p->new_shape, &p->n_new_shape, NULL, NULL);
    default:
        return TFG_OK;
    }
    if (pad > 1)
        return tfg_fb_fail(fb, o->pos, e, "%s padding is %u, expected 0 (SAME) or 1 (VALID)",
                           w, pad);
    if (act > 5)
        return tfg_fb_fail(fb, o->pos, e, "%s fused activation is %u, expected 0..5", w, act);
    p->padding = (tfg_tfl_padding)pad;
    p->activation = (tfg_tfl_activation)act;
    return TFG_OK;
}

/* Values the kernels divide by or loop over must be sane. */
static tfg_status check_options(ctx *c, size_t off, const char *w, const tfg_tfl_op *op)
{
    const tfg_tfl_options *p = &op->opt;
    tfg_status st = TFG_OK;
    uint8_t t = tfg_tfl_options_type(op->builtin);
    if (t == OPT_CONV || t == OPT_DWCONV || t == OPT_POOL) {
        if ((st = expect_at_least(c, off, w, "stride_w", p->stride_w, 1)) ||
            (st = expect_at_least(c, off, w, "stride_h", p->stride_h, 1)))
            return st;
    }
    if (t == OPT_CONV || t == OPT_DWCONV) {
        if ((st = expect_at_least(c, off, w, "dilation_w_factor", p->dilation_w, 1)) ||
            (st = expect_at_least(c, off, w, "dilation_h_factor", p->dilation_h, 1)))
            return st;
    }
    if (t == OPT_POOL) {
        if ((st = expect_at_least(c, off, w, "filter_width", p->filter_w, 1)) ||
            (st = expect_at_least(c, off, w, "filter_height", p->filter_h, 1)))
            return st;
    }
    return TFG_OK;
}

static tfg_status parse_op_options(ctx *c, const tfg_fb_table *t, const char *what,
                                   tfg_tfl_op *op)
{
    tfg_tfl_options *p = &op->opt;
    char w[96];
    uint8_t type;
    tfg_fb_table o;
    bool present;
    p->dilation_w = p->dilation_h = 1;
    snprintf(w, sizeof w, "%s (%s) builtin options", what, tfg_tflite_op_name(op->builtin));
    tfg_status st = tfg_fb_get_u8(&c->fb, t, OP_OPT_TYPE, 0, &type, w, c->err);
    if (st || !op->supported)
        return st; /* options of ops we do not run are not read */
    uint8_t want = tfg_tfl_options_type(op->builtin);
    if (type && want && type != want)
        return tfg_fb_fail(&c->fb, t->pos, c->err, "%s have union type %u, expected %u", w,
                           type, want);
    if (want) {
        p->type = want;
        if ((st = tfg_fb_get_table(&c->fb, t, OP_OPT, w, &o, &present, c->err)))
            return st;
        if (present && type && (st = read_options(c, &o, w, p)))
            return st;
    }
    return check_options(c, t->pos, w, op);
}

static tfg_status parse_op(ctx *c, const tfg_fb_table *t, size_t i, size_t n_tensors,
                           tfg_tfl_op *op)
{
    char what[64], w[96];
    size_t ref_in, ref_out, pos;
    tfg_status st;
    snprintf(what, sizeof what, "%soperators[%zu]", c->sg, i);
    if ((st = tfg_fb_get_u32(&c->fb, t, OP_OPCODE, 0, &op->opcode_index, what, c->err)) ||
        (st = tfg_fb_field(&c->fb, t, OP_OPCODE, 4, what, &pos, c->err)))
        return st;
    if (op->opcode_index >= c->m->n_opcodes)
        return tfg_fb_fail(&c->fb, pos ? pos : t->pos, c->err,
                           "%s names operator code %u, but the model has %zu", what,
                           (unsigned)op->opcode_index, c->m->n_opcodes);
    const tfg_tfl_opcode *oc = &c->m->opcodes[op->opcode_index];
    op->builtin = oc->builtin;
    op->supported = tfg_tflite_op_supported(op->builtin);
    snprintf(w, sizeof w, "%s inputs", what);
    if ((st = copy_i32v(c, t, OP_INPUTS, w, &op->inputs, &op->n_inputs, NULL, &ref_in)) ||
        (st = check_tensor_refs(c, op->inputs, op->n_inputs, ref_in, true, n_tensors, w)))
        return st;
    snprintf(w, sizeof w, "%s outputs", what);
    if ((st = copy_i32v(c, t, OP_OUTPUTS, w, &op->outputs, &op->n_outputs, NULL, &ref_out)) ||
        (st = check_tensor_refs(c, op->outputs, op->n_outputs, ref_out, false, n_tensors, w)))
        return st;
    return parse_op_options(c, t, what, op);
}

static tfg_status parse_tensors(ctx *c, const tfg_fb_table *t, tfg_tfl_subgraph *g)
{
    tfg_fb_vec v;
    char what[48];
    snprintf(what, sizeof what, "%stensors", c->sg);
    tfg_status st = table_vec(c, t, SG_TENSORS, what, &v);
    if (st || !v.n)
        return st;
    if ((st = charge(c, v.n * sizeof *g->tensors, v.ref, what)))
        return st;
    g->tensors = tfg_xcalloc(v.n, sizeof *g->tensors);
    g->n_tensors = v.n;
    for (size_t i = 0; i < v.n; i++) {
        tfg_fb_table x;
        snprintf(what, sizeof what, "%stensor %zu", c->sg, i);
        if ((st = tfg_fb_vec_table(&c->fb, &v, i, what, &x, c->err)) ||
            (st = parse_tensor(c, &x, i, &g->tensors[i])))
            return st;
    }
    return TFG_OK;
}

static tfg_status parse_ops(ctx *c, const tfg_fb_table *t, tfg_tfl_subgraph *g)
{
    tfg_fb_vec v;
    char what[48];
    snprintf(what, sizeof what, "%soperators", c->sg);
    tfg_status st = table_vec(c, t, SG_OPS, what, &v);
    if (st || !v.n)
        return st;
    if ((st = charge(c, v.n * sizeof *g->ops, v.ref, what)))
        return st;
    g->ops = tfg_xcalloc(v.n, sizeof *g->ops);
    g->n_ops = v.n;
    for (size_t i = 0; i < v.n; i++) {
        tfg_fb_table x;
        snprintf(what, sizeof what, "%soperators[%zu]", c->sg, i);
        if ((st = tfg_fb_vec_table(&c->fb, &v, i, what, &x, c->err)) ||
            (st = parse_op(c, &x, i, g->n_tensors, &g->ops[i])))
            return st;
    }
    return TFG_OK;
}

static tfg_status parse_subgraph(ctx *c, const tfg_fb_table *t, tfg_tfl_subgraph *g)
{
    char w[64];
    size_t ref;
    tfg_status st;
    snprintf(w, sizeof w, "%sname", c->sg);
    if ((st = copy_str(c, t, SG_NAME, w, &g->name)) || (st = parse_tensors(c, t, g)))
        return st;
    snprintf(w, sizeof w, "%sinputs", c->sg);
    if ((st = copy_i32v(c, t, SG_INPUTS, w, &g->inputs, &g->n_inputs, NULL, &ref)) ||
        (st = check_tensor_refs(c, g->inputs, g->n_inputs, ref, false, g->n_tensors, w)))
        return st;
    snprintf(w, sizeof w, "%soutputs", c->sg);
    if ((st = copy_i32v(c, t, SG_OUTPUTS, w, &g->outputs, &g->n_outputs, NULL, &ref)) ||
        (st = check_tensor_refs(c, g->outputs, g->n_outputs, ref, false, g->n_tensors, w)))
        return st;
    return parse_ops(c, t, g);
}

static tfg_status parse_subgraphs(ctx *c, const tfg_fb_table *root)
{
    tfg_fb_vec v;
    tfg_status st = table_vec(c, root, MODEL_SUBGRAPHS, "subgraphs", &v);
    if (st)
        return st;
    if (!v.n)
        return tfg_fb_fail(&c->fb, v.ref ? v.ref : root->pos, c->err,
                           "the model has no subgraphs, expected at least one");
    c->m->subgraphs = tfg_xcalloc(v.n, sizeof *c->m->subgraphs);
    c->m->n_subgraphs = v.n;
    for (size_t i = 0; i < v.n; i++) {
        tfg_fb_table t;
        /* subgraph 0 is the model itself; name others so messages stay short for it */
        if (i)
            snprintf(c->sg, sizeof c->sg, "subgraphs[%zu].", i);
        else
            c->sg[0] = '\0';
        char what[32];
        snprintf(what, sizeof what, "subgraphs[%zu]", i);
        if ((st = tfg_fb_vec_table(&c->fb, &v, i, what, &t, c->err)) ||
            (st = parse_subgraph(c, &t, &c->m->subgraphs[i])))
            return st;
    }
    return TFG_OK;
}

/* Parses m->file (already owned by m). */
static tfg_status parse_owned(tfg_tflite *m, tfg_err *err)
{
    ctx c;
    tfg_fb_table root;
    tfg_status st;
    memset(&c, 0, sizeof c);
    tfg_fb_init(&c.fb, m->file, m->file_len, m->name);
    c.err = err;
    c.m = m;
    c.budget = 4 * m->file_len + ((size_t)1 << 20);
    if ((st = tfg_fb_root(&c.fb, "TFL3", &root, err)) ||
        (st = tfg_fb_get_u32(&c.fb, &root, MODEL_VERSION, 0, &m->version, "version", err)))
        return st;
    if (m->version != 3) /* what TFLite Micro accepts; 0..2 had other layouts */
        return tfg_fb_fail(&c.fb, root.pos, err, "schema version is %u, expected 3",
                           (unsigned)m->version);
    if ((st = copy_str(&c, &root, MODEL_DESC, "description", &m->description)) ||
        (st = parse_opcodes(&c, &root)) || (st = parse_buffers(&c, &root)) ||
        (st = parse_subgraphs(&c, &root)))
        return st;
    return TFG_OK;
}

static tfg_status finish(tfg_tflite *m, tfg_status st)
{
    if (st)
        tfg_tflite_free(m);
    return st;
}

tfg_status tfg_tflite_parse(const void *data, size_t len, const char *name, tfg_tflite *m,
                            tfg_err *err)
{
    memset(m, 0, sizeof *m);
    m->name = tfg_xstrdup(name ? name : "model.tflite");
    m->file = tfg_xmalloc(len ? len : 1); /* malloc alignment: offsets are file-relative */
    if (len)
        memcpy(m->file, data, len);
    m->file_len = len;
    return finish(m, parse_owned(m, err));
}

tfg_status tfg_tflite_read(const char *path, tfg_tflite *m, tfg_err *err)
{
    char *buf;
    size_t len;
    memset(m, 0, sizeof *m);
    tfg_status st = tfg_read_file(path, TFG_READ_MAX_DEFAULT, &buf, &len, err);
    if (st)
        return st;
    m->name = tfg_xstrdup(path);
    m->file = (uint8_t *)buf;
    m->file_len = len;
    return finish(m, parse_owned(m, err));
}

void tfg_tflite_free(tfg_tflite *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_opcodes; i++)
        free(m->opcodes[i].custom);
    for (size_t s = 0; s < m->n_subgraphs; s++) {
        tfg_tfl_subgraph *g = &m->subgraphs[s];
        for (size_t i = 0; i < g->n_tensors; i++) {
            free(g->tensors[i].name);
            free(g->tensors[i].shape);
            free(g->tensors[i].scale);
            free(g->tensors[i].zero_point);
        }
        for (size_t i = 0; i < g->n_ops; i++) {
            free(g->ops[i].inputs);
            free(g->ops[i].outputs);
            free(g->ops[i].opt.new_shape);
        }
        free(g->name);
        free(g->tensors);
        free(g->inputs);
        free(g->outputs);
        free(g->ops);
    }
    free(m->subgraphs);
    free(m->opcodes);
    free(m->buffers);
    free(m->description);
    free(m->file);
    free(m->name);
    memset(m, 0, sizeof *m);
}

tfg_status tfg_tflite_check_supported(const tfg_tflite *m, tfg_err *err)
{
    for (size_t s = 0; s < m->n_subgraphs; s++) {
        const tfg_tfl_subgraph *g = &m->subgraphs[s];
        for (size_t i = 0; i < g->n_ops; i++) {
            const tfg_tfl_op *op = &g->ops[i];
            if (op->supported)
                continue;
            const tfg_tfl_opcode *oc = &m->opcodes[op->opcode_index];
            char where[64] = "";
            if (s)
                snprintf(where, sizeof where, "subgraphs[%zu].", s);
            if (op->builtin == TFG_TFL_CUSTOM)
                return tfg_err_set(err, TFG_EINPUT,
                                   "%s: unsupported op CUSTOM '%s' at %soperators[%zu]; "
                                   "supported: %s", m->name, oc->custom ? oc->custom : "",
                                   where, i, tfg_tflite_supported_list());
            return tfg_err_set(err, TFG_EINPUT,
                               "%s: unsupported op %s (builtin code %d) at %soperators[%zu]; "
                               "supported: %s", m->name, tfg_tflite_op_name(op->builtin),
                               (int)op->builtin, where, i, tfg_tflite_supported_list());
        }
    }
    return TFG_OK;
}
