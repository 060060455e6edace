/* test_cleaning.c — cleaning that does no harm (issue 14): the builtin plan keeps every
 * real extreme case of a class (clips instead of dropping, leaves anomalies alone); the
 * test split is drawn first from the raw rows, so its rows are the same whatever the
 * plan drops; statistics come from the training split even when the plan lists the op
 * before the split; val/test rows without a label are set aside and counted; and the
 * rule that judges whether drops single out a class (data/drops.h). Every table is made
 * here. */
#include <stdlib.h>

#include "../check.h"
#include "data/drops.h"
#include "data/profile.h"
#include "plan_fixture.h"

#define PLAN(...) "{\"plan_version\":1,\"ops\":[" __VA_ARGS__ "]}"

/* ---- the builtin plan keeps extreme cases ------------------------------------------- */

/* 400 readings of a machine: "ok" rows around 1.0 with a little noise, and 8 "fault"
 * rows (2 %) whose vibration is 10 to 17 times the usual: real cases, not glitches. */
static void machine_table(tfg_table *t)
{
    tfg_rng rng;
    tfg_rng_seed(&rng, 77);
    tfg_table_init(t);
    t->n_rows = 400;
    tfg_table_add_num(t, "id");
    tfg_table_add_num(t, "vib");
    tfg_table_add_num(t, "temp");
    tfg_table_add_cat(t, "state");
    for (size_t i = 0; i < 400; i++) {
        bool fault = i % 50 == 7;
        t->cols[0].num[i] = (double)i;
        t->cols[1].num[i] = fault ? 10.0 + (double)(i % 8) : 1.0 + 0.1 * tfg_rng_normal(&rng);
        t->cols[2].num[i] = 40 + tfg_rng_normal(&rng);
        fx_set_cat(t, "state", i, fault ? "fault" : "ok");
    }
}

static size_t count_class(const tfg_split *s, int32_t k)
{
    size_t n = 0;
    for (uint32_t i = 0; i < s->rows; i++)
        n += s->y_class[i] == k;
    return n;
}

/* The builtin's plan for t under s, run; t is consumed. */
static tfg_status run_builtin(tfg_table *t, const tfg_spec *s, json_t **plan,
                              tfg_data_result *r, tfg_err *err)
{
    tfg_profile prof;
    memset(r, 0, sizeof *r);
    tfg_status st = tfg_profile_compute(t, s->label, &prof, err);
    if (st) {
        tfg_table_free(t);
        return st;
    }
    *plan = tfg_plan_builtin(&prof, s);
    tfg_profile_free(&prof);
    tfg_plan *p = NULL;
    st = tfg_plan_parse(*plan, "builtin plan", &p, err);
    if (!st)
        st = tfg_plan_execute(p, s, t, NULL, r, err);
    tfg_plan_free(p);
    tfg_table_free(t);
    return st;
}

static const json_t *find_op(const json_t *plan, const char *name)
{
    size_t i;
    const json_t *op;
    json_array_foreach(json_object_get(plan, "ops"), i, op)
        if (!strcmp(json_string_value(json_object_get(op, "op")), name))
            return op;
    return NULL;
}

