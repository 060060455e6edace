/* load.h — a run directory as the report sees it: every stage's artifacts, loaded and
 * checked, with the facts the report shows pulled out of them.
 *
 * A stage that has not run (its file is absent) is simply not there: its JSON is NULL
 * and its numbers are NAN, and the report says "not run". A file that is present but
 * malformed (not JSON, a field of the wrong type, a confusion matrix of the wrong size)
 * is TFG_EINPUT naming the file and the field, because a report built on it would show
 * wrong numbers. Every field the report reads is checked here, so composing the report
 * (compose.c) cannot fail.
 *
 * Files read (docs/report.md lists them with the fields used):
 *   data/summary.json data/profile.json data/plan.json   train/report.json train/arch.json
 *   quantize/report.json build/report.json validate/report.json sketch/report.json
 * (spec/rundir.h has their places; the stages' reports are read by their typed readers,
 * spec/results.h, and the figures kept below). */
#ifndef TFG_REPORT_LOAD_H
#define TFG_REPORT_LOAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "report/metrics.h"
#include "spec/results.h"

typedef enum {
    TFG_RUN_DATA,
    TFG_RUN_TRAIN,
    TFG_RUN_QUANT,
    TFG_RUN_BUILD,
    TFG_RUN_VALIDATE,
    TFG_RUN_SKETCH,
    TFG_RUN_STAGES
} tfg_run_stage;

/* The stage's one name (spec/rundir.h): "data", "train", "quantize", ... */
const char *tfg_run_stage_name(tfg_run_stage s);

typedef enum {
    TFG_RUN_SUMMARY, /* data/summary.json */
    TFG_RUN_PROFILE, /* data/profile.json */
    TFG_RUN_PLAN,    /* data/plan.json */
    TFG_RUN_TRAINREP,/* train/report.json */
    TFG_RUN_ARCH,    /* train/arch.json */
    TFG_RUN_QUANTREP,/* quantize/report.json */
    TFG_RUN_BUILDREP,/* build/report.json */
    TFG_RUN_VALREP,  /* validate/report.json */
    TFG_RUN_SKETCHREP, /* sketch/report.json */
    TFG_RUN_FILES
} tfg_run_file_id;

typedef struct {
    char *path; /* <out>/<stage>/<name> */
    json_t *j;  /* NULL: absent */
} tfg_run_file;

/* Where the memory figures come from, most trustworthy first. */
typedef enum {
    TFG_MEM_NONE,     /* no stage said anything about memory */
    TFG_MEM_TRAIN,    /* the trainer's estimate */
    TFG_MEM_BUILD,    /* the generated model: weights in flash, arena in RAM */
    TFG_MEM_FIRMWARE  /* the firmware's link map (validate) */
} tfg_mem_source;

typedef struct {
    tfg_run_file files[TFG_RUN_FILES];
    bool ran[TFG_RUN_STAGES];       /* the stage's report file is there */
    /* The stages' reports, typed (valid where the file is there; strings borrowed from
     * files[].j). */
    tfg_train_result train;
    tfg_quantize_result quantize;
    tfg_build_result build;
    tfg_validate_result validate;
    tfg_sketch_result sketch;
    double seconds[TFG_RUN_STAGES]; /* NAN: not run or not reported */

    char **classes;                 /* class names (quant, else data, else train) or NULL */
    size_t n_classes;

    double acc_float, acc_int8, acc_device; /* NAN: unknown */
    tfg_confusion cm_float, cm_int8, cm_device; /* n == 0: absent */

    struct {
        tfg_mem_source source;
        uint64_t flash_used, flash_limit, ram_used, ram_limit; /* limit 0: board's unknown */
        int64_t weights, code, arena; /* parts; -1 unknown */
    } mem;
} tfg_run;

/* Loads and checks what there is of <out>'s artifacts. The board limits of the spec's
 * board fill in what the validate stage did not report (flash_limit, ram_limit may be
 * passed as 0 when unknown). */
tfg_status tfg_run_load(const char *out, uint64_t board_flash, uint64_t board_ram, tfg_run *r,
                        tfg_err *err);
void tfg_run_free(tfg_run *r);

/* The most final confusion matrix (device, else int8, else float) and its name, or
 * NULL when there is none. */
const tfg_confusion *tfg_run_final_confusion(const tfg_run *r, const char **which);

#endif
