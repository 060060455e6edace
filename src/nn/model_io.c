/* model_io.c — the trained float model on disk, the train stage's hand-off to the
 * quantizer and to anyone who wants to look:
 *
 *   model.json   {"format": "tinyforge-model", "version": 1, "arch": <architecture>,
 *                 "params": N, "layers": [{"name", "type", "weights": [shape],
 *                 "bias": [n]}, ...]}           (human-readable; the shapes document
 *                                                the weight layouts of nn/graph.h)
 *   weights.bin  "TFGWEIGH", u32 version 1, u32 count of float32 values, then the
 *                values little-endian: per layer w, b, and for batchnorm mean, var.
 *
 * Loading rebuilds the graph from "arch" and then insists that the weights file holds
 * exactly what that graph needs; every error names the file and the byte offset or
 * field, because a half-matching weights file is worse than none. */
#include "nn/train.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/io.h"
#include "core/json.h"

#define WEIGHTS_MAGIC "TFGWEIGH"
#define WEIGHTS_VERSION 1u
#define WEIGHTS_HEADER 16u
#define MODEL_FORMAT "tinyforge-model"
#define MODEL_VERSION 1

/* Calls fn on every stored array of g in file order. */
typedef void (*array_fn)(float *p, size_t n, void *user);

static bool stores_arrays(const tfg_layer *l)
{
    return l->kind == TFG_LAYER_DENSE || l->kind == TFG_LAYER_CONV2D ||
           l->kind == TFG_LAYER_DWCONV2D || l->kind == TFG_LAYER_BATCHNORM;
}

static void each_array(const tfg_graph *g, array_fn fn, void *user)
{
    for (size_t i = 0; i < g->n_layers; i++) {
        const tfg_layer *l = &g->layers[i];
        if (!stores_arrays(l))
            continue;
        if (l->w.n) fn(l->w.value, l->w.n, user);
        if (l->b.n) fn(l->b.value, l->b.n, user);
        if (l->kind == TFG_LAYER_BATCHNORM) {
            fn(l->mean, l->b.n, user);
            fn(l->var, l->b.n, user);
        }
    }
}

static void count_fn(float *p, size_t n, void *user)
{
    (void)p;
    *(size_t *)user += n;
}

static size_t stored_count(const tfg_graph *g)
{
    size_t n = 0;
    each_array(g, count_fn, &n);
    return n;
}

static void put_u32(unsigned char *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
           (uint32_t)b[3] << 24;
}

/* ---- model.json ---------------------------------------------------------------------- */

static json_t *shape_json(const uint32_t *dims, size_t rank)
{
    json_t *a = json_array();
    for (size_t i = 0; i < rank; i++)
        json_array_append_new(a, json_integer(dims[i]));
    return a;
}

/* The weight array's shape in the layouts of nn/graph.h; [n] when the layer's numbers do
 * not multiply out (a graph built by hand), so the file never lies about the size. */
static json_t *weights_shape(const tfg_graph *g, const tfg_layer *l)
{
    const tfg_shape *in = &g->tensors[l->in];
    uint32_t c = in->dim[in->rank ? in->rank - 1 : 0];
    uint32_t d[4] = {0};
    size_t rank = 1;
    if (l->kind == TFG_LAYER_DENSE) {
        d[0] = l->units, d[1] = (uint32_t)tfg_shape_size(in), rank = 2;
    } else if (l->kind == TFG_LAYER_CONV2D) {
        d[0] = l->filters, d[1] = l->kh, d[2] = l->kw, d[3] = c, rank = 4;
    } else if (l->kind == TFG_LAYER_DWCONV2D) {
        d[0] = 1, d[1] = l->kh, d[2] = l->kw, d[3] = c * l->multiplier, rank = 4;
    }
    size_t prod = 1;
    for (size_t i = 0; i < rank; i++)
        prod *= d[i];
    if (rank == 1 || prod != l->w.n) {
        d[0] = (uint32_t)l->w.n;
        rank = 1;
    }
    return shape_json(d, rank);
}

