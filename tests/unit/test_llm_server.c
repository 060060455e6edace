/* test_llm_server.c — the LLM layer against the scripted server: every fault of issue 7
 * ends in the right outcome (retried and succeeded, or one classified error with a
 * clear message), budgets stop a run, a cached run replays with the server stopped and
 * gives the same bytes, tokens and cost in the trace equal the script's usage times the
 * price table, Retry-After is honoured (once with a real second), and a fake key
 * appears in no file the run wrote, in no message and in no reply, even a reply that
 * echoes it. Backoff sleeps go through a fake clock, so the suite does not wait for them. */
#include "../check.h"
#include "test_llm_fixture.h"

#include "core/json.h"

#define FAKE_KEY "sk-tfgFAKE-7Hq2Zp9WvX31"

static const char prices_json[] =
    "{\"currency\": \"USD\", \"models\": {"
    "\"gpt-4o-mini\": {\"input_per_1m\": 0.15, \"output_per_1m\": 0.6},"
    "\"llama3.2\": {\"input_per_1m\": 0.0, \"output_per_1m\": 0.0}}}";

typedef struct {
    char *dir, *run;
    fx_server srv;
    fx_clock clk;
    tfg_llm_clock clock;
    tfg_llm_config cfg;
    tfg_llm_prices prices;
    tfg_llm_run *r;
    tfg_llm_run_opts opts;
} env;

static void env_config(env *e, int timeout_ms, int retries)
{
    char *text = tfg_xasprintf(
        "{\"srv\": {\"type\": \"openai\", \"base_url\": \"http://127.0.0.1:%d\", "
        "\"model\": \"gpt-4o-mini\", \"key_env\": \"TFG_TEST_LLM_KEY\", "
        "\"timeout_connect_ms\": 2000, \"timeout_ms\": %d, \"retries\": %d, "
        "\"temperature\": 0, \"seed\": 7},"
        " \"oll\": {\"type\": \"ollama\", \"base_url\": \"http://127.0.0.1:%d/\", "
        "\"model\": \"llama3.2\", \"timeout_ms\": %d, \"retries\": %d, \"max_tokens\": 64}}",
        e->srv.port, timeout_ms, retries, e->srv.port, timeout_ms, retries);
    json_t *j = json_loads(text, 0, NULL);
    tfg_err err;
    CHECK(j && tfg_llm_config_parse(j, "test-config", &e->cfg, &err) == TFG_OK);
    json_decref(j);
    free(text);
    j = json_loads(prices_json, 0, NULL);
    CHECK(tfg_llm_prices_parse(j, "test-prices", &e->prices, &err) == TFG_OK);
    json_decref(j);
}

/* A server on script, a config pointing at it and a run in a fresh directory. */
static void env_open(env *e, const char *script, int timeout_ms, int retries)
{
    memset(e, 0, sizeof *e);
    e->dir = fx_tmpdir();
    e->run = tfg_xasprintf("%s/run", e->dir);
    CHECK(fx_server_start(&e->srv, e->dir, script) == 0);
    env_config(e, timeout_ms, retries);
    e->clock = (tfg_llm_clock){fx_now, fx_sleep, &e->clk};
    e->opts = (tfg_llm_run_opts){.dir = e->run, .config = &e->cfg, .prices = &e->prices,
                                 .clock = &e->clock, .jitter_seed = 42};
}

static tfg_llm_run *env_run(env *e)
{
    tfg_err err;
    if (!e->r)
        CHECK(tfg_llm_run_open(&e->r, &e->opts, &err) == TFG_OK);
    return e->r;
}

static void env_close(env *e)
{
    tfg_llm_run_close(e->r);
    fx_server_stop(&e->srv);
    tfg_llm_config_free(&e->cfg);
    tfg_llm_prices_free(&e->prices);
    fx_rmtree(e->dir);
    free(e->dir);
    free(e->run);
}

static tfg_status ask(env *e, const char *backend, const char *text, tfg_llm_reply *r,
                      tfg_err *err)
{
    tfg_llm_msg m[] = {{"system", "You answer briefly."}, {"user", text}};
    tfg_llm_request req = {.stage = "test", .msgs = m, .n_msgs = 2};
    return tfg_llm_call(env_run(e), backend, &req, r, err);
}

/* The server saw requests of the right shape only. */
static void check_shapes(env *e, int requests)
{
    CHECK_INT(fx_count_lines(e->srv.log, "\"n\":"), requests);
    CHECK_INT(fx_count_lines(e->srv.log, "\"problems\": []"), requests);
}

static char *trace_path(env *e)
{
    return tfg_xasprintf("%s/llm/trace.jsonl", e->run);
}

