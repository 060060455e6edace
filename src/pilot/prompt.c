/* prompt.c — prompt templates are files a person reads and edits (pilot/prompts/):
 * plain text with {{placeholders}} that the stage fills with its context (the request,
 * the data profile, the board's limits, the budgets, the previous attempt's error).
 * Rendering is strict: a placeholder the stage does not provide is an error, so an
 * edited template cannot silently send an empty hole to a model. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/io.h"
#include "core/resource.h"
#include "pilot/prompt.h"

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

void tfg_pilot_ctx_set(json_t *ctx, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = tfg_xvasprintf(fmt, ap);
    va_end(ap);
    json_object_set_new(ctx, key, json_string(s));
    free(s);
}

char *tfg_pilot_json_text(const json_t *j, size_t max)
{
    char *t = json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    if (!t)
        return tfg_xstrdup("null");
    size_t n = strlen(t);
    if (n <= max)
        return t;
    char *cut = tfg_xasprintf("%.*s\n... (cut: %zu of %zu bytes shown)", (int)max, t, max, n);
    free(t);
    return cut;
}

void tfg_pilot_ctx_board(json_t *ctx, const tfg_spec *s)
{
    const tfg_board *b = &s->board;
    tfg_pilot_ctx_set(ctx, "board",
                      "%s (id %s): %s, %s at %.0f MHz, %llu bytes of flash, %llu bytes of RAM, "
                      "%s",
                      b->name, b->id, b->mcu, b->core, (double)b->clock_hz / 1e6,
                      (unsigned long long)b->flash_bytes, (unsigned long long)b->ram_bytes,
                      b->fpu ? "hardware float" : "no FPU");
    if (s->budget.latency_ms > 0)
        tfg_pilot_ctx_set(ctx, "budgets",
                          "flash %llu bytes, RAM %llu bytes, latency %g ms per inference",
                          (unsigned long long)s->budget.flash_bytes,
                          (unsigned long long)s->budget.ram_bytes, s->budget.latency_ms);
    else
        tfg_pilot_ctx_set(ctx, "budgets", "flash %llu bytes, RAM %llu bytes",
                          (unsigned long long)s->budget.flash_bytes,
                          (unsigned long long)s->budget.ram_bytes);
}
