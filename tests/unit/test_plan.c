/* test_plan.c — parsing and validating data plans (every kind of shape error, with the
 * field path and suggestion in the message) and the builtin planner (its plan parses,
 * cites the profile, and runs). */
#include <stdlib.h>
#include <unistd.h>

#include "../check.h"
#include "core/io.h"
#include "plan_fixture.h"

#define SPLIT "{\"op\":\"split\",\"why\":\"hold out\",\"train\":0.7,\"val\":0.15,\"test\":0.15}"
#define PLAN(...) "{\"plan_version\":1,\"ops\":[" __VA_ARGS__ "]}"

/* Parses json; expects failure with code and a message containing each needle. */
static void expect_fail(const char *json, tfg_status code, const char *n1, const char *n2)
{
    tfg_plan *p = NULL;
    tfg_err err = {0};
    tfg_status st = fx_parse(json, &p, &err);
    CHECK_MSG(st == code, "status %d (want %d) for %s: %s", st, code, json, err.msg);
    CHECK(p == NULL);
    if (n1)
        CHECK_HAS(err.msg, n1);
    if (n2)
        CHECK_HAS(err.msg, n2);
    tfg_plan_free(p);
}

static void expect_ok(const char *json, size_t n_ops)
{
    tfg_plan *p = NULL;
    tfg_err err = {0};
    tfg_status st = fx_parse(json, &p, &err);
    CHECK_MSG(st == TFG_OK, "%s: %s", json, err.msg);
    CHECK_INT(tfg_plan_size(p), n_ops);
    tfg_plan_free(p);
}

static void test_parse_ok(void)
{
    expect_ok(PLAN(SPLIT), 1);
    expect_ok(PLAN("{\"op\":\"select_columns\",\"why\":\"w\",\"columns\":[\"a\",\"b\"]},"
                   "{\"op\":\"drop_columns\",\"why\":\"w\",\"columns\":\"c\"},"
                   "{\"op\":\"drop_missing\",\"why\":\"w\"},"
                   "{\"op\":\"drop_duplicates\",\"why\":\"w\"},"
                   "{\"op\":\"window\",\"why\":\"w\",\"columns\":[\"ax\"],\"size\":8,\"step\":4,"
                   "\"features\":[\"mean\",\"fft\"],\"fft_bands\":4},"
                   "{\"op\":\"shuffle\",\"why\":\"w\",\"seed\":3}," SPLIT ","
                   "{\"op\":\"impute\",\"why\":\"w\",\"strategy\":\"constant\",\"value\":\"x\"},"
                   "{\"op\":\"outliers\",\"why\":\"w\",\"method\":\"zscore\",\"action\":\"clip\"},"
                   "{\"op\":\"scale\",\"why\":\"w\",\"method\":\"minmax\",\"range\":[0,255]},"
                   "{\"op\":\"label_encode\",\"why\":\"w\",\"column\":\"c\"},"
                   "{\"op\":\"one_hot\",\"why\":\"w\",\"column\":\"d\"},"
                   "{\"op\":\"balance\",\"why\":\"w\",\"method\":\"undersample\",\"seed\":1}"),
              13);
    /* val may be 0 */
    expect_ok(PLAN("{\"op\":\"split\",\"why\":\"w\",\"train\":0.8,\"val\":0,\"test\":0.2}"), 1);
}

static void test_unknown_op(void)
{
    expect_fail(PLAN(SPLIT ",{\"op\":\"imput\",\"why\":\"w\",\"strategy\":\"mean\"}"),
                TFG_EINPUT, "plan.json: ops[1].op: unknown op 'imput'; did you mean 'impute'?",
                "known: select_columns, drop_columns");
    expect_fail(PLAN("{\"op\":\"frobnicate\",\"why\":\"w\"}," SPLIT), TFG_EINPUT,
                "ops[0].op: unknown op 'frobnicate' (known: ", NULL);
    expect_fail(PLAN("{\"why\":\"w\"}," SPLIT), TFG_EINPUT, "ops[0].op: required field", NULL);
    expect_fail(PLAN("3," SPLIT), TFG_EINPUT, "ops[0]: expected an op object", NULL);
}

static void test_why(void)
{
    expect_fail(PLAN("{\"op\":\"drop_duplicates\"}," SPLIT), TFG_EINPUT,
                "ops[0].why: required field is missing", NULL);
    expect_fail(PLAN("{\"op\":\"drop_duplicates\",\"why\":\"  \"}," SPLIT), TFG_EINPUT,
                "ops[0].why: must say why", NULL);
    expect_fail(PLAN("{\"op\":\"drop_duplicates\",\"why\":7}," SPLIT), TFG_EINPUT,
                "ops[0].why: expected a string", NULL);
}

