/* tool.c — running build tools (tool.h): argv building, PATH lookup, the log, and the
 * lines of a tool's output worth quoting. */
#include "core/tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/proc.h"

void tfg_argv_add(tfg_argv *a, const char *s)
{
    if (a->n < TFG_ARGV_MAX - 1)
        a->v[a->n++] = s;
    a->v[a->n] = NULL;
}

void tfg_argv_own(tfg_argv *a, char *s)
{
    if (a->n_owned == TFG_ARGV_MAX) { /* past any real command: dropped like tfg_argv_add */
        free(s);
        return;
    }
    a->owned[a->n_owned++] = s;
    tfg_argv_add(a, s);
}

void tfg_argv_free(tfg_argv *a)
{
    for (int i = 0; i < a->n_owned; i++)
        free(a->owned[i]);
    memset(a, 0, sizeof *a);
}

bool tfg_tool_on_path(const char *prog)
{
    if (strchr(prog, '/'))
        return access(prog, X_OK) == 0;
    const char *path = getenv("PATH");
    if (!path)
        return false;
    bool found = false;
    char *copy = tfg_xstrdup(path);
    for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir && !found;
         dir = strtok_r(NULL, ":", &save)) {
        char *p = tfg_xasprintf("%s/%s", *dir ? dir : ".", prog);
        found = access(p, X_OK) == 0;
        free(p);
    }
    free(copy);
    return found;
}

/* A line that says what went wrong: a compiler's or the linker's error ("region `ram'
 * overflowed" has no "error" in it). Warnings count only when there is nothing else
 * (under quiet_or_fail they are the refusal): a warning the sources always draw must
 * not hide the error that failed the build. */
static bool reports_problem(const char *line, bool warnings)
{
    if (strstr(line, "warning:"))
        return warnings;
    return strstr(line, "error") || strstr(line, "overflow") ||
           strstr(line, "undefined reference") || strstr(line, "/ld: ");
}

char *tfg_tool_first_errors(const char *text)
{
    tfg_buf b;
    tfg_buf_init(&b);
    int k = 0;
    for (int warnings = 0; warnings < 2 && k == 0; warnings++) {
        for (const char *p = text; *p && k < 3;) {
            const char *e = strchr(p, '\n');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            char line[304];
            snprintf(line, sizeof line, "%.*s", (int)(len > 300 ? 300 : len), p);
            if (reports_problem(line, warnings))
                tfg_buf_printf(&b, "%s%s", k++ ? " | " : "", line);
            p += len + (e ? 1 : 0);
        }
    }
    if (k == 0)
        tfg_buf_printf(&b, "%.300s", text);
    return tfg_buf_take(&b);
}

tfg_status tfg_tool_run(const tfg_tool_opts *o, tfg_tool_result *r, tfg_err *err)
{
    memset(r, 0, sizeof *r);
    const char *tool = o->argv[0];
    double timeout = o->timeout_s > 0 ? o->timeout_s : 120;
    if (!tfg_tool_on_path(tool))
        return tfg_err_set(err, TFG_EPROC, "%s not found on PATH%s%s%s", tool,
                           o->missing_hint ? " (" : "", o->missing_hint ? o->missing_hint : "",
                           o->missing_hint ? ")" : "");
    if (o->log) {
        for (int i = 0; o->argv[i]; i++)
            tfg_buf_printf(o->log, "%s%s", i ? " " : "$ ", o->argv[i]);
        tfg_buf_putc(o->log, '\n');
    }
    tfg_proc_opts po = {.argv = o->argv, .timeout_s = timeout};
    tfg_proc_result pr;
    tfg_status st = tfg_proc_run(&po, &pr, err);
    if ((st == TFG_OK || st == TFG_ETIMEOUT) && o->log) {
        tfg_buf_append(o->log, pr.errout, pr.err_len);
        tfg_buf_append(o->log, pr.out, pr.out_len);
    }
    if (st == TFG_ETIMEOUT) {
        tfg_err_set(err, TFG_ETIMEOUT, "%s did not finish within %.0f s", tool, timeout);
    } else if (!st && (!pr.exited || pr.exit_code != 0 || (o->quiet_or_fail && pr.err_len))) {
        char *first = tfg_tool_first_errors(pr.err_len ? pr.errout : pr.out);
        if (pr.exited && pr.exit_code == 0)
            st = tfg_err_set(err, TFG_EPROC, "%s warned: %s", tool, first);
        else
            st = tfg_err_set(err, TFG_EPROC, "%s failed (%s %d): %s", tool,
                             pr.exited ? "exit status" : "signal",
                             pr.exited ? pr.exit_code : pr.signal, first);
        r->refused = true;
        free(first);
    } else if (!st) {
        r->out = pr.out;
        pr.out = NULL;
    }
    tfg_proc_result_free(&pr);
    return st;
}

void tfg_tool_result_free(tfg_tool_result *r)
{
    free(r->out);
    memset(r, 0, sizeof *r);
}
