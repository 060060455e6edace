/* test_lifecycle.c — the one lifecycle table and what hangs on it: the stages' one name
 * (and the old names read for one release), the run directory's layout, the typed
 * readers of the stages' reports, and the table's prerequisites and pilot entries. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "core/alloc.h"
#include "pilot/lifecycle.h"
#include "spec/results.h"
#include "spec/rundir.h"

static void test_names(void)
{
    static const char *const want[TFG_STAGE_COUNT] = {
        "spec", "data", "train", "quantize", "build", "validate", "sketch", "report"};
    bool alias = true;
    for (int i = 0; i < TFG_STAGE_COUNT; i++) {
        CHECK_STR(tfg_stage_name((tfg_stage_id)i), want[i]);
        CHECK_INT(tfg_stage_parse(want[i], &alias), i);
        CHECK(!alias);
    }
    CHECK_INT(tfg_stage_parse("model", &alias), TFG_STAGE_TRAIN);
    CHECK(alias);
    CHECK_INT(tfg_stage_parse("quant", &alias), TFG_STAGE_QUANTIZE);
    CHECK(alias);
    CHECK_INT(tfg_stage_parse("optimise", NULL), -1);
    CHECK_INT(tfg_stage_parse(NULL, NULL), -1);
}

static void test_layout(void)
{
    /* every artifact has a file in its stage's folder, and no two share a path */
    for (int a = 0; a < TFG_ART_COUNT; a++) {
        const char *file = tfg_artifact_file((tfg_artifact)a);
        CHECK_MSG(file && *file, "artifact %d has no file", a);
        char *want = tfg_xasprintf("%s/%s", tfg_stage_name(tfg_artifact_stage((tfg_artifact)a)),
                                   file ? file : "");
        CHECK_STR(tfg_artifact_label((tfg_artifact)a), want);
        free(want);
        for (int b = 0; b < a; b++)
            CHECK_MSG(strcmp(tfg_artifact_label((tfg_artifact)a),
                             tfg_artifact_label((tfg_artifact)b)),
                      "%s twice", tfg_artifact_label((tfg_artifact)a));
    }
    char *p = tfg_rundir_path("runs/fruit", TFG_ART_QUANTIZE_TEST_OUTPUT);
    CHECK_STR(p, "runs/fruit/quantize/test_output.bin");
    free(p);
    p = tfg_rundir_stage("runs/fruit", TFG_STAGE_TRAIN);
    CHECK_STR(p, "runs/fruit/train");
    free(p);
    p = tfg_rundir_manifest("r", TFG_STAGE_VALIDATE);
    CHECK_STR(p, "r/validate/manifest.json");
    free(p);
}

static void test_table(void)
{
    const tfg_stage_desc *t = tfg_lifecycle();
    for (int i = 0; i < TFG_STAGE_COUNT; i++) {
        CHECK_INT(t[i].id, i);
        CHECK(t[i].summary && *t[i].summary);
        /* a pilot entry is found (route key, prompt files, trace label) by the stage's name */
        const tfg_pilot_stage_def *pe = tfg_lifecycle_pilot(&t[i]);
        if (pe)
            CHECK_STR(pe->name, tfg_stage_name((tfg_stage_id)i));
        CHECK(pe == tfg_pilot_stage_find(tfg_stage_name((tfg_stage_id)i)));
        /* proposed: spec, data, train, quantize, sketch */
        CHECK((pe != NULL) == (i != TFG_STAGE_BUILD && i != TFG_STAGE_VALIDATE &&
                               i != TFG_STAGE_REPORT));
        /* every stage but spec runs as a command; run runs all but spec */
        CHECK(!t[i].run == (i == TFG_STAGE_SPEC));
        CHECK(t[i].in_run == (i != TFG_STAGE_SPEC));
        for (const tfg_stage_id *p = t[i].prereqs; *p != TFG_STAGE_COUNT; p++)
            CHECK_MSG(*p < (tfg_stage_id)i, "%s needs a later stage", tfg_stage_name(t[i].id));
    }
    CHECK(tfg_lifecycle_find("model") == &t[TFG_STAGE_TRAIN]);
    CHECK(tfg_lifecycle_find("nope") == NULL);
    tfg_stage_id need[TFG_STAGE_COUNT];
    size_t n = tfg_lifecycle_needs(TFG_STAGE_SKETCH, need);
    CHECK_INT(n, 4);
    static const tfg_stage_id sketch_needs[] = {TFG_STAGE_DATA, TFG_STAGE_TRAIN,
                                                TFG_STAGE_QUANTIZE, TFG_STAGE_BUILD};
    for (size_t i = 0; i < n && i < 4; i++)
        CHECK_INT(need[i], sketch_needs[i]);
    CHECK_INT(tfg_lifecycle_needs(TFG_STAGE_TRAIN, need), 1);
    CHECK_INT(need[0], TFG_STAGE_DATA);
    CHECK_INT(tfg_lifecycle_needs(TFG_STAGE_DATA, need), 0);
}

