/* cmd_bench.c — `tinyforge bench`: the success-rate study of the pilot's stages for one
 * backend (src/pilot/bench.h); prints the table and where the CSV and Markdown are. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "pilot/bench.h"

static const char usage[] =
    "usage: tinyforge bench SPEC [--stage STAGE] [--runs N] [--backend NAME] [-j JOBS] [options]\n"
    "\n"
    "Runs a pilot stage N times with one backend, each run in its own directory under\n"
    "--out, and sums the runs: success rate, mean and standard deviation of the time to an\n"
    "accepted proposal (validation included), tokens and cost per run, attempts, and the\n"
    "failure classes of rejected attempts (backend, format, spec, compile, misuse, budget,\n"
    "silent, unsafe; docs/pilot.md). The backend is measured alone: no escalation to\n"
    "builtin. Runs of train, quantize and sketch start from the builtin's earlier stages,\n"
    "made once in OUT/base. Trainings go through a cache fresh for each bench\n"
    "(OUT/train-cache): the train stage's validator trains every proposal, and training is\n"
    "bit-reproducible, so runs that propose the same architecture train it once.\n"
    "Writes OUT/bench.csv (one row per run), OUT/bench.md and OUT/bench.json.\n"
    "\n"
    "options:\n"
    "  --stage STAGE     spec, data, train, quantize, sketch, or all (the five chained per\n"
    "                    run, with the build before the sketch); default all. `model`, the\n"
    "                    old name of train, is still understood in this release\n"
    "  --runs N          runs per stage (default 30)\n"
    "  --backend NAME    the backend measured (default builtin)\n"
    "  -j, --jobs J      worker processes (default 1; -J too)\n"
    "  --attempts N      proposals per run before it counts as failed (default: the spec's\n"
    "                    routing.attempts, else 5)\n"
    "  --epochs N        train stage: training epochs (default: the spec's)\n"
    "  --samples N       sketch stage: test samples streamed to the sketch per pass\n"
    "                    (default every one; the validate stage proves the model on all)\n"
    "  --request TEXT    spec stage: the request (default: the spec's description)\n"
    "  --config FILE     LLM backends (the spec's \"backends\" section wins)\n"
    "  --out DIR         bench directory (default runs/<name>-bench)\n"
    "  --offline         answer from each run's LLM cache only\n"
    "  --no-train-cache  train every proposal, even one trained in an earlier run\n"
    "  --json            the table as one JSON object\n"
    "\n"
    "example:\n"
    "  tinyforge bench examples/fruit/spec.json --stage all --runs 30 -j 2\n";

typedef struct {
    const char *stage, *backend, *config, *out, *request;
    int runs, jobs, attempts, epochs, samples;
    bool offline, no_train_cache;
} bench_args;

static int number(tfg_cli *c, const char *opt, const char *arg, int lo, int hi, int *out)
{
    long v;
    int code = tfg_cli_int_opt(c, "bench", opt, arg, lo, hi, &v);
    if (code < 0)
        *out = (int)v;
    return code;
}

static int parse(int argc, char **argv, tfg_cli *c, bench_args *a)
{
    static const struct option longopts[] = {
        {"stage", required_argument, NULL, 's'},   {"runs", required_argument, NULL, 'n'},
        {"backend", required_argument, NULL, 'b'}, {"jobs", required_argument, NULL, 'j'},
        {"attempts", required_argument, NULL, 'a'}, {"epochs", required_argument, NULL, 'e'},
        {"request", required_argument, NULL, 'r'}, {"config", required_argument, NULL, 'c'},
        {"out", required_argument, NULL, 'o'},     {"offline", no_argument, NULL, 'F'},
        {"no-train-cache", no_argument, NULL, 'N'}, {"samples", required_argument, NULL, 'S'},
        {"json", no_argument, NULL, 'Z'},          {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int opt, code = -1;
    optind = 1;
    opterr = 0;
    while (code < 0 && (opt = getopt_long(argc, argv, "s:n:b:j:J:a:e:r:c:o:S:FNhqv", longopts,
                                          NULL)) != -1) {
        switch (opt) {
        case 's': a->stage = optarg; break;
        case 'b': a->backend = optarg; break;
        case 'r': a->request = optarg; break;
        case 'c': a->config = optarg; break;
        case 'o': a->out = optarg; break;
        case 'F': a->offline = true; break;
        case 'N': a->no_train_cache = true; break;
        case 'n': code = number(c, "--runs", optarg, 1, 100000, &a->runs); break;
        case 'j':
        case 'J': code = number(c, "--jobs", optarg, 1, 256, &a->jobs); break;
        case 'Z': c->json = true; break;
        case 'a': code = number(c, "--attempts", optarg, 1, 50, &a->attempts); break;
        case 'e': code = number(c, "--epochs", optarg, 1, 100000, &a->epochs); break;
        case 'S': code = number(c, "--samples", optarg, 1, 100000000, &a->samples); break;
        default: code = tfg_cli_common_opt(c, opt, "bench", usage, argv[optind - 1]);
        }
    }
    return code;
}

int tfg_cmd_bench(int argc, char **argv, tfg_cli *c)
{
    bench_args a = {.stage = "all", .backend = "builtin", .runs = 30, .jobs = 1};
    int code = parse(argc, argv, c, &a);
    if (code >= 0)
        return code;
    tfg_cli_run run;
    if ((code = tfg_cli_run_begin(c, argc, argv, optind, "bench", NULL, &run)))
        return code;
    char *out = a.out ? tfg_xstrdup(a.out) : tfg_xasprintf("runs/%s-bench", run.spec.name);
    tfg_llm_config cfg = {0};
    tfg_llm_prices prices = {0};
    json_t *sum = NULL;
    tfg_err err;
    tfg_status st = tfg_pilot_config_load(&run.spec, a.config, &cfg, &err);
    if (!st) st = tfg_llm_prices_load(tfg_llm_prices_default_path(), &prices, &err);
    if (!st) {
        tfg_bench_opts o = {.spec = &run.spec, .boards = &run.boards, .config = &cfg,
                            .prices = &prices, .stage = a.stage, .runs = a.runs,
                            .jobs = a.jobs, .backend = a.backend, .attempts = a.attempts,
                            .out = out, .request = a.request, .epochs = (uint32_t)a.epochs,
                            .sketch_samples = (size_t)a.samples,
                            .offline = a.offline, .no_train_cache = a.no_train_cache,
                            .progress = run.progress};
        st = tfg_pilot_bench(&o, &sum, &err);
    }
    if (st) {
        code = tfg_cli_fail(c, &err);
    } else if (c->json) {
        json_object_set_new(sum, "status", json_string("ok"));
        json_object_set_new(sum, "dir", json_string(out));
        tfg_cli_print_json(json_incref(sum));
    } else {
        fputs(json_string_value(json_object_get(sum, "markdown")), stdout);
        printf("\nper run: %s/bench.csv; table: %s/bench.md\n", out, out);
    }
    json_decref(sum);
    tfg_llm_prices_free(&prices);
    tfg_llm_config_free(&cfg);
    free(out);
    tfg_cli_run_end(&run);
    return code;
}