static void test_bad_args(void)
{
    expect_fail(PLAN("{\"op\":\"impute\",\"why\":\"w\",\"strategy\":\"mean\",\"colums\":[\"a\"]},"
                     SPLIT),
                TFG_EINPUT, "ops[0].colums: unknown field; did you mean 'columns'?", NULL);
    expect_fail(PLAN("{\"op\":\"drop_duplicates\",\"why\":\"w\",\"columns\":[\"a\"]}," SPLIT),
                TFG_EINPUT, "ops[0].columns: unknown field", NULL);
    expect_fail(PLAN("{\"op\":\"impute\",\"why\":\"w\",\"strategy\":\"meen\"}," SPLIT),
                TFG_EINPUT, "ops[0].strategy: 'meen' is not one of mean, median, mode, constant",
                "did you mean 'mean'");
    expect_fail(PLAN("{\"op\":\"impute\",\"why\":\"w\",\"strategy\":3}," SPLIT), TFG_EINPUT,
                "ops[0].strategy: expected a string", NULL);
    expect_fail(PLAN("{\"op\":\"impute\",\"why\":\"w\"}," SPLIT), TFG_EINPUT,
                "ops[0].strategy: required field is missing", NULL);
    expect_fail(PLAN("{\"op\":\"impute\",\"why\":\"w\",\"strategy\":\"constant\"}," SPLIT),
                TFG_EINPUT, "ops[0].value: strategy 'constant' needs a value", NULL);
    expect_fail(PLAN("{\"op\":\"impute\",\"why\":\"w\",\"strategy\":\"mean\",\"value\":1}," SPLIT),
                TFG_EINPUT, "ops[0].value: a value is only used with strategy 'constant'", NULL);
    expect_fail(PLAN("{\"op\":\"impute\",\"why\":\"w\",\"strategy\":\"constant\",\"value\":[1]},"
                     SPLIT),
                TFG_EINPUT, "ops[0].value: expected a number or a string", NULL);
    expect_fail(PLAN("{\"op\":\"drop_missing\",\"why\":\"w\",\"columns\":[]}," SPLIT), TFG_EINPUT,
                "ops[0].columns: expected at least one column", NULL);
    expect_fail(PLAN("{\"op\":\"drop_missing\",\"why\":\"w\",\"columns\":[\"a\",\"a\"]}," SPLIT),
                TFG_EINPUT, "ops[0].columns[1]: column 'a' is listed twice", NULL);
    expect_fail(PLAN("{\"op\":\"drop_columns\",\"why\":\"w\",\"columns\":[\"a\",2]}," SPLIT),
                TFG_EINPUT, "ops[0].columns[1]: expected a string", NULL);
    expect_fail(PLAN("{\"op\":\"select_columns\",\"why\":\"w\"}," SPLIT), TFG_EINPUT,
                "ops[0].columns: required field is missing", NULL);
    expect_fail(PLAN("{\"op\":\"one_hot\",\"why\":\"w\",\"columns\":[\"a\"]}," SPLIT), TFG_EINPUT,
                "ops[0].columns: unknown field; did you mean 'column'?", NULL);
    expect_fail(PLAN("{\"op\":\"balance\",\"why\":\"w\",\"method\":\"oversample\",\"seed\":-1},"
                     SPLIT),
                TFG_EINPUT, "ops[0].seed: expected an integer from 0", NULL);
    expect_fail(PLAN(SPLIT ",{\"op\":\"scale\",\"why\":\"w\",\"method\":\"zscore\",\"range\":[0,1]}"),
                TFG_EINPUT, "ops[1].range: a fixed range is only used with method 'minmax'", NULL);
    expect_fail(PLAN(SPLIT ",{\"op\":\"scale\",\"why\":\"w\",\"method\":\"minmax\",\"range\":[5,1]}"),
                TFG_EINPUT, "ops[1].range: expected lo < hi", NULL);
    expect_fail(PLAN(SPLIT ",{\"op\":\"scale\",\"why\":\"w\",\"method\":\"minmax\",\"range\":[5]}"),
                TFG_EINPUT, "ops[1].range: expected [lo, hi]", NULL);
}

