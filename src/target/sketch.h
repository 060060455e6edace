/* sketch.h — the application sketch: an Arduino-style program (setup(), loop(), Serial,
 * a sensor read) around the generated model, written from the spec by a builtin
 * template or by an LLM, and proven on the emulated board before anyone trusts it.
 *
 *   tfg_sketch_write     <out>/sketch/<name>.ino and the exported Arduino library
 *                        <out>/sketch/tinyforge_<name>/ (library.properties, src/ with the
 *                        model, preprocessing, runtime kernels and sensor stream,
 *                        examples/<name>/<name>.ino), from the run's build/ stage
 *   tfg_sketch_check     the validator: deny-list, -Werror compile against the project's
 *                        headers only, run ONLY inside the emulator (UART only,
 *                        semihosting off, time limit, bubblewrap without network or a
 *                        writable host path), fed every test sample's raw reading; its
 *                        printed predictions must equal the host int8 predictions, and a
 *                        second run with the model's outputs rotated and the samples
 *                        reversed proves it calls the model
 *   tfg_sketch_stage     both, for `tinyforge sketch`: report.json in <out>/sketch/
 *
 * A rejected sketch is TFG_ECHECK with one of issue 8's failure classes (below) and a
 * message meant to go back to whoever wrote it. docs/sketch.md has the details. */
#ifndef TFG_TARGET_SKETCH_H
#define TFG_TARGET_SKETCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "core/progress.h"
#include "spec/spec.h"

/* Seconds without a line from the sketch after which its run counts as hung. */
#define TFG_SKETCH_IDLE_S 15.0

/* Why a sketch was rejected (the pilot's failure classes). */
typedef enum {
    TFG_SKETCH_PASSED = 0,
    TFG_SKETCH_COMPILE_ERROR,   /* syntax, missing include or function, link error */
    TFG_SKETCH_ML_MISUSE,       /* sensor read of the wrong size, unquantized input, ... */
    TFG_SKETCH_SILENT_FAILURE,  /* runs, but predictions wrong, constant, missing, or not
                                   from the model */
    TFG_SKETCH_UNSAFE_OUTPUT,   /* deny-list hit, crash, hang */
    TFG_SKETCH_BUDGET_EXCEEDED  /* the firmware does not fit the board */
} tfg_sketch_class;

/* "compile error", "embedded-ML misuse", "silent failure", "unsafe output", "budget
 * exceeded" (or "passed"). */
const char *tfg_sketch_class_name(tfg_sketch_class c);

/* "tinyforge_<name>.h": the header a sketch includes (the spec's name made an
 * identifier). New string. */
char *tfg_sketch_lib_name(const tfg_spec *s);

/* The builtin sketch's source for the run in out (reads build/preprocess.h and
 * data/preprocess.json). New string in *src. TFG_EUSAGE for a window plan (no single
 * reading to read). */
tfg_status tfg_sketch_builtin(const tfg_spec *s, const char *out, char **src, tfg_err *err);

/* Writes <dir>/<name>.ino (source, or the builtin's when NULL) and the library
 * <dir>/tinyforge_<name>/. */
tfg_status tfg_sketch_write(const tfg_spec *s, const char *out, const char *dir,
                            const char *source, tfg_err *err);

typedef struct {
    const char *out;          /* run directory: build/, data/test_raw.bin, quantize/ */
    const char *source;       /* the sketch (.ino text) */
    const char *source_name;  /* for messages ("fruit.ino") */
    const tfg_board *board;   /* NULL: the spec's board */
    const char *work_dir;     /* firmware is built here (created) */
    size_t max_samples;       /* 0: every test sample */
    double timeout_s;         /* per emulator run; <= 0: 20 s + 0.5 s per sample; and
                                 any run is stopped after TFG_SKETCH_IDLE_S without a
                                 line (a hang) */
    bool arduino_builder;     /* AVR only: build with Debian's arduino-builder from the
                                 exported library (must exist: tfg_sketch_write) */
    const char *library_dir;  /* for arduino_builder: the libraries folder */
    bool no_sandbox;          /* do not use bubblewrap even when it works (tests) */
    tfg_progress *progress;   /* may be NULL */
} tfg_sketch_check_opts;

typedef struct {
    tfg_sketch_class failure; /* TFG_SKETCH_PASSED when it passed */
    json_t *report;           /* what was checked and found (always set) */
} tfg_sketch_check_result;

/* TFG_OK: the sketch passed. TFG_ECHECK: rejected, r->failure says the class and err
 * the reason ("silent failure: sample 3 printed 'apple', the model predicts 'banana'").
 * Other codes are the checker's own trouble (no build stage, no raw readings, a
 * missing compiler or emulator): nothing about the sketch. */
tfg_status tfg_sketch_check(const tfg_spec *s, const tfg_sketch_check_opts *o,
                            tfg_sketch_check_result *r, tfg_err *err);
void tfg_sketch_check_result_free(tfg_sketch_check_result *r);

typedef struct {
    const char *out;          /* run directory */
    const tfg_board *board;   /* NULL: the spec's board */
    const char *source_file;  /* validate this sketch instead of writing the builtin */
    bool arduino_builder;     /* also build the exported library with arduino-builder
                                 (AVR boards) */
    size_t max_samples;
    double timeout_s;         /* per emulator run; <= 0: the check's default */
    tfg_progress *progress;
    bool force;               /* run even when nothing changed */
    /* The pilot's way in (source_file unset): the sketch as text, what report.json's
     * "source" calls it, and whether a rejected sketch leaves <out>/sketch/ untouched
     * (a rejected proposal publishes nothing; `tinyforge sketch` publishes the report
     * that says why). Messages name the text "<spec name>.ino". */
    const char *source;
    const char *source_name;
    bool publish_passed_only;
} tfg_sketch_stage_opts;

typedef struct {
    bool skipped;             /* up to date: the last run's result */
    char *dir;                /* <out>/sketch */
    json_t *report;           /* report.json; also set for a rejected sketch */
    tfg_sketch_class failure; /* why a rejected sketch (TFG_ECHECK) was rejected */
} tfg_sketch_outcome;

/* Writes <out>/sketch/ (sketch, library, report.json) at once, like every stage, and
 * checks the sketch. A passed sketch is recorded in a manifest and skipped next time
 * while its inputs (the generated model, the raw readings, the host outputs, the
 * source, the board) stay the same. A rejected one is TFG_ECHECK with the class in the
 * report and r->failure; the report is published too (without a manifest, so the next
 * run checks again) unless o->publish_passed_only. */
tfg_status tfg_sketch_stage(const tfg_spec *s, const tfg_sketch_stage_opts *o,
                            tfg_sketch_outcome *r, tfg_err *err);
void tfg_sketch_outcome_free(tfg_sketch_outcome *r);

#endif
