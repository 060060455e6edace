/* tflite_builder.h — a tiny FlatBuffer writer for the importer's tests (test_tflite.c).
 *
 * The two reference models only use part of the op set and are well formed; to test
 * other ops' options, unsupported ops and precise corruptions, the tests build small
 * .tflite files themselves. This writer lays objects out front to back: a parent is
 * written with its reference fields empty, its children after it, and each reference is
 * patched once the child's position is known (FlatBuffers offsets point forward). Each
 * vtable sits just before its table. Only what the tests need: no vtable sharing. */
#ifndef TFG_TESTS_TFLITE_BUILDER_H
#define TFG_TESTS_TFLITE_BUILDER_H

#include <stdint.h>
#include <string.h>

#include "core/alloc.h"

typedef struct {
    uint8_t *d;
    size_t len, cap;
} tb_w;

static inline void tb_put(tb_w *w, size_t pos, uint64_t v, size_t size)
{
    for (size_t i = 0; i < size; i++)
        w->d[pos + i] = (uint8_t)(v >> (8 * i));
}

/* Appends n zero bytes; returns where they start. */
static inline size_t tb_grow(tb_w *w, size_t n)
{
    if (w->len + n > w->cap) {
        w->cap = (w->len + n) * 2 + 64;
        w->d = tfg_xrealloc(w->d, w->cap);
    }
    memset(w->d + w->len, 0, n);
    w->len += n;
    return w->len - n;
}

static inline void tb_align(tb_w *w, size_t a, size_t shift)
{
    while ((w->len + shift) % a)
        tb_grow(w, 1);
}

/* Points the u32 reference at ref to target. */
static inline void tb_patch(tb_w *w, size_t ref, size_t target)
{
    tb_put(w, ref, target - ref, 4);
}

#define TB_MAX_FIELDS 12
/* A table to write: field i has size[i] bytes (0 = absent) and value val[i]; a
 * reference field is size 4 with value 0, patched later through pos[i]. */
typedef struct {
    int n;
    int size[TB_MAX_FIELDS];
    uint64_t val[TB_MAX_FIELDS];
    size_t pos[TB_MAX_FIELDS]; /* filled by tb_table */
} tb_table_def;

static inline void tb_field(tb_table_def *t, int id, int size, uint64_t val)
{
    t->size[id] = size;
    t->val[id] = val;
    if (id >= t->n)
        t->n = id + 1;
}

/* Writes vtable then table; returns the table's position. */
static inline size_t tb_table(tb_w *w, tb_table_def *t)
{
    tb_align(w, 4, 0);
    size_t vt = w->len, vts = 4 + 2 * (size_t)t->n;
    size_t T = vt + ((vts + 3) & ~(size_t)3);
    size_t off[TB_MAX_FIELDS] = {0}, cur = 4;
    for (int i = 0; i < t->n; i++) {
        if (!t->size[i])
            continue;
        while ((T + cur) % (size_t)t->size[i])
            cur++;
        off[i] = cur;
        cur += (size_t)t->size[i];
    }
    tb_grow(w, T - vt + cur);
    tb_put(w, vt, vts, 2);
    tb_put(w, vt + 2, cur, 2);
    for (int i = 0; i < t->n; i++)
        tb_put(w, vt + 4 + 2 * (size_t)i, off[i], 2);
    tb_put(w, T, T - vt, 4); /* soffset: vtable = T - soffset */
    for (int i = 0; i < t->n; i++) {
        t->pos[i] = off[i] ? T + off[i] : 0;
        if (off[i])
            tb_put(w, T + off[i], t->val[i], (size_t)t->size[i]);
    }
    return T;
}

/* A vector of n elements of elem bytes from vals (or n zero references when vals is
 * NULL); returns the position of its length word. */
static inline size_t tb_vec(tb_w *w, size_t elem, size_t n, const void *vals)
{
    tb_align(w, 4, 0);
    if (elem == 8)
        tb_align(w, 8, 4);
    size_t p = tb_grow(w, 4 + elem * n);
    tb_put(w, p, n, 4);
    if (vals)
        memcpy(w->d + p + 4, vals, elem * n); /* the tests run on little-endian hosts */
    return p;
}

