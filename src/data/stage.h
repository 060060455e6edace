/* stage.h — the data stage as one call: load the spec's sources, profile them, choose
 * the plan (a plan file given, the one a person edited in the run directory, or the
 * builtin planner's), execute it, and publish every artifact in <out>/data/ at once:
 *
 *   profile.json     the raw data's profile            plan.json     the plan applied
 *   train.bin val.bin test.bin   the cleaned splits    preprocess.json  device recipe
 *   summary.json     what happened (rows, splits, classes, the log of every op)
 *   manifest.json    input and output hashes: an unchanged stage is skipped
 *
 * The CLI prints; this file only returns results. */
#ifndef TFG_DATA_STAGE_H
#define TFG_DATA_STAGE_H

#include <jansson.h>
#include <stdbool.h>

#include "core/error.h"
#include "core/progress.h"
#include "data/csv.h"
#include "data/table.h"
#include "spec/spec.h"

typedef struct {
    const char *out;        /* the run directory; artifacts go to <out>/data */
    const char *plan_file;  /* use this plan (it is copied into the run), or NULL */
    bool replan;            /* ignore a plan in the run directory: write the builtin one */
    bool force;             /* run even when nothing changed */
    tfg_progress *progress; /* may be NULL */
} tfg_data_opts;

typedef struct {
    bool skipped;       /* up to date: nothing was done (the artifacts are the last run's) */
    char *dir;          /* <out>/data */
    json_t *summary;    /* summary.json (also loaded when skipped) */
    json_t *profile;    /* profile.json */
    json_t *plan;       /* plan.json */
} tfg_data_outcome;

tfg_status tfg_data_stage(const tfg_spec *s, const tfg_data_opts *o, tfg_data_outcome *r,
                          tfg_err *err);
void tfg_data_outcome_free(tfg_data_outcome *r);
/* What `tinyforge check` asks of the stage: every data file is a regular file (or a gzip
 * of one) within the size limit, and the spec's data.plan, if any, parses as a plan. */
tfg_status tfg_data_check_spec(const tfg_spec *s, tfg_err *err);

/* Loads the spec's sources into one table and checks that the label and feature
 * columns exist (exposed for tests and later stages). */
tfg_status tfg_data_load_sources(const tfg_spec *s, tfg_table *t, tfg_err *err);
/* The same, with what each CSV source's reading found (its dialect, units, first rows)
 * in infos[0..s->n_sources), also when reading fails; free each with tfg_csv_info_free. */
tfg_status tfg_data_load_sources_info(const tfg_spec *s, tfg_table *t, tfg_csv_info *infos,
                                      tfg_err *err);

#endif