static void test_ok_tokens_cost(void)
{
    env e;
    env_open(&e, "{\"steps\": [{\"content\": \"pong\", \"usage\": [123, 45], \"api\": \"openai\","
                 " \"expect\": {\"model\": \"gpt-4o-mini\", \"temperature\": 0, \"seed\": 7,"
                 " \"stream\": false, \"auth\": true}}]}",
             3000, 3);
    tfg_llm_reply r;
    tfg_err err;
    CHECK(ask(&e, "srv", "ping", &r, &err) == TFG_OK);
    CHECK_STR(r.content ? r.content : "", "pong");
    CHECK_INT(r.tokens_in, 123);
    CHECK_INT(r.tokens_out, 45);
    CHECK(!r.tokens_estimated && r.cost_known && !r.cached);
    CHECK_INT(r.attempts, 1);
    double want = 123.0 * 0.15 / 1e6 + 45.0 * 0.6 / 1e6;
    CHECK(r.cost == want);
    CHECK_STR(r.finish_reason ? r.finish_reason : "", "stop");
    tfg_llm_reply_free(&r);
    check_shapes(&e, 1);
    /* The trace holds the same numbers, exactly (read back through JSON). */
    char *tp = trace_path(&e);
    char *text = fx_read(tp);
    json_t *rec = json_loads(text, 0, NULL); /* one line */
    free(text);
    CHECK(rec != NULL);
    CHECK_INT(json_integer_value(json_object_get(rec, "tokens_in")), 123);
    CHECK_INT(json_integer_value(json_object_get(rec, "tokens_out")), 45);
    CHECK(json_real_value(json_object_get(rec, "cost")) == want);
    CHECK_STR(json_string_value(json_object_get(rec, "outcome")), "ok");
    CHECK_STR(json_string_value(json_object_get(rec, "stage")), "test");
    CHECK_STR(json_string_value(json_object_get(rec, "backend")), "srv");
    CHECK_INT(json_integer_value(json_object_get(rec, "http_status")), 200);
    json_decref(rec);
    free(tp);
    env_close(&e);
}

static void test_429_then_ok(void)
{
    env e;
    env_open(&e, "{\"steps\": [{\"fault\": \"status\", \"status\": 429}, {\"content\": \"fine\"}]}",
             3000, 3);
    tfg_llm_reply r;
    tfg_err err;
    CHECK(ask(&e, "srv", "hello", &r, &err) == TFG_OK);
    CHECK_STR(r.content ? r.content : "", "fine");
    CHECK_INT(r.attempts, 2);
    CHECK_INT(e.clk.n, 1);
    CHECK(e.clk.sleeps[0] >= 250 && e.clk.sleeps[0] <= 500); /* base 500 ms, equal jitter */
    tfg_llm_reply_free(&r);
    char *tp = trace_path(&e);
    CHECK_INT(fx_count_lines(tp, "\"outcome\":\"retry\""), 1);
    CHECK_INT(fx_count_lines(tp, "\"error_class\":\"rate_limit\""), 1);
    CHECK_INT(fx_count_lines(tp, "\"outcome\":\"ok\""), 1);
    free(tp);
    check_shapes(&e, 2);
    env_close(&e);
}

static void test_503_retry_after(void)
{
    env e;
    env_open(&e, "{\"steps\": [{\"fault\": \"status\", \"status\": 503, \"retry_after\": \"7\"},"
                 " {\"content\": \"back\"}]}",
             3000, 3);
    tfg_llm_reply r;
    tfg_err err;
    CHECK(ask(&e, "srv", "hello", &r, &err) == TFG_OK);
    CHECK_INT(r.attempts, 2);
    CHECK_INT(e.clk.n, 1);
    CHECK_INT(e.clk.sleeps[0], 7000);
    tfg_llm_reply_free(&r);
    env_close(&e);
}

static void test_retry_after_too_long(void)
{
    env e;
    env_open(&e, "{\"steps\": [{\"fault\": \"status\", \"status\": 429, \"retry_after\": \"3600\"}]}",
             3000, 3);
    tfg_llm_reply r;
    tfg_err err;
    CHECK(ask(&e, "srv", "hello", &r, &err) == TFG_EPROC);
    CHECK_INT(r.error_class, TFG_LLM_ERR_RATE_LIMIT);
    CHECK_INT(r.attempts, 1);
    CHECK_HAS(err.msg, "3600 s");
    CHECK_INT(e.clk.n, 0);
    env_close(&e);
}

