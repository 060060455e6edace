/* error.h — the one error convention of tinyforge.
 *
 * Every function that can fail returns a tfg_status and fills a caller-owned tfg_err
 * with a code and one human sentence that names where the problem is: a file with
 * line and column ("fruit.csv:12:3: ..."), or a file with a JSON field path
 * ("spec.json: budgets.flash_bytes: ..."). Callers may prefix context as the error
 * travels up (tfg_err_prefix). The CLI maps codes to exit codes (see cli/main.c). */
#ifndef TFG_CORE_ERROR_H
#define TFG_CORE_ERROR_H

#include <stddef.h>

typedef enum {
    TFG_OK = 0,
    TFG_EUSAGE,    /* the caller asked for something meaningless (bad option, bad arg) */
    TFG_EINPUT,    /* user input is wrong: spec, data file, plan, model file */
    TFG_EIO,       /* the file system said no: missing file, permission, disk full */
    TFG_ENOMEM,    /* allocation failed */
    TFG_ECHECK,    /* a post-condition or validation did not hold */
    TFG_ETIMEOUT,  /* a subprocess or request ran out of time */
    TFG_EPROC,     /* a subprocess failed to start or died */
    TFG_EINTERNAL  /* a bug in tinyforge */
} tfg_status;

#define TFG_ERR_MSG_MAX 1024

typedef struct {
    tfg_status code;
    char msg[TFG_ERR_MSG_MAX];
} tfg_err;

#if defined(__GNUC__)
#define TFG_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TFG_PRINTF(a, b)
#endif

/* Sets the error and returns code, so `return tfg_err_set(err, TFG_EINPUT, ...)` reads well.
 * err may be NULL (the message is then dropped). */
tfg_status tfg_err_set(tfg_err *err, tfg_status code, const char *fmt, ...) TFG_PRINTF(3, 4);

/* "file:line:col: message"; line or col 0 leaves it out. */
tfg_status tfg_err_at(tfg_err *err, tfg_status code, const char *file, size_t line, size_t col,
                      const char *fmt, ...) TFG_PRINTF(6, 7);

/* "file: path: message" where path is a JSON field path such as "ops[3].columns". */
tfg_status tfg_err_field(tfg_err *err, tfg_status code, const char *file, const char *path,
                         const char *fmt, ...) TFG_PRINTF(5, 6);

/* Puts "context: " before the current message; keeps the code. Returns the code. */
tfg_status tfg_err_prefix(tfg_err *err, const char *fmt, ...) TFG_PRINTF(2, 3);

void tfg_err_clear(tfg_err *err);

/* A short stable name for a code ("input", "io", ...) for --json output. */
const char *tfg_status_name(tfg_status code);

#endif
