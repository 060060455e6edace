/* llm.h — talking to language models: backends, cache, traces, budget, key hygiene.
 *
 * The pilot (and `tinyforge llm`) asks a backend for a reply through a run context
 * (tfg_llm_run). A backend is one entry of a JSON config: an OpenAI-compatible chat
 * endpoint, Ollama's native API, or the builtin backend (deterministic handlers that
 * the caller registers per stage label). Every call goes: cache (by the hash of the
 * canonical request) -> budget check -> HTTP attempts with retries and backoff ->
 * reply parsed and checked -> cache write; every attempt is one trace record.
 *
 * This layer knows nothing of TinyML: a stage label is an opaque string to it.
 *
 * Errors: each failed call returns a tfg_status and sets reply->error_class to one of
 * tfg_llm_errclass (a stable name for traces and --json). The mapping:
 *   timeout                                     -> TFG_ETIMEOUT
 *   connect, rate_limit, server, http, truncated, not_json, protocol, utf8,
 *   too_large                                   -> TFG_EPROC
 *   budget                                      -> TFG_ECHECK
 *   offline_miss, config                        -> TFG_EINPUT
 *   builtin (the handler's own status)          -> whatever the handler returned
 *
 * Secrets: a backend names the environment variable that holds its key (key_env); the
 * key is read with getenv only while a request is sent, goes only into the
 * Authorization header, and is removed from any text the server sends back before that
 * text reaches an error message, a trace or the cache. */
#ifndef TFG_LLM_LLM_H
#define TFG_LLM_LLM_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

/* ---- backends (config.c) ---------------------------------------------------------- */

typedef enum { TFG_LLM_OPENAI, TFG_LLM_OLLAMA, TFG_LLM_BUILTIN } tfg_llm_type;

typedef struct {
    char *name;
    tfg_llm_type type;
    char *base_url;          /* scheme://host[:port][/path]; never carries a key */
    char *model;
    char *key_env;           /* NAME of the environment variable with the key, or NULL */
    int64_t timeout_connect_ms;
    int64_t timeout_ms;      /* one attempt, connect included */
    int64_t retries;         /* extra attempts after the first */
    int64_t deadline_ms;     /* the whole call: attempts and the waits between them */
    bool has_temperature, has_max_tokens, has_seed;
    double temperature;
    int64_t max_tokens;
    int64_t seed;
} tfg_llm_backend;

typedef struct {
    tfg_llm_backend *v; /* v[0] is always "builtin" unless the config redefines it */
    size_t n;
} tfg_llm_config;

#define TFG_LLM_TIMEOUT_CONNECT_MS 10000
#define TFG_LLM_TIMEOUT_MS 120000
#define TFG_LLM_RETRIES 3
/* With the defaults above a call could take (3 + 1) x 120 s plus the waits, about 8 min;
 * the deadline caps it. */
#define TFG_LLM_DEADLINE_MS 300000

/* Reads {"NAME": {"type": ..., ...}, ...} (file names the source in messages). A
 * backend named "builtin" of type builtin is always present. */
tfg_status tfg_llm_config_parse(const json_t *obj, const char *file, tfg_llm_config *cfg,
                                tfg_err *err);
/* The same for the object at field path `at` of file (a spec's "backends"), so messages
 * name "backends.NAME.base_url". */
tfg_status tfg_llm_config_parse_at(const json_t *obj, const char *file, const char *at,
                                   tfg_llm_config *cfg, tfg_err *err);
tfg_status tfg_llm_config_load(const char *path, tfg_llm_config *cfg, tfg_err *err);
/* The config a command uses: explicit_path if given, else $TINYFORGE_LLM_CONFIG, else
 * ~/.config/tinyforge/llm.json if it exists, else only the builtin backend. *used gets
 * the file read (a new string) or NULL. A file named explicitly must exist. */
tfg_status tfg_llm_config_load_default(const char *explicit_path, tfg_llm_config *cfg,
                                       char **used, tfg_err *err);
/* Only the builtin backend. */
void tfg_llm_config_default(tfg_llm_config *cfg);
void tfg_llm_config_free(tfg_llm_config *cfg);
/* The backend called name; NULL (and an error with the closest name) if none. */
const tfg_llm_backend *tfg_llm_config_find(const tfg_llm_config *cfg, const char *name,
                                           tfg_err *err);
const char *tfg_llm_type_name(tfg_llm_type t);

