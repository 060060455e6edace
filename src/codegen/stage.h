/* stage.h — the build stage as one call: the int8 model of the quantize stage becomes a
 * small C99 library, checked on the host before it is published in <out>/build/:
 *
 *   model.h, model.c        the model (codegen/emit.h): const weights, one static arena,
 *                           tfg_model_invoke (int8) and tfg_model_invoke_f32
 *   preprocess.h/.c         raw reading -> features (codegen/preprocess_emit.h), when the
 *                           data plan works on single readings (not for window plans)
 *   tfg_runtime.h, *.c      the runtime/ kernels the model calls, and what they call
 *   report.json             sizes, hash, files, the host check, time
 *   manifest.json
 *
 * The check: the files are compiled with the host C compiler ($CC, else cc) as
 * `-std=c99 -Wall -Wextra -Werror -pedantic`, run on every row of quantize/test_input.bin,
 * and must give exactly quantize/test_output.bin (the in-process int8 results). A failure
 * publishes nothing: TFG_ECHECK naming the first differing row, or TFG_EPROC when the
 * compiler is missing or refuses the code. */
#ifndef TFG_CODEGEN_STAGE_H
#define TFG_CODEGEN_STAGE_H

#include <jansson.h>
#include <stdbool.h>

#include "core/error.h"
#include "core/progress.h"
#include "spec/spec.h"

typedef struct {
    const char *out;        /* run directory: reads <out>/quantize and <out>/data */
    bool force;
    tfg_progress *progress; /* may be NULL */
} tfg_build_stage_opts;

typedef struct {
    bool skipped;
    char *dir;      /* <out>/build */
    json_t *report;
} tfg_build_outcome;

tfg_status tfg_build_stage(const tfg_spec *s, const tfg_build_stage_opts *o,
                           tfg_build_outcome *r, tfg_err *err);
void tfg_build_outcome_free(tfg_build_outcome *r);

/* The runtime/ source directory: $TINYFORGE_RUNTIME, else runtime/ found by
 * core/resource.h ($TINYFORGE_HOME, the install, the source tree). */
const char *tfg_runtime_dir(void);

/* The names of the runtime/ .c files (sorted, caller frees each and the array) that the
 * given sources call into, directly or through each other. */
tfg_status tfg_runtime_files_for(const char *const *sources, size_t n_sources, char ***files,
                                 size_t *n_files, tfg_err *err);

#endif