static void test_builtin_keeps_extremes(void)
{
    tfg_table t;
    machine_table(&t);
    char *features[] = {"vib", "temp", NULL};
    tfg_spec s;
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "state", features, 2, 5);
    json_t *plan = NULL;
    tfg_data_result r;
    tfg_err err = {0};
    tfg_status st = run_builtin(&t, &s, &plan, &r, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (st) {
        json_decref(plan);
        return;
    }
    /* every row, and every fault, is in a split (training oversamples the faults: the
     * accounting says what the split drew and that no op dropped a row) */
    CHECK_STR(r.classes[0], "fault");
    const json_t *acc = json_object_get(r.accounting, "splits");
    const json_t *tr = json_object_get(acc, "train");
    CHECK_INT(json_integer_value(json_object_get(tr, "dropped")), 0);
    CHECK_INT(json_object_size(json_object_get(tr, "dropped_by_class")), 0);
    size_t faults = 0;
    static const char *const parts[] = {"train", "val", "test"};
    for (size_t p = 0; p < 3; p++)
        faults += (size_t)json_integer_value(json_object_get(
            json_object_get(json_object_get(acc, parts[p]), "drawn_by_class"), "fault"));
    CHECK_INT(faults, 8);
    CHECK_INT(json_integer_value(json_object_get(tr, "drawn")) + r.val.rows + r.test.rows,
              400);
    CHECK_INT(count_class(&r.val, 0) + count_class(&r.test, 0), 2);
    /* the far vibration is clipped to the training fences, not dropped */
    const json_t *o = find_op(plan, "outliers");
    CHECK(o != NULL);
    CHECK_STR(o ? json_string_value(json_object_get(o, "action")) : "", "clip");
    size_t i;
    const json_t *e;
    json_array_foreach(r.log, i, e)
        CHECK_MSG(!strcmp(json_string_value(json_object_get(e, "op")), "balance") ||
                      json_integer_value(json_object_get(e, "rows_before")) ==
                      json_integer_value(json_object_get(e, "rows_after")),
                  "op %zu (%s) changed the rows: %s", i,
                  json_string_value(json_object_get(e, "op")),
                  json_string_value(json_object_get(e, "did")));
    json_decref(plan);
    tfg_data_result_free(&r);

    /* anomaly detection: extreme values are what it looks for; no clip at all, and the
     * fault rows' vibration reaches the splits as it was (up to the scale) */
    machine_table(&t);
    fx_spec(&s, TFG_TASK_ANOMALY, "state", features, 2, 5);
    st = run_builtin(&t, &s, &plan, &r, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (st) {
        json_decref(plan);
        return;
    }
    CHECK(find_op(plan, "outliers") == NULL);
    json_array_foreach(json_object_get(r.preprocess, "steps"), i, e)
        CHECK(strcmp(json_string_value(json_object_get(e, "step")), "clip"));
    CHECK_INT(r.train.rows + r.val.rows + r.test.rows, 400);
    json_decref(plan);
    tfg_data_result_free(&r);
}

/* ---- the test split does not depend on the plan's drops --------------------------- */

/* 301 rows, 3 classes, with missing cells, exact duplicates and far values spread over
 * the file, and an id column so tests can tell rows apart. */
static void dirty_table(tfg_table *t)
{
    fx_fruit(t, 301, 21);
    for (size_t i = 4; i < 301; i += 29)
        t->cols[1 + i % 3].num[i] = NAN;
    for (size_t i = 9; i < 301; i += 41) /* row i repeats row i - 1, id and all */
        for (size_t c = 0; c < t->n_cols; c++) {
            if (t->cols[c].type == TFG_COL_NUM)
                t->cols[c].num[i] = t->cols[c].num[i - 1];
            else
                t->cols[c].cat[i] = t->cols[c].cat[i - 1];
        }
    t->cols[2].num[100] = 0.99;
    t->cols[3].num[200] = 0.95;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The ids (feature 0) of a split, sorted. */
static float *ids(const tfg_split *sp)
{
    float *v = tfg_xmalloc((sp->rows + 1) * sizeof *v);
    for (uint32_t i = 0; i < sp->rows; i++)
        v[i] = sp->x[(size_t)i * sp->features];
    qsort(v, sp->rows, sizeof *v, cmp_float);
    return v;
}

static void test_test_split_fixed(void)
{
    /* ids are scaled by no op: feature 0 stays the raw id */
    static const char *const plans[] = {
        PLAN("{\"op\":\"split\",\"why\":\"w\",\"train\":0.7,\"val\":0.15,\"test\":0.15},"
             "{\"op\":\"impute\",\"why\":\"w\",\"strategy\":\"median\"}"),
        /* drops listed before the split, as a careless plan would */
        PLAN("{\"op\":\"drop_missing\",\"why\":\"w\"},"
             "{\"op\":\"drop_duplicates\",\"why\":\"w\"},"
             "{\"op\":\"outliers\",\"why\":\"w\",\"method\":\"zscore\",\"k\":1,"
             "\"action\":\"drop\",\"columns\":[\"red\",\"green\",\"blue\"]},"
             "{\"op\":\"split\",\"why\":\"w\",\"train\":0.7,\"val\":0.15,\"test\":0.15},"
             "{\"op\":\"impute\",\"why\":\"w\",\"strategy\":\"median\"}"),
        /* and after it */
        PLAN("{\"op\":\"split\",\"why\":\"w\",\"train\":0.7,\"val\":0.15,\"test\":0.15},"
             "{\"op\":\"outliers\",\"why\":\"w\",\"method\":\"iqr\",\"k\":0.5,"
             "\"action\":\"drop\",\"columns\":[\"red\"]},"
             "{\"op\":\"drop_duplicates\",\"why\":\"w\"},"
             "{\"op\":\"impute\",\"why\":\"w\",\"strategy\":\"mean\"},"
             "{\"op\":\"shuffle\",\"why\":\"w\"}"),
    };
    char *features[] = {"id", "red", "green", "blue", NULL};
    tfg_spec s;
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "fruit", features, 4, 8);
    float *want_test = NULL, *want_val = NULL;
    for (size_t k = 0; k < sizeof plans / sizeof *plans; k++) {
        tfg_table t;
        dirty_table(&t);
        tfg_data_result r;
        tfg_err err = {0};
        tfg_status st = fx_run(plans[k], &s, &t, &r, &err);
        CHECK_MSG(st == TFG_OK, "plan %zu: %s", k, err.msg);
        if (st)
            continue;
        /* 301 raw rows at 0.15: 45 test rows (largest remainder), whatever was dropped */
        CHECK_INT(r.test.rows, 45);
        CHECK_INT(r.val.rows, 45);
        if (k > 0)
            CHECK_MSG(r.train.rows < 211, "plan %zu dropped no training row", k);
        float *te = ids(&r.test), *va = ids(&r.val);
        if (!want_test) {
            want_test = te;
            want_val = va;
        } else {
            CHECK_MSG(!memcmp(te, want_test, 45 * sizeof *te), "plan %zu: other test rows", k);
            CHECK_MSG(!memcmp(va, want_val, 45 * sizeof *va), "plan %zu: other val rows", k);
            free(te);
            free(va);
        }
        /* the accounting says the same */
        const json_t *sp = json_object_get(r.accounting, "splits");
        const json_t *test_acc = json_object_get(sp, "test");
        CHECK_INT(json_integer_value(json_object_get(test_acc, "drawn")), 45);
        CHECK_INT(json_integer_value(json_object_get(json_object_get(sp, "train"), "drawn")),
                  211);
        CHECK_INT(json_integer_value(json_object_get(json_object_get(sp, "train"), "dropped")),
                  211 - r.train.rows);
        tfg_data_result_free(&r);
    }
    free(want_test);
    free(want_val);
}

/* A training copy of a test row would let the model see the test: drop_duplicates
 * removes it from training, and the test row stays. */
static void test_duplicates_across_splits(void)
{
    tfg_table t;
    fx_fruit(&t, 40, 3);
    t.pin = tfg_xcalloc(40, 1);
    t.pin[0] = TFG_SPLIT_TEST;
    for (size_t c = 0; c < t.n_cols; c++) /* row 1 (training) repeats the test row 0 */
        if (t.cols[c].type == TFG_COL_NUM)
            t.cols[c].num[1] = t.cols[c].num[0];
        else
            t.cols[c].cat[1] = t.cols[c].cat[0];
    char *features[] = {"id", "red", NULL};
    tfg_spec s;
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "fruit", features, 2, 1);
    tfg_data_result r;
    tfg_err err = {0};
    tfg_status st = fx_run(PLAN("{\"op\":\"drop_duplicates\",\"why\":\"w\"},"
                                "{\"op\":\"split\",\"why\":\"w\",\"train\":1e-9,\"val\":0,"
                                "\"test\":0.999999999}"),
                           &s, &t, &r, &err);
    /* a pinned test: the fractions divide the other rows train : val = all to train */
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (st)
        return;
    CHECK_INT(r.test.rows, 1);
    CHECK_INT(r.train.rows, 38);
    for (uint32_t i = 0; i < r.train.rows; i++)
        CHECK(r.train.x[i * 2] != 0 && r.train.x[i * 2] != 1); /* ids 0 and 1 carry row 0 */
    json_t *e = json_array_get(r.log, 0);
    CHECK_INT(json_integer_value(json_object_get(e, "found")), 1);
    CHECK_HAS(json_string_value(json_object_get(e, "did")),
              "dropped 1 training row equal to an earlier row or to a val or test row");
    tfg_data_result_free(&r);
}

