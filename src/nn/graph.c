/* graph.c — the architecture JSON <-> tfg_graph, shape inference, parameter
 * allocation and initialization, and the counts (parameters, activation bytes, MACs)
 * that the chooser and the board budget read before anything is trained.
 *
 * Every layer reads the tensor before it and writes a new one, so tensor i+1 is the
 * output of layer i and tensor 0 is the input; "add" also reads an earlier tensor. The
 * parser checks everything a user can get wrong (unknown types and keys, sizes that do
 * not chain, absurd sizes) and names the file and the layer in its one-sentence error,
 * because an architecture often comes from an LLM or a hand edit. */
#include "nn/graph.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/strutil.h"

/* Limits that catch typos ("units": 100000) long before memory runs out. */
#define TFG_DIM_MAX 65535u
#define TFG_TENSOR_MAX ((size_t)1 << 28)

size_t tfg_shape_size(const tfg_shape *s)
{
    size_t n = 1;
    for (uint32_t i = 0; i < s->rank; i++)
        n *= s->dim[i];
    return n;
}

static const char *const kind_names[TFG_LAYER_KINDS + 1] = {
    "dense", "conv2d", "depthwise_conv2d", "maxpool", "avgpool", "relu", "relu6",
    "softmax", "flatten", "reshape", "add", "batchnorm", NULL};
static const char *const act_names[] = {"none", "relu", "relu6", NULL};
static const char *const pad_names[] = {"valid", "same", NULL};

/* The keys each layer kind accepts (after "type" and "name"). */
static const char *const keys_dense[] = {"type", "name", "units", "activation", NULL};
static const char *const keys_conv[] = {"type",   "name",    "filters",    "kernel",
                                        "stride", "padding", "activation", NULL};
static const char *const keys_dw[] = {"type",   "name",    "multiplier", "kernel",
                                      "stride", "padding", "activation", NULL};
static const char *const keys_pool[] = {"type", "name", "size", "stride", "padding", NULL};
static const char *const keys_plain[] = {"type", "name", NULL};
static const char *const keys_reshape[] = {"type", "name", "shape", NULL};
static const char *const keys_add[] = {"type", "name", "from", NULL};
static const char *const keys_bn[] = {"type", "name", "eps", "momentum", NULL};
static const char *const keys_top[] = {"input", "layers", NULL};

const char *tfg_layer_kind_name(tfg_layer_kind k)
{
    return (unsigned)k < TFG_LAYER_KINDS ? kind_names[k] : "unknown";
}

/* Where the parser is: the file, "layers[3]" (field paths) and "layers[3] (conv2d)"
 * (messages about the layer as a whole). */
typedef struct {
    const char *file;
    char path[32];
    char where[64];
    tfg_err *err;
} lctx;

static tfg_status lerr(const lctx *c, const char *fmt, ...) TFG_PRINTF(2, 3);
static tfg_status lerr(const lctx *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return tfg_err_field(c->err, TFG_EINPUT, c->file, c->where, "%s", msg);
}

static void shape_str(char *dst, size_t n, const tfg_shape *s)
{
    if (s->rank == 1)
        snprintf(dst, n, "%u", s->dim[0]);
    else
        snprintf(dst, n, "%ux%ux%u", s->dim[0], s->dim[1], s->dim[2]);
}

/* A shape array [n] or [h, w, c] with every dim in 1..65535 and a sane element count. */
static tfg_status parse_shape(const json_t *v, const char *file, const char *path,
                              tfg_shape *s, tfg_err *err)
{
    size_t n = json_is_array(v) ? json_array_size(v) : 0;
    if (n != 1 && n != 3)
        return tfg_err_field(err, TFG_EINPUT, file, path,
                             "expected a shape [n] or [height, width, channels]");
    s->rank = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        json_int_t d = json_is_integer(e) ? json_integer_value(e) : 0;
        if (d < 1 || d > TFG_DIM_MAX)
            return tfg_err_field(err, TFG_EINPUT, file, path,
                                 "every dimension must be an integer from 1 to %u",
                                 TFG_DIM_MAX);
        s->dim[i] = (uint32_t)d;
    }
    if (tfg_shape_size(s) > TFG_TENSOR_MAX)
        return tfg_err_field(err, TFG_EINPUT, file, path,
                             "the shape has more than 2^28 elements");
    return TFG_OK;
}

