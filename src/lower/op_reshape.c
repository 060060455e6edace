/* op_reshape.c — RESHAPE: the same bytes under another shape (op.h).
 *
 * The planner lets the output share its input's buffer (same_bytes); the kernel then
 * copies nothing (tfg_rt_reshape_s8 returns at once when the pointers are equal), and
 * with TFG_PLAN_NO_ALIAS it copies. */
#include <stdlib.h>

#include "core/alloc.h"
#include "lower/op.h"

static tfg_status prepare(const tfg_lower_prep *c)
{
    const tfg_tfl_tensor *x = tfg_lower_tensor(c, c->s->in[0]);
    const tfg_tfl_tensor *y = tfg_lower_tensor(c, c->s->out);
    if (x->type != y->type || !tfg_tflite_type_bits(x->type) ||
        tfg_tflite_type_bits(x->type) % 8)
        return tfg_lower_fail(c, "input is %s and output %s, expected one whole-byte type",
                              tfg_tflite_type_name(x->type), tfg_tflite_type_name(y->type));
    tfg_status st = tfg_lower_need_same_elems(c, c->s->in[0], c->s->out);
    if (st)
        return st;
    c->s->size = (int32_t)x->bytes;
    return TFG_OK;
}

static tfg_rt_status eval(const tfg_lower_step *s, const void *x, const void *w, void *y)
{
    return tfg_rt_reshape_s8(x, y, s->size);
}

static void emit(const tfg_lower_step *s, const tfg_lower_emit *e)
{
    char *call = tfg_xasprintf("%s(%s, %s, %ld)", s->kernel, e->x, e->y, (long)s->size);
    tfg_lower_put_call(e, s, call);
    free(call);
}

const tfg_lower_op tfg_lower_op_reshape = {
    .builtin = TFG_TFL_RESHAPE,
    .n_required = 1,
    .kernel = "tfg_rt_reshape_s8",
    .prepare = prepare,
    .eval = eval,
    .emit = emit,
    .same_bytes = true,
};
