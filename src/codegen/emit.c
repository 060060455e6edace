/* emit.c — writes model.h / model.c for an int8 .tflite model (emit.h).
 *
 * The generator does no arithmetic of its own: it prepares the model with the
 * interpreter (tfg_tflite_runner_new) and prints the parameters of each prepared step
 * (invoke_internal.h), so host and firmware cannot drift apart. Memory comes from the
 * planner (tfg_plan_tflite), checked with tfg_mem_plan_verify before it is trusted.
 * Floats are printed as C99 hex literals (%a) so every bit survives the round trip. */
#include "codegen/emit.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/memplan.h"
#include "core/alloc.h"
#include "core/hash.h"
#include "import/invoke.h"
#include "import/invoke_internal.h"

#ifndef TFG_VERSION
#define TFG_VERSION "unknown"
#endif

/* What the emission of one model works with. */
typedef struct {
    const tfg_tflite *m;
    const tfg_tfl_subgraph *g;
    const char *prefix;
    char *upper;                /* prefix in upper case, for macros */
    tfg_tflite_mem mem;
    tfg_buf decl;               /* constants of model.c */
    tfg_buf body;               /* the kernel calls */
    bool *const_done;           /* per tensor: its data is already emitted */
    size_t flash;
    tfg_err *err;
} gen;

bool tfg_codegen_is_ident(const char *s)
{
    if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
        return false;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_'))
            return false;
    return true;
}