static void test_500_exhausted(void)
{
    env e;
    env_open(&e, "{\"steps\": [{\"fault\": \"status\", \"status\": 500, \"repeat\": 4}]}", 3000, 3);
    tfg_llm_reply r;
    tfg_err err;
    CHECK(ask(&e, "srv", "hello", &r, &err) == TFG_EPROC);
    CHECK_INT(r.error_class, TFG_LLM_ERR_SERVER);
    CHECK_INT(r.attempts, 4);
    CHECK(r.content == NULL);
    CHECK_HAS(err.msg, "HTTP 500");
    CHECK_HAS(err.msg, "attempt 4 of 4");
    CHECK_HAS(err.msg, "scripted 500");
    CHECK_HAS(err.msg, "stage 'test'");
    CHECK_INT(e.clk.n, 3); /* exponential: [250,500], [500,1000], [1000,2000] */
    CHECK(e.clk.sleeps[0] >= 250 && e.clk.sleeps[0] <= 500);
    CHECK(e.clk.sleeps[1] >= 500 && e.clk.sleeps[1] <= 1000);
    CHECK(e.clk.sleeps[2] >= 1000 && e.clk.sleeps[2] <= 2000);
    char *tp = trace_path(&e);
    CHECK_INT(fx_count_lines(tp, "\"outcome\":\"retry\""), 3);
    CHECK_INT(fx_count_lines(tp, "\"outcome\":\"error\""), 1);
    free(tp);
    check_shapes(&e, 4);
    env_close(&e);
}

/* One step, one attempt, one error of class cls whose message has needle. */
static void expect_fault(const char *step, tfg_status st, tfg_llm_errclass cls, const char *needle)
{
    env e;
    char *script = tfg_xasprintf("{\"steps\": [%s, {\"content\": \"never used\"}]}", step);
    env_open(&e, script, 3000, 3);
    tfg_llm_reply r;
    tfg_err err;
    CHECK_INT(ask(&e, "srv", "hello", &r, &err), st);
    CHECK_MSG(r.error_class == cls, "%s: class %s", step, tfg_llm_errclass_name(r.error_class));
    CHECK_INT(r.attempts, 1);
    CHECK_INT(e.clk.n, 0);
    CHECK_HAS(err.msg, needle);
    CHECK(r.content == NULL);
    check_shapes(&e, 1);
    free(script);
    env_close(&e);
}

static void test_faults_not_retried(void)
{
    expect_fault("{\"fault\": \"status\", \"status\": 400, \"body\": {\"error\": {\"message\": "
                 "\"bad model\"}}}",
                 TFG_EPROC, TFG_LLM_ERR_HTTP, "HTTP 400");
    expect_fault("{\"fault\": \"cut\"}", TFG_EPROC, TFG_LLM_ERR_TRUNCATED, "cut off");
    expect_fault("{\"fault\": \"bad_utf8\"}", TFG_EPROC, TFG_LLM_ERR_UTF8, "not valid UTF-8 (byte");
    expect_fault("{\"fault\": \"empty_choices\"}", TFG_EPROC, TFG_LLM_ERR_PROTOCOL,
                 "'choices' list is empty");
    expect_fault("{\"fault\": \"missing_choices\"}", TFG_EPROC, TFG_LLM_ERR_PROTOCOL,
                 "no 'choices'");
    expect_fault("{\"fault\": \"not_json\"}", TFG_EPROC, TFG_LLM_ERR_NOT_JSON, "not JSON");
}

static void test_transient_then_ok(void)
{
    const char *faults[] = {"{\"fault\": \"reset\"}", "{\"fault\": \"partial\"}",
                            "{\"fault\": \"status\", \"status\": 502}"};
    for (size_t i = 0; i < 3; i++) {
        env e;
        char *script = tfg_xasprintf("{\"steps\": [%s, {\"content\": \"again\"}]}", faults[i]);
        env_open(&e, script, 3000, 3);
        tfg_llm_reply r;
        tfg_err err;
        tfg_status st = ask(&e, "srv", "hello", &r, &err);
        CHECK_MSG(st == TFG_OK, "%s: %s", faults[i], err.msg);
        CHECK_STR(r.content ? r.content : "", "again");
        CHECK_INT(r.attempts, 2);
        tfg_llm_reply_free(&r);
        free(script);
        env_close(&e);
    }
    /* Resets all the way: one classified connection error after every attempt. */
    env e;
    env_open(&e, "{\"steps\": [{\"fault\": \"reset\", \"repeat\": 3}]}", 3000, 2);
    tfg_llm_reply r;
    tfg_err err;
    CHECK(ask(&e, "srv", "hello", &r, &err) == TFG_EPROC);
    CHECK_INT(r.error_class, TFG_LLM_ERR_CONNECT);
    CHECK_INT(r.attempts, 3);
    CHECK_HAS(err.msg, "attempt 3 of 3");
    env_close(&e);
}

