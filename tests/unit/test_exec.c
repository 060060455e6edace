/* test_exec.c — whole plans through tfg_plan_execute: the stratified split bound on an
 * imbalanced table, reproducible seeds, rows pinned to the test split, classes and label
 * kinds, the end-of-plan checks, the log and progress, windows end to end, and the key
 * promise of preprocess.json: applying it to each raw row gives bit-identical floats to
 * the split the model is trained and tested on. */
#include <stdlib.h>

#include "../check.h"
#include "data/preprocess.h"
#include "plan_fixture.h"

#define PLAN(...) "{\"plan_version\":1,\"ops\":[" __VA_ARGS__ "]}"

/* An imbalanced 3-class table of 301 rows, 200 a / 70 b / 31 c, spread over the file
 * (i * 11 mod 301 is a permutation), with an id feature. */
static void classes_table(tfg_table *t)
{
    tfg_table_init(t);
    t->n_rows = 301;
    tfg_table_add_num(t, "id");
    tfg_table_add_cat(t, "y"); /* moves the columns: index them afresh below */
    for (size_t i = 0; i < 301; i++) {
        size_t k = i * 11 % 301;
        t->cols[0].num[i] = (double)i;
        fx_set_cat(t, "y", i, k < 200 ? "a" : (k < 270 ? "b" : "c"));
    }
}

static size_t count_class(const tfg_split *s, int32_t k)
{
    size_t n = 0;
    for (uint32_t i = 0; i < s->rows; i++)
        n += s->y_class[i] == k;
    return n;
}

static void test_stratified_bound(void)
{
    tfg_table t;
    classes_table(&t);
    size_t n_c[3] = {200, 70, 31};
    tfg_spec s;
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "y", NULL, 0, 42);
    tfg_data_result r;
    tfg_err err = {0};
    tfg_status st = fx_run(PLAN("{\"op\":\"split\",\"why\":\"w\",\"train\":0.7,\"val\":0.15,"
                                "\"test\":0.15}"),
                           &s, &t, &r, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (st)
        return;
    CHECK_INT(n_c[0] + n_c[1] + n_c[2], 301);
    CHECK(n_c[0] > 2 * n_c[1] && n_c[1] > n_c[2]); /* imbalanced */
    CHECK_INT(r.train.rows, 211); /* 210.7 -> 211 by largest remainder */
    CHECK_INT(r.val.rows, 45);
    CHECK_INT(r.test.rows, 45);
    CHECK_INT(r.n_classes, 3);
    CHECK_STR(r.classes[0], "a");
    CHECK_STR(r.classes[2], "c");
    const tfg_split *sp[3] = {&r.train, &r.val, &r.test};
    for (size_t k = 0; k < 3; k++) {
        size_t total = 0;
        for (size_t p = 0; p < 3; p++) {
            double ideal = (double)sp[p]->rows * (double)n_c[k] / 301.0;
            size_t got = count_class(sp[p], (int32_t)k);
            CHECK_MSG(fabs((double)got - ideal) <= 1, "split %zu class %zu: %zu vs %.3f", p, k,
                      got, ideal);
            total += got;
        }
        CHECK_INT(total, n_c[k]);
    }
    /* every row exactly once */
    char seen[301] = {0};
    for (size_t p = 0; p < 3; p++)
        for (uint32_t i = 0; i < sp[p]->rows; i++)
            seen[(int)sp[p]->x[i]]++;
    for (size_t i = 0; i < 301; i++)
        CHECK_INT(seen[i], 1);
    CHECK_STR(json_string_value(json_object_get(json_array_get(r.log, 0), "did")),
              "split 301 rows into train 211, val 45, test 45 (stratified by y, seed 42)");
    tfg_data_result_free(&r);
}

static tfg_status split_run(uint64_t spec_seed, const char *plan, tfg_data_result *r)
{
    tfg_table t;
    fx_fruit(&t, 120, 3);
    tfg_spec s;
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "fruit", NULL, 0, spec_seed);
    tfg_err err = {0};
    tfg_status st = fx_run(plan, &s, &t, r, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    return st;
}

static bool same_split(const tfg_split *a, const tfg_split *b)
{
    return a->rows == b->rows && a->features == b->features &&
           !memcmp(a->x, b->x, (size_t)a->rows * a->features * sizeof *a->x) &&
           !memcmp(a->y_class, b->y_class, a->rows * sizeof *a->y_class);
}

