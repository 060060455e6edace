/* fully_connected.c — int8 fully connected (dense) layer as TFLite's reference
 * FullyConnected (per-tensor weights) and FullyConnectedPerChannel.
 *
 * Accumulates in int32 like TFLite: the quantizer keeps in_features * 255 * 128 within
 * int32, which holds for any layer that fits a microcontroller. */
#include "tfg_rt_internal.h"

int tfg_rt_requant_ok(const tfg_rt_requant *rq, int32_t channels)
{
    return rq && rq->multiplier && rq->shift && (rq->count == 1 || rq->count == channels);
}

size_t tfg_rt_fully_connected_s8_scratch_size(const tfg_rt_fc_dims *dims)
{
    (void)dims;
    return 0;
}

static tfg_rt_status fc_check(const tfg_rt_fc_params *p, const tfg_rt_requant *rq,
                              const tfg_rt_fc_dims *d, const int8_t *input,
                              const int8_t *weights, int8_t *output)
{
    if (!p || !d || !input || !weights || !output)
        return TFG_RT_EPARAM;
    if (d->batches <= 0 || d->in_features <= 0 || d->out_features <= 0)
        return TFG_RT_ESHAPE;
    if (!tfg_rt_requant_ok(rq, d->out_features) || !tfg_rt_act_ok(p->act_min, p->act_max))
        return TFG_RT_EPARAM;
    /* TFLite's per-channel kernel has no filter zero point. */
    if (rq->count > 1 && p->filter_zero_point != 0)
        return TFG_RT_EPARAM;
    return TFG_RT_OK;
}

tfg_rt_status tfg_rt_fully_connected_s8(const tfg_rt_fc_params *p, const tfg_rt_requant *rq,
                                        const tfg_rt_fc_dims *dims, const int8_t *input,
                                        const int8_t *weights, const int32_t *bias,
                                        int8_t *output, const tfg_rt_scratch *scratch)
{
    const tfg_rt_status st = fc_check(p, rq, dims, input, weights, output);
    int32_t b, o, i;
    (void)scratch;
    if (st != TFG_RT_OK)
        return st;
    for (b = 0; b < dims->batches; b++) {
        const int8_t *x = input + b * dims->in_features;
        for (o = 0; o < dims->out_features; o++) {
            const int8_t *w = weights + o * dims->in_features;
            int32_t acc = 0;
            for (i = 0; i < dims->in_features; i++)
                acc = tfg_rt_add_wrap(acc, (w[i] - p->filter_zero_point) *
                                               (x[i] - p->input_zero_point));
            if (bias)
                acc = tfg_rt_add_wrap(acc, bias[o]);
            acc = tfg_rt_add_wrap(tfg_rt_rq_apply(rq, o, acc), p->output_zero_point);
            output[b * dims->out_features + o] =
                (int8_t)tfg_rt_clamp(acc, p->act_min, p->act_max);
        }
    }
    return TFG_RT_OK;
}