/* obj[key] as an int or an [a, b] pair, each in 1..65535; absent leaves out as it was. */
static tfg_status get_pair(const json_t *obj, const char *key, bool required, uint32_t out[2],
                           const lctx *c)
{
    char path[96];
    tfg_jpath_key(path, sizeof path, c->path, key);
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required)
            return tfg_err_field(c->err, TFG_EINPUT, c->file, path,
                                 "required field is missing");
        return TFG_OK;
    }
    json_int_t a, b;
    if (json_is_integer(v)) {
        a = b = json_integer_value(v);
    } else if (json_is_array(v) && json_array_size(v) == 2 &&
               json_is_integer(json_array_get(v, 0)) && json_is_integer(json_array_get(v, 1))) {
        a = json_integer_value(json_array_get(v, 0));
        b = json_integer_value(json_array_get(v, 1));
    } else {
        return tfg_err_field(c->err, TFG_EINPUT, c->file, path,
                             "expected an integer or [height, width], got %s",
                             tfg_json_type_name(v));
    }
    if (a < 1 || b < 1 || a > TFG_DIM_MAX || b > TFG_DIM_MAX)
        return tfg_err_field(c->err, TFG_EINPUT, c->file, path,
                             "expected sizes from 1 to %u, got %lld x %lld", TFG_DIM_MAX,
                             (long long)a, (long long)b);
    out[0] = (uint32_t)a;
    out[1] = (uint32_t)b;
    return TFG_OK;
}

static tfg_status get_u32(const json_t *obj, const char *key, bool required, uint32_t *out,
                          const lctx *c)
{
    tfg_jctx jc = {c->file, c->path};
    int64_t v = *out;
    tfg_status st = tfg_jget_int(obj, key, required, 1, TFG_DIM_MAX, &v, &jc, c->err);
    *out = (uint32_t)v;
    return st;
}

static tfg_status get_act(const json_t *obj, tfg_layer *L, const lctx *c)
{
    tfg_jctx jc = {c->file, c->path};
    int a = TFG_ACT_NONE;
    tfg_status st = tfg_jget_enum(obj, "activation", false, act_names, &a, &jc, c->err);
    L->act = (tfg_act)a;
    return st;
}

/* Kernel, stride and padding of conv and pool layers. Pools call the kernel "size" and
 * default the stride to it. */
static tfg_status get_window(const json_t *obj, tfg_layer *L, bool pool, const lctx *c)
{
    uint32_t k[2] = {0, 0}, s[2] = {1, 1};
    tfg_status st = get_pair(obj, pool ? "size" : "kernel", true, k, c);
    if (!st && pool)
        s[0] = k[0], s[1] = k[1];
    if (!st)
        st = get_pair(obj, "stride", false, s, c);
    tfg_jctx jc = {c->file, c->path};
    int p = TFG_PAD_VALID;
    if (!st)
        st = tfg_jget_enum(obj, "padding", false, pad_names, &p, &jc, c->err);
    L->kh = k[0], L->kw = k[1], L->sh = s[0], L->sw = s[1];
    L->padding = (tfg_padding)p;
    return st;
}

/* Reads the kind-specific fields of one layer object. */
static tfg_status parse_fields(const json_t *o, tfg_layer *L, const lctx *c)
{
    static const char *const *const keys[TFG_LAYER_KINDS] = {
        keys_dense, keys_conv,  keys_dw,    keys_pool,    keys_pool, keys_plain,
        keys_plain, keys_plain, keys_plain, keys_reshape, keys_add,  keys_bn};
    tfg_jctx jc = {c->file, c->path};
    tfg_status st = tfg_jcheck_keys(o, keys[L->kind], &jc, c->err);
    if (st)
        return st;
    switch (L->kind) {
    case TFG_LAYER_DENSE:
        st = get_u32(o, "units", true, &L->units, c);
        return st ? st : get_act(o, L, c);
    case TFG_LAYER_CONV2D:
        st = get_u32(o, "filters", true, &L->filters, c);
        st = st ? st : get_window(o, L, false, c);
        return st ? st : get_act(o, L, c);
    case TFG_LAYER_DWCONV2D:
        L->multiplier = 1;
        st = get_u32(o, "multiplier", false, &L->multiplier, c);
        st = st ? st : get_window(o, L, false, c);
        return st ? st : get_act(o, L, c);
    case TFG_LAYER_MAXPOOL:
    case TFG_LAYER_AVGPOOL:
        return get_window(o, L, true, c);
    case TFG_LAYER_BATCHNORM: {
        double eps = 1e-3, mom = 0.99;
        st = tfg_jget_num(o, "eps", false, 1e-12, 1.0, &eps, &jc, c->err);
        st = st ? st : tfg_jget_num(o, "momentum", false, 0.0, 1.0, &mom, &jc, c->err);
        L->eps = (float)eps, L->momentum = (float)mom;
        return st;
    }
    default:
        return TFG_OK; /* reshape and add read their fields during shape inference */
    }
}

