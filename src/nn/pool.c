/* pool.c — max and average pooling, forward and backward, for net.c (layers.h).
 *
 * Padded cells never take part: max pooling ignores them (as if -infinity) and average
 * pooling divides by the number of real cells in the window, as TFLite's average pool
 * does, so a trained model and its int8 deployment agree at the borders. Max pooling
 * remembers where each maximum came from (the first one on ties) and routes the
 * gradient there. */
#include <string.h>

#include "nn/layers.h"

/* The real input rows [y0, y1) and columns [x0, x1) of output pixel (oy, ox). */
typedef struct {
    size_t y0, y1, x0, x1;
} window;

static window window_at(const tfg_lrun *r, size_t oy, size_t ox)
{
    const tfg_layer *L = r->L;
    long H = (long)r->xs->dim[0], W = (long)r->xs->dim[1];
    long y0 = (long)(oy * L->sh) - (long)L->pad_top, x0 = (long)(ox * L->sw) - (long)L->pad_left;
    long y1 = y0 + (long)L->kh, x1 = x0 + (long)L->kw;
    window w = {(size_t)(y0 < 0 ? 0 : y0), (size_t)(y1 > H ? H : y1),
                (size_t)(x0 < 0 ? 0 : x0), (size_t)(x1 > W ? W : x1)};
    return w;
}

void tfg_maxpool_forward(const tfg_lrun *r)
{
    size_t H = r->xs->dim[0], W = r->xs->dim[1], C = r->xs->dim[2];
    size_t OH = r->ys->dim[0], OW = r->ys->dim[1];
    for (size_t b = 0; b < r->batch; b++) {
        const float *xb = r->x + b * H * W * C;
        for (size_t oy = 0; oy < OH; oy++)
            for (size_t ox = 0; ox < OW; ox++) {
                size_t o = ((b * OH + oy) * OW + ox) * C;
                float *yp = r->y + o;
                int32_t *am = r->argmax + o;
                window w = window_at(r, oy, ox);
                size_t first = (w.y0 * W + w.x0) * C;
                for (size_t c = 0; c < C; c++)
                    yp[c] = xb[first + c], am[c] = (int32_t)(first + c);
                for (size_t iy = w.y0; iy < w.y1; iy++)
                    for (size_t ix = w.x0; ix < w.x1; ix++) {
                        size_t off = (iy * W + ix) * C;
                        /* Selects, not branches: random data mispredicts half of them. */
                        for (size_t c = 0; c < C; c++) {
                            float v = xb[off + c];
                            int32_t gt = v > yp[c];
                            yp[c] = gt ? v : yp[c];
                            am[c] += gt * ((int32_t)(off + c) - am[c]);
                        }
                    }
            }
    }
}

void tfg_maxpool_backward(const tfg_lrun *r)
{
    if (!r->dx)
        return;
    size_t in = tfg_shape_size(r->xs), out = tfg_shape_size(r->ys);
    for (size_t b = 0; b < r->batch; b++)
        for (size_t k = 0; k < out; k++)
            r->dx[b * in + (size_t)r->argmax[b * out + k]] += r->dy[b * out + k];
}

void tfg_avgpool_forward(const tfg_lrun *r)
{
    size_t H = r->xs->dim[0], W = r->xs->dim[1], C = r->xs->dim[2];
    size_t OH = r->ys->dim[0], OW = r->ys->dim[1];
    for (size_t b = 0; b < r->batch; b++) {
        const float *xb = r->x + b * H * W * C;
        for (size_t oy = 0; oy < OH; oy++)
            for (size_t ox = 0; ox < OW; ox++) {
                float *yp = r->y + ((b * OH + oy) * OW + ox) * C;
                memset(yp, 0, C * sizeof(float));
                window w = window_at(r, oy, ox);
                for (size_t iy = w.y0; iy < w.y1; iy++)
                    for (size_t ix = w.x0; ix < w.x1; ix++)
                        for (size_t c = 0; c < C; c++)
                            yp[c] += xb[(iy * W + ix) * C + c];
                float inv = 1.0f / (float)((w.y1 - w.y0) * (w.x1 - w.x0));
                for (size_t c = 0; c < C; c++)
                    yp[c] *= inv;
            }
    }
}

void tfg_avgpool_backward(const tfg_lrun *r)
{
    if (!r->dx)
        return;
    size_t H = r->xs->dim[0], W = r->xs->dim[1], C = r->xs->dim[2];
    size_t OH = r->ys->dim[0], OW = r->ys->dim[1];
    for (size_t b = 0; b < r->batch; b++) {
        float *db = r->dx + b * H * W * C;
        for (size_t oy = 0; oy < OH; oy++)
            for (size_t ox = 0; ox < OW; ox++) {
                const float *dyp = r->dy + ((b * OH + oy) * OW + ox) * C;
                window w = window_at(r, oy, ox);
                float inv = 1.0f / (float)((w.y1 - w.y0) * (w.x1 - w.x0));
                for (size_t iy = w.y0; iy < w.y1; iy++)
                    for (size_t ix = w.x0; ix < w.x1; ix++)
                        for (size_t c = 0; c < C; c++)
                            db[(iy * W + ix) * C + c] += dyp[c] * inv;
            }
    }
}
