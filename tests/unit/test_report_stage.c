/* test_report_stage.c — the report stage on the fixture run directory
 * (tests/data/report/fruit, see its README) and on broken copies of it: stages that
 * have not run are "not run"; a malformed artifact is TFG_EINPUT naming file and field
 * and leaves the previous report untouched; an unchanged run is skipped; run text is
 * escaped in the page. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "core/alloc.h"
#include "core/io.h"
#include "report/report.h"

static const char *const fixture_files[] = {
    "data/summary.json", "data/profile.json", "data/plan.json",     "train/report.json",
    "train/arch.json",   "quantize/report.json", "build/report.json", "validate/report.json",
    "sketch/report.json", NULL};

static const char *src_dir(void)
{
    const char *s = getenv("TFG_SRC");
    return s ? s : TFG_SOURCE_DIR;
}

static char *fixture_path(const char *name)
{
    const char *d = getenv("TFG_DATA_DIR");
    char *base = d ? tfg_xstrdup(d) : tfg_xasprintf("%s/tests/data", src_dir());
    char *p = tfg_xasprintf("%s/report/fruit/%s", base, name);
    free(base);
    return p;
}

static char *read_text(const char *path)
{
    char *buf = NULL;
    size_t len;
    tfg_err err;
    if (tfg_read_file(path, 1 << 26, &buf, &len, &err))
        return NULL;
    return buf;
}

static void write_text(const char *dir, const char *name, const char *text)
{
    char *p = tfg_path_join(dir, name);
    char *parent = tfg_path_dirname(p);
    tfg_err err;
    CHECK(tfg_mkdirs(parent, &err) == TFG_OK);
    CHECK_MSG(tfg_write_atomic(p, text, strlen(text), &err) == TFG_OK, "%s", err.msg);
    free(parent);
    free(p);
}

/* A fresh run directory holding the fixture's files (all, or none with full=false). */
static char *make_run(bool full)
{
    char tmpl[] = "/tmp/tfg_report_XXXXXX";
    char *dir = mkdtemp(tmpl);
    CHECK(dir != NULL);
    dir = tfg_xstrdup(dir ? dir : "/nonexistent");
    for (size_t i = 0; full && fixture_files[i]; i++) {
        char *from = fixture_path(fixture_files[i]);
        char *text = read_text(from);
        CHECK_MSG(text != NULL, "fixture %s", from);
        if (text)
            write_text(dir, fixture_files[i], text);
        free(text);
        free(from);
    }
    return dir;
}

static void drop_run(char *dir)
{
    tfg_err err;
    tfg_rmtree(dir, &err);
    free(dir);
}

typedef struct {
    tfg_boards boards;
    tfg_spec spec;
    bool ok;
} spec_box;

static void load_spec(spec_box *b)
{
    tfg_err err;
    memset(b, 0, sizeof *b);
    char *path = tfg_xasprintf("%s/examples/fruit/spec.json", src_dir());
    char *boards = tfg_xasprintf("%s/boards/boards.json", src_dir());
    b->ok = tfg_boards_load(boards, &b->boards, &err) == TFG_OK &&
            tfg_spec_load(path, &b->boards, &b->spec, &err) == TFG_OK;
    CHECK_MSG(b->ok, "%s", err.msg);
    free(path);
    free(boards);
}

static void free_spec(spec_box *b)
{
    if (b->ok)
        tfg_spec_free(&b->spec);
    tfg_boards_free(&b->boards);
}

