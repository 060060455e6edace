/* cache.c — replies on disk, one file per request: <dir>/llm/cache/<hash>.json holding
 * the canonical request (so a person can see what was asked) and the reply. Writes are
 * atomic (core/io), so a killed run leaves whole entries or none. Replaying a run reads
 * these files only: with the server gone, the same requests give the same bytes. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/io.h"
#include "core/json.h"
#include "llm/internal.h"

static char *entry_path(const char *dir, const char *hash)
{
    return tfg_xasprintf("%s/llm/cache/%s.json", dir, hash);
}

static tfg_status read_entry(const json_t *j, const char *path, tfg_llm_reply *out,
                             tfg_err *err)
{
    const json_t *r = json_object_get(j, "reply");
    tfg_jctx c = {path, "reply"};
    const char *content = NULL, *finish = NULL;
    bool est = false;
    int64_t tin = 0, tout = 0;
    if (!json_is_object(r))
        return tfg_err_field(err, TFG_EINPUT, path, "reply", "expected an object");
    tfg_status st = tfg_jget_str(r, "content", true, &content, &c, err);
    if (!st)
        st = tfg_jget_str(r, "finish_reason", false, &finish, &c, err);
    if (!st)
        st = tfg_jget_int(r, "tokens_in", true, 0, INT64_MAX, &tin, &c, err);
    if (!st)
        st = tfg_jget_int(r, "tokens_out", true, 0, INT64_MAX, &tout, &c, err);
    if (!st)
        st = tfg_jget_bool(r, "tokens_estimated", false, &est, &c, err);
    if (st)
        return st;
    out->content = tfg_xstrdup(content);
    out->finish_reason = finish ? tfg_xstrdup(finish) : NULL;
    out->tokens_in = tin;
    out->tokens_out = tout;
    out->tokens_estimated = est;
    return TFG_OK;
}

tfg_status tfg_llm_cache_get(const char *dir, const char *hash, tfg_llm_reply *out, bool *hit,
                             tfg_err *err)
{
    *hit = false;
    char *path = entry_path(dir, hash);
    tfg_status st = TFG_OK;
    if (tfg_exists(path)) {
        json_t *j;
        st = tfg_json_load_file(path, &j, err);
        if (!st) {
            st = read_entry(j, path, out, err);
            json_decref(j);
        }
        if (!st)
            *hit = true;
        else
            tfg_err_prefix(err, "LLM cache entry unreadable (delete it to ask again)");
    }
    free(path);
    return st;
}

tfg_status tfg_llm_cache_put(const char *dir, const char *hash, const json_t *canonical,
                             const tfg_llm_reply *r, tfg_err *err)
{
    char *cdir = tfg_xasprintf("%s/llm/cache", dir);
    tfg_status st = tfg_mkdirs(cdir, err);
    free(cdir);
    if (st)
        return st;
    json_t *reply = json_pack("{s:s, s:I, s:I, s:b}", "content", r->content, "tokens_in",
                              (json_int_t)r->tokens_in, "tokens_out", (json_int_t)r->tokens_out,
                              "tokens_estimated", r->tokens_estimated);
    if (r->finish_reason)
        json_object_set_new(reply, "finish_reason", json_string(r->finish_reason));
    json_t *j = json_pack("{s:s, s:O, s:o}", "hash", hash, "request", canonical, "reply", reply);
    char *path = entry_path(dir, hash);
    st = tfg_json_write_file(path, j, err);
    free(path);
    json_decref(j);
    return st;
}
