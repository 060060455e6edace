/* plan.h — the data plan: an ordered list of operations from a fixed registry, each with
 * its arguments and a `why`, that turns the loaded table into train/val/test splits and
 * a device-side preprocessing recipe. The format is in docs/plan.md.
 *
 * Parsing checks the plan's shape (known ops, known arguments of the right types);
 * executing checks it against the data (columns exist, types fit) and checks each op's
 * post-condition. The split is drawn first, from the raw rows (only a window op runs
 * before it); every other op is fitted on the training split and applied to every split
 * (so no statistic leaks from val/test), and no op removes a val or test row.
 * Errors name the plan file and the op: "plan.json: ops[3].strategy: ...". */
#ifndef TFG_DATA_PLAN_H
#define TFG_DATA_PLAN_H

#include <jansson.h>

#include "core/error.h"
#include "core/progress.h"
#include "data/profile.h"
#include "data/splitfile.h"
#include "data/table.h"
#include "spec/spec.h"

typedef struct tfg_plan tfg_plan;

/* file names the plan in messages. Takes no reference to j. */
tfg_status tfg_plan_parse(const json_t *j, const char *file, tfg_plan **out, tfg_err *err);
tfg_status tfg_plan_load(const char *path, tfg_plan **out, tfg_err *err);
void tfg_plan_free(tfg_plan *p);
size_t tfg_plan_size(const tfg_plan *p);

/* The builtin planner: a sensible plan for this spec from the profile (deterministic). */
json_t *tfg_plan_builtin(const tfg_profile *prof, const tfg_spec *s);

typedef struct {
    tfg_split train, val, test;
    json_t *preprocess;  /* preprocess.json: what a device applies to a raw reading */
    json_t *log;         /* one entry per op: what it did, rows before/after */
    char **classes;      /* class names by class index (classification), NULL-terminated */
    size_t n_classes;
    char **features;     /* model input names in order, NULL-terminated */
    size_t n_features;
    /* The test split's raw readings (data/test_raw.bin): one value per preprocess.json
     * "inputs" name (NaN = missing, a categorical input as its index in
     * "input_levels"), the test labels, rows in test.bin's order; taken after the split
     * and before the train-fitted steps, and checked to replay to test.bin's features
     * bit for bit. Empty (x == NULL) when that cannot hold; raw_why says why. */
    tfg_split test_raw;
    char *raw_why;
    /* Where the rows went, for summary.json: {"splits": {"train": {"drawn", "drawn_by_class",
     * "dropped", "dropped_by_class", ...}, "val": {..., "unusable_missing_label"}, "test":
     * {...}}, "cleaning": [{"part", "rows", "rows_by_class", "dropped", "dropped_by_class",
     * "dropped_missing_label"}]}: per class by the label's class name (docs/plan.md). */
    json_t *accounting;
} tfg_data_result;

/* Runs the plan on t (which it consumes and leaves empty). */
tfg_status tfg_plan_execute(const tfg_plan *p, const tfg_spec *s, tfg_table *t,
                            tfg_progress *progress, tfg_data_result *res, tfg_err *err);
void tfg_data_result_free(tfg_data_result *r);

#endif
