/* test_profile.c — the data profile against values worked out by hand on tiny tables
 * (missing cells, quartile interpolation, IQR outliers, level ordering, duplicates
 * with missing cells, class balance), plus a random table checked against a plain
 * qsort reference, and the profile.json form. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "core/alloc.h"
#include "core/rng.h"
#include "data/profile.h"

static void set_cat(tfg_column *c, size_t row, const char *s)
{
    c->cat[row] = s ? tfg_col_intern(c, s, strlen(s)) : -1;
}

/* Rows (x, c, lab); rows 6..8 repeat rows 2, 0, 0 (row 6 with its missing x). */
static void make_small(tfg_table *t)
{
    static const double x[] = {1, 2, NAN, 4, 10, 2, NAN, 1, 1};
    static const char *const c[] = {"a", "b", "a", NULL, "b", "a", "a", "a", "a"};
    static const double lab[] = {0, 1, 1, 0, 2, 1, 1, 0, 0};
    tfg_table_init(t);
    t->n_rows = 9;
    tfg_table_add_num(t, "x");
    tfg_table_add_cat(t, "c");
    tfg_table_add_num(t, "lab");
    for (size_t i = 0; i < 9; i++) {
        t->cols[0].num[i] = x[i];
        set_cat(&t->cols[1], i, c[i]);
        t->cols[2].num[i] = lab[i];
    }
}

static void test_numeric_by_hand(void)
{
    tfg_table t;
    make_small(&t);
    tfg_profile p;
    tfg_err err = {0};
    CHECK_INT(tfg_profile_compute(&t, "lab", &p, &err), TFG_OK);
    CHECK_INT(p.n_rows, 9);
    CHECK_INT(p.n_cols, 3);
    const tfg_col_profile *x = &p.cols[0];
    /* x = 1 1 1 2 2 4 10 (sorted), 2 missing */
    CHECK_STR(x->name, "x");
    CHECK_INT(x->type, TFG_COL_NUM);
    CHECK_INT(x->count, 7);
    CHECK_INT(x->missing, 2);
    CHECK_INT(x->distinct, 4);
    CHECK_NEAR(x->min, 1, 0);
    CHECK_NEAR(x->max, 10, 0);
    CHECK_NEAR(x->mean, 3, 1e-15);
    CHECK_NEAR(x->std, sqrt(64.0 / 6.0), 1e-12);
    CHECK_NEAR(x->q1, 1, 1e-15);     /* pos 1.5 between 1 and 1 */
    CHECK_NEAR(x->median, 2, 1e-15); /* pos 3 */
    CHECK_NEAR(x->q3, 3, 1e-15);     /* pos 4.5 between 2 and 4 */
    CHECK_NEAR(x->lo_fence, -2, 1e-15);
    CHECK_NEAR(x->hi_fence, 6, 1e-15);
    CHECK_INT(x->outliers, 1); /* the 10 */
    CHECK_INT(p.duplicate_rows, 3);
    tfg_profile_free(&p);
    tfg_table_free(&t);
}

static void test_quartile_interpolation(void)
{
    tfg_table t;
    tfg_table_init(&t);
    t.n_rows = 4;
    tfg_column *c = tfg_table_add_num(&t, "y");
    double v[] = {4, 1, 3, 2};
    memcpy(c->num, v, sizeof v);
    tfg_profile p;
    CHECK_INT(tfg_profile_compute(&t, NULL, &p, NULL), TFG_OK);
    CHECK_NEAR(p.cols[0].q1, 1.75, 1e-15);
    CHECK_NEAR(p.cols[0].median, 2.5, 1e-15);
    CHECK_NEAR(p.cols[0].q3, 3.25, 1e-15);
    CHECK_NEAR(p.cols[0].std, sqrt(5.0 / 3.0), 1e-12);
    CHECK_INT(p.cols[0].outliers, 0);
    CHECK_INT(p.label, -1);
    CHECK_INT(p.n_classes, 0);
    tfg_profile_free(&p);
    tfg_table_free(&t);
}

