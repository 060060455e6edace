/* stage.h — the quantize stage as one call: read the trained float model and the data
 * stage's splits, calibrate on a representative set from the training split, write the
 * int8 TFLite model, and check it against the float model on the test split. Published
 * at once in <out>/quantize/:
 *
 *   model.tflite      the int8 model (TFLite int8 spec; TFLM reads it)
 *   test_input.bin    the test split quantized to int8 (rows x input bytes), exactly the
 *                     bytes a device is fed
 *   test_output.bin   the int8 model's output for each of those rows (rows x output
 *                     bytes): the host int8 results the device must reproduce
 *   report.json       float vs int8 metrics, confusion matrices, calibration, time
 *   manifest.json
 *
 * The spec's `quantization` section: `calibration_samples` (500; at most the training
 * split), `method` ("auto": min/max and percentiles 99.99 and 99.9 are tried and the
 * best on up to 2000 rows of the *validation* split kept; or "minmax", "percentile"),
 * `percentile` (99.99), `max_drop` (1.0: the most int8 accuracy may fall below float,
 * in percentage points). The int8 gate (quant/gate.h) judges the drop on the test split
 * and the validation rows that chose the method, and fails only when it is more than
 * max_drop and more than chance (a sign test over the flipped predictions). Then the
 * result is TFG_ECHECK with the numbers and the hints not yet tried, and <out>/quantize
 * holds report.json alone, marked "result": "failed" (no model, no manifest). */
#ifndef TFG_QUANT_STAGE_H
#define TFG_QUANT_STAGE_H

#include <jansson.h>
#include <stdbool.h>

#include "core/error.h"
#include "core/progress.h"
#include "spec/spec.h"

typedef struct {
    const char *out;        /* run directory: reads <out>/data and <out>/train */
    bool force;             /* run even when nothing changed */
    tfg_progress *progress; /* may be NULL */
} tfg_quantize_stage_opts;

typedef struct {
    bool skipped;
    char *dir;      /* <out>/quantize */
    json_t *report; /* report.json (also loaded when skipped) */
} tfg_quantize_outcome;

tfg_status tfg_quantize_stage(const tfg_spec *s, const tfg_quantize_stage_opts *o,
                              tfg_quantize_outcome *r, tfg_err *err);
void tfg_quantize_outcome_free(tfg_quantize_outcome *r);
/* What `tinyforge check` asks of the stage: the spec's `quantization` section read as a
 * run reads it. */
tfg_status tfg_quantize_check_spec(const tfg_spec *s, tfg_err *err);

#endif