/* ---- prices (price.c) ------------------------------------------------------------- */

typedef struct {
    char *model;
    double in_per_1m, out_per_1m; /* currency units per 1 000 000 tokens */
} tfg_llm_price;

typedef struct {
    tfg_llm_price *v;
    size_t n;
    char *currency;
} tfg_llm_prices;

/* {"currency": "USD", "note": ..., "models": {"MODEL": {"input_per_1m": x,
 * "output_per_1m": y}}} */
tfg_status tfg_llm_prices_load(const char *path, tfg_llm_prices *p, tfg_err *err);
tfg_status tfg_llm_prices_parse(const json_t *j, const char *file, tfg_llm_prices *p,
                                tfg_err *err);
void tfg_llm_prices_free(tfg_llm_prices *p);
/* The price of model, or NULL when the table does not list it. */
const tfg_llm_price *tfg_llm_price_find(const tfg_llm_prices *p, const char *model);
/* tokens_in * in_per_1m / 1e6 + tokens_out * out_per_1m / 1e6, evaluated in this order
 * (a test recomputes it and expects the same bits). */
double tfg_llm_price_cost(const tfg_llm_price *pr, int64_t tokens_in, int64_t tokens_out);
/* $TINYFORGE_LLM_PRICES, else prices.json found by core/resource.h ($TINYFORGE_HOME, the
 * install, the source tree's llm/prices.json). */
const char *tfg_llm_prices_default_path(void);

/* ---- requests and replies --------------------------------------------------------- */

typedef struct {
    const char *role;    /* "system", "user" or "assistant" */
    const char *content;
} tfg_llm_msg;

typedef enum {
    TFG_LLM_FORMAT_TEXT,
    TFG_LLM_FORMAT_JSON,   /* any JSON object */
    TFG_LLM_FORMAT_SCHEMA  /* JSON following schema (where the API offers it) */
} tfg_llm_format;

typedef struct {
    const char *stage;          /* the caller's label, for traces and builtin handlers */
    const tfg_llm_msg *msgs;
    size_t n_msgs;
    tfg_llm_format format;
    const json_t *schema;       /* FORMAT_SCHEMA only */
    const char *schema_name;    /* FORMAT_SCHEMA only; default "reply" */
    /* Overrides of the backend's parameters (only those whose flag is set). */
    bool has_temperature, has_max_tokens;
    double temperature;
    int64_t max_tokens;
} tfg_llm_request;

typedef enum {
    TFG_LLM_ERR_NONE,
    TFG_LLM_ERR_CONNECT,      /* no connection, reset, nothing received (retried) */
    TFG_LLM_ERR_TIMEOUT,      /* connect or total timeout (retried) */
    TFG_LLM_ERR_RATE_LIMIT,   /* HTTP 429 (retried, Retry-After honoured) */
    TFG_LLM_ERR_SERVER,       /* HTTP 5xx (retried) */
    TFG_LLM_ERR_HTTP,         /* another HTTP status (not retried) */
    TFG_LLM_ERR_TRUNCATED,    /* the reply's JSON ends early */
    TFG_LLM_ERR_NOT_JSON,     /* the reply is not JSON */
    TFG_LLM_ERR_PROTOCOL,     /* JSON, but not the API's shape (no choices, no content) */
    TFG_LLM_ERR_UTF8,         /* the reply's bytes are not UTF-8 */
    TFG_LLM_ERR_TOO_LARGE,    /* the reply exceeds TFG_LLM_REPLY_MAX */
    TFG_LLM_ERR_BUDGET,       /* the run's budget is used up; nothing was sent */
    TFG_LLM_ERR_OFFLINE_MISS, /* offline and the cache has no reply for this request */
    TFG_LLM_ERR_CONFIG,       /* the backend cannot be used as configured (key unset) */
    TFG_LLM_ERR_BUILTIN       /* a builtin handler failed or none is registered */
} tfg_llm_errclass;

#define TFG_LLM_REPLY_MAX ((size_t)8 << 20)

const char *tfg_llm_errclass_name(tfg_llm_errclass c);

typedef struct {
    char *content;            /* NUL-terminated, valid UTF-8, no NUL inside */
    char *finish_reason;      /* as the API reported it ("stop", "length"), or NULL */
    int64_t tokens_in, tokens_out;
    bool tokens_estimated;    /* the reply had no usage: ~4 bytes per token */
    double cost;              /* what this call cost the run (0 for cache hits) */
    bool cost_known;          /* the model is in the price table */
    double latency_ms;        /* of the successful attempt (or the cache lookup) */
    int attempts;             /* HTTP attempts made by this call */
    bool cached;              /* answered from the cache */
    tfg_llm_errclass error_class;
    char hash[65];            /* the request's hash (the cache key) */
} tfg_llm_reply;