static void test_edge_numeric(void)
{
    tfg_table t;
    tfg_table_init(&t);
    t.n_rows = 3;
    tfg_table_add_num(&t, "empty"); /* all missing */
    tfg_column *one = tfg_table_add_num(&t, "one");
    one->num[1] = -0.0;
    tfg_column *z = tfg_table_add_num(&t, "zeros");
    z->num[0] = 0.0, z->num[1] = -0.0, z->num[2] = -5;
    tfg_profile p;
    CHECK_INT(tfg_profile_compute(&t, NULL, &p, NULL), TFG_OK);
    CHECK_INT(p.cols[0].count, 0);
    CHECK_INT(p.cols[0].missing, 3);
    CHECK(isnan(p.cols[0].mean) && isnan(p.cols[0].min) && isnan(p.cols[0].q3));
    CHECK_INT(p.cols[1].count, 1);
    CHECK_NEAR(p.cols[1].std, 0, 0); /* fewer than two values */
    CHECK_NEAR(p.cols[1].median, 0, 0);
    CHECK_INT(p.cols[2].distinct, 2); /* -0 and 0 are one value */
    CHECK_NEAR(p.cols[2].min, -5, 0);
    CHECK_INT(p.duplicate_rows, 0);
    json_t *j = tfg_profile_to_json(&p);
    json_t *cd = json_object_get(j, "columns_detail");
    CHECK(json_is_null(json_object_get(json_array_get(cd, 0), "mean")));
    CHECK(json_is_null(json_object_get(json_array_get(cd, 0), "outlier_fences")));
    CHECK_INT(json_integer_value(json_object_get(json_array_get(cd, 0), "outliers")), 0);
    CHECK_NEAR(json_number_value(json_object_get(json_array_get(cd, 1), "std")), 0, 0);
    CHECK(json_object_get(j, "shape") == NULL);
    CHECK(json_is_null(json_object_get(j, "label")));
    CHECK_INT(json_array_size(json_object_get(j, "class_balance")), 0);
    json_decref(j);
    tfg_profile_free(&p);
    tfg_table_free(&t);
}

static void test_categorical_levels(void)
{
    tfg_table t;
    make_small(&t);
    tfg_profile p;
    CHECK_INT(tfg_profile_compute(&t, NULL, &p, NULL), TFG_OK);
    const tfg_col_profile *c = &p.cols[1];
    CHECK_INT(c->type, TFG_COL_CAT);
    CHECK_INT(c->count, 8);
    CHECK_INT(c->missing, 1);
    CHECK_INT(c->distinct, 2);
    CHECK_INT(c->n_levels, 2);
    CHECK_STR(c->levels[0], "a");
    CHECK_INT(c->level_counts[0], 6);
    CHECK_STR(c->levels[1], "b");
    CHECK_INT(c->level_counts[1], 2);
    CHECK(isnan(c->mean));
    tfg_profile_free(&p);
    tfg_table_free(&t);

    /* Ties by count go by name; a level no row uses (after a row subset) is not listed. */
    tfg_table_init(&t);
    t.n_rows = 6;
    tfg_column *col = tfg_table_add_cat(&t, "k");
    const char *v[] = {"z", "y", "y", "z", "x", "w"};
    for (size_t i = 0; i < 6; i++)
        set_cat(col, i, v[i]);
    size_t keep[] = {0, 1, 2, 3, 4};
    tfg_table_select_rows(&t, keep, 5);
    CHECK_INT(tfg_profile_compute(&t, NULL, &p, NULL), TFG_OK);
    CHECK_INT(p.cols[0].distinct, 3);
    CHECK_STR(p.cols[0].levels[0], "y");
    CHECK_STR(p.cols[0].levels[1], "z");
    CHECK_STR(p.cols[0].levels[2], "x");
    CHECK_INT(p.cols[0].level_counts[2], 1);
    CHECK_INT(p.duplicate_rows, 2); /* the second y and the second z */
    tfg_profile_free(&p);
    tfg_table_free(&t);
}

static void test_many_levels_json(void)
{
    tfg_table t;
    tfg_table_init(&t);
    t.n_rows = 26;
    tfg_column *col = tfg_table_add_cat(&t, "id");
    for (size_t i = 0; i < 25; i++) {
        char name[8];
        snprintf(name, sizeof name, "L%02zu", i);
        set_cat(col, i, name);
    }
    set_cat(col, 25, "L07"); /* L07 twice: first in the list */
    tfg_profile p;
    CHECK_INT(tfg_profile_compute(&t, NULL, &p, NULL), TFG_OK);
    json_t *j = tfg_profile_to_json(&p);
    json_t *c0 = json_array_get(json_object_get(j, "columns_detail"), 0);
    CHECK_STR(json_string_value(json_object_get(c0, "type")), "categorical");
    json_t *levels = json_object_get(c0, "levels");
    CHECK_INT(json_array_size(levels), 20);
    CHECK_STR(json_string_value(json_object_get(json_array_get(levels, 0), "value")), "L07");
    CHECK_INT(json_integer_value(json_object_get(json_array_get(levels, 0), "count")), 2);
    CHECK_STR(json_string_value(json_object_get(json_array_get(levels, 1), "value")), "L00");
    CHECK_INT(json_integer_value(json_object_get(c0, "more_levels")), 5);
    CHECK_INT(json_integer_value(json_object_get(c0, "distinct")), 25);
    CHECK(json_object_get(c0, "mean") == NULL);
    json_decref(j);
    tfg_profile_free(&p);
    tfg_table_free(&t);
}

