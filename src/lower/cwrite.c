/* cwrite.c — how the op emitters write C (op.h): int32 literals and arrays, dims,
 * requantization tables, bias (or a variant's kernel sums), and the checked kernel call.
 *
 * Every op's emit writes its constants with these, so the generated C looks the same
 * whichever op wrote it, and flash is counted the same way (const bytes added). */
#include <stdlib.h>

#include "core/alloc.h"
#include "lower/op.h"

/* C99 has no literal of type int for INT32_MIN. */
void tfg_lower_put_i32(tfg_buf *b, int32_t v)
{
    if (v == INT32_MIN)
        tfg_buf_printf(b, "(-2147483647 - 1)");
    else
        tfg_buf_printf(b, "%ld", (long)v);
}

void tfg_lower_put_i32_array(const tfg_lower_emit *e, const char *name, const int32_t *v,
                             size_t n)
{
    tfg_buf *d = e->decl;
    tfg_buf_printf(d, "static const int32_t %s[%zu] = {", name, n);
    size_t col = TFG_LOWER_WRAP;
    for (size_t i = 0; i < n; i++) {
        tfg_buf num;
        tfg_buf_init(&num);
        tfg_lower_put_i32(&num, v[i]);
        if (col + 1 + num.len + 1 > TFG_LOWER_WRAP) {
            tfg_buf_printf(d, "\n   ");
            col = 3;
        }
        tfg_buf_putc(d, ' ');
        tfg_buf_append(d, num.data, num.len);
        col += 1 + num.len;
        tfg_buf_free(&num);
        if (i + 1 < n) {
            tfg_buf_putc(d, ',');
            col++;
        }
    }
    tfg_buf_printf(d, "\n};\n");
    *e->flash += 4 * n;
}

void tfg_lower_put_dims(const tfg_lower_emit *e, const char *what, const tfg_rt_dims *d)
{
    tfg_buf_printf(e->decl, "static const tfg_rt_dims %s_%s = {%ld, %ld, %ld, %ld};\n",
                   e->name, what, (long)d->n, (long)d->h, (long)d->w, (long)d->c);
    *e->flash += sizeof *d;
}

void tfg_lower_put_requant(const tfg_lower_emit *e, const tfg_lower_step *s)
{
    const char *o = e->name;
    char *name = tfg_xasprintf("%s_multipliers", o);
    tfg_lower_put_i32_array(e, name, s->multiplier, (size_t)s->rq.count);
    free(name);
    name = tfg_xasprintf("%s_shifts", o);
    tfg_lower_put_i32_array(e, name, s->shift, (size_t)s->rq.count);
    free(name);
    tfg_buf_printf(e->decl, "static const tfg_rt_requant %s_requant = {%s_multipliers, "
                   "%s_shifts, %ld};\n", o, o, o, (long)s->rq.count);
    *e->flash += sizeof s->rq;
}

char *tfg_lower_put_bias(const tfg_lower_emit *e, const tfg_lower_step *s, int32_t channels)
{
    if (s->sums) {
        char *name = tfg_xasprintf("%s_sums", e->name);
        tfg_lower_put_i32_array(e, name, s->sums, (size_t)channels);
        return name;
    }
    if (!s->bias)
        return tfg_xstrdup("NULL");
    char *name = tfg_xasprintf("%s_bias", e->name);
    tfg_lower_put_i32_array(e, name, s->bias, (size_t)channels);
    return name;
}

void tfg_lower_put_call(const tfg_lower_emit *e, const tfg_lower_step *s, const char *call)
{
    tfg_buf_printf(e->body, "    /* operators[%zu] %s */\n    if (%s != TFG_RT_OK)\n"
                   "        return %zu;\n", s->index, tfg_tflite_op_name(s->builtin), call,
                   s->index + 1);
}