char *tfg_codegen_upper(const char *s)
{
    char *u = tfg_xstrdup(s);
    for (char *p = u; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return u;
}

static bool tensor_is_const(const gen *g, int32_t t)
{
    uint32_t b = g->g->tensors[t].buffer;
    return b < g->m->n_buffers && g->m->buffers[b].len > 0;
}

/* An int32 as a C99 literal of type int (INT32_MIN has none of its own). */
static void put_i32(tfg_buf *b, int32_t v)
{
    if (v == INT32_MIN)
        tfg_buf_printf(b, "(-2147483647 - 1)");
    else
        tfg_buf_printf(b, "%ld", (long)v);
}

static void put_float(tfg_buf *b, float f)
{
    tfg_buf_printf(b, "%af", (double)f);
}

static void put_i8_array(gen *g, const char *name, const int8_t *v, size_t n)
{
    tfg_buf_printf(&g->decl, "static const int8_t %s[%zu] = {", name, n);
    for (size_t i = 0; i < n; i++)
        tfg_buf_printf(&g->decl, "%s%d%s", i % 16 ? " " : "\n    ", (int)v[i],
                       i + 1 < n ? "," : "");
    tfg_buf_printf(&g->decl, "\n};\n");
    g->flash += n;
}

static void put_i32_array(gen *g, const char *name, const int32_t *v, size_t n)
{
    tfg_buf_printf(&g->decl, "static const int32_t %s[%zu] = {", name, n);
    for (size_t i = 0; i < n; i++) {
        tfg_buf_printf(&g->decl, "%s", i % 8 ? " " : "\n    ");
        put_i32(&g->decl, v[i]);
        if (i + 1 < n)
            tfg_buf_putc(&g->decl, ',');
    }
    tfg_buf_printf(&g->decl, "\n};\n");
    g->flash += 4 * n;
}

/* The C expression of tensor t's bytes: a constant array (emitted on first use) or its
 * place in the arena. */
static char *tensor_expr(gen *g, int32_t t)
{
    if (tensor_is_const(g, t)) {
        if (!g->const_done[t]) {
            const tfg_tfl_buffer *b = &g->m->buffers[g->g->tensors[t].buffer];
            char *name = tfg_xasprintf("t%d_data", (int)t);
            put_i8_array(g, name, (const int8_t *)b->data, b->len);
            free(name);
            g->const_done[t] = true;
        }
        return tfg_xasprintf("t%d_data", (int)t);
    }
    return tfg_xasprintf("(arena.bytes + %zu)", g->mem.tensor_offset[t]);
}

static void put_dims(gen *g, size_t k, const char *what, const tfg_rt_dims *d)
{
    tfg_buf_printf(&g->decl, "static const tfg_rt_dims op%zu_%s = {%ld, %ld, %ld, %ld};\n", k,
                   what, (long)d->n, (long)d->h, (long)d->w, (long)d->c);
    g->flash += sizeof *d;
}

static void put_requant(gen *g, size_t k, const tfg_tflite_step *s)
{
    char *name = tfg_xasprintf("op%zu_mult", k);
    put_i32_array(g, name, s->multiplier, (size_t)s->rq.count);
    free(name);
    name = tfg_xasprintf("op%zu_shift", k);
    put_i32_array(g, name, s->shift, (size_t)s->rq.count);
    free(name);
    tfg_buf_printf(&g->decl, "static const tfg_rt_requant op%zu_rq = {op%zu_mult, op%zu_shift, "
                   "%ld};\n", k, k, k, (long)s->rq.count);
    g->flash += sizeof s->rq;
}

/* "NULL" or the name of op k's bias array (emitted here); the caller frees. */
static char *put_bias(gen *g, size_t k, const tfg_tflite_step *s, int32_t channels)
{
    if (!s->bias)
        return tfg_xstrdup("NULL");
    char *name = tfg_xasprintf("op%zu_bias", k);
    put_i32_array(g, name, s->bias, (size_t)channels);
    return name;
}

static void put_conv_fields(tfg_buf *b, const tfg_rt_conv_params *p)
{
    tfg_buf_printf(b, ".input_zero_point = %ld, .output_zero_point = %ld, .stride_h = %ld, "
                   ".stride_w = %ld, .dilation_h = %ld, .dilation_w = %ld, .pad_h = %ld, "
                   ".pad_w = %ld, .act_min = %ld, .act_max = %ld",
                   (long)p->input_zero_point, (long)p->output_zero_point, (long)p->stride_h,
                   (long)p->stride_w, (long)p->dilation_h, (long)p->dilation_w,
                   (long)p->pad_h, (long)p->pad_w, (long)p->act_min, (long)p->act_max);
}

/* One kernel call into body, after its constants into decl. */
static void put_call(gen *g, size_t k, const char *call)
{
    tfg_buf_printf(&g->body, "    /* operators[%zu] %s */\n    if (%s != TFG_RT_OK)\n"
                   "        return %zu;\n", k,
                   tfg_tflite_op_name(g->g->ops[k].builtin), call, k + 1);
}

static void emit_conv(gen *g, size_t k, const tfg_tflite_step *s, const char *x,
                      const char *w, const char *y)
{
    bool dw = s->builtin == TFG_TFL_DEPTHWISE_CONV_2D;
    tfg_buf_printf(&g->decl, "static const %s op%zu_p = {", dw ? "tfg_rt_dw_params" :
                   "tfg_rt_conv_params", k);
    if (dw)
        tfg_buf_printf(&g->decl, "{");
    put_conv_fields(&g->decl, dw ? &s->p.dw.conv : &s->p.conv);
    if (dw)
        tfg_buf_printf(&g->decl, "}, %ld", (long)s->p.dw.depth_multiplier);
    tfg_buf_printf(&g->decl, "};\n");
    g->flash += dw ? sizeof s->p.dw : sizeof s->p.conv;
    put_requant(g, k, s);
    put_dims(g, k, "din", &s->din);
    put_dims(g, k, "df", &s->dfilter);
    put_dims(g, k, "dout", &s->dout);
    char *bias = put_bias(g, k, s, s->dout.c);
    char *call = tfg_xasprintf("%s(&op%zu_p, &op%zu_rq, &op%zu_din, %s, &op%zu_df, %s, %s, "
                               "&op%zu_dout, %s, NULL)", dw ? "tfg_rt_depthwise_conv2d_s8" :
                               "tfg_rt_conv2d_s8", k, k, k, x, k, w, bias, k, y);
    put_call(g, k, call);
    free(call);
    free(bias);
}

static void emit_fc(gen *g, size_t k, const tfg_tflite_step *s, const char *x, const char *w,
                    const char *y)
{
    const tfg_rt_fc_params *p = &s->p.fc;
    tfg_buf_printf(&g->decl, "static const tfg_rt_fc_params op%zu_p = {.input_zero_point = "
                   "%ld, .filter_zero_point = %ld, .output_zero_point = %ld, .act_min = %ld, "
                   ".act_max = %ld};\n", k, (long)p->input_zero_point,
                   (long)p->filter_zero_point, (long)p->output_zero_point, (long)p->act_min,
                   (long)p->act_max);
    tfg_buf_printf(&g->decl, "static const tfg_rt_fc_dims op%zu_dims = {%ld, %ld, %ld};\n", k,
                   (long)s->fc.batches, (long)s->fc.in_features, (long)s->fc.out_features);
    g->flash += sizeof *p + sizeof s->fc;
    put_requant(g, k, s);
    char *bias = put_bias(g, k, s, s->fc.out_features);
    char *call = tfg_xasprintf("tfg_rt_fully_connected_s8(&op%zu_p, &op%zu_rq, &op%zu_dims, %s, "
                               "%s, %s, %s, NULL)", k, k, k, x, w, bias, y);
    put_call(g, k, call);
    free(call);
    free(bias);
}

static void emit_pool(gen *g, size_t k, const tfg_tflite_step *s, const char *x,
                      const char *y)
{
    const tfg_rt_pool_params *p = &s->p.pool;
    tfg_buf_printf(&g->decl, "static const tfg_rt_pool_params op%zu_p = {.filter_h = %ld, "
                   ".filter_w = %ld, .stride_h = %ld, .stride_w = %ld, .pad_h = %ld, .pad_w = "
                   "%ld, .act_min = %ld, .act_max = %ld};\n", k, (long)p->filter_h,
                   (long)p->filter_w, (long)p->stride_h, (long)p->stride_w, (long)p->pad_h,
                   (long)p->pad_w, (long)p->act_min, (long)p->act_max);
    g->flash += sizeof *p;
    put_dims(g, k, "din", &s->din);
    put_dims(g, k, "dout", &s->dout);
    char *call = tfg_xasprintf("%s(&op%zu_p, &op%zu_din, %s, &op%zu_dout, %s)",
                               s->builtin == TFG_TFL_MAX_POOL_2D ? "tfg_rt_maxpool_s8" :
                               "tfg_rt_avgpool_s8", k, k, x, k, y);
    put_call(g, k, call);
    free(call);
}

static void emit_add(gen *g, size_t k, const tfg_tflite_step *s, const char *x, const char *w,
                     const char *y)
{
    const tfg_rt_add_params *p = &s->p.add;
    tfg_buf_printf(&g->decl, "static const tfg_rt_add_params op%zu_p = {.input1_zero_point = "
                   "%ld, .input2_zero_point = %ld, .output_zero_point = %ld, .left_shift = "
                   "%ld, .input1_multiplier = %ld, .input1_shift = %ld, .input2_multiplier = "
                   "%ld, .input2_shift = %ld, .output_multiplier = %ld, .output_shift = %ld, "
                   ".act_min = %ld, .act_max = %ld};\n", k, (long)p->input1_zero_point,
                   (long)p->input2_zero_point, (long)p->output_zero_point,
                   (long)p->left_shift, (long)p->input1_multiplier, (long)p->input1_shift,
                   (long)p->input2_multiplier, (long)p->input2_shift,
                   (long)p->output_multiplier, (long)p->output_shift, (long)p->act_min,
                   (long)p->act_max);
    g->flash += sizeof *p;
    char *call = tfg_xasprintf("tfg_rt_add_s8(&op%zu_p, %s, %ld, %s, %ld, %s, %ld)", k, x,
                               (long)s->n1, w, (long)s->n2, y, (long)s->size);
    put_call(g, k, call);
    free(call);
}

static void emit_nonlinear(gen *g, size_t k, const tfg_tflite_step *s, const char *x,
                           const char *y)
{
    char *call;
    if (s->builtin == TFG_TFL_SOFTMAX) {
        const tfg_rt_softmax_params *p = &s->p.softmax;
        tfg_buf_printf(&g->decl, "static const tfg_rt_softmax_params op%zu_p = {"
                       ".input_multiplier = %ld, .input_left_shift = %ld, .diff_min = %ld};\n",
                       k, (long)p->input_multiplier, (long)p->input_left_shift,
                       (long)p->diff_min);
        g->flash += sizeof *p;
        call = tfg_xasprintf("tfg_rt_softmax_s8(&op%zu_p, %ld, %ld, %s, %s)", k, (long)s->rows,
                             (long)s->depth, x, y);
    } else {
        const tfg_rt_logistic_params *p = &s->p.logistic;
        tfg_buf_printf(&g->decl, "static const tfg_rt_logistic_params op%zu_p = {"
                       ".input_zero_point = %ld, .input_range_radius = %ld, "
                       ".input_multiplier = %ld, .input_left_shift = %ld};\n", k,
                       (long)p->input_zero_point, (long)p->input_range_radius,
                       (long)p->input_multiplier, (long)p->input_left_shift);
        g->flash += sizeof *p;
        call = tfg_xasprintf("%s(&op%zu_p, %s, %s, %ld)", s->builtin == TFG_TFL_TANH ?
                             "tfg_rt_tanh_s8" : "tfg_rt_logistic_s8", k, x, y, (long)s->size);
    }
    put_call(g, k, call);
    free(call);
}

static tfg_status emit_step(gen *g, const tfg_tflite_step *s)
{
    size_t k = s->index;
    char *x = tensor_expr(g, s->in[0]);
    char *w = s->in[1] >= 0 ? tensor_expr(g, s->in[1]) : tfg_xstrdup("NULL");
    char *y = tensor_expr(g, s->out);
    tfg_status st = TFG_OK;
    switch (s->builtin) {
    case TFG_TFL_CONV_2D:
    case TFG_TFL_DEPTHWISE_CONV_2D: emit_conv(g, k, s, x, w, y); break;
    case TFG_TFL_FULLY_CONNECTED: emit_fc(g, k, s, x, w, y); break;
    case TFG_TFL_AVERAGE_POOL_2D:
    case TFG_TFL_MAX_POOL_2D: emit_pool(g, k, s, x, y); break;
    case TFG_TFL_ADD: emit_add(g, k, s, x, w, y); break;
    case TFG_TFL_SOFTMAX:
    case TFG_TFL_LOGISTIC:
    case TFG_TFL_TANH: emit_nonlinear(g, k, s, x, y); break;
    case TFG_TFL_RESHAPE: {
        char *call = tfg_xasprintf("tfg_rt_reshape_s8(%s, %s, %ld)", x, y, (long)s->size);
        put_call(g, k, call);
        free(call);
        break;
    }
    default:
        st = tfg_err_set(g->err, TFG_EINPUT, "%s: operators[%zu] (%s): the code generator "
                         "does not support this op yet (float QUANTIZE/DEQUANTIZE edges "
                         "included); supported: int8 ops between an int8 input and output",
                         g->m->name, k, tfg_tflite_op_name(s->builtin));
    }
    free(x);
    free(w);
    free(y);
    return st;
}

/* The model input and output must be per-tensor int8 with a place in the arena. */
static tfg_status check_edge(gen *g, int32_t t, const char *role)
{
    const tfg_tfl_tensor *x = &g->g->tensors[t];
    if (x->type != TFG_TFL_INT8 || x->n_scale != 1)
        return tfg_err_set(g->err, TFG_EINPUT, "%s: the model %s (tensor %d) is %s with %zu "
                           "scales; the code generator needs a per-tensor int8 %s", g->m->name,
                           role, (int)t, tfg_tflite_type_name(x->type), x->n_scale, role);
    if (g->mem.tensor_offset[t] == TFG_MEM_NONE)
        return tfg_err_set(g->err, TFG_EINPUT, "%s: the model %s (tensor %d) has no place in "
                           "the memory plan", g->m->name, role, (int)t);
    return TFG_OK;
}

/* The model's file name without its directories, safe inside a C comment (no '*', no
 * control characters), so a generated file does not depend on where the model was. */
static char *comment_safe_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *s = tfg_xstrdup(slash ? slash + 1 : path);
    for (char *c = s; *c; c++)
        if (*c == '*' || !isprint((unsigned char)*c))
            *c = '_';
    return s;
}

