/* reply.c — reading what a server sent back, trusting none of it: the bytes must be
 * UTF-8, the JSON complete, and the shape the API's (OpenAI: choices[0].message.content
 * and usage; Ollama: message.content and the eval counts). Whatever is wrong becomes
 * one error class and one sentence; nothing here can crash on a hostile reply. */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/strutil.h"
#include "llm/internal.h"

int64_t tfg_llm_estimate_tokens(const char *text)
{
    return (int64_t)((strlen(text) + 3) / 4);
}

void tfg_llm_error_excerpt(const char *body, size_t len, char *dst, size_t n)
{
    if (!n)
        return;
    dst[0] = '\0';
    if (!body || !len)
        return;
    const char *text = body;
    size_t tlen = len;
    /* {"error": {"message": "..."}} (OpenAI) or {"error": "..."} (Ollama) */
    json_t *j = json_loadb(body, len, 0, NULL);
    const json_t *e = json_object_get(j, "error");
    const json_t *m = json_is_object(e) ? json_object_get(e, "message") : e;
    if (json_is_string(m)) {
        text = json_string_value(m);
        tlen = json_string_length(m);
    }
    size_t k = 0;
    for (size_t i = 0; i < tlen && k + 1 < n; i++) {
        unsigned char c = (unsigned char)text[i];
        dst[k++] = (c >= 0x20 && c < 0x7F) ? (char)c : (c == '\n' || c == '\t') ? ' ' : '?';
    }
    dst[k] = '\0';
    json_decref(j);
}

static tfg_llm_errclass fail(tfg_llm_errclass c, char *why, size_t n, const char *fmt,
                             const char *a)
{
    snprintf(why, n, fmt, a);
    return c;
}

/* Reads an integer usage field; false when absent or not a non-negative integer. */
static bool count(const json_t *o, const char *key, int64_t *out)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return false;
    *out = json_integer_value(v);
    return true;
}

static tfg_llm_errclass take_content(const json_t *c, const char *where, tfg_llm_reply *out,
                                     char *why, size_t n)
{
    if (!json_is_string(c))
        return fail(TFG_LLM_ERR_PROTOCOL, why, n, "the reply has no text at %s", where);
    if (strlen(json_string_value(c)) != json_string_length(c))
        return fail(TFG_LLM_ERR_PROTOCOL, why, n, "the reply's text at %s holds a NUL byte",
                    where);
    out->content = tfg_xstrdup(json_string_value(c));
    return TFG_LLM_ERR_NONE;
}

static void take_finish(const json_t *f, tfg_llm_reply *out)
{
    if (json_is_string(f))
        out->finish_reason = tfg_xstrdup(json_string_value(f));
}

static tfg_llm_errclass parse_openai(const json_t *j, tfg_llm_reply *out, char *why, size_t n)
{
    const json_t *choices = json_object_get(j, "choices");
    if (!choices) {
        char ex[200];
        const json_t *e = json_object_get(j, "error");
        if (e) {
            char *s = json_dumps(j, JSON_COMPACT);
            tfg_llm_error_excerpt(s, s ? strlen(s) : 0, ex, sizeof ex);
            free(s);
            return fail(TFG_LLM_ERR_PROTOCOL, why, n, "the server returned an error: %s", ex);
        }
        return fail(TFG_LLM_ERR_PROTOCOL, why, n, "the reply has no %s list", "'choices'");
    }
    if (!json_is_array(choices))
        return fail(TFG_LLM_ERR_PROTOCOL, why, n, "the reply's %s is not a list", "'choices'");
    if (json_array_size(choices) == 0)
        return fail(TFG_LLM_ERR_PROTOCOL, why, n, "the reply's %s list is empty", "'choices'");
    const json_t *c0 = json_array_get(choices, 0);
    tfg_llm_errclass cls = take_content(json_object_get(json_object_get(c0, "message"), "content"),
                                        "choices[0].message.content", out, why, n);
    if (cls)
        return cls;
    take_finish(json_object_get(c0, "finish_reason"), out);
    const json_t *u = json_object_get(j, "usage");
    out->tokens_estimated = !(count(u, "prompt_tokens", &out->tokens_in) &&
                              count(u, "completion_tokens", &out->tokens_out));
    return TFG_LLM_ERR_NONE;
}

static tfg_llm_errclass parse_ollama(const json_t *j, tfg_llm_reply *out, char *why, size_t n)
{
    const json_t *e = json_object_get(j, "error");
    if (json_is_string(e))
        return fail(TFG_LLM_ERR_PROTOCOL, why, n, "the server returned an error: %.200s",
                    json_string_value(e));
    const json_t *msg = json_object_get(j, "message");
    if (!json_is_object(msg))
        return fail(TFG_LLM_ERR_PROTOCOL, why, n, "the reply has no %s object", "'message'");
    tfg_llm_errclass cls = take_content(json_object_get(msg, "content"), "message.content", out,
                                        why, n);
    if (cls)
        return cls;
    take_finish(json_object_get(j, "done_reason"), out);
    out->tokens_estimated = !(count(j, "prompt_eval_count", &out->tokens_in) &&
                              count(j, "eval_count", &out->tokens_out));
    return TFG_LLM_ERR_NONE;
}

tfg_llm_errclass tfg_llm_parse_reply(tfg_llm_type t, const char *body, size_t len,
                                     tfg_llm_reply *out, char *why, size_t why_n)
{
    size_t bad = tfg_utf8_invalid_at(body, len);
    if (bad < len) {
        snprintf(why, why_n, "the reply is not valid UTF-8 (byte %zu of %zu)", bad, len);
        return TFG_LLM_ERR_UTF8;
    }
    size_t end = len;
    while (end > 0 && strchr(" \t\r\n", body[end - 1]))
        end--;
    if (end == 0)
        return fail(TFG_LLM_ERR_NOT_JSON, why, why_n, "the reply is empty%s", "");
    json_error_t je;
    json_t *j = json_loadb(body, len, JSON_ALLOW_NUL, &je);
    if (!j) {
        char ex[64];
        tfg_llm_error_excerpt(body, len < 40 ? len : 40, ex, sizeof ex);
        if (json_error_code(&je) == json_error_premature_end_of_input || (je.position >= 0 && (size_t)je.position >= end)) {
            snprintf(why, why_n, "the reply's JSON is cut off after %zu bytes", len);
            return TFG_LLM_ERR_TRUNCATED;
        }
        snprintf(why, why_n, "the reply is not JSON (byte %d: %s); it begins \"%s\"",
                 je.position, je.text, ex);
        return TFG_LLM_ERR_NOT_JSON;
    }
    tfg_llm_errclass cls;
    if (!json_is_object(j))
        cls = fail(TFG_LLM_ERR_PROTOCOL, why, why_n, "the reply is JSON but not an object%s", "");
    else
        cls = t == TFG_LLM_OLLAMA ? parse_ollama(j, out, why, why_n)
                                  : parse_openai(j, out, why, why_n);
    json_decref(j);
    return cls;
}
