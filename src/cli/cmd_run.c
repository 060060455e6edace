/* cmd_run.c — `tinyforge run SPEC`: the whole lifecycle, data -> train -> quantize ->
 * build -> validate -> report, each stage skipped when its inputs did not change, with
 * the time each one took. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "codegen/stage.h"
#include "data/stage.h"
#include "nn/stage.h"
#include "quant/stage.h"
#include "report/report.h"
#include "target/validate.h"

static const char usage[] =
    "usage: tinyforge run SPEC [--out DIR] [--force] [--json]\n"
    "\n"
    "Runs every stage in order, as the separate commands would: data, train, quantize,\n"
    "build, validate, report (see `tinyforge COMMAND --help` for each). A stage whose\n"
    "inputs did not change since the last run is skipped; the first stage that fails\n"
    "stops the run with its error and exit code, and what earlier stages published stays.\n"
    "Prints one line per stage with its time, then where the report is.\n"
    "\n"
    "options:\n"
    "  --out DIR    run directory (default: runs/<spec name>)\n"
    "  --force      run every stage even when nothing changed\n"
    "  --json       one JSON object: each stage's status and seconds, and the report\n"
    "\n"
    "example:\n"
    "  tinyforge run examples/fruit/spec.json && xdg-open runs/fruit/report/report.html\n";

typedef struct {
    const char *name;
    bool skipped;
    double seconds;
    const char *note;   /* a short result for the line, or NULL */
    char buf[160];
} stage_line;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double num(const json_t *j, const char *key)
{
    return json_number_value(json_object_get(j, key));
}

/* One stage: its call, its result line. Returns the stage's status. */
static tfg_status stage(int k, const tfg_spec *s, const char *out, bool force, tfg_progress *p,
                        stage_line *l, tfg_err *err)
{
    tfg_status st;
    l->note = NULL;
    switch (k) {
    case 0: {
        tfg_data_opts o = {.out = out, .force = force, .progress = p};
        tfg_data_outcome r;
        st = tfg_data_stage(s, &o, &r, err);
        l->skipped = r.skipped;
        tfg_data_outcome_free(&r);
        break;
    }
    case 1: {
        tfg_train_stage_opts o = {.out = out, .force = force, .progress = p};
        tfg_train_outcome r;
        st = tfg_train_stage(s, &o, &r, err);
        l->skipped = r.skipped;
        if (!st && r.report && json_object_get(r.report, "test_accuracy")) {
            snprintf(l->buf, sizeof l->buf, "float test accuracy %.2f %%",
                     100 * num(r.report, "test_accuracy"));
            l->note = l->buf;
        }
        tfg_train_outcome_free(&r);
        break;
    }
    case 2: {
        tfg_quant_stage_opts o = {.out = out, .force = force, .progress = p};
        tfg_quant_outcome r;
        st = tfg_quant_stage(s, &o, &r, err);
        l->skipped = r.skipped;
        if (!st && r.report && json_object_get(r.report, "int8_accuracy")) {
            snprintf(l->buf, sizeof l->buf, "int8 test accuracy %.2f %%",
                     100 * num(r.report, "int8_accuracy"));
            l->note = l->buf;
        }
        tfg_quant_outcome_free(&r);
        break;
    }
    case 3: {
        tfg_build_stage_opts o = {.out = out, .force = force, .progress = p};
        tfg_build_outcome r;
        st = tfg_build_stage(s, &o, &r, err);
        l->skipped = r.skipped;
        tfg_build_outcome_free(&r);
        break;
    }
    case 4: {
        tfg_validate_opts o = {.out = out, .force = force, .progress = p};
        tfg_validate_outcome r;
        st = tfg_validate_stage(s, &o, &r, err);
        l->skipped = r.skipped;
        if (!st && r.report) {
            snprintf(l->buf, sizeof l->buf, "%lld/%lld samples identical to the host on %s",
                     (long long)json_integer_value(json_object_get(r.report, "matches")),
                     (long long)json_integer_value(json_object_get(r.report, "samples")),
                     json_string_value(json_object_get(r.report, "emulator")));
            l->note = l->buf;
        }
        tfg_validate_outcome_free(&r);
        break;
    }
    default: {
        tfg_report_opts o = {.out = out, .force = force};
        tfg_report_outcome r;
        st = tfg_report_stage(s, &o, &r, err);
        l->skipped = r.skipped;
        if (!st && r.html) {
            snprintf(l->buf, sizeof l->buf, "%s", r.html);
            l->note = l->buf;
        }
        tfg_report_outcome_free(&r);
    }
    }
    return st;
}

int tfg_cmd_run(int argc, char **argv, tfg_cli *c)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'}, {"force", no_argument, NULL, 'f'},
        {"json", no_argument, NULL, 'j'},     {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    static const char *const names[] = {"data", "train", "quantize", "build", "validate",
                                        "report"};
    const char *out = NULL;
    bool force = false;
    int opt, code;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "o:fjhqv", longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': out = optarg; break;
        case 'f': force = true; break;
        default:
            if ((code = tfg_cli_common_opt(c, opt, "run", usage, argv[optind - 1])) >= 0)
                return code;
        }
    }
    tfg_cli_run run;
    if ((code = tfg_cli_run_begin(c, argc, argv, optind, "run", out, &run)))
        return code;
    json_t *stages = json_array();
    double t_all = now();
    tfg_err err;
    tfg_status st = TFG_OK;
    for (int k = 0; k < 6 && !st; k++) {
        stage_line l = {.name = names[k]};
        double t0 = now();
        st = stage(k, &run.spec, run.out, force, run.progress, &l, &err);
        l.seconds = now() - t0;
        json_t *j = json_pack("{s:s, s:s, s:f}", "stage", names[k], "status",
                              st ? "error" : l.skipped ? "skipped" : "ok", "seconds", l.seconds);
        if (l.note)
            json_object_set_new(j, "result", json_string(l.note));
        json_array_append_new(stages, j);
        if (!st && !c->json && c->verbose >= 0)
            printf("%-9s %7.2f s  %-10s  %s\n", names[k], l.seconds,
                   l.skipped ? "up to date" : "done", l.note ? l.note : "");
        else if (st && !c->json)
            fprintf(stderr, "tinyforge: the %s stage failed after %.2f s\n", names[k], l.seconds);
    }
    double total = now() - t_all;
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
