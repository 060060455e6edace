/* shared_models.h — where the tests find the reference models of the shared folder
 * (MLPerf Tiny int8 models with TFLM's outputs): $TFG_SHARED if set, else shared/ beside
 * the repository (TFG_SRC/../shared). On a checkout without it the checks that need it
 * are skipped with TFG_SKIP, so the test ends as skipped (exit 77), never as passed. */
#ifndef TFG_TESTS_SHARED_MODELS_H
#define TFG_TESTS_SHARED_MODELS_H

#include <stdio.h>
#include <stdlib.h>

#include "../check.h"
#include "core/alloc.h"
#include "core/io.h"

/* A new path of the shared folder ($TFG_SHARED, else the repository's parent's shared/). */
static inline char *tfg_test_shared_dir(void)
{
    const char *shared = getenv("TFG_SHARED");
    if (shared && *shared)
        return tfg_xstrdup(shared);
    const char *src = getenv("TFG_SRC");
    return tfg_xasprintf("%s/../shared", src ? src : TFG_SOURCE_DIR);
}

/* A new path of rel inside the shared models folder, or NULL (the checks skipped, with a
 * note) if absent. */
static inline char *tfg_test_shared_model(const char *rel)
{
    char *dir = tfg_test_shared_dir();
    char *p = tfg_xasprintf("%s/models/%s", dir, rel);
    free(dir);
    if (!tfg_exists(p)) {
        TFG_SKIP("%s not found (set TFG_SHARED to the shared folder), its checks not run", p);
        free(p);
        return NULL;
    }
    return p;
}

#endif