static json_t *model_json(const tfg_graph *g)
{
    json_t *layers = json_array();
    for (size_t i = 0; i < g->n_layers; i++) {
        const tfg_layer *l = &g->layers[i];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(l->name ? l->name : ""));
        json_object_set_new(o, "type", json_string(tfg_layer_kind_name(l->kind)));
        if (stores_arrays(l) && l->w.n) {
            uint32_t nb = (uint32_t)l->b.n;
            json_object_set_new(o, "weights", weights_shape(g, l));
            json_object_set_new(o, "bias", shape_json(&nb, 1));
            if (l->kind == TFG_LAYER_BATCHNORM) /* gamma, beta, then mean and var */
                json_object_set_new(o, "running_stats", shape_json(&nb, 1));
        }
        json_array_append_new(layers, o);
    }
    json_t *j = json_object();
    json_object_set_new(j, "format", json_string(MODEL_FORMAT));
    json_object_set_new(j, "version", json_integer(MODEL_VERSION));
    json_object_set_new(j, "arch", tfg_graph_to_json(g));
    json_object_set_new(j, "params", json_integer((json_int_t)tfg_graph_param_count(g)));
    json_object_set_new(j, "layers", layers);
    return j;
}

/* ---- weights.bin --------------------------------------------------------------------- */

typedef struct {
    tfg_afile *f;
    tfg_status st;
    tfg_err *err;
} writer;

static void write_fn(float *p, size_t n, void *user)
{
    writer *w = user;
    unsigned char chunk[4096];
    size_t fill = 0;
    for (size_t i = 0; i < n && !w->st; i++) {
        uint32_t bits;
        memcpy(&bits, &p[i], sizeof bits);
        put_u32(chunk + fill, bits);
        fill += 4;
        if (fill == sizeof chunk || i + 1 == n) {
            w->st = tfg_afile_write(w->f, chunk, fill, w->err);
            fill = 0;
        }
    }
}

static tfg_status save_weights(const tfg_graph *g, const char *path, tfg_err *err)
{
    size_t count = stored_count(g);
    if (count > UINT32_MAX)
        return tfg_err_set(err, TFG_EINPUT, "%s: %zu parameters do not fit the format", path,
                           count);
    tfg_afile f;
    tfg_status st = tfg_afile_open(&f, path, err);
    if (st)
        return st;
    unsigned char head[WEIGHTS_HEADER];
    memcpy(head, WEIGHTS_MAGIC, 8);
    put_u32(head + 8, WEIGHTS_VERSION);
    put_u32(head + 12, (uint32_t)count);
    writer w = {&f, tfg_afile_write(&f, head, sizeof head, err), err};
    if (!w.st)
        each_array(g, write_fn, &w);
    if (w.st) {
        tfg_afile_abort(&f);
        return w.st;
    }
    return tfg_afile_commit(&f, err);
}

tfg_status tfg_model_save(const tfg_graph *g, const char *json_path, const char *weights_path,
                          tfg_err *err)
{
    /* Weights first: a model.json on disk always has its weights beside it. */
    tfg_status st = save_weights(g, weights_path, err);
    if (st)
        return st;
    json_t *j = model_json(g);
    st = tfg_json_write_file(json_path, j, err);
    json_decref(j);
    return st;
}

/* ---- loading ------------------------------------------------------------------------- */

static tfg_status check_header(const unsigned char *b, size_t len, size_t need,
                               const char *path, tfg_err *err)
{
    if (len < WEIGHTS_HEADER)
        return tfg_err_set(err, TFG_EINPUT,
                           "%s: byte %zu: the file ends inside its %u-byte header "
                           "(truncated)",
                           path, len, WEIGHTS_HEADER);
    if (memcmp(b, WEIGHTS_MAGIC, 8) != 0)
        return tfg_err_set(err, TFG_EINPUT,
                           "%s: byte 0: wrong magic; expected \"" WEIGHTS_MAGIC
                           "\" (not a tinyforge weights file)",
                           path);
    uint32_t version = get_u32(b + 8);
    if (version != WEIGHTS_VERSION)
        return tfg_err_set(err, TFG_EINPUT, "%s: byte 8: version %u; expected %u", path,
                           version, WEIGHTS_VERSION);
    uint32_t count = get_u32(b + 12);
    if (count != need)
        return tfg_err_set(err, TFG_EINPUT,
                           "%s: byte 12: the file holds %u values but the architecture in "
                           "model.json needs %zu",
                           path, count, need);
    size_t want = WEIGHTS_HEADER + 4 * need;
    if (len < want)
        return tfg_err_set(err, TFG_EINPUT,
                           "%s: byte %zu: the file ends early; %zu bytes expected for %zu "
                           "values (truncated)",
                           path, len, want, need);
    if (len > want)
        return tfg_err_set(err, TFG_EINPUT,
                           "%s: byte %zu: %zu unexpected bytes after the last value", path,
                           want, len - want);
    return TFG_OK;
}