static inline size_t tb_str(tb_w *w, const char *s)
{
    tb_align(w, 4, 0);
    size_t n = strlen(s), p = tb_grow(w, 4 + n + 1);
    tb_put(w, p, n, 4);
    memcpy(w->d + p + 4, s, n);
    return p;
}

/* ---- a small model description and its writer ------------------------------------ */

typedef struct {
    int32_t code;
    const char *custom;
    int legacy;        /* write only the deprecated int8 field, as old converters did */
} tb_opcode;

typedef struct {
    const char *name;
    int type;
    int rank;
    int32_t shape[4];
    uint32_t buffer;
    int n_q;           /* 0: no quantization */
    float scale[4];
    int64_t zp[4];
    int32_t qdim;
} tb_tensor;

typedef struct {
    uint32_t opcode;
    int n_in, n_out;
    int32_t in[4], out[2];
    uint8_t opt_type;            /* BuiltinOptions union type; 0 = none */
    tb_table_def opt;            /* scalar option fields */
    int n_new_shape;             /* ReshapeOptions.new_shape when > 0 (field 0) */
    int32_t new_shape[4];
} tb_op;

typedef struct {
    int n_opcodes, n_tensors, n_ops, n_buffers;
    tb_opcode opcodes[8];
    tb_tensor tensors[12];
    tb_op ops[8];
    size_t buffer_len[4];        /* bytes of data per buffer (0 = empty) */
    const void *buffer_data[4];  /* their bytes; NULL: the pattern k*7+1 */
    int n_in, n_out;
    int32_t in[2], out[2];
} tb_model;

static inline void tb_write_tensor(tb_w *w, const tb_tensor *x, size_t ref)
{
    tb_table_def t = {0};
    tb_field(&t, 0, 4, 0);                 /* shape */
    tb_field(&t, 1, 1, (uint64_t)x->type); /* type */
    tb_field(&t, 2, 4, x->buffer);         /* buffer */
    tb_field(&t, 3, 4, 0);                 /* name */
    if (x->n_q)
        tb_field(&t, 4, 4, 0);             /* quantization */
    size_t T = tb_table(w, &t);
    tb_patch(w, ref, T);
    tb_patch(w, t.pos[0], tb_vec(w, 4, (size_t)x->rank, x->shape));
    tb_patch(w, t.pos[3], tb_str(w, x->name));
    if (x->n_q) {
        tb_table_def q = {0};
        tb_field(&q, 2, 4, 0);
        tb_field(&q, 3, 4, 0);
        tb_field(&q, 6, 4, (uint64_t)(uint32_t)x->qdim);
        size_t Q = tb_table(w, &q);
        tb_patch(w, t.pos[4], Q);
        tb_patch(w, q.pos[2], tb_vec(w, 4, (size_t)x->n_q, x->scale));
        tb_patch(w, q.pos[3], tb_vec(w, 8, (size_t)x->n_q, x->zp));
    }
}

static inline void tb_write_op(tb_w *w, const tb_op *o, size_t ref)
{
    tb_table_def t = {0};
    tb_field(&t, 0, 4, o->opcode);
    tb_field(&t, 1, 4, 0);
    tb_field(&t, 2, 4, 0);
    if (o->opt_type) {
        tb_field(&t, 3, 1, o->opt_type);
        tb_field(&t, 4, 4, 0);
    }
    size_t T = tb_table(w, &t);
    tb_patch(w, ref, T);
    tb_patch(w, t.pos[1], tb_vec(w, 4, (size_t)o->n_in, o->in));
    tb_patch(w, t.pos[2], tb_vec(w, 4, (size_t)o->n_out, o->out));
    if (o->opt_type) {
        tb_table_def opt = o->opt;
        if (o->n_new_shape)
            tb_field(&opt, 0, 4, 0);
        size_t O = tb_table(w, &opt);
        tb_patch(w, t.pos[4], O);
        if (o->n_new_shape)
            tb_patch(w, opt.pos[0], tb_vec(w, 4, (size_t)o->n_new_shape, o->new_shape));
    }
}

