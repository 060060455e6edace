/* graph.h — the network IR every stage speaks: tensors with per-sample shapes, and
 * layers in execution order that read tensors and write one tensor each.
 *
 * The trainer fills the parameters, the quantizer will annotate them, the code
 * generator will consume the graph; importers will produce it. Layouts follow TFLite so
 * models move in and out without transposes: activations NHWC (a sample is H x W x C, or
 * a flat vector of N), dense weights [out][in], conv2d weights [out][kh][kw][in] (OHWI),
 * depthwise weights [1][kh][kw][in * multiplier]. Tensor 0 is the network input.
 *
 * An architecture is written as JSON (docs/arch.md):
 *   {"input": [28, 28, 1], "layers": [
 *     {"type": "conv2d", "filters": 8, "kernel": 3, "stride": 1, "padding": "same",
 *      "activation": "relu"},
 *     {"type": "maxpool", "size": 2}, {"type": "flatten"},
 *     {"type": "dense", "units": 10}, {"type": "softmax"}]}
 * Each layer reads the previous layer's output; "name" names a layer and "add" takes
 * {"from": NAME} as its second input (a residual connection). */
#ifndef TFG_NN_GRAPH_H
#define TFG_NN_GRAPH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/rng.h"

typedef enum {
    TFG_LAYER_DENSE,
    TFG_LAYER_CONV2D,
    TFG_LAYER_DWCONV2D, /* depthwise conv2d */
    TFG_LAYER_MAXPOOL,
    TFG_LAYER_AVGPOOL,
    TFG_LAYER_RELU,
    TFG_LAYER_RELU6,
    TFG_LAYER_SOFTMAX,
    TFG_LAYER_FLATTEN,
    TFG_LAYER_RESHAPE,
    TFG_LAYER_ADD,
    TFG_LAYER_BATCHNORM, /* per channel (last dim); folded into the layer before it for int8 */
    TFG_LAYER_KINDS
} tfg_layer_kind;

typedef enum { TFG_ACT_NONE, TFG_ACT_RELU, TFG_ACT_RELU6 } tfg_act;
typedef enum { TFG_PAD_VALID, TFG_PAD_SAME } tfg_padding;

/* A per-sample shape: rank 1 {n} or rank 3 {h, w, c}. */
typedef struct {
    uint32_t rank;
    uint32_t dim[3];
} tfg_shape;

size_t tfg_shape_size(const tfg_shape *s);

/* A trainable array with its gradient and optimizer state (allocated together). */
typedef struct {
    float *value, *grad;
    float *m, *v; /* optimizer moments (momentum uses m; Adam m and v) */
    size_t n;
} tfg_param;

typedef struct {
    tfg_layer_kind kind;
    char *name;               /* "dense_2" unless the architecture names it */
    int in, in2;              /* tensor indexes read (in2: add only, else -1) */
    int out;                  /* tensor index written */
    tfg_act act;              /* fused activation (dense, conv2d, dwconv2d) */
    /* dense: units; conv2d: filters; dwconv2d: multiplier */
    uint32_t units, filters, multiplier;
    uint32_t kh, kw, sh, sw;  /* kernel and stride (conv, pool) */
    tfg_padding padding;
    uint32_t pad_top, pad_left; /* derived from padding and shapes */
    float eps, momentum;      /* batchnorm */
    tfg_param w, b;           /* dense, conv2d, dwconv2d (b: bias); batchnorm: gamma, beta */
    float *mean, *var;        /* batchnorm running statistics (per channel) */
} tfg_layer;

typedef struct {
    tfg_shape *tensors; /* per-sample shapes; [0] is the input, [n_tensors-1] the output */
    size_t n_tensors;
    tfg_layer *layers;  /* in execution order */
    size_t n_layers;
} tfg_graph;

const char *tfg_layer_kind_name(tfg_layer_kind k); /* the JSON "type" */

/* Builds a graph from an architecture JSON (shapes inferred, parameters allocated and
 * zero). If `input` is given it must agree with the JSON's "input" (or supplies it when
 * absent); n_outputs > 0 requires the last tensor to have that many values. Errors name
 * the file and the layer: "arch.json: layers[3] (conv2d): kernel 5 is larger than its
 * 4x4 input". */
tfg_status tfg_graph_from_json(const json_t *arch, const char *file, const tfg_shape *input,
                               uint32_t n_outputs, tfg_graph *g, tfg_err *err);
json_t *tfg_graph_to_json(const tfg_graph *g); /* the architecture (no weights) */
void tfg_graph_free(tfg_graph *g);

/* He-uniform weights for layers followed by ReLU, Glorot-uniform otherwise; zero
 * biases; batchnorm gamma 1, beta 0, mean 0, var 1. Deterministic from r. */
void tfg_graph_init_params(tfg_graph *g, tfg_rng *r);
size_t tfg_graph_param_count(const tfg_graph *g);
/* Peak bytes of activations alive at once for one int8 inference (input and output
 * included), the estimate used against a board's RAM before the planner exists. */
size_t tfg_graph_activation_bytes(const tfg_graph *g);
/* Multiply-accumulates of one inference. */
uint64_t tfg_graph_macs(const tfg_graph *g);

/* Execution for mini-batches: activation and gradient buffers for up to max_batch
 * samples, scratch for im2col. Forward keeps what backward needs. */
typedef struct tfg_net tfg_net;

tfg_net *tfg_net_new(tfg_graph *g, size_t max_batch);
void tfg_net_free(tfg_net *n);
/* x: batch x input size. Returns the output tensor (batch x output size), valid until
 * the next call. training: batchnorm uses batch statistics and updates running ones. */
const float *tfg_net_forward(tfg_net *n, const float *x, size_t batch, bool training);
/* The output of tensor t of the last forward pass. */
const float *tfg_net_tensor(const tfg_net *n, int t);
/* Backpropagates dy (gradient w.r.t. tensor t, batch x size of t) from the last forward
 * pass, through the layers before t, and ADDS the parameter gradients into each
 * param's grad. t is usually the output, or the softmax's input when the loss fuses
 * softmax with cross-entropy. */
void tfg_net_backward(tfg_net *n, int t, const float *dy);
/* Sets every parameter gradient to zero. */
void tfg_net_zero_grad(tfg_net *n);
/* The gradient w.r.t. tensor t from the last backward pass (batch x size of t). The
 * input's (t = 0) is computed only after tfg_net_want_input_grad(n, true): training
 * does not need it and for a first conv2d it costs a col2im. */
const float *tfg_net_grad(const tfg_net *n, int t);
void tfg_net_want_input_grad(tfg_net *n, bool on);

#endif
