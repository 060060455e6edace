/* internal.h — what the files of llm/ share among themselves (and with their unit
 * tests); not part of the layer's interface (llm.h is). */
#ifndef TFG_LLM_INTERNAL_H
#define TFG_LLM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "llm/llm.h"

/* ---- request.c: canonical form, hash, the HTTP body per API ---- */

/* {"type", "model", "messages", "params", "format"}: what decides the reply, and
 * nothing else (no URL, no backend name, no key). Parameters are the backend's with the
 * request's overrides applied. */
json_t *tfg_llm_canonical_request(const tfg_llm_backend *b, const tfg_llm_request *req);
/* sha256 of the canonical JSON text. */
void tfg_llm_request_hash(const json_t *canonical, char out[65]);
/* The JSON body for b's API (a new string). */
char *tfg_llm_http_body(const tfg_llm_backend *b, const tfg_llm_request *req);
/* base_url + the API's path (a new string): "/v1/chat/completions" (not doubled when
 * base_url already ends in "/v1") or "/api/chat". */
char *tfg_llm_endpoint_url(const tfg_llm_backend *b);

/* ---- reply.c: parsing what the server sent ---- */

/* About 4 bytes per token, plus 4 per message for the chat framing. */
int64_t tfg_llm_estimate_tokens(const char *text);
/* Parses a 2xx body of API type t into out (content, finish_reason, tokens). Returns
 * TFG_LLM_ERR_NONE, or the class with a sentence in why. */
tfg_llm_errclass tfg_llm_parse_reply(tfg_llm_type t, const char *body, size_t len,
                                     tfg_llm_reply *out, char *why, size_t why_n);
/* A short printable excerpt of an error body (the API's error.message when there is
 * one), for messages: control bytes become '?', at most n-1 bytes. */
void tfg_llm_error_excerpt(const char *body, size_t len, char *dst, size_t n);

/* ---- http.c: one POST over libcurl ---- */

typedef struct {
    long status;              /* HTTP status, 0 when none arrived */
    tfg_llm_errclass cls;     /* transport or status class; NONE for 2xx */
    char *body;               /* NUL-terminated (may hold NULs); NULL on transport error */
    size_t len;
    int64_t retry_after_ms;   /* from a Retry-After header, -1 when absent or unreadable */
    char detail[512];         /* the transport error, when cls says one happened */
} tfg_llm_http_result;

/* key may be NULL (no Authorization header). */
void tfg_llm_http_post(const char *url, const char *body, const char *key,
                       int64_t connect_ms, int64_t total_ms, tfg_llm_http_result *res);
void tfg_llm_http_result_free(tfg_llm_http_result *res);

/* ---- retry.c: what to retry and how long to wait ---- */

bool tfg_llm_retryable(tfg_llm_errclass c);
/* The wait before retry number `retry` (1 for the first): min(cap, base * 2^(retry-1)),
 * scaled by (0.5 + 0.5 u) for u in [0, 1) — "equal jitter": never less than half. */
uint64_t tfg_llm_backoff_ms(int retry, uint64_t base, uint64_t cap, double u);
/* A Retry-After value: delta-seconds or an HTTP date (relative to now_s, Unix time).
 * Returns milliseconds, or -1 when it is neither. */
int64_t tfg_llm_parse_retry_after(const char *value, int64_t now_s);
/* Replaces every occurrence of secret in s (in place) with "***"; a NULL or short
 * (< 4 bytes) secret is left alone (it would match too much to mean anything). */
void tfg_llm_redact(char *s, const char *secret);
/* tfg_status of an error class (see llm.h). */
tfg_status tfg_llm_errclass_status(tfg_llm_errclass c);

/* ---- builtin.c: the builtin backend's handlers, one per stage label ---- */

typedef struct {
    struct tfg_llm_builtin_entry *v;
    size_t n;
} tfg_llm_builtins;

void tfg_llm_builtins_set(tfg_llm_builtins *t, const char *stage, tfg_llm_builtin_fn fn,
                          void *user);
/* Runs the handler of req->stage; no handler is TFG_EINPUT naming the known stages. */
tfg_status tfg_llm_builtins_invoke(const tfg_llm_builtins *t, const tfg_llm_request *req,
                                   char **reply, tfg_err *err);
void tfg_llm_builtins_free(tfg_llm_builtins *t);

/* ---- cache.c ---- */

/* Looks the hash up under <dir>/llm/cache/; *hit says whether it was there. A file that
 * exists but cannot be read as a cached reply is an error (naming the file). */
tfg_status tfg_llm_cache_get(const char *dir, const char *hash, tfg_llm_reply *out, bool *hit,
                             tfg_err *err);
/* Writes the reply (content, tokens, finish reason) with its canonical request,
 * atomically. */
tfg_status tfg_llm_cache_put(const char *dir, const char *hash, const json_t *canonical,
                             const tfg_llm_reply *r, tfg_err *err);

/* ---- trace.c ---- */

/* Appends one JSON record as a line to <dir>/llm/trace.jsonl with a single write (so
 * a line is never half written) and fsync-free flush (the kernel has it). Steals rec. */
tfg_status tfg_llm_trace_append(const char *dir, json_t *rec, tfg_err *err);

#endif
