/* stages.c — the pilot's entries by stage (the stages whose input a backend may
 * propose), and the small helpers the stages' prompts share. A new proposed stage is
 * one more tfg_pilot_stage_def in its own file (as stage_sketch.c is) and its line
 * below, under the stage's id (spec/rundir.h); the lifecycle table (lifecycle.h) finds
 * it there. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/io.h"
#include "core/json.h"
#include "pilot/internal.h"
#include "spec/rundir.h"

static const tfg_pilot_stage_def *const defs[TFG_STAGE_COUNT] = {
    [TFG_STAGE_SPEC] = &tfg_pilot_stage_spec,         [TFG_STAGE_DATA] = &tfg_pilot_stage_data,
    [TFG_STAGE_TRAIN] = &tfg_pilot_stage_train,       [TFG_STAGE_QUANTIZE] = &tfg_pilot_stage_quantize,
    [TFG_STAGE_SKETCH] = &tfg_pilot_stage_sketch};

const tfg_pilot_stage_def *tfg_pilot_stage_for(tfg_stage_id id)
{
    return (unsigned)id < TFG_STAGE_COUNT ? defs[id] : NULL;
}

const tfg_pilot_stage_def *tfg_pilot_stage_find(const char *name)
{
    int id = tfg_stage_parse(name, NULL);
    return id < 0 ? NULL : defs[id];
}

void tfg_pilot_ctx_set(json_t *ctx, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    s = tfg_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
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

char *tfg_pilot_proposal_path(const tfg_pilot *p, const char *stage)
{
    char *llm = tfg_rundir_llm(p->o.out);
    char *path = tfg_xasprintf("%s/proposal-%s.json", llm, stage);
    free(llm);
    return path;
}

tfg_status tfg_pilot_load_summary(const tfg_pilot *p, json_t **out, tfg_err *err)
{
    char *path = tfg_rundir_path(p->o.out, TFG_ART_DATA_SUMMARY);
    tfg_status st = TFG_OK;
    if (!tfg_exists(path))
        st = tfg_err_set(err, TFG_EINPUT,
                         "%s: not found; the data stage must run first (tinyforge data SPEC)",
                         path);
    else
        st = tfg_json_load_file(path, out, err);
    free(path);
    return st;
}
