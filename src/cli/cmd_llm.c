/* cmd_llm.c — `tinyforge llm ping|ask`: try a backend by hand. ping checks that each
 * configured backend (or one) answers and shows model, latency and tokens; ask sends one
 * prompt and prints the reply. Both go through the same run context as the pilot
 * (llm/llm.h), so --run DIR caches and traces them, and --offline replays. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "llm/llm.h"

static const char usage[] =
    "usage: tinyforge llm ping [--backend NAME] [OPTIONS]\n"
    "       tinyforge llm ask --backend NAME [OPTIONS] \"PROMPT\"\n"
    "\n"
    "ping sends a tiny request to one backend (or to every configured one) and prints\n"
    "the model, the latency and the tokens; it never answers from the cache. ask sends\n"
    "PROMPT and prints the reply on stdout.\n"
    "\n"
    "Backends come from a JSON file: --config FILE, else $TINYFORGE_LLM_CONFIG, else\n"
    "~/.config/tinyforge/llm.json. A backend \"builtin\" (offline, deterministic) always\n"
    "exists. See docs/llm.md; keys come only from the environment variable a backend\n"
    "names in \"key_env\".\n"
    "\n"
    "options:\n"
    "  --backend NAME      the backend to use (ping: default all)\n"
    "  --config FILE       the backends file\n"
    "  --prices FILE       the price table (default $TINYFORGE_LLM_PRICES, else prices.json\n"
    "                      where tinyforge finds its files: README, Installing)\n"
    "  --run DIR           cache replies in DIR/llm/cache and trace to DIR/llm/trace.jsonl\n"
    "  --offline           answer only from DIR's cache (ask; needs --run)\n"
    "  --system TEXT       a system message before the prompt (ask)\n"
    "  --format json       ask for a JSON object (where the API offers it)\n"
    "  --max-requests N, --max-tokens N, --max-cost X   the run's budget\n"
    "  --json              one JSON object on stdout\n"
    "\n"
    "example:\n"
    "  OPENAI_API_KEY=... tinyforge llm ask --config llm.json --backend openai \"Say hi\"\n";

typedef struct {
    const char *backend, *config, *prices, *run, *system, *format;
    bool offline;
    tfg_llm_budget budget;
} llm_opts;

static tfg_status builtin_ping(const tfg_llm_request *req, char **reply, void *user,
                               tfg_err *err)
{
    *reply = tfg_xstrdup("pong");
    return TFG_OK;
}

/* The builtin backend has no model: for a manual try it says so and echoes the prompt. */
static tfg_status builtin_ask(const tfg_llm_request *req, char **reply, void *user,
                              tfg_err *err)
{
    *reply = tfg_xasprintf("builtin backend (rules, no model): you said \"%s\"",
                           req->msgs[req->n_msgs - 1].content);
    return TFG_OK;
}

static int parse(int argc, char **argv, tfg_cli *c, llm_opts *o)
{
    static const struct option longopts[] = {
        {"backend", required_argument, NULL, 'b'}, {"config", required_argument, NULL, 'c'},
        {"prices", required_argument, NULL, 'p'},  {"run", required_argument, NULL, 'r'},
        {"offline", no_argument, NULL, 'o'},       {"system", required_argument, NULL, 's'},
        {"format", required_argument, NULL, 'f'},  {"max-requests", required_argument, NULL, 1},
        {"max-tokens", required_argument, NULL, 2}, {"max-cost", required_argument, NULL, 3},
        {"json", no_argument, NULL, 'j'},          {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int opt, code;
    char *end;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "jhqv", longopts, NULL)) != -1) {
        switch (opt) {
        case 'b': o->backend = optarg; break;
        case 'c': o->config = optarg; break;
        case 'p': o->prices = optarg; break;
        case 'r': o->run = optarg; break;
        case 'o': o->offline = true; break;
        case 's': o->system = optarg; break;
        case 'f': o->format = optarg; break;
        case 1:
        case 2: {
            long long v = strtoll(optarg, &end, 10);
            if (v <= 0 || *end)
                return tfg_cli_usage(c, "llm", "%s: expected a positive integer",
                                     opt == 1 ? "--max-requests" : "--max-tokens");
            if (opt == 1)
                o->budget.max_requests = v;
            else
                o->budget.max_tokens = v;
            break;
        }
        case 3:
            if ((o->budget.max_cost = strtod(optarg, &end)) <= 0 || *end)
                return tfg_cli_usage(c, "llm", "--max-cost: expected a positive number");
            break;
        default:
            if ((code = tfg_cli_common_opt(c, opt, "llm", usage, argv[optind - 1])) >= 0)
                return opt == 'h' ? -1 : code;
        }
    }
    if (o->format && strcmp(o->format, "json") && strcmp(o->format, "text"))
        return tfg_cli_usage(c, "llm", "--format: expected json or text");
    if (o->offline && !o->run)
        return tfg_cli_usage(c, "llm", "--offline answers from a run's cache: give --run DIR");
    return 0;
}