static void test_ranges(void)
{
    expect_fail(PLAN("{\"op\":\"split\",\"why\":\"w\",\"train\":0.7,\"val\":0.2,\"test\":0.2}"),
                TFG_EINPUT, "ops[0]: train + val + test must be 1", NULL);
    expect_fail(PLAN("{\"op\":\"split\",\"why\":\"w\",\"train\":1,\"val\":0,\"test\":0}"),
                TFG_EINPUT, "ops[0].test: expected a number from", NULL);
    expect_fail(PLAN("{\"op\":\"split\",\"why\":\"w\",\"train\":0.7,\"test\":0.3}"), TFG_EINPUT,
                "ops[0].val: required field is missing", NULL);
    expect_fail(PLAN("{\"op\":\"outliers\",\"why\":\"w\",\"method\":\"iqr\",\"action\":\"drop\","
                     "\"k\":-1}," SPLIT),
                TFG_EINPUT, "ops[0].k: expected a number from", NULL);
    expect_fail(PLAN("{\"op\":\"outliers\",\"why\":\"w\",\"method\":\"iqr\",\"action\":\"zap\"},"
                     SPLIT),
                TFG_EINPUT, "ops[0].action: 'zap' is not one of clip, drop", NULL);
    expect_fail(PLAN("{\"op\":\"window\",\"why\":\"w\",\"columns\":[\"a\"],\"size\":1,\"step\":1,"
                     "\"features\":[\"mean\"]}," SPLIT),
                TFG_EINPUT, "ops[0].size: expected an integer from 2", NULL);
    expect_fail(PLAN("{\"op\":\"window\",\"why\":\"w\",\"columns\":[\"a\"],\"size\":8,\"step\":0,"
                     "\"features\":[\"mean\"]}," SPLIT),
                TFG_EINPUT, "ops[0].step: expected an integer from 1", NULL);
    expect_fail(PLAN("{\"op\":\"window\",\"why\":\"w\",\"columns\":[\"a\"],\"size\":8,\"step\":2,"
                     "\"features\":[\"fft\"],\"fft_bands\":5}," SPLIT),
                TFG_EINPUT, "ops[0].fft_bands: expected an integer from 1 to 4", NULL);
    expect_fail(PLAN("{\"op\":\"window\",\"why\":\"w\",\"columns\":[\"a\"],\"size\":8,\"step\":2,"
                     "\"features\":[\"mean\",\"rmss\"]}," SPLIT),
                TFG_EINPUT, "ops[0].features[1]: unknown window feature 'rmss'; did you mean 'rms'?",
                NULL);
    expect_fail(PLAN("{\"op\":\"window\",\"why\":\"w\",\"columns\":[\"a\"],\"size\":8,\"step\":2,"
                     "\"features\":[\"mean\",\"mean\"]}," SPLIT),
                TFG_EINPUT, "ops[0].features[1]: 'mean' is listed twice", NULL);
    expect_fail(PLAN("{\"op\":\"window\",\"why\":\"w\",\"columns\":[\"a\"],\"size\":8,\"step\":2,"
                     "\"features\":[\"mean\"],\"fft_bands\":2}," SPLIT),
                TFG_EINPUT, "ops[0].fft_bands: fft_bands is only used when features include 'fft'",
                NULL);
}

static void test_structure(void)
{
    expect_fail(PLAN("{\"op\":\"drop_duplicates\",\"why\":\"w\"}"), TFG_EINPUT,
                "plan.json: ops: the plan has no split op", NULL);
    expect_fail(PLAN(SPLIT "," SPLIT), TFG_EINPUT,
                "ops[1]: a second split op (the first is ops[0])", NULL);
    expect_fail(PLAN(SPLIT ",{\"op\":\"window\",\"why\":\"w\",\"columns\":[\"a\"],\"size\":8,"
                     "\"step\":2,\"features\":[\"mean\"]}"),
                TFG_EINPUT, "ops[1]: window must come before the split op (ops[0])", NULL);
    expect_fail("{\"ops\":[" SPLIT "]}", TFG_EINPUT, "plan_version: required field", NULL);
    expect_fail("{\"plan_version\":2,\"ops\":[" SPLIT "]}", TFG_EINPUT,
                "plan_version: expected an integer from 1 to 1", NULL);
    expect_fail("{\"plan_version\":1,\"opz\":[]}", TFG_EINPUT, "opz: unknown field; did you mean 'ops'",
                NULL);
    expect_fail("{\"plan_version\":1,\"ops\":{}}", TFG_EINPUT, "ops: expected an array", NULL);
    expect_fail("[1]", TFG_EINPUT, "expected an object", NULL);
}