static void test_seeds(void)
{
    const char *plan = PLAN("{\"op\":\"shuffle\",\"why\":\"w\"},"
                            "{\"op\":\"split\",\"why\":\"w\",\"train\":0.6,\"val\":0.2,\"test\":0.2}");
    const char *seeded = PLAN("{\"op\":\"shuffle\",\"why\":\"w\",\"seed\":7},"
                              "{\"op\":\"split\",\"why\":\"w\",\"train\":0.6,\"val\":0.2,"
                              "\"test\":0.2,\"seed\":7}");
    tfg_data_result a, b, c, d;
    if (split_run(5, plan, &a) || split_run(5, plan, &b) || split_run(6, plan, &c) ||
        split_run(6, seeded, &d))
        return;
    CHECK(same_split(&a.train, &b.train));
    CHECK(same_split(&a.val, &b.val));
    CHECK(same_split(&a.test, &b.test));
    CHECK(!same_split(&a.train, &c.train)); /* another spec seed, another order */
    tfg_data_result e;
    if (!split_run(999, seeded, &e)) {  /* the op's seed overrides the spec's */
        CHECK(same_split(&d.train, &e.train));
        CHECK(same_split(&d.test, &e.test));
        tfg_data_result_free(&e);
    }
    tfg_data_result_free(&a);
    tfg_data_result_free(&b);
    tfg_data_result_free(&c);
    tfg_data_result_free(&d);
}

static void test_pinned(void)
{
    tfg_table t;
    fx_fruit(&t, 100, 4);
    t.pin = tfg_xcalloc(100, 1);
    for (size_t i = 80; i < 100; i++)
        t.pin[i] = TFG_SPLIT_TEST;
    tfg_spec s;
    char *features[] = {"id", "red", NULL};
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "fruit", features, 2, 1);
    tfg_data_result r;
    tfg_err err = {0};
    tfg_status st = fx_run(PLAN("{\"op\":\"split\",\"why\":\"w\",\"train\":0.6,\"val\":0.2,"
                                "\"test\":0.2}"),
                           &s, &t, &r, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (st)
        return;
    CHECK_INT(r.test.rows, 20);
    for (uint32_t i = 0; i < r.test.rows; i++)
        CHECK_NEAR(r.test.x[i * 2], 80 + i, 0); /* pinned rows, in file order */
    CHECK_INT(r.train.rows, 60); /* 80 unpinned rows divided 0.6 : 0.2 */
    CHECK_INT(r.val.rows, 20);
    for (uint32_t i = 0; i < r.train.rows; i++)
        CHECK(r.train.x[i * 2] < 80);
    CHECK_HAS(json_string_value(json_object_get(json_array_get(r.log, 0), "did")),
              "test rows pinned by their source");
    tfg_data_result_free(&r);
}