static void test_stall_timeout(void)
{
    env e;
    env_open(&e, "{\"steps\": [{\"fault\": \"stall\", \"seconds\": 4, \"repeat\": 2}]}", 400, 1);
    tfg_llm_reply r;
    tfg_err err;
    uint64_t t0 = fx_real_ms();
    CHECK(ask(&e, "srv", "hello", &r, &err) == TFG_ETIMEOUT);
    uint64_t wall = fx_real_ms() - t0;
    CHECK_INT(r.error_class, TFG_LLM_ERR_TIMEOUT);
    CHECK_INT(r.attempts, 2);
    CHECK_HAS(err.msg, "within 400 ms");
    CHECK_MSG(wall >= 750 && wall < 2000, "wall %llu ms for 2 attempts of 400 ms",
              (unsigned long long)wall);
    env_close(&e);
    /* A stall, then an answer. */
    env_open(&e, "{\"steps\": [{\"fault\": \"stall\", \"seconds\": 3}, {\"content\": \"late\"}]}",
             400, 1);
    CHECK(ask(&e, "srv", "hello", &r, &err) == TFG_OK);
    CHECK_STR(r.content ? r.content : "", "late");
    CHECK_INT(r.attempts, 2);
    tfg_llm_reply_free(&r);
    env_close(&e);
}

static void test_no_usage_estimated(void)
{
    env e;
    env_open(&e, "{\"steps\": [{\"content\": \"twelve bytes\", \"usage\": null}]}", 3000, 3);
    tfg_llm_reply r;
    tfg_err err;
    CHECK(ask(&e, "srv", "hello", &r, &err) == TFG_OK);
    CHECK(r.tokens_estimated);
    /* (19 + 3) / 4 + 4  +  (5 + 3) / 4 + 4 for the two messages; (12 + 3) / 4 out */
    CHECK_INT(r.tokens_in, 5 + 4 + 2 + 4);
    CHECK_INT(r.tokens_out, 3);
    tfg_llm_reply_free(&r);
    char *tp = trace_path(&e);
    CHECK_INT(fx_count_lines(tp, "\"tokens_estimated\":true"), 1);
    free(tp);
    env_close(&e);
}

static void test_ollama(void)
{
    env e;
    env_open(&e, "{\"steps\": [{\"api\": \"ollama\", \"content\": \"{\\\"a\\\": 1}\", \"usage\": [7, 3],"
                 " \"expect\": {\"format\": \"json\", \"options\": {\"num_predict\": 64},"
                 " \"auth\": false}},"
                 " {\"api\": \"ollama\", \"usage\": null}, {\"api\": \"ollama\", \"fault\": \"cut\"}]}",
             3000, 3);
    tfg_llm_msg m[] = {{"user", "give json"}};
    tfg_llm_request req = {.stage = "json", .msgs = m, .n_msgs = 1, .format = TFG_LLM_FORMAT_JSON};
    tfg_llm_reply r;
    tfg_err err;
    CHECK(tfg_llm_call(env_run(&e), "oll", &req, &r, &err) == TFG_OK);
    CHECK_STR(r.content ? r.content : "", "{\"a\": 1}");
    CHECK_INT(r.tokens_in, 7);
    CHECK_INT(r.tokens_out, 3);
    CHECK(r.cost == 0.0 && r.cost_known);
    tfg_llm_reply_free(&r);
    CHECK(ask(&e, "oll", "no usage", &r, &err) == TFG_OK);
    CHECK(r.tokens_estimated);
    tfg_llm_reply_free(&r);
    CHECK(ask(&e, "oll", "cut", &r, &err) == TFG_EPROC);
    CHECK_INT(r.error_class, TFG_LLM_ERR_TRUNCATED);
    check_shapes(&e, 3);
    env_close(&e);
}