static void put_banner(gen *g, tfg_buf *b, const char *what)
{
    char *name = comment_safe_name(g->m->name);
    char sha[TFG_SHA256_HEX];
    tfg_sha256_hex(g->m->file, g->m->file_len, sha);
    tfg_buf_printf(b, "/* %s — generated by tinyforge %s; do not edit.\n *\n"
                   " * model:  %s\n * sha256: %s\n * flash:  %zu bytes (weights, biases, "
                   "prepared parameters)\n * arena:  %zu bytes (one static buffer, planned "
                   "ahead of time)\n *\n * C99, no allocation; runs with the tinyforge "
                   "runtime kernels (runtime/ *.c files). */\n", what, TFG_VERSION, name, sha,
                   g->flash, g->mem.mem.arena_size);
    free(name);
}

static int64_t zp_of(const tfg_tfl_tensor *x)
{
    return x->n_zero_point ? x->zero_point[0] : 0;
}

static char *make_header(gen *g, const char *header_name)
{
    const tfg_tfl_tensor *in = &g->g->tensors[g->g->inputs[0]];
    const tfg_tfl_tensor *out = &g->g->tensors[g->g->outputs[0]];
    const char *U = g->upper, *p = g->prefix;
    tfg_buf b;
    tfg_buf_init(&b);
    put_banner(g, &b, header_name);
    tfg_buf_printf(&b, "#ifndef %s_H\n#define %s_H\n\n#include <stdint.h>\n\n", U, U);
    tfg_buf_printf(&b, "#define %s_INPUT_BYTES %zu\n#define %s_OUTPUT_BYTES %zu\n"
                   "#define %s_ARENA_BYTES %zu\n#define %s_FLASH_BYTES %zu\n", U, in->bytes,
                   U, out->bytes, U, g->mem.mem.arena_size, U, g->flash);
    tfg_buf_printf(&b, "#define %s_INPUT_SCALE ", U);
    put_float(&b, in->scale[0]);
    tfg_buf_printf(&b, "\n#define %s_INPUT_ZERO_POINT %lld\n#define %s_OUTPUT_SCALE ", U,
                   (long long)zp_of(in), U);
    put_float(&b, out->scale[0]);
    tfg_buf_printf(&b, "\n#define %s_OUTPUT_ZERO_POINT %lld\n\n", U, (long long)zp_of(out));
    tfg_buf_printf(&b, "/* Runs the model on %s_INPUT_BYTES int8 values, writing "
                   "%s_OUTPUT_BYTES.\n * Returns 0, or 1 + the index of the operator whose "
                   "kernel refused its data. */\nint %s_invoke(const int8_t *in, int8_t "
                   "*out);\n\n/* The same on real values: quantized with the input scale "
                   "and zero point,\n * dequantized with the output ones; -1 when a "
                   "conversion fails. */\nint %s_invoke_f32(const float *in, float *out);\n"
                   "\n#endif\n", U, U, p, p);
    return tfg_buf_take(&b);
}