typedef struct {
    const unsigned char *p;
    size_t off;       /* byte offset in the file */
    size_t bad;       /* offset of the first non-finite value, or 0 */
} reader;

static void read_fn(float *p, size_t n, void *user)
{
    reader *r = user;
    for (size_t i = 0; i < n; i++, r->off += 4) {
        uint32_t bits = get_u32(r->p + r->off);
        memcpy(&p[i], &bits, sizeof bits);
        if (!isfinite(p[i]) && !r->bad)
            r->bad = r->off;
    }
}

static tfg_status load_weights(const char *path, tfg_graph *g, tfg_err *err)
{
    char *buf;
    size_t len;
    tfg_status st = tfg_read_file(path, TFG_READ_MAX_DEFAULT, &buf, &len, err);
    if (st)
        return st;
    size_t need = stored_count(g);
    st = check_header((const unsigned char *)buf, len, need, path, err);
    if (!st) {
        reader r = {(const unsigned char *)buf, WEIGHTS_HEADER, 0};
        each_array(g, read_fn, &r);
        if (r.bad)
            st = tfg_err_set(err, TFG_EINPUT,
                             "%s: byte %zu: the value is not a finite number (corrupt "
                             "weights)",
                             path, r.bad);
    }
    free(buf);
    return st;
}

static tfg_status check_model_json(const json_t *j, const char *path, const json_t **arch,
                                   int64_t *params, tfg_err *err)
{
    tfg_jctx c = {path, ""};
    const char *format = NULL;
    int64_t version = 0;
    tfg_status st = tfg_jget_str(j, "format", true, &format, &c, err);
    if (!st && strcmp(format, MODEL_FORMAT) != 0)
        st = tfg_err_field(err, TFG_EINPUT, path, "format",
                           "\"%s\" is not \"" MODEL_FORMAT "\"", format);
    if (!st) st = tfg_jget_int(j, "version", true, 1, INT32_MAX, &version, &c, err);
    if (!st && version != MODEL_VERSION)
        st = tfg_err_field(err, TFG_EINPUT, path, "version",
                           "version %lld is not supported; expected %d", (long long)version,
                           MODEL_VERSION);
    if (!st) st = tfg_jget_int(j, "params", true, 0, INT64_MAX, params, &c, err);
    if (st)
        return st;
    *arch = json_object_get(j, "arch");
    if (!json_is_object(*arch))
        return tfg_err_field(err, TFG_EINPUT, path, "arch",
                             "expected the architecture object");
    return TFG_OK;
}

tfg_status tfg_model_load(const char *json_path, const char *weights_path, tfg_graph *g,
                          tfg_err *err)
{
    memset(g, 0, sizeof *g);
    json_t *j = NULL;
    const json_t *arch = NULL;
    int64_t params = 0;
    tfg_status st = tfg_json_load_file(json_path, &j, err);
    if (!st) st = check_model_json(j, json_path, &arch, &params, err);
    if (!st) st = tfg_graph_from_json(arch, json_path, NULL, 0, g, err);
    if (!st && (size_t)params != tfg_graph_param_count(g))
        st = tfg_err_field(err, TFG_EINPUT, json_path, "params",
                           "says %lld parameters but the architecture has %zu",
                           (long long)params, tfg_graph_param_count(g));
    if (!st) st = load_weights(weights_path, g, err);
    json_decref(j);
    if (st) {
        tfg_graph_free(g);
        memset(g, 0, sizeof *g);
    }
    return st;
}
