/* tflite_write.c — writes a tfg_tflite as a .tflite FlatBuffer (see tflite_write.h).
 *
 * Two passes: validate() checks the whole model first, so that the writer proper never
 * meets an index it cannot resolve and every error names the object at fault; then the
 * bytes are laid out front to back. A FlatBuffers reference is an unsigned offset from
 * where it is stored to a later position, so each parent table is written with its
 * reference slots empty, its children after it, and each slot is patched once the child's
 * position is known. Each table's vtable is written just before it (the table's leading
 * soffset then is positive: table - vtable). All scalars little-endian, written byte by
 * byte so the host's byte order does not matter. Field numbers come from
 * tflite_schema.h, the one table the reader uses too. */
#include "import/tflite_write.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/io.h"
#include "import/tflite_schema.h"


#define SCHEMA_VERSION 3
#define DATA_ALIGN 16          /* constant data start: TFLM reads int32 bias in place */
#define MAX_FIELDS 8           /* the most fields any table written here has */
#define MAX_FILE 0x7fffffffu   /* FlatBuffers offsets are 32-bit signed in places */

/* ---- the byte buffer -------------------------------------------------------------- */

typedef struct {
    uint8_t *d;
    size_t len, cap;
} wbuf;

/* Appends n zero bytes; returns where they start. */
static size_t grow(wbuf *w, size_t n)
{
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 1024;
        while (cap < w->len + n)
            cap *= 2;
        w->d = tfg_xrealloc(w->d, cap);
        w->cap = cap;
    }
    memset(w->d + w->len, 0, n);
    w->len += n;
    return w->len - n;
}

static void put(wbuf *w, size_t pos, uint64_t v, size_t size)
{
    for (size_t i = 0; i < size; i++)
        w->d[pos + i] = (uint8_t)(v >> (8 * i));
}

/* Pads so that position len + shift is a multiple of a. */
static void align(wbuf *w, size_t a, size_t shift)
{
    size_t r = (w->len + shift) % a;
    if (r)
        grow(w, a - r);
}

/* Points the reference slot at ref to target (always later in the buffer). */
static void patch(wbuf *w, size_t ref, size_t target)
{
    put(w, ref, target - ref, 4);
}

/* ---- tables, vectors, strings ----------------------------------------------------- */

/* A table to write: field id has size[id] bytes (0 = absent) and value val[id]. A
 * reference field is 4 bytes of 0 whose position pos[id] is patched later. */
typedef struct {
    int n;
    uint8_t size[MAX_FIELDS];
    uint64_t val[MAX_FIELDS];
    size_t pos[MAX_FIELDS];
} tdef;

static void field(tdef *t, int id, uint8_t size, uint64_t val)
{
    t->size[id] = size;
    t->val[id] = val;
    if (id >= t->n)
        t->n = id + 1;
}

static void ref_field(tdef *t, int id)
{
    field(t, id, 4, 0);
}

static uint64_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* Writes the vtable and then the table; fills t->pos; returns the table's position. */
static size_t table(wbuf *w, tdef *t)
{
    align(w, 4, 0);
    size_t vt = w->len, vt_size = 4 + 2 * (size_t)t->n;
    size_t T = vt + ((vt_size + 3) & ~(size_t)3);
    size_t off[MAX_FIELDS] = {0}, cur = 4; /* the soffset comes first */
    for (int i = 0; i < t->n; i++) {
        if (!t->size[i])
            continue;
        while ((T + cur) % t->size[i]) /* T is 4-aligned; sizes are 1, 4 or 8 */
            cur++;
        off[i] = cur;
        cur += t->size[i];
    }
    grow(w, T - vt + cur);
    put(w, vt, vt_size, 2);
    put(w, vt + 2, cur, 2);
    for (int i = 0; i < t->n; i++) {
        put(w, vt + 4 + 2 * (size_t)i, off[i], 2);
        t->pos[i] = off[i] ? T + off[i] : 0;
        if (off[i])
            put(w, T + off[i], t->val[i], t->size[i]);
    }
    put(w, T, T - vt, 4);
    return T;
}

