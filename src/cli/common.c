/* common.c — what the subcommands share: spec loading, the common options, the set-up
 * around a stage and its --json result. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"

tfg_status tfg_cli_load_spec(const char *path, tfg_boards *boards, tfg_spec *spec, tfg_err *err)
{
    memset(spec, 0, sizeof *spec);
    tfg_status st = tfg_boards_load(tfg_boards_default_path(), boards, err);
    if (st)
        return st;
    st = tfg_spec_load(path, boards, spec, err);
    if (!st)
        st = tfg_spec_check_files(spec, err);
    return st;
}

int tfg_cli_common_opt(tfg_cli *c, int opt, const char *cmd, const char *usage,
                       const char *arg)
{
    switch (opt) {
    case 'j': c->json = true; return -1;
    case 'q': c->verbose = -1; return -1;
    case 'v': c->verbose = 1; return -1;
    case 'h': fputs(usage, stdout); return TFG_EXIT_OK;
    default: return tfg_cli_usage(c, cmd, "unknown or incomplete option '%s'", arg);
    }
}

int tfg_cli_run_begin(tfg_cli *c, int argc, char **argv, int optind_, const char *cmd,
                      const char *out, tfg_cli_run *r)
{
    r->out = NULL;
    r->progress = NULL;
    if (optind_ != argc - 1) {
        r->boards = (tfg_boards){0};
        memset(&r->spec, 0, sizeof r->spec);
        return tfg_cli_usage(c, cmd, optind_ >= argc ? "missing SPEC" : "one SPEC expected");
    }
    tfg_err err;
    if (tfg_cli_load_spec(argv[optind_], &r->boards, &r->spec, &err)) {
        tfg_cli_run_end(r);
        return tfg_cli_fail(c, &err);
    }
    r->out = out ? tfg_xstrdup(out) : tfg_xasprintf("runs/%s", r->spec.name);
    tfg_progress_tty(&r->bar, stderr, false);
    r->progress = c->verbose >= 0 && !c->json ? &r->bar : NULL;
    return 0;
}

void tfg_cli_run_end(tfg_cli_run *r)
{
    free(r->out);
    r->out = NULL;
    tfg_spec_free(&r->spec);
    tfg_boards_free(&r->boards);
}

void tfg_cli_print_stage_json(bool skipped, const char *dir, const json_t *j)
{
    json_t *o = json_pack("{s:s, s:s}", "status", skipped ? "skipped" : "ok", "dir", dir);
    if (j)
        json_object_update_missing(o, (json_t *)j);
    tfg_cli_print_json(o);
}

int tfg_cli_stage_main(int argc, char **argv, tfg_cli *c, const tfg_cli_stage *st)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'}, {"force", no_argument, NULL, 'f'},
        {"json", no_argument, NULL, 'j'},     {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *out = NULL, *name = tfg_stage_name(st->id);
    bool force = false;
    int opt, code;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "o:fjhqv", longopts, NULL)) != -1) {
        if (opt == 'o')
            out = optarg;
        else if (opt == 'f')
            force = true;
        else if ((code = tfg_cli_common_opt(c, opt, name, st->usage, argv[optind - 1])) >= 0)
            return code;
    }
    tfg_cli_run run;
    if ((code = tfg_cli_run_begin(c, argc, argv, optind, name, out, &run)))
        return code;
    tfg_stage_opts so = {.force = force};
    return tfg_cli_stage_exec(c, &run, st, &so);
}

int tfg_cli_stage_exec(tfg_cli *c, tfg_cli_run *run, const tfg_cli_stage *st,
                       tfg_stage_opts *so)
{
    const char *name = tfg_stage_name(st->id);
    so->out = run->out;
    so->progress = run->progress;
    tfg_stage_outcome r;
    tfg_err err;
    int code = 0;
    tfg_status s = tfg_lifecycle_run(tfg_lifecycle_stage(st->id), &run->spec, so, NULL, NULL, &r,
                                     &err);
    if (!s && r.not_applicable) /* asked for by name: not a silent success */
        s = tfg_err_set(&err, TFG_EINPUT, "%s: the %s stage is %s", run->spec.path, name,
                        r.note);
    if (s) {
        code = tfg_cli_fail(c, &err);
    } else if (c->json) {
        tfg_cli_print_stage_json(r.skipped, r.dir, r.report);
    } else {
        if (r.skipped)
            printf("%s: up to date (%s); skipped. --force %s.\n\n", name, st->unchanged,
                   st->again ? st->again : "runs it again");
        if (st->print && c->verbose >= 0)
            st->print(&r, run, so);
        if (!st->no_folder_line)
            printf("artifacts: %s/\n", r.dir);
    }
    tfg_stage_outcome_free(&r);
    tfg_cli_run_end(run);
    return code;
}

const tfg_board *tfg_cli_board(const tfg_cli *c, const tfg_cli_run *run, const char *name,
                               int *code)
{
    const tfg_board *b = tfg_boards_find(&run->boards, name);
    if (b)
        return b;
    char near[256];
    tfg_boards_suggest(&run->boards, name, near, sizeof near);
    tfg_err err;
    err.code = TFG_EINPUT;
    snprintf(err.msg, sizeof err.msg, "--board: unknown board '%s'; closest known: %s (all "
             "boards: tinyforge boards)", name, near);
    *code = tfg_cli_fail(c, &err);
    return NULL;
}

int tfg_cli_int_opt(const tfg_cli *c, const char *cmd, const char *opt, const char *arg,
                    long lo, long hi, long *out)
{
    char *end;
    long v = strtol(arg, &end, 10);
    if ((!*arg || *end || v < lo || v > hi) && hi == LONG_MAX)
        return tfg_cli_usage(c, cmd, "%s wants a number >= %ld, got '%s'", opt, lo, arg);
    if (!*arg || *end || v < lo || v > hi)
        return tfg_cli_usage(c, cmd, "%s wants a number from %ld to %ld, got '%s'", opt, lo,
                             hi, arg);
    *out = v;
    return -1;
}
