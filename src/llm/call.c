/* call.c — the run context and tfg_llm_call, where the pieces meet: canonical request
 * and hash (request.c), cache (cache.c), budget, attempts over HTTP (http.c) with the
 * retry policy (retry.c), reply checks (reply.c), cost (price.c), and one trace record
 * per attempt (trace.c). The builtin backend is dispatched here too (builtin.c holds
 * its handler table).
 *
 * The order of a call is chosen so that nothing is spent that need not be: the cache is
 * asked first (a hit costs nothing and needs no network), then the budget, then the
 * backend. The key is fetched from the environment just before the first attempt and
 * every text a server sent back is scrubbed of it before being kept anywhere. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/strutil.h"
#include "core/io.h"
#include "core/log.h"
#include "core/rng.h"
#include "llm/internal.h"

struct tfg_llm_run {
    char *dir;
    const tfg_llm_config *config;
    const tfg_llm_prices *prices;
    tfg_llm_budget budget;
    bool offline, no_cache_read;
    tfg_llm_clock clock;
    tfg_rng rng;
    uint64_t retry_after_max_ms, backoff_base_ms, backoff_max_ms;
    tfg_llm_usage used;
    tfg_llm_builtins builtins;
};

/* ---- the real clock ---- */

static uint64_t real_now_ms(void *user)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void real_sleep_ms(void *user, uint64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- the run ---- */

tfg_status tfg_llm_run_open(tfg_llm_run **out, const tfg_llm_run_opts *o, tfg_err *err)
{
    if (o->dir) {
        char *d = tfg_xasprintf("%s/llm", o->dir);
        tfg_status st = tfg_mkdirs(d, err);
        free(d);
        if (st)
            return st;
    }
    tfg_llm_run *r = tfg_xcalloc(1, sizeof *r);
    r->dir = o->dir ? tfg_xstrdup(o->dir) : NULL;
    r->config = o->config;
    r->prices = o->prices;
    r->budget = o->budget;
    r->offline = o->offline;
    r->no_cache_read = o->no_cache_read;
    r->clock = o->clock ? *o->clock : (tfg_llm_clock){real_now_ms, real_sleep_ms, NULL};
    tfg_rng_seed(&r->rng, o->jitter_seed);
    r->retry_after_max_ms = o->retry_after_max_ms ? o->retry_after_max_ms : 60000;
    r->backoff_base_ms = o->backoff_base_ms ? o->backoff_base_ms : 500;
    r->backoff_max_ms = o->backoff_max_ms ? o->backoff_max_ms : 20000;
    *out = r;
    return TFG_OK;
}

void tfg_llm_run_close(tfg_llm_run *run)
{
    if (!run)
        return;
    tfg_llm_builtins_free(&run->builtins);
    free(run->dir);
    free(run);
}

void tfg_llm_builtin_register(tfg_llm_run *run, const char *stage, tfg_llm_builtin_fn fn,
                              void *user)
{
    tfg_llm_builtins_set(&run->builtins, stage, fn, user);
}

tfg_llm_usage tfg_llm_run_usage(const tfg_llm_run *run)
{
    return run->used;
}

void tfg_llm_reply_free(tfg_llm_reply *r)
{
    free(r->content);
    free(r->finish_reason);
    r->content = r->finish_reason = NULL;
}

/* ---- one call ---- */

/* What one call carries between its steps. */
typedef struct {
    tfg_llm_run *run;
    const tfg_llm_backend *b;
    const tfg_llm_request *req;
    json_t *canonical;
    char *url;
    char *key; /* only between the first attempt and the end of the call */
    uint64_t t_start; /* when the first attempt began (the run's clock) */
    int64_t attempt_ms; /* this attempt's timeout: timeout_ms, or less near the deadline */
} call;

uint64_t tfg_llm_jitter_seed(uint64_t run_seed, uint64_t worker)
{
    /* splitmix64's finalizer over both: nearby seeds and workers give unrelated streams */
    uint64_t z = run_seed ^ (0x9e3779b97f4a7c15ull * (worker + 1));
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void utc_now(char out[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000L);
}

/* A trace record's common fields; the caller adds the outcome's. */
static json_t *record(const call *c, const tfg_llm_reply *r, int attempt, const char *outcome)
{
    char when[32];
    utc_now(when);
    json_t *rec = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:I, s:I, s:b, s:f, s:s}", "time", when,
        "stage", c->req->stage, "backend", c->b->name, "type", tfg_llm_type_name(c->b->type),
        "model", c->b->model, "request", r->hash, "attempt", attempt, "retries",
        attempt > 0 ? attempt - 1 : 0, "tokens_in", (json_int_t)r->tokens_in, "tokens_out",
        (json_int_t)r->tokens_out, "tokens_estimated", r->tokens_estimated, "latency_ms",
        r->latency_ms, "outcome", outcome);
    /* A failed attempt is counted as free: what a provider bills for one is unknown. */
    bool known = r->cost_known || strcmp(outcome, "ok") != 0;
    json_object_set_new(rec, "cost", known ? json_real(r->cost) : json_null());
    json_object_set_new(rec, "error_class", r->error_class
                                                ? json_string(tfg_llm_errclass_name(r->error_class))
                                                : json_null());
    return rec;
}

