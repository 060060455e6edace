/* builtin.c — the builtin backend: deterministic handlers registered per stage label by
 * the caller (the pilot fills it with rules and templates). It never touches the
 * network, so it answers offline too, and it is free. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/strutil.h"
#include "llm/internal.h"

struct tfg_llm_builtin_entry {
    char *stage;
    tfg_llm_builtin_fn fn;
    void *user;
};

void tfg_llm_builtins_set(tfg_llm_builtins *t, const char *stage, tfg_llm_builtin_fn fn,
                          void *user)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->v[i].stage, stage)) {
            t->v[i].fn = fn;
            t->v[i].user = user;
            return;
        }
    t->v = tfg_xreallocarray(t->v, t->n + 1, sizeof *t->v);
    t->v[t->n++] = (struct tfg_llm_builtin_entry){tfg_xstrdup(stage), fn, user};
}

void tfg_llm_builtins_free(tfg_llm_builtins *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].stage);
    free(t->v);
    t->v = NULL;
    t->n = 0;
}

static tfg_status no_handler(const tfg_llm_builtins *t, const char *stage, tfg_err *err)
{
    tfg_buf known;
    tfg_buf_init(&known);
    for (size_t i = 0; i < t->n; i++)
        tfg_buf_printf(&known, "%s%s", i ? ", " : "", t->v[i].stage);
    tfg_err_set(err, TFG_EINPUT, "the builtin backend has no rule for stage '%s' (it has: %s)",
                stage, known.len ? known.data : "none");
    tfg_buf_free(&known);
    return TFG_EINPUT;
}

tfg_status tfg_llm_builtins_invoke(const tfg_llm_builtins *t, const tfg_llm_request *req,
                                   char **reply, tfg_err *err)
{
    *reply = NULL;
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->v[i].stage, req->stage))
            continue;
        tfg_status st = t->v[i].fn(req, reply, t->v[i].user, err);
        if (st) {
            free(*reply);
            *reply = NULL;
            return st;
        }
        if (!*reply || tfg_utf8_invalid_at(*reply, strlen(*reply)) < strlen(*reply)) {
            free(*reply);
            *reply = NULL;
            return tfg_err_set(err, TFG_EINTERNAL,
                               "the builtin rule for stage '%s' gave no valid UTF-8 reply",
                               req->stage);
        }
        return TFG_OK;
    }
    return no_handler(t, req->stage, err);
}