/* Output size of a window along one axis, and the padding before it (TensorFlow). */
static uint32_t window_out(uint32_t in, uint32_t k, uint32_t s, tfg_padding p, uint32_t *pad)
{
    if (p == TFG_PAD_VALID) {
        *pad = 0;
        return (in - k) / s + 1;
    }
    uint32_t out = (in + s - 1) / s;
    int64_t total = (int64_t)(out - 1) * s + k - in;
    *pad = total > 0 ? (uint32_t)(total / 2) : 0;
    return out;
}

static tfg_status infer_window(tfg_layer *L, const tfg_shape *in, tfg_shape *out,
                               uint32_t out_c, const lctx *c)
{
    char s[48];
    shape_str(s, sizeof s, in);
    if (in->rank != 3)
        return lerr(c, "needs a height x width x channels input, got %s", s);
    if (L->padding == TFG_PAD_VALID && (L->kh > in->dim[0] || L->kw > in->dim[1])) {
        if (L->kh == L->kw)
            return lerr(c, "kernel %u is larger than its %ux%u input", L->kh, in->dim[0],
                        in->dim[1]);
        return lerr(c, "kernel %ux%u is larger than its %ux%u input", L->kh, L->kw,
                    in->dim[0], in->dim[1]);
    }
    out->rank = 3;
    out->dim[0] = window_out(in->dim[0], L->kh, L->sh, L->padding, &L->pad_top);
    out->dim[1] = window_out(in->dim[1], L->kw, L->sw, L->padding, &L->pad_left);
    out->dim[2] = out_c;
    return TFG_OK;
}

/* The output shape of layer i (the reshape/add fields are read here). */
static tfg_status infer_shape(tfg_graph *g, size_t i, const json_t *o, const lctx *c)
{
    tfg_layer *L = &g->layers[i];
    const tfg_shape *in = &g->tensors[L->in];
    tfg_shape *out = &g->tensors[L->out];
    char s[48];
    shape_str(s, sizeof s, in);
    *out = *in;
    switch (L->kind) {
    case TFG_LAYER_DENSE:
        if (in->rank != 1)
            return lerr(c, "dense needs a flat input but gets %s; add a flatten before it", s);
        *out = (tfg_shape){1, {L->units, 0, 0}};
        return TFG_OK;
    case TFG_LAYER_CONV2D:
        return infer_window(L, in, out, L->filters, c);
    case TFG_LAYER_DWCONV2D:
        if (in->rank == 3 && (uint64_t)in->dim[2] * L->multiplier > TFG_DIM_MAX)
            return lerr(c, "%u channels x multiplier %u is more than %u channels", in->dim[2],
                        L->multiplier, TFG_DIM_MAX);
        return infer_window(L, in, out, in->rank == 3 ? in->dim[2] * L->multiplier : 0, c);
    case TFG_LAYER_MAXPOOL:
    case TFG_LAYER_AVGPOOL:
        return infer_window(L, in, out, in->rank == 3 ? in->dim[2] : 0, c);
    case TFG_LAYER_FLATTEN:
        *out = (tfg_shape){1, {(uint32_t)tfg_shape_size(in), 0, 0}};
        return tfg_shape_size(in) > TFG_DIM_MAX
                   ? lerr(c, "flattening %s gives more than %u values", s, TFG_DIM_MAX)
                   : TFG_OK;
    case TFG_LAYER_RESHAPE: {
        char path[96];
        tfg_jpath_key(path, sizeof path, c->path, "shape");
        const json_t *v = json_object_get(o, "shape");
        if (!v)
            return tfg_err_field(c->err, TFG_EINPUT, c->file, path, "required field is missing");
        tfg_status st = parse_shape(v, c->file, path, out, c->err);
        if (st)
            return st;
        char t[48];
        shape_str(t, sizeof t, out);
        if (tfg_shape_size(out) != tfg_shape_size(in))
            return lerr(c, "cannot reshape %s (%zu values) to %s (%zu values)", s,
                        tfg_shape_size(in), t, tfg_shape_size(out));
        return TFG_OK;
    }
    default:
        return TFG_OK; /* activations, softmax, batchnorm, add keep the shape */
    }
}