static void test_budget(void)
{
    env e;
    env_open(&e, "{\"steps\": [{\"usage\": [1, 1], \"repeat\": 3}]}", 3000, 3);
    e.opts.budget.max_requests = 2;
    tfg_llm_reply r;
    tfg_err err;
    CHECK(ask(&e, "srv", "one", &r, &err) == TFG_OK);
    tfg_llm_reply_free(&r);
    CHECK(ask(&e, "srv", "two", &r, &err) == TFG_OK);
    tfg_llm_reply_free(&r);
    CHECK(ask(&e, "srv", "three", &r, &err) == TFG_ECHECK);
    CHECK_INT(r.error_class, TFG_LLM_ERR_BUDGET);
    CHECK_HAS(err.msg, "max_requests: 2 of 2");
    /* A cached request still answers: it costs nothing. */
    CHECK(ask(&e, "srv", "one", &r, &err) == TFG_OK);
    CHECK(r.cached);
    tfg_llm_reply_free(&r);
    CHECK_INT(tfg_llm_run_usage(e.r).requests, 2);
    check_shapes(&e, 2);
    env_close(&e);

    env_open(&e, "{\"steps\": [{\"usage\": [60, 50]}, {\"fault\": \"status\", \"status\": 500,"
                 " \"repeat\": 4}]}",
             3000, 3);
    e.opts.budget.max_tokens = 100;
    CHECK(ask(&e, "srv", "one", &r, &err) == TFG_OK);
    tfg_llm_reply_free(&r);
    CHECK(ask(&e, "srv", "two", &r, &err) == TFG_ECHECK);
    CHECK_HAS(err.msg, "max_tokens: 110 of 100");
    env_close(&e);

    /* The budget also ends a run of retries. */
    env_open(&e, "{\"steps\": [{\"fault\": \"status\", \"status\": 500, \"repeat\": 4}]}", 3000, 3);
    e.opts.budget.max_requests = 2;
    CHECK(ask(&e, "srv", "one", &r, &err) == TFG_ECHECK);
    CHECK_INT(r.error_class, TFG_LLM_ERR_BUDGET);
    check_shapes(&e, 2);
    env_close(&e);
    /* max_cost: the first request costs 1e6 input tokens x 0.15 per 1M = 0.15, past the
     * 0.1 allowed, so the second is not sent. */
    env_open(&e, "{\"steps\": [{\"usage\": [1000000, 0], \"repeat\": 2}]}", 3000, 3);
    e.opts.budget.max_cost = 0.1;
    CHECK(ask(&e, "srv", "one", &r, &err) == TFG_OK);
    CHECK(r.cost == 0.15);
    tfg_llm_reply_free(&r);
    CHECK(ask(&e, "srv", "two", &r, &err) == TFG_ECHECK);
    CHECK_INT(r.error_class, TFG_LLM_ERR_BUDGET);
    CHECK_HAS(err.msg, "max_cost: 0.15 of 0.1 spent");
    check_shapes(&e, 1);
    env_close(&e);
}

/* Runs three requests; returns their replies (new strings). */
static void replay_requests(env *e, char *out[3], tfg_status want)
{
    static const char *const texts[] = {"first", "na\xc3\xafve \xe2\x9c\x93", "third"};
    for (int i = 0; i < 3; i++) {
        tfg_llm_reply r;
        tfg_err err;
        tfg_status st = ask(e, "srv", texts[i], &r, &err);
        CHECK_MSG(st == want, "request %d: %s", i, st ? err.msg : "ok");
        out[i] = st ? NULL : tfg_xstrdup(r.content);
        if (!st && want == TFG_OK && e->opts.offline)
            CHECK(r.cached);
        tfg_llm_reply_free(&r);
    }
}

static void test_cache_replay(void)
{
    env e;
    env_open(&e, "{\"steps\": [{\"content\": \"caf\\u00e9 \\\"quoted\\\"\\n\\ttabbed \\u2713\"},"
                 " {\"content\": \"{\\\"k\\\": [1, 2.50, 1e-7]}\"}, {\"content\": \"  spaces  \"}]}",
             3000, 3);
    char *live[3], *replay[3];
    replay_requests(&e, live, TFG_OK);
    char **names;
    size_t n = 0;
    tfg_err err;
    char *cdir = tfg_xasprintf("%s/llm/cache", e.run);
    CHECK(tfg_list_files(cdir, ".json", &names, &n, &err) == TFG_OK);
    CHECK_INT(n, 3);
    tfg_strv_free(names);
    free(cdir);
    /* The server goes away; a new run on the same directory, offline. */
    fx_server_stop(&e.srv);
    tfg_llm_run_close(e.r);
    e.r = NULL;
    e.opts.offline = true;
    replay_requests(&e, replay, TFG_OK);
    for (int i = 0; i < 3; i++) {
        CHECK(live[i] && replay[i] && !strcmp(live[i], replay[i]));
        free(live[i]);
        free(replay[i]);
    }
    /* Offline, a new request is a clear miss. */
    tfg_llm_reply r;
    CHECK(ask(&e, "srv", "never asked", &r, &err) == TFG_EINPUT);
    CHECK_INT(r.error_class, TFG_LLM_ERR_OFFLINE_MISS);
    CHECK_HAS(err.msg, "offline");
    /* Online with the server gone: hits still answer, a miss is a connection error. */
    tfg_llm_run_close(e.r);
    e.r = NULL;
    e.opts.offline = false;
    replay_requests(&e, replay, TFG_OK);
    for (int i = 0; i < 3; i++)
        free(replay[i]);
    CHECK(ask(&e, "srv", "never asked", &r, &err) == TFG_EPROC);
    CHECK_INT(r.error_class, TFG_LLM_ERR_CONNECT);
    CHECK_INT(r.attempts, 4);
    env_close(&e);
}

