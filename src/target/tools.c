/* tools.c — what running the cross compilers needs in common (target_internal.h): an
 * argv that owns some of its strings, and the lines of a tool's output worth quoting. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target/target_internal.h"

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

static bool reports_problem(const char *line)
{
    return strstr(line, "error") || strstr(line, "overflow") ||
           strstr(line, "undefined reference") || strstr(line, "/ld: ");
}

char *tfg_tool_first_errors(const char *text)
{
    tfg_buf b;
    tfg_buf_init(&b);
    int k = 0;
    for (const char *p = text; *p && k < 3;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char line[304];
        snprintf(line, sizeof line, "%.*s", (int)(len > 300 ? 300 : len), p);
        if (reports_problem(line))
            tfg_buf_printf(&b, "%s%s", k++ ? " | " : "", line);
        p += len + (e ? 1 : 0);
    }
    if (k == 0)
        tfg_buf_printf(&b, "%.300s", text);
    return tfg_buf_take(&b);
}
