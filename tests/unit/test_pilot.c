/* test_pilot.c — the pilot's parts without a server: JSON and C extraction from replies
 * with prose and fences, the unsafe-content scan, strict prompt rendering, the routing
 * policy, and the builtin path of every stage on fruit (propose -> validate through the
 * same loop an LLM goes through), with the pilot log it leaves; and a backend that
 * asking again cannot repair (its key unset, offline with nothing cached) asked once
 * before the route escalates. */
#include "../check.h"
#include "test_llm_fixture.h"

#include "core/json.h"
#include "pilot/pilot.h"

static void test_extract_json(void)
{
    json_t *j;
    tfg_err err;
    CHECK(tfg_pilot_extract_json("Sure.\n```json\n{\"a\": 1}\n```\nDone.", &j, &err) == TFG_OK);
    CHECK_INT(json_integer_value(json_object_get(j, "a")), 1);
    json_decref(j);
    /* A broken first fence, a good second one. */
    CHECK(tfg_pilot_extract_json("```json\n{\"a\": \n```\nor\n```\n{\"b\": 2}\n```", &j, &err) ==
          TFG_OK);
    CHECK_INT(json_integer_value(json_object_get(j, "b")), 2);
    json_decref(j);
    /* Bare object in prose, with braces inside strings. */
    CHECK(tfg_pilot_extract_json("The plan is {\"why\": \"a } b {\", \"n\": 3} as asked.", &j,
                                 &err) == TFG_OK);
    CHECK_INT(json_integer_value(json_object_get(j, "n")), 3);
    json_decref(j);
    CHECK(tfg_pilot_extract_json("no json here", &j, &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "no JSON object");
    CHECK(tfg_pilot_extract_json("[1, 2]", &j, &err) == TFG_EINPUT);
    /* Duplicate keys are ambiguous: not accepted. */
    CHECK(tfg_pilot_extract_json("{\"a\": 1, \"a\": 2}", &j, &err) == TFG_EINPUT);
    char *code;
    CHECK(tfg_pilot_extract_code("Here:\n```c\nint x = 1;\n```\n", &code, &err) == TFG_OK);
    CHECK_STR(code, "int x = 1;\n");
    free(code);
    CHECK(tfg_pilot_extract_code("just words", &code, &err) == TFG_EINPUT);
}

static void test_unsafe(void)
{
    tfg_err err;
    const char *bad[] = {"{\"path\": \"x\"}",
                         "{\"ops\": [{\"why\": \"see /etc/passwd\"}]}",
                         "{\"c\": [\"../x\"]}",
                         "{\"c\": \"~/secrets\"}",
                         "{\"u\": \"https://example.org/w\"}",
                         "{\"cmd\": \"rm\"}",
                         NULL};
    for (size_t i = 0; bad[i]; i++) {
        json_t *j = json_loads(bad[i], 0, NULL);
        CHECK_MSG(tfg_pilot_scan_unsafe(j, "plan.json", &err) == TFG_ECHECK, "%s", bad[i]);
        json_decref(j);
    }
    const char *good[] = {"{\"why\": \"scale to 0..1 / zscore\", \"range\": [0, 255]}",
                          "{\"why\": \"4 rows repeat; 1/2 of them\"}", NULL};
    for (size_t i = 0; good[i]; i++) {
        json_t *j = json_loads(good[i], 0, NULL);
        CHECK_MSG(tfg_pilot_scan_unsafe(j, "plan.json", &err) == TFG_OK, "%s: %s", good[i],
                  err.msg);
        json_decref(j);
    }
}

static void test_render(void)
{
    char *dir = fx_tmpdir(), *t = tfg_xasprintf("%s/x.md", dir), *out = NULL;
    fx_write(t, "Hello {{who}},\nsee {{what}}.\n");
    json_t *ctx = json_pack("{s:s}", "who", "board");
    tfg_err err;
    CHECK(tfg_pilot_render(dir, "x.md", ctx, &out, &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "x.md:2:5: unknown placeholder {{what}}");
    CHECK_HAS(err.msg, "provides: who");
    json_object_set_new(ctx, "what", json_string("{{who}}"));
    CHECK(tfg_pilot_render(dir, "x.md", ctx, &out, &err) == TFG_OK);
    CHECK_STR(out, "Hello board,\nsee {{who}}.\n"); /* values are not expanded again */
    free(out);
    json_decref(ctx);
    /* The shipped templates render with what each stage provides. */
    CHECK(tfg_exists(TFG_SOURCE_DIR "/pilot/prompts/repair.md"));
    fx_rmtree(dir);
    free(t);
    free(dir);
}

static void test_policy(void)
{
    tfg_llm_config cfg;
    tfg_err err;
    json_t *c = json_loads("{\"cheap\": {\"type\": \"openai\", \"base_url\": "
                           "\"http://127.0.0.1:1\", \"model\": \"m\"}}",
                           0, NULL);
    CHECK(tfg_llm_config_parse(c, "cfg", &cfg, &err) == TFG_OK);
    json_decref(c);
    tfg_pilot_policy p;
    json_t *r = json_loads("{\"spec\": [\"cheap\"], \"data\": \"cheap\", \"quantize\": "
                           "[\"builtin\"], \"attempts\": 3, \"llm_data\": \"none\"}",
                           0, NULL);
    CHECK(tfg_pilot_policy_parse(r, "s.json", &cfg, &p, &err) == TFG_OK);
    const tfg_pilot_route *rt = tfg_pilot_policy_route(&p, "spec");
    CHECK(rt && rt->n == 2 && !strcmp(rt->backends[0], "cheap") &&
          !strcmp(rt->backends[1], "builtin"));
    rt = tfg_pilot_policy_route(&p, "quantize");
    CHECK(rt && rt->n == 1);
    CHECK(tfg_pilot_policy_route(&p, "train") == NULL);
    CHECK_INT(p.attempts, 3);
    CHECK(p.llm_data == TFG_LLM_DATA_NONE);
    tfg_pilot_policy_free(&p);
    json_decref(r);
    r = json_loads("{\"data\": [\"chaep\"]}", 0, NULL);
    CHECK(tfg_pilot_policy_parse(r, "s.json", &cfg, &p, &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "s.json: routing.data[0]");
    CHECK_HAS(err.msg, "cheap");
    json_decref(r);
    r = json_loads("{\"trian\": [\"cheap\"]}", 0, NULL);
    CHECK(tfg_pilot_policy_parse(r, "s.json", &cfg, &p, &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "did you mean 'train'");
    json_decref(r);
    /* "model", the first release's name of the train stage, routes the train stage;
     * giving both names is an error. */
    r = json_loads("{\"model\": [\"cheap\"]}", 0, NULL);
    CHECK(tfg_pilot_policy_parse(r, "s.json", &cfg, &p, &err) == TFG_OK);
    rt = tfg_pilot_policy_route(&p, "train");
    CHECK(rt && rt->n == 2 && !strcmp(rt->backends[0], "cheap"));
    CHECK(tfg_pilot_policy_route(&p, "model") == NULL);
    tfg_pilot_policy_free(&p);
    json_decref(r);
    r = json_loads("{\"model\": [\"cheap\"], \"train\": [\"builtin\"]}", 0, NULL);
    CHECK(tfg_pilot_policy_parse(r, "s.json", &cfg, &p, &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "s.json: routing.model");
    json_decref(r);
    tfg_llm_config_free(&cfg);
    CHECK_INT(tfg_pilot_class_parse("silent"), TFG_PILOT_SILENT);
    CHECK_STR(tfg_pilot_class_name(TFG_PILOT_UNSAFE), "unsafe");
}

/* The builtin path of every stage on fruit: one attempt each, all accepted, and the
 * artifacts of each stage published. */
static void test_builtin_chain(void)
{
    char *dir = fx_tmpdir(), *run = tfg_xasprintf("%s/run", dir),
         *spec_out = tfg_xasprintf("%s/spec.json", dir);
    tfg_boards boards;
    tfg_err err;
    CHECK(tfg_boards_load(tfg_boards_default_path(), &boards, &err) == TFG_OK);
    tfg_llm_config cfg;
    tfg_llm_config_default(&cfg);
    tfg_pilot_policy pol;
    tfg_pilot_policy_default(&pol);
    tfg_pilot_opts po = {.out = run, .boards = &boards, .config = &cfg, .policy = &pol,
                         .request = "tell apple, banana and orange apart by their colour on "
                                    "an Arduino Nano 33 BLE Sense",
                         .data_file = TFG_SOURCE_DIR "/examples/fruit/fruit.csv",
                         .spec_out = spec_out};
    tfg_pilot *p;
    tfg_pilot_result r;
    CHECK(tfg_pilot_open(&p, &po, &err) == TFG_OK);
    CHECK_MSG(tfg_pilot_run_stage(p, "spec", &r, &err) == TFG_OK, "%s", err.msg);
    CHECK(r.ok && r.attempts == 1 && !strcmp(r.backend, "builtin"));
    tfg_pilot_close(p);
    tfg_spec s;
    CHECK_MSG(tfg_spec_load(spec_out, &boards, &s, &err) == TFG_OK, "%s", err.msg);
    CHECK_STR(s.label ? s.label : "", "fruit");
    CHECK_STR(s.board.id, "arduino_nano_33_ble_sense");
    po.spec = &s;
    CHECK(tfg_pilot_open(&p, &po, &err) == TFG_OK);
    static const char *const stages[] = {"data", "train", "quantize", NULL};
    static const char *const made[] = {"data/train.bin", "train/weights.bin",
                                       "quantize/model.tflite", NULL};
    for (size_t i = 0; stages[i]; i++) {
        CHECK_MSG(tfg_pilot_run_stage(p, stages[i], &r, &err) == TFG_OK, "%s: %s", stages[i],
                  err.msg);
        CHECK_MSG(r.ok && r.attempts == 1, "%s", stages[i]);
        char *a = tfg_path_join(run, made[i]);
        CHECK_MSG(tfg_exists(a), "%s", a);
        free(a);
    }
    tfg_pilot_close(p);
    char *log = tfg_pilot_log_path(run);
    CHECK_INT(fx_count_lines(log, "\"outcome\":\"accepted\""), 4);
    CHECK_INT(fx_count_lines(log, "\"backend\":\"builtin\""), 4);
    CHECK_INT(fx_count_lines(log, "\"sent\":[\"columns\",\"profile\"]"), 2);
    free(log);
    /* An unknown stage is a usage error. */
    CHECK(tfg_pilot_open(&p, &po, &err) == TFG_OK);
    CHECK(tfg_pilot_run_stage(p, "sketchy", &r, &err) == TFG_EUSAGE);
    tfg_pilot_close(p);
    tfg_spec_free(&s);
    tfg_pilot_policy_free(&pol);
    tfg_llm_config_free(&cfg);
    tfg_boards_free(&boards);
    fx_rmtree(dir);
    free(dir);
    free(run);
    free(spec_out);
}

/* The spec stage of fruit routed to one HTTP backend "cheap" (backend: its config
 * fields), asked up to 3 times, then to builtin. */
typedef struct {
    char *dir, *run, *spec_out, *log;
    tfg_boards boards;
    tfg_llm_config cfg;
    tfg_pilot_policy pol;
} cheap_route;

static void cheap_open(cheap_route *c, const char *backend)
{
    tfg_err err;
    c->dir = fx_tmpdir();
    c->run = tfg_xasprintf("%s/run", c->dir);
    c->spec_out = tfg_xasprintf("%s/spec.json", c->dir);
    c->log = tfg_pilot_log_path(c->run);
    CHECK(tfg_boards_load(tfg_boards_default_path(), &c->boards, &err) == TFG_OK);
    char *text = tfg_xasprintf("{\"cheap\": {\"type\": \"openai\", \"base_url\": "
                               "\"http://127.0.0.1:1\", \"model\": \"m\", %s}}", backend);
    json_t *j = json_loads(text, 0, NULL);
    free(text);
    CHECK(tfg_llm_config_parse(j, "cfg", &c->cfg, &err) == TFG_OK);
    json_decref(j);
    j = json_loads("{\"spec\": [\"cheap\"], \"attempts\": 3}", 0, NULL);
    CHECK(tfg_pilot_policy_parse(j, "s.json", &c->cfg, &c->pol, &err) == TFG_OK);
    json_decref(j);
}

static tfg_pilot_result cheap_run(cheap_route *c, bool offline, tfg_llm_budget budget)
{
    tfg_pilot_opts po = {.out = c->run, .boards = &c->boards, .config = &c->cfg,
                         .policy = &c->pol, .offline = offline, .budget = budget,
                         .request = "tell apple, banana and orange apart by their colour",
                         .data_file = TFG_SOURCE_DIR "/examples/fruit/fruit.csv",
                         .spec_out = c->spec_out};
    tfg_pilot *p;
    tfg_pilot_result res;
    tfg_err err;
    memset(&res, 0, sizeof res);
    CHECK(tfg_pilot_open(&p, &po, &err) == TFG_OK);
    CHECK_MSG(tfg_pilot_run_stage(p, "spec", &res, &err) == TFG_OK, "%s", err.msg);
    tfg_pilot_close(p);
    return res;
}

static void cheap_close(cheap_route *c)
{
    tfg_pilot_policy_free(&c->pol);
    tfg_llm_config_free(&c->cfg);
    tfg_boards_free(&c->boards);
    fx_rmtree(c->dir);
    free(c->dir);
    free(c->run);
    free(c->spec_out);
    free(c->log);
}

/* A backend that asking again cannot repair (its key unset; offline with nothing cached)
 * is asked once, not `attempts` times, and the route escalates to builtin at once. */
static void test_hopeless_escalates(void)
{
    unsetenv("TFG_TEST_PILOT_NO_KEY");
    cheap_route c;
    cheap_open(&c, "\"key_env\": \"TFG_TEST_PILOT_NO_KEY\"");
    for (int offline = 0; offline <= 1; offline++) {
        tfg_pilot_result res = cheap_run(&c, offline, (tfg_llm_budget){0});
        /* one call to cheap, then builtin's accepted proposal */
        CHECK_MSG(res.attempts == 2, "%s: %d attempts", offline ? "offline" : "no key",
                  res.attempts);
        CHECK(res.ok && !strcmp(res.backend, "builtin") && res.escalations == 1);
        CHECK_INT(res.classes[TFG_PILOT_BACKEND], 1);
        CHECK_INT(fx_count_lines(c.log, "\"outcome\":\"backend_error\""), offline + 1);
        CHECK_INT(fx_count_lines(c.log, offline ? "offline" : "TFG_TEST_PILOT_NO_KEY"), 1);
    }
    cheap_close(&c);
}

/* A spent budget cannot be repaired by asking again either: with max_requests 1 and a
 * server that refuses the connection (no retries inside the call), the first proposal
 * fails as a connection error and is asked again; the second finds the budget used up,
 * and the route escalates at once instead of spending its third attempt. */
static void test_budget_escalates(void)
{
    setenv("TFG_TEST_PILOT_KEY", "k", 1);
    cheap_route c;
    cheap_open(&c, "\"retries\": 0, \"key_env\": \"TFG_TEST_PILOT_KEY\"");
    tfg_pilot_result res = cheap_run(&c, false, (tfg_llm_budget){.max_requests = 1});
    /* two calls to cheap (connect, then budget), then builtin's accepted proposal */
    CHECK_MSG(res.attempts == 3, "%d attempts", res.attempts);
    CHECK(res.ok && !strcmp(res.backend, "builtin") && res.escalations == 1);
    CHECK_INT(res.classes[TFG_PILOT_BACKEND], 2);
    CHECK_INT(fx_count_lines(c.log, "\"outcome\":\"backend_error\""), 2);
    CHECK_INT(fx_count_lines(c.log, "budget is used up"), 1);
    unsetenv("TFG_TEST_PILOT_KEY");
    cheap_close(&c);
}

TFG_TEST_MAIN(test_extract_json, test_unsafe, test_render, test_policy, test_builtin_chain,
              test_hopeless_escalates, test_budget_escalates)
