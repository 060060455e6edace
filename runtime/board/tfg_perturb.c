/* tfg_perturb.c — the validator's second pass (src/target/sketch_check.c): the model
 * with its output classes permuted by a permutation drawn for this check alone (no class
 * keeps its place), so a sketch that really calls the model prints a different class
 * for every sample, one the sketch cannot predict, and one that prints constants or a
 * table of expected labels is caught.
 *
 * Linked only into the second-pass firmware, where model.c is compiled with its entry
 * points renamed to *_unrotated (-D on the command line); these wrappers take their
 * place under the real names. tfg_perturb_perm.h, written by the check into a folder
 * on the runtime's include path only, holds the permutation; the host applies the same
 * one to its own int8 outputs to know what the sketch must print. C99. */
#include <stdint.h>

#include "model.h"
#include "tfg_perturb_perm.h" /* static const unsigned char tfg_perturb_to[]: class k's
                                 score goes to class tfg_perturb_to[k] */

int tfg_model_invoke_unrotated(const int8_t *in, int8_t *out);
int tfg_model_invoke_f32_unrotated(const float *in, float *out);

#define TFG_PERMUTE(type, out)                                                        \
    do {                                                                              \
        type was[TFG_MODEL_OUTPUT_BYTES];                                             \
        int k;                                                                        \
        for (k = 0; k < TFG_MODEL_OUTPUT_BYTES; k++)                                  \
            was[k] = (out)[k];                                                        \
        for (k = 0; k < TFG_MODEL_OUTPUT_BYTES; k++)                                  \
            (out)[tfg_perturb_to[k]] = was[k];                                        \
    } while (0)

int tfg_model_invoke(const int8_t *in, int8_t *out)
{
    int rc = tfg_model_invoke_unrotated(in, out);
    if (rc == 0)
        TFG_PERMUTE(int8_t, out);
    return rc;
}

int tfg_model_invoke_f32(const float *in, float *out)
{
    int rc = tfg_model_invoke_f32_unrotated(in, out);
    if (rc == 0)
        TFG_PERMUTE(float, out);
    return rc;
}
