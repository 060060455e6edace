/* invoke.c — the host interpreter of int8 .tflite models (invoke.h).
 *
 * All the thinking is in the lowering (lower.c and the op files): this file gives
 * every tensor bytes (constants point into the model, everything else its own zeroed
 * buffer) and runs the prepared steps in order, so that invoke is nothing but kernel
 * calls. */
#include "lower/invoke.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "lower/lower.h"

struct tfg_tflite_runner {
    tfg_lowered low;
    const uint8_t **view;      /* per tensor: its bytes (constant or owned), or NULL */
    uint8_t **own;             /* per tensor: the buffer this runner allocated, or NULL */
    int32_t input, output;
};

/* Gives tensor t a zeroed buffer of its own. */
static void own_tensor(tfg_tflite_runner *r, int32_t t)
{
    size_t n = r->low.g->tensors[t].bytes;
    r->own[t] = tfg_xcalloc(n ? n : 1, 1);
    r->view[t] = r->own[t];
}

tfg_status tfg_tflite_runner_new(const tfg_tflite *m, tfg_tflite_runner **out, tfg_err *err)
{
    *out = NULL;
    tfg_tflite_runner *r = tfg_xcalloc(1, sizeof *r);
    tfg_status st = tfg_lower(m, TFG_LOWER_PREPARE, &r->low, err);
    if (st) {
        free(r);
        return st;
    }
    const tfg_tfl_subgraph *g = r->low.g;
    r->input = g->inputs[0];
    r->output = g->outputs[0];
    r->view = tfg_xcalloc(g->n_tensors ? g->n_tensors : 1, sizeof *r->view);
    r->own = tfg_xcalloc(g->n_tensors ? g->n_tensors : 1, sizeof *r->own);
    for (size_t t = 0; t < g->n_tensors; t++)
        if (tfg_lower_is_const(m, g, (int32_t)t))
            r->view[t] = m->buffers[g->tensors[t].buffer].data;
    own_tensor(r, r->input);
    for (size_t i = 0; i < r->low.n_steps; i++) {
        const tfg_tfl_op *op = &g->ops[r->low.steps[i].index];
        for (size_t k = 0; k < op->n_outputs; k++)
            own_tensor(r, op->outputs[k]);
    }
    *out = r;
    return TFG_OK;
}

size_t tfg_tflite_runner_input_bytes(const tfg_tflite_runner *r)
{
    return r->low.g->tensors[r->input].bytes;
}

size_t tfg_tflite_runner_output_bytes(const tfg_tflite_runner *r)
{
    return r->low.g->tensors[r->output].bytes;
}

size_t tfg_tflite_runner_ops(const tfg_tflite_runner *r)
{
    return r->low.n_steps;
}

tfg_status tfg_tflite_runner_invoke(tfg_tflite_runner *r, const void *in, size_t n, void *out,
                                    size_t m, tfg_err *err)
{
    const char *name = r->low.m->name;
    size_t want_in = tfg_tflite_runner_input_bytes(r);
    size_t want_out = tfg_tflite_runner_output_bytes(r);
    if (n != want_in || (n && !in))
        return tfg_err_set(err, TFG_EUSAGE, "%s: the input has %zu bytes, expected %zu", name,
                           n, want_in);
    if (m != want_out || (m && !out))
        return tfg_err_set(err, TFG_EUSAGE,
                           "%s: the output buffer has %zu bytes, expected %zu", name, m,
                           want_out);
    if (n)
        memcpy(r->own[r->input], in, n);
    for (size_t i = 0; i < r->low.n_steps; i++) {
        const tfg_lower_step *s = &r->low.steps[i];
        const void *w = s->in[1] >= 0 ? r->view[s->in[1]] : NULL;
        tfg_rt_status rs = tfg_lower_eval_step(s, r->view[s->in[0]], w, r->own[s->out]);
        if (rs)
            return tfg_err_set(err, TFG_EINPUT, "%s: operators[%zu] (%s): the kernel refused "
                               "its data (%s)", name, s->index,
                               tfg_tflite_op_name(s->builtin), tfg_rt_status_name(rs));
    }
    if (m)
        memcpy(out, r->view[r->output], m);
    return TFG_OK;
}

const int8_t *tfg_tflite_runner_tensor(const tfg_tflite_runner *r, int tensor, size_t *bytes)
{
    *bytes = 0;
    if (tensor < 0 || (size_t)tensor >= r->low.g->n_tensors || !r->view[tensor])
        return NULL;
    *bytes = r->low.g->tensors[tensor].bytes;
    return (const int8_t *)r->view[tensor];
}

const tfg_lowered *tfg_tflite_runner_lowered(const tfg_tflite_runner *r)
{
    return &r->low;
}

void tfg_tflite_runner_free(tfg_tflite_runner *r)
{
    if (!r)
        return;
    if (r->own)
        for (size_t t = 0; t < r->low.g->n_tensors; t++)
            free(r->own[t]);
    free(r->own);
    free(r->view);
    tfg_lower_free(&r->low);
    free(r);
}
