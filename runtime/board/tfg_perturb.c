/* tfg_perturb.c — the validator's second pass (src/target/sketch_check.c): the model
 * with its output classes rotated by one, so a sketch that really calls the model
 * prints a different, predictable class for every sample, and one that prints
 * constants or a table of expected labels is caught.
 *
 * Linked only into the second-pass firmware, where model.c is compiled with its entry
 * points renamed to *_unrotated (-D on the command line); these wrappers take their
 * place under the real names. The host applies the same rotation to its own int8
 * outputs to know what the sketch must print. C99. */
#include <stdint.h>

#include "model.h"

int tfg_model_invoke_unrotated(const int8_t *in, int8_t *out);
int tfg_model_invoke_f32_unrotated(const float *in, float *out);

/* out[k] takes out[k-1]: class k-1's score moves to class k. */
#define TFG_ROTATE(type, out)                                                         \
    do {                                                                              \
        type last = (out)[TFG_MODEL_OUTPUT_BYTES - 1];                                \
        int k;                                                                        \
        for (k = TFG_MODEL_OUTPUT_BYTES - 1; k > 0; k--)                              \
            (out)[k] = (out)[k - 1];                                                  \
        (out)[0] = last;                                                              \
    } while (0)

int tfg_model_invoke(const int8_t *in, int8_t *out)
{
    int rc = tfg_model_invoke_unrotated(in, out);
    if (rc == 0)
        TFG_ROTATE(int8_t, out);
    return rc;
}

int tfg_model_invoke_f32(const float *in, float *out)
{
    int rc = tfg_model_invoke_f32_unrotated(in, out);
    if (rc == 0)
        TFG_ROTATE(float, out);
    return rc;
}
