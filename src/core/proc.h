/* proc.h — run a program with arguments (no shell), feed it stdin, collect stdout and
 * stderr, and stop it at a deadline. Compilers and emulators run through this; a child
 * that hangs is killed with its whole process group, so nothing outlives its run. */
#ifndef TFG_CORE_PROC_H
#define TFG_CORE_PROC_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

typedef struct {
    const char *const *argv;  /* argv[0] is looked up on PATH */
    const char *stdin_data;   /* may be NULL: the child gets an empty stdin */
    size_t stdin_len;
    double timeout_s;         /* <= 0: no limit */
    double idle_timeout_s;    /* > 0: also stopped after printing nothing (stdout or
                                 stderr) for this long: a hang, told apart from long
                                 work that keeps printing */
    const char *cwd;          /* NULL: inherit */
    size_t max_output;        /* per stream; 0 means 64 MiB. Extra output is dropped. */
} tfg_proc_opts;

typedef struct {
    bool exited;      /* ended by exit(); exit_code is valid */
    int exit_code;
    int signal;       /* the signal that ended it, else 0 */
    bool timed_out;
    bool idle;        /* timed_out because it printed nothing for idle_timeout_s */
    bool truncated;   /* output went past max_output */
    char *out, *errout; /* NUL-terminated */
    size_t out_len, err_len;
    double seconds;
} tfg_proc_result;

/* TFG_OK when the child ran to its end (whatever its exit code: look at the result);
 * TFG_EPROC when it could not start; TFG_ETIMEOUT when the deadline killed it (the
 * result still holds what it printed). */
tfg_status tfg_proc_run(const tfg_proc_opts *o, tfg_proc_result *r, tfg_err *err);
void tfg_proc_result_free(tfg_proc_result *r);

#endif