static char *make_source(gen *g, const char *header_name)
{
    int32_t ti = g->g->inputs[0], to = g->g->outputs[0];
    size_t in_off = g->mem.tensor_offset[ti], out_off = g->mem.tensor_offset[to];
    const char *U = g->upper, *p = g->prefix;
    size_t arena = g->mem.mem.arena_size ? g->mem.mem.arena_size : 1;
    tfg_buf b;
    tfg_buf_init(&b);
    put_banner(g, &b, "model.c");
    tfg_buf_printf(&b, "#include \"%s\"\n\n#include <stddef.h>\n#include <string.h>\n\n"
                   "#include \"tfg_runtime.h\"\n\n", header_name);
    tfg_buf_printf(&b, "/* Every activation tensor at its planned offset; the int64_t "
                   "member aligns it\n * (C99 has no _Alignas). */\nstatic union {\n"
                   "    int8_t bytes[%zu];\n    int64_t align;\n} arena;\n\n", arena);
    tfg_buf_append(&b, g->decl.data, g->decl.len);
    tfg_buf_printf(&b, "\nstatic int %s_run(void)\n{\n", p);
    tfg_buf_append(&b, g->body.data, g->body.len);
    tfg_buf_printf(&b, "    return 0;\n}\n\n");
    tfg_buf_printf(&b, "int %s_invoke(const int8_t *in, int8_t *out)\n{\n    int rc;\n"
                   "    memcpy(arena.bytes + %zu, in, %s_INPUT_BYTES);\n    rc = %s_run();\n"
                   "    if (rc == 0)\n        memcpy(out, arena.bytes + %zu, "
                   "%s_OUTPUT_BYTES);\n    return rc;\n}\n\n", p, in_off, U, p, out_off, U);
    tfg_buf_printf(&b, "int %s_invoke_f32(const float *in, float *out)\n{\n    int rc;\n"
                   "    if (tfg_rt_quantize_f32_s8(%s_INPUT_SCALE, %s_INPUT_ZERO_POINT, in, "
                   "arena.bytes + %zu, %s_INPUT_BYTES) != TFG_RT_OK)\n        return -1;\n"
                   "    rc = %s_run();\n    if (rc == 0 && tfg_rt_dequantize_s8_f32("
                   "%s_OUTPUT_SCALE, %s_OUTPUT_ZERO_POINT, arena.bytes + %zu, out, "
                   "%s_OUTPUT_BYTES) != TFG_RT_OK)\n        return -1;\n    return rc;\n}\n",
                   p, U, U, in_off, U, p, U, U, out_off, U);
    return tfg_buf_take(&b);
}

