/* test_pilot_corpus.c — the pilot against the scripted LLM server with the fault corpus
 * (tests/llmserver/faults/<stage>.json): every faulty reply of every stage is rejected
 * with its class, in order, the correct reply after them is accepted (repair), the
 * repair message carries the validator's error back, every attempt is in the trace
 * with tokens and cost; when every attempt fails the route escalates to builtin and the
 * stage still succeeds; and a cached run replays with the server stopped, giving the
 * same artifacts byte for byte. Data: examples/fruit with a RAM budget of 8 KiB. */
#include "../check.h"
#include "test_llm_fixture.h"

#include "core/hash.h"
#include "core/json.h"
#include "pilot/pilot.h"

typedef struct {
    char *dir, *run, *spec_path, *spec_out, *data;
    fx_server srv;
    tfg_boards boards;
    tfg_llm_config cfg;
    tfg_llm_prices prices;
    tfg_spec spec;
    tfg_pilot_policy pol;
} env;

static const char *src_dir(void)
{
    const char *s = getenv("TFG_SRC");
    return s ? s : TFG_SOURCE_DIR;
}

static void env_open(env *e)
{
    memset(e, 0, sizeof *e);
    e->dir = fx_tmpdir();
    e->run = tfg_xasprintf("%s/run", e->dir);
    e->spec_path = tfg_xasprintf("%s/spec.json", e->dir);
    e->spec_out = tfg_xasprintf("%s/proposed-spec.json", e->dir);
    e->data = tfg_xasprintf("%s/examples/fruit/fruit.csv", src_dir());
    char *spec = tfg_xasprintf(
        "{\"name\": \"fruit\", \"task\": \"classification\", \"data\": {\"sources\": "
        "[{\"path\": \"%s\"}], \"label\": \"fruit\", \"features\": [\"red\", \"green\", "
        "\"blue\"]}, \"board\": \"arduino_nano_33_ble_sense\", \"budgets\": {\"ram_bytes\": "
        "8192}, \"seed\": 42}",
        e->data);
    fx_write(e->spec_path, spec);
    free(spec);
    tfg_err err;
    CHECK(tfg_boards_load(tfg_boards_default_path(), &e->boards, &err) == TFG_OK);
    CHECK_MSG(tfg_spec_load(e->spec_path, &e->boards, &e->spec, &err) == TFG_OK, "%s", err.msg);
    CHECK(tfg_llm_prices_load(tfg_llm_prices_default_path(), &e->prices, &err) == TFG_OK);
}

static void env_close(env *e)
{
    tfg_pilot_policy_free(&e->pol);
    tfg_llm_config_free(&e->cfg);
    tfg_llm_prices_free(&e->prices);
    tfg_spec_free(&e->spec);
    tfg_boards_free(&e->boards);
    fx_rmtree(e->dir);
    free(e->dir);
    free(e->run);
    free(e->spec_path);
    free(e->spec_out);
    free(e->data);
}

/* Starts the server on script; backend "srv" points at it; stage routed to srv. */
static void env_server(env *e, const char *script, const char *stage, int attempts)
{
    CHECK(fx_server_start(&e->srv, e->dir, script) == 0);
    char *text = tfg_xasprintf("{\"srv\": {\"type\": \"openai\", \"base_url\": "
                               "\"http://127.0.0.1:%d\", \"model\": \"gpt-4o-mini\", "
                               "\"timeout_ms\": 10000, \"retries\": 0, \"temperature\": 0}}",
                               e->srv.port);
    json_t *j = json_loads(text, 0, NULL);
    free(text);
    tfg_err err;
    tfg_llm_config_free(&e->cfg);
    CHECK(tfg_llm_config_parse(j, "test-config", &e->cfg, &err) == TFG_OK);
    json_decref(j);
    json_t *r = json_pack("{s:[s], s:i}", stage, "srv", "attempts", attempts);
    tfg_pilot_policy_free(&e->pol);
    CHECK(tfg_pilot_policy_parse(r, "test", &e->cfg, &e->pol, &err) == TFG_OK);
    json_decref(r);
}

static tfg_status run_stage(env *e, const char *stage, bool offline, tfg_pilot_result *r,
                            tfg_err *err)
{
    tfg_pilot_opts po = {.out = e->run, .spec = &e->spec, .boards = &e->boards,
                         .config = &e->cfg, .prices = &e->prices, .policy = &e->pol,
                         .offline = offline, .request = "tell the fruit apart by colour",
                         .data_file = e->data, .spec_out = e->spec_out};
    tfg_pilot *p;
    tfg_status st = tfg_pilot_open(&p, &po, err);
    if (!st)
        st = tfg_pilot_run_stage(p, stage, r, err);
    tfg_pilot_close(p);
    return st;
}

