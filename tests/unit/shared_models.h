/* shared_models.h — where the tests find the reference models of ../shared/models
 * (MLPerf Tiny int8 models with TFLM's outputs). Tests skip their checks, with a note,
 * on a checkout without that folder. */
#ifndef TFG_TESTS_SHARED_MODELS_H
#define TFG_TESTS_SHARED_MODELS_H

#include <stdio.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "core/io.h"

/* A new path of rel inside the shared models folder, or NULL (with a note) if absent. */
static inline char *tfg_test_shared_model(const char *rel)
{
    const char *src = getenv("TFG_SRC");
    char *p = tfg_xasprintf("%s/../shared/models/%s", src ? src : TFG_SOURCE_DIR, rel);
    if (!tfg_exists(p)) {
        printf("note: %s not found, skipping its checks\n", p);
        free(p);
        return NULL;
    }
    return p;
}

#endif
