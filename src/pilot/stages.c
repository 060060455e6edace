/* stages.c — the pilot's entries by stage (the stages whose input a backend may
 * propose). A new proposed stage is
 * one more tfg_pilot_stage_def in its own file (as stage_sketch.c is) and its line
 * below, under the stage's id (spec/rundir.h); the lifecycle table (lifecycle.h) finds
 * it there. */
#include <stddef.h>

#include "pilot/stages.h"

static const tfg_pilot_stage_def *const defs[TFG_STAGE_COUNT] = {
    [TFG_STAGE_SPEC] = &tfg_pilot_stage_spec,
    [TFG_STAGE_DATA] = &tfg_pilot_stage_data,
    [TFG_STAGE_TRAIN] = &tfg_pilot_stage_train,
    [TFG_STAGE_QUANTIZE] = &tfg_pilot_stage_quantize,
    [TFG_STAGE_SKETCH] = &tfg_pilot_stage_sketch,
};

const tfg_pilot_stage_def *tfg_pilot_stage_for(tfg_stage_id id)
{
    return (unsigned)id < TFG_STAGE_COUNT ? defs[id] : NULL;
}

const tfg_pilot_stage_def *tfg_pilot_stage_find(const char *name)
{
    int id = tfg_stage_parse(name, NULL);
    return id < 0 ? NULL : defs[id];
}