/* Resolves add's "from" to an earlier tensor; "input" is the network input. */
static tfg_status resolve_from(tfg_graph *g, size_t i, const json_t *o, const lctx *c)
{
    tfg_layer *L = &g->layers[i];
    tfg_jctx jc = {c->file, c->path};
    const char *from = NULL;
    tfg_status st = tfg_jget_str(o, "from", true, &from, &jc, c->err);
    if (st)
        return st;
    if (!strcmp(from, "input"))
        L->in2 = 0;
    for (size_t j = 0; j < i && L->in2 < 0; j++)
        if (!strcmp(g->layers[j].name, from))
            L->in2 = g->layers[j].out;
    if (L->in2 < 0) {
        const char **names = tfg_xcalloc(i + 2, sizeof *names);
        names[0] = "input";
        for (size_t j = 0; j < i; j++)
            names[j + 1] = g->layers[j].name;
        const char *near = tfg_closest(from, names);
        if (near)
            st = lerr(c, "'from': no earlier layer is named '%s'; did you mean '%s'?", from, near);
        else
            st = lerr(c, "'from': no earlier layer is named '%s' (add reads an earlier "
                         "layer's output or \"input\")", from);
        free(names);
        return st;
    }
    const tfg_shape *a = &g->tensors[L->in], *b = &g->tensors[L->in2];
    if (a->rank != b->rank || memcmp(a->dim, b->dim, a->rank * sizeof a->dim[0])) {
        char sa[48], sb[48];
        shape_str(sa, sizeof sa, a);
        shape_str(sb, sizeof sb, b);
        return lerr(c, "cannot add %s (from '%s') to %s: the shapes must match", sb, from, sa);
    }
    return TFG_OK;
}

static tfg_status parse_kind(const json_t *o, tfg_layer *L, const lctx *c)
{
    char path[96];
    tfg_jpath_key(path, sizeof path, c->path, "type");
    const json_t *t = json_object_get(o, "type");
    if (!t)
        return tfg_err_field(c->err, TFG_EINPUT, c->file, path, "required field is missing");
    if (!json_is_string(t))
        return tfg_err_field(c->err, TFG_EINPUT, c->file, path, "expected a string, got %s",
                             tfg_json_type_name(t));
    const char *s = json_string_value(t);
    for (int k = 0; k < TFG_LAYER_KINDS; k++)
        if (!strcmp(s, kind_names[k])) {
            L->kind = (tfg_layer_kind)k;
            return TFG_OK;
        }
    char list[256];
    tfg_join(list, sizeof list, kind_names, ", ");
    const char *near = tfg_closest(s, kind_names);
    if (near)
        return tfg_err_field(c->err, TFG_EINPUT, c->file, path,
                             "unknown layer type '%s'; did you mean '%s'?", s, near);
    return tfg_err_field(c->err, TFG_EINPUT, c->file, path,
                         "unknown layer type '%s' (known: %s)", s, list);
}

static tfg_status parse_name(const json_t *o, tfg_graph *g, size_t i, const lctx *c)
{
    tfg_jctx jc = {c->file, c->path};
    const char *name = NULL;
    tfg_status st = tfg_jget_str(o, "name", false, &name, &jc, c->err);
    if (st)
        return st;
    tfg_layer *L = &g->layers[i];
    if (!name) {
        L->name = tfg_xasprintf("%s_%zu", kind_names[L->kind], i);
        return TFG_OK;
    }
    if (!*name || !strcmp(name, "input"))
        return lerr(c, "the name '%s' is reserved or empty; choose another", name);
    L->name = tfg_xstrdup(name);
    return TFG_OK;
}

static void param_alloc(tfg_param *p, size_t n)
{
    p->n = n;
    p->value = tfg_xcalloc(n ? n : 1, sizeof(float));
    p->grad = tfg_xcalloc(n ? n : 1, sizeof(float));
    p->m = tfg_xcalloc(n ? n : 1, sizeof(float));
    p->v = tfg_xcalloc(n ? n : 1, sizeof(float));
}

static void param_free(tfg_param *p)
{
    free(p->value);
    free(p->grad);
    free(p->m);
    free(p->v);
    memset(p, 0, sizeof *p);
}