/* A vector's length word, placed so its elements start at a multiple of elem_align;
 * returns the length word's position, elements follow at +4. */
static size_t vec_start(wbuf *w, size_t n, size_t elem_size, size_t elem_align)
{
    align(w, 4, 0);
    align(w, elem_align, 4);
    size_t p = grow(w, 4 + n * elem_size);
    put(w, p, n, 4);
    return p;
}

static size_t vec_i32(wbuf *w, const int32_t *v, size_t n)
{
    size_t p = vec_start(w, n, 4, 4);
    for (size_t i = 0; i < n; i++)
        put(w, p + 4 + 4 * i, (uint32_t)v[i], 4);
    return p;
}

static size_t vec_f32(wbuf *w, const float *v, size_t n)
{
    size_t p = vec_start(w, n, 4, 4);
    for (size_t i = 0; i < n; i++)
        put(w, p + 4 + 4 * i, f32_bits(v[i]), 4);
    return p;
}

static size_t vec_i64(wbuf *w, const int64_t *v, size_t n)
{
    size_t p = vec_start(w, n, 8, 8);
    for (size_t i = 0; i < n; i++)
        put(w, p + 4 + 8 * i, (uint64_t)v[i], 8);
    return p;
}

static size_t vec_bytes(wbuf *w, const uint8_t *v, size_t n, size_t elem_align)
{
    size_t p = vec_start(w, n, 1, elem_align);
    if (n)
        memcpy(w->d + p + 4, v, n);
    return p;
}

/* A vector of n table references, all to be patched; returns its position. */
static size_t vec_refs(wbuf *w, size_t n)
{
    return vec_start(w, n, 4, 4);
}

static size_t str(wbuf *w, const char *s)
{
    size_t n = strlen(s);
    size_t p = vec_start(w, n + 1, 1, 1); /* the NUL counts in space, not in length */
    put(w, p, n, 4);
    memcpy(w->d + p + 4, s, n);
    return p;
}

/* ---- validation ------------------------------------------------------------------- */

typedef struct {
    const tfg_tflite *m;
    const char *name;   /* for messages */
    tfg_err *err;
    char sg[40];        /* "" or "subgraphs[K]." as in the reader's messages */
} vctx;

