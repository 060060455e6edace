/* test_pilot_corpus.c — the pilot against the scripted LLM server with the fault corpus
 * (tests/llmserver/faults/<stage>.json): every faulty reply of every stage is rejected
 * with its class (and, where the corpus says, with a message naming what is wrong), in
 * order, the correct reply after them is accepted (repair), the
 * repair message carries the validator's error back, every attempt is in the trace
 * with tokens and cost; when every attempt fails the route escalates to builtin and the
 * stage still succeeds; and a cached run replays with the server stopped, giving the
 * same artifacts byte for byte. The sketch stage's replies are built and run on the
 * emulated board (QEMU), so its corpus takes most of this test's time. Data:
 * examples/fruit with a RAM budget of 8 KiB. */
#include "../check.h"
#include "test_llm_fixture.h"

#include "codegen/stage.h"
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
    if (!strcmp(stage, "train") || !strcmp(stage, "quantize"))
        CHECK_MSG(run_stage(e, "data", false, &r, &err) == TFG_OK, "%s", err.msg);
    bool sketch = !strcmp(stage, "sketch");
    if (!strcmp(stage, "train") || !strcmp(stage, "quantize") || sketch)
        CHECK_MSG(run_stage(e, "data", false, &r, &err) == TFG_OK, "%s", err.msg);
    if (!strcmp(stage, "quantize") || sketch)
        CHECK_MSG(run_stage(e, "train", false, &r, &err) == TFG_OK, "%s", err.msg);
    if (sketch) {
        CHECK_MSG(run_stage(e, "quantize", false, &r, &err) == TFG_OK, "%s", err.msg);
        tfg_build_stage_opts bo = {.out = e->run};
        tfg_build_outcome b;
        CHECK_MSG(tfg_build_stage(&e->spec, &bo, &b, &err) == TFG_OK, "%s", err.msg);
        tfg_build_outcome_free(&b);
    }
}

/* The host int8 model's class per test sample ("0,2,1,..."; first maximum), from the
 * run's quantize/test_output.bin, for the sketch corpus' label table; "" before the
 * quantize stage. */
static char *host_labels(const char *run, size_t classes)
{
    char *path = tfg_path_join(run, "quantize/test_output.bin");
    tfg_buf b;
    tfg_buf_init(&b);
    if (tfg_exists(path)) {
        char *bytes;
        size_t len;
        tfg_err err;
        CHECK(tfg_read_file(path, SIZE_MAX, &bytes, &len, &err) == TFG_OK);
        for (size_t i = 0; i + classes <= len; i += classes) {
            size_t best = 0;
            for (size_t k = 1; k < classes; k++)
                if ((int8_t)bytes[i + k] > (int8_t)bytes[i + best])
                    best = k;
            tfg_buf_printf(&b, "%s%zu", i ? "," : "", best);
        }
        free(bytes);
    }
    free(path);
    return tfg_buf_take(&b);
}

/* "@DATA@" -> the data file, "@LABELS@" -> the host's classes of the test samples. */
static char *fill(const char *text, const char *data, const char *labels)
{
    char *a = fx_replace_all(text, "@DATA@", data);
    char *b = fx_replace_all(a, "@LABELS@", labels);
    free(a);
    return b;
}

/* The server script: the first n cases of the corpus (all when n is 0), then the
 * correct reply unless without_correct. */