/* Allocates the layer's parameters (zero) from its now known shapes. */
static tfg_status alloc_params(tfg_graph *g, tfg_layer *L, const lctx *c)
{
    const tfg_shape *in = &g->tensors[L->in], *out = &g->tensors[L->out];
    size_t ci = in->dim[in->rank - 1], co = out->dim[out->rank - 1], nw = 0, nb = co;
    switch (L->kind) {
    case TFG_LAYER_DENSE: nw = tfg_shape_size(in) * co; break;
    case TFG_LAYER_CONV2D: nw = (size_t)L->kh * L->kw * ci * co; break;
    case TFG_LAYER_DWCONV2D: nw = (size_t)L->kh * L->kw * co; break;
    case TFG_LAYER_BATCHNORM: nw = co; break;
    default: return TFG_OK;
    }
    if (nw > TFG_TENSOR_MAX)
        return lerr(c, "has %zu weights, more than 2^28", nw);
    param_alloc(&L->w, nw);
    param_alloc(&L->b, nb);
    if (L->kind == TFG_LAYER_BATCHNORM) {
        L->mean = tfg_xcalloc(nb, sizeof(float));
        L->var = tfg_xcalloc(nb, sizeof(float));
        for (size_t k = 0; k < nb; k++)
            L->w.value[k] = L->var[k] = 1.0f;
    }
    return TFG_OK;
}

static tfg_status parse_layer(const json_t *o, tfg_graph *g, size_t i, const char *file,
                              tfg_err *err)
{
    tfg_layer *L = &g->layers[i];
    lctx c = {.file = file, .err = err};
    snprintf(c.path, sizeof c.path, "layers[%zu]", i);
    snprintf(c.where, sizeof c.where, "%s", c.path);
    L->in = (int)i, L->out = (int)i + 1, L->in2 = -1;
    if (!json_is_object(o))
        return lerr(&c, "expected a layer object, got %s", tfg_json_type_name(o));
    tfg_status st = parse_kind(o, L, &c);
    if (st)
        return st;
    snprintf(c.where, sizeof c.where, "%s (%s)", c.path, kind_names[L->kind]);
    if ((st = parse_fields(o, L, &c)) || (st = parse_name(o, g, i, &c)))
        return st;
    for (size_t j = 0; j < i; j++)
        if (!strcmp(g->layers[j].name, L->name))
            return lerr(&c, "the name '%s' is already used by layers[%zu]", L->name, j);
    if (L->kind == TFG_LAYER_ADD && (st = resolve_from(g, i, o, &c)))
        return st;
    if ((st = infer_shape(g, i, o, &c)))
        return st;
    const tfg_shape *out = &g->tensors[L->out];
    for (uint32_t d = 0; d < out->rank; d++)
        if (out->dim[d] < 1 || out->dim[d] > TFG_DIM_MAX)
            return lerr(&c, "gives a dimension of %u (expected 1 to %u)", out->dim[d],
                        TFG_DIM_MAX);
    if (tfg_shape_size(out) > TFG_TENSOR_MAX)
        return lerr(&c, "gives a tensor of more than 2^28 values");
    return alloc_params(g, L, &c);
}

/* The input shape from the JSON and/or the caller; they must agree. */
static tfg_status parse_input(const json_t *arch, const char *file, const tfg_shape *given,
                              tfg_shape *s, tfg_err *err)
{
    const json_t *v = json_object_get(arch, "input");
    if (!v || json_is_null(v)) {
        if (!given)
            return tfg_err_field(err, TFG_EINPUT, file, "input", "required field is missing");
        *s = *given;
        return TFG_OK;
    }
    tfg_status st = parse_shape(v, file, "input", s, err);
    if (st || !given)
        return st;
    if (given->rank != s->rank || memcmp(given->dim, s->dim, s->rank * sizeof s->dim[0])) {
        char a[48], b[48];
        shape_str(a, sizeof a, s);
        shape_str(b, sizeof b, given);
        return tfg_err_field(err, TFG_EINPUT, file, "input",
                             "the architecture takes %s but the data gives %s", a, b);
    }
    return TFG_OK;
}

