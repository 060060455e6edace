/* emit.c — writes model.h / model.c for an int8 .tflite model (emit.h).
 *
 * The generator does no arithmetic of its own: it lowers the model (lower/lower.h, the
 * same prepared steps the host interpreter runs) and each op's own file writes its
 * step's constants and kernel call, so host and firmware cannot drift apart. Memory
 * comes from the planner on that same lowering (tfg_plan_lowered), checked with
 * tfg_mem_plan_verify before it is trusted.
 * Floats are printed as C99 hex literals (%a) so every bit survives the round trip.
 *
 * Names in model.c come from the tensors of the .tflite: a constant tensor is an array
 * named after it (dense_0/weights -> dense_0_weights), an operator's prepared
 * parameters are named after the tensor it writes (dense_0_params, dense_0_requant),
 * and every activation tensor has a named arena offset (dense_0_offset) whose comment
 * gives its size and lifetime. */
#include "codegen/emit.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/memplan.h"
#include "core/alloc.h"
#include "core/hash.h"
#include "lower/lower.h"

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
    char **sym;                 /* per tensor: its C name (sym_make) */
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

/* Generated lines are kept under this many columns. */
#define WRAP 95

/* What the generated code declares for a tensor named N: N itself (a constant's data)
 * and N + each of these (its arena offset, and the prepared parameters of the operator
 * that writes it). A name is taken only if all of them are free. */
static const char *const sym_suffixes[] = {"", "_offset", "_params", "_dims", "_din",
                                           "_dfilter", "_dout", "_multipliers", "_shifts",
                                           "_requant", "_bias", "_sums", "_packed",
                                           "_scratch", NULL};

/* C99 keywords and the names model.c uses or includes itself. */
static const char *const sym_reserved[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch",
    "typedef", "union", "unsigned", "void", "volatile", "while", "_Bool", "_Complex",
    "_Imaginary", "arena", "in", "out", "rc", "main", "memcpy", "NULL", "size_t", "int8_t",
    "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t", NULL};

/* Longest name taken from a tensor (Keras names such as "sequential/dense/MatMul;..." can
 * be long); the rest is cut off, uniqueness comes from the suffix below. */
#define SYM_MAX 40

/* Whether a tensor may not be called base: a reserved name, the API's prefix or the
 * runtime's, or one of base + suffix is one of taken[0..n) + suffix. (No suffix ends
 * with another, so comparing base + suffix with a taken name, and base with a taken
 * name + suffix, covers every pair.) */
static bool sym_clashes(const gen *g, char **taken, size_t n, const char *base)
{
    size_t plen = strlen(g->prefix);
    if ((!strncmp(base, g->prefix, plen) && base[plen] == '_') || !strncmp(base, "tfg_", 4) ||
        !strncmp(base, "TFG_", 4))
        return true;
    for (size_t r = 0; sym_reserved[r]; r++)
        if (!strcmp(base, sym_reserved[r]))
            return true;
    size_t bl = strlen(base);
    for (size_t i = 0; i < n; i++) {
        if (!taken[i])
            continue;
        size_t tl = strlen(taken[i]);
        for (size_t k = 0; sym_suffixes[k]; k++) {
            const char *sfx = sym_suffixes[k];
            if (tl >= bl && !strncmp(taken[i], base, bl) && !strcmp(taken[i] + bl, sfx))
                return true;
            if (bl > tl && !strncmp(base, taken[i], tl) && !strcmp(base + tl, sfx))
                return true;
        }
    }
    return false;
}

/* A C identifier from tensor t's name (up to a ';'): letters and digits kept, every other
 * run of characters one '_', no leading or trailing '_', at most SYM_MAX characters; a name
 * that is empty, reserved or already taken gets "_t<index>" (or is "tensor_<index>"). */
