/* cmd_run.c — `tinyforge run SPEC`: the whole lifecycle as the lifecycle table has it
 * (pilot/lifecycle.h: data -> train -> quantize -> build -> validate -> sketch ->
 * report), each stage skipped when its inputs did not change, with the time each one
 * took. With a "routing" section in the spec the stages it routes go through the pilot
 * (proposals from the routed backends, validated, repaired, escalated to builtin); the
 * others run as their own commands do. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/io.h"
#include "pilot/lifecycle.h"
#include "pilot/pilot.h"

static const char usage[] =
    "usage: tinyforge run SPEC [--out DIR] [--force] [--offline] [--sketch-samples N] [--json]\n"
    "\n"
    "Runs every stage in order, as the separate commands would: data, train, quantize,\n"
    "build, validate, sketch, report (see `tinyforge COMMAND --help` for each). A stage\n"
    "whose inputs did not change since the last run is skipped; the first stage that fails\n"
    "stops the run with its error and exit code, and what earlier stages published stays.\n"
    "The sketch stage runs for classification specs whose data plan keeps raw readings.\n"
    "Prints one line per stage with its time, then where the report is.\n"
    "\n"
    "With a \"routing\" section in the spec (docs/pilot.md), the data, train, quantize and\n"
    "sketch stages take proposals from the backends routed to them (an LLM: a data plan,\n"
    "an architecture, quantization settings, the application sketch), validate, repair\n"
    "and escalate to builtin;\n"
    "DIR/llm/ holds the cache, the trace and the pilot's log. Without one, nothing leaves\n"
    "the machine.\n"
    "\n"
    "options:\n"
    "  --out DIR    run directory (default: runs/<spec name>)\n"
    "  --force      run every stage even when nothing changed\n"
    "  --offline    routed stages answer from the LLM cache only (replay a run)\n"
    "  --sketch-samples N  stream only the first N test readings to the sketch per pass\n"
    "               (default all; validate still proves the model on every one). Over\n"
    "               the emulated UART a 784-value reading takes 0.12-0.3 s:\n"
    "               Fashion-MNIST's 10,000 take 20-27 min per pass.\n"
    "  --json       one JSON object: each stage's status and seconds, and the report\n"
    "\n"
    "example:\n"
    "  tinyforge run examples/fruit/spec.json && xdg-open runs/fruit/report/report.html\n";

/* The pilot, when the spec routes stages to backends. */
typedef struct {
    tfg_llm_config cfg;
    tfg_llm_prices prices;
    tfg_pilot_policy policy;
    tfg_pilot *p;
} routed;

static tfg_status routed_open(routed *r, tfg_cli_run *run, bool offline,
                              size_t sketch_samples, tfg_err *err)
{
    memset(r, 0, sizeof *r);
    if (!json_object_get(run->spec.json, "routing"))
        return TFG_OK;
    tfg_status st = tfg_pilot_config_load(&run->spec, NULL, &r->cfg, err);
    if (!st) st = tfg_llm_prices_load(tfg_llm_prices_default_path(), &r->prices, err);
    if (!st) st = tfg_pilot_policy_from_spec(&run->spec, &r->cfg, &r->policy, err);
    if (!st) {
        tfg_pilot_opts po = {.out = run->out, .spec = &run->spec, .boards = &run->boards,
                             .config = &r->cfg, .prices = &r->prices, .policy = &r->policy,
                             .offline = offline, .progress = run->progress,
                             .sketch_samples = sketch_samples};
        st = tfg_pilot_open(&r->p, &po, err);
    }
    return st;
}

static void routed_close(routed *r)
{
    if (r->p)
        tfg_pilot_close(r->p);
    tfg_pilot_policy_free(&r->policy);
    tfg_llm_prices_free(&r->prices);
    tfg_llm_config_free(&r->cfg);
}

int tfg_cmd_run(int argc, char **argv, tfg_cli *c)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'}, {"force", no_argument, NULL, 'f'},
        {"offline", no_argument, NULL, 'F'},  {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},     {"sketch-samples", required_argument, NULL, 'S'},
        {NULL, 0, NULL, 0}};
    const char *out = NULL;
    bool force = false, offline = false;
    long sketch_samples = 0;
    int opt, code;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "o:fjhqv", longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': out = optarg; break;
        case 'f': force = true; break;
        case 'F': offline = true; break;
        case 'S':
            if ((code = tfg_cli_int_opt(c, "run", "--sketch-samples", optarg, 1, 100000000,
                                        &sketch_samples)) >= 0)
                return code;
            break;
        default:
            if ((code = tfg_cli_common_opt(c, opt, "run", usage, argv[optind - 1])) >= 0)
                return code;
        }
    }
    tfg_cli_run run;
    if ((code = tfg_cli_run_begin(c, argc, argv, optind, "run", out, &run)))
        return code;
    json_t *stages = json_array();
    double t_all = tfg_now();
    tfg_err err;
    routed rt;
    tfg_status st = routed_open(&rt, &run, offline, (size_t)sketch_samples, &err);
    tfg_stage_opts so = {.out = run.out, .force = force, .progress = run.progress,
                         .sketch_samples = (size_t)sketch_samples};
    const tfg_stage_desc *table = tfg_lifecycle();
    for (int k = 0; k < TFG_STAGE_COUNT && !st; k++) {
        if (!table[k].in_run)
            continue;
        const char *name = tfg_stage_name(table[k].id);
        tfg_stage_outcome l;
        double t0 = tfg_now();
        st = tfg_lifecycle_run(&table[k], &run.spec, &so, rt.p, &rt.policy, &l, &err);
        double seconds = tfg_now() - t0;
        const char *status = st ? "error" : l.not_applicable ? "not applicable"
                                          : l.skipped        ? "skipped" : "ok";
        json_t *j = json_pack("{s:s, s:s, s:f}", "stage", name, "status", status, "seconds",
                              seconds);
        if (l.note[0])
            json_object_set_new(j, "result", json_string(l.note));
        json_array_append_new(stages, j);
        if (!st && !c->json && c->verbose >= 0)
            printf("%-9s %7.2f s  %-14s  %s\n", name, seconds,
                   l.not_applicable ? "-" : l.skipped ? "up to date" : "done", l.note);
        else if (st && !c->json)
            fprintf(stderr, "tinyforge: the %s stage failed after %.2f s\n", name, seconds);
        tfg_stage_outcome_free(&l);
    }
    routed_close(&rt);
    double total = tfg_now() - t_all;
    if (st) {
        code = tfg_cli_fail(c, &err);
    } else if (c->json) {
        tfg_cli_print_json(json_pack("{s:s, s:s, s:f, s:O}", "status", "ok", "dir", run.out,
                                     "seconds", total, "stages", stages));
    } else {
        printf("all stages: %.2f s; run directory %s/\n", total, run.out);
    }
    json_decref(stages);
    tfg_cli_run_end(&run);
    return code;
}