static void test_retry_after_real(void)
{
    env e;
    env_open(&e, "{\"steps\": [{\"fault\": \"status\", \"status\": 429, \"retry_after\": \"1\"},"
                 " {\"content\": \"waited\"}]}",
             3000, 3);
    e.opts.clock = NULL; /* the real clock: this test waits one real second */
    tfg_llm_reply r;
    tfg_err err;
    uint64_t t0 = fx_real_ms();
    CHECK(ask(&e, "srv", "hello", &r, &err) == TFG_OK);
    uint64_t wall = fx_real_ms() - t0;
    CHECK_MSG(wall >= 1000 && wall < 2500, "wall %llu ms", (unsigned long long)wall);
    CHECK_INT(r.attempts, 2);
    tfg_llm_reply_free(&r);
    env_close(&e);
}

/* Does any file under dir hold needle? (the walk is by tfg_list_files, one level deep
 * for llm/ and llm/cache/ which is all a run of this layer writes) */
static int files_holding(const char *dir, const char *needle)
{
    const char *subs[] = {"", "/llm", "/llm/cache"};
    int hits = 0, files = 0;
    for (int s = 0; s < 3; s++) {
        char *d = tfg_xasprintf("%s%s", dir, subs[s]);
        char **names;
        size_t n;
        tfg_err err;
        if (tfg_list_files(d, "", &names, &n, &err) == TFG_OK) {
            for (size_t i = 0; i < n; i++) {
                char *p = tfg_path_join(d, names[i]);
                char *text = fx_read(p);
                files++;
                hits += strstr(text, needle) != NULL;
                free(text);
                free(p);
            }
            tfg_strv_free(names);
        }
        free(d);
    }
    CHECK(files >= 2); /* the trace and at least one cache entry were looked at */
    return hits;
}

static void test_key_hygiene(void)
{
    env e;
    env_open(&e, "{\"steps\": [{\"content\": \"ok\", \"expect\": {\"auth\": true}},"
                 " {\"fault\": \"echo_auth\"}, {\"fault\": \"status\", \"status\": 500, \"repeat\": 4},"
                 " {\"fault\": \"cut\"}, {\"fault\": \"bad_utf8\"}]}",
             3000, 3);
    const char *texts[] = {"a", "b", "c", "d", "e"};
    tfg_status want[] = {TFG_OK, TFG_EPROC, TFG_EPROC, TFG_EPROC, TFG_EPROC};
    for (int i = 0; i < 5; i++) {
        tfg_llm_reply r;
        tfg_err err;
        tfg_status st = ask(&e, "srv", texts[i], &r, &err);
        CHECK_INT(st, want[i]);
        if (st) {
            CHECK_MSG(!strstr(err.msg, FAKE_KEY), "key in message: %s", err.msg);
            CHECK(!strstr(err.msg, "7Hq2Zp9WvX31"));
        }
        if (i == 1)
            CHECK_HAS(err.msg, "Bearer ***"); /* the echo arrived, scrubbed */
        tfg_llm_reply_free(&r);
    }
    CHECK_INT(files_holding(e.run, FAKE_KEY), 0);
    CHECK_INT(fx_count_lines(e.srv.log, FAKE_KEY), 0);
    CHECK_INT(fx_count_lines(e.srv.log, "\"auth\": true"), 8); /* the key did go out */
    char *tp = trace_path(&e);
    CHECK_INT(fx_count_lines(tp, "Bearer ***"), 1);
    free(tp);
    /* An unset key variable is named, and nothing is sent. */
    unsetenv("TFG_TEST_LLM_KEY");
    tfg_llm_reply r;
    tfg_err err;
    CHECK(ask(&e, "srv", "f", &r, &err) == TFG_EINPUT);
    CHECK_INT(r.error_class, TFG_LLM_ERR_CONFIG);
    CHECK_HAS(err.msg, "TFG_TEST_LLM_KEY");
    CHECK_INT(fx_count_lines(e.srv.log, "\"n\":"), 8);
    setenv("TFG_TEST_LLM_KEY", FAKE_KEY, 1);
    env_close(&e);
}

