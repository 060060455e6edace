/* test_llm.c — the LLM layer's parts without a server: config (did-you-mean, URLs that
 * would carry a key), the price table and cost, backoff and Retry-After, the UTF-8
 * check, reply parsing for every malformed body, the canonical request and its hash
 * (what changes it and what must not), the HTTP bodies of both APIs, key redaction,
 * the builtin backend (also offline), the cache and the trace summary. */
#include "../check.h"
#include "core/strutil.h"
#include "test_llm_fixture.h"

#include "core/json.h"

static tfg_status parse_cfg(const char *text, tfg_llm_config *cfg, tfg_err *err)
{
    json_t *j = json_loads(text, 0, NULL);
    CHECK(j != NULL);
    tfg_status st = tfg_llm_config_parse(j, "llm.json", cfg, err);
    json_decref(j);
    return st;
}

static void test_config(void)
{
    tfg_llm_config cfg;
    tfg_err err;
    CHECK(parse_cfg("{\"a\": {\"type\": \"openai\", \"base_url\": \"https://api.example.com/v1/\","
                    " \"model\": \"m\", \"key_env\": \"MY_KEY\", \"retries\": 5,"
                    " \"temperature\": 0.2, \"seed\": 3},"
                    " \"o\": {\"type\": \"ollama\", \"base_url\": \"http://localhost:11434\","
                    " \"model\": \"llama3.2\"}}",
                    &cfg, &err) == TFG_OK);
    CHECK_INT(cfg.n, 3);
    const tfg_llm_backend *b = tfg_llm_config_find(&cfg, "a", &err);
    CHECK(b && b->type == TFG_LLM_OPENAI && b->retries == 5 && b->has_temperature &&
          b->has_seed && !b->has_max_tokens);
    CHECK_STR(b->base_url, "https://api.example.com/v1"); /* trailing '/' dropped */
    CHECK_STR(b->key_env, "MY_KEY");
    CHECK_INT(b->timeout_ms, TFG_LLM_TIMEOUT_MS);
    CHECK(tfg_llm_config_find(&cfg, "builtin", &err) != NULL);
    CHECK(tfg_llm_config_find(&cfg, "oo", &err) == NULL);
    CHECK_HAS(err.msg, "did you mean 'o'");
    tfg_llm_config_free(&cfg);

    struct {
        const char *text, *needle;
    } bad[] = {
        {"{\"a\": {\"type\": \"openai\", \"base_url\": \"http://h\", \"modle\": \"m\"}}",
         "llm.json: a.modle: unknown field; did you mean 'model'?"},
        {"{\"a\": {\"type\": \"opnai\", \"base_url\": \"http://h\", \"model\": \"m\"}}", "a.type"},
        {"{\"a\": {\"type\": \"openai\", \"model\": \"m\"}}", "a.base_url"},
        {"{\"a\": {\"type\": \"openai\", \"base_url\": \"http://user:pw@h\", \"model\": \"m\"}}",
         "credentials"},
        {"{\"a\": {\"type\": \"openai\", \"base_url\": \"http://h/?key=abc\", \"model\": \"m\"}}",
         "query"},
        {"{\"a\": {\"type\": \"openai\", \"base_url\": \"ftp://h\", \"model\": \"m\"}}", "http://"},
        {"{\"a\": {\"type\": \"openai\", \"base_url\": \"http://h\", \"model\": \"m\","
         " \"key_env\": \"sk-abc123\"}}",
         "NAME of an environment variable"},
        {"{\"a\": {\"type\": \"openai\", \"base_url\": \"http://h\", \"model\": \"m\","
         " \"retries\": -1}}",
         "a.retries"},
        {"{\"a\": {\"type\": \"openai\", \"base_url\": \"http://h\", \"model\": \"m\","
         " \"temperature\": \"hot\"}}",
         "a.temperature"},
        {"[1]", "expected an object of backends"},
        {"{\"a\": 3}", "llm.json: a: expected an object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tfg_status st = parse_cfg(bad[i].text, &cfg, &err);
        CHECK_INT(st, TFG_EINPUT);
        if (st)
            CHECK_HAS(err.msg, bad[i].needle);
        else
            tfg_llm_config_free(&cfg);
    }
}

static void test_config_default(void)
{
    char *dir = fx_tmpdir();
    char *path = tfg_xasprintf("%s/llm.json", dir);
    fx_write(path, "{\"x\": {\"type\": \"builtin\"}}");
    tfg_llm_config cfg;
    tfg_err err;
    char *used;
    setenv("TINYFORGE_LLM_CONFIG", path, 1);
    CHECK(tfg_llm_config_load_default(NULL, &cfg, &used, &err) == TFG_OK);
    CHECK(used && !strcmp(used, path));
    CHECK_INT(cfg.n, 2);
    free(used);
    tfg_llm_config_free(&cfg);
    unsetenv("TINYFORGE_LLM_CONFIG");
    setenv("HOME", dir, 1); /* no ~/.config/tinyforge/llm.json there */
    CHECK(tfg_llm_config_load_default(NULL, &cfg, &used, &err) == TFG_OK);
    CHECK(used == NULL && cfg.n == 1);
    tfg_llm_config_free(&cfg);
    char *missing = tfg_xasprintf("%s/none.json", dir);
    CHECK(tfg_llm_config_load_default(missing, &cfg, &used, &err) == TFG_EIO);
    free(missing);
    fx_rmtree(dir);
    free(dir);
    free(path);
}

static void test_prices(void)
{
    tfg_llm_prices p;
    tfg_err err;
    char *shipped = tfg_xasprintf("%s/llm/prices.json", TFG_SOURCE_DIR);
    CHECK(tfg_llm_prices_load(shipped, &p, &err) == TFG_OK);
    CHECK(p.n >= 3);
    const tfg_llm_price *pr = tfg_llm_price_find(&p, "gpt-4o-mini");
    CHECK(pr != NULL);
    if (pr)
        CHECK(tfg_llm_price_cost(pr, 1000000, 0) == pr->in_per_1m);
    CHECK(tfg_llm_price_find(&p, "no-such-model") == NULL);
    tfg_llm_prices_free(&p);
    free(shipped);

    json_t *j = json_loads("{\"models\": {\"m\": {\"input_per_1m\": 3, \"output_per_1m\": 15}}}",
                           0, NULL);
    CHECK(tfg_llm_prices_parse(j, "p.json", &p, &err) == TFG_OK);
    CHECK(tfg_llm_price_cost(&p.v[0], 1234, 567) == 1234.0 * 3 / 1e6 + 567.0 * 15 / 1e6);
    CHECK_STR(p.currency, "USD");
    tfg_llm_prices_free(&p);
    json_decref(j);
    j = json_loads("{\"models\": {\"m\": {\"input_per_1m\": 3, \"ouput_per_1m\": 15}}}", 0, NULL);
    CHECK(tfg_llm_prices_parse(j, "p.json", &p, &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "models.m.ouput_per_1m");
    json_decref(j);
}

static void test_backoff(void)
{
    CHECK_INT(tfg_llm_backoff_ms(1, 500, 20000, 0.0), 250);
    CHECK_INT(tfg_llm_backoff_ms(1, 500, 20000, 0.999999), 499);
    CHECK_INT(tfg_llm_backoff_ms(3, 500, 20000, 0.0), 1000);
    CHECK_INT(tfg_llm_backoff_ms(40, 500, 20000, 0.0), 10000); /* capped, no overflow */
    CHECK(tfg_llm_retryable(TFG_LLM_ERR_RATE_LIMIT) && tfg_llm_retryable(TFG_LLM_ERR_SERVER) &&
          tfg_llm_retryable(TFG_LLM_ERR_TIMEOUT) && tfg_llm_retryable(TFG_LLM_ERR_CONNECT));
    CHECK(!tfg_llm_retryable(TFG_LLM_ERR_HTTP) && !tfg_llm_retryable(TFG_LLM_ERR_TRUNCATED) &&
          !tfg_llm_retryable(TFG_LLM_ERR_BUDGET));
    CHECK_INT(tfg_llm_parse_retry_after(" 7\r\n", 0), 7000);
    CHECK_INT(tfg_llm_parse_retry_after("0", 0), 0);
    CHECK_INT(tfg_llm_parse_retry_after("soon", 0), -1);
    CHECK_INT(tfg_llm_parse_retry_after("-3", 0), -1);
    CHECK_INT(tfg_llm_parse_retry_after("5x", 0), -1);
    /* Wed, 21 Oct 2015 07:28:00 GMT is 1445412480 */
    CHECK_INT(tfg_llm_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470), 10000);
    CHECK_INT(tfg_llm_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490), 0);
    CHECK_INT(tfg_llm_errclass_status(TFG_LLM_ERR_TIMEOUT), TFG_ETIMEOUT);
    CHECK_INT(tfg_llm_errclass_status(TFG_LLM_ERR_BUDGET), TFG_ECHECK);
    CHECK_INT(tfg_llm_errclass_status(TFG_LLM_ERR_OFFLINE_MISS), TFG_EINPUT);
    CHECK_INT(tfg_llm_errclass_status(TFG_LLM_ERR_SERVER), TFG_EPROC);
    CHECK_STR(tfg_llm_errclass_name(TFG_LLM_ERR_BUILTIN), "builtin");
}