static char *script_of(const json_t *corpus, size_t n, bool with_correct, const char *data,
                       const char *labels)
{
    json_t *steps = json_array();
    const json_t *cases = json_object_get(corpus, "cases");
    if (!n)
        n = json_array_size(cases);
    for (size_t i = 0; i < n; i++) {
        char *c = fill(json_string_value(json_object_get(json_array_get(cases, i), "content")),
                       data, labels);
        json_array_append_new(steps, json_pack("{s:s, s:[i,i]}", "content", c, "usage",
                                               (int)(100 + i), 20));
        free(c);
    }
    if (with_correct) {
        char *c = fill(json_string_value(json_object_get(corpus, "correct")), data, labels);
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

/* The accepted sketch is the one published: <out>/sketch/fruit.ino is the correct
 * reply's code, its report says passed on every sample, and the manifest is there. */
static void check_sketch_published(env *e, const json_t *corpus, const char *labels)
{
    char *reply = fill(json_string_value(json_object_get(corpus, "correct")), e->data, labels);
    char *code = NULL;
    tfg_err err;
    CHECK(tfg_pilot_extract_code(reply, &code, &err) == TFG_OK);
    char *ino = tfg_xasprintf("%s/sketch/fruit.ino", e->run), *text = fx_read(ino);
    CHECK_STR(text, code);
    char *rep = tfg_xasprintf("%s/sketch/report.json", e->run);
    json_t *r = NULL;
    CHECK_MSG(tfg_json_load_file(rep, &r, &err) == TFG_OK, "%s", err.msg);
    CHECK_STR(json_string_value(json_object_get(r, "result")), "passed");
    const json_t *passes = json_object_get(json_array_get(json_object_get(r, "checks"), 0),
                                           "passes");
    CHECK_INT(json_array_size(passes), 2);
    size_t i;
    const json_t *ps;
    size_t samples = labels[0] ? 1 : 0;
    for (const char *c = labels; *c; c++)
        samples += *c == ',';
    CHECK(samples > 0);
    CHECK_INT(json_integer_value(json_object_get(json_array_get(json_object_get(r, "checks"), 0),
                                                 "samples")),
              (json_int_t)samples);
    json_array_foreach(passes, i, ps)
        CHECK_INT(json_integer_value(json_object_get(ps, "matches")), (json_int_t)samples);
    char *man = tfg_xasprintf("%s/sketch/manifest.json", e->run);
    CHECK(tfg_exists(man));
    free(man);
    json_decref(r);
    free(rep);
    free(text);
    free(ino);
    free(code);
    free(reply);
}

static void corpus_stage(const char *stage)
{
    env e;
    env_open(&e);
    prerequisites(&e, stage);
    json_t *corpus = load_corpus(stage);
    const json_t *cases = json_object_get(corpus, "cases");
    size_t n = json_array_size(cases);
    char *labels = host_labels(e.run, 3); /* fruit: apple, banana, orange */
    char *script = script_of(corpus, 0, true, e.data, labels);
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
            const char *says = json_string_value(json_object_get(c, "says"));
            const char *msg = json_string_value(json_object_get(rec, "message"));
            if (says)
                CHECK_MSG(msg && strstr(msg, says), "%s case %zu (%s): the message does not "
                          "say '%s': %s", stage, k,
                          json_string_value(json_object_get(c, "what")), says,
                          msg ? msg : "(none)");
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
    if (!strcmp(stage, "sketch"))
        check_sketch_published(&e, corpus, labels);
    free(labels);
    fx_server_stop(&e.srv);
    json_decref(corpus);
    env_close(&e);
}

static void test_corpus_spec(void) { corpus_stage("spec"); }
static void test_corpus_data(void) { corpus_stage("data"); }
static void test_corpus_train(void) { corpus_stage("train"); }
static void test_corpus_quantize(void) { corpus_stage("quantize"); }
static void test_corpus_sketch(void) { corpus_stage("sketch"); }

/* The sketch stage with one attempt for a reply the deny-list rejects: escalation to
 * builtin, whose template passes; what is published is the template, and the pilot's
 * context carried no host path of the run. */
static void test_sketch_escalation(void)
{
    env e;
    env_open(&e);
    prerequisites(&e, "sketch");
    json_t *corpus = load_corpus("sketch");
    const json_t *bad = NULL, *c;
    size_t i;
    json_array_foreach(json_object_get(corpus, "cases"), i, c)
        if (!strcmp(json_string_value(json_object_get(c, "what")), "system()"))
            bad = c;
    CHECK(bad != NULL);
    json_t *one = json_pack("{s:[O]}", "cases", bad);
    char *script = script_of(one, 0, false, e.data, "");
    env_server(&e, script, "sketch", 1);
    free(script);
    tfg_pilot_result r;
    tfg_err err;
    CHECK_MSG(run_stage(&e, "sketch", false, &r, &err) == TFG_OK, "%s", err.msg);
    CHECK(r.ok && !strcmp(r.backend, "builtin"));
    CHECK_INT(r.attempts, 2);
    CHECK_INT(r.escalations, 1);
    CHECK_INT(r.classes[TFG_PILOT_UNSAFE], 1);
    char *ino = tfg_xasprintf("%s/sketch/fruit.ino", e.run), *text = fx_read(ino);
    CHECK_HAS(text, "the application sketch tinyforge");
    free(text);
    free(ino);
    char *rep = tfg_xasprintf("%s/sketch/report.json", e.run), *rj = fx_read(rep);
    CHECK_HAS(rj, "\"result\": \"passed\"");
    free(rj);
    free(rep);
    /* what went to the server: the model's API, not the run directory */
    char *log = fx_read(e.srv.log);
    CHECK_HAS(log, "tfg_model_invoke");
    CHECK_HAS(log, "TFG_MODEL_INPUT_SCALE");
    CHECK(!strstr(log, e.run));
    free(log);
    fx_server_stop(&e.srv);
    json_decref(one);
    json_decref(corpus);
    env_close(&e);
}

/* Two faulty replies with two attempts: escalation reaches builtin, which succeeds. */
static void test_escalation(void)
{
    env e;
    env_open(&e);
    json_t *corpus = load_corpus("data");
    char *script = script_of(corpus, 2, false, e.data, "");
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

/* The default floor of a proposal (issue 22): the builtin chooser's validation accuracy
 * minus routing.builtin_margin. On fruit the builtin reaches 100 %; with a margin of 2
 * points a network squeezed through two one-unit ReLU layers (about 96 %) is refused as
 * silent, naming the builtin's figure, and the 3-8-3 MLP after it is accepted. */
static void test_builtin_floor(void)
{
    env e;
    env_open(&e);
    prerequisites(&e, "train");
    static const char weak[] =
        "```json\n{\"input\": [3], \"layers\": [{\"type\": \"dense\", \"units\": 1, "
        "\"activation\": \"relu\"}, {\"type\": \"dense\", \"units\": 1, \"activation\": "
        "\"relu\"}, {\"type\": \"dense\", \"units\": 3}, {\"type\": \"softmax\"}]}\n```\n";
    json_t *corpus = load_corpus("train");
    json_t *steps = json_pack("[{s:s, s:[i,i]}, {s:s, s:[i,i]}]", "content", weak, "usage",
                              100, 20, "content",
                              json_string_value(json_object_get(corpus, "correct")), "usage",
                              100, 20);
    json_t *sj = json_pack("{s:o}", "steps", steps);
    char *script = json_dumps(sj, 0);
    json_decref(sj);
    env_server(&e, script, "train", 2);
    free(script);
    CHECK(e.pol.builtin_margin == TFG_PILOT_BUILTIN_MARGIN);
    e.pol.builtin_margin = 0.02;
    tfg_pilot_result r;
    tfg_err err;
    CHECK_MSG(run_stage(&e, "train", false, &r, &err) == TFG_OK, "%s", err.msg);
    CHECK_MSG(r.ok && !strcmp(r.backend, "srv"), "accepted by '%s'", r.backend);
    CHECK_INT(r.attempts, 2);
    CHECK_INT(r.classes[TFG_PILOT_SILENT], 1);
    json_t *log = read_log(e.run);
    const char *msg = NULL;
    size_t i;
    const json_t *rec;
    json_array_foreach(log, i, rec)
        if (!msg && !strcmp(json_string_value(json_object_get(rec, "stage")), "train"))
            msg = json_string_value(json_object_get(rec, "message"));
    CHECK_HAS(msg ? msg : "", "the builtin chooser's network reaches 100.00 %");
    CHECK_HAS(msg ? msg : "", "below the floor of 98.00 %");
    json_decref(log);
    json_decref(corpus);
    fx_server_stop(&e.srv);
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
    char *script = script_of(corpus, 1, true, e.data, "");
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

TFG_TEST_MAIN(test_builtin_floor, test_corpus_spec, test_corpus_data, test_corpus_train,
              test_corpus_quantize, test_corpus_sketch, test_sketch_escalation, test_escalation,
              test_replay)
