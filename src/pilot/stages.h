/* stages.h — the hook a proposed stage plugs into: its tfg_pilot_stage_def (context,
 * builtin, validator), and the pilot entries by stage id (stages.c). */
#ifndef TFG_PILOT_STAGES_H
#define TFG_PILOT_STAGES_H

#include <jansson.h>

#include "core/error.h"
#include "llm/llm.h"
#include "pilot/extract.h"
#include "spec/rundir.h"

typedef struct tfg_pilot tfg_pilot; /* the loop (pilot.h) */

/* A stage the pilot can serve, found by its stage id (tfg_pilot_stage_for; the
 * lifecycle table asks through tfg_lifecycle_pilot), in a file of its own (stage_sketch.c: context from the build stage,
 * builtin = the sketch template, validate = compile + run on the emulated board, with
 * tfg_pilot_extract_code). */
typedef struct tfg_pilot_stage_def {
    const char *name;        /* route key, prompt stem (<name>.system.md, <name>.user.md),
                                LLM stage label */
    tfg_llm_format format;   /* what the request asks for (JSON, or TEXT for code) */
    /* Fills ctx (an object of strings, the prompt placeholders) and prepares whatever
     * the builtin and the validator need (kept in *state, freed by done). sent gets
     * the names of the data-derived fields that went into ctx under the llm_data
     * policy (recorded in the log). */
    tfg_status (*prepare)(tfg_pilot *p, void **state, json_t *ctx, json_t *sent,
                          tfg_err *err);
    /* The builtin backend's reply (deterministic). */
    tfg_status (*builtin)(tfg_pilot *p, void *state, char **reply, tfg_err *err);
    /* Checks a reply. TFG_OK with *cls == TFG_PILOT_OK: accepted and published. TFG_OK
     * with another class: rejected, err holds the validator's message (sent back to the
     * backend). Another status: an error no proposal can repair. */
    tfg_status (*validate)(tfg_pilot *p, void *state, const char *reply,
                           tfg_pilot_class *cls, tfg_err *err);
    void (*done)(void *state);
} tfg_pilot_stage_def;

/* The pilot entry of a stage, or NULL when nothing of that stage is proposed; by its id
 * or its name (or an old name: spec/rundir.h). */
const tfg_pilot_stage_def *tfg_pilot_stage_for(tfg_stage_id id);
const tfg_pilot_stage_def *tfg_pilot_stage_find(const char *name);

/* One file each: stage_spec.c, stage_data.c, stage_train.c, stage_quantize.c,
 * stage_sketch.c. */
extern const tfg_pilot_stage_def tfg_pilot_stage_spec;
extern const tfg_pilot_stage_def tfg_pilot_stage_data;
extern const tfg_pilot_stage_def tfg_pilot_stage_train;
extern const tfg_pilot_stage_def tfg_pilot_stage_quantize;
extern const tfg_pilot_stage_def tfg_pilot_stage_sketch;

#endif