static void test_full_run(void)
{
    char *dir = make_run(true);
    tfg_run run;
    tfg_err err;
    tfg_status st = tfg_run_load(dir, 1048576, 262144, &run, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (!st) {
        for (int s = 0; s < TFG_RUN_STAGES; s++)
            CHECK(run.ran[s]);
        CHECK(isnan(run.seconds[TFG_RUN_DATA])); /* the data summary has no seconds */
        CHECK_NEAR(run.seconds[TFG_RUN_VALIDATE], 1.62, 1e-12);
        CHECK_NEAR(run.acc_float, 1.0, 0);
        CHECK_NEAR(run.acc_int8, 0.977272727, 1e-12);
        CHECK_NEAR(run.acc_device, 0.977272727, 1e-12);
        CHECK_INT(run.n_classes, 3);
        CHECK_STR(run.classes[2], "orange");
        CHECK_INT(run.cm_device.n, 3);
        CHECK_INT(run.cm_device.cells[1 * 3 + 2], 1);
        CHECK_INT(run.mem.source, TFG_MEM_FIRMWARE);
        CHECK_INT(run.mem.flash_used, 23876);
        CHECK_INT(run.mem.weights, 1452);
        CHECK_INT(run.mem.code, 20112);
        CHECK_INT(run.mem.arena, 48);
        CHECK_INT(run.mem.ram_limit, 262144);
        const char *which;
        CHECK(tfg_run_final_confusion(&run, &which) == &run.cm_device);
    }
    tfg_run_free(&run);
    drop_run(dir);
}

static void test_nothing_run(void)
{
    char *dir = make_run(false);
    tfg_run run;
    tfg_err err;
    tfg_status st = tfg_run_load(dir, 1000, 100, &run, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    for (int s = 0; s < TFG_RUN_STAGES; s++)
        CHECK(!run.ran[s]);
    CHECK(isnan(run.acc_float) && isnan(run.acc_int8) && isnan(run.acc_device));
    CHECK_INT(run.mem.source, TFG_MEM_NONE);
    CHECK(tfg_run_final_confusion(&run, NULL) == NULL);
    spec_box sb;
    load_spec(&sb);
    if (!st && sb.ok) {
        tfg_doc d;
        st = tfg_report_compose(&sb.spec, &run, &d, &err);
        CHECK_MSG(st == TFG_OK, "%s", err.msg);
        if (!st) {
            char *html = tfg_doc_html(&d);
            CHECK_HAS(html, "Stages not run: data, train, quantize, build, validate, sketch.");
            CHECK_HAS(html, "The data stage has not run");
            CHECK(strstr(html, "<img") == NULL);
            CHECK_INT(d.png.len, 0);
            free(html);
            tfg_doc_free(&d);
        }
    }
    free_spec(&sb);
    tfg_run_free(&run);
    drop_run(dir);
}

/* Only data and train have run: memory comes from the trainer's estimate, the matrix
 * from the float model, and the later stages are "not run". */
static void test_partial_run(void)
{
    char *dir = make_run(true);
    tfg_err err;
    static const char *const later[] = {"quantize", "build", "validate", "sketch"};
    for (int i = 0; i < 4; i++) {
        char *p = tfg_path_join(dir, later[i]);
        tfg_rmtree(p, &err);
        free(p);
    }
    tfg_run run;
    tfg_status st = tfg_run_load(dir, 1048576, 262144, &run, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    CHECK(run.ran[TFG_RUN_TRAIN] && !run.ran[TFG_RUN_QUANT] && !run.ran[TFG_RUN_VALIDATE]);
    CHECK_INT(run.mem.source, TFG_MEM_TRAIN);
    const char *which = NULL;
    CHECK(tfg_run_final_confusion(&run, &which) == &run.cm_float);
    CHECK(which && strstr(which, "float"));
    tfg_run_free(&run);
    drop_run(dir);
}

/* Built but not validated: memory is the generated model's (weights, arena). */
static void test_built_not_validated(void)
{
    char *dir = make_run(true);
    tfg_err err;
    char *p = tfg_path_join(dir, "validate");
    tfg_rmtree(p, &err);
    free(p);
    tfg_run run;
    tfg_status st = tfg_run_load(dir, 1048576, 262144, &run, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    CHECK_INT(run.mem.source, TFG_MEM_BUILD);
    CHECK_INT(run.mem.flash_used, 1452);
    CHECK_INT(run.mem.ram_used, 48);
    CHECK_INT(run.mem.flash_limit, 1048576); /* the spec's board */
    CHECK(isnan(run.acc_device));
    CHECK(tfg_run_final_confusion(&run, NULL) == &run.cm_int8);
    tfg_run_free(&run);
    drop_run(dir);
}

typedef struct {
    const char *file;
    const char *text;
    const char *want; /* in the message, after the file's path */
} broken_case;

static void test_malformed(void)
{
    static const broken_case cases[] = {
        {"quantize/report.json", "{\"float_accuracy\": 1.0,\n \"int8_accuracy\": }",
         "quantize/report.json:2:"},
        {"quantize/report.json", "[1, 2]", "quantize/report.json: expected a JSON object, got an array"},
        {"quantize/report.json", "{\"float_accuracy\": 1.0, \"int8_accuracy\": \"high\"}",
         "quantize/report.json: int8_accuracy: expected a number"},
        {"quantize/report.json", "{\"float_accuracy\": 1.0}",
         "quantize/report.json: int8_accuracy: required field is missing"},
        {"quantize/report.json", "{\"float_accuracy\": 1.5, \"int8_accuracy\": 0.9}",
         "quantize/report.json: float_accuracy: expected a number from 0 to 1"},
        {"quantize/report.json",
         "{\"float_accuracy\": 1, \"int8_accuracy\": 0.9, \"confusion_int8\": "
         "[[1,0,0],[0,1],[0,0,1]]}",
         "quantize/report.json: confusion_int8[1]: expected an array of 3 counts"},
        {"quantize/report.json",
         "{\"float_accuracy\": 1, \"int8_accuracy\": 0.9, \"confusion_int8\": [[1,0,0],[0,1,0]]}",
         "quantize/report.json: confusion_int8: has 2 rows; expected 3"},
        {"quantize/report.json",
         "{\"float_accuracy\": 1, \"int8_accuracy\": 0.9, \"confusion_int8\": "
         "[[1,0,0],[0,-1,0],[0,0,1]]}",
         "quantize/report.json: confusion_int8[1]: [1]: expected a count"},
        {"build/report.json", "{\"flash_bytes\": -4, \"arena_bytes\": 1}",
         "build/report.json: flash_bytes: expected an integer from 0"},
        {"validate/report.json",
         "{\"samples\": 44, \"matches\": 40, \"mismatches\": 0, \"device_accuracy\": 0.9}",
         "validate/report.json: matches: 40 matches + 0 mismatches should be the 44 samples"},
        {"validate/report.json",
         "{\"samples\": 4, \"matches\": 4, \"mismatches\": 0, \"device_accuracy\": 0.9, "
         "\"flash\": {\"used\": 10}}",
         "validate/report.json: flash.limit: required field is missing"},
        {"data/summary.json", "{\"ops\": [{\"op\": \"scale\"}, 7]}",
         "data/summary.json: ops[1]: expected an object, got an integer"},
        {"data/profile.json", "{\"columns_detail\": [{\"name\": \"x\", \"type\": \"numeric\", "
                              "\"mean\": \"big\"}]}",
         "data/profile.json: columns_detail[0].mean: expected a number"},
        {"train/arch.json", "{\"layers\": [{\"units\": 3}]}",
         "train/arch.json: layers[0].type: required field is missing"},
    };
    spec_box sb;
    load_spec(&sb);
    for (size_t i = 0; sb.ok && i < sizeof cases / sizeof cases[0]; i++) {
        char *dir = make_run(true);
        tfg_err err;
        tfg_report_opts o = {dir, false};
        tfg_report_outcome r;
        /* A good report first: a failed one must leave it as it was. */
        tfg_status st = tfg_report_stage(&sb.spec, &o, &r, &err);
        CHECK_MSG(st == TFG_OK, "%s", err.msg);
        tfg_report_outcome_free(&r);
        char *html_path = tfg_path_join(dir, "report/report.html");
        char *before = read_text(html_path);
        write_text(dir, cases[i].file, cases[i].text);
        st = tfg_report_stage(&sb.spec, &o, &r, &err);
        CHECK_MSG(st == TFG_EINPUT, "case %zu: status %d", i, (int)st);
        if (st) {
            char *want = tfg_xasprintf("%s/%s", dir, cases[i].want);
            CHECK_HAS(err.msg, want);
            free(want);
        }
        char *after = read_text(html_path);
        CHECK(before && after && !strcmp(before, after));
        char *tmp = tfg_path_join(dir, ".report.tmp");
        CHECK(!tfg_exists(tmp));
        free(tmp);
        free(before);
        free(after);
        free(html_path);
        tfg_report_outcome_free(&r);
        drop_run(dir);
    }
    free_spec(&sb);
}

static void test_stage(void)
{
    spec_box sb;
    load_spec(&sb);
    char *dir = make_run(true);
    /* A hostile class name: it must arrive in the page as text. */
    char *q = fixture_path("quantize/report.json");
    char *qt = read_text(q);
    free(q);
    CHECK(qt != NULL);
    if (qt) {
        char *at = strstr(qt, "\"orange\"");
        CHECK(at != NULL);
        if (at) {
            *at = '\0';
            char *evil = tfg_xasprintf("%s\"<script>alert(1)</script>|x\"%s", qt,
                                       at + strlen("\"orange\""));
            write_text(dir, "quantize/report.json", evil);
            free(evil);
        }
        free(qt);
    }
    tfg_report_opts o = {dir, false};
    tfg_report_outcome r;
    tfg_err err;
    tfg_status st = sb.ok ? tfg_report_stage(&sb.spec, &o, &r, &err) : TFG_EINTERNAL;
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (!st) {
        CHECK(!r.skipped);
        CHECK(r.png != NULL);
        char *html = read_text(r.html), *md = read_text(r.markdown);
        CHECK(html && md && tfg_exists(r.png));
        if (html && md) {
            CHECK(strstr(html, "<script") == NULL);
            CHECK_HAS(html, "&lt;script&gt;alert(1)&lt;/script&gt;|x");
            CHECK_HAS(md, "\\<script>alert(1)\\</script>\\|x");
            CHECK_HAS(html, "id=\"confusion-img\"");
            CHECK_HAS(html, "src=\"data:image/png;base64,iVBORw0KGgo"); /* a PNG signature */
            static const char *const ids[] = {"key-figures", "spec",   "class-balance", "columns",
                                              "splits",      "plan",   "arch",          "accuracy",
                                              "confusion",   "per-class", "work",       "stages"};
            for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
                char *want = tfg_xasprintf("<table id=\"%s\">", ids[i]);
                CHECK_HAS(html, want);
                free(want);
            }
            CHECK_HAS(html, "its prediction equals the host int8 prediction for all 44 test");
            CHECK_HAS(html, "23,876 of 1,048,576 bytes (2.3 %)");
            CHECK_HAS(html, "0.064 ms on the Arduino Nano 33 BLE Sense");
            CHECK_HAS(html, "one instruction per cycle at 64 MHz");
            CHECK_HAS(html, "2.27 points below float; calibrated on 200 samples, minmax");
            CHECK_HAS(md, "![Confusion matrix of the int8 model on the device");
            CHECK_HAS(md, "](confusion.png)");
            CHECK_HAS(md, "| **validate** | done | 1.620 |");
            /* The HTML loads nothing from elsewhere. */
            CHECK(strstr(html, "http://") == NULL && strstr(html, "https://") == NULL);
            CHECK(strstr(html, "<link") == NULL);
        }
        free(html);
        free(md);
        CHECK(json_is_string(json_object_get(r.summary, "html")));
        CHECK_STR(json_string_value(json_object_get(json_object_get(r.summary, "stages"),
                                                    "validate")),
                  "done");
        char *man = tfg_path_join(r.dir, "manifest.json");
        CHECK(tfg_exists(man));
        free(man);
    }
    tfg_report_outcome_free(&r);
    /* Unchanged: skipped. A new artifact: written again. */
    st = sb.ok ? tfg_report_stage(&sb.spec, &o, &r, &err) : TFG_EINTERNAL;
    CHECK(st == TFG_OK && r.skipped);
    tfg_report_outcome_free(&r);
    char *v = fixture_path("validate/report.json");
    char *vt = read_text(v);
    free(v);
    if (vt) {
        char *s = strstr(vt, "\"seconds\": 1.62");
        CHECK(s != NULL);
        if (s)
            memcpy(s, "\"seconds\": 1.63", strlen("\"seconds\": 1.63"));
        write_text(dir, "validate/report.json", vt);
        free(vt);
    }
    st = sb.ok ? tfg_report_stage(&sb.spec, &o, &r, &err) : TFG_EINTERNAL;
    CHECK(st == TFG_OK && !r.skipped);
    tfg_report_outcome_free(&r);
    drop_run(dir);
    free_spec(&sb);
}

TFG_TEST_MAIN(test_full_run, test_nothing_run, test_partial_run, test_built_not_validated,
              test_malformed, test_stage)
