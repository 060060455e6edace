/* error.c — formatting of tfg_err messages (see error.h for the convention). */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void vset(tfg_err *err, size_t off, const char *fmt, va_list ap)
{
    if (off >= sizeof err->msg)
        return;
    vsnprintf(err->msg + off, sizeof err->msg - off, fmt, ap);
}

tfg_status tfg_err_set(tfg_err *err, tfg_status code, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vset(err, 0, fmt, ap);
    va_end(ap);
    return code;
}

tfg_status tfg_err_at(tfg_err *err, tfg_status code, const char *file, size_t line, size_t col,
                      const char *fmt, ...)
{
    if (!err)
        return code;
    int n;
    if (line && col)
        n = snprintf(err->msg, sizeof err->msg, "%s:%zu:%zu: ", file, line, col);
    else if (line)
        n = snprintf(err->msg, sizeof err->msg, "%s:%zu: ", file, line);
    else
        n = snprintf(err->msg, sizeof err->msg, "%s: ", file);
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vset(err, n < 0 ? 0 : (size_t)n, fmt, ap);
    va_end(ap);
    return code;
}

tfg_status tfg_err_field(tfg_err *err, tfg_status code, const char *file, const char *path,
                         const char *fmt, ...)
{
    if (!err)
        return code;
    int n;
    if (path && *path)
        n = snprintf(err->msg, sizeof err->msg, "%s: %s: ", file, path);
    else
        n = snprintf(err->msg, sizeof err->msg, "%s: ", file);
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vset(err, n < 0 ? 0 : (size_t)n, fmt, ap);
    va_end(ap);
    return code;
}

tfg_status tfg_err_prefix(tfg_err *err, const char *fmt, ...)
{
    if (!err)
        return TFG_EINTERNAL;
    char head[TFG_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    size_t cap = sizeof err->msg - 1;
    size_t hl = strlen(head);
    if (hl > cap - 2)
        hl = cap - 2;
    size_t ml = strlen(err->msg);
    if (ml > cap - hl - 2)
        ml = cap - hl - 2; /* the tail of a very long message is dropped */
    memmove(err->msg + hl + 2, err->msg, ml);
    memcpy(err->msg, head, hl);
    memcpy(err->msg + hl, ": ", 2);
    err->msg[hl + 2 + ml] = '\0';
    return err->code;
}

void tfg_err_clear(tfg_err *err)
{
    if (err) {
        err->code = TFG_OK;
        err->msg[0] = '\0';
    }
}

const char *tfg_status_name(tfg_status code)
{
    switch (code) {
    case TFG_OK: return "ok";
    case TFG_EUSAGE: return "usage";
    case TFG_EINPUT: return "input";
    case TFG_EIO: return "io";
    case TFG_ENOMEM: return "memory";
    case TFG_ECHECK: return "check";
    case TFG_ETIMEOUT: return "timeout";
    case TFG_EPROC: return "process";
    case TFG_EINTERNAL: return "internal";
    }
    return "unknown";
}
