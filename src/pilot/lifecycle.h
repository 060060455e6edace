/* lifecycle.h — the lifecycle as one table: one descriptor per stage, in order.
 *
 * A descriptor says everything the rest of tinyforge needs to know of a stage: its one
 * name (spec/rundir.h), what it does in a line, the stages whose folders it reads,
 * whether it applies to a spec, how to run it over the options every stage shares, and
 * the line its result makes. Its pilot entry, which lets a backend propose its input (a
 * data plan, an architecture, quantization settings, a sketch), is found by the same
 * id (tfg_lifecycle_pilot); the pilot's loop below this table knows nothing of it.
 *
 * `tinyforge run` walks the table; every stage command runs its stage through it;
 * `bench` takes its chain and the prerequisites of a stage from it; the pilot finds its
 * stages in it. Adding a stage (pruning, deployment) is one entry in lifecycle.c plus
 * the stage's own file. This layer prints nothing. */
#ifndef TFG_PILOT_LIFECYCLE_H
#define TFG_PILOT_LIFECYCLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "core/progress.h"
#include "pilot/pilot.h"
#include "spec/results.h"
#include "spec/rundir.h"
#include "spec/spec.h"

/* What every stage shares. A stage command may pass its stage library's own options
 * too (`own`: a tfg_data_opts, tfg_train_stage_opts, tfg_validate_opts or
 * tfg_sketch_stage_opts, by the stage's id), for what only that stage has (--arch,
 * --plan, --uart, ...); out, force, progress and board here win over its fields. */
typedef struct {
    const char *out;          /* the run directory */
    bool force;               /* run even when nothing changed */
    tfg_progress *progress;   /* may be NULL */
    const tfg_board *board;   /* validate, sketch: another board than the spec's, or NULL */
    size_t sketch_samples;    /* sketch: test readings streamed per pass (0: all) */
    const void *own;          /* the stage library's own options, or NULL */
} tfg_stage_opts;

/* What a stage did, in the terms every caller understands. */
typedef struct {
    tfg_stage_id stage;
    bool skipped;             /* up to date: the last run's artifacts stand */
    bool not_applicable;      /* the stage does not apply to this spec (note says why) */
    bool cached;              /* train: published from the training cache */
    char *dir;                /* <out>/<stage> */
    json_t *report;           /* the stage's report.json (or summary), or NULL */
    char *report_path;        /* where report was read from, or NULL */
    /* The report's figures, read and checked by its typed reader (spec/results.h), for
     * the stages that have one (train, quantize, build, validate, sketch) when
     * has_result; the member of the stage's name is the valid one. Strings are
     * borrowed from report. */
    bool has_result;
    union {
        tfg_train_result train;
        tfg_quantize_result quantize;
        tfg_build_result build;
        tfg_validate_result validate;
        tfg_sketch_result sketch;
    } result;
    char note[200];           /* the figure `run` shows on the stage's line, or "" */
    tfg_pilot_result pilot;   /* when a backend's proposal was accepted (pilot.ok) */
} tfg_stage_outcome;

typedef struct tfg_stage_desc {
    tfg_stage_id id;
    const char *summary;      /* one line for `tinyforge help` */
    /* The stages whose folders it reads, ending with TFG_STAGE_COUNT. */
    const tfg_stage_id *prereqs;
    bool in_run;              /* `tinyforge run` runs it */
    /* NULL: it applies to every spec. Else false with the reason in why. */
    bool (*applies)(const tfg_spec *s, const char *out, char *why, size_t n);
    /* Runs the stage as its command does (NULL for the spec stage: `tinyforge new`). */
    tfg_status (*run)(const tfg_spec *s, const tfg_stage_opts *o, tfg_stage_outcome *r,
                      tfg_err *err);
    /* What `tinyforge check` asks of it: the spec's sections and files it will read, read
     * as its run reads them, with nothing run; NULL: it reads nothing of the spec beyond
     * what tfg_spec_load checked. */
    tfg_status (*check)(const tfg_spec *s, tfg_err *err);
} tfg_stage_desc;

/* The table: TFG_STAGE_COUNT descriptors in lifecycle order. */
const tfg_stage_desc *tfg_lifecycle(void);
const tfg_stage_desc *tfg_lifecycle_stage(tfg_stage_id id);
/* By name (or an old name, see tfg_stage_parse); NULL when none. */
const tfg_stage_desc *tfg_lifecycle_find(const char *name);
/* Its proposals and their validator (pilot/stages.c), or NULL when nothing of the stage
 * is proposed. */
const tfg_pilot_stage_def *tfg_lifecycle_pilot(const tfg_stage_desc *d);

/* Runs one stage: not applicable when its applies() says so; through the pilot when p
 * is given and its policy routes the stage to a backend; else its run function. The
 * outcome is filled in every case (free it); r->note gets the stage's figure. */
tfg_status tfg_lifecycle_run(const tfg_stage_desc *d, const tfg_spec *s,
                             const tfg_stage_opts *o, tfg_pilot *p,
                             const tfg_pilot_policy *policy, tfg_stage_outcome *r,
                             tfg_err *err);
void tfg_stage_outcome_free(tfg_stage_outcome *r);

/* Everything of the spec a run will read, without running: every stage's check, then
 * who serves the stages (routing over the spec's backends, else the user's llm.json at
 * config_path or its default place). The first problem, with its field path. */
tfg_status tfg_lifecycle_check(const tfg_spec *s, const char *config_path, tfg_err *err);

/* Every stage the given stage needs before it, transitively, in lifecycle order, into
 * out[] (room for TFG_STAGE_COUNT); returns how many. */
size_t tfg_lifecycle_needs(tfg_stage_id id, tfg_stage_id *out);

#endif