static void test_labels(void)
{
    static const double v[] = {0, 1, 2, 1, 0, 2, 1, 0, 2, 1};
    tfg_table t;
    tfg_spec s;
    tfg_data_result r;
    tfg_err err = {0};
    const char *plan = PLAN("{\"op\":\"split\",\"why\":\"w\",\"train\":0.6,\"val\":0,\"test\":0.4}");
    char *names[] = {"zero", "one", "two", NULL};
    /* numeric label with class names */
    fx_num_table(&t, 10, "x", v);
    fx_add_num(&t, "y", v);
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "y", NULL, 0, 1);
    s.class_names = names;
    s.n_class_names = 3;
    CHECK(fx_run(plan, &s, &t, &r, &err) == TFG_OK);
    CHECK_INT(r.n_classes, 3);
    CHECK_STR(r.classes[1], "one");
    CHECK_INT(r.val.rows, 0); /* an empty split is a split with 0 rows */
    CHECK_INT(r.train.label_kind, TFG_LABEL_CLASS);
    for (uint32_t i = 0; i < r.train.rows; i++)
        CHECK(r.train.y_class[i] == (int32_t)r.train.x[i]);
    tfg_data_result_free(&r);
    /* without names: "%g" of the sorted values */
    fx_num_table(&t, 10, "x", v);
    fx_add_num(&t, "y", v);
    s.class_names = NULL;
    s.n_class_names = 0;
    CHECK(fx_run(plan, &s, &t, &r, &err) == TFG_OK);
    CHECK_STR(r.classes[2], "2");
    tfg_data_result_free(&r);
    /* a value beyond the named classes, a fractional class, a single class */
    static const double bad[] = {0, 1, 2, 3, 0, 1, 2, 3, 0, 1};
    fx_num_table(&t, 10, "x", v);
    fx_add_num(&t, "y", bad);
    s.class_names = names;
    s.n_class_names = 3;
    CHECK(fx_run(plan, &s, &t, &r, &err) == TFG_ECHECK);
    CHECK_HAS(err.msg, "the label 'y' has the value 3, but the spec names 3 classes");
    s.class_names = NULL;
    s.n_class_names = 0;
    static const double frac[] = {0, 0.5, 0, 0.5, 0, 0.5, 0, 0.5, 0, 0.5};
    fx_num_table(&t, 10, "x", v);
    fx_add_num(&t, "y", frac);
    CHECK(fx_run(plan, &s, &t, &r, &err) == TFG_ECHECK);
    CHECK_HAS(err.msg, "the label 'y' has the value 0.5, which is not a class number");
    static const char *const one[] = {"a", "a", "a", "a", "a", "a", "a", "a", "a", "a"};
    fx_num_table(&t, 10, "x", v);
    fx_add_cat(&t, "y", one);
    CHECK(fx_run(plan, &s, &t, &r, &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "only one class ('a') in the data");
    /* regression: the value as float; anomaly without a label: none */
    fx_num_table(&t, 10, "x", v);
    fx_add_num(&t, "y", frac);
    fx_spec(&s, TFG_TASK_REGRESSION, "y", NULL, 0, 1);
    CHECK(fx_run(plan, &s, &t, &r, &err) == TFG_OK);
    CHECK_INT(r.train.label_kind, TFG_LABEL_VALUE);
    CHECK(r.train.y_value != NULL && r.train.y_class == NULL);
    CHECK_INT(r.n_classes, 0);
    CHECK(json_is_null(json_object_get(r.preprocess, "label")) == 0);
    tfg_data_result_free(&r);
    fx_num_table(&t, 10, "x", v);
    fx_spec(&s, TFG_TASK_ANOMALY, NULL, NULL, 0, 1);
    CHECK(fx_run(plan, &s, &t, &r, &err) == TFG_OK);
    CHECK_INT(r.train.label_kind, TFG_LABEL_NONE);
    CHECK_INT(r.n_features, 1);
    CHECK(json_is_null(json_object_get(r.preprocess, "label")));
    tfg_data_result_free(&r);
}

static void test_final_checks(void)
{
    tfg_table t;
    tfg_spec s;
    tfg_data_result r;
    tfg_err err = {0};
    const char *split = PLAN("{\"op\":\"split\",\"why\":\"w\",\"train\":0.5,\"val\":0.25,\"test\":0.25}");
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "fruit", NULL, 0, 1);
    fx_fruit(&t, 30, 1);
    static const char *c[30];
    for (size_t i = 0; i < 30; i++)
        c[i] = i % 2 ? "glossy" : "matte";
    fx_add_cat(&t, "finish", c);
    CHECK(fx_run(split, &s, &t, &r, &err) == TFG_ECHECK);
    CHECK_HAS(err.msg, "feature 'finish' is categorical; add a one_hot (or label_encode) op");
    fx_fruit(&t, 30, 1);
    t.cols[2].num[7] = NAN;
    CHECK(fx_run(split, &s, &t, &r, &err) == TFG_ECHECK);
    CHECK_HAS(err.msg, "feature 'green' has 1 missing cells after the plan; add an impute");
    fx_fruit(&t, 30, 1);
    t.cols[4].cat[3] = -1;
    CHECK(fx_run(split, &s, &t, &r, &err) == TFG_ECHECK);
    CHECK_HAS(err.msg, "the label 'fruit' has 1 missing cells after the plan; add "
                       "{\"op\": \"drop_missing\", \"columns\": [\"fruit\"]}");
    char *features[] = {"red", "blue", NULL};
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "fruit", features, 2, 1);
    fx_fruit(&t, 30, 1);
    CHECK(fx_run(PLAN("{\"op\":\"drop_columns\",\"why\":\"w\",\"columns\":[\"blue\"]},"
                      "{\"op\":\"split\",\"why\":\"w\",\"train\":0.5,\"val\":0.25,\"test\":0.25}"),
                 &s, &t, &r, &err) == TFG_ECHECK);
    CHECK_HAS(err.msg, "the spec's feature 'blue' is not in the data after the plan");
    fx_fruit(&t, 30, 1);
    for (size_t i = 0; i < 30; i++)
        t.cols[3].num[i] = NAN;
    CHECK(fx_run(PLAN("{\"op\":\"drop_missing\",\"why\":\"w\"},"
                      "{\"op\":\"split\",\"why\":\"w\",\"train\":0.5,\"val\":0.25,\"test\":0.25}"),
                 &s, &t, &r, &err) == TFG_ECHECK);
    /* drops act on the training split only: val and test keep their rows */
    CHECK_HAS(err.msg, "no training rows are left after the plan");
    /* an execution error names the op: a column typo after the split */
    fx_fruit(&t, 30, 1);
    CHECK(fx_run(PLAN("{\"op\":\"split\",\"why\":\"w\",\"train\":0.5,\"val\":0.25,\"test\":0.25},"
                      "{\"op\":\"scale\",\"why\":\"w\",\"method\":\"zscore\",\"columns\":[\"red\",\"gren\"]}"),
                 &s, &t, &r, &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "plan.json: ops[1].columns[1]: no column 'gren' (did you mean 'green'?)");
}

