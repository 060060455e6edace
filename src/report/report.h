/* report.h — the report stage: read a run directory's artifacts and write what a
 * person reads, in <out>/report/:
 *
 *   report.html    one self-contained page (inline CSS, the picture as a data: URI)
 *   report.md      the same content as Markdown
 *   confusion.png  the confusion matrix picture the Markdown shows (absent without one)
 *   manifest.json  hashes of the artifacts read and of the files written
 *
 * Stages that have not run are shown as "not run"; a malformed artifact stops the
 * report with an error naming the file and field (load.h), and nothing is published:
 * the staging directory is dropped and the last report stays as it was. The stage is
 * skipped when the spec and every artifact it reads are unchanged. */
#ifndef TFG_REPORT_REPORT_H
#define TFG_REPORT_REPORT_H

#include <jansson.h>
#include <stdbool.h>

#include "core/error.h"
#include "report/doc.h"
#include "report/load.h"
#include "spec/spec.h"

typedef struct {
    const char *out; /* the run directory */
    bool force;      /* write even when nothing changed */
} tfg_report_opts;

typedef struct {
    bool skipped;
    char *dir;       /* <out>/report */
    char *html, *markdown, *png; /* paths of the files written; png NULL without a matrix */
    json_t *summary; /* for --json: stages run, accuracies, the files */
} tfg_report_outcome;

tfg_status tfg_report_stage(const tfg_spec *s, const tfg_report_opts *o, tfg_report_outcome *r,
                            tfg_err *err);
void tfg_report_outcome_free(tfg_report_outcome *r);

/* The document for a loaded run (the picture included); fails only if libpng does. */
tfg_status tfg_report_compose(const tfg_spec *s, const tfg_run *run, tfg_doc *d, tfg_err *err);

/* Key facts of a run as JSON (the --json result's body). */
json_t *tfg_report_summary(const tfg_run *run);

#endif