static json_t *parse(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    CHECK_MSG(j != NULL, "bad fixture: %s", text);
    return j;
}

static void test_results(void)
{
    tfg_err err;
    tfg_quantize_result q;
    json_t *j = parse("{\"test_samples\": 30, \"float_accuracy\": 0.9, \"int8_accuracy\": 0.85,"
                      " \"drop_points\": 5, \"model_bytes\": 1200,"
                      " \"calibration\": {\"samples\": 100, \"method\": \"minmax\"}}");
    CHECK_MSG(tfg_quantize_result_read(j, "q.json", &q, &err) == TFG_OK, "%s", err.msg);
    CHECK_NEAR(q.int8_accuracy, 0.85, 0);
    CHECK_INT(q.model_bytes, 1200);
    CHECK_INT(q.calibration_samples, 100);
    CHECK_STR(q.calibration_method, "minmax");
    CHECK(isnan(q.float_mse));
    json_decref(j);
    /* a misspelt key is an error naming the field, not a silent 0 */
    j = parse("{\"float_accuracy\": 0.9, \"int8_acuracy\": 0.85}");
    CHECK(tfg_quantize_result_read(j, "q.json", &q, &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "q.json: int8_accuracy: required field is missing");
    json_decref(j);
    /* regression: mean squared errors, no accuracies */
    j = parse("{\"float_mse\": 0.5, \"int8_mse\": 0.6}");
    CHECK_MSG(tfg_quantize_result_read(j, "q.json", &q, &err) == TFG_OK, "%s", err.msg);
    CHECK(isnan(q.int8_accuracy));
    CHECK_NEAR(q.int8_mse, 0.6, 0);
    json_decref(j);

    tfg_validate_result v;
    j = parse("{\"board\": {\"id\": \"uno\", \"name\": \"Arduino Uno\"}, \"emulator\": \"atmega328p\","
              " \"samples\": 10, \"matches\": 10, \"mismatches\": 0,"
              " \"flash\": {\"used\": 7000, \"limit\": 32768, \"weights\": 100},"
              " \"ram\": {\"used\": 900, \"limit\": 2048, \"stack\": 256},"
              " \"instructions_per_inference\": 1234, \"work\": {\"unit\": \"cycles\"}}");
    CHECK_MSG(tfg_validate_result_read(j, "v.json", &v, &err) == TFG_OK, "%s", err.msg);
    CHECK_STR(v.board_name, "Arduino Uno");
    CHECK_INT(v.matches, 10);
    CHECK(v.has_memory && v.ram.stack == 256 && v.flash.code == -1);
    CHECK_INT(v.work_per_inference, 1234);
    CHECK_STR(v.work_unit, "cycles");
    CHECK(isnan(v.device_accuracy));
    json_decref(j);
    j = parse("{\"samples\": 10, \"matches\": 8, \"mismatches\": 1}");
    CHECK(tfg_validate_result_read(j, "v.json", &v, &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "v.json: matches: 8 matches + 1 mismatches should be the 10 samples");
    json_decref(j);
    j = parse("{\"samples\": 10, \"matches\": \"all\", \"mismatches\": 0}");
    CHECK(tfg_validate_result_read(j, "v.json", &v, &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "v.json: matches");
    json_decref(j);

    tfg_train_result t;
    j = parse("{\"params\": 99, \"test_loss\": 0.25, \"estimate\": {\"flash_bytes\": 10}}");
    CHECK(tfg_train_result_read(j, "t.json", &t, &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "t.json: estimate.ram_bytes: required field is missing");
    json_decref(j);
    j = parse("{\"params\": 99, \"test_loss\": 0.25}");
    CHECK_MSG(tfg_train_result_read(j, "t.json", &t, &err) == TFG_OK, "%s", err.msg);
    CHECK_INT(t.params, 99);
    CHECK(isnan(t.test_accuracy) && t.est_flash == -1);
    json_decref(j);

    tfg_build_result b;
    j = parse("{\"flash_bytes\": 4000, \"arena_bytes\": 96, \"host_check\": {\"rows\": 30,"
              " \"compiler\": \"cc\"}}");
    CHECK_MSG(tfg_build_result_read(j, "b.json", &b, &err) == TFG_OK, "%s", err.msg);
    CHECK(b.arena_bytes == 96 && b.host_check_rows == 30 && b.input_bytes == -1);
    json_decref(j);

    tfg_sketch_result k;
    j = parse("[1]");
    CHECK(tfg_sketch_result_read(j, "k.json", &k, &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "k.json: expected a JSON object");
    json_decref(j);
    j = parse("{\"result\": \"passed\", \"checks\": [{}, {}]}");
    CHECK_MSG(tfg_sketch_result_read(j, "k.json", &k, &err) == TFG_OK, "%s", err.msg);
    CHECK(k.checks == 2 && !k.error);
    json_decref(j);
}

TFG_TEST_MAIN(test_names, test_layout, test_table, test_results)