static tfg_status trace(const call *c, json_t *rec, tfg_err *err)
{
    if (!c->run->dir) {
        json_decref(rec);
        return TFG_OK;
    }
    return tfg_llm_trace_append(c->run->dir, rec, err);
}

/* Ends a failed call: class, message with the call's context, a trace record. */
static tfg_status fail(const call *c, tfg_llm_reply *r, tfg_llm_errclass cls, int attempt,
                       long http_status, const char *detail, tfg_err *err)
{
    r->error_class = cls;
    r->tokens_in = r->tokens_out = 0;
    r->cost = 0;
    tfg_status st = tfg_llm_errclass_status(cls);
    tfg_err_set(err, st, "LLM backend '%s' (%s, model '%s'), stage '%s': %s", c->b->name,
                tfg_llm_type_name(c->b->type), c->b->model, c->req->stage, detail);
    tfg_llm_redact(err->msg, c->key);
    json_t *rec = record(c, r, attempt, "error");
    json_object_set_new(rec, "http_status", http_status ? json_integer(http_status) : json_null());
    char scrubbed[TFG_ERR_MSG_MAX];
    snprintf(scrubbed, sizeof scrubbed, "%s", detail);
    tfg_llm_redact(scrubbed, c->key);
    json_object_set_new(rec, "message", json_string(scrubbed));
    tfg_err terr;
    trace(c, rec, &terr); /* the call's own error is the one worth reporting */
    return st;
}

static tfg_status check_request(const tfg_llm_request *req, tfg_err *err)
{
    if (!req->stage || !*req->stage)
        return tfg_err_set(err, TFG_EUSAGE, "LLM request without a stage label");
    if (!req->n_msgs)
        return tfg_err_set(err, TFG_EUSAGE, "LLM request for stage '%s' has no messages",
                           req->stage);
    for (size_t i = 0; i < req->n_msgs; i++) {
        const tfg_llm_msg *m = &req->msgs[i];
        if (!m->role || (strcmp(m->role, "system") && strcmp(m->role, "user") &&
                         strcmp(m->role, "assistant")))
            return tfg_err_set(err, TFG_EUSAGE,
                               "LLM request for stage '%s': message %zu: role must be system, "
                               "user or assistant",
                               req->stage, i);
        if (!m->content || tfg_utf8_invalid_at(m->content, strlen(m->content)) <
                               strlen(m->content))
            return tfg_err_set(err, TFG_EINPUT,
                               "LLM request for stage '%s': message %zu is missing or not "
                               "valid UTF-8",
                               req->stage, i);
    }
    if (req->format == TFG_LLM_FORMAT_SCHEMA && !json_is_object(req->schema))
        return tfg_err_set(err, TFG_EUSAGE,
                           "LLM request for stage '%s': a JSON-schema format needs a schema "
                           "object",
                           req->stage);
    return TFG_OK;
}

/* ---- the builtin backend ---- */

