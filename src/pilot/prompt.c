/* prompt.c — prompt templates are files a person reads and edits (pilot/prompts/):
 * plain text with {{placeholders}} that the stage fills with its context (the request,
 * the data profile, the board's limits, the budgets, the previous attempt's error).
 * Rendering is strict: a placeholder the stage does not provide is an error, so an
 * edited template cannot silently send an empty hole to a model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/io.h"
#include "core/resource.h"
#include "pilot/pilot.h"

const char *tfg_pilot_prompts_default_dir(void)
{
    static char *found;
    return tfg_resource_default(&found, "TINYFORGE_PROMPTS", "prompts", "pilot/prompts");
}

tfg_status tfg_pilot_render(const char *dir, const char *name, const json_t *ctx, char **out,
                            tfg_err *err)
{
    char *path = tfg_path_join(dir, name), *text;
    size_t len;
    tfg_status st = tfg_read_file(path, (size_t)1 << 20, &text, &len, err);
    if (st) {
        free(path);
        return tfg_err_prefix(err, "prompt template");
    }
    tfg_buf b;
    tfg_buf_init(&b);
    const char *p = text;
    for (const char *open; (open = strstr(p, "{{"));) {
        const char *close = strstr(open + 2, "}}");
        if (!close)
            break;
        tfg_buf_append(&b, p, (size_t)(open - p));
        char *key = tfg_xstrndup(open + 2, (size_t)(close - open - 2));
        const json_t *v = json_object_get(ctx, key);
        if (!json_is_string(v)) {
            size_t line = 1;
            const char *bol = text;
            for (const char *q = text; q < open; q++)
                if (*q == '\n') {
                    line++;
                    bol = q + 1;
                }
            char keys[512] = "";
            const char *k;
            const json_t *kv;
            json_object_foreach((json_t *)ctx, k, kv) {
                size_t used = strlen(keys);
                snprintf(keys + used, sizeof keys - used, "%s%s", used ? ", " : "", k);
            }
            st = tfg_err_at(err, TFG_EINPUT, path, line, (size_t)(open - bol) + 1,
                            "unknown placeholder {{%s}} (this stage provides: %s)", key, keys);
            free(key);
            break;
        }
        tfg_buf_printf(&b, "%s", json_string_value(v));
        free(key);
        p = close + 2;
    }
    if (!st) {
        tfg_buf_printf(&b, "%s", p);
        *out = tfg_buf_take(&b);
    }
    tfg_buf_free(&b);
    free(text);
    free(path);
    return st;
}
