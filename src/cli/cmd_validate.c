/* cmd_validate.c — `tinyforge validate SPEC`: the generated C as firmware on the board's
 * emulated stand-in, every test sample compared with the host int8 result. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "target/validate.h"

static const char usage[] =
    "usage: tinyforge validate SPEC [--board NAME] [--uart] [--samples N] [--out DIR]\n"
    "                          [--force] [--json]\n"
    "\n"
    "Builds firmware from DIR/build/ (written by `tinyforge build`) for the spec's board\n"
    "with the real board's flash and RAM limits, runs it on the board's emulated stand-in\n"
    "(QEMU mps2-an386 for a Cortex-M4, simavr for the Uno, ...; `tinyforge boards` lists\n"
    "them), streams the test split through it and requires the device's output bytes to\n"
    "equal the host int8 outputs of DIR/quant/ for every sample: any difference fails with\n"
    "exit code 1. Also fails when the firmware exceeds the spec's budgets (flash, RAM,\n"
    "latency_ms against the estimated time per inference). Writes into DIR/validate/:\n"
    "  firmware.elf, firmware.map, build.log   the firmware that ran\n"
    "  device_output.bin                       the device's output bytes per sample\n"
    "  report.json                             matches, device accuracy, confusion, flash\n"
    "                                          and RAM against the board, work per inference\n"
    "\n"
    "options:\n"
    "  --board NAME  validate on another board or emulated machine (e.g. mps2-an505)\n"
    "  --uart        feed samples over the UART only, semihosting off (slower)\n"
    "  --samples N   only the first N test samples (a quick look; the default is all)\n"
    "  --out DIR     run directory (default: runs/<spec name>)\n"
    "  --force       run even when nothing changed\n"
    "  --json        print the report as one JSON object\n"
    "\n"
    "example:\n"
    "  tinyforge build examples/fruit/spec.json && tinyforge validate examples/fruit/spec.json\n";

static void print_report(const json_t *r)
{
    const json_t *b = json_object_get(r, "board"), *fl = json_object_get(r, "flash");
    const json_t *ram = json_object_get(r, "ram");
    printf("board: %s, emulated by %s (%s link)\n", json_string_value(json_object_get(b, "name")),
           json_string_value(json_object_get(r, "emulator")),
           json_string_value(json_object_get(r, "link")));
    printf("samples: %lld, device output == host int8 output on %lld\n",
           (long long)json_integer_value(json_object_get(r, "samples")),
           (long long)json_integer_value(json_object_get(r, "matches")));
    const json_t *acc = json_object_get(r, "device_accuracy");
    if (acc)
        printf("device accuracy: %.2f %%\n", 100 * json_number_value(acc));
    printf("flash: %lld of %lld bytes (weights %lld, code %lld)\n",
           (long long)json_integer_value(json_object_get(fl, "used")),
           (long long)json_integer_value(json_object_get(fl, "limit")),
           (long long)json_integer_value(json_object_get(fl, "weights")),
           (long long)json_integer_value(json_object_get(fl, "code")));
    printf("RAM: %lld of %lld bytes (arena %lld, stack %lld)\n",
           (long long)json_integer_value(json_object_get(ram, "used")),
           (long long)json_integer_value(json_object_get(ram, "limit")),
           (long long)json_integer_value(json_object_get(ram, "arena")),
           (long long)json_integer_value(json_object_get(ram, "stack")));
    const json_t *w = json_object_get(r, "work");
    printf("work per inference: %lld %s, about %.3f ms (%s)\n",
           (long long)json_integer_value(json_object_get(r, "instructions_per_inference")),
           json_string_value(json_object_get(w, "unit")),
           json_number_value(json_object_get(r, "estimated_ms")),
           json_string_value(json_object_get(r, "assumption")));
}

int tfg_cmd_validate(int argc, char **argv, tfg_cli *c)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'},    {"board", required_argument, NULL, 'b'},
        {"samples", required_argument, NULL, 'n'}, {"uart", no_argument, NULL, 'u'},
        {"force", no_argument, NULL, 'f'},        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    tfg_validate_opts o = {0};
    const char *out = NULL, *board = NULL;
    int opt, code;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "o:b:n:ufjhqv", longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': out = optarg; break;
        case 'b': board = optarg; break;
        case 'u': o.link = TFG_FW_LINK_UART; break;
        case 'n': {
            long n;
            if ((code = tfg_cli_int_opt(c, "validate", "--samples", optarg, 1, LONG_MAX, &n)) >= 0)
                return code;
            o.max_samples = (size_t)n;
            break;
        }
        case 'f': o.force = true; break;
        default:
            if ((code = tfg_cli_common_opt(c, opt, "validate", usage, argv[optind - 1])) >= 0)
                return code;
        }
    }
    tfg_cli_run run;
    if ((code = tfg_cli_run_begin(c, argc, argv, optind, "validate", out, &run)))
        return code;
    tfg_err err;
    if (board && !(o.board = tfg_cli_board(c, &run, board, &code))) {
        tfg_cli_run_end(&run);
        return code;
    }
    o.out = run.out;
    o.progress = run.progress;
    tfg_validate_outcome r;
    if (tfg_validate_stage(&run.spec, &o, &r, &err)) {
        code = tfg_cli_fail(c, &err);
    } else if (c->json) {
        tfg_cli_print_stage_json(r.skipped, r.dir, r.report);
    } else {
        if (r.skipped)
            printf("validate: up to date (firmware inputs unchanged since the last run); "
                   "skipped. --force runs it again.\n\n");
        if (r.report && c->verbose >= 0)
            print_report(r.report);
        printf("artifacts: %s/\n", r.dir);
    }
    tfg_validate_outcome_free(&r);
    tfg_cli_run_end(&run);
    return code;
}
