/* conv.c — conv2d (im2col + one sgemm per chunk of samples) and depthwise conv2d
 * (direct loops), forward and backward, for net.c (layers.h).
 *
 * conv2d: an im2col row is one output pixel, its columns the kh x kw x cin input
 * window in the same order as an OHWI filter, so output = im2col x W^T needs no
 * transposes (net.c then adds the bias and applies the activation in one pass), and
 * the backward pass is dW += dY^T x im2col and dX = col2im(dY x W).
 * Padded cells are zero in im2col and dropped by col2im. A 1x1 stride-1 conv needs no
 * im2col at all: the input already is the matrix. */
#include <cblas.h>
#include <string.h>

#include "nn/layers.h"

static bool is_pointwise(const tfg_layer *L)
{
    return L->kh == 1 && L->kw == 1 && L->sh == 1 && L->sw == 1;
}

size_t tfg_conv2d_col_per_sample(const tfg_layer *L, const tfg_shape *xs, const tfg_shape *ys)
{
    if (L->kind != TFG_LAYER_CONV2D || is_pointwise(L))
        return 0;
    return (size_t)ys->dim[0] * ys->dim[1] * L->kh * L->kw * xs->dim[2];
}

/* Samples [b0, b0 + nb) of x into col (rows = output pixels). */
static void im2col(const tfg_lrun *r, size_t b0, size_t nb, float *col)
{
    const tfg_layer *L = r->L;
    size_t H = r->xs->dim[0], W = r->xs->dim[1], C = r->xs->dim[2];
    size_t OH = r->ys->dim[0], OW = r->ys->dim[1];
    float *row = col;
    for (size_t b = b0; b < b0 + nb; b++) {
        const float *xb = r->x + b * H * W * C;
        for (size_t oy = 0; oy < OH; oy++)
            for (size_t ox = 0; ox < OW; ox++)
                for (size_t ky = 0; ky < L->kh; ky++) {
                    long iy = (long)(oy * L->sh + ky) - (long)L->pad_top;
                    for (size_t kx = 0; kx < L->kw; kx++, row += C) {
                        long ix = (long)(ox * L->sw + kx) - (long)L->pad_left;
                        if (iy < 0 || iy >= (long)H || ix < 0 || ix >= (long)W)
                            memset(row, 0, C * sizeof(float));
                        else if (C == 1) /* a first layer: skip memcpy's call */
                            row[0] = xb[(size_t)iy * W + (size_t)ix];
                        else
                            memcpy(row, xb + ((size_t)iy * W + (size_t)ix) * C,
                                   C * sizeof(float));
                    }
                }
    }
}

/* Adds dcol back onto the input pixels it came from (the inverse walk of im2col). */
static void col2im(const tfg_lrun *r, size_t b0, size_t nb, const float *dcol)
{
    const tfg_layer *L = r->L;
    size_t H = r->xs->dim[0], W = r->xs->dim[1], C = r->xs->dim[2];
    size_t OH = r->ys->dim[0], OW = r->ys->dim[1];
    const float *row = dcol;
    for (size_t b = b0; b < b0 + nb; b++) {
        float *db = r->dx + b * H * W * C;
        for (size_t oy = 0; oy < OH; oy++)
            for (size_t ox = 0; ox < OW; ox++)
                for (size_t ky = 0; ky < L->kh; ky++) {
                    long iy = (long)(oy * L->sh + ky) - (long)L->pad_top;
                    for (size_t kx = 0; kx < L->kw; kx++, row += C) {
                        long ix = (long)(ox * L->sw + kx) - (long)L->pad_left;
                        if (iy < 0 || iy >= (long)H || ix < 0 || ix >= (long)W)
                            continue;
                        float *d = db + ((size_t)iy * W + (size_t)ix) * C;
                        for (size_t c = 0; c < C; c++)
                            d[c] += row[c];
                    }
                }
    }
}

static size_t chunk_samples(const tfg_lrun *r)
{
    size_t per = tfg_conv2d_col_per_sample(r->L, r->xs, r->ys);
    if (!per)
        return r->batch;
    size_t c = r->col_cap / per;
    return c < 1 ? 1 : c;
}

void tfg_conv2d_forward(const tfg_lrun *r)
{
    const tfg_layer *L = r->L;
    size_t pix = (size_t)r->ys->dim[0] * r->ys->dim[1], F = L->filters;
    size_t K = (size_t)L->kh * L->kw * r->xs->dim[2], step = chunk_samples(r);
    for (size_t b0 = 0; b0 < r->batch; b0 += step) {
        size_t nb = r->batch - b0 < step ? r->batch - b0 : step;
        const float *col = r->x + b0 * pix * K; /* pointwise: the input is the matrix */
        if (!is_pointwise(L)) {
            im2col(r, b0, nb, r->col);
            col = r->col;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(nb * pix), (int)F, (int)K,
                    1.0f, col, (int)K, L->w.value, (int)K, 0.0f, r->y + b0 * pix * F, (int)F);
    }
}

