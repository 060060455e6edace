/* prompt.h — the prompt templates (pilot/prompts/) and the context that fills their
 * placeholders (prompt.c). */
#ifndef TFG_PILOT_PROMPT_H
#define TFG_PILOT_PROMPT_H

#include <jansson.h>
#include <stddef.h>

#include "core/error.h"
#include "spec/spec.h"

/* $TINYFORGE_PROMPTS, else prompts/ found by core/resource.h ($TINYFORGE_HOME, the
 * install, the source tree's pilot/prompts). */
const char *tfg_pilot_prompts_default_dir(void);
/* Reads <dir>/<name> and replaces every {{key}} by the string ctx[key] (a missing key
 * is an error naming the template and the key: a template must not ask for context the
 * stage does not give). A new string in *out. */
tfg_status tfg_pilot_render(const char *dir, const char *name, const json_t *ctx, char **out,
                            tfg_err *err);

/* The prompt context: an object of strings, one per {{placeholder}}. ctx[key] =
 * printf(...) */
void tfg_pilot_ctx_set(json_t *ctx, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Pretty JSON text, cut at max bytes with a note saying so (a new string). */
char *tfg_pilot_json_text(const json_t *j, size_t max);
/* The board's limits and the spec's budgets as prompt text (ctx "board", "budgets"). */
void tfg_pilot_ctx_board(json_t *ctx, const tfg_spec *s);

#endif
