/* tool.h — run a compiler, linker or size tool: an argv that owns some of its strings,
 * the command and its output appended to a build log, a deadline, and a failure told
 * apart from a missing tool, with the few output lines worth quoting.
 *
 * Why in core/: three builds compile C — the build stage's host check (codegen/stage.c,
 * with the host's cc), the validate stage's firmware and the sketch's firmware
 * (target/fw_build.c, with the board's cross compiler). target sits on codegen, so a
 * helper in target/ would make codegen point up; core/ is below both and already runs
 * external programs (core/proc.h), so "compile these sources with these flags" lives
 * here and knows nothing of models or boards. */
#ifndef TFG_CORE_TOOL_H
#define TFG_CORE_TOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/alloc.h"
#include "core/error.h"

/* An argv: arguments borrowed, or owned and freed with it; v stays NULL-terminated.
 * Past TFG_ARGV_MAX arguments further ones are dropped, far above any real command. */
#define TFG_ARGV_MAX 256
typedef struct {
    const char *v[TFG_ARGV_MAX];
    char *owned[TFG_ARGV_MAX];
    int n, n_owned;
} tfg_argv;

void tfg_argv_add(tfg_argv *a, const char *s);
void tfg_argv_own(tfg_argv *a, char *s);
void tfg_argv_free(tfg_argv *a);

/* True when prog (a bare name) is an executable file in a $PATH directory, or prog
 * contains a '/' and is executable. */
bool tfg_tool_on_path(const char *prog);

/* Up to three lines of a compiler's or linker's output that report the problem
 * (error, undefined reference, region overflow), " | "-joined, each cut at 300 bytes;
 * the first 300 bytes when none does. A new string. */
char *tfg_tool_first_errors(const char *text);

typedef struct {
    const char *const *argv;  /* argv[0]: the tool, looked up on PATH */
    double timeout_s;         /* <= 0: 120 s */
    tfg_buf *log;             /* the command line and all output are appended; may be NULL */
    const char *missing_hint; /* said when argv[0] is not on PATH ("Debian package gcc-avr;
                                 it builds firmware for the Arduino Uno"); may be NULL */
    bool quiet_or_fail;       /* any output on stderr fails too (warnings are refusals) */
} tfg_tool_opts;

typedef struct {
    bool refused;             /* the tool ran and said no (exit status, signal, or output
                                 under quiet_or_fail): the sources' fault, not the machine's */
    char *out;                /* its stdout when it succeeded (NUL-terminated) */
} tfg_tool_result;

/* TFG_OK when the tool succeeded. TFG_EPROC with r->refused when it failed ("avr-gcc
 * failed (exit status 1): <first error lines>"); TFG_EPROC without it when the tool is
 * not on PATH or cannot start; TFG_ETIMEOUT when it hangs. */
tfg_status tfg_tool_run(const tfg_tool_opts *o, tfg_tool_result *r, tfg_err *err);
void tfg_tool_result_free(tfg_tool_result *r);

#endif