static tfg_status call_builtin(call *c, tfg_llm_reply *r, tfg_err *err)
{
    uint64_t t0 = c->run->clock.now_ms(c->run->clock.user);
    char *text = NULL;
    tfg_status st = tfg_llm_builtins_invoke(&c->run->builtins, c->req, &text, err);
    r->latency_ms = (double)(c->run->clock.now_ms(c->run->clock.user) - t0);
    r->attempts = 1;
    if (st) {
        char detail[TFG_ERR_MSG_MAX];
        snprintf(detail, sizeof detail, "%s", err->msg);
        fail(c, r, TFG_LLM_ERR_BUILTIN, 1, 0, detail, err);
        err->code = st;
        return st;
    }
    r->content = text;
    r->tokens_estimated = true;
    for (size_t i = 0; i < c->req->n_msgs; i++)
        r->tokens_in += tfg_llm_estimate_tokens(c->req->msgs[i].content) + 4;
    r->tokens_out = tfg_llm_estimate_tokens(text);
    r->cost_known = true; /* rules and templates are free */
    st = trace(c, record(c, r, 1, "ok"), err);
    if (st)
        tfg_llm_reply_free(r);
    return st;
}

/* ---- the HTTP backends ---- */

static bool over_budget(const tfg_llm_run *run, char *why, size_t n)
{
    const tfg_llm_budget *b = &run->budget;
    const tfg_llm_usage *u = &run->used;
    if (b->max_requests > 0 && u->requests >= b->max_requests)
        snprintf(why, n, "max_requests: %lld of %lld requests used", (long long)u->requests,
                 (long long)b->max_requests);
    else if (b->max_tokens > 0 && u->tokens_in + u->tokens_out >= b->max_tokens)
        snprintf(why, n, "max_tokens: %lld of %lld tokens used",
                 (long long)(u->tokens_in + u->tokens_out), (long long)b->max_tokens);
    else if (b->max_cost > 0 && u->cost >= b->max_cost)
        snprintf(why, n, "max_cost: %.6g of %.6g spent", u->cost, b->max_cost);
    else
        return false;
    return true;
}

/* Counts the reply's usage against the run and prices it. */
static void account(call *c, tfg_llm_reply *r)
{
    if (r->tokens_estimated) {
        r->tokens_in = 0;
        for (size_t i = 0; i < c->req->n_msgs; i++)
            r->tokens_in += tfg_llm_estimate_tokens(c->req->msgs[i].content) + 4;
        r->tokens_out = tfg_llm_estimate_tokens(r->content);
    }
    const tfg_llm_price *pr = tfg_llm_price_find(c->run->prices, c->b->model);
    r->cost_known = pr != NULL;
    r->cost = pr ? tfg_llm_price_cost(pr, r->tokens_in, r->tokens_out) : 0.0;
    if (!pr && c->run->budget.max_cost > 0)
        tfg_log(TFG_LOG_WARN, "model '%s' is not in the price table: max_cost cannot count it",
                c->b->model);
    c->run->used.tokens_in += r->tokens_in;
    c->run->used.tokens_out += r->tokens_out;
    c->run->used.cost += r->cost;
}

static tfg_status succeed(call *c, tfg_llm_reply *r, int attempt, long status, tfg_err *err)
{
    tfg_llm_redact(r->content, c->key); /* a server echoing the key must not get it cached */
    account(c, r);
    r->attempts = attempt;
    tfg_status st = TFG_OK;
    if (c->run->dir)
        st = tfg_llm_cache_put(c->run->dir, r->hash, c->canonical, r, err);
    json_t *rec = record(c, r, attempt, "ok");
    json_object_set_new(rec, "http_status", json_integer(status));
    if (r->finish_reason)
        json_object_set_new(rec, "finish_reason", json_string(r->finish_reason));
    if (!st)
        st = trace(c, rec, err);
    else
        json_decref(rec);
    if (st)
        tfg_llm_reply_free(r);
    return st;
}

/* The sentence for a failed attempt (scrubbed of the key). */
static void describe(const call *c, const tfg_llm_http_result *h, const char *why, char *dst,
                     size_t n)
{
    if (why && *why) {
        snprintf(dst, n, "%s (HTTP %ld from %s)", why, h->status, c->url);
    } else if (h->cls == TFG_LLM_ERR_TIMEOUT && !h->status) {
        snprintf(dst, n, "no reply from %s within %lld ms (%s)", c->url,
                 (long long)c->attempt_ms, h->detail);
    } else if (!h->body) {
        snprintf(dst, n, "%s: %s", c->url, h->detail);
    } else {
        char ex[240];
        tfg_llm_error_excerpt(h->body, h->len, ex, sizeof ex);
        snprintf(dst, n, "HTTP %ld from %s%s%s", h->status, c->url, *ex ? ": " : "", ex);
    }
    tfg_llm_redact(dst, c->key);
}