/* A server that echoes the Authorization header inside a successful reply: the reply the
 * caller gets, its cache entry and the trace hold the key scrubbed, never the key. */
static void test_key_echo_in_reply(void)
{
    env e;
    env_open(&e, "{\"steps\": [{\"fault\": \"echo_auth_ok\", \"expect\": {\"auth\": true}}]}",
             3000, 3);
    tfg_llm_reply r;
    tfg_err err;
    CHECK(ask(&e, "srv", "echo", &r, &err) == TFG_OK);
    const char *got = r.content ? r.content : "";
    CHECK_MSG(!strstr(got, FAKE_KEY) && !strstr(got, "7Hq2Zp9WvX31"), "key in reply: %s", got);
    CHECK_HAS(got, "Bearer ***"); /* the echo arrived, scrubbed */
    tfg_llm_reply_free(&r);
    CHECK_INT(files_holding(e.run, FAKE_KEY), 0);
    CHECK_INT(files_holding(e.run, "Bearer ***"), 1); /* the cache entry, scrubbed */
    /* Replayed from the cache, it is still scrubbed. */
    CHECK(ask(&e, "srv", "echo", &r, &err) == TFG_OK);
    CHECK(r.cached);
    CHECK(r.content && !strstr(r.content, FAKE_KEY) && strstr(r.content, "Bearer ***"));
    tfg_llm_reply_free(&r);
    CHECK_INT(fx_count_lines(e.srv.log, "\"auth\": true"), 1); /* the key did go out */
    env_close(&e);
}

static void test_trace_summary(void)
{
    env e;
    env_open(&e, "{\"steps\": [{\"usage\": [100, 10]}, {\"fault\": \"status\", \"status\": 429},"
                 " {\"usage\": [200, 20]}, {\"fault\": \"cut\"}]}",
             3000, 3);
    tfg_llm_reply r;
    tfg_err err;
    for (int i = 0; i < 3; i++) {
        const char *t[] = {"x", "y", "z"};
        tfg_status st = ask(&e, "srv", t[i], &r, &err);
        CHECK_INT(st, i < 2 ? TFG_OK : TFG_EPROC);
        tfg_llm_reply_free(&r);
    }
    CHECK(ask(&e, "srv", "x", &r, &err) == TFG_OK); /* a cache hit */
    tfg_llm_reply_free(&r);
    json_t *s;
    CHECK(tfg_llm_trace_summary(e.run, &s, &err) == TFG_OK);
    json_t *t = json_object_get(s, "total");
    CHECK_INT(json_integer_value(json_object_get(t, "attempts")), 4);
    CHECK_INT(json_integer_value(json_object_get(t, "calls")), 4);
    CHECK_INT(json_integer_value(json_object_get(t, "ok")), 2);
    CHECK_INT(json_integer_value(json_object_get(t, "cached")), 1);
    CHECK_INT(json_integer_value(json_object_get(t, "errors")), 1);
    CHECK_INT(json_integer_value(json_object_get(t, "tokens_in")), 300);
    CHECK_INT(json_integer_value(json_object_get(t, "tokens_out")), 30);
    double want = (100.0 * 0.15 / 1e6 + 10.0 * 0.6 / 1e6) + (200.0 * 0.15 / 1e6 + 20.0 * 0.6 / 1e6);
    CHECK_NEAR(json_real_value(json_object_get(t, "cost")), want, 1e-15);
    CHECK_INT(json_array_size(json_object_get(s, "rows")), 1);
    json_decref(s);
    env_close(&e);
}

static void setup(void)
{
    setenv("TFG_TEST_LLM_KEY", FAKE_KEY, 1);
}

/* The backend "srv" of the env's config. */
static tfg_llm_backend *backend_srv(env *e)
{
    for (size_t i = 0; i < e->cfg.n; i++)
        if (!strcmp(e->cfg.v[i].name, "srv"))
            return &e->cfg.v[i];
    CHECK(!"no backend srv");
    return &e->cfg.v[0];
}

/* deadline_ms caps a call (issue 22): with 10 retries against a server that keeps
 * answering 500, the call stops once the next wait would pass the deadline, and says how
 * long it waited in all. The default is known and documented in llm.h. */
