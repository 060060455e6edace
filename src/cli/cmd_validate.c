/* cmd_validate.c — `tinyforge validate SPEC`: the generated C as firmware on the board's
 * emulated stand-in, every test sample compared with the host int8 result. */
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "spec/results.h"
#include "target/validate.h"

static const char usage[] =
    "usage: tinyforge validate SPEC [--board NAME] [--uart] [--samples N] [--out DIR]\n"
    "                          [--force] [--json]\n"
    "\n"
    "Builds firmware from DIR/build/ (written by `tinyforge build`) for the spec's board\n"
    "with the real board's flash and RAM limits, runs it on the board's emulated stand-in\n"
    "(QEMU mps2-an386 for a Cortex-M4, simavr for the Uno, ...; `tinyforge boards` lists\n"
    "them), streams the test split through it and requires the device's output bytes to\n"
    "equal the host int8 outputs of DIR/quantize/ for every sample: any difference fails with\n"
    "exit code 1. Also fails when the firmware exceeds the spec's budgets (flash, RAM,\n"
    "latency_ms against the estimated time per inference). Writes into DIR/validate/:\n"
    "  firmware.elf, firmware.map, build.log   the firmware that ran\n"
    "  device_output.bin                       the device's output bytes per sample\n"
    "  report.json                             matches, device accuracy, confusion, flash\n"
    "                                          and RAM against the board, work per inference\n"
    "\n"
    "options:\n"
    "  --board NAME  validate on another board or emulated machine (e.g. mps2-an505 for\n"
    "                a Cortex-M33, mps3-an547 for a Cortex-M55)\n"
    "  --uart        feed samples over the UART only, semihosting off (slower)\n"
    "  --samples N   only the first N test samples (a quick look; the default is all)\n"
    "  --out DIR     run directory (default: runs/<spec name>)\n"
    "  --force       run even when nothing changed\n"
    "  --json        print the report as one JSON object\n"
    "\n"
    "example:\n"
    "  tinyforge build examples/fruit/spec.json && tinyforge validate examples/fruit/spec.json\n";

static const char *or_unknown(const char *s)
{
    return s ? s : "?";
}

static void print_report(const tfg_stage_outcome *o, const tfg_cli_run *run,
                         const tfg_stage_opts *so)
{
    if (!o->has_result)
        return;
    const tfg_validate_result v = o->result.validate;
    printf("board: %s, emulated by %s (%s link)\n", or_unknown(v.board_name),
           or_unknown(v.emulator), or_unknown(v.link));
    printf("samples: %lld, device output == host int8 output on %lld\n", (long long)v.samples,
           (long long)v.matches);
    if (!isnan(v.device_accuracy))
        printf("device accuracy: %.2f %%\n", 100 * v.device_accuracy);
    printf("flash: %lld of %lld bytes (weights %lld, code %lld)\n", (long long)v.flash.used,
           (long long)v.flash.limit, (long long)v.flash.weights, (long long)v.flash.code);
    printf("RAM: %lld of %lld bytes (arena %lld, stack %lld)\n", (long long)v.ram.used,
           (long long)v.ram.limit, (long long)v.ram.arena, (long long)v.ram.stack);
    printf("work per inference: %lld %s, about %.3f ms (%s)\n", (long long)v.work_per_inference,
           or_unknown(v.work_unit), v.estimated_ms, or_unknown(v.assumption));
    if (v.kernels)
        printf("kernels (chosen for %s), by operator: %s\n",
               v.kernels_core ? v.kernels_core : "the host", v.kernels);
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
    if (board && !(o.board = tfg_cli_board(c, &run, board, &code))) {
        tfg_cli_run_end(&run);
        return code;
    }
    static const tfg_cli_stage stage = {
        .id = TFG_STAGE_VALIDATE, .usage = usage,
        .unchanged = "firmware inputs unchanged since the last run", .print = print_report};
    tfg_stage_opts so = {.force = o.force, .board = o.board, .own = &o};
    return tfg_cli_stage_exec(c, &run, &stage, &so);
}
