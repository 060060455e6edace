/* main.c — `tinyforge COMMAND ...`: global options, dispatch, help and exit codes. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/strutil.h"
#include "spec/rundir.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv, tfg_cli *c);
    const char *summary; /* NULL: a stage's command, summed up by the lifecycle table */
} command;

/* The stages' commands first, in lifecycle order, named as the stages are. */
static const command commands[] = {
    {"data", tfg_cmd_data, NULL},
    {"train", tfg_cmd_train, NULL},
    {"quantize", tfg_cmd_quantize, NULL},
    {"build", tfg_cmd_build, NULL},
    {"validate", tfg_cmd_validate, NULL},
    {"sketch", tfg_cmd_sketch, NULL},
    {"run", tfg_cmd_run, "the whole lifecycle: data, train, quantize, build, validate, sketch, "
                         "report"},
    {"report", tfg_cmd_report, NULL},
    {"inspect", tfg_cmd_inspect, "show a .tflite model's ops, tensors and quantization"},
    {"invoke", tfg_cmd_invoke, "run a .tflite int8 model on raw input tensor bytes"},
    {"check", tfg_cmd_check, "check a spec: fields, board, data files"},
    {"boards", tfg_cmd_boards, "list the boards a spec may name"},
    {"llm", tfg_cmd_llm, "try an LLM backend: `llm ping`, `llm ask --backend NAME PROMPT`"},
    {"trace", tfg_cmd_trace, "what a run's LLM calls did and cost, per stage and backend"},
    {"new", tfg_cmd_new, "write a spec from a request in plain words and a CSV file"},
    {"bench", tfg_cmd_bench, "success rate, time, tokens and cost of a backend over many runs"},
};

static const char *summary(const command *c)
{
    return c->summary ? c->summary : tfg_lifecycle_find(c->name)->summary;
}

static void help(FILE *f)
{
    fputs("usage: tinyforge [-q|-v] [--json] COMMAND [ARGS]\n"
          "\n"
          "tinyforge takes a TinyML application from raw sensor data to firmware proven\n"
          "on an emulated microcontroller. Each stage reads the previous stage's artifacts\n"
          "from the run directory (default runs/<spec name>) and writes its own.\n"
          "\n"
          "commands:\n",
          f);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, summary(&commands[i]));
    fputs("  help     this text; `tinyforge help COMMAND` or `COMMAND --help` for one command\n"
          "\n"
          "options (before or after the command):\n"
          "  --json     print one JSON object on stdout (results or the error)\n"
          "  -q         quiet: errors only          -v   verbose\n"
          "  --version  print the version\n"
          "\n"
          "example:\n"
          "  tinyforge data examples/fruit/spec.json      # profile, plan, clean, split\n"
          "  tinyforge train examples/fruit/spec.json     # train on the splits\n"
          "\n"
          "exit codes:\n"
          "  0 done or up to date        1 a check did not hold    2 wrong command line\n"
          "  3 bad spec, data or plan    4 a file could not be read or written\n"
          "  5 an external tool failed   70 a bug in tinyforge\n",
          f);
}

int tfg_cli_exit_code(tfg_status st)
{
    switch (st) {
    case TFG_OK: return TFG_EXIT_OK;
    case TFG_ECHECK: return TFG_EXIT_CHECK;
    case TFG_EUSAGE: return TFG_EXIT_USAGE;
    case TFG_EINPUT: return TFG_EXIT_INPUT;
    case TFG_EIO: return TFG_EXIT_IO;
    case TFG_ETIMEOUT:
    case TFG_EPROC: return TFG_EXIT_TOOL;
    case TFG_ENOMEM:
    case TFG_EINTERNAL: return TFG_EXIT_INTERNAL;
    }
    return TFG_EXIT_INTERNAL;
}

void tfg_cli_print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(9));
    if (s) {
        puts(s);
        free(s);
    }
    json_decref(j);
}

int tfg_cli_fail(const tfg_cli *c, const tfg_err *err)
{
    int code = tfg_cli_exit_code(err->code);
    fprintf(stderr, "tinyforge: error: %s\n", err->msg);
    if (c->json)
        tfg_cli_print_json(json_pack("{s:s, s:{s:s, s:i, s:s}}", "status", "error", "error",
                                     "kind", tfg_status_name(err->code), "exit_code", code,
                                     "message", err->msg));
    return code;
}

int tfg_cli_usage(const tfg_cli *c, const char *cmd, const char *fmt, ...)
{
    tfg_err err;
    err.code = TFG_EUSAGE;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err.msg, sizeof err.msg, fmt, ap);
    va_end(ap);
    size_t n = strlen(err.msg);
    snprintf(err.msg + n, sizeof err.msg - n, " (see: tinyforge %s%s--help)", cmd ? cmd : "",
             cmd ? " " : "");
    return tfg_cli_fail(c, &err);
}

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    tfg_cli c = {0};
    /* Global options may come before the command; the rest is the command's. */
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--json"))
            c.json = true;
        else if (!strcmp(argv[i], "-q"))
            c.verbose = -1;
        else if (!strcmp(argv[i], "-v"))
            c.verbose = 1;
        else if (!strcmp(argv[i], "--version")) {
            printf("tinyforge %s\n", TFG_VERSION);
            return 0;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help(stdout);
            return 0;
        } else
            return tfg_cli_usage(&c, "", "unknown option '%s'", argv[i]);
    }
    if (i >= argc) {
        help(stderr);
        return TFG_EXIT_USAGE;
    }
    const char *name = argv[i];
    if (!strcmp(name, "help")) {
        if (i + 1 < argc && find_command(argv[i + 1])) {
            char *sub[] = {argv[i + 1], (char *)"--help", NULL};
            return find_command(argv[i + 1])->run(2, sub, &c);
        }
        help(stdout);
        return 0;
    }
    const command *cmd = find_command(name);
    if (!cmd) {
        const char *names[sizeof commands / sizeof commands[0] + 1];
        for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
            names[k] = commands[k].name;
        names[sizeof commands / sizeof commands[0]] = NULL;
        bool old_name = false;
        int stage = tfg_stage_parse(name, &old_name);
        if (stage >= 0 && old_name)
            return tfg_cli_usage(&c, NULL, "unknown command '%s': the stage is called '%s' now",
                                 name, tfg_stage_name((tfg_stage_id)stage));
        const char *near = tfg_closest(name, names);
        if (near)
            return tfg_cli_usage(&c, NULL, "unknown command '%s'; did you mean '%s'?", name,
                                 near);
        return tfg_cli_usage(&c, NULL, "unknown command '%s'", name);
    }
    tfg_log_set_level(c.verbose < 0 ? TFG_LOG_ERROR : c.verbose > 0 ? TFG_LOG_DEBUG : TFG_LOG_INFO);
    return cmd->run(argc - i, argv + i, &c);
}