/* The whole model as a new byte array (*len bytes); the caller frees. */
static inline uint8_t *tb_write_model(const tb_model *m, size_t *len)
{
    tb_w w = {0};
    tb_grow(&w, 8);
    memcpy(w.d + 4, "TFL3", 4);
    tb_table_def root = {0};
    tb_field(&root, 0, 4, 3); /* version */
    tb_field(&root, 1, 4, 0);
    tb_field(&root, 2, 4, 0);
    tb_field(&root, 4, 4, 0);
    size_t R = tb_table(&w, &root);
    tb_patch(&w, 0, R);

    size_t v = tb_vec(&w, 4, (size_t)m->n_opcodes, NULL);
    tb_patch(&w, root.pos[1], v);
    for (int i = 0; i < m->n_opcodes; i++) {
        tb_table_def t = {0};
        int32_t c = m->opcodes[i].code;
        tb_field(&t, 0, 1, (uint64_t)(c < 127 ? c : 127)); /* deprecated int8 field */
        if (m->opcodes[i].custom)
            tb_field(&t, 1, 4, 0);
        tb_field(&t, 2, 4, 1);
        if (!m->opcodes[i].legacy)
            tb_field(&t, 3, 4, (uint64_t)c);
        size_t T = tb_table(&w, &t);
        tb_patch(&w, v + 4 + 4 * (size_t)i, T);
        if (m->opcodes[i].custom)
            tb_patch(&w, t.pos[1], tb_str(&w, m->opcodes[i].custom));
    }

    v = tb_vec(&w, 4, (size_t)m->n_buffers, NULL);
    tb_patch(&w, root.pos[4], v);
    for (int i = 0; i < m->n_buffers; i++) {
        tb_table_def t = {0};
        if (m->buffer_len[i])
            tb_field(&t, 0, 4, 0);
        size_t T = tb_table(&w, &t);
        tb_patch(&w, v + 4 + 4 * (size_t)i, T);
        if (m->buffer_len[i]) {
            size_t d = tb_vec(&w, 1, m->buffer_len[i], NULL);
            for (size_t k = 0; k < m->buffer_len[i]; k++)
                w.d[d + 4 + k] = m->buffer_data[i] ? ((const uint8_t *)m->buffer_data[i])[k]
                                                   : (uint8_t)(k * 7 + 1);
            tb_patch(&w, t.pos[0], d);
        }
    }

    size_t sgv = tb_vec(&w, 4, 1, NULL);
    tb_patch(&w, root.pos[2], sgv);
    tb_table_def sg = {0};
    for (int f = 0; f < 5; f++)
        tb_field(&sg, f, 4, 0);
    size_t S = tb_table(&w, &sg);
    tb_patch(&w, sgv + 4, S);
    tb_patch(&w, sg.pos[1], tb_vec(&w, 4, (size_t)m->n_in, m->in));
    tb_patch(&w, sg.pos[2], tb_vec(&w, 4, (size_t)m->n_out, m->out));
    tb_patch(&w, sg.pos[4], tb_str(&w, "main"));
    v = tb_vec(&w, 4, (size_t)m->n_tensors, NULL);
    tb_patch(&w, sg.pos[0], v);
    for (int i = 0; i < m->n_tensors; i++)
        tb_write_tensor(&w, &m->tensors[i], v + 4 + 4 * (size_t)i);
    v = tb_vec(&w, 4, (size_t)m->n_ops, NULL);
    tb_patch(&w, sg.pos[3], v);
    for (int i = 0; i < m->n_ops; i++)
        tb_write_op(&w, &m->ops[i], v + 4 + 4 * (size_t)i);
    *len = w.len;
    return w.d;
}

/* x[1,4] int8 -> FULLY_CONNECTED (w[3,4]) -> y[1,3] -> SOFTMAX -> z[1,3], the small
 * model several tests run. Tensor 2 is an int32 bias b[3], wired into the FC only when
 * with_bias is set (the refusal tests wire it in themselves). */