static void test_utf8(void)
{
    struct {
        const char *s;
        size_t len, bad;
    } cases[] = {
        {"plain", 5, 5},          {"caf\xc3\xa9", 5, 5},         {"\xe2\x9c\x93", 3, 3},
        {"\xf0\x9f\x98\x80", 4, 4}, {"ab\xc3\x28", 4, 2},          {"\xc0\xaf", 2, 0},
        {"\xed\xa0\x80", 3, 0},   {"\xf4\x90\x80\x80", 4, 0},    {"x\xe2\x9c", 3, 1},
        {"\xff", 1, 0},           {"ok\x80", 3, 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_MSG(tfg_utf8_invalid_at(cases[i].s, cases[i].len) == cases[i].bad, "case %zu",
                  i);
}

static tfg_llm_errclass parse(tfg_llm_type t, const char *body, tfg_llm_reply *r, char *why)
{
    memset(r, 0, sizeof *r);
    return tfg_llm_parse_reply(t, body, strlen(body), r, why, 256);
}

static void test_parse_reply(void)
{
    tfg_llm_reply r;
    char why[256];
    CHECK_INT(parse(TFG_LLM_OPENAI,
                    "{\"choices\": [{\"message\": {\"role\": \"assistant\", \"content\": \"hi\"},"
                    " \"finish_reason\": \"length\"}], \"usage\": {\"prompt_tokens\": 4,"
                    " \"completion_tokens\": 2}}",
                    &r, why),
              TFG_LLM_ERR_NONE);
    CHECK_STR(r.content, "hi");
    CHECK_STR(r.finish_reason, "length");
    CHECK(r.tokens_in == 4 && r.tokens_out == 2 && !r.tokens_estimated);
    tfg_llm_reply_free(&r);
    CHECK_INT(parse(TFG_LLM_OPENAI, "{\"choices\": [{\"message\": {\"content\": \"x\"}}],"
                                    " \"usage\": {\"prompt_tokens\": -1, \"completion_tokens\": 2}}",
                    &r, why),
              TFG_LLM_ERR_NONE);
    CHECK(r.tokens_estimated);
    tfg_llm_reply_free(&r);
    struct {
        tfg_llm_type t;
        const char *body;
        tfg_llm_errclass cls;
        const char *needle;
    } bad[] = {
        {TFG_LLM_OPENAI, "{\"choices\": [{\"message\": {\"content\": \"hi", TFG_LLM_ERR_TRUNCATED,
         "cut off"},
        {TFG_LLM_OPENAI, "", TFG_LLM_ERR_NOT_JSON, "empty"},
        {TFG_LLM_OPENAI, "Internal error", TFG_LLM_ERR_NOT_JSON, "not JSON"},
        {TFG_LLM_OPENAI, "[1, 2]", TFG_LLM_ERR_PROTOCOL, "not an object"},
        {TFG_LLM_OPENAI, "{\"id\": 1}", TFG_LLM_ERR_PROTOCOL, "no 'choices'"},
        {TFG_LLM_OPENAI, "{\"choices\": {}}", TFG_LLM_ERR_PROTOCOL, "not a list"},
        {TFG_LLM_OPENAI, "{\"choices\": []}", TFG_LLM_ERR_PROTOCOL, "empty"},
        {TFG_LLM_OPENAI, "{\"choices\": [{\"message\": {\"content\": null}}]}",
         TFG_LLM_ERR_PROTOCOL, "choices[0].message.content"},
        {TFG_LLM_OPENAI, "{\"choices\": [{\"message\": {\"content\": \"a\\u0000b\"}}]}",
         TFG_LLM_ERR_PROTOCOL, "NUL"},
        {TFG_LLM_OPENAI, "{\"error\": {\"message\": \"quota exceeded\"}}", TFG_LLM_ERR_PROTOCOL,
         "quota exceeded"},
        {TFG_LLM_OPENAI, "{\"choices\": [{\"message\": {\"content\": \"\xc3\x28\"}}]}",
         TFG_LLM_ERR_UTF8, "byte 38 of 45"},
        {TFG_LLM_OLLAMA, "{\"done\": true}", TFG_LLM_ERR_PROTOCOL, "'message'"},
        {TFG_LLM_OLLAMA, "{\"error\": \"model 'x' not found\"}", TFG_LLM_ERR_PROTOCOL, "not found"},
        {TFG_LLM_OLLAMA, "{\"message\": {\"content\": 5}}", TFG_LLM_ERR_PROTOCOL,
         "message.content"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tfg_llm_errclass c = parse(bad[i].t, bad[i].body, &r, why);
        CHECK_MSG(c == bad[i].cls, "case %zu: %s (%s)", i, tfg_llm_errclass_name(c), why);
        CHECK(r.content == NULL);
        if (c)
            CHECK_HAS(why, bad[i].needle);
        tfg_llm_reply_free(&r);
    }
    CHECK_INT(parse(TFG_LLM_OLLAMA, "{\"message\": {\"role\": \"assistant\", \"content\": \"o\"},"
                                    " \"done\": true, \"prompt_eval_count\": 9, \"eval_count\": 1}",
                    &r, why),
              TFG_LLM_ERR_NONE);
    CHECK(r.tokens_in == 9 && r.tokens_out == 1 && !r.tokens_estimated);
    tfg_llm_reply_free(&r);
    char ex[32];
    const char *eb = "{\"error\": {\"message\": \"bad\\nthing\"}}";
    tfg_llm_error_excerpt(eb, strlen(eb), ex, sizeof ex);
    CHECK_STR(ex, "bad thing");
    tfg_llm_error_excerpt("raw\x01text\xff", 9, ex, sizeof ex);
    CHECK_STR(ex, "raw?text?");
}

static tfg_llm_backend backend(tfg_llm_type t, const char *name, const char *url)
{
    tfg_llm_backend b = {0};
    b.name = (char *)name;
    b.type = t;
    b.base_url = (char *)url;
    b.model = (char *)"m1";
    b.key_env = (char *)"KEY_A";
    return b;
}

static void hash_of(const tfg_llm_backend *b, const tfg_llm_request *req, char out[65])
{
    json_t *c = tfg_llm_canonical_request(b, req);
    tfg_llm_request_hash(c, out);
    json_decref(c);
}

static void test_canonical_hash(void)
{
    tfg_llm_msg m[] = {{"system", "be brief"}, {"user", "hello"}};
    tfg_llm_request req = {.stage = "s", .msgs = m, .n_msgs = 2};
    tfg_llm_backend a = backend(TFG_LLM_OPENAI, "a", "http://h1:1");
    tfg_llm_backend b = backend(TFG_LLM_OPENAI, "other", "http://h2:2/v1");
    b.key_env = (char *)"KEY_B";
    char h1[65], h2[65];
    hash_of(&a, &req, h1);
    hash_of(&b, &req, h2);
    CHECK_STR(h1, h2); /* name, URL and key variable do not decide the reply */
    tfg_llm_request req2 = req;
    req2.stage = "another stage";
    hash_of(&a, &req2, h2);
    CHECK_STR(h1, h2); /* nor does the caller's label */
    tfg_llm_msg m2[] = {{"system", "be brief"}, {"user", "hello!"}};
    req2.msgs = m2;
    hash_of(&a, &req2, h2);
    CHECK(strcmp(h1, h2) != 0);
    req2 = req;
    req2.has_temperature = true;
    req2.temperature = 0.5;
    hash_of(&a, &req2, h2);
    CHECK(strcmp(h1, h2) != 0);
    req2 = req;
    req2.format = TFG_LLM_FORMAT_JSON;
    hash_of(&a, &req2, h2);
    CHECK(strcmp(h1, h2) != 0);
    a.model = (char *)"m2";
    hash_of(&a, &req, h2);
    CHECK(strcmp(h1, h2) != 0);
    a.model = (char *)"m1";
    a.type = TFG_LLM_OLLAMA;
    hash_of(&a, &req, h2);
    CHECK(strcmp(h1, h2) != 0);
}

static void test_http_bodies(void)
{
    tfg_llm_msg m[] = {{"user", "q"}};
    json_t *schema = json_loads("{\"type\": \"object\"}", 0, NULL);
    tfg_llm_request req = {.stage = "s", .msgs = m, .n_msgs = 1, .format = TFG_LLM_FORMAT_SCHEMA,
                           .schema = schema, .schema_name = "plan"};
    tfg_llm_backend b = backend(TFG_LLM_OPENAI, "a", "http://h:1/v1");
    b.has_max_tokens = true;
    b.max_tokens = 99;
    b.has_seed = true;
    b.seed = 5;
    char *s = tfg_llm_http_body(&b, &req);
    CHECK_STR(s, "{\"model\":\"m1\",\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],"
                 "\"stream\":false,\"max_tokens\":99,\"seed\":5,\"response_format\":"
                 "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"plan\",\"schema\":"
                 "{\"type\":\"object\"},\"strict\":true}}}");
    free(s);
    s = tfg_llm_endpoint_url(&b);
    CHECK_STR(s, "http://h:1/v1/chat/completions");
    free(s);
    b.base_url = (char *)"http://h:1";
    s = tfg_llm_endpoint_url(&b);
    CHECK_STR(s, "http://h:1/v1/chat/completions");
    free(s);
    b.type = TFG_LLM_OLLAMA;
    req.has_temperature = true;
    req.temperature = 0.0;
    s = tfg_llm_http_body(&b, &req);
    CHECK_STR(s, "{\"model\":\"m1\",\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],"
                 "\"stream\":false,\"options\":{\"temperature\":0.0,\"num_predict\":99,"
                 "\"seed\":5},\"format\":{\"type\":\"object\"}}");
    free(s);
    s = tfg_llm_endpoint_url(&b);
    CHECK_STR(s, "http://h:1/api/chat");
    free(s);
    json_decref(schema);
}

static void test_redact(void)
{
    char s[128] = "Bearer sk-secret-1 and again sk-secret-1!";
    tfg_llm_redact(s, "sk-secret-1");
    CHECK_STR(s, "Bearer *** and again ***!");
    tfg_llm_redact(s, NULL);
    tfg_llm_redact(s, "***"); /* too short to mean anything: left alone */
    CHECK_STR(s, "Bearer *** and again ***!");
}

static tfg_status echo_rule(const tfg_llm_request *req, char **reply, void *user, tfg_err *err)
{
    ++*(int *)user;
    *reply = tfg_xasprintf("rule: %s", req->msgs[0].content);
    return TFG_OK;
}

static tfg_status failing_rule(const tfg_llm_request *req, char **reply, void *user,
                               tfg_err *err)
{
    return tfg_err_set(err, TFG_ECHECK, "the plan has no ops");
}

static void test_builtin_offline(void)
{
    char *dir = fx_tmpdir();
    tfg_llm_config cfg;
    tfg_llm_config_default(&cfg);
    tfg_llm_run *run;
    tfg_err err;
    tfg_llm_run_opts o = {.dir = dir, .config = &cfg, .offline = true};
    CHECK(tfg_llm_run_open(&run, &o, &err) == TFG_OK);
    int calls = 0;
    tfg_llm_builtin_register(run, "data", echo_rule, &calls);
    tfg_llm_builtin_register(run, "model", failing_rule, NULL);
    tfg_llm_msg m = {"user", "clean it"};
    tfg_llm_request req = {.stage = "data", .msgs = &m, .n_msgs = 1};
    tfg_llm_reply r;
    CHECK(tfg_llm_call(run, "builtin", &req, &r, &err) == TFG_OK);
    CHECK_STR(r.content ? r.content : "", "rule: clean it");
    CHECK(r.tokens_estimated && r.cost == 0 && r.cost_known && !r.cached);
    tfg_llm_reply_free(&r);
    CHECK(tfg_llm_call(run, "builtin", &req, &r, &err) == TFG_OK);
    tfg_llm_reply_free(&r);
    CHECK_INT(calls, 2); /* builtin is not cached: its rules may change between versions */
    req.stage = "model";
    CHECK(tfg_llm_call(run, "builtin", &req, &r, &err) == TFG_ECHECK);
    CHECK_INT(r.error_class, TFG_LLM_ERR_BUILTIN);
    CHECK_HAS(err.msg, "the plan has no ops");
    req.stage = "sketch";
    CHECK(tfg_llm_call(run, "builtin", &req, &r, &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "no rule for stage 'sketch' (it has: data, model)");
    CHECK(tfg_llm_call(run, "bultin", &req, &r, &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "did you mean 'builtin'");
    tfg_llm_msg bad = {"robot", "x"};
    req.msgs = &bad;
    CHECK(tfg_llm_call(run, "builtin", &req, &r, &err) == TFG_EUSAGE);
    CHECK_INT(tfg_llm_run_usage(run).requests, 0);
    tfg_llm_run_close(run);
    char *tp = tfg_xasprintf("%s/llm/trace.jsonl", dir);
    CHECK_INT(fx_count_lines(tp, "\"backend\":\"builtin\""), 4);
    CHECK_INT(fx_count_lines(tp, "\"error_class\":\"builtin\""), 2);
    free(tp);
    tfg_llm_config_free(&cfg);
    fx_rmtree(dir);
    free(dir);
}

static void test_cache_and_trace_files(void)
{
    char *dir = fx_tmpdir();
    tfg_llm_reply r = {0}, back;
    r.content = (char *)"caf\xc3\xa9 \"q\"\n";
    r.tokens_in = 5;
    r.tokens_out = 6;
    json_t *canon = json_pack("{s:s}", "model", "m");
    tfg_err err;
    bool hit;
    const char *h = "00ff";
    CHECK(tfg_llm_cache_get(dir, h, &back, &hit, &err) == TFG_OK && !hit);
    CHECK(tfg_llm_cache_put(dir, h, canon, &r, &err) == TFG_OK);
    memset(&back, 0, sizeof back);
    CHECK(tfg_llm_cache_get(dir, h, &back, &hit, &err) == TFG_OK && hit);
    CHECK_STR(back.content ? back.content : "", r.content);
    CHECK(back.tokens_in == 5 && back.tokens_out == 6 && !back.tokens_estimated);
    tfg_llm_reply_free(&back);
    char *p = tfg_xasprintf("%s/llm/cache/%s.json", dir, h);
    fx_write(p, "{\"reply\": {\"content\": 3}}");
    CHECK(tfg_llm_cache_get(dir, h, &back, &hit, &err) == TFG_EINPUT && !hit);
    CHECK_HAS(err.msg, "reply.content");
    CHECK_HAS(err.msg, "delete it");
    free(p);
    json_decref(canon);

    json_t *s;
    p = tfg_xasprintf("%s/llm/trace.jsonl", dir);
    fx_write(p, "{\"stage\": \"a\", \"backend\": \"x\", \"attempt\": 1, \"outcome\": \"ok\","
                " \"tokens_in\": 3, \"tokens_out\": 1, \"cost\": 0.5, \"latency_ms\": 10}\n"
                "{\"stage\": \"b\", \"backend\": \"x\", \"attempt\": 1, \"outcome\": \"ok\","
                " \"tokens_in\": 2, \"tokens_out\": 2, \"cost\": null, \"latency_ms\": 30}\n");
    CHECK(tfg_llm_trace_summary(dir, &s, &err) == TFG_OK);
    const json_t *rows = json_object_get(s, "rows"), *t = json_object_get(s, "total");
    CHECK_INT(json_array_size(rows), 2);
    CHECK_INT(json_integer_value(json_object_get(t, "tokens_in")), 5);
    CHECK(json_real_value(json_object_get(t, "cost")) == 0.5);
    CHECK(json_is_false(json_object_get(t, "cost_known")));
    CHECK(json_real_value(json_object_get(t, "latency_ms_mean")) == 20.0);
    CHECK(json_real_value(json_object_get(t, "latency_ms_max")) == 30.0);
    json_decref(s);
    fx_write(p, "{\"stage\": \"a\"}\n{broken\n");
    CHECK(tfg_llm_trace_summary(dir, &s, &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "trace.jsonl:2:");
    free(p);
    fx_rmtree(dir);
    CHECK(tfg_llm_trace_summary(dir, &s, &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "no LLM trace");
    free(dir);
}

TFG_TEST_MAIN(test_config, test_config_default, test_prices, test_backoff, test_utf8,
              test_parse_reply, test_canonical_hash, test_http_bodies, test_redact,
              test_builtin_offline, test_cache_and_trace_files)
