/* bench.h — the study bench (issue 8, part 5): the same stage run many times by one
 * backend, each run in its own directory, in parallel worker processes, summed into the
 * table that studies of LLM-assisted TinyML publish: success rate, mean and standard
 * deviation of the time to an accepted proposal, tokens and cost per run, and the
 * failure classes of the rejected attempts.
 *
 * The stages measured are the lifecycle table's with a pilot entry (pilot/lifecycle.h).
 * A run of one stage starts from the same prerequisites (the builtin's data, train and
 * quantize stages and the build, as far as the table says the stage needs them,
 * prepared once in <out>/base and linked into each run); "all" runs spec, data, train,
 * quantize and sketch in a chain in one directory (the build, which nothing proposes,
 * between quantize and sketch, its time counted to the sketch); the stages after spec use the spec given, not the one the
 * spec stage proposed (which is checked, then kept in the run's spec.json), so every
 * stage is measured on the same footing as in its own bench. The backend is measured
 * alone: its route is just itself (no escalation), so a failure counts as one.
 *
 * Trainings go through a training cache in <out>/train-cache (nn/stage.h), fresh for
 * each bench: the train stage's validator trains every proposal, and training is
 * bit-reproducible, so 30 runs proposing the same architecture train it once (the
 * first) and validate the same weights 30 times; report.json's "cache" says which. */
#ifndef TFG_PILOT_BENCH_H
#define TFG_PILOT_BENCH_H

#include <jansson.h>

#include "pilot/pilot.h"

typedef struct {
    const tfg_spec *spec;
    const tfg_boards *boards;
    const tfg_llm_config *config;
    const tfg_llm_prices *prices;
    const char *stage;       /* "spec", "data", "train", "quantize", "sketch" or "all" */
    int runs;                /* repetitions per stage (e.g. 30) */
    int jobs;                /* worker processes (1: in this process) */
    const char *backend;     /* the backend measured */
    int attempts;            /* per run (0: the spec's routing.attempts or 5) */
    const char *out;         /* the bench directory */
    const char *request;     /* spec stage: the request (default: the spec's description) */
    uint32_t epochs;         /* train stage: overrides training.epochs when > 0 */
    size_t sketch_samples;   /* sketch stage: test samples streamed per pass (0: all) */
    bool offline;
    bool no_train_cache;     /* train every proposal again, even one already trained */
    tfg_progress *progress;  /* may be NULL: one step per finished run */
} tfg_bench_opts;

/* Runs the study and writes <out>/bench.csv (one row per run and stage), bench.md (the
 * table) and bench.json (the table as data). *summary gets bench.json's object:
 * {"backend", "runs", "stages": [{"stage", "runs", "ok", "success", "seconds_mean",
 * "seconds_std", "tokens_in_mean", "tokens_out_mean", "cost_mean", "attempts_mean",
 * "classes": {CLASS: count}}], "markdown": TEXT}. */
tfg_status tfg_pilot_bench(const tfg_bench_opts *o, json_t **summary, tfg_err *err);

#endif