static inline void tb_fc_softmax_model(tb_model *m, int with_bias)
{
    memset(m, 0, sizeof *m);
    m->n_opcodes = 2;
    m->opcodes[0].code = TFG_TFL_FULLY_CONNECTED;
    m->opcodes[1].code = TFG_TFL_SOFTMAX;
    m->n_buffers = 3;
    m->buffer_len[1] = 12;
    m->buffer_len[2] = 12;
    m->n_tensors = 5;
    m->tensors[0] = (tb_tensor){"x", TFG_TFL_INT8, 2, {1, 4}, 0, 1, {0.5f}, {-3}, 0};
    m->tensors[1] = (tb_tensor){"w", TFG_TFL_INT8, 2, {3, 4}, 1, 1, {0.01f}, {0}, 0};
    m->tensors[2] = (tb_tensor){"b", TFG_TFL_INT32, 1, {3}, 2, 1, {0.005f}, {0}, 0};
    m->tensors[3] = (tb_tensor){"y", TFG_TFL_INT8, 2, {1, 3}, 0, 1, {0.5f}, {2}, 0};
    m->tensors[4] = (tb_tensor){"z", TFG_TFL_INT8, 2, {1, 3}, 0, 1, {1.0f / 256}, {-128}, 0};
    m->n_ops = 2;
    m->ops[0] = (tb_op){.opcode = 0, .n_in = 3, .n_out = 1,
                        .in = {0, 1, with_bias ? 2 : -1}, .out = {3}, .opt_type = 8};
    m->ops[1] = (tb_op){.opcode = 1, .n_in = 1, .n_out = 1, .in = {3}, .out = {4},
                        .opt_type = 9};
    tb_field(&m->ops[1].opt, 0, 4, 0x3f800000); /* beta = 1.0f */
    m->n_in = m->n_out = 1;
    m->in[0] = 0;
    m->out[0] = 4;
}

/* The bias and per-channel filter scales of tb_depthwise_bias_model. */
static const int32_t tb_dw_bias[4] = {400, -1200, 77, -3000};
static const float tb_dw_scales[4] = {0.01f, 0.02f, 0.005f, 0.03f};

/* x[1,3,3,2] int8 -> DEPTHWISE_CONV_2D (w[1,2,2,4] with the builder's bytes k*7+1, depth
 * multiplier 2, per-channel scales tb_dw_scales, the non-zero int32 bias tb_dw_bias)
 * VALID -> y[1,2,2,4]: small enough to work out by hand, and the bias changes most
 * outputs, so a kernel, an interpreter or an emitter that loses it shows. */
static inline void tb_depthwise_bias_model(tb_model *m)
{
    memset(m, 0, sizeof *m);
    m->n_opcodes = m->n_ops = 1;
    m->opcodes[0].code = TFG_TFL_DEPTHWISE_CONV_2D;
    m->n_buffers = 3;
    m->buffer_len[1] = 16;
    m->buffer_len[2] = sizeof tb_dw_bias;
    m->buffer_data[2] = tb_dw_bias;
    m->n_tensors = 4;
    m->tensors[0] = (tb_tensor){"x", TFG_TFL_INT8, 4, {1, 3, 3, 2}, 0, 1, {0.5f}, {-3}, 0};
    m->tensors[1] = (tb_tensor){"w", TFG_TFL_INT8, 4, {1, 2, 2, 4}, 1, 4, {0}, {0}, 3};
    m->tensors[2] = (tb_tensor){"b", TFG_TFL_INT32, 1, {4}, 2, 4, {0}, {0}, 0};
    for (int c = 0; c < 4; c++) {
        m->tensors[1].scale[c] = tb_dw_scales[c];
        m->tensors[2].scale[c] = 0.5f * tb_dw_scales[c];
    }
    m->tensors[3] = (tb_tensor){"y", TFG_TFL_INT8, 4, {1, 2, 2, 4}, 0, 1, {0.5f}, {2}, 0};
    m->ops[0] = (tb_op){.opcode = 0, .n_in = 3, .n_out = 1, .in = {0, 1, 2}, .out = {3},
                        .opt_type = 2}; /* DepthwiseConv2DOptions */
    tb_field(&m->ops[0].opt, 0, 1, TFG_TFL_PAD_VALID);
    tb_field(&m->ops[0].opt, 1, 4, 1); /* stride_w */
    tb_field(&m->ops[0].opt, 2, 4, 1); /* stride_h */
    tb_field(&m->ops[0].opt, 3, 4, 2); /* depth_multiplier */
    tb_field(&m->ops[0].opt, 5, 4, 1); /* dilation_w_factor */
    tb_field(&m->ops[0].opt, 6, 4, 1); /* dilation_h_factor */
    m->n_in = m->n_out = 1;
    m->in[0] = 0;
    m->out[0] = 3;
}

#endif
