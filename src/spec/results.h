/* results.h — what a stage's report.json says, typed: one reader per report kind.
 *
 * A stage writes its report.json once (train/, quantize/, build/, validate/, sketch/);
 * the CLI prints its figures, `run` puts them on the stage's line, the pilot feeds them
 * to prompts and the report shows them. All of them read the figures through these
 * readers, which check every field they return and say which is missing or wrong
 * ("runs/fruit/quantize/report.json: int8_accuracy: required field is missing"), so a
 * misspelt key is an error here instead of a silent 0 somewhere else.
 *
 * An optional figure a report does not have is NAN (numbers) or -1 (counts) or NULL
 * (strings). Strings are borrowed from the JSON object read: valid while it lives.
 * Layering: spec/ sits on core/; the writers (nn, quant, codegen, target) and every
 * reader use it. */
#ifndef TFG_SPEC_RESULTS_H
#define TFG_SPEC_RESULTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

/* train/report.json */
typedef struct {
    int64_t params, macs;          /* -1: not reported */
    int64_t epochs_run, best_epoch;
    int64_t est_flash, est_ram;    /* the trainer's estimate on the board; -1: none */
    double test_accuracy;          /* classification only; NAN otherwise */
    double test_loss;
    double test_mae, test_r2;      /* regression only; NAN otherwise (r2 also when the
                                      label is constant on the test split) */
    double seconds;
} tfg_train_result;

/* quantize/report.json: accuracies for classification; for regression mean squared and
 * absolute errors and R² (nn/regress.h), and the gate's mean absolute error increase. */
typedef struct {
    int64_t test_samples;
    double float_accuracy, int8_accuracy, drop_points; /* NAN for regression */
    double float_mse, int8_mse;                        /* NAN for classification */
    double float_mae, int8_mae, float_r2, int8_r2;     /* NAN for classification */
    int64_t model_bytes;
    int64_t calibration_samples;
    const char *calibration_method;
    double seconds;
    const char *result;          /* "passed" or "failed" (the int8 gate); NULL: not said */
    const char *error;           /* why the gate failed, or NULL */
    int64_t gate_rows, flipped;  /* the gate's rows and flipped predictions; -1: none */
    int64_t lost, gained;        /* right answers int8 lost and gained there; -1: none */
    int64_t worse, better;       /* regression: rows int8 is farther from / nearer to the
                                    truth than float; -1: none */
    double mae_increase_pct;     /* regression: the gate's increase; NAN: none */
    double p_value;              /* the gate's sign test; NAN: none */
} tfg_quantize_result;

/* build/report.json */
typedef struct {
    int64_t flash_bytes, arena_bytes;  /* the model's weights and parameters; its arena */
    int64_t input_bytes, output_bytes;
    int64_t host_check_rows;           /* -1: no host check reported */
    const char *host_check_compiler;
    double seconds;
} tfg_build_result;

/* One memory of validate/report.json: used against the real board's limit, and parts. */
typedef struct {
    int64_t used, limit;
    int64_t weights, arena, code, stack; /* -1: not reported */
} tfg_memory_result;

/* validate/report.json */
typedef struct {
    const char *board_id, *board_name; /* the board validated on */
    const char *emulator, *link;
    int64_t samples, matches, mismatches;
    double device_accuracy;            /* classification only; NAN otherwise */
    bool has_memory;                   /* flash and ram below were reported */
    tfg_memory_result flash, ram;
    int64_t work_per_inference;        /* -1: not reported */
    const char *work_unit;             /* "instructions" or "cycles" */
    double estimated_ms;
    const char *assumption;
    const char *kernels_core;          /* the core the kernel variants were chosen for */
    const char *kernels;               /* which variant each layer used, by operator
                                          ("dsp_fc: 0, 1; reference: 2"); NULL: not said */
    double seconds;
} tfg_validate_result;

/* sketch/report.json */
typedef struct {
    const char *result;                /* "passed", or the class of the rejection */
    const char *error;                 /* why it was rejected, or NULL */
    const char *source;                /* "builtin", or the backend that wrote it */
    size_t checks;                     /* boards it was proven on */
    double seconds;
} tfg_sketch_result;

/* Each reader checks j (an object read from file, named in errors) and fills *r.
 * TFG_EINPUT naming the file and the field when a required field is missing or a field
 * is of the wrong type or out of range. */
tfg_status tfg_train_result_read(const json_t *j, const char *file, tfg_train_result *r,
                                 tfg_err *err);
tfg_status tfg_quantize_result_read(const json_t *j, const char *file,
                                    tfg_quantize_result *r, tfg_err *err);
tfg_status tfg_build_result_read(const json_t *j, const char *file, tfg_build_result *r,
                                 tfg_err *err);
tfg_status tfg_validate_result_read(const json_t *j, const char *file,
                                    tfg_validate_result *r, tfg_err *err);
tfg_status tfg_sketch_result_read(const json_t *j, const char *file, tfg_sketch_result *r,
                                  tfg_err *err);

#endif