tfg_status tfg_graph_from_json(const json_t *arch, const char *file, const tfg_shape *input,
                               uint32_t n_outputs, tfg_graph *g, tfg_err *err)
{
    memset(g, 0, sizeof *g);
    if (!file)
        file = "architecture";
    if (!json_is_object(arch))
        return tfg_err_field(err, TFG_EINPUT, file, "(root)", "expected an object");
    tfg_jctx jc = {file, ""};
    tfg_status st = tfg_jcheck_keys(arch, keys_top, &jc, err);
    if (st)
        return st;
    const json_t *layers = json_object_get(arch, "layers");
    if (!json_is_array(layers) || json_array_size(layers) == 0)
        return tfg_err_field(err, TFG_EINPUT, file, "layers",
                             "expected a non-empty array of layers");
    size_t n = json_array_size(layers);
    g->n_layers = n;
    g->n_tensors = n + 1;
    g->layers = tfg_xcalloc(n, sizeof *g->layers);
    g->tensors = tfg_xcalloc(n + 1, sizeof *g->tensors);
    st = parse_input(arch, file, input, &g->tensors[0], err);
    for (size_t i = 0; !st && i < n; i++)
        st = parse_layer(json_array_get(layers, i), g, i, file, err);
    size_t got = tfg_shape_size(&g->tensors[n]);
    if (!st && n_outputs > 0 && got != n_outputs)
        st = tfg_err_field(err, TFG_EINPUT, file, "layers",
                           "the network gives %zu values, the data has %u %s", got, n_outputs,
                           n_outputs == 1 ? "output" : "outputs (classes or targets)");
    if (st)
        tfg_graph_free(g);
    return st;
}

static json_t *pair_json(uint32_t a, uint32_t b)
{
    return json_pack("[I, I]", (json_int_t)a, (json_int_t)b);
}

static json_t *shape_json(const tfg_shape *s)
{
    json_t *a = json_array();
    for (uint32_t i = 0; i < s->rank; i++)
        json_array_append_new(a, json_integer(s->dim[i]));
    return a;
}

static void window_json(json_t *o, const tfg_layer *L, bool pool)
{
    json_object_set_new(o, pool ? "size" : "kernel", pair_json(L->kh, L->kw));
    json_object_set_new(o, "stride", pair_json(L->sh, L->sw));
    json_object_set_new(o, "padding", json_string(pad_names[L->padding]));
}

static json_t *layer_json(const tfg_graph *g, const tfg_layer *L)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string(kind_names[L->kind]));
    json_object_set_new(o, "name", json_string(L->name));
    switch (L->kind) {
    case TFG_LAYER_DENSE: json_object_set_new(o, "units", json_integer(L->units)); break;
    case TFG_LAYER_CONV2D: json_object_set_new(o, "filters", json_integer(L->filters)); break;
    case TFG_LAYER_DWCONV2D:
        json_object_set_new(o, "multiplier", json_integer(L->multiplier));
        break;
    case TFG_LAYER_RESHAPE:
        json_object_set_new(o, "shape", shape_json(&g->tensors[L->out]));
        break;
    case TFG_LAYER_ADD:
        json_object_set_new(o, "from", json_string(L->in2 == 0 ? "input"
                                                              : g->layers[L->in2 - 1].name));
        break;
    case TFG_LAYER_BATCHNORM:
        json_object_set_new(o, "eps", json_real(L->eps));
        json_object_set_new(o, "momentum", json_real(L->momentum));
        break;
    default: break;
    }
    if (L->kind == TFG_LAYER_CONV2D || L->kind == TFG_LAYER_DWCONV2D)
        window_json(o, L, false);
    if (L->kind == TFG_LAYER_MAXPOOL || L->kind == TFG_LAYER_AVGPOOL)
        window_json(o, L, true);
    if (L->kind <= TFG_LAYER_DWCONV2D)
        json_object_set_new(o, "activation", json_string(act_names[L->act]));
    return o;
}

json_t *tfg_graph_to_json(const tfg_graph *g)
{
    json_t *layers = json_array();
    for (size_t i = 0; i < g->n_layers; i++)
        json_array_append_new(layers, layer_json(g, &g->layers[i]));
    json_t *o = json_object();
    json_object_set_new(o, "input", shape_json(&g->tensors[0]));
    json_object_set_new(o, "layers", layers);
    return o;
}

void tfg_graph_free(tfg_graph *g)
{
    for (size_t i = 0; g->layers && i < g->n_layers; i++) {
        tfg_layer *L = &g->layers[i];
        free(L->name);
        param_free(&L->w);
        param_free(&L->b);
        free(L->mean);
        free(L->var);
    }
    free(g->layers);
    free(g->tensors);
    memset(g, 0, sizeof *g);
}

