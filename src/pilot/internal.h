/* internal.h — what the pilot's files share and nothing outside src/pilot uses: the
 * pilot object, context helpers for the prompt placeholders, and the stages' pilot
 * entries (the lifecycle table, lifecycle.c, points at them). */
#ifndef TFG_PILOT_INTERNAL_H
#define TFG_PILOT_INTERNAL_H

#include <jansson.h>

#include "core/error.h"
#include "pilot/pilot.h"

struct tfg_pilot {
    tfg_pilot_opts o;
    char *prompts;                    /* the templates' directory */
    tfg_llm_run *run;
    char *log_path;                   /* <out>/llm/pilot.jsonl */
    const tfg_pilot_stage_def *cur;   /* the stage in progress (for the builtin handler) */
    void *cur_state;
};

/* ctx[key] = printf(...) */
void tfg_pilot_ctx_set(json_t *ctx, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Pretty JSON text, cut at max bytes with a note saying so (a new string). */
char *tfg_pilot_json_text(const json_t *j, size_t max);
/* The board's limits and the spec's budgets as prompt text (ctx "board", "budgets"). */
void tfg_pilot_ctx_board(json_t *ctx, const tfg_spec *s);
/* "<out>/llm/proposal-<stage>.json": where a proposal is kept for the stage to read. */
char *tfg_pilot_proposal_path(const tfg_pilot *p, const char *stage);
/* The data stage's summary.json of the run (NULL + err if the data stage has not run). */
tfg_status tfg_pilot_load_summary(const tfg_pilot *p, json_t **out, tfg_err *err);

/* One file each: stage_spec.c, stage_data.c, stage_train.c, stage_quantize.c,
 * stage_sketch.c. */
extern const tfg_pilot_stage_def tfg_pilot_stage_spec;
extern const tfg_pilot_stage_def tfg_pilot_stage_data;
extern const tfg_pilot_stage_def tfg_pilot_stage_train;
extern const tfg_pilot_stage_def tfg_pilot_stage_quantize;
extern const tfg_pilot_stage_def tfg_pilot_stage_sketch;

#endif