static void test_deadline_retries(void)
{
    env e;
    env_open(&e, "{\"steps\": [{\"fault\": \"status\", \"status\": 500, "
                 "\"repeat\": 11}]}", 3000, 10);
    CHECK_INT(backend_srv(&e)->deadline_ms, TFG_LLM_DEADLINE_MS);
    /* the config (and so a spec's backends section) knows the key */
    json_t *j = json_loads("{\"x\": {\"type\": \"openai\", \"base_url\": \"http://h:1\", "
                           "\"model\": \"m\", \"deadline_ms\": 2500}}", 0, NULL);
    tfg_llm_config cfg;
    tfg_err perr;
    CHECK_MSG(tfg_llm_config_parse(j, "c.json", &cfg, &perr) == TFG_OK, "%s", perr.msg);
    for (size_t i = 0; i < cfg.n; i++)
        if (!strcmp(cfg.v[i].name, "x"))
            CHECK_INT(cfg.v[i].deadline_ms, 2500);
    tfg_llm_config_free(&cfg);
    json_object_set_new(json_object_get(j, "x"), "deadline_ms", json_integer(0));
    CHECK(tfg_llm_config_parse(j, "c.json", &cfg, &perr) == TFG_EINPUT);
    CHECK_HAS(perr.msg, "x.deadline_ms");
    tfg_llm_config_free(&cfg);
    json_decref(j);
    backend_srv(&e)->deadline_ms = 2500;
    tfg_llm_reply r;
    tfg_err err;
    CHECK(ask(&e, "srv", "hello", &r, &err) == TFG_EPROC);
    CHECK_INT(r.error_class, TFG_LLM_ERR_SERVER);
    /* waits [250,500] + [500,1000] + [1000,2000]: the third always passes 2.5 s */
    CHECK_MSG(r.attempts >= 2 && r.attempts <= 3, "%d attempts", r.attempts);
    uint64_t slept = 0;
    for (int i = 0; i < e.clk.n; i++)
        slept += e.clk.sleeps[i];
    CHECK_MSG(slept < 2500, "slept %llu ms, past the deadline", (unsigned long long)slept);
    CHECK_HAS(err.msg, "would pass the deadline");
    CHECK_HAS(err.msg, "s in all, deadline_ms 2500)");
    CHECK_HAS(err.msg, "of 11;");
    env_close(&e);
}

/* A stalled server: the last attempt gets only what is left of the deadline, and the
 * error says so (timeout_ms is 10 s; the deadline 600 ms). */
static void test_deadline_stall(void)
{
    env e;
    env_open(&e, "{\"steps\": [{\"fault\": \"stall\", \"seconds\": 4, \"repeat\": 3}]}",
             10000, 2);
    backend_srv(&e)->deadline_ms = 600;
    tfg_llm_reply r;
    tfg_err err;
    CHECK(ask(&e, "srv", "hello", &r, &err) == TFG_ETIMEOUT);
    CHECK_INT(r.error_class, TFG_LLM_ERR_TIMEOUT);
    CHECK_INT(r.attempts, 1);
    CHECK_HAS(err.msg, "within 600 ms");
    CHECK_HAS(err.msg, "deadline_ms 600)");
    env_close(&e);
}

/* The retry jitter is seeded per process (issue 22): the same run seed and worker wait
 * the same, another worker waits otherwise. */
static void test_jitter_per_worker(void)
{
    CHECK(tfg_llm_jitter_seed(42, 0) == tfg_llm_jitter_seed(42, 0));
    CHECK(tfg_llm_jitter_seed(42, 0) != tfg_llm_jitter_seed(42, 1));
    CHECK(tfg_llm_jitter_seed(42, 1) != tfg_llm_jitter_seed(43, 1));
    uint64_t waits[3][3];
    const uint64_t workers[3] = {0, 0, 1};
    for (int k = 0; k < 3; k++) {
        env e;
        env_open(&e, "{\"steps\": [{\"fault\": \"status\", \"status\": 500, "
                     "\"repeat\": 4}]}", 3000, 3);
        e.opts.jitter_seed = tfg_llm_jitter_seed(42, workers[k]);
        tfg_llm_reply r;
        tfg_err err;
        CHECK(ask(&e, "srv", "hello", &r, &err) == TFG_EPROC);
        CHECK_INT(e.clk.n, 3);
        for (int i = 0; i < 3; i++)
            waits[k][i] = e.clk.sleeps[i];
        env_close(&e);
    }
    CHECK(!memcmp(waits[0], waits[1], sizeof waits[0]));
    CHECK(memcmp(waits[0], waits[2], sizeof waits[0]) != 0);
}

TFG_TEST_MAIN(setup, test_ok_tokens_cost, test_429_then_ok, test_503_retry_after,
              test_retry_after_too_long, test_500_exhausted, test_faults_not_retried,
              test_transient_then_ok, test_stall_timeout, test_no_usage_estimated, test_ollama,
              test_budget, test_cache_replay, test_retry_after_real, test_key_hygiene,
              test_key_echo_in_reply, test_trace_summary, test_deadline_retries,
              test_deadline_stall, test_jitter_per_worker)