static void test_class_balance(void)
{
    tfg_table t;
    make_small(&t);
    tfg_profile p;
    CHECK_INT(tfg_profile_compute(&t, "lab", &p, NULL), TFG_OK);
    CHECK_INT(p.label, 2);
    CHECK_INT(p.n_classes, 3);
    CHECK_STR(p.classes[0], "0");
    CHECK_STR(p.classes[1], "1");
    CHECK_STR(p.classes[2], "2");
    CHECK_INT(p.class_counts[0], 4);
    CHECK_INT(p.class_counts[1], 4);
    CHECK_INT(p.class_counts[2], 1);
    json_t *j = tfg_profile_to_json(&p);
    CHECK_STR(json_string_value(json_object_get(j, "label")), "lab");
    CHECK_INT(json_integer_value(json_object_get(j, "rows")), 9);
    CHECK_INT(json_integer_value(json_object_get(j, "columns")), 3);
    CHECK_INT(json_integer_value(json_object_get(j, "duplicate_rows")), 3);
    json_t *cb = json_object_get(j, "class_balance");
    CHECK_INT(json_array_size(cb), 3);
    json_t *last = json_array_get(cb, 2);
    CHECK_STR(json_string_value(json_object_get(last, "class")), "2");
    CHECK_INT(json_integer_value(json_object_get(last, "count")), 1);
    CHECK_NEAR(json_number_value(json_object_get(last, "fraction")), 1.0 / 9, 1e-15);
    json_t *x = json_array_get(json_object_get(j, "columns_detail"), 0);
    CHECK_NEAR(json_number_value(json_array_get(json_object_get(x, "outlier_fences"), 1)), 6, 0);
    CHECK_NEAR(json_number_value(json_object_get(x, "q3")), 3, 0);
    json_decref(j);
    tfg_profile_free(&p);
    tfg_table_free(&t);

    /* A categorical label: classes by name, missing left out of counts and fractions. */
    tfg_table_init(&t);
    t.n_rows = 5;
    tfg_column *c = tfg_table_add_cat(&t, "animal");
    const char *v[] = {"dog", "cat", "dog", NULL, "bird"};
    for (size_t i = 0; i < 5; i++)
        set_cat(c, i, v[i]);
    CHECK_INT(tfg_profile_compute(&t, "animal", &p, NULL), TFG_OK);
    CHECK_INT(p.n_classes, 3);
    CHECK_STR(p.classes[0], "bird");
    CHECK_STR(p.classes[1], "cat");
    CHECK_STR(p.classes[2], "dog");
    CHECK_INT(p.class_counts[2], 2);
    j = tfg_profile_to_json(&p);
    cb = json_object_get(j, "class_balance");
    CHECK_NEAR(json_number_value(json_object_get(json_array_get(cb, 2), "fraction")), 0.5, 0);
    json_decref(j);
    tfg_profile_free(&p);
    tfg_table_free(&t);
}