typedef struct {
    tfg_progress base;
    int calls;
    char last[64];
} counting_progress;

static void count_update(tfg_progress *p, const char *label, uint64_t done, uint64_t total)
{
    counting_progress *c = (counting_progress *)p;
    c->calls++;
    snprintf(c->last, sizeof c->last, "%s %llu/%llu", label, (unsigned long long)done,
             (unsigned long long)total);
    if (c->calls == 1) /* the split is drawn before any other op runs */
        CHECK_STR(label, "data: split");
}

static void test_log_and_progress(void)
{
    tfg_table t;
    fx_fruit(&t, 60, 2);
    t.cols[1].num[3] = NAN;
    t.pin = tfg_xcalloc(60, 1);
    t.pin[3] = TFG_SPLIT_TRAIN; /* drops touch the training split only */
    tfg_spec s;
    char *features[] = {"red", "green", "blue", NULL};
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "fruit", features, 3, 1);
    tfg_plan *p = NULL;
    tfg_err err = {0};
    CHECK(fx_parse(PLAN("{\"op\":\"drop_missing\",\"why\":\"w\"},"
                        "{\"op\":\"split\",\"why\":\"w\",\"train\":0.5,\"val\":0.25,\"test\":0.25},"
                        "{\"op\":\"scale\",\"why\":\"w\",\"method\":\"zscore\"}"),
                   &p, &err) == TFG_OK);
    counting_progress prog;
    memset(&prog, 0, sizeof prog);
    prog.base.update = count_update;
    tfg_data_result r;
    tfg_status st = tfg_plan_execute(p, &s, &t, &prog.base, &r, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    CHECK_INT(t.n_rows, 0); /* the table was consumed */
    CHECK_INT(prog.calls, 4);
    CHECK_STR(prog.last, "data: done 3/3");
    if (!st) {
        CHECK_INT(json_array_size(r.log), 3);
        json_t *e = json_array_get(r.log, 0);
        CHECK_INT(json_integer_value(json_object_get(e, "index")), 0);
        CHECK_STR(json_string_value(json_object_get(e, "op")), "drop_missing");
        CHECK_INT(json_integer_value(json_object_get(e, "rows_before")), 60);
        CHECK_INT(json_integer_value(json_object_get(e, "rows_after")), 59);
        CHECK_STR(json_string_value(json_object_get(e, "did")), "dropped 1 training row with a missing cell");
        e = json_array_get(r.log, 2);
        CHECK_HAS(json_string_value(json_object_get(e, "did")),
                  "standardized 3 columns with the training mean and std (red: offset");
        CHECK_INT(r.n_features, 3);
        CHECK_STR(r.features[2], "blue");
        CHECK(r.features[3] == NULL);
        CHECK(r.classes[3] == NULL);
        tfg_data_result_free(&r);
    }
    tfg_plan_free(p);
}

