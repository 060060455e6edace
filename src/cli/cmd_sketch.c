/* cmd_sketch.c — `tinyforge sketch SPEC`: the application sketch (builtin template or a
 * given .ino) and its Arduino library, proven on the board's emulated stand-in. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "target/sketch.h"

static const char usage[] =
    "usage: tinyforge sketch SPEC [--source FILE.ino] [--board NAME] [--arduino-builder]\n"
    "                        [--samples N] [--timeout S] [--out DIR] [--force] [--json]\n"
    "\n"
    "Writes DIR/sketch/<name>.ino (the builtin template, or FILE.ino) and the Arduino\n"
    "library DIR/sketch/libraries/tinyforge_<name>/, then validates the sketch: a\n"
    "deny-list (no system(), file or socket calls, inline assembly, semihosting, foreign\n"
    "headers), a -Werror compile against the project's headers only, and runs ONLY in the\n"
    "emulator (UART only, semihosting off, a time limit, bubblewrap where it works) with\n"
    "every test sample's raw reading. Its printed classes must equal the host int8\n"
    "predictions, and again with the model's outputs rotated and the samples reversed\n"
    "(proof that it calls the model). A rejected sketch exits 1 with its failure class.\n"
    "Result: DIR/sketch/report.json.\n"
    "\n"
    "options:\n"
    "  --source FILE      validate this sketch instead of the builtin one\n"
    "  --board NAME       check on another board (e.g. arduino_uno: simavr)\n"
    "  --arduino-builder  Uno: also build the exported library with Debian's arduino-builder\n"
    "  --samples N        only the first N test samples\n"
    "  --timeout S        time limit per emulator run (default 20 s + 0.5 s per sample);\n"
    "                     a run that prints nothing for 15 s is stopped as hung\n"
    "  --out DIR          run directory (default: runs/<spec name>)\n"
    "  --force            check again even when nothing changed since it last passed\n"
    "\n"
    "example:\n"
    "  tinyforge run examples/fruit/spec.json && tinyforge sketch examples/fruit/spec.json\n";

/* One line per board the sketch was proven on. */
static void print_checks(const tfg_stage_outcome *r, const tfg_cli_run *run,
                         const tfg_stage_opts *so)
{
    size_t i;
    json_t *ch;
    json_array_foreach(json_object_get(r->report, "checks"), i, ch)
        printf("sketch on %s (%s, built by %s): %lld samples, predictions equal the host "
               "int8 model's on %zu run(s)\n  sandbox: %s\n",
               json_string_value(json_object_get(ch, "board")),
               json_string_value(json_object_get(ch, "machine")),
               json_string_value(json_object_get(ch, "builder")),
               (long long)json_integer_value(json_object_get(ch, "samples")),
               json_array_size(json_object_get(ch, "passes")),
               json_string_value(json_object_get(ch, "sandbox")));
}

int tfg_cmd_sketch(int argc, char **argv, tfg_cli *c)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'},    {"board", required_argument, NULL, 'b'},
        {"source", required_argument, NULL, 's'}, {"samples", required_argument, NULL, 'n'},
        {"arduino-builder", no_argument, NULL, 'a'}, {"json", no_argument, NULL, 'j'},
        {"timeout", required_argument, NULL, 't'}, {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    tfg_sketch_stage_opts o = {0};
    const char *out = NULL, *board = NULL;
    int opt, code;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "o:b:s:n:t:afjhqv", longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': out = optarg; break;
        case 'b': board = optarg; break;
        case 's': o.source_file = optarg; break;
        case 'a': o.arduino_builder = true; break;
        case 'f': o.force = true; break;
        case 't': {
            char *end;
            o.timeout_s = strtod(optarg, &end);
            if (*end || !(o.timeout_s > 0))
                return tfg_cli_usage(c, "sketch", "--timeout wants seconds > 0, got '%s'",
                                     optarg);
            break;
        }
        case 'n': {
            long n;
            if ((code = tfg_cli_int_opt(c, "sketch", "--samples", optarg, 1, LONG_MAX, &n)) >= 0)
                return code;
            o.max_samples = (size_t)n;
            break;
        }
        default:
            if ((code = tfg_cli_common_opt(c, opt, "sketch", usage, argv[optind - 1])) >= 0)
                return code;
        }
    }
    tfg_cli_run run;
    if ((code = tfg_cli_run_begin(c, argc, argv, optind, "sketch", out, &run)))
        return code;
    if (board && !(o.board = tfg_cli_board(c, &run, board, &code))) {
        tfg_cli_run_end(&run);
        return code;
    }
    static const tfg_cli_stage stage = {
        .id = TFG_STAGE_SKETCH, .usage = usage,
        .unchanged = "model, readings and sketch unchanged since it last passed",
        .again = "checks it again", .print = print_checks};
    tfg_stage_opts so = {.force = o.force, .board = o.board, .own = &o};
    return tfg_cli_stage_exec(c, &run, &stage, &so);
}
