/* request.c — a request in three forms: the canonical JSON whose hash is the cache key,
 * and the HTTP body of each API (OpenAI chat completions, Ollama /api/chat).
 *
 * The canonical form holds exactly what decides the reply — API type, model, messages,
 * effective parameters, response format — so two runs that ask the same thing share a
 * cache entry whatever the backend is called or where it listens, and nothing secret
 * (no URL, no key) can reach a cache file name or its contents. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/hash.h"
#include "core/json.h"
#include "llm/internal.h"

typedef struct {
    bool has_temperature, has_max_tokens, has_seed;
    double temperature;
    int64_t max_tokens, seed;
} params;

static params effective(const tfg_llm_backend *b, const tfg_llm_request *req)
{
    params p = {b->has_temperature, b->has_max_tokens, b->has_seed, b->temperature,
                b->max_tokens, b->seed};
    if (req->has_temperature) {
        p.has_temperature = true;
        p.temperature = req->temperature;
    }
    if (req->has_max_tokens) {
        p.has_max_tokens = true;
        p.max_tokens = req->max_tokens;
    }
    return p;
}

static json_t *messages(const tfg_llm_request *req)
{
    json_t *a = json_array();
    for (size_t i = 0; i < req->n_msgs; i++)
        json_array_append_new(a, json_pack("{s:s, s:s}", "role", req->msgs[i].role, "content",
                                           req->msgs[i].content));
    return a;
}

/* Parameters under the names the API uses (temp, max, seed may be renamed). */
static json_t *params_json(const params *p, const char *max_name)
{
    json_t *o = json_object();
    if (p->has_temperature)
        json_object_set_new(o, "temperature", json_real(p->temperature));
    if (p->has_max_tokens)
        json_object_set_new(o, max_name, json_integer(p->max_tokens));
    if (p->has_seed)
        json_object_set_new(o, "seed", json_integer(p->seed));
    return o;
}

static const char *schema_name(const tfg_llm_request *req)
{
    return req->schema_name && *req->schema_name ? req->schema_name : "reply";
}

json_t *tfg_llm_canonical_request(const tfg_llm_backend *b, const tfg_llm_request *req)
{
    params p = effective(b, req);
    json_t *fmt;
    if (req->format == TFG_LLM_FORMAT_SCHEMA)
        fmt = json_pack("{s:s, s:s, s:O}", "type", "schema", "name", schema_name(req), "schema",
                        req->schema ? req->schema : json_null());
    else
        fmt = json_pack("{s:s}", "type", req->format == TFG_LLM_FORMAT_JSON ? "json" : "text");
    return json_pack("{s:s, s:s, s:o, s:o, s:o}", "type", tfg_llm_type_name(b->type), "model",
                     b->model, "messages", messages(req), "params",
                     params_json(&p, "max_tokens"), "format", fmt);
}

void tfg_llm_request_hash(const json_t *canonical, char out[65])
{
    char *s = tfg_json_canonical(canonical);
    tfg_sha256_hex(s, strlen(s), out);
    free(s);
}

static json_t *openai_body(const tfg_llm_backend *b, const tfg_llm_request *req,
                           const params *p)
{
    json_t *o = json_pack("{s:s, s:o, s:b}", "model", b->model, "messages", messages(req),
                          "stream", 0);
    json_t *pj = params_json(p, "max_tokens");
    json_object_update(o, pj);
    json_decref(pj);
    if (req->format == TFG_LLM_FORMAT_JSON)
        json_object_set_new(o, "response_format", json_pack("{s:s}", "type", "json_object"));
    else if (req->format == TFG_LLM_FORMAT_SCHEMA)
        json_object_set_new(o, "response_format",
                            json_pack("{s:s, s:{s:s, s:O, s:b}}", "type", "json_schema",
                                      "json_schema", "name", schema_name(req), "schema",
                                      req->schema ? req->schema : json_null(), "strict", 1));
    return o;
}

static json_t *ollama_body(const tfg_llm_backend *b, const tfg_llm_request *req,
                           const params *p)
{
    json_t *o = json_pack("{s:s, s:o, s:b}", "model", b->model, "messages", messages(req),
                          "stream", 0);
    json_t *opts = params_json(p, "num_predict");
    if (json_object_size(opts))
        json_object_set(o, "options", opts);
    json_decref(opts);
    if (req->format == TFG_LLM_FORMAT_JSON)
        json_object_set_new(o, "format", json_string("json"));
    else if (req->format == TFG_LLM_FORMAT_SCHEMA && req->schema)
        json_object_set(o, "format", (json_t *)req->schema);
    return o;
}

char *tfg_llm_http_body(const tfg_llm_backend *b, const tfg_llm_request *req)
{
    params p = effective(b, req);
    json_t *o = b->type == TFG_LLM_OLLAMA ? ollama_body(b, req, &p) : openai_body(b, req, &p);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    char *r = tfg_xstrdup(s);
    free(s);
    return r;
}

char *tfg_llm_endpoint_url(const tfg_llm_backend *b)
{
    const char *base = b->base_url ? b->base_url : "";
    if (b->type == TFG_LLM_OLLAMA)
        return tfg_xasprintf("%s/api/chat", base);
    size_t n = strlen(base);
    /* OpenAI-compatible servers are often given as ".../v1"; accept both spellings. */
    if (n >= 3 && !strcmp(base + n - 3, "/v1"))
        return tfg_xasprintf("%s/chat/completions", base);
    return tfg_xasprintf("%s/v1/chat/completions", base);
}