static void test_label_errors_and_regression(void)
{
    tfg_table t;
    make_small(&t);
    tfg_profile p;
    tfg_err err = {0};
    CHECK_INT(tfg_profile_compute(&t, "lbl", &p, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "'lbl'");
    CHECK_HAS(err.msg, "did you mean 'lab'");
    CHECK_INT(tfg_profile_compute(&t, "completely_else", &p, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "not in the data");
    tfg_table_free(&t);

    /* A numeric label with more distinct values than classes can be: no balance. */
    tfg_table_init(&t);
    t.n_rows = 1500;
    tfg_column *c = tfg_table_add_num(&t, "target");
    for (size_t i = 0; i < t.n_rows; i++)
        c->num[i] = (double)i * 0.5;
    CHECK_INT(tfg_profile_compute(&t, "target", &p, NULL), TFG_OK);
    CHECK_INT(p.n_classes, 0);
    CHECK_INT(p.cols[0].distinct, 1500);
    tfg_profile_free(&p);
    /* Non-integer class values print so they stay distinct. */
    t.n_rows = 3;
    c->num[0] = 0.5, c->num[1] = 1e-7, c->num[2] = 0.1234567891;
    CHECK_INT(tfg_profile_compute(&t, "target", &p, NULL), TFG_OK);
    CHECK_INT(p.n_classes, 3);
    CHECK_STR(p.classes[0], "1e-07");
    CHECK_STR(p.classes[1], "0.1234567891");
    CHECK_STR(p.classes[2], "0.5");
    tfg_profile_free(&p);
    tfg_table_free(&t);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double ref_quantile(const double *v, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)pos;
    return lo + 1 >= n ? v[n - 1] : v[lo] + (pos - (double)lo) * (v[lo + 1] - v[lo]);
}

/* The radix sort inside the profile against qsort, on values of both signs and many
 * magnitudes, with missing cells and repeats. */
static void test_random_against_reference(void)
{
    tfg_rng r;
    tfg_rng_seed(&r, 7);
    tfg_table t;
    tfg_table_init(&t);
    t.n_rows = 5001;
    tfg_column *c = tfg_table_add_num(&t, "v");
    double *ref = tfg_xmalloc(t.n_rows * sizeof *ref);
    size_t n = 0;
    for (size_t i = 0; i < t.n_rows; i++) {
        uint64_t kind = tfg_rng_below(&r, 10);
        double v = kind == 0   ? NAN
                   : kind == 1 ? (double)tfg_rng_below(&r, 5) - 2
                               : tfg_rng_normal(&r) * pow(10, (double)tfg_rng_below(&r, 12) - 6);
        c->num[i] = v;
        if (!isnan(v))
            ref[n++] = v;
    }
    qsort(ref, n, sizeof *ref, cmp_double);
    size_t distinct = n > 0;
    for (size_t i = 1; i < n; i++)
        distinct += ref[i] != ref[i - 1];
    tfg_profile p;
    CHECK_INT(tfg_profile_compute(&t, NULL, &p, NULL), TFG_OK);
    CHECK_INT(p.cols[0].count, n);
    CHECK_INT(p.cols[0].distinct, distinct);
    CHECK(p.cols[0].min == ref[0]);
    CHECK(p.cols[0].max == ref[n - 1]);
    CHECK(p.cols[0].q1 == ref_quantile(ref, n, 0.25));
    CHECK(p.cols[0].median == ref_quantile(ref, n, 0.5));
    CHECK(p.cols[0].q3 == ref_quantile(ref, n, 0.75));
    size_t out = 0;
    for (size_t i = 0; i < n; i++)
        out += ref[i] < p.cols[0].lo_fence || ref[i] > p.cols[0].hi_fence;
    CHECK_INT(p.cols[0].outliers, out);
    CHECK(out > 0);
    double iqr = p.cols[0].q3 - p.cols[0].q1;
    size_t far = 0;
    for (size_t i = 0; i < n; i++)
        far += ref[i] < p.cols[0].q1 - 3 * iqr || ref[i] > p.cols[0].q3 + 3 * iqr;
    CHECK_INT(p.cols[0].far_outliers, far);
    tfg_profile_free(&p);
    free(ref);
    tfg_table_free(&t);
}

static void test_image_shape(void)
{
    tfg_table t;
    tfg_table_init(&t);
    t.n_rows = 2;
    t.shape[0] = 1, t.shape[1] = 2, t.shape[2] = 1;
    tfg_table_add_num(&t, "px0");
    tfg_table_add_num(&t, "px1");
    tfg_table_add_num(&t, "label");
    for (size_t i = 0; i < 2; i++)
        for (size_t k = 0; k < 3; k++)
            t.cols[k].num[i] = 0; /* two equal rows */
    tfg_profile p;
    CHECK_INT(tfg_profile_compute(&t, "label", &p, NULL), TFG_OK);
    CHECK_INT(p.duplicate_rows, 1);
    json_t *j = tfg_profile_to_json(&p);
    json_t *shape = json_object_get(j, "shape");
    CHECK_INT(json_array_size(shape), 3);
    CHECK_INT(json_integer_value(json_array_get(shape, 1)), 2);
    json_decref(j);
    tfg_profile_free(&p);
    tfg_table_free(&t);
}

TFG_TEST_MAIN(test_numeric_by_hand, test_quartile_interpolation, test_edge_numeric,
              test_categorical_levels, test_many_levels_json, test_class_balance,
              test_label_errors_and_regression, test_random_against_reference,
              test_image_shape)
