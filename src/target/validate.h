/* validate.h — the validate stage as one call: the generated C of the build stage
 * becomes firmware for the spec's board (or another), runs on the board's emulated
 * stand-in with every test sample, and must give exactly the host int8 output bytes
 * of the quantize stage, sample for sample. Published at once in <out>/validate/:
 *
 *   firmware.elf, firmware.map, build.log   what ran
 *   device_output.bin                       the device's output bytes, one row per sample
 *   report.json                             board, emulator, matches, device accuracy and
 *                                           confusion, flash/RAM against the board, work
 *                                           per inference and the time it means
 *   manifest.json
 *
 * Any difference is a failure (TFG_ECHECK naming the first differing sample), never a
 * tolerance; so is firmware over the board's flash/RAM or over the spec's budgets
 * (including budgets.latency_ms against the estimated time). A failure publishes
 * nothing. */
#ifndef TFG_TARGET_VALIDATE_H
#define TFG_TARGET_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>

#include "core/error.h"
#include "core/progress.h"
#include "spec/spec.h"
#include "target/target.h"

typedef struct {
    const char *out;         /* run directory: reads build/, quantize/, data/ */
    const tfg_board *board;  /* NULL: the spec's board */
    tfg_fw_link link;        /* DEFAULT: semihosting where there is one */
    size_t max_samples;      /* 0: the whole test split */
    bool force;
    tfg_progress *progress;  /* may be NULL */
} tfg_validate_opts;

typedef struct {
    bool skipped;
    char *dir;      /* <out>/validate */
    json_t *report;
} tfg_validate_outcome;

tfg_status tfg_validate_stage(const tfg_spec *s, const tfg_validate_opts *o,
                              tfg_validate_outcome *r, tfg_err *err);
void tfg_validate_outcome_free(tfg_validate_outcome *r);

#endif