/* ---- statistics from the training split only -------------------------------------- */

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* 50 rows: 40 with small values (train: val gets 0, test is pinned) and 10 test rows
 * with huge ones. The plan lists impute and scale *before* the split: they are still
 * fitted on the 40 training rows, whose median and mean the huge test values would
 * move a long way. */
static void test_stats_from_train(void)
{
    tfg_table t;
    tfg_table_init(&t);
    t.n_rows = 50;
    tfg_table_add_num(&t, "x");
    tfg_table_add_cat(&t, "y");
    t.pin = tfg_xcalloc(50, 1);
    double train_v[40];
    size_t n = 0;
    for (size_t i = 0; i < 50; i++) {
        bool test = i >= 40;
        double v = test ? 1000 + (double)i : (double)((i * 7) % 40);
        if (i == 3 || i == 45)
            v = NAN; /* one missing cell in train, one in test */
        t.cols[0].num[i] = v;
        fx_set_cat(&t, "y", i, i % 2 ? "a" : "b");
        t.pin[i] = test ? TFG_SPLIT_TEST : TFG_SPLIT_NONE;
        if (!test && !isnan(v))
            train_v[n++] = v;
    }
    qsort(train_v, n, sizeof *train_v, cmp_dbl);
    double median = n % 2 ? train_v[n / 2] : (train_v[n / 2 - 1] + train_v[n / 2]) / 2;
    double mean = 0;
    for (size_t i = 0; i < n; i++)
        mean += train_v[i];
    mean = (mean + median) / (double)(n + 1); /* the imputed cell counts in the mean */
    tfg_spec s;
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "y", NULL, 0, 1);
    tfg_data_result r;
    tfg_err err = {0};
    tfg_status st = fx_run(PLAN("{\"op\":\"impute\",\"why\":\"w\",\"strategy\":\"median\"},"
                                "{\"op\":\"scale\",\"why\":\"w\",\"method\":\"zscore\"},"
                                "{\"op\":\"split\",\"why\":\"w\",\"train\":0.8,\"val\":0,"
                                "\"test\":0.2}"),
                           &s, &t, &r, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (st)
        return;
    CHECK_INT(r.train.rows, 40);
    CHECK_INT(r.test.rows, 10);
    const json_t *steps = json_object_get(r.preprocess, "steps");
    const json_t *imp = json_array_get(json_object_get(json_array_get(steps, 0), "columns"),
                                       0);
    const json_t *aff = json_array_get(json_object_get(json_array_get(steps, 1), "columns"),
                                       0);
    CHECK_NEAR(json_real_value(json_object_get(imp, "value")), (float)median, 0);
    CHECK(median < 40); /* with the test rows the median would be above 20, the mean ~220 */
    CHECK_NEAR(json_real_value(json_object_get(aff, "offset")), (float)mean, 1e-4);
    tfg_data_result_free(&r);
}