/* Balance after the split changes the training split only. */
static void test_balance_train_only(void)
{
    tfg_table t;
    tfg_table_init(&t);
    t.n_rows = 100;
    tfg_table_add_num(&t, "id");
    tfg_table_add_cat(&t, "y");
    for (size_t i = 0; i < 100; i++) {
        t.cols[0].num[i] = (double)i;
        fx_set_cat(&t, "y", i, i % 5 == 0 ? "rare" : "common"); /* 20 : 80 */
    }
    tfg_spec s;
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "y", NULL, 0, 3);
    tfg_data_result r;
    tfg_err err = {0};
    CHECK(fx_run(PLAN("{\"op\":\"split\",\"why\":\"w\",\"train\":0.6,\"val\":0.2,\"test\":0.2},"
                      "{\"op\":\"balance\",\"why\":\"w\",\"method\":\"oversample\"}"),
                 &s, &t, &r, &err) == TFG_OK);
    CHECK_INT(count_class(&r.train, 0), 48); /* common: 48 of 60 */
    CHECK_INT(count_class(&r.train, 1), 48); /* rare: 12 oversampled to 48 */
    CHECK_INT(r.val.rows, 20);
    CHECK_INT(count_class(&r.val, 1), 4);
    CHECK_INT(r.test.rows, 20);
    tfg_data_result_free(&r);
}

static void test_window_plan(void)
{
    tfg_table t;
    tfg_table_init(&t);
    t.n_rows = 64;
    tfg_column *ax = tfg_table_add_num(&t, "ax");
    for (size_t i = 0; i < 64; i++)
        ax->num[i] = sin((double)i) * (i < 32 ? 1 : 3); /* before the next column moves it */
    tfg_table_add_cat(&t, "act");
    for (size_t i = 0; i < 64; i++)
        fx_set_cat(&t, "act", i, i < 32 ? "rest" : "walk");
    tfg_spec s;
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "act", NULL, 0, 1);
    tfg_data_result r;
    tfg_err err = {0};
    tfg_status st = fx_run(PLAN("{\"op\":\"window\",\"why\":\"w\",\"columns\":[\"ax\"],\"size\":8,"
                                "\"step\":4,\"features\":[\"rms\",\"fft\"],\"fft_bands\":2},"
                                "{\"op\":\"split\",\"why\":\"w\",\"train\":0.5,\"val\":0.25,"
                                "\"test\":0.25},"
                                "{\"op\":\"scale\",\"why\":\"w\",\"method\":\"zscore\"}"),
                           &s, &t, &r, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (st)
        return;
    CHECK_INT(r.train.rows + r.val.rows + r.test.rows, 15);
    CHECK_INT(r.n_features, 3);
    CHECK_STR(r.features[0], "ax.rms");
    CHECK_STR(r.features[2], "ax.fft1");
    json_t *steps = json_object_get(r.preprocess, "steps");
    CHECK_INT(json_array_size(steps), 2);
    CHECK_STR(json_string_value(json_object_get(json_array_get(steps, 0), "step")), "window");
    CHECK_STR(json_string_value(json_array_get(json_object_get(r.preprocess, "inputs"), 0)), "ax");
    double raw = 0.5;
    float out[3];
    CHECK(tfg_preprocess_apply_row(r.preprocess, &raw, out, &err) == TFG_EUSAGE);
    tfg_data_result_free(&r);
}

/* ---- preprocess.json gives the split's floats bit for bit ------------------------------ */

static void dirty_fruit(tfg_table *t)
{
    fx_fruit(t, 300, 9);
    static const char *fin[300];
    for (size_t i = 0; i < 300; i++)
        fin[i] = i % 7 == 0 ? NULL : (i % 3 ? "glossy" : "matte");
    fx_add_cat(t, "finish", fin);
    for (size_t i = 5; i < 300; i += 23)
        t->cols[1 + i % 3].num[i] = NAN; /* missing cells spread over the colours */
    t->cols[1].num[10] = 0.0;   /* glitches far outside the fences */
    t->cols[2].num[50] = 0.98;
    t->cols[3].num[120] = 0.9;
    t->cols[1].num[200] = 0.123456789012; /* a value float32 cannot hold exactly */
}

/* The raw reading of table row `row` in pp's input order (categories as level indexes). */
static void raw_inputs(const json_t *pp, const tfg_table *t, size_t row, double *raw)
{
    size_t i, l;
    json_t *name, *lv;
    json_array_foreach(json_object_get(pp, "inputs"), i, name) {
        const tfg_column *c = &t->cols[tfg_table_find(t, json_string_value(name))];
        raw[i] = NAN;
        if (c->type == TFG_COL_NUM) {
            raw[i] = c->num[row];
            continue;
        }
        json_array_foreach(json_object_get(json_object_get(pp, "input_levels"), c->name), l, lv)
            if (c->cat[row] >= 0 && !strcmp(json_string_value(lv), c->levels[c->cat[row]]))
                raw[i] = (double)l;
    }
}

