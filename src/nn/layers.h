/* layers.h — private to src/nn: the forward and backward kernels of the spatial layers
 * (conv.c: conv2d and depthwise conv2d; pool.c: max and average pooling), called by
 * net.c, which owns the buffers. One struct carries one layer's run over a batch so the
 * kernels take one argument instead of a dozen.
 *
 * Conventions: activations NHWC, one sample after another; backward ADDS into dx
 * (a tensor read by two layers sums both gradients) and into the parameter grads;
 * dx == NULL means the caller does not want the input gradient. Fused activations are
 * applied by net.c around these kernels. */
#ifndef TFG_NN_LAYERS_H
#define TFG_NN_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#include "nn/graph.h"

typedef struct {
    tfg_layer *L;
    const tfg_shape *xs, *ys; /* input and output per-sample shapes (rank 3) */
    size_t batch;
    const float *x;  /* batch x input */
    float *y;        /* batch x output (forward writes it) */
    const float *dy; /* backward: gradient w.r.t. y */
    float *dx;       /* backward: gradient w.r.t. x, added to; NULL to skip */
    float *col, *dcol; /* conv2d im2col scratch, col_cap floats each */
    size_t col_cap;
    int32_t *argmax; /* maxpool: batch x output, index of the max within its sample */
} tfg_lrun;

/* Floats of im2col scratch conv2d needs per sample (0 when it needs none). */
size_t tfg_conv2d_col_per_sample(const tfg_layer *L, const tfg_shape *xs, const tfg_shape *ys);

void tfg_conv2d_forward(const tfg_lrun *r);
void tfg_conv2d_backward(const tfg_lrun *r);
void tfg_dwconv2d_forward(const tfg_lrun *r);
void tfg_dwconv2d_backward(const tfg_lrun *r);
void tfg_maxpool_forward(const tfg_lrun *r);
void tfg_maxpool_backward(const tfg_lrun *r);
void tfg_avgpool_forward(const tfg_lrun *r);
void tfg_avgpool_backward(const tfg_lrun *r);

#endif