/* The builtin's earlier stages, so a later stage has its inputs. */
static void prerequisites(env *e, const char *stage)
{
    tfg_pilot_policy_free(&e->pol);
    tfg_pilot_policy_default(&e->pol);
    tfg_llm_config_free(&e->cfg);
    tfg_llm_config_default(&e->cfg);
    tfg_pilot_result r;
    tfg_err err;
    if (!strcmp(stage, "model") || !strcmp(stage, "quantize"))
        CHECK_MSG(run_stage(e, "data", false, &r, &err) == TFG_OK, "%s", err.msg);
    if (!strcmp(stage, "quantize"))
        CHECK_MSG(run_stage(e, "model", false, &r, &err) == TFG_OK, "%s", err.msg);
}

/* "@DATA@" -> the data file. */
static char *fill(const char *text, const char *data)
{
    tfg_buf b;
    tfg_buf_init(&b);
    for (const char *p = text, *q; *p; p = q + 6) {
        q = strstr(p, "@DATA@");
        if (!q) {
            tfg_buf_printf(&b, "%s", p);
            break;
        }
        tfg_buf_append(&b, p, (size_t)(q - p));
        tfg_buf_printf(&b, "%s", data);
    }
    return tfg_buf_take(&b);
}

/* The server script: the first n cases of the corpus (all when n is 0), then the
 * correct reply unless without_correct. */
static char *script_of(const json_t *corpus, size_t n, bool with_correct, const char *data)
{
    json_t *steps = json_array();
    const json_t *cases = json_object_get(corpus, "cases");
    if (!n)
        n = json_array_size(cases);
    for (size_t i = 0; i < n; i++) {
        char *c = fill(json_string_value(json_object_get(json_array_get(cases, i), "content")),
                       data);
        json_array_append_new(steps, json_pack("{s:s, s:[i,i]}", "content", c, "usage",
                                               (int)(100 + i), 20));
        free(c);
    }
    if (with_correct) {
        char *c = fill(json_string_value(json_object_get(corpus, "correct")), data);
        json_array_append_new(steps, json_pack("{s:s, s:[i,i]}", "content", c, "usage", 300, 40));
        free(c);
    }
    json_t *s = json_pack("{s:o}", "steps", steps);
    char *text = json_dumps(s, 0);
    json_decref(s);
    return text;
}

static json_t *load_corpus(const char *stage)
{
    char *path = tfg_xasprintf("%s/tests/llmserver/faults/%s.json", src_dir(), stage);
    json_t *j = NULL;
    tfg_err err;
    CHECK_MSG(tfg_json_load_file(path, &j, &err) == TFG_OK, "%s", err.msg);
    free(path);
    return j;
}

/* Reads the pilot log's records (a JSON array). */
static json_t *read_log(const char *run)
{
    char *path = tfg_pilot_log_path(run), *text = fx_read(path);
    json_t *a = json_array();
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        json_array_append_new(a, json_loads(line, 0, NULL));
    free(text);
    free(path);
    return a;
}

static void corpus_stage(const char *stage)
{
    env e;
    env_open(&e);
    prerequisites(&e, stage);
    json_t *corpus = load_corpus(stage);
    const json_t *cases = json_object_get(corpus, "cases");
    size_t n = json_array_size(cases);
    char *script = script_of(corpus, 0, true, e.data);
    env_server(&e, script, stage, (int)n + 1);
    free(script);
    tfg_pilot_result r;
    tfg_err err;
    CHECK_MSG(run_stage(&e, stage, false, &r, &err) == TFG_OK, "%s: %s", stage, err.msg);
    CHECK_MSG(r.ok && !strcmp(r.backend, "srv"), "%s accepted by '%s'", stage, r.backend);
    CHECK_INT(r.attempts, (int)n + 1);
    CHECK(r.tokens_in > 0 && r.cost > 0);
    /* Each faulty reply rejected with its class, in order; then accepted. */
    json_t *log = read_log(e.run);
    size_t i;
    const json_t *rec;
    size_t k = 0;
    json_array_foreach(log, i, rec) {
        if (strcmp(json_string_value(json_object_get(rec, "stage")), stage))
            continue;
        CHECK_STR(json_string_value(json_object_get(rec, "backend")), "srv");
        if (k < n) {
            const json_t *c = json_array_get(cases, k);
            const char *want = json_string_value(json_object_get(c, "class"));
            const char *got = json_string_value(json_object_get(rec, "class"));
            CHECK_MSG(got && !strcmp(got, want), "%s case %zu (%s): class %s, expected %s: %s",
                      stage, k, json_string_value(json_object_get(c, "what")),
                      got ? got : "none", want,
                      json_string_value(json_object_get(rec, "message")));
            CHECK(json_integer_value(json_object_get(rec, "tokens_in")) == (json_int_t)(100 + k));
        } else {
            CHECK_STR(json_string_value(json_object_get(rec, "outcome")), "accepted");
        }
        k++;
    }
    CHECK_INT(k, n + 1);
    json_decref(log);
    /* The trace holds every attempt, priced; the repair went back to the server. */
    char *trace = tfg_llm_trace_path(e.run);
    char *needle = tfg_xasprintf("\"stage\":\"%s\"", stage);
    CHECK_INT(fx_count_lines(trace, needle), (int)n + 1);
    CHECK_INT(fx_count_lines(trace, "\"cost\":null"), 0);
    CHECK_INT(fx_count_lines(e.srv.log, "Your answer was rejected ("), (int)n);
    CHECK_INT(fx_count_lines(e.srv.log, "\"problems\": []"), (int)n + 1);
    free(needle);
    free(trace);
    fx_server_stop(&e.srv);
    json_decref(corpus);
    env_close(&e);
}

