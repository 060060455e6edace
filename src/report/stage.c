/* stage.c — the report stage: load the run, compose, render HTML and Markdown, and
 * publish them together through a staging directory (report.h). */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/io.h"
#include "core/json.h"
#include "core/manifest.h"
#include "spec/rundir.h"

static tfg_status write_text(const tfg_stagedir *sd, const char *name, const char *text,
                             tfg_err *err)
{
    char *p = tfg_stage_path(sd, name);
    tfg_status st = tfg_write_atomic(p, text, strlen(text), err);
    free(p);
    return st;
}

static tfg_status publish(const tfg_report_opts *o, const tfg_doc *d, tfg_manifest *m,
                          tfg_err *err)
{
    tfg_stagedir sd;
    tfg_status st = tfg_stage_begin(&sd, o->out, tfg_stage_name(TFG_STAGE_REPORT), err);
    if (st)
        return st;
    char *html = tfg_doc_html(d), *md = tfg_doc_markdown(d);
    st = write_text(&sd, tfg_artifact_file(TFG_ART_REPORT_HTML), html, err);
    if (!st) st = write_text(&sd, tfg_artifact_file(TFG_ART_REPORT_MD), md, err);
    if (!st && d->png.len) {
        char *p = tfg_stage_path(&sd, tfg_artifact_file(TFG_ART_REPORT_CONFUSION));
        st = tfg_write_atomic(p, d->png.data, d->png.len, err);
        free(p);
    }
    free(html);
    free(md);
    if (!st) st = tfg_manifest_add_outputs(m, sd.dir, err);
    if (!st) st = tfg_manifest_write(m, sd.dir, err);
    if (!st)
        return tfg_stage_commit(&sd, err);
    tfg_stage_abort(&sd);
    return st;
}

/* Inputs: the spec and every artifact read, by hash; an absent one as "absent", so a
 * stage that runs later makes the report stale. */
static tfg_status list_inputs(const tfg_spec *s, const tfg_run *run, tfg_manifest *m,
                              tfg_err *err)
{
    char *spec = tfg_json_canonical(s->json);
    tfg_manifest_input_text(m, "spec", spec);
    free(spec);
    tfg_status st = TFG_OK;
    for (int i = 0; !st && i < TFG_RUN_FILES; i++) {
        const tfg_run_file *f = &run->files[i];
        /* The label is the path under the run directory: "<stage>/<file>". */
        char *slash = strrchr(f->path, '/');
        const char *label = f->path;
        for (const char *p = f->path; slash && p < slash; p++)
            if (*p == '/')
                label = p + 1;
        if (f->j)
            st = tfg_manifest_input_file(m, label, f->path, err);
        else
            tfg_manifest_input_text(m, label, "absent");
    }
    return st;
}

tfg_status tfg_report_stage(const tfg_spec *s, const tfg_report_opts *o, tfg_report_outcome *r,
                            tfg_err *err)
{
    memset(r, 0, sizeof *r);
    r->dir = tfg_rundir_stage(o->out, TFG_STAGE_REPORT);
    tfg_run run;
    tfg_status st = tfg_run_load(o->out, s->board.flash_bytes, s->board.ram_bytes, &run, err);
    tfg_manifest m;
    tfg_manifest_init(&m, tfg_stage_name(TFG_STAGE_REPORT));
    if (!st)
        st = list_inputs(s, &run, &m, err);
    bool have_png = tfg_run_final_confusion(&run, NULL) != NULL;
    if (!st && !o->force && tfg_manifest_up_to_date(&m, r->dir)) {
        r->skipped = true;
    } else if (!st) {
        tfg_doc d;
        st = tfg_report_compose(s, &run, &d, err);
        if (!st) {
            st = publish(o, &d, &m, err);
            tfg_doc_free(&d);
        }
    }
    if (!st) {
        r->html = tfg_path_join(r->dir, "report.html");
        r->markdown = tfg_path_join(r->dir, "report.md");
        r->png = have_png ? tfg_path_join(r->dir, "confusion.png") : NULL;
        r->summary = tfg_report_summary(&run);
        json_object_set_new(r->summary, "html", json_string(r->html));
        json_object_set_new(r->summary, "markdown", json_string(r->markdown));
        json_object_set_new(r->summary, "png", r->png ? json_string(r->png) : json_null());
    }
    tfg_manifest_free(&m);
    tfg_run_free(&run);
    return st;
}

void tfg_report_outcome_free(tfg_report_outcome *r)
{
    free(r->dir);
    free(r->html);
    free(r->markdown);
    free(r->png);
    json_decref(r->summary);
    memset(r, 0, sizeof *r);
}