/* Config, prices and run context for one command. */
typedef struct {
    tfg_llm_config cfg;
    tfg_llm_prices prices;
    tfg_llm_run *run;
} session;

static tfg_status session_open(session *s, const llm_opts *o, bool ping, tfg_err *err)
{
    memset(s, 0, sizeof *s);
    char *used = NULL;
    tfg_status st = tfg_llm_config_load_default(o->config, &s->cfg, &used, err);
    free(used);
    if (st)
        return st;
    st = tfg_llm_prices_load(o->prices ? o->prices : tfg_llm_prices_default_path(), &s->prices,
                             err);
    if (st)
        return st;
    tfg_llm_run_opts ro = {.dir = o->run, .config = &s->cfg, .prices = &s->prices,
                           .budget = o->budget, .offline = o->offline, .no_cache_read = ping};
    st = tfg_llm_run_open(&s->run, &ro, err);
    if (st)
        return st;
    tfg_llm_builtin_register(s->run, "ping", builtin_ping, NULL);
    tfg_llm_builtin_register(s->run, "ask", builtin_ask, NULL);
    return TFG_OK;
}

static void session_close(session *s)
{
    tfg_llm_run_close(s->run);
    tfg_llm_prices_free(&s->prices);
    tfg_llm_config_free(&s->cfg);
}

static json_t *reply_json(const tfg_llm_backend *b, const tfg_llm_reply *r)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:b, s:f, s:i, s:b, s:s}", "backend",
                          b->name, "type", tfg_llm_type_name(b->type), "model", b->model,
                          "content", r->content, "tokens_in", (json_int_t)r->tokens_in,
                          "tokens_out", (json_int_t)r->tokens_out, "tokens_estimated",
                          r->tokens_estimated, "latency_ms", r->latency_ms, "attempts",
                          r->attempts, "cached", r->cached, "request", r->hash);
    json_object_set_new(o, "cost", r->cost_known ? json_real(r->cost) : json_null());
    return o;
}

static json_t *ping_one(session *s, const tfg_llm_backend *b, tfg_cli *c, int *code)
{
    tfg_llm_msg m = {"user", "Reply with the single word: pong"};
    tfg_llm_request req = {.stage = "ping", .msgs = &m, .n_msgs = 1};
    tfg_llm_reply r;
    tfg_err err;
    if (tfg_llm_call(s->run, b->name, &req, &r, &err)) {
        fprintf(stderr, "tinyforge: error: %s\n", err.msg);
        if (!*code)
            *code = tfg_cli_exit_code(err.code);
        if (!c->json)
            printf("%-12s %-8s %-24s %s\n", b->name, tfg_llm_type_name(b->type), b->model,
                   tfg_llm_errclass_name(r.error_class));
        return json_pack("{s:s, s:s, s:s, s:s, s:s}", "backend", b->name, "model", b->model,
                         "status", "error", "error_class", tfg_llm_errclass_name(r.error_class),
                         "message", err.msg);
    }
    if (!c->json) {
        char tokens[64];
        snprintf(tokens, sizeof tokens, "%lld/%lld%s", (long long)r.tokens_in,
                 (long long)r.tokens_out, r.tokens_estimated ? " (est.)" : "");
        printf("%-12s %-8s %-24s ok  %6.0f ms  %-14s \"%.40s\"\n", b->name,
               tfg_llm_type_name(b->type), b->model, r.latency_ms, tokens, r.content);
    }
    json_t *o = reply_json(b, &r);
    json_object_set_new(o, "status", json_string("ok"));
    tfg_llm_reply_free(&r);
    return o;
}

