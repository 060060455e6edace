/* log.c — leveled logging with a replaceable sink (see log.h). */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>

static tfg_log_level max_level = TFG_LOG_INFO;
static tfg_log_sink sink;
static void *sink_user;

void tfg_log_set_level(tfg_log_level max)
{
    max_level = max;
}

tfg_log_level tfg_log_get_level(void)
{
    return max_level;
}

void tfg_log_set_sink(tfg_log_sink s, void *user)
{
    sink = s;
    sink_user = user;
}

void tfg_log(tfg_log_level level, const char *fmt, ...)
{
    if (level > max_level)
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (sink) {
        sink(level, msg, sink_user);
        return;
    }
    static const char *const names[] = {"error: ", "warning: ", "", "debug: "};
    fprintf(stderr, "tinyforge: %s%s\n", names[level], msg);
}
