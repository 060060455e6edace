/* preprocess.h — applying preprocess.json to one raw reading, on the host.
 *
 * preprocess.json (written by the data plan, format in docs/plan.md) lists what a device
 * must do to a raw sensor reading to get the model input: impute, clip, label_encode,
 * one_hot and affine steps with float32 constants. The data plan applies the very same
 * float32 arithmetic to the training data, through the inline functions below, so that
 * this host-side reference (and the device code generated from it) gives bit-identical
 * model inputs. Tests compare the two. */
#ifndef TFG_DATA_PREPROCESS_H
#define TFG_DATA_PREPROCESS_H

#include <jansson.h>
#include <stddef.h>

#include "core/error.h"

/* The per-value arithmetic shared by the plan (host data) and the preprocess reference.
 * Each takes and returns float so that no step ever computes in double by accident. */
static inline float tfg_pp_affine(float x, float offset, float scale)
{
    return (x - offset) * scale;
}

static inline float tfg_pp_clip(float x, float lo, float hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* Applies the row-wise steps of pp to one raw reading. raw_inputs holds one value per
 * name in pp's "inputs", in that order: a number, or for a categorical input the index
 * of its level in pp's "input_levels" (NaN or a negative index = missing). out receives
 * one float per name in "features". A plan with a window step works on a sequence of
 * readings, not one: that returns TFG_EUSAGE. */
tfg_status tfg_preprocess_apply_row(const json_t *pp, const double *raw_inputs, float *out,
                                    tfg_err *err);

/* The number of raw inputs and of model features pp declares (0 if malformed). */
size_t tfg_preprocess_n_inputs(const json_t *pp);
size_t tfg_preprocess_n_features(const json_t *pp);

#endif