static int cmd_ping(session *s, const llm_opts *o, tfg_cli *c)
{
    int code = 0;
    json_t *all = json_array();
    if (!c->json)
        printf("%-12s %-8s %-24s result, latency, tokens in/out, reply\n", "backend", "type",
               "model");
    for (size_t i = 0; i < s->cfg.n; i++)
        if (!o->backend || !strcmp(o->backend, s->cfg.v[i].name))
            json_array_append_new(all, ping_one(s, &s->cfg.v[i], c, &code));
    if (c->json)
        tfg_cli_print_json(json_pack("{s:s, s:o}", "status", code ? "error" : "ok", "backends", all));
    else
        json_decref(all);
    return code;
}

static int cmd_ask(session *s, const llm_opts *o, const char *prompt, tfg_cli *c)
{
    tfg_llm_msg m[2] = {{"system", o->system}, {"user", prompt}};
    tfg_llm_request req = {.stage = "ask", .msgs = o->system ? m : m + 1,
                           .n_msgs = o->system ? 2 : 1,
                           .format = o->format && !strcmp(o->format, "json")
                                         ? TFG_LLM_FORMAT_JSON
                                         : TFG_LLM_FORMAT_TEXT};
    tfg_llm_reply r;
    tfg_err err;
    if (tfg_llm_call(s->run, o->backend, &req, &r, &err))
        return tfg_cli_fail(c, &err);
    const tfg_llm_backend *b = tfg_llm_config_find(&s->cfg, o->backend, NULL);
    if (!r.content[strspn(r.content, " \t\r\n")]) {
        /* as in the pilot, where it is a format failure: nothing in it can be used */
        tfg_err_set(&err, TFG_EPROC, "LLM backend '%s' (model '%s'): the reply is empty (a "
                    "format failure: it holds %s)", b->name, b->model,
                    *r.content ? "white space alone" : "no text");
        tfg_llm_reply_free(&r);
        return tfg_cli_fail(c, &err);
    }
    if (c->json) {
        json_t *j = reply_json(b, &r);
        json_object_set_new(j, "status", json_string("ok"));
        tfg_cli_print_json(j);
    } else {
        fputs(r.content, stdout);
        putchar('\n');
        if (c->verbose >= 0)
        {
            char cost[96];
            if (r.cost_known)
                snprintf(cost, sizeof cost, "%.6f %s", r.cost, s->prices.currency);
            else
                snprintf(cost, sizeof cost, "cost unknown (model not in the price table)");
            fprintf(stderr, "tinyforge: %s (%s) %s: %.0f ms, %lld+%lld tokens%s, %s, %d attempt%s\n",
                    b->name, b->model, r.cached ? "from cache" : "replied", r.latency_ms,
                    (long long)r.tokens_in, (long long)r.tokens_out,
                    r.tokens_estimated ? " (estimated)" : "", cost, r.attempts,
                    r.attempts == 1 ? "" : "s");
        }
    }
    tfg_llm_reply_free(&r);
    return 0;
}

int tfg_cmd_llm(int argc, char **argv, tfg_cli *c)
{
    if (argc < 2 || (strcmp(argv[1], "ping") && strcmp(argv[1], "ask"))) {
        if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
            fputs(usage, stdout);
            return 0;
        }
        return tfg_cli_usage(c, "llm", "expected 'ping' or 'ask'");
    }
    bool ping = !strcmp(argv[1], "ping");
    llm_opts o = {0};
    int r = parse(argc - 1, argv + 1, c, &o);
    if (r)
        return r < 0 ? TFG_EXIT_OK : r;
    int rest = argc - 1 - optind;
    if (ping && rest != 0)
        return tfg_cli_usage(c, "llm", "ping takes no arguments");
    if (!ping && (rest != 1 || !o.backend))
        return tfg_cli_usage(c, "llm", rest != 1 ? "ask needs one PROMPT" : "ask needs --backend NAME");
    session s;
    tfg_err err;
    int code;
    if (session_open(&s, &o, ping, &err))
        code = tfg_cli_fail(c, &err);
    else if (o.backend && !tfg_llm_config_find(&s.cfg, o.backend, &err))
        code = tfg_cli_fail(c, &err);
    else
        code = ping ? cmd_ping(&s, &o, c) : cmd_ask(&s, &o, argv[argc - 1], c);
    session_close(&s);
    return code;
}
