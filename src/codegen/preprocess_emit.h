/* preprocess_emit.h — data/preprocess.json as C99 for the device.
 *
 * The data stage writes preprocess.json: what a device must do to one raw reading to get
 * the model's input features (impute, clip, affine, label_encode, one_hot; docs/plan.md).
 * tfg_codegen_preprocess turns it into preprocess.h / preprocess.c with
 *   int P_preprocess(const float *raw, float *features);
 *   P_RAW_INPUTS, P_FEATURES       (counts; the names are listed in the header)
 * where raw holds one value per input in preprocess.json's order: a number, or for a
 * categorical input the index of its level in "input_levels" (NaN or out of range =
 * missing). The arithmetic is float32 in the same order as the host reference
 * (data/preprocess.h, tfg_preprocess_apply_row), with every constant printed as a hex
 * float literal, so the device computes the very bits the split files hold. It returns
 * 0; no allocation, no libm call. A plan with a window step (sequences, not one reading)
 * is refused with TFG_EUSAGE: the caller builds without device preprocessing. */
#ifndef TFG_CODEGEN_PREPROCESS_EMIT_H
#define TFG_CODEGEN_PREPROCESS_EMIT_H

#include <jansson.h>

#include "core/error.h"

/* prefix: a C identifier (NULL: "tfg_model"); *h and *c are the two sources (the caller
 * frees them), NULL on error. file names preprocess.json in messages. */
tfg_status tfg_codegen_preprocess(const json_t *pp, const char *file, const char *prefix,
                                  char **h, char **c, tfg_err *err);

#endif
