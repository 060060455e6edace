/* manifest.h — what a stage read and wrote, by hash, so an unchanged stage is skipped.
 *
 * A stage lists its inputs (files, and text such as the part of the spec it depends on)
 * before it runs; tfg_manifest_up_to_date compares them with <dir>/manifest.json from the
 * last run and checks that every output listed there still has its recorded hash. After
 * a run, the stage records its outputs (every file in its directory) and writes the
 * manifest last, so a manifest exists only for a complete stage. */
#ifndef TFG_CORE_MANIFEST_H
#define TFG_CORE_MANIFEST_H

#include <jansson.h>
#include <stdbool.h>

#include "core/error.h"
#include "core/io.h"

typedef struct {
    json_t *j; /* {"stage", "tinyforge", "inputs": {...}, "outputs": {...}, "notes": {...}} */
} tfg_manifest;

void tfg_manifest_init(tfg_manifest *m, const char *stage);
void tfg_manifest_free(tfg_manifest *m);
tfg_status tfg_manifest_input_file(tfg_manifest *m, const char *label, const char *path,
                                   tfg_err *err);
void tfg_manifest_input_text(tfg_manifest *m, const char *label, const char *text);
/* A free-form note kept with the manifest (not compared), e.g. where the plan came from. */
void tfg_manifest_note(tfg_manifest *m, const char *key, const char *value);
/* Hashes every regular file in dir (except manifest.json) as an output. */
tfg_status tfg_manifest_add_outputs(tfg_manifest *m, const char *dir, tfg_err *err);
tfg_status tfg_manifest_write(const tfg_manifest *m, const char *dir, tfg_err *err);

/* Loads <dir>/manifest.json; false (and *out NULL) when absent or unreadable. */
bool tfg_manifest_load(const char *dir, tfg_manifest *out);
/* A note of a loaded manifest, or NULL. */
const char *tfg_manifest_get_note(const tfg_manifest *m, const char *key);
/* The recorded hash of output `name`, or NULL. */
const char *tfg_manifest_output_hash(const tfg_manifest *m, const char *name);
/* True when the last run in dir had exactly these inputs and its outputs are intact. */
bool tfg_manifest_up_to_date(const tfg_manifest *m, const char *dir);

/* The end of a stage run: report.json (when report is not NULL), the outputs and the
 * manifest written into the staging directory, then swapped in; on any error the
 * staging directory is dropped and <out>/<stage> stays as it was. */
tfg_status tfg_stage_finish(tfg_stagedir *sd, tfg_manifest *m, const json_t *report,
                            tfg_err *err);
/* <dir>/report.json of a stage that was skipped, or NULL when it cannot be read. */
json_t *tfg_stage_report_load(const char *dir);

#endif