static size_t compare_split(const json_t *pp, const tfg_table *raw_t, const tfg_split *sp)
{
    size_t bad = 0, ni = tfg_preprocess_n_inputs(pp), nf = sp->features;
    double raw[16];
    float out[16];
    CHECK(ni <= 16 && nf <= 16);
    for (uint32_t r = 0; r < sp->rows; r++) {
        const float *x = sp->x + (size_t)r * nf;
        size_t row = (size_t)x[0]; /* feature 0 is the row id */
        raw_inputs(pp, raw_t, row, raw);
        tfg_err err = {0};
        if (tfg_preprocess_apply_row(pp, raw, out, &err) != TFG_OK) {
            CHECK_MSG(0, "%s", err.msg);
            return 1;
        }
        if (memcmp(out, x, nf * sizeof *out)) {
            if (!bad)
                for (size_t f = 0; f < nf; f++)
                    if (memcmp(&out[f], &x[f], sizeof *out))
                        fprintf(stderr, "row %zu feature %zu: %.9g vs %.9g\n", row, f,
                                (double)out[f], (double)x[f]);
            bad++;
        }
    }
    return bad;
}

static void test_preprocess_equivalence(void)
{
    tfg_table t, raw_t;
    dirty_fruit(&t);
    size_t *all = tfg_xmalloc(300 * sizeof *all);
    for (size_t i = 0; i < 300; i++)
        all[i] = i;
    tfg_table_subset(&t, all, 300, &raw_t); /* the raw rows, kept for the comparison */
    free(all);
    char *features[] = {"id", "red", "green", "blue", "finish", NULL};
    tfg_spec s;
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "fruit", features, 5, 2025);
    tfg_data_result r;
    tfg_err err = {0};
    tfg_status st = fx_run(
        PLAN("{\"op\":\"drop_duplicates\",\"why\":\"w\"},"
             "{\"op\":\"split\",\"why\":\"w\",\"train\":0.6,\"val\":0.2,\"test\":0.2},"
             "{\"op\":\"impute\",\"why\":\"w\",\"strategy\":\"median\",\"columns\":[\"red\",\"green\",\"blue\"]},"
             "{\"op\":\"impute\",\"why\":\"w\",\"strategy\":\"mode\",\"columns\":[\"finish\"]},"
             "{\"op\":\"outliers\",\"why\":\"w\",\"method\":\"iqr\",\"action\":\"clip\",\"columns\":[\"red\",\"green\",\"blue\"]},"
             "{\"op\":\"one_hot\",\"why\":\"w\",\"column\":\"finish\"},"
             "{\"op\":\"scale\",\"why\":\"w\",\"method\":\"zscore\",\"columns\":[\"red\",\"green\",\"blue\"]},"
             "{\"op\":\"scale\",\"why\":\"w\",\"method\":\"minmax\",\"columns\":[\"green\",\"finish=matte\"]}"),
        &s, &t, &r, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (st) {
        tfg_table_free(&raw_t);
        return;
    }
    CHECK_INT(r.n_features, 6);
    CHECK_STR(r.features[4], "finish=glossy");
    CHECK_INT(tfg_preprocess_n_features(r.preprocess), 6);
    CHECK_INT(tfg_preprocess_n_inputs(r.preprocess), 5);
    json_t *steps = json_object_get(r.preprocess, "steps");
    CHECK_INT(json_array_size(steps), 6);
    /* straight from memory, and after the round trip through the written text */
    char *text = tfg_json_pretty(r.preprocess);
    json_t *reread = NULL;
    CHECK(tfg_json_load_buf(text, strlen(text), "preprocess.json", &reread, &err) == TFG_OK);
    free(text);
    const tfg_split *sp[3] = {&r.train, &r.val, &r.test};
    for (size_t p = 0; p < 3; p++) {
        CHECK_INT(compare_split(r.preprocess, &raw_t, sp[p]), 0);
        if (reread)
            CHECK_INT(compare_split(reread, &raw_t, sp[p]), 0);
    }
    json_decref(reread);
    tfg_data_result_free(&r);
    tfg_table_free(&raw_t);
}

TFG_TEST_MAIN(test_stratified_bound, test_seeds, test_pinned, test_labels, test_final_checks,
              test_log_and_progress, test_balance_train_only, test_window_plan,
              test_preprocess_equivalence)