/* ---- val and test rows without a label: set aside and counted ---------------------- */

static void test_unusable_counted(void)
{
    tfg_table t;
    fx_fruit(&t, 200, 5);
    for (size_t i = 0; i < 200; i += 10)
        t.cols[4].cat[i] = -1; /* 20 rows without a label */
    char *features[] = {"id", "red", NULL};
    tfg_spec s;
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "fruit", features, 2, 3);
    tfg_data_result r;
    tfg_err err = {0};
    tfg_status st = fx_run(PLAN("{\"op\":\"drop_missing\",\"why\":\"20 rows have no label\","
                                "\"columns\":[\"fruit\"]},"
                                "{\"op\":\"split\",\"why\":\"w\",\"train\":0.6,\"val\":0.2,"
                                "\"test\":0.2}"),
                           &s, &t, &r, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (st)
        return;
    /* the label-less rows are a stratum of their own: 12 / 4 / 4 of the 20 */
    const json_t *sp = json_object_get(r.accounting, "splits");
    const json_t *tr = json_object_get(sp, "train"), *va = json_object_get(sp, "val"),
                 *te = json_object_get(sp, "test");
    CHECK_INT(json_integer_value(json_object_get(te, "drawn")), 40);
    CHECK_INT(json_integer_value(json_object_get(te, "drawn_missing_label")), 4);
    CHECK_INT(json_integer_value(json_object_get(te, "unusable_missing_label")), 4);
    CHECK_INT(json_integer_value(json_object_get(va, "unusable_missing_label")), 4);
    CHECK_INT(r.test.rows, 36);
    CHECK_INT(r.val.rows, 36);
    CHECK_INT(r.train.rows, 108);
    CHECK_INT(json_integer_value(json_object_get(tr, "dropped")), 12);
    /* per class: what each split drew (the classes cycle, so about a third each) */
    size_t sum = 0;
    const char *name;
    const json_t *v;
    json_object_foreach((json_t *)json_object_get(te, "drawn_by_class"), name, v)
        sum += (size_t)json_integer_value(v);
    CHECK_INT(sum, 36);
    const json_t *rec = json_array_get(json_object_get(r.accounting, "cleaning"), 0);
    CHECK_STR(json_string_value(json_object_get(rec, "part")), "train");
    CHECK_INT(json_integer_value(json_object_get(rec, "dropped_missing_label")), 12);
    CHECK_INT(json_integer_value(json_object_get(rec, "dropped")), 0);
    /* the why's 20 is what the op found in every split; it removed training rows only */
    CHECK_INT(json_integer_value(json_object_get(json_array_get(r.log, 0), "found")), 20);
    tfg_data_result_free(&r);
}