void tfg_conv2d_backward(const tfg_lrun *r)
{
    const tfg_layer *L = r->L;
    size_t pix = (size_t)r->ys->dim[0] * r->ys->dim[1], F = L->filters;
    size_t K = (size_t)L->kh * L->kw * r->xs->dim[2], step = chunk_samples(r);
    for (size_t i = 0; i < r->batch * pix; i++)
        for (size_t f = 0; f < F; f++)
            L->b.grad[f] += r->dy[i * F + f];
    for (size_t b0 = 0; b0 < r->batch; b0 += step) {
        size_t nb = r->batch - b0 < step ? r->batch - b0 : step;
        int M = (int)(nb * pix);
        const float *dy = r->dy + b0 * pix * F;
        const float *col = r->x + b0 * pix * K;
        if (!is_pointwise(L)) {
            im2col(r, b0, nb, r->col);
            col = r->col;
        }
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)F, (int)K, M, 1.0f, dy,
                    (int)F, col, (int)K, 1.0f, L->w.grad, (int)K);
        if (!r->dx)
            continue;
        if (is_pointwise(L)) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, (int)K, (int)F, 1.0f, dy,
                        (int)F, L->w.value, (int)K, 1.0f, r->dx + b0 * pix * K, (int)K);
            continue;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, (int)K, (int)F, 1.0f, dy,
                    (int)F, L->w.value, (int)K, 0.0f, r->dcol, (int)K);
        col2im(r, b0, nb, r->dcol);
    }
}

/* Depthwise: output channel c * M + m filters input channel c with its own kh x kw
 * kernel; weights [kh][kw][C * M]. The window walk is outer and the channels inner, so
 * every inner loop runs over contiguous memory. */
void tfg_dwconv2d_forward(const tfg_lrun *r)
{
    const tfg_layer *L = r->L;
    size_t H = r->xs->dim[0], W = r->xs->dim[1], C = r->xs->dim[2], M = L->multiplier;
    size_t OH = r->ys->dim[0], OW = r->ys->dim[1], CO = C * M;
    for (size_t b = 0; b < r->batch; b++) {
        const float *xb = r->x + b * H * W * C;
        for (size_t oy = 0; oy < OH; oy++)
            for (size_t ox = 0; ox < OW; ox++) {
                float *yp = r->y + ((b * OH + oy) * OW + ox) * CO;
                memcpy(yp, L->b.value, CO * sizeof(float));
                for (size_t ky = 0; ky < L->kh; ky++) {
                    long iy = (long)(oy * L->sh + ky) - (long)L->pad_top;
                    if (iy < 0 || iy >= (long)H)
                        continue;
                    for (size_t kx = 0; kx < L->kw; kx++) {
                        long ix = (long)(ox * L->sw + kx) - (long)L->pad_left;
                        if (ix < 0 || ix >= (long)W)
                            continue;
                        const float *xp = xb + ((size_t)iy * W + (size_t)ix) * C;
                        const float *wk = L->w.value + (ky * L->kw + kx) * CO;
                        for (size_t c = 0; c < C; c++)
                            for (size_t m = 0; m < M; m++)
                                yp[c * M + m] += xp[c] * wk[c * M + m];
                    }
                }
            }
    }
}

void tfg_dwconv2d_backward(const tfg_lrun *r)
{
    const tfg_layer *L = r->L;
    size_t H = r->xs->dim[0], W = r->xs->dim[1], C = r->xs->dim[2], M = L->multiplier;
    size_t OH = r->ys->dim[0], OW = r->ys->dim[1], CO = C * M;
    for (size_t b = 0; b < r->batch; b++) {
        const float *xb = r->x + b * H * W * C;
        float *dxb = r->dx ? r->dx + b * H * W * C : NULL;
        for (size_t oy = 0; oy < OH; oy++)
            for (size_t ox = 0; ox < OW; ox++) {
                const float *dyp = r->dy + ((b * OH + oy) * OW + ox) * CO;
                for (size_t k = 0; k < CO; k++)
                    L->b.grad[k] += dyp[k];
                for (size_t ky = 0; ky < L->kh; ky++) {
                    long iy = (long)(oy * L->sh + ky) - (long)L->pad_top;
                    if (iy < 0 || iy >= (long)H)
                        continue;
                    for (size_t kx = 0; kx < L->kw; kx++) {
                        long ix = (long)(ox * L->sw + kx) - (long)L->pad_left;
                        if (ix < 0 || ix >= (long)W)
                            continue;
                        size_t off = ((size_t)iy * W + (size_t)ix) * C;
                        const float *xp = xb + off;
                        const float *wk = L->w.value + (ky * L->kw + kx) * CO;
                        float *gk = L->w.grad + (ky * L->kw + kx) * CO;
                        for (size_t c = 0; c < C; c++)
                            for (size_t m = 0; m < M; m++) {
                                gk[c * M + m] += dyp[c * M + m] * xp[c];
                                if (dxb)
                                    dxb[off + c] += dyp[c * M + m] * wk[c * M + m];
                            }
                    }
                }
            }
    }
}