static tfg_status fail(vctx *c, const char *fmt, ...) TFG_PRINTF(2, 3);
static tfg_status fail(vctx *c, const char *fmt, ...)
{
    char msg[TFG_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return tfg_err_set(c->err, TFG_EINPUT, "%s: cannot write: %s", c->name, msg);
}

static tfg_status check_opcodes(vctx *c)
{
    for (size_t i = 0; i < c->m->n_opcodes; i++) {
        const tfg_tfl_opcode *oc = &c->m->opcodes[i];
        if (oc->builtin < 0)
            return fail(c, "operator_codes[%zu] has builtin code %d, expected >= 0", i,
                        (int)oc->builtin);
        if (oc->version < 1)
            return fail(c, "operator_codes[%zu] (%s) has version %d, expected >= 1", i,
                        tfg_tflite_op_name(oc->builtin), (int)oc->version);
    }
    return TFG_OK;
}

/* Buffer 0 is the "no data" buffer every TFLite reader assumes empty. */
static tfg_status check_buffers(vctx *c)
{
    const tfg_tflite *m = c->m;
    if (m->n_buffers && m->buffers[0].len)
        return fail(c, "buffer 0 has %zu bytes of data, expected it empty (TFLite keeps "
                    "buffer 0 for tensors without data)", m->buffers[0].len);
    for (size_t i = 0; i < m->n_buffers; i++)
        if (m->buffers[i].len && !m->buffers[i].data)
            return fail(c, "buffer %zu has length %zu but no data", i, m->buffers[i].len);
    return TFG_OK;
}

static tfg_status check_quant(vctx *c, size_t i, const tfg_tfl_tensor *x)
{
    if (x->n_scale && !x->scale)
        return fail(c, "%stensor %zu (%s) has %zu scales but no scale array", c->sg, i,
                    x->name ? x->name : "", x->n_scale);
    if (x->n_zero_point && !x->zero_point)
        return fail(c, "%stensor %zu (%s) has %zu zero points but no array", c->sg, i,
                    x->name ? x->name : "", x->n_zero_point);
    if (x->n_scale && x->n_zero_point && x->n_scale != x->n_zero_point)
        return fail(c, "%stensor %zu (%s) has %zu scales but %zu zero points", c->sg, i,
                    x->name ? x->name : "", x->n_scale, x->n_zero_point);
    int32_t qd = x->quantized_dimension;
    if (x->n_scale > 1 && (qd < 0 || (size_t)qd >= x->rank || (size_t)x->shape[qd] != x->n_scale))
        return fail(c, "%stensor %zu (%s) has %zu per-channel scales along dimension %d, "
                    "which is not a dimension of that size", c->sg, i,
                    x->name ? x->name : "", x->n_scale, (int)qd);
    return TFG_OK;
}

/* Shape sane, buffer present and of the size shape x type needs. */
static tfg_status check_tensor(vctx *c, size_t i, const tfg_tfl_tensor *x)
{
    const char *nm = x->name ? x->name : "";
    if (x->rank > TFG_TFL_MAX_RANK || (x->rank && !x->shape))
        return fail(c, "%stensor %zu (%s) has rank %zu, expected 0..%d with a shape", c->sg,
                    i, nm, x->rank, TFG_TFL_MAX_RANK);
    if (x->type < 0 || x->type > 255)
        return fail(c, "%stensor %zu (%s) has type %d, expected a TensorType 0..255", c->sg,
                    i, nm, (int)x->type);
    uint64_t elems = 1;
    for (size_t d = 0; d < x->rank; d++) {
        if (x->shape[d] < 0)
            return fail(c, "%stensor %zu (%s) shape[%zu] is %d, expected a size >= 0", c->sg,
                        i, nm, d, (int)x->shape[d]);
        elems *= (uint64_t)x->shape[d];
        if (elems >= (uint64_t)TFG_TFL_MAX_ELEMS)
            return fail(c, "%stensor %zu (%s) has 2^31 or more elements", c->sg, i, nm);
    }
    size_t n_buf = c->m->n_buffers ? c->m->n_buffers : 1; /* buffer 0 is always written */
    if (x->buffer >= n_buf)
        return fail(c, "%stensor %zu (%s) names buffer %u, but the model has %zu buffers",
                    c->sg, i, nm, (unsigned)x->buffer, c->m->n_buffers);
    unsigned bits = tfg_tflite_type_bits(x->type);
    size_t bytes = (size_t)((elems * bits + 7) / 8);
    size_t have = c->m->n_buffers ? c->m->buffers[x->buffer].len : 0;
    if (have && bits && have != bytes)
        return fail(c, "%stensor %zu (%s) has %zu bytes of data in buffer %u, but %llu "
                    "elements of %s need %zu", c->sg, i, nm, have, (unsigned)x->buffer,
                    (unsigned long long)elems, tfg_tflite_type_name(x->type), bytes);
    return check_quant(c, i, x);
}

/* Every index of idx names a tensor of the subgraph; -1 allowed when optional. */
static tfg_status check_refs(vctx *c, const char *what, const int32_t *idx, size_t n,
                             bool optional, size_t n_tensors)
{
    if (n && !idx)
        return fail(c, "%s has %zu entries but no array", what, n);
    for (size_t k = 0; k < n; k++) {
        if (idx[k] == -1 && optional)
            continue;
        if (idx[k] < 0 || (size_t)idx[k] >= n_tensors)
            return fail(c, "%s[%zu] names tensor %d, but the subgraph has %zu tensors", what,
                        k, (int)idx[k], n_tensors);
    }
    return TFG_OK;
}

static tfg_status at_least(vctx *c, const char *what, const char *fld, int32_t v, int32_t min)
{
    if (v < min)
        return fail(c, "%s %s is %d, expected >= %d", what, fld, (int)v, (int)min);
    return TFG_OK;
}

/* The options the reader would refuse are refused here too. */
static tfg_status check_options(vctx *c, const char *what, const tfg_tfl_op *op, int32_t builtin)
{
    const tfg_tfl_options *p = &op->opt;
    uint8_t t = tfg_tfl_options_type(builtin);
    tfg_status st;
    if (p->type && t && p->type != t)
        return fail(c, "%s has options of union type %u, expected %u", what, p->type, t);
    if ((unsigned)p->padding > 1)
        return fail(c, "%s padding is %d, expected 0 (SAME) or 1 (VALID)", what,
                    (int)p->padding);
    if ((unsigned)p->activation > 5)
        return fail(c, "%s fused activation is %d, expected 0..5", what, (int)p->activation);
    if (p->n_new_shape && !p->new_shape)
        return fail(c, "%s has %zu new_shape entries but no array", what, p->n_new_shape);
    if (t == OPT_CONV || t == OPT_DWCONV || t == OPT_POOL) {
        if ((st = at_least(c, what, "stride_w", p->stride_w, 1)) ||
            (st = at_least(c, what, "stride_h", p->stride_h, 1)))
            return st;
    }
    if (t == OPT_CONV || t == OPT_DWCONV) {
        if ((st = at_least(c, what, "dilation_w_factor", p->dilation_w, 1)) ||
            (st = at_least(c, what, "dilation_h_factor", p->dilation_h, 1)))
            return st;
    }
    if (t == OPT_POOL) {
        if ((st = at_least(c, what, "filter_width", p->filter_w, 1)) ||
            (st = at_least(c, what, "filter_height", p->filter_h, 1)))
            return st;
    }
    if (t == OPT_FC && (p->weights_format < 0 || p->weights_format > 255))
        return fail(c, "%s weights_format is %d, expected 0..255", what, (int)p->weights_format);
    return TFG_OK;
}

static tfg_status check_op(vctx *c, size_t i, const tfg_tfl_op *op, size_t n_tensors)
{
    char what[96];
    tfg_status st;
    if (op->opcode_index >= c->m->n_opcodes)
        return fail(c, "%soperators[%zu] names operator code %u, but the model has %zu", c->sg,
                    i, (unsigned)op->opcode_index, c->m->n_opcodes);
    int32_t b = c->m->opcodes[op->opcode_index].builtin;
    snprintf(what, sizeof what, "%soperators[%zu] (%s)", c->sg, i, tfg_tflite_op_name(b));
    if (op->builtin != b)
        return fail(c, "%s says builtin %d (%s), but its operator code %u is %d", what,
                    (int)op->builtin, tfg_tflite_op_name(op->builtin),
                    (unsigned)op->opcode_index, (int)b);
    char w[128];
    snprintf(w, sizeof w, "%s inputs", what);
    if ((st = check_refs(c, w, op->inputs, op->n_inputs, true, n_tensors)))
        return st;
    snprintf(w, sizeof w, "%s outputs", what);
    if ((st = check_refs(c, w, op->outputs, op->n_outputs, false, n_tensors)))
        return st;
    snprintf(w, sizeof w, "%s builtin options", what);
    return check_options(c, w, op, b);
}

static tfg_status check_subgraph(vctx *c, const tfg_tfl_subgraph *g)
{
    tfg_status st;
    char w[64];
    if (g->n_tensors && !g->tensors)
        return fail(c, "%stensors: %zu tensors but no array", c->sg, g->n_tensors);
    if (g->n_ops && !g->ops)
        return fail(c, "%soperators: %zu operators but no array", c->sg, g->n_ops);
    for (size_t i = 0; i < g->n_tensors; i++)
        if ((st = check_tensor(c, i, &g->tensors[i])))
            return st;
    snprintf(w, sizeof w, "%sinputs", c->sg);
    if ((st = check_refs(c, w, g->inputs, g->n_inputs, false, g->n_tensors)))
        return st;
    snprintf(w, sizeof w, "%soutputs", c->sg);
    if ((st = check_refs(c, w, g->outputs, g->n_outputs, false, g->n_tensors)))
        return st;
    for (size_t i = 0; i < g->n_ops; i++)
        if ((st = check_op(c, i, &g->ops[i], g->n_tensors)))
            return st;
    return TFG_OK;
}

static tfg_status validate(const tfg_tflite *m, tfg_err *err)
{
    vctx c = {m, m->name && *m->name ? m->name : "model", err, ""};
    tfg_status st;
    if (!m->n_subgraphs || !m->subgraphs)
        return fail(&c, "the model has no subgraphs, expected at least one");
    if ((m->n_opcodes && !m->opcodes) || (m->n_buffers && !m->buffers))
        return fail(&c, "operator_codes or buffers counted but missing");
    if ((st = check_opcodes(&c)) || (st = check_buffers(&c)))
        return st;
    for (size_t s = 0; s < m->n_subgraphs; s++) {
        if (s)
            snprintf(c.sg, sizeof c.sg, "subgraphs[%zu].", s);
        if ((st = check_subgraph(&c, &m->subgraphs[s])))
            return st;
    }
    return TFG_OK;
}

/* ---- writing ---------------------------------------------------------------------- */

static void write_opcodes(wbuf *w, const tfg_tflite *m, size_t ref)
{
    size_t v = vec_refs(w, m->n_opcodes);
    patch(w, ref, v);
    for (size_t i = 0; i < m->n_opcodes; i++) {
        const tfg_tfl_opcode *oc = &m->opcodes[i];
        tdef t = {0};
        /* Old readers (and TFLM's fallback) look only at the int8 field; codes past it
         * read 127 = PLACEHOLDER_FOR_GREATER_OP_CODES there and sit in the int32 field. */
        field(&t, OPC_DEPRECATED, 1, (uint8_t)(oc->builtin < 127 ? oc->builtin : 127));
        if (oc->custom)
            ref_field(&t, OPC_CUSTOM);
        field(&t, OPC_VERSION, 4, (uint32_t)oc->version);
        field(&t, OPC_BUILTIN, 4, (uint32_t)oc->builtin);
        size_t T = table(w, &t);
        patch(w, v + 4 + 4 * i, T);
        if (oc->custom)
            patch(w, t.pos[OPC_CUSTOM], str(w, oc->custom));
    }
}

static void write_quant(wbuf *w, const tfg_tfl_tensor *x, size_t ref)
{
    tdef q = {0};
    if (x->n_scale)
        ref_field(&q, Q_SCALE);
    if (x->n_zero_point)
        ref_field(&q, Q_ZERO_POINT);
    field(&q, Q_DIM, 4, (uint32_t)x->quantized_dimension);
    size_t Q = table(w, &q);
    patch(w, ref, Q);
    if (x->n_scale)
        patch(w, q.pos[Q_SCALE], vec_f32(w, x->scale, x->n_scale));
    if (x->n_zero_point)
        patch(w, q.pos[Q_ZERO_POINT], vec_i64(w, x->zero_point, x->n_zero_point));
}

static void write_tensor(wbuf *w, const tfg_tfl_tensor *x, size_t ref)
{
    bool quant = x->n_scale || x->n_zero_point;
    tdef t = {0};
    ref_field(&t, TEN_SHAPE);
    field(&t, TEN_TYPE, 1, (uint8_t)x->type);
    field(&t, TEN_BUFFER, 4, x->buffer);
    ref_field(&t, TEN_NAME);
    if (quant)
        ref_field(&t, TEN_QUANT);
    if (x->is_variable)
        field(&t, TEN_VARIABLE, 1, 1);
    size_t T = table(w, &t);
    patch(w, ref, T);
    patch(w, t.pos[TEN_SHAPE], vec_i32(w, x->shape, x->rank));
    patch(w, t.pos[TEN_NAME], str(w, x->name ? x->name : ""));
    if (quant)
        write_quant(w, x, t.pos[TEN_QUANT]);
}

/* The scalar fields of the options table of type t, from p. RESHAPE's new_shape is a
 * vector and is added by the caller. */
static void option_fields(tdef *o, uint8_t t, const tfg_tfl_options *p)
{
    switch (t) {
    case OPT_CONV:
        field(o, 0, 1, (uint8_t)p->padding);
        field(o, 1, 4, (uint32_t)p->stride_w);
        field(o, 2, 4, (uint32_t)p->stride_h);
        field(o, 3, 1, (uint8_t)p->activation);
        field(o, 4, 4, (uint32_t)p->dilation_w);
        field(o, 5, 4, (uint32_t)p->dilation_h);
        break;
    case OPT_DWCONV:
        field(o, 0, 1, (uint8_t)p->padding);
        field(o, 1, 4, (uint32_t)p->stride_w);
        field(o, 2, 4, (uint32_t)p->stride_h);
        field(o, 3, 4, (uint32_t)p->depth_multiplier);
        field(o, 4, 1, (uint8_t)p->activation);
        field(o, 5, 4, (uint32_t)p->dilation_w);
        field(o, 6, 4, (uint32_t)p->dilation_h);
        break;
    case OPT_POOL:
        field(o, 0, 1, (uint8_t)p->padding);
        field(o, 1, 4, (uint32_t)p->stride_w);
        field(o, 2, 4, (uint32_t)p->stride_h);
        field(o, 3, 4, (uint32_t)p->filter_w);
        field(o, 4, 4, (uint32_t)p->filter_h);
        field(o, 5, 1, (uint8_t)p->activation);
        break;
    case OPT_FC:
        field(o, 0, 1, (uint8_t)p->activation);
        field(o, 1, 1, (uint8_t)p->weights_format);
        field(o, 2, 1, p->keep_num_dims ? 1 : 0);
        break;
    case OPT_SOFTMAX:
        field(o, 0, 4, f32_bits(p->beta));
        break;
    case OPT_ADD:
        field(o, 0, 1, (uint8_t)p->activation);
        break;
    default:
        break;
    }
}

static void write_op(wbuf *w, const tfg_tflite *m, const tfg_tfl_op *op, size_t ref)
{
    uint8_t ot = tfg_tfl_options_type(m->opcodes[op->opcode_index].builtin);
    tdef t = {0};
    field(&t, OP_OPCODE, 4, op->opcode_index);
    ref_field(&t, OP_INPUTS);
    ref_field(&t, OP_OUTPUTS);
    if (ot) {
        field(&t, OP_OPT_TYPE, 1, ot);
        ref_field(&t, OP_OPT);
    }
    size_t T = table(w, &t);
    patch(w, ref, T);
    patch(w, t.pos[OP_INPUTS], vec_i32(w, op->inputs, op->n_inputs));
    patch(w, t.pos[OP_OUTPUTS], vec_i32(w, op->outputs, op->n_outputs));
    if (!ot)
        return;
    tdef o = {0};
    option_fields(&o, ot, &op->opt);
    bool shape = ot == OPT_RESHAPE && op->opt.n_new_shape;
    if (shape)
        ref_field(&o, 0);
    size_t O = table(w, &o);
    patch(w, t.pos[OP_OPT], O);
    if (shape)
        patch(w, o.pos[0], vec_i32(w, op->opt.new_shape, op->opt.n_new_shape));
}

static void write_subgraph(wbuf *w, const tfg_tflite *m, const tfg_tfl_subgraph *g, size_t ref)
{
    tdef t = {0};
    for (int f = SG_TENSORS; f <= SG_NAME; f++)
        ref_field(&t, f);
    size_t T = table(w, &t);
    patch(w, ref, T);
    patch(w, t.pos[SG_INPUTS], vec_i32(w, g->inputs, g->n_inputs));
    patch(w, t.pos[SG_OUTPUTS], vec_i32(w, g->outputs, g->n_outputs));
    patch(w, t.pos[SG_NAME], str(w, g->name ? g->name : ""));
    size_t v = vec_refs(w, g->n_tensors);
    patch(w, t.pos[SG_TENSORS], v);
    for (size_t i = 0; i < g->n_tensors; i++)
        write_tensor(w, &g->tensors[i], v + 4 + 4 * i);
    v = vec_refs(w, g->n_ops);
    patch(w, t.pos[SG_OPS], v);
    for (size_t i = 0; i < g->n_ops; i++)
        write_op(w, m, &g->ops[i], v + 4 + 4 * i);
}

/* Buffers last, so the constant data forms one tail of the file. */
static void write_buffers(wbuf *w, const tfg_tflite *m, size_t ref)
{
    size_t n = m->n_buffers ? m->n_buffers : 1;
    size_t v = vec_refs(w, n);
    patch(w, ref, v);
    for (size_t i = 0; i < n; i++) {
        const tfg_tfl_buffer *b = m->n_buffers ? &m->buffers[i] : NULL;
        tdef t = {0};
        if (b && b->len)
            ref_field(&t, BUF_DATA);
        size_t T = table(w, &t);
        patch(w, v + 4 + 4 * i, T);
        if (b && b->len)
            patch(w, t.pos[BUF_DATA], vec_bytes(w, b->data, b->len, DATA_ALIGN));
    }
}

static void write_model(wbuf *w, const tfg_tflite *m)
{
    grow(w, 8);
    memcpy(w->d + 4, "TFL3", 4);
    tdef root = {0};
    field(&root, MODEL_VERSION, 4, SCHEMA_VERSION);
    ref_field(&root, MODEL_OPCODES);
    ref_field(&root, MODEL_SUBGRAPHS);
    ref_field(&root, MODEL_DESC);
    ref_field(&root, MODEL_BUFFERS);
    size_t R = table(w, &root);
    patch(w, 0, R);
    patch(w, root.pos[MODEL_DESC], str(w, m->description ? m->description : ""));
    write_opcodes(w, m, root.pos[MODEL_OPCODES]);
    size_t v = vec_refs(w, m->n_subgraphs);
    patch(w, root.pos[MODEL_SUBGRAPHS], v);
    for (size_t s = 0; s < m->n_subgraphs; s++)
        write_subgraph(w, m, &m->subgraphs[s], v + 4 + 4 * s);
    write_buffers(w, m, root.pos[MODEL_BUFFERS]);
    align(w, 4, 0); /* end on a word boundary, as flatc's output does */
}

tfg_status tfg_tflite_write(const tfg_tflite *m, void **data, size_t *len, tfg_err *err)
{
    *data = NULL;
    *len = 0;
    tfg_status st = validate(m, err);
    if (st)
        return st;
    wbuf w = {0};
    write_model(&w, m);
    if (w.len > MAX_FILE) {
        free(w.d);
        return tfg_err_set(err, TFG_EINPUT,
                           "%s: cannot write: the model needs %zu bytes, more than the 2 GiB "
                           "a FlatBuffer can address", m->name ? m->name : "model", w.len);
    }
    *data = w.d;
    *len = w.len;
    return TFG_OK;
}

tfg_status tfg_tflite_save(const tfg_tflite *m, const char *path, tfg_err *err)
{
    void *data;
    size_t len;
    tfg_status st = tfg_tflite_write(m, &data, &len, err);
    if (st)
        return st;
    st = tfg_write_atomic(path, data, len, err);
    free(data);
    return st;
}