/* ---- the rule: drops that single out a class ---------------------------------------- */

/* P(X >= k) by exact sums of integer binomials (small N only). */
static double tail_exact(unsigned N, unsigned K, unsigned n, unsigned k)
{
    double c[41][41] = {{0}};
    for (unsigned i = 0; i <= 40; i++) {
        c[i][0] = 1;
        for (unsigned j = 1; j <= i; j++)
            c[i][j] = c[i - 1][j - 1] + (j <= i - 1 ? c[i - 1][j] : 0);
    }
    double s = 0;
    for (unsigned i = k; i <= n && i <= K; i++)
        if (n - i <= N - K)
            s += c[K][i] * c[N - K][n - i];
    return s / c[N][n];
}

static void test_drop_rule(void)
{
    static const unsigned cases[][4] = {{20, 5, 6, 3}, {40, 10, 10, 6}, {40, 3, 20, 3},
                                        {30, 15, 15, 0}, {25, 7, 4, 4}, {40, 20, 30, 10}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const unsigned *q = cases[i];
        double want = tail_exact(q[0], q[1], q[2], q[3]);
        double got = tfg_hypergeom_tail(q[0], q[1], q[2], q[3]);
        CHECK_MSG(fabs(got - want) <= 1e-12 + 1e-9 * want, "tail(%u,%u,%u,%u) %.17g vs %.17g",
                  q[0], q[1], q[2], q[3], got, want);
    }
    CHECK(tfg_hypergeom_tail(10, 3, 4, 4) == 0);
    tfg_drop_judgement j;
    /* the vibration set: every dropped row a labelled anomaly */
    CHECK(tfg_drop_disproportionate(1000, 130, 130, 130, &j));
    CHECK(j.rate_class == 1 && j.rate_rest == 0 && j.p < 1e-100);
    /* the medical set: 28 of 212 minority rows against 17 of 357 */
    CHECK(tfg_drop_disproportionate(569, 212, 45, 28, &j));
    CHECK(j.p < TFG_DROP_MAX_P);
    /* drops in proportion to the classes */
    CHECK(!tfg_drop_disproportionate(1000, 300, 100, 30, &j));
    CHECK(!tfg_drop_disproportionate(1000, 300, 100, 40, &j)); /* more, but not twice */
    /* noise: one row, two rows, or a rate twice the rest on too few rows to tell */
    CHECK(!tfg_drop_disproportionate(1000, 5, 1, 1, &j));
    CHECK(!tfg_drop_disproportionate(10000, 2, 2, 2, &j)); /* p tiny, but 2 rows */
    CHECK(j.p < TFG_DROP_MAX_P);
    CHECK(!tfg_drop_disproportionate(100, 10, 10, 3, &j)); /* 30 % vs 7.8 %, p ~ 0.07 */
    CHECK(j.rate_class > 2 * j.rate_rest && j.p > TFG_DROP_MAX_P);
    /* a class that loses a quarter of its rows while the rest lose 8 % */
    CHECK(tfg_drop_disproportionate(1000, 100, 100, 25, &j));
}

TFG_TEST_MAIN(test_builtin_keeps_extremes, test_test_split_fixed,
              test_duplicates_across_splits, test_stats_from_train, test_unusable_counted,
              test_drop_rule)
