/* choose.c — the kernel variant of every step for the target's CPU (lower.h
 * tfg_lower_choose), and what the DSP variants of the op files share.
 *
 * The choice is made ahead of time, from shapes and prepared parameters only, never
 * from data: whatever a variant refuses at run time (runtime/tfg_runtime.h, the *_dsp
 * kernels) its op's choose checks first, so the generated call cannot fail where the
 * reference would have run. What a variant reads besides the reference's operands is
 * made here once, from the model's constants, and emitted as constants in flash: the
 * kernel sums (tfg_rt_fold_bias) and the weights in the order its inner loop reads
 * (tfg_rt_interleave_weights, tfg_rt_pad_weight_rows); and a layer whose sums could
 * overflow the DSP kernels' short requantization (tfg_rt_dsp_sums_ok) keeps the
 * reference. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "lower/op.h"

bool tfg_lower_core_has_dsp(const char *core)
{
    /* Armv7E-M and Armv8-M Mainline with the DSP extension (Cortex-M55/M85 have it too,
     * beside Helium) */
    static const char *const dsp[] = {"cortex-m4", "cortex-m7", "cortex-m33", "cortex-m35p",
                                      "cortex-m55", "cortex-m85", NULL};
    if (!core)
        return false;
    for (size_t i = 0; dsp[i]; i++) {
        size_t n = strlen(dsp[i]);
        /* "cortex-m4f" is a Cortex-M4 with an FPU; "cortex-m40" would be another core */
        if (!strncmp(core, dsp[i], n) && (core[n] == '\0' || !strcmp(core + n, "f")))
            return true;
    }
    return false;
}

bool tfg_lower_dsp_requant_fits(const tfg_lower_step *s)
{
    return tfg_rt_dsp_requant_ok(&s->rq, s->rq.count) != 0;
}

const int8_t *tfg_lower_const_data(const tfg_lowered *l, int32_t t)
{
    return (const int8_t *)l->m->buffers[l->g->tensors[t].buffer].data;
}

bool tfg_lower_set_variant(const tfg_lower_choice *c, const char *name, const char *kernel,
                           size_t scratch, int32_t channels, int32_t depth,
                           int32_t channel_stride, int32_t depth_stride, int32_t input_zp,
                           tfg_lower_pack pack)
{
    tfg_lower_step *s = c->s;
    const int8_t *w = tfg_lower_const_data(c->l, s->in[1]);
    int32_t *sums = tfg_xcalloc((size_t)channels, sizeof *sums);
    tfg_rt_fold_bias(w, channels, depth, channel_stride, depth_stride, input_zp, s->bias,
                     sums);
    /* the short requantization needs bounded accumulators: else the reference stays */
    if (!tfg_rt_dsp_sums_ok(w, channels, depth, channel_stride, depth_stride, sums,
                            &s->rq)) {
        free(sums);
        return false;
    }
    s->variant = name;
    s->kernel = kernel;
    s->scratch = scratch;
    s->sums = sums;
    if (pack == TFG_LOWER_PACK_ROWS4) {
        s->packed_len = (size_t)channels * (size_t)depth;
        s->packed = tfg_xcalloc(s->packed_len, 1);
        tfg_rt_interleave_weights(w, channels, depth, s->packed);
    } else if (pack == TFG_LOWER_PACK_PADDED) {
        s->packed_len = tfg_rt_pad_weight_rows_size(channels, depth);
        s->packed = tfg_xcalloc(s->packed_len, 1);
        tfg_rt_pad_weight_rows(w, channels, depth, s->packed);
    }
    return true;
}

void tfg_lower_choose(tfg_lowered *l, const char *core)
{
    bool dsp = tfg_lower_core_has_dsp(core);
    for (size_t p = 0; p < l->n_steps; p++) {
        tfg_lower_step *s = &l->steps[p];
        if (!s->op || !s->kernel)
            continue;
        /* back to the reference first: choosing twice gives the second target's choice */
        free(s->sums);
        free(s->packed);
        s->sums = NULL;
        s->packed = NULL;
        s->packed_len = 0;
        s->no_stream = false;
        s->kernel = s->op->kernel;
        s->scratch = s->op->scratch ? s->op->scratch(l->g, &l->g->ops[s->index]) : 0;
        s->variant = "reference";
        tfg_lower_choice c = {l, s, dsp};
        if (l->prepared && s->op->choose)
            s->op->choose(&c);
    }
}