static void test_corpus_spec(void) { corpus_stage("spec"); }
static void test_corpus_data(void) { corpus_stage("data"); }
static void test_corpus_model(void) { corpus_stage("model"); }
static void test_corpus_quantize(void) { corpus_stage("quantize"); }

/* Two faulty replies with two attempts: escalation reaches builtin, which succeeds. */
static void test_escalation(void)
{
    env e;
    env_open(&e);
    json_t *corpus = load_corpus("data");
    char *script = script_of(corpus, 2, false, e.data);
    env_server(&e, script, "data", 2);
    free(script);
    tfg_pilot_result r;
    tfg_err err;
    CHECK_MSG(run_stage(&e, "data", false, &r, &err) == TFG_OK, "%s", err.msg);
    CHECK(r.ok && !strcmp(r.backend, "builtin"));
    CHECK_INT(r.attempts, 3);
    CHECK_INT(r.escalations, 1);
    CHECK_INT(r.classes[TFG_PILOT_FORMAT], 2);
    char *log = tfg_pilot_log_path(e.run);
    CHECK_INT(fx_count_lines(log, "\"outcome\":\"rejected\""), 2);
    CHECK_INT(fx_count_lines(log, "\"backend\":\"builtin\",\"attempt\":3"), 1);
    free(log);
    char *train = tfg_xasprintf("%s/data/train.bin", e.run);
    CHECK(tfg_exists(train));
    free(train);
    /* A dead server (and no cache): two backend errors, then builtin (routes always end
     * there). */
    fx_server_stop(&e.srv);
    char *cache = tfg_xasprintf("%s/llm/cache", e.run);
    fx_rmtree(cache);
    free(cache);
    CHECK_MSG(run_stage(&e, "data", false, &r, &err) == TFG_OK, "%s", err.msg);
    CHECK_MSG(r.ok && !strcmp(r.backend, "builtin") && r.classes[TFG_PILOT_BACKEND] == 2,
              "ok %d backend %s backend errors %d", r.ok, r.backend,
              r.classes[TFG_PILOT_BACKEND]);
    json_decref(corpus);
    env_close(&e);
}

static void hash_of(const char *run, const char *name, char out[TFG_SHA256_HEX])
{
    char *p = tfg_path_join(run, name);
    tfg_err err;
    CHECK_MSG(tfg_sha256_file(p, out, &err) == TFG_OK, "%s", err.msg);
    free(p);
}

/* A cached run replays with the server stopped and the same artifacts. */
static void test_replay(void)
{
    env e;
    env_open(&e);
    json_t *corpus = load_corpus("data");
    char *script = script_of(corpus, 1, true, e.data);
    env_server(&e, script, "data", 3);
    free(script);
    tfg_pilot_result r;
    tfg_err err;
    CHECK_MSG(run_stage(&e, "data", false, &r, &err) == TFG_OK, "%s", err.msg);
    CHECK(r.ok && !strcmp(r.backend, "srv") && r.attempts == 2);
    static const char *const files[] = {"data/plan.json", "data/train.bin", "data/val.bin",
                                        "data/test.bin", "data/preprocess.json", NULL};
    char before[5][TFG_SHA256_HEX], after[5][TFG_SHA256_HEX];
    for (size_t i = 0; files[i]; i++)
        hash_of(e.run, files[i], before[i]);
    fx_server_stop(&e.srv);
    char *data = tfg_path_join(e.run, "data");
    fx_rmtree(data);
    free(data);
    CHECK_MSG(run_stage(&e, "data", true, &r, &err) == TFG_OK, "%s", err.msg);
    CHECK(r.ok && !strcmp(r.backend, "srv") && r.attempts == 2);
    CHECK(r.cost == 0);
    for (size_t i = 0; files[i]; i++) {
        hash_of(e.run, files[i], after[i]);
        CHECK_STR(after[i], before[i]);
    }
    char *log = tfg_pilot_log_path(e.run);
    CHECK_INT(fx_count_lines(log, "\"cached\":true"), 2);
    free(log);
    json_decref(corpus);
    env_close(&e);
}

TFG_TEST_MAIN(test_corpus_spec, test_corpus_data, test_corpus_model, test_corpus_quantize,
              test_escalation, test_replay)
