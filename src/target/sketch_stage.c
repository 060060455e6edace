/* sketch_stage.c — the sketch stage (sketch.h tfg_sketch_stage): writes <out>/sketch/
 * (the sketch, the exported library, report.json) at once, and proves the sketch with
 * the validator (sketch_check.c) once per builder: tinyforge's own toolchain, and
 * arduino-builder from the exported library when asked. A passed sketch is recorded in
 * a manifest and skipped while its inputs stay the same. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/io.h"
#include "core/json.h"
#include "core/manifest.h"
#include "spec/rundir.h"
#include "target/sketch.h"

static tfg_status one_check(const tfg_spec *s, const tfg_sketch_stage_opts *o, const char *src,
                            const char *name, const char *dir, bool ab, json_t *checks,
                            tfg_sketch_class *failure, tfg_err *err)
{
    char *work = tfg_xasprintf("%s/check-%s", dir, ab ? "arduino-builder" : "tinyforge");
    char *libs = tfg_path_join(dir, "libraries");
    tfg_rmtree(work, NULL);
    tfg_sketch_check_opts co = {.out = o->out, .source = src, .source_name = name,
                                .board = o->board, .work_dir = work,
                                .max_samples = o->max_samples, .arduino_builder = ab,
                                .timeout_s = o->timeout_s,
                                .library_dir = libs, .progress = o->progress};
    tfg_sketch_check_result r;
    tfg_status st = tfg_sketch_check(s, &co, &r, err);
    *failure = r.failure;
    json_array_append(checks, r.report);
    tfg_sketch_check_result_free(&r);
    free(work);
    free(libs);
    return st;
}

/* What the check depends on, for the manifest. */
static tfg_status sketch_inputs(const tfg_spec *s, const tfg_sketch_stage_opts *o,
                                const char *src, tfg_manifest *m, tfg_err *err)
{
    static const tfg_artifact files[] = {TFG_ART_BUILD_MODEL_H, TFG_ART_BUILD_MODEL_C,
                                         TFG_ART_DATA_PREPROCESS, TFG_ART_DATA_TEST_RAW,
                                         TFG_ART_QUANTIZE_TEST_OUTPUT};
    tfg_status st = TFG_OK;
    for (size_t i = 0; !st && i < sizeof files / sizeof files[0]; i++) {
        char *p = tfg_rundir_path(o->out, files[i]);
        if (tfg_exists(p))
            st = tfg_manifest_input_file(m, tfg_artifact_label(files[i]), p, err);
        free(p);
    }
    tfg_manifest_input_text(m, "source", src ? src : "builtin template");
    char *text = tfg_xasprintf("%s %s %d %zu", TFG_VERSION, o->board ? o->board->id : s->board.id,
                               (int)o->arduino_builder, o->max_samples);
    tfg_manifest_input_text(m, "check", text);
    free(text);
    return st;
}

/* What report.json's "source" says. */
static const char *source_label(const tfg_sketch_stage_opts *o)
{
    if (o->source_file)
        return o->source_file;
    if (o->source)
        return o->source_name ? o->source_name : "given source";
    return "builtin template";
}

static tfg_status check_in(const tfg_spec *s, const tfg_sketch_stage_opts *o, const char *dir,
                           const char *given, json_t **report, tfg_sketch_class *failure,
                           tfg_err *err)
{
    char *ino = tfg_xasprintf("%s.ino", s->name), *src = NULL;
    size_t len;
    tfg_status st = tfg_sketch_write(s, o->out, dir, given, err);
    if (!st) {
        char *p = tfg_path_join(dir, ino);
        st = tfg_read_file(p, (size_t)1 << 20, &src, &len, err);
        free(p);
    }
    json_t *checks = json_array();
    const char *name = o->source_file ? o->source_file : ino;
    if (!st)
        st = one_check(s, o, src, name, dir, false, checks, failure, err);
    if (!st && o->arduino_builder)
        st = one_check(s, o, src, name, dir, true, checks, failure, err);
    *report = json_pack("{s:s,s:s,s:s,s:o}", "stage", "sketch", "source", source_label(o),
                        "result", st == TFG_OK ? "passed" : "rejected", "checks", checks);
    if (st)
        json_object_set_new(*report, "error", json_string(err->msg));
    free(ino);
    free(src);
    return st;
}

tfg_status tfg_sketch_stage(const tfg_spec *s, const tfg_sketch_stage_opts *o,
                            tfg_sketch_outcome *r, tfg_err *err)
{
    memset(r, 0, sizeof *r);
    r->dir = tfg_rundir_stage(o->out, TFG_STAGE_SKETCH);
    char *src = NULL;
    size_t len;
    tfg_status st = TFG_OK;
    if (o->source_file)
        st = tfg_read_file(o->source_file, (size_t)1 << 20, &src, &len, err);
    else if (o->source)
        src = tfg_xstrdup(o->source);
    tfg_manifest m;
    tfg_manifest_init(&m, tfg_stage_name(TFG_STAGE_SKETCH));
    if (!st)
        st = sketch_inputs(s, o, src, &m, err);
    if (!st && !o->force && tfg_manifest_up_to_date(&m, r->dir)) {
        r->skipped = true;
        r->report = tfg_stage_report_load(r->dir);
    } else if (!st) {
        tfg_stagedir sd;
        st = tfg_stage_begin(&sd, o->out, tfg_stage_name(TFG_STAGE_SKETCH), err);
        if (!st) {
            st = check_in(s, o, sd.dir, src, &r->report, &r->failure, err);
            tfg_err e2;
            if (!st)
                st = tfg_stage_finish(&sd, &m, r->report, err);
            else if (st == TFG_ECHECK && r->report && !o->publish_passed_only) {
                /* rejected: publish the report that says why, but no manifest */
                char *p = tfg_stage_path(&sd, tfg_artifact_file(TFG_ART_SKETCH_REPORT));
                if (tfg_json_write_file(p, r->report, &e2) || tfg_stage_commit(&sd, &e2))
                    tfg_stage_abort(&sd);
                free(p);
            } else {
                tfg_stage_abort(&sd);
            }
        }
    }
    tfg_manifest_free(&m);
    free(src);
    return st;
}

void tfg_sketch_outcome_free(tfg_sketch_outcome *r)
{
    free(r->dir);
    json_decref(r->report);
    memset(r, 0, sizeof *r);
}
