/* cmd_check.c — `tinyforge check SPEC` and `tinyforge boards`: check a spec without
 * running anything; list the board table. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static int simple_opts(int argc, char **argv, tfg_cli *c, const char *cmd, const char *usage)
{
    static const struct option longopts[] = {{"json", no_argument, NULL, 'j'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int opt, code;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "jhqv", longopts, NULL)) != -1)
        if ((code = tfg_cli_common_opt(c, opt, cmd, usage, argv[optind - 1])) >= 0)
            return opt == 'h' ? -1 : code;
    return 0;
}

int tfg_cmd_check(int argc, char **argv, tfg_cli *c)
{
    static const char usage[] =
        "usage: tinyforge check SPEC [--config FILE] [--json]\n"
        "\n"
        "Checks a spec without running a stage, reading every section as the stages will:\n"
        "every field (a wrong one is named by its path, with what was expected and the\n"
        "nearest valid value), the board (an unknown one gets the closest names), the\n"
        "budgets against the board, the data files (each a regular file or a gzip of one,\n"
        "within the size limit), a data.plan and a model.arch file, the training and\n"
        "quantization settings, and who serves the stages: routing's backend names\n"
        "against the spec's backends (or llm.json) and every backend's URL.\n"
        "\n"
        "  --config FILE  the backends file when the spec has no backends section (default:\n"
        "                 $TINYFORGE_LLM_CONFIG, else ~/.config/tinyforge/llm.json)\n"
        "\n"
        "example:\n"
        "  tinyforge check examples/fruit/spec.json\n";
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *config = NULL;
    int opt, code;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "jhqv", longopts, NULL)) != -1) {
        if (opt == 'c') {
            config = optarg;
            continue;
        }
        if ((code = tfg_cli_common_opt(c, opt, "check", usage, argv[optind - 1])) >= 0)
            return code;
    }
    if (optind != argc - 1)
        return tfg_cli_usage(c, "check", optind >= argc ? "missing SPEC" : "one SPEC expected");
    tfg_boards boards;
    tfg_spec spec;
    tfg_err err;
    tfg_status st = tfg_cli_load_spec(argv[optind], &boards, &spec, &err);
    if (!st)
        st = tfg_lifecycle_check(&spec, config, &err);
    code = TFG_EXIT_OK;
    if (st)
        code = tfg_cli_fail(c, &err);
    else if (c->json)
        tfg_cli_print_json(json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:f, s:I}", "status", "ok",
                                     "name", spec.name, "task", tfg_task_name(spec.task), "board",
                                     spec.board.id, "flash_bytes",
                                     (json_int_t)spec.budget.flash_bytes, "ram_bytes",
                                     (json_int_t)spec.budget.ram_bytes, "latency_ms",
                                     spec.budget.latency_ms, "seed", (json_int_t)spec.seed));
    else
        printf("%s: ok (%s on %s: flash budget %llu B, RAM budget %llu B, %zu data source%s)\n",
               argv[optind], tfg_task_name(spec.task), spec.board.name,
               (unsigned long long)spec.budget.flash_bytes,
               (unsigned long long)spec.budget.ram_bytes, spec.n_sources,
               spec.n_sources == 1 ? "" : "s");
    tfg_spec_free(&spec);
    tfg_boards_free(&boards);
    return code;
}

int tfg_cmd_boards(int argc, char **argv, tfg_cli *c)
{
    static const char usage[] =
        "usage: tinyforge boards [--json]\n"
        "\n"
        "Lists the boards a spec may name (by id, name or alias). The table is data:\n"
        "boards.json in $TINYFORGE_HOME, else in ../share/tinyforge beside the installed\n"
        "binary, else boards/boards.json of the source tree; $TINYFORGE_BOARDS names\n"
        "another file.\n";
    int r = simple_opts(argc, argv, c, "boards", usage);
    if (r)
        return r < 0 ? TFG_EXIT_OK : r;
    if (optind != argc)
        return tfg_cli_usage(c, "boards", "no arguments expected");
    tfg_boards b;
    tfg_err err;
    if (tfg_boards_load(tfg_boards_default_path(), &b, &err))
        return tfg_cli_fail(c, &err);
    if (c->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < b.n; i++)
            json_array_append_new(
                a, json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:b}", "id", b.items[i].id,
                             "name", b.items[i].name, "mcu", b.items[i].mcu, "core",
                             b.items[i].core, "clock_hz", (json_int_t)b.items[i].clock_hz,
                             "flash_bytes", (json_int_t)b.items[i].flash_bytes, "ram_bytes",
                             (json_int_t)b.items[i].ram_bytes, "fpu", b.items[i].fpu));
        tfg_cli_print_json(json_pack("{s:s, s:o}", "status", "ok", "boards", a));
    } else {
        printf("%-28s %-28s %-12s %-14s %8s %10s %9s\n", "id", "name", "mcu", "core", "MHz",
               "flash B", "RAM B");
        for (size_t i = 0; i < b.n; i++)
            printf("%-28s %-28s %-12s %-14s %8.0f %10llu %9llu\n", b.items[i].id, b.items[i].name,
                   b.items[i].mcu, b.items[i].core, (double)b.items[i].clock_hz / 1e6,
                   (unsigned long long)b.items[i].flash_bytes,
                   (unsigned long long)b.items[i].ram_bytes);
    }
    tfg_boards_free(&b);
    return TFG_EXIT_OK;
}