/* How long to wait before the next attempt, or false (with why) when it should not come. */
static bool next_wait(call *c, const tfg_llm_http_result *h, int attempt, uint64_t *wait,
                      char *why, size_t n)
{
    if (!tfg_llm_retryable(h->cls) || attempt > c->b->retries)
        return false;
    if (h->retry_after_ms >= 0 &&
        (h->cls == TFG_LLM_ERR_RATE_LIMIT || h->cls == TFG_LLM_ERR_SERVER)) {
        if ((uint64_t)h->retry_after_ms > c->run->retry_after_max_ms) {
            snprintf(why, n, "; the server asks to wait %lld s, longer than the %llu s allowed",
                     (long long)(h->retry_after_ms / 1000),
                     (unsigned long long)(c->run->retry_after_max_ms / 1000));
            return false;
        }
        *wait = (uint64_t)h->retry_after_ms;
        return true;
    }
    *wait = tfg_llm_backoff_ms(attempt, c->run->backoff_base_ms, c->run->backoff_max_ms,
                               tfg_rng_uniform(&c->run->rng));
    return true;
}

static uint64_t elapsed_ms(const call *c)
{
    return c->run->clock.now_ms(c->run->clock.user) - c->t_start;
}

/* False (with why) when waiting `wait` and trying once more would pass the deadline. */
static bool before_deadline(const call *c, uint64_t wait, char *why, size_t n)
{
    uint64_t deadline = (uint64_t)c->b->deadline_ms;
    if (elapsed_ms(c) + wait < deadline)
        return true;
    snprintf(why, n, "; waiting %llu ms more for another attempt would pass the deadline",
             (unsigned long long)wait);
    return false;
}

/* One attempt. Returns 1 to retry, else the call's final status. */
static int attempt_once(call *c, tfg_llm_reply *r, int attempt, tfg_status *final, tfg_err *err)
{
    char detail[768], why[256] = "", tail[128] = "";
    if (over_budget(c->run, why, sizeof why)) {
        snprintf(detail, sizeof detail, "the run's LLM budget is used up (%s); stopping", why);
        *final = fail(c, r, TFG_LLM_ERR_BUDGET, 0, 0, detail, err);
        return 0;
    }
    char *body = tfg_llm_http_body(c->b, c->req);
    c->run->used.requests++;
    uint64_t t0 = c->run->clock.now_ms(c->run->clock.user);
    if (attempt == 1)
        c->t_start = t0;
    /* the last attempt before the deadline gets only what is left of it */
    int64_t left = c->b->deadline_ms - (int64_t)(t0 - c->t_start);
    c->attempt_ms = left < c->b->timeout_ms ? (left > 1 ? left : 1) : c->b->timeout_ms;
    int64_t connect_ms = c->b->timeout_connect_ms < c->attempt_ms ? c->b->timeout_connect_ms
                                                                   : c->attempt_ms;
    tfg_llm_http_result h;
    tfg_llm_http_post(c->url, body, c->key, connect_ms, c->attempt_ms, &h);
    free(body);
    r->latency_ms = (double)(c->run->clock.now_ms(c->run->clock.user) - t0);
    r->attempts = attempt;
    tfg_llm_errclass cls = h.cls;
    if (!cls)
        cls = tfg_llm_parse_reply(c->b->type, h.body, h.len, r, why, sizeof why);
    if (!cls) {
        tfg_llm_http_result_free(&h);
        *final = succeed(c, r, attempt, h.status, err);
        return 0;
    }
    tfg_llm_reply_free(r);
    h.cls = cls;
    describe(c, &h, why, detail, sizeof detail);
    uint64_t wait = 0;
    bool again = next_wait(c, &h, attempt, &wait, tail, sizeof tail) &&
                 before_deadline(c, wait, tail, sizeof tail);
    tfg_llm_http_result_free(&h);
    if (!again) {
        size_t n = strlen(detail);
        if (tfg_llm_retryable(cls)) /* how long the call waited in all, against its cap */
            snprintf(detail + n, sizeof detail - n,
                     "%s (attempt %d of %lld; %.1f s in all, deadline_ms %lld)", tail, attempt,
                     (long long)c->b->retries + 1, (double)elapsed_ms(c) / 1000.0,
                     (long long)c->b->deadline_ms);
        else /* retrying would get the same answer, and cost again */
            snprintf(detail + n, sizeof detail - n, " (attempt %d; not retried)", attempt);
        *final = fail(c, r, cls, attempt, h.status, detail, err);
        return 0;
    }
    r->error_class = cls;
    json_t *rec = record(c, r, attempt, "retry");
    json_object_set_new(rec, "http_status", h.status ? json_integer(h.status) : json_null());
    json_object_set_new(rec, "message", json_string(detail));
    json_object_set_new(rec, "wait_ms", json_integer((json_int_t)wait));
    r->error_class = TFG_LLM_ERR_NONE;
    if ((*final = trace(c, rec, err)))
        return 0;
    c->run->clock.sleep_ms(c->run->clock.user, wait);
    return 1;
}

