/* pilot.h — the pilot: LLM-assisted stages with strict validators, a repair loop and
 * routing (DESIGN.md, "Who produces what: the pilot").
 *
 * For one stage the pilot renders the stage's prompt templates (pilot/prompts/) with
 * the context the stage needs, asks the first backend of the stage's route for a
 * proposal, extracts the JSON (or C) from the reply, and hands it to the stage's
 * validator. A rejected proposal goes back to the same backend with the validator's
 * error, up to `attempts` times; then the next backend of the route is asked. Every
 * route ends at "builtin", whose deterministic handlers (the builtin planner, chooser,
 * default settings, a rule-based spec writer) answer through exactly the same
 * propose -> validate path. Every attempt is one line of <out>/llm/pilot.jsonl, next to
 * the LLM layer's trace.
 *
 * Nothing a backend writes is executed on the host: plans, architectures and settings
 * are data that the stage libraries check and run. This layer prints nothing. */
#ifndef TFG_PILOT_PILOT_H
#define TFG_PILOT_PILOT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/progress.h"
#include "data/csv.h"
#include "llm/llm.h"
#include "pilot/extract.h"
#include "pilot/policy.h"
#include "pilot/prompt.h"
#include "pilot/stages.h"
#include "spec/rundir.h"
#include "spec/spec.h"

/* ---- the pilot (pilot.c) ----------------------------------------------------------- */

typedef struct {
    const char *out;                /* run directory: stage artifacts, <out>/llm/ */
    const tfg_spec *spec;           /* NULL only when the spec stage alone is run */
    const tfg_boards *boards;       /* the board table (spec stage, quantize spec copy) */
    const tfg_llm_config *config;   /* borrowed */
    const tfg_llm_prices *prices;   /* borrowed; NULL: costs unknown */
    const tfg_pilot_policy *policy; /* borrowed */
    tfg_llm_budget budget;
    bool offline;                   /* answer only from the LLM cache (builtin still runs) */
    const char *prompts_dir;        /* NULL: tfg_pilot_prompts_default_dir() */
    uint64_t worker;                /* the worker process's index (bench -j), else 0: with
                                       the spec's seed it seeds the LLM retry jitter */
    /* spec stage */
    const char *request;            /* the request in plain words */
    const char *data_file;          /* the data the spec must read: a CSV or IDX images */
    const char *labels_file;        /* IDX images: their labels file (NULL for a CSV) */
    const char *test_file;          /* optional: data kept whole as the test split */
    const char *test_labels_file;   /* IDX test images: their labels file */
    const char *spec_out;           /* where the accepted spec is written */
    const tfg_csv_opts *csv;        /* the CSV dialect given (header, delimiter, decimal,
                                       skip_rows); NULL: all detected */
    /* train stage */
    uint32_t epochs;                /* overrides training.epochs when > 0 */
    const char *train_cache;        /* NULL, or a directory of finished trainings keyed by
                                       their inputs (nn/stage.h): repeated validations of
                                       one architecture on one data set train once */
    /* sketch stage */
    size_t sketch_samples;          /* test samples streamed per pass (0: every one) */
    tfg_progress *progress;         /* may be NULL */
} tfg_pilot_opts;

/* What one stage's loop did. */
typedef struct {
    bool ok;                       /* a proposal was accepted */
    char backend[64];              /* the backend whose proposal was accepted */
    int attempts;                  /* proposals asked for, over the whole route */
    int escalations;               /* backends given up on */
    int classes[TFG_PILOT_CLASSES];/* rejected attempts per class */
    int64_t tokens_in, tokens_out;
    double cost;
    double llm_ms;                 /* sum of the calls' latencies */
    double seconds;                /* wall time of the stage: proposals and validation */
} tfg_pilot_result;

tfg_status tfg_pilot_open(tfg_pilot **out, const tfg_pilot_opts *opts, tfg_err *err);
void tfg_pilot_close(tfg_pilot *p);

/* Runs one stage ("spec", "data", "train", "quantize", "sketch") until
 * a proposal is accepted and its artifacts are published. TFG_ECHECK when every backend
 * of the route failed (the last validator error is in err); other codes for errors that
 * no proposal can repair (I/O, a bad route). res is filled either way. */
tfg_status tfg_pilot_run_stage(tfg_pilot *p, const char *stage, tfg_pilot_result *res,
                               tfg_err *err);

/* <out>/llm/pilot.jsonl (a new string). */
char *tfg_pilot_log_path(const char *out);

/* ---- what a stage implementation may read of the pilot ---------------------------- */

const tfg_pilot_opts *tfg_pilot_options(const tfg_pilot *p);
/* "<out>/llm/proposal-<stage>.json": where a proposal is kept for the stage to read. */
char *tfg_pilot_proposal_path(const tfg_pilot *p, const char *stage);
/* The data stage's summary.json of the run (NULL + err if the data stage has not run). */
tfg_status tfg_pilot_load_summary(const tfg_pilot *p, json_t **out, tfg_err *err);

#endif