/* True when the layer's output goes through a ReLU: fused, or the next layer is one
 * that reads it (He init keeps the variance of such layers from halving each time). */
static bool feeds_relu(const tfg_graph *g, size_t i)
{
    const tfg_layer *L = &g->layers[i];
    if (L->act != TFG_ACT_NONE)
        return true;
    if (i + 1 >= g->n_layers || g->layers[i + 1].in != L->out)
        return false;
    tfg_layer_kind k = g->layers[i + 1].kind;
    return k == TFG_LAYER_RELU || k == TFG_LAYER_RELU6;
}

void tfg_graph_init_params(tfg_graph *g, tfg_rng *r)
{
    for (size_t i = 0; i < g->n_layers; i++) {
        tfg_layer *L = &g->layers[i];
        const tfg_shape *in = &g->tensors[L->in], *out = &g->tensors[L->out];
        size_t ci = in->dim[in->rank - 1], co = out->dim[out->rank - 1];
        double fan_in, fan_out;
        switch (L->kind) {
        case TFG_LAYER_DENSE: fan_in = (double)tfg_shape_size(in), fan_out = (double)co; break;
        case TFG_LAYER_CONV2D:
            fan_in = (double)L->kh * L->kw * ci, fan_out = (double)L->kh * L->kw * co;
            break;
        case TFG_LAYER_DWCONV2D:
            fan_in = (double)L->kh * L->kw, fan_out = (double)L->kh * L->kw * L->multiplier;
            break;
        case TFG_LAYER_BATCHNORM:
            for (size_t k = 0; k < co; k++) {
                L->w.value[k] = 1.0f, L->b.value[k] = 0.0f;
                L->mean[k] = 0.0f, L->var[k] = 1.0f;
            }
            continue;
        default: continue;
        }
        double limit = feeds_relu(g, i) ? sqrt(6.0 / fan_in) : sqrt(6.0 / (fan_in + fan_out));
        for (size_t k = 0; k < L->w.n; k++)
            L->w.value[k] = (float)((2.0 * tfg_rng_uniform(r) - 1.0) * limit);
        memset(L->b.value, 0, L->b.n * sizeof(float));
    }
}

size_t tfg_graph_param_count(const tfg_graph *g)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n_layers; i++)
        n += g->layers[i].w.n + g->layers[i].b.n;
    return n;
}

/* Each tensor lives from the layer that writes it to the last layer that reads it (the
 * output lives to the end); the peak is the largest sum over one layer's step. A
 * reshape or flatten counts as a copy, a slight overestimate of an in-place one. */
size_t tfg_graph_activation_bytes(const tfg_graph *g)
{
    size_t nt = g->n_tensors, peak = 0;
    size_t *last = tfg_xcalloc(nt, sizeof *last);
    for (size_t i = 0; i < g->n_layers; i++) {
        last[g->layers[i].in] = i;
        if (g->layers[i].in2 >= 0)
            last[g->layers[i].in2] = i;
    }
    last[nt - 1] = g->n_layers;
    for (size_t i = 0; i < g->n_layers; i++) {
        size_t live = 0;
        for (size_t t = 0; t < nt; t++) {
            size_t born = t == 0 ? 0 : t - 1; /* tensor t is written by layer t-1 */
            if (born <= i && last[t] >= i)
                live += tfg_shape_size(&g->tensors[t]);
        }
        if (live > peak)
            peak = live;
    }
    free(last);
    return peak;
}

/* Only the layers that multiply weights count; pools and element-wise layers are
 * small next to them (batchnorm is folded away before deployment). */
uint64_t tfg_graph_macs(const tfg_graph *g)
{
    uint64_t macs = 0;
    for (size_t i = 0; i < g->n_layers; i++) {
        const tfg_layer *L = &g->layers[i];
        const tfg_shape *out = &g->tensors[L->out];
        uint64_t pixels = out->rank == 3 ? (uint64_t)out->dim[0] * out->dim[1] : 1;
        /* Each weight meets one input per output pixel (dense: one "pixel"). */
        if (L->kind == TFG_LAYER_DENSE || L->kind == TFG_LAYER_CONV2D ||
            L->kind == TFG_LAYER_DWCONV2D)
            macs += pixels * L->w.n;
    }
    return macs;
}
