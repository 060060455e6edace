/* sketch_internal.h — what the sketch files of the target library share (sketch.c
 * writes sketches and the library, sketch_scan.c is the static check, sketch_check.c
 * builds and runs, sketch_stage.c is the stage) and what the validate stage asks of
 * them (the builtin sketch's size). Not part of the API. */
#ifndef TFG_TARGET_SKETCH_INTERNAL_H
#define TFG_TARGET_SKETCH_INTERNAL_H

#include <jansson.h>

#include "core/error.h"
#include "spec/spec.h"
#include "target/sketch.h"
#include "target/target.h"

/* The deny-list and include check; TFG_SKETCH_PASSED or the class, with the reason
 * ("fruit.ino:12: calls system(): ...") in why. lib_header is the library's header
 * name ("tinyforge_fruit.h"). */
tfg_sketch_class tfg_sketch_scan(const char *src, const char *name, const char *lib_header,
                                 char *why, size_t n);

/* "tinyforge_<name>.h" (the spec's name made an identifier). New string. */
char *tfg_sketch_lib_name(const tfg_spec *s);

/* The library header's text: model, preprocessing, runtime and sensor declarations
 * (with C linkage for C++ sketches) and the class names. New string. */
char *tfg_sketch_lib_header(const tfg_spec *s, const json_t *pp, bool has_preprocess);

/* The sketch's include folder inc: the build's model.h, preprocess.h and tfg_runtime.h,
 * the shim's Arduino.h and tfg_sensor.h, and the library header; nothing else. */
tfg_status tfg_sketch_include_dir(const char *runtime, const char *build, const tfg_spec *s,
                                  const json_t *pp, const char *inc, tfg_err *err);

/* The builtin sketch for the run in out, built (not run) for t in work_dir the way the
 * sketch check's first run builds it: its sizes in *info, TFG_ECHECK when it does not
 * fit t by the one fit rule, TFG_EUSAGE when the run has no builtin sketch (not a
 * classification, or a window plan). The validate stage's guarantee that what it
 * accepts, the sketch fits too. */
tfg_status tfg_sketch_size_builtin(const tfg_spec *s, const char *out, const tfg_target *t,
                                   const char *work_dir, tfg_fw_info *info, tfg_err *err);

/* The largest file the sketch stage copies (firmware, generated sources). */
#define TFG_SKETCH_COPY_MAX ((size_t)64 << 20)

#endif
