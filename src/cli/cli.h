/* cli.h — what the subcommands share: exit codes, error printing, loading a spec with
 * its board table, and the --json convention. The CLI is the only layer that prints. */
#ifndef TFG_CLI_CLI_H
#define TFG_CLI_CLI_H

#include <jansson.h>
#include <stdbool.h>

#include "core/error.h"
#include "core/progress.h"
#include "pilot/lifecycle.h"
#include "spec/spec.h"

/* Exit codes (documented in `tinyforge help` and the README). */
enum {
    TFG_EXIT_OK = 0,       /* done (or up to date) */
    TFG_EXIT_CHECK = 1,    /* ran, but a check did not hold */
    TFG_EXIT_USAGE = 2,    /* wrong command line */
    TFG_EXIT_INPUT = 3,    /* bad spec, data, plan or model file */
    TFG_EXIT_IO = 4,       /* a file could not be read or written */
    TFG_EXIT_TOOL = 5,     /* an external tool failed or timed out */
    TFG_EXIT_INTERNAL = 70 /* a bug in tinyforge */
};

typedef struct {
    bool json;  /* one JSON object on stdout instead of text */
    int verbose; /* -1 quiet, 0 normal, 1 verbose */
} tfg_cli;

int tfg_cli_exit_code(tfg_status st);
/* Prints the error (text on stderr; with --json also the JSON object on stdout) and
 * returns the exit code. */
int tfg_cli_fail(const tfg_cli *c, const tfg_err *err);
/* Usage problem: message + hint to --help; returns TFG_EXIT_USAGE. */
int tfg_cli_usage(const tfg_cli *c, const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Prints j as one line of JSON on stdout (steals the reference). */
void tfg_cli_print_json(json_t *j);
/* Loads the board table and the spec, and checks that its files exist. */
tfg_status tfg_cli_load_spec(const char *path, tfg_boards *boards, tfg_spec *spec, tfg_err *err);

/* The options every command shares, for the default case of a getopt switch: -j/--json,
 * -q, -v, -h/--help, and anything unknown. Returns -1 to go on parsing, else the exit
 * code to return. */
int tfg_cli_common_opt(tfg_cli *c, int opt, const char *cmd, const char *usage,
                       const char *arg);

/* What a stage command sets up around its stage: the spec, the run directory (--out, or
 * runs/<name>) and the progress line (none with --json or -q). */
typedef struct {
    tfg_boards boards;
    tfg_spec spec;
    char *out;
    tfg_progress bar;
    tfg_progress *progress;
} tfg_cli_run;

/* Checks that exactly one SPEC is left in argv[optind..], loads it; on failure prints
 * the error and returns its exit code, else 0. */
int tfg_cli_run_begin(tfg_cli *c, int argc, char **argv, int optind_, const char *cmd,
                      const char *out, tfg_cli_run *r);
void tfg_cli_run_end(tfg_cli_run *r);
/* --json result of a stage: {"status": "ok"|"skipped", "dir": DIR, ...fields of j}. */
void tfg_cli_print_stage_json(bool skipped, const char *dir, const json_t *j);

/* A stage command: its stage in the lifecycle table, its --help, what it says when the
 * stage is up to date ("data, architecture and settings unchanged since the last run"),
 * and how it prints the outcome for a person (after that line; NULL: nothing but the
 * folder). */
typedef struct {
    tfg_stage_id id;
    const char *usage, *unchanged, *again; /* again: "runs it again", "trains again", ... */
    void (*print)(const tfg_stage_outcome *r, const tfg_cli_run *run, const tfg_stage_opts *so);
    bool no_folder_line; /* print prints where the files are itself */
} tfg_cli_stage;

/* A stage command whose only options are the shared ones (--out, --force, --json, -q,
 * -v, --help): parses them, loads the spec and runs tfg_cli_stage_exec. */
int tfg_cli_stage_main(int argc, char **argv, tfg_cli *c, const tfg_cli_stage *st);

/* Runs the command's stage through the lifecycle table (so->out, so->progress from run)
 * and prints: the JSON result, or the up-to-date line, print() and the artifacts'
 * folder. Ends run; returns the exit code. */
int tfg_cli_stage_exec(tfg_cli *c, tfg_cli_run *run, const tfg_cli_stage *st,
                       tfg_stage_opts *so);

/* An integer option's value in lo..hi (hi LONG_MAX: no upper bound): -1 with *out set,
 * else the usage error printed and its exit code ("--epochs wants a number from 1 to
 * 100000, got '0'"). */
int tfg_cli_int_opt(const tfg_cli *c, const char *cmd, const char *opt, const char *arg,
                    long lo, long hi, long *out);

/* --board NAME of a command (validate, sketch): the board, or NULL with the error printed
 * (closest names suggested) and *code set to its exit code. */
const tfg_board *tfg_cli_board(const tfg_cli *c, const tfg_cli_run *run, const char *name,
                               int *code);

int tfg_cmd_data(int argc, char **argv, tfg_cli *c);
int tfg_cmd_train(int argc, char **argv, tfg_cli *c);
int tfg_cmd_quantize(int argc, char **argv, tfg_cli *c);
int tfg_cmd_build(int argc, char **argv, tfg_cli *c);
int tfg_cmd_report(int argc, char **argv, tfg_cli *c);
int tfg_cmd_validate(int argc, char **argv, tfg_cli *c);
int tfg_cmd_sketch(int argc, char **argv, tfg_cli *c);
int tfg_cmd_run(int argc, char **argv, tfg_cli *c);
int tfg_cmd_inspect(int argc, char **argv, tfg_cli *c);
int tfg_cmd_invoke(int argc, char **argv, tfg_cli *c);
int tfg_cmd_check(int argc, char **argv, tfg_cli *c);
int tfg_cmd_boards(int argc, char **argv, tfg_cli *c);
int tfg_cmd_llm(int argc, char **argv, tfg_cli *c);
int tfg_cmd_trace(int argc, char **argv, tfg_cli *c);
int tfg_cmd_new(int argc, char **argv, tfg_cli *c);
int tfg_cmd_bench(int argc, char **argv, tfg_cli *c);

#endif