void tfg_llm_reply_free(tfg_llm_reply *r);

/* ---- the run context (call.c) ----------------------------------------------------- */

/* Time for latency and backoff. Tests inject a clock whose sleep only records, so a
 * retry test does not wait for real seconds. */
typedef struct {
    uint64_t (*now_ms)(void *user);
    void (*sleep_ms)(void *user, uint64_t ms);
    void *user;
} tfg_llm_clock;

typedef struct {
    int64_t max_requests; /* HTTP attempts; 0 = no limit */
    int64_t max_tokens;   /* tokens in + out over the run; 0 = no limit */
    double max_cost;      /* in the price table's currency; 0 = no limit */
} tfg_llm_budget;

/* A builtin handler: the reply for one request of its stage (a new string in *reply).
 * Deterministic: the same request must give the same reply. */
typedef tfg_status (*tfg_llm_builtin_fn)(const tfg_llm_request *req, char **reply,
                                         void *user, tfg_err *err);

typedef struct {
    const char *dir;               /* run dir: <dir>/llm/cache and <dir>/llm/trace.jsonl;
                                      NULL: no cache, no trace */
    const tfg_llm_config *config;  /* borrowed; must outlive the run */
    const tfg_llm_prices *prices;  /* borrowed; NULL: costs unknown */
    tfg_llm_budget budget;
    bool offline;                  /* answer only from the cache (builtin still runs) */
    bool no_cache_read;            /* always ask the backend (still writes the cache) */
    const tfg_llm_clock *clock;    /* NULL: the real monotonic clock and nanosleep */
    uint64_t jitter_seed;          /* seeds the backoff jitter: tfg_llm_jitter_seed() */
    uint64_t retry_after_max_ms;   /* a longer Retry-After fails at once; 0: 60 s */
    uint64_t backoff_base_ms;      /* first backoff; 0: 500 ms */
    uint64_t backoff_max_ms;       /* cap of one backoff; 0: 20 s */
} tfg_llm_run_opts;

typedef struct tfg_llm_run tfg_llm_run;

/* The jitter seed of one process: the run's seed mixed with the worker's index (0 for a
 * process of its own), so parallel workers do not retry in lock-step against a
 * rate-limited server, and a run with the same seed and worker waits the same. */
uint64_t tfg_llm_jitter_seed(uint64_t run_seed, uint64_t worker);

/* Creates <dir>/llm/ (when dir is set). */
tfg_status tfg_llm_run_open(tfg_llm_run **out, const tfg_llm_run_opts *opts, tfg_err *err);
void tfg_llm_run_close(tfg_llm_run *run);
/* Registers the builtin backend's handler for a stage label (replaces an earlier one). */
void tfg_llm_builtin_register(tfg_llm_run *run, const char *stage, tfg_llm_builtin_fn fn,
                              void *user);

/* Asks backend (a name in the config) for a reply. On success reply is filled and must
 * be freed; on failure reply->error_class and err say why (reply holds no content). */
tfg_status tfg_llm_call(tfg_llm_run *run, const char *backend, const tfg_llm_request *req,
                        tfg_llm_reply *reply, tfg_err *err);

/* What the run has used so far. */
typedef struct {
    int64_t requests, tokens_in, tokens_out;
    double cost;
    int64_t cache_hits;
} tfg_llm_usage;
tfg_llm_usage tfg_llm_run_usage(const tfg_llm_run *run);

/* ---- traces (trace.c) ------------------------------------------------------------- */

/* Reads <dir>/llm/trace.jsonl and sums it per (stage, backend):
 * {"file": ..., "rows": [{"stage", "backend", "model", "attempts", "calls", "ok",
 * "cached", "errors", "tokens_in", "tokens_out", "cost", "latency_ms_mean",
 * "latency_ms_max"}], "total": {same fields}}. A missing trace is TFG_EINPUT. */
tfg_status tfg_llm_trace_summary(const char *dir, json_t **out, tfg_err *err);

/* The path of the run's trace file (new string). */
char *tfg_llm_trace_path(const char *dir);

#endif