static tfg_status call_http(call *c, tfg_llm_reply *r, tfg_err *err)
{
    if (c->b->key_env) {
        const char *k = getenv(c->b->key_env);
        if (!k || !*k) {
            char detail[256];
            snprintf(detail, sizeof detail,
                     "the environment variable %s, which should hold its key, is not set",
                     c->b->key_env);
            return fail(c, r, TFG_LLM_ERR_CONFIG, 0, 0, detail, err);
        }
        if (strpbrk(k, "\r\n"))
            return fail(c, r, TFG_LLM_ERR_CONFIG, 0, 0,
                        "the key in its environment variable holds a line break", err);
        c->key = tfg_xstrdup(k);
    }
    c->url = tfg_llm_endpoint_url(c->b);
    tfg_status st = TFG_OK;
    for (int attempt = 1; attempt_once(c, r, attempt, &st, err) == 1; attempt++) {
    }
    return st;
}

static tfg_status from_cache(call *c, tfg_llm_reply *r, bool *hit, tfg_err *err)
{
    uint64_t t0 = c->run->clock.now_ms(c->run->clock.user);
    tfg_status st = tfg_llm_cache_get(c->run->dir, r->hash, r, hit, err);
    if (st || !*hit)
        return st;
    r->latency_ms = (double)(c->run->clock.now_ms(c->run->clock.user) - t0);
    r->cached = true;
    r->cost = 0;
    r->cost_known = true;
    c->run->used.cache_hits++;
    /* The record shows what this run spent: nothing. The reply keeps the original usage. */
    tfg_llm_reply spent = *r;
    spent.tokens_in = spent.tokens_out = 0;
    st = trace(c, record(c, &spent, 0, "cached"), err);
    if (st)
        tfg_llm_reply_free(r);
    return st;
}

static void wipe_free(char *s)
{
    if (!s)
        return;
    volatile char *p = s;
    while (*p)
        *p++ = '\0';
    free(s);
}

static tfg_status dispatch(call *c, tfg_llm_reply *r, tfg_err *err)
{
    if (c->b->type == TFG_LLM_BUILTIN)
        return call_builtin(c, r, err);
    if (c->run->dir && !c->run->no_cache_read) {
        bool hit = false;
        tfg_status st = from_cache(c, r, &hit, err);
        if (st || hit)
            return st;
    }
    if (c->run->offline) {
        char detail[256];
        snprintf(detail, sizeof detail,
                 "offline, and the cache has no reply for request %.12s (run once with the "
                 "backend reachable, or drop --offline)",
                 r->hash);
        return fail(c, r, TFG_LLM_ERR_OFFLINE_MISS, 0, 0, detail, err);
    }
    return call_http(c, r, err);
}

tfg_status tfg_llm_call(tfg_llm_run *run, const char *backend, const tfg_llm_request *req,
                        tfg_llm_reply *reply, tfg_err *err)
{
    memset(reply, 0, sizeof *reply);
    const tfg_llm_backend *b = tfg_llm_config_find(run->config, backend, err);
    if (!b) {
        reply->error_class = TFG_LLM_ERR_CONFIG;
        return err ? err->code : TFG_EINPUT;
    }
    tfg_status st = check_request(req, err);
    if (st)
        return st;
    call c = {run, b, req, tfg_llm_canonical_request(b, req), NULL, NULL, 0, b->timeout_ms};
    tfg_llm_request_hash(c.canonical, reply->hash);
    tfg_err local;
    st = dispatch(&c, reply, err ? err : &local);
    json_decref(c.canonical);
    free(c.url);
    wipe_free(c.key);
    return st;
}