static char *sym_make(const gen *g, char **taken, size_t n, int32_t t)
{
    const char *name = g->g->tensors[t].name ? g->g->tensors[t].name : "";
    char base[SYM_MAX + 3];
    size_t len = 0;
    if (isdigit((unsigned char)*name)) {
        base[len++] = 't';
        base[len++] = '_';
    }
    /* the converter joins the names of fused ops with ';': the first is the op's own */
    for (const char *c = name; *c && *c != ';' && len < SYM_MAX; c++) {
        if (isalnum((unsigned char)*c))
            base[len++] = *c;
        else if (len && base[len - 1] != '_')
            base[len++] = '_';
    }
    while (len && base[len - 1] == '_')
        len--;
    base[len] = '\0';
    if (!len)
        snprintf(base, sizeof base, "tensor_%d", (int)t);
    if (!sym_clashes(g, taken, n, base))
        return tfg_xstrdup(base);
    char *alt = tfg_xasprintf("%s_t%d", base, (int)t);
    for (int k = 2; sym_clashes(g, taken, n, alt); k++) {
        free(alt);
        alt = tfg_xasprintf("%s_t%d_%d", base, (int)t, k);
    }
    return alt;
}

/* Names every tensor the code refers to. A bias is not one of them: the interpreter's
 * prepared copy is emitted per operator, as <op>_bias, so a bias tensor's own name (after
 * a fused activation, in converted Keras models) never shows. */
static void sym_all(gen *g, const tfg_lower_step *steps, size_t n_steps)
{
    size_t n = g->g->n_tensors;
    bool *named = tfg_xcalloc(n ? n : 1, sizeof *named);
    for (size_t i = 0; i < n_steps; i++) {
        for (int k = 0; k < 2; k++)
            if (steps[i].in[k] >= 0)
                named[steps[i].in[k]] = true;
        if (steps[i].out >= 0)
            named[steps[i].out] = true;
    }
    for (size_t t = 0; t < n; t++)
        named[t] |= g->mem.tensor_offset[t] != TFG_MEM_NONE;
    g->sym = tfg_xcalloc(n ? n : 1, sizeof *g->sym);
    for (size_t t = 0; t < n; t++)
        if (named[t])
            g->sym[t] = sym_make(g, g->sym, t, (int32_t)t);
    free(named);
}

static bool tensor_is_const(const gen *g, int32_t t)
{
    uint32_t b = g->g->tensors[t].buffer;
    return b < g->m->n_buffers && g->m->buffers[b].len > 0;
}

static void put_float(tfg_buf *b, float f)
{
    tfg_buf_printf(b, "%af", (double)f);
}

/* n int8 values, 16 a line. */
static void put_i8_values(gen *g, const int8_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tfg_buf_printf(&g->decl, "%s%d%s", i % 16 ? " " : "\n    ", (int)v[i],
                       i + 1 < n ? "," : "");
    g->flash += n;
}

static void put_i8_array(gen *g, const char *name, const int8_t *v, size_t n)
{
    tfg_buf_printf(&g->decl, "static const int8_t %s[%zu] = {", name, n);
    put_i8_values(g, v, n);
    tfg_buf_printf(&g->decl, "\n};\n");
}

/* The C expression of tensor t's bytes: a constant array (emitted on first use) or its
 * place in the arena. */
static char *tensor_expr(gen *g, int32_t t)
{
    if (tensor_is_const(g, t)) {
        if (!g->const_done[t]) {
            const tfg_tfl_buffer *b = &g->m->buffers[g->g->tensors[t].buffer];
            put_i8_array(g, g->sym[t], (const int8_t *)b->data, b->len);
            g->const_done[t] = true;
        }
        return tfg_xstrdup(g->sym[t]);
    }
    return tfg_xasprintf("arena.bytes + %s_offset", g->sym[t]);
}

/* "NULL", or &o_scratch: the arena bytes the planner gave the kernel of the step at
 * position p. */
static char *put_scratch(gen *g, const char *o, size_t p)
{
    const tfg_mem_plan *m = &g->mem.mem;
    for (size_t i = m->n_bufs - m->n_scratch; i < m->n_bufs; i++)
        if (m->bufs[i].id == -1 - (int32_t)p) {
            tfg_buf_printf(&g->decl, "static const tfg_rt_scratch %s_scratch = {arena.bytes + "
                           "%zu, %zu};\n", o, m->offset[i], m->bufs[i].size);
            g->flash += sizeof(tfg_rt_scratch);
            return tfg_xasprintf("&%s_scratch", o);
        }
    return tfg_xstrdup("NULL");
}