static void test_load_file(void)
{
    char dir[] = "/tmp/tfg_plan_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *good = tfg_xasprintf("%s/plan.json", dir), *bad = tfg_xasprintf("%s/bad.json", dir);
    const char *text = PLAN(SPLIT), *broken = "{\"plan_version\": 1,\n \"ops\": [,]}";
    tfg_err err = {0};
    CHECK(tfg_write_atomic(good, text, strlen(text), &err) == TFG_OK);
    CHECK(tfg_write_atomic(bad, broken, strlen(broken), &err) == TFG_OK);
    tfg_plan *p = NULL;
    CHECK_MSG(tfg_plan_load(good, &p, &err) == TFG_OK, "%s", err.msg);
    CHECK_INT(tfg_plan_size(p), 1);
    tfg_plan_free(p);
    p = NULL;
    CHECK(tfg_plan_load(bad, &p, &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "bad.json:2:");
    char *missing = tfg_xasprintf("%s/none.json", dir);
    CHECK(tfg_plan_load(missing, &p, &err) == TFG_EIO);
    unlink(good);
    unlink(bad);
    rmdir(dir);
    free(good);
    free(bad);
    free(missing);
}

/* ---- builtin planner -------------------------------------------------------------------- */

static void fill_num(tfg_col_profile *c, const char *name, size_t count, size_t missing,
                     double min, double max, double q1, double q3, size_t outliers)
{
    memset(c, 0, sizeof *c);
    c->name = (char *)name;
    c->type = TFG_COL_NUM;
    c->count = count;
    c->missing = missing;
    c->distinct = count;
    c->min = min;
    c->max = max;
    c->q1 = q1;
    c->q3 = q3;
    c->median = (q1 + q3) / 2;
    c->mean = c->median;
    c->std = (q3 - q1) / 1.35;
    c->lo_fence = q1 - 1.5 * (q3 - q1);
    c->hi_fence = q3 + 1.5 * (q3 - q1);
    c->outliers = outliers;
    double iqr = q3 - q1; /* one glitch when the range reaches past 3 IQR */
    c->far_outliers = min < q1 - 3 * iqr || max > q3 + 3 * iqr;
}

/* The dirty fruit table the profile below describes: 3 missing reds, 2 missing blues,
 * a far outlier in red, 2 duplicate rows, an extra "id" column, 90/45/45 classes. */
static void dirty_fruit(tfg_table *t)
{
    fx_fruit(t, 180, 5);
    for (size_t i = 135; i < 180; i++) /* apple 90, banana 45, orange 45 (imbalanced) */
        if (i % 3)
            fx_set_cat(t, "fruit", i, "apple");
    t->cols[1].num[4] = NAN;
    t->cols[1].num[7] = NAN;
    t->cols[1].num[11] = NAN;
    t->cols[3].num[5] = NAN;
    t->cols[3].num[8] = NAN;
    t->cols[1].num[20] = 0.99; /* a glitch */
    for (size_t c = 0; c < 5; c++) { /* rows 31, 32 repeat rows 30, 33 */
        if (t->cols[c].type == TFG_COL_NUM) {
            t->cols[c].num[31] = t->cols[c].num[30];
            t->cols[c].num[32] = t->cols[c].num[33];
        } else {
            t->cols[c].cat[31] = t->cols[c].cat[30];
            t->cols[c].cat[32] = t->cols[c].cat[33];
        }
    }
}

static size_t count_ops(const json_t *plan, const char *name)
{
    size_t i, n = 0;
    json_t *op;
    json_array_foreach(json_object_get(plan, "ops"), i, op)
        n += !strcmp(json_string_value(json_object_get(op, "op")), name);
    return n;
}

static void test_planner_tabular(void)
{
    tfg_col_profile cols[5];
    fill_num(&cols[0], "id", 180, 0, 0, 179, 45, 135, 0);
    fill_num(&cols[1], "red", 177, 3, 0.40, 0.99, 0.45, 0.58, 1);
    fill_num(&cols[2], "green", 180, 0, 0.2, 0.5, 0.25, 0.42, 0);
    fill_num(&cols[3], "blue", 178, 2, 0.05, 0.25, 0.10, 0.20, 0);
    memset(&cols[4], 0, sizeof cols[4]);
    cols[4].name = "fruit";
    cols[4].type = TFG_COL_CAT;
    cols[4].count = 180;
    char *classes[] = {"apple", "banana", "orange", NULL};
    size_t counts[] = {90, 45, 45};
    tfg_profile prof = {.n_rows = 180, .n_cols = 5, .cols = cols, .duplicate_rows = 2,
                        .label = 4, .n_classes = 3, .classes = classes,
                        .class_counts = counts};
    char *features[] = {"red", "green", "blue", NULL};
    tfg_spec s;
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "fruit", features, 3, 11);
    json_t *plan = tfg_plan_builtin(&prof, &s);
    json_t *ops = json_object_get(plan, "ops");
    /* the far values are clipped after the split (fences from train), never dropped */
    const char *want[] = {"select_columns", "drop_duplicates", "split", "impute", "outliers",
                          "scale", "balance"};
    CHECK_INT(json_array_size(ops), 7);
    for (size_t i = 0; i < 7 && i < json_array_size(ops); i++)
        CHECK_STR(json_string_value(json_object_get(json_array_get(ops, i), "op")), want[i]);
    char *text = tfg_json_pretty(plan);
    CHECK_HAS(text, "2 rows repeat an earlier row");
    CHECK_HAS(text, "'red' reaches 0.4..0.99, beyond its 3 IQR fences 0.06..0.97");
    const json_t *clip = json_array_get(ops, 4);
    CHECK_STR(json_string_value(json_object_get(clip, "action")), "clip");
    CHECK_HAS(text, "'red' has 3 missing cells, 'blue' has 2 missing cells");
    CHECK_HAS(text, "'apple' has 90 rows, the smallest 'banana' 45 (2.00x");
    CHECK_HAS(text, "apple: 90, banana: 45, orange: 45");
    free(text);
    /* the plan parses and runs on the data it describes */
    tfg_plan *p = NULL;
    tfg_err err = {0};
    CHECK_MSG(tfg_plan_parse(plan, "plan.json", &p, &err) == TFG_OK, "%s", err.msg);
    tfg_table t;
    dirty_fruit(&t);
    tfg_data_result r;
    tfg_status st = p ? tfg_plan_execute(p, &s, &t, NULL, &r, &err) : TFG_EINTERNAL;
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (!st) {
        CHECK_INT(r.n_features, 3);
        CHECK_INT(r.n_classes, 3);
        CHECK_INT(json_array_size(r.log), 7);
        CHECK_INT(r.val.rows + r.test.rows > 0, 1);
        tfg_data_result_free(&r);
    }
    tfg_table_free(&t);
    tfg_plan_free(p);
    json_decref(plan);
}