static tfg_status emit_all(gen *g, const tfg_tflite_runner *r)
{
    tfg_status st;
    if ((st = tfg_plan_tflite(g->m, 0, &g->mem, g->err)) ||
        (st = tfg_mem_plan_verify(&g->mem.mem, g->err)))
        return st;
    g->g = &g->m->subgraphs[0];
    if ((st = check_edge(g, g->g->inputs[0], "input")) ||
        (st = check_edge(g, g->g->outputs[0], "output")))
        return st;
    g->const_done = tfg_xcalloc(g->g->n_tensors ? g->g->n_tensors : 1, 1);
    size_t n;
    const tfg_tflite_step *steps = tfg_tflite_runner_steps(r, &n);
    for (size_t i = 0; i < n && !st; i++) {
        const tfg_tflite_step *s = &steps[i];
        if (s->out >= 0 && !tensor_is_const(g, s->out) &&
            g->mem.tensor_offset[s->out] == TFG_MEM_NONE)
            return tfg_err_set(g->err, TFG_EINPUT, "%s: operators[%zu]: output tensor %d has "
                               "no place in the memory plan", g->m->name, i, (int)s->out);
        st = emit_step(g, s);
    }
    return st;
}

tfg_status tfg_codegen_emit(const tfg_tflite *m, const tfg_codegen_opts *o,
                            tfg_codegen_out *out, tfg_err *err)
{
    memset(out, 0, sizeof *out);
    const char *prefix = o && o->prefix ? o->prefix : "tfg_model";
    const char *header = o && o->header_name ? o->header_name : "model.h";
    if (!tfg_codegen_is_ident(prefix))
        return tfg_err_set(err, TFG_EUSAGE, "code generator prefix '%s' is not a C "
                           "identifier (letters, digits, '_', not starting with a digit)",
                           prefix);
    if (strchr(header, '"') || strchr(header, '\n') || !*header)
        return tfg_err_set(err, TFG_EUSAGE, "header name '%s' cannot be #included", header);
    tfg_tflite_runner *r;
    tfg_status st = tfg_tflite_runner_new(m, &r, err);
    if (st)
        return st;
    gen g = {.m = m, .prefix = prefix, .err = err};
    g.upper = tfg_codegen_upper(prefix);
    tfg_buf_init(&g.decl);
    tfg_buf_init(&g.body);
    st = emit_all(&g, r);
    if (!st) {
        out->model_h = make_header(&g, header);
        out->model_c = make_source(&g, header);
        out->input_bytes = g.g->tensors[g.g->inputs[0]].bytes;
        out->output_bytes = g.g->tensors[g.g->outputs[0]].bytes;
        out->arena_bytes = g.mem.mem.arena_size;
        out->flash_bytes = g.flash;
    }
    tfg_buf_free(&g.decl);
    tfg_buf_free(&g.body);
    free(g.const_done);
    free(g.upper);
    tfg_tflite_mem_free(&g.mem);
    tfg_tflite_runner_free(r);
    return st;
}

void tfg_codegen_out_free(tfg_codegen_out *out)
{
    if (!out)
        return;
    free(out->model_h);
    free(out->model_c);
    memset(out, 0, sizeof *out);
}