/* The weights a kernel variant reads in its own order (lower.h: packed), as o_packed,
 * word-aligned (C99 has no alignas; a union with an int32_t has int32_t's alignment) so
 * the DSP kernels may load several words at once; the model's order is emitted only if
 * another step reads it. */
static char *put_packed(gen *g, const char *o, const tfg_lower_step *s)
{
    tfg_buf_printf(&g->decl, "static const union {\n    int8_t bytes[%zu];\n    int32_t "
                   "word; /* aligns bytes for whole-word loads */\n} %s_packed = {{",
                   s->packed_len, o);
    put_i8_values(g, s->packed, s->packed_len);
    tfg_buf_printf(&g->decl, "\n}};\n");
    return tfg_xasprintf("%s_packed.bytes", o);
}

static tfg_status emit_step(gen *g, const tfg_lower_step *s, size_t p)
{
    size_t k = s->index;
    if (!tfg_lower_can_emit(s))
        return tfg_err_set(g->err, TFG_EINPUT, "%s: operators[%zu] (%s): the code generator "
                           "does not support this op yet (float QUANTIZE/DEQUANTIZE edges "
                           "included); supported: int8 ops between an int8 input and output",
                           g->m->name, k, tfg_tflite_op_name(s->builtin));
    tfg_buf_printf(&g->decl, "\n/* operators[%zu] %s: %s */\n", k,
                   tfg_tflite_op_name(s->builtin), g->sym[s->out]);
    const char *o = g->sym[s->out];
    char *x = tensor_expr(g, s->in[0]);
    char *w = s->packed ? put_packed(g, o, s)
              : s->in[1] >= 0 ? tensor_expr(g, s->in[1]) : tfg_xstrdup("NULL");
    char *y = tensor_expr(g, s->out);
    char *scr = put_scratch(g, o, p);
    tfg_lower_emit e = {&g->decl, &g->body, &g->flash, o, x, w, y, scr};
    tfg_lower_emit_step(s, &e);
    free(scr);
    free(x);
    free(w);
    free(y);
    return TFG_OK;
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

/* The arena's layout: per activation tensor (in tensor order) its offset as a named
 * constant, and in the comment its size and lifetime (the operators from the one that
 * writes it to the last that reads it), and what it shares: a RESHAPE output its input's
 * bytes, an in-place convolution output the end of its input. */
static void put_offsets(gen *g, tfg_buf *b)
{
    const tfg_tflite_mem *m = &g->mem;
    tfg_buf_printf(b, "/* Where each activation tensor lives in the arena, and while which "
                   "operators it is\n * alive (written .. last read). Tensors alive at the "
                   "same time share no bytes,\n * except where a convolution writes over its "
                   "dying input (\"in place\"). */\nenum {\n");
    int width = 0;
    for (size_t t = 0; t < m->n_tensors; t++)
        if (m->tensor_offset[t] != TFG_MEM_NONE && m->tensor_buf[t] >= 0) {
            int w = snprintf(NULL, 0, "%s_offset = %zu,", g->sym[t], m->tensor_offset[t]);
            width = w > width ? w : width;
        }
    for (size_t t = 0; t < m->n_tensors; t++) {
        if (m->tensor_offset[t] == TFG_MEM_NONE || m->tensor_buf[t] < 0)
            continue;
        const tfg_mem_buffer *mb = &m->mem.bufs[m->tensor_buf[t]];
        char *entry = tfg_xasprintf("%s_offset = %zu,", g->sym[t], m->tensor_offset[t]);
        tfg_buf_printf(b, "    %-*s /* %zu bytes, operators[%ld..%ld]", width, entry,
                       g->g->tensors[t].bytes, (long)mb->first_op, (long)mb->last_op);
        free(entry);
        if ((int32_t)t == g->g->inputs[0])
            tfg_buf_printf(b, ", the model input");
        if ((int32_t)t == g->g->outputs[0])
            tfg_buf_printf(b, ", the model output");
        for (size_t u = 0; u < t; u++)
            if (m->tensor_buf[u] == m->tensor_buf[t]) {
                tfg_buf_printf(b, ", the bytes of %s", g->sym[u]);
                break;
            }
        for (size_t u = 0; mb->in_place && u < m->n_tensors; u++)
            if (m->tensor_buf[u] == (int32_t)mb->in_place_of) {
                tfg_buf_printf(b, ", in place over %s", g->sym[u]);
                break;
            }
        tfg_buf_printf(b, " */\n");
    }
    tfg_buf_printf(b, "};\n");
}

/* Appends line (no newline) to b, broken after ", " where it would pass WRAP columns.
 * A continuation line starts under the first character after the innermost open '('
 * (a call's arguments), or 4 columns in from the line when that is a '{' (an
 * initializer). Comment lines are left as they are. */
static void put_wrapped(tfg_buf *b, const char *line, size_t len)
{
    size_t indent = 0;
    while (indent < len && line[indent] == ' ')
        indent++;
    bool comment = indent < len && line[indent] == '*';
    for (size_t i = 0; i + 1 < len && !comment; i++)
        comment = line[i] == '/' && line[i + 1] == '*';
    if (len <= WRAP || comment) {
        tfg_buf_append(b, line, len);
        return;
    }
    size_t open[16], depth = 0, col = 0, start = 0;
    for (size_t i = 0; i < len; i++) {
        char c = line[i];
        if ((c == '(' || c == '{') && depth < 16)
            open[depth++] = c == '(' ? col + (i - start) + 1 : indent + 4;
        else if ((c == ')' || c == '}') && depth)
            depth--;
        if (c != ',' || i + 1 >= len || line[i + 1] != ' ')
            continue;
        /* the next token: up to the next ", " or the end */
        const char *next = line + i + 2, *end = next;
        while (end < line + len && !(end[0] == ',' && end + 1 < line + len && end[1] == ' '))
            end++;
        size_t here = col + (i + 1 - start);
        if (here + 1 + (size_t)(end - next) + (end < line + len) > WRAP && depth) {
            tfg_buf_append(b, line + start, i + 1 - start);
            size_t cont = open[depth - 1];
            tfg_buf_putc(b, '\n');
            for (size_t k = 0; k < cont; k++)
                tfg_buf_putc(b, ' ');
            col = cont;
            start = i + 2;
            i++;
        }
    }
    tfg_buf_append(b, line + start, len - start);
}

/* text, every line through put_wrapped. */
static void put_wrapped_text(tfg_buf *b, const char *text, size_t len)
{
    const char *p = text, *e = text + len;
    while (p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(e - p);
        put_wrapped(b, p, n);
        if (nl)
            tfg_buf_putc(b, '\n');
        p += n + (nl != NULL);
    }
}

static char *make_source(gen *g, const char *header_name)
{
    const char *in = g->sym[g->g->inputs[0]], *out = g->sym[g->g->outputs[0]];
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
    put_offsets(g, &b);
    tfg_buf_append(&b, g->decl.data, g->decl.len);
    tfg_buf_printf(&b, "\nstatic int %s_run(void)\n{\n", p);
    tfg_buf_append(&b, g->body.data, g->body.len);
    tfg_buf_printf(&b, "    return 0;\n}\n\n");
    tfg_buf_printf(&b, "int %s_invoke(const int8_t *in, int8_t *out)\n{\n    int rc;\n"
                   "    memcpy(arena.bytes + %s_offset, in, %s_INPUT_BYTES);\n"
                   "    rc = %s_run();\n    if (rc == 0)\n        memcpy(out, arena.bytes + "
                   "%s_offset, %s_OUTPUT_BYTES);\n    return rc;\n}\n\n", p, in, U, p, out, U);
    tfg_buf_printf(&b, "int %s_invoke_f32(const float *in, float *out)\n{\n    int rc;\n"
                   "    if (tfg_rt_quantize_f32_s8(%s_INPUT_SCALE, %s_INPUT_ZERO_POINT, in, "
                   "arena.bytes + %s_offset, %s_INPUT_BYTES) != TFG_RT_OK)\n"
                   "        return -1;\n    rc = %s_run();\n"
                   "    if (rc == 0 && tfg_rt_dequantize_s8_f32(%s_OUTPUT_SCALE, "
                   "%s_OUTPUT_ZERO_POINT, arena.bytes + %s_offset, out, %s_OUTPUT_BYTES) != "
                   "TFG_RT_OK)\n        return -1;\n    return rc;\n}\n",
                   p, U, U, in, U, p, U, U, out, U);
    tfg_buf w;
    tfg_buf_init(&w);
    put_wrapped_text(&w, b.data, b.len);
    tfg_buf_free(&b);
    return tfg_buf_take(&w);
}

static tfg_status emit_all(gen *g, const tfg_lowered *l)
{
    tfg_status st;
    if ((st = tfg_plan_lowered(l, 0, &g->mem, g->err)) ||
        (st = tfg_mem_plan_verify(&g->mem.mem, g->err)))
        return st;
    g->g = &g->m->subgraphs[0];
    if ((st = check_edge(g, g->g->inputs[0], "input")) ||
        (st = check_edge(g, g->g->outputs[0], "output")))
        return st;
    g->const_done = tfg_xcalloc(g->g->n_tensors ? g->g->n_tensors : 1, 1);
    size_t n = l->n_steps;
    const tfg_lower_step *steps = l->steps;
    sym_all(g, steps, n);
    for (size_t i = 0; i < n && !st; i++) {
        const tfg_lower_step *s = &steps[i];
        if (s->out >= 0 && !tensor_is_const(g, s->out) &&
            g->mem.tensor_offset[s->out] == TFG_MEM_NONE)
            return tfg_err_set(g->err, TFG_EINPUT, "%s: operators[%zu]: output tensor %d has "
                               "no place in the memory plan", g->m->name, i, (int)s->out);
        st = emit_step(g, s, i);
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
    tfg_lowered low;
    tfg_status st = tfg_lower(m, TFG_LOWER_PREPARE, &low, err);
    if (st)
        return st;
    tfg_lower_choose(&low, o ? o->core : NULL);
    gen g = {.m = m, .prefix = prefix, .err = err};
    g.upper = tfg_codegen_upper(prefix);
    tfg_buf_init(&g.decl);
    tfg_buf_init(&g.body);
    st = emit_all(&g, &low);
    if (!st) {
        out->model_h = make_header(&g, header);
        out->model_c = make_source(&g, header);
        out->input_bytes = g.g->tensors[g.g->inputs[0]].bytes;
        out->output_bytes = g.g->tensors[g.g->outputs[0]].bytes;
        out->arena_bytes = g.mem.mem.arena_size;
        out->flash_bytes = g.flash;
        out->layers = tfg_xcalloc(low.n_steps ? low.n_steps : 1, sizeof *out->layers);
        for (size_t i = 0; i < low.n_steps; i++)
            out->layers[out->n_layers++] = (tfg_codegen_layer){
                low.steps[i].index, tfg_tflite_op_name(low.steps[i].builtin),
                low.steps[i].variant, low.steps[i].kernel};
    }
    tfg_buf_free(&g.decl);
    tfg_buf_free(&g.body);
    free(g.const_done);
    for (size_t t = 0; g.sym && t < g.g->n_tensors; t++)
        free(g.sym[t]);
    free(g.sym);
    free(g.upper);
    tfg_tflite_mem_free(&g.mem);
    tfg_lower_free(&low);
    return st;
}

void tfg_codegen_out_free(tfg_codegen_out *out)
{
    if (!out)
        return;
    free(out->model_h);
    free(out->model_c);
    free(out->layers);
    memset(out, 0, sizeof *out);
}

json_t *tfg_codegen_layers_json(const tfg_codegen_out *co)
{
    json_t *a = json_array();
    for (size_t i = 0; i < co->n_layers; i++) {
        const tfg_codegen_layer *y = &co->layers[i];
        json_array_append_new(a, json_pack("{s:I, s:s, s:s?, s:s?}", "op", (json_int_t)y->op,
                                           "type", y->type, "variant", y->variant,
                                           "kernel", y->kernel));
    }
    return a;
}