/* A categorical feature with few levels is one-hot encoded; with many, label-encoded;
 * a balanced label gets no balance op; nothing extra gets no select_columns. */
static void test_planner_categorical(void)
{
    tfg_col_profile cols[4];
    fill_num(&cols[0], "x", 60, 0, 0, 1, 0.25, 0.75, 0);
    memset(&cols[1], 0, 3 * sizeof cols[1]);
    cols[1].name = "small";
    cols[1].type = TFG_COL_CAT;
    cols[1].n_levels = 3;
    cols[2].name = "big";
    cols[2].type = TFG_COL_CAT;
    cols[2].n_levels = 20;
    cols[3].name = "y";
    cols[3].type = TFG_COL_CAT;
    char *classes[] = {"a", "b", NULL};
    size_t counts[] = {30, 30};
    tfg_profile prof = {.n_rows = 60, .n_cols = 4, .cols = cols, .label = 3, .n_classes = 2,
                        .classes = classes, .class_counts = counts};
    tfg_spec s;
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "y", NULL, 0, 1);
    json_t *plan = tfg_plan_builtin(&prof, &s);
    json_t *ops = json_object_get(plan, "ops");
    const char *want[] = {"split", "one_hot", "label_encode", "scale"};
    CHECK_INT(json_array_size(ops), 4);
    for (size_t i = 0; i < 4 && i < json_array_size(ops); i++)
        CHECK_STR(json_string_value(json_object_get(json_array_get(ops, i), "op")), want[i]);
    tfg_plan *p = NULL;
    tfg_err err = {0};
    CHECK_MSG(tfg_plan_parse(plan, "plan.json", &p, &err) == TFG_OK, "%s", err.msg);
    tfg_plan_free(p);
    json_decref(plan);
}

static void test_planner_images(void)
{
    tfg_col_profile cols[5];
    const char *names[] = {"px0", "px1", "px2", "px3"};
    for (size_t i = 0; i < 4; i++)
        fill_num(&cols[i], names[i], 40, 0, 0, 255, 10, 200, 0);
    fill_num(&cols[4], "label", 40, 0, 0, 1, 0, 1, 0);
    char *classes[] = {"0", "1", NULL};
    size_t counts[] = {20, 20};
    tfg_profile prof = {.n_rows = 40, .n_cols = 5, .cols = cols, .label = 4, .n_classes = 2,
                        .classes = classes, .class_counts = counts, .shape = {2, 2, 1}};
    tfg_spec s;
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "label", NULL, 0, 1);
    json_t *plan = tfg_plan_builtin(&prof, &s);
    json_t *ops = json_object_get(plan, "ops");
    CHECK_INT(json_array_size(ops), 2);
    CHECK_STR(json_string_value(json_object_get(json_array_get(ops, 0), "op")), "split");
    json_t *scale = json_array_get(ops, 1);
    CHECK_STR(json_string_value(json_object_get(scale, "op")), "scale");
    CHECK_INT(json_integer_value(json_array_get(json_object_get(scale, "range"), 1)), 255);
    CHECK_HAS(json_string_value(json_object_get(scale, "why")), "pixel values 0..255");
    tfg_plan *p = NULL;
    tfg_err err = {0};
    CHECK_MSG(tfg_plan_parse(plan, "plan.json", &p, &err) == TFG_OK, "%s", err.msg);
    /* runs on a tiny image table: pixels keep their 2x2x1 shape, scaled to 0..1 */
    tfg_table t;
    tfg_table_init(&t);
    t.n_rows = 40;
    t.shape[0] = 2;
    t.shape[1] = 2;
    t.shape[2] = 1;
    for (size_t c = 0; c < 4; c++) {
        tfg_column *col = tfg_table_add_num(&t, names[c]);
        for (size_t i = 0; i < 40; i++)
            col->num[i] = (double)((i * 37 + c * 11) % 256);
    }
    tfg_column *lab = tfg_table_add_num(&t, "label");
    for (size_t i = 0; i < 40; i++)
        lab->num[i] = (double)(i % 2);
    tfg_data_result r;
    tfg_status st = p ? tfg_plan_execute(p, &s, &t, NULL, &r, &err) : TFG_EINTERNAL;
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (!st) {
        CHECK_INT(r.train.rank, 3);
        CHECK_INT(r.train.shape[0], 2);
        CHECK_INT(r.train.shape[2], 1);
        CHECK_INT(r.train.rows + r.val.rows + r.test.rows, 40);
        for (size_t i = 0; i < (size_t)r.train.rows * 4; i++)
            CHECK(r.train.x[i] >= 0 && r.train.x[i] <= 1);
        tfg_data_result_free(&r);
    }
    tfg_table_free(&t);
    tfg_plan_free(p);
    json_decref(plan);
}

/* With a profile computed from the data (profile.c), the plan runs on that data. */
static void test_planner_from_profile(void)
{
    tfg_table t;
    dirty_fruit(&t);
    tfg_spec s;
    char *features[] = {"red", "green", "blue", NULL};
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "fruit", features, 3, 3);
    tfg_profile prof;
    tfg_err err = {0};
    memset(&prof, 0, sizeof prof);
    CHECK_MSG(tfg_profile_compute(&t, "fruit", &prof, &err) == TFG_OK, "%s", err.msg);
    json_t *plan = tfg_plan_builtin(&prof, &s);
    tfg_profile_free(&prof);
    tfg_plan *p = NULL;
    CHECK_MSG(tfg_plan_parse(plan, "plan.json", &p, &err) == TFG_OK, "%s", err.msg);
    tfg_data_result r;
    tfg_status st = p ? tfg_plan_execute(p, &s, &t, NULL, &r, &err) : TFG_EINTERNAL;
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (!st) {
        CHECK_INT(r.n_classes, 3);
        CHECK_INT(r.train.rows > r.test.rows, 1);
        CHECK_INT(count_ops(plan, "drop_duplicates"), 1);
        CHECK_INT(count_ops(plan, "balance"), 1);
        tfg_data_result_free(&r);
    }
    tfg_table_free(&t);
    tfg_plan_free(p);
    json_decref(plan);
}

TFG_TEST_MAIN(test_parse_ok, test_unknown_op, test_why, test_bad_args, test_ranges,
              test_structure, test_load_file, test_planner_tabular, test_planner_categorical,
              test_planner_images, test_planner_from_profile)
