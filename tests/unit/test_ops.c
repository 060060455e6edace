/* test_ops.c — every data-plan op on small hand-made tables, through the op dispatcher
 * (ops.h, state in exec_state.h), with expected values worked out by hand: happy path, the preprocess
 * step it records, fitting on train and applying to val/test, and its errors (unknown
 * column with suggestion, wrong type, the label). */
#include <stdlib.h>

#include "../check.h"
#include "data/exec_state.h"
#include "data/ops.h"
#include "plan_fixture.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define SPLIT "{\"op\":\"split\",\"why\":\"w\",\"train\":0.5,\"val\":0.25,\"test\":0.25}"

static void exec_init(tfg_exec *x, const tfg_spec *s, tfg_table *t)
{
    memset(x, 0, sizeof *x);
    x->spec = s;
    x->file = "plan.json";
    x->part[0] = *t;
    x->n_parts = 1;
    x->steps = json_array();
    tfg_table_init(t);
}

/* After a split: tables become train, val, test. */
static void exec_init3(tfg_exec *x, const tfg_spec *s, tfg_table *tr, tfg_table *va,
                       tfg_table *te)
{
    exec_init(x, s, tr);
    x->part[1] = *va;
    x->part[2] = *te;
    x->n_parts = 3;
    tfg_table_init(va);
    tfg_table_init(te);
}

/* Runs one op given as JSON (a split is added so the plan parses). */
static tfg_status op_on(tfg_exec *x, const char *op, tfg_err *err)
{
    char *text = tfg_xasprintf("{\"plan_version\":1,\"ops\":[%s," SPLIT "]}", op);
    tfg_plan *p = NULL;
    tfg_status st = fx_parse(text, &p, err);
    free(text);
    if (st)
        return st;
    x->did[0] = '\0';
    st = tfg_op_run(x, &p->ops[0], 0, err);
    tfg_plan_free(p);
    return st;
}

static double num(const tfg_exec *x, size_t p, const char *col, size_t row)
{
    int c = tfg_table_find(&x->part[p], col);
    return c < 0 ? -999 : x->part[p].cols[c].num[row];
}

/* Three numeric columns a, b, c and a categorical label y ("p"/"q"). */
static void abc_table(tfg_table *t)
{
    static const double a[] = {1, NAN, 3, 10}, b[] = {5, 6, NAN, 8}, c[] = {0, 0, 0, 0};
    static const char *const y[] = {"p", "q", "p", NULL};
    fx_num_table(t, 4, "a", a);
    fx_add_num(t, "b", b);
    fx_add_num(t, "c", c);
    fx_add_cat(t, "y", y);
}

static void test_select_drop_columns(void)
{
    tfg_spec s;
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "y", NULL, 0, 1);
    tfg_table t;
    abc_table(&t);
    tfg_exec x;
    exec_init(&x, &s, &t);
    tfg_err err = {0};
    CHECK(op_on(&x, "{\"op\":\"select_columns\",\"why\":\"w\",\"columns\":[\"y\",\"b\",\"a\"]}",
                &err) == TFG_OK);
    CHECK_INT(x.part[0].n_cols, 3);
    CHECK_STR(x.part[0].cols[0].name, "y");
    CHECK_STR(x.part[0].cols[1].name, "b");
    CHECK_STR(x.part[0].cols[2].name, "a");
    CHECK_STR(x.did, "kept 3 of 4 columns");
    CHECK(op_on(&x, "{\"op\":\"select_columns\",\"why\":\"w\",\"columns\":[\"a\",\"gren\"]}",
                &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "plan.json: ops[0].columns[1]: no column 'gren'");
    CHECK(op_on(&x, "{\"op\":\"select_columns\",\"why\":\"w\",\"columns\":[\"a\",\"bb\"]}",
                &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "ops[0].columns[1]: no column 'bb' (did you mean 'b'?)");
    CHECK(op_on(&x, "{\"op\":\"select_columns\",\"why\":\"w\",\"columns\":[\"a\"]}", &err) ==
          TFG_EINPUT);
    CHECK_HAS(err.msg, "ops[0].columns: the label column 'y' must stay");
    CHECK(op_on(&x, "{\"op\":\"drop_columns\",\"why\":\"w\",\"columns\":[\"y\"]}", &err) ==
          TFG_EINPUT);
    CHECK_HAS(err.msg, "ops[0].columns[0]: 'y' is the label");
    CHECK(op_on(&x, "{\"op\":\"drop_columns\",\"why\":\"w\",\"columns\":[\"b\"]}", &err) ==
          TFG_OK);
    CHECK_INT(x.part[0].n_cols, 2);
    CHECK(tfg_table_find(&x.part[0], "b") < 0);
    CHECK_STR(x.did, "dropped 1 column (b)");
    tfg_exec_free(&x);
    /* anomaly detection may drop the label */
    fx_spec(&s, TFG_TASK_ANOMALY, "y", NULL, 0, 1);
    abc_table(&t);
    exec_init(&x, &s, &t);
    CHECK(op_on(&x, "{\"op\":\"drop_columns\",\"why\":\"w\",\"columns\":[\"y\"]}", &err) ==
          TFG_OK);
    tfg_exec_free(&x);
}

static void test_drop_missing(void)
{
    tfg_spec s;
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "y", NULL, 0, 1);
    tfg_table t;
    abc_table(&t);
    tfg_exec x;
    exec_init(&x, &s, &t);
    tfg_err err = {0};
    CHECK(op_on(&x, "{\"op\":\"drop_missing\",\"why\":\"w\",\"columns\":[\"a\"]}", &err) == 0);
    CHECK_INT(x.part[0].n_rows, 3);
    CHECK_NEAR(num(&x, 0, "a", 2), 10, 0);
    CHECK_HAS(x.did, "dropped 1 row with a missing cell in a");
    CHECK(op_on(&x, "{\"op\":\"drop_missing\",\"why\":\"w\"}", &err) == TFG_OK);
    CHECK_INT(x.part[0].n_rows, 1); /* b missing in row 2, y missing in row 3 */
    CHECK_NEAR(num(&x, 0, "a", 0), 1, 0);
    tfg_exec_free(&x);
}

static void test_impute_numeric(void)
{
    tfg_spec s;
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "y", NULL, 0, 1);
    tfg_err err = {0};
    struct { const char *op; double a, b; } cases[] = {
        {"{\"op\":\"impute\",\"why\":\"w\",\"strategy\":\"mean\"}", (float)(14.0 / 3), (float)(19.0 / 3)},
        {"{\"op\":\"impute\",\"why\":\"w\",\"strategy\":\"median\"}", 3, 6},
        {"{\"op\":\"impute\",\"why\":\"w\",\"strategy\":\"mode\"}", 1, 5},
        {"{\"op\":\"impute\",\"why\":\"w\",\"strategy\":\"constant\",\"value\":-1.5}", -1.5, -1.5},
    };
    for (size_t k = 0; k < 4; k++) {
        tfg_table t;
        abc_table(&t);
        tfg_exec x;
        exec_init(&x, &s, &t);
        CHECK_MSG(op_on(&x, cases[k].op, &err) == TFG_OK, "%s", err.msg);
        CHECK_NEAR(num(&x, 0, "a", 1), cases[k].a, 0);
        CHECK_NEAR(num(&x, 0, "b", 2), cases[k].b, 0);
        CHECK_NEAR(num(&x, 0, "a", 0), 1, 0);
        CHECK_INT(tfg_col_count_missing(&x.part[0].cols[3], 4), 1); /* the label is not a default */
        CHECK_HAS(x.did, "filled 2 missing cells");
        CHECK_HAS(x.did, "(a: 1, b: 1)");
        /* the step holds the float32 value */
        json_t *step = json_array_get(x.steps, 0);
        CHECK_STR(json_string_value(json_object_get(step, "step")), "impute");
        json_t *e = json_array_get(json_object_get(step, "columns"), 0);
        CHECK_STR(json_string_value(json_object_get(e, "column")), "a");
        CHECK(json_real_value(json_object_get(e, "value")) == cases[k].a);
        tfg_exec_free(&x);
    }
}

static void test_impute_categorical_and_errors(void)
{
    tfg_spec s;
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "a", NULL, 0, 1);
    static const char *const color[] = {"red", "blue", "blue", NULL};
    static const double a[] = {0, 1, 0, 1};
    tfg_table t;
    fx_num_table(&t, 4, "a", a);
    t.n_rows = 4;
    fx_add_cat(&t, "color", color);
    tfg_exec x;
    exec_init(&x, &s, &t);
    tfg_err err = {0};
    CHECK(op_on(&x, "{\"op\":\"impute\",\"why\":\"w\",\"strategy\":\"mean\",\"columns\":[\"color\"]}",
                &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "ops[0].columns[0]: impute strategy 'mean' needs a numeric column; "
                       "'color' is categorical (use mode or constant)");
    CHECK(op_on(&x, "{\"op\":\"impute\",\"why\":\"w\",\"strategy\":\"constant\",\"value\":3,"
                    "\"columns\":[\"color\"]}",
                &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "the constant value must be a string");
    CHECK(op_on(&x, "{\"op\":\"impute\",\"why\":\"w\",\"strategy\":\"median\",\"columns\":[\"a\"]}",
                &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "ops[0].columns[0]: impute may not change the label column 'a'");
    CHECK(op_on(&x, "{\"op\":\"impute\",\"why\":\"w\",\"strategy\":\"mode\",\"columns\":[\"colour\"]}",
                &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "no column 'colour' (did you mean 'color'?)");
    CHECK(op_on(&x, "{\"op\":\"impute\",\"why\":\"w\",\"strategy\":\"mode\"}", &err) == TFG_OK);
    tfg_column *c = &x.part[0].cols[1];
    CHECK_STR(c->levels[c->cat[3]], "blue");
    CHECK(op_on(&x, "{\"op\":\"impute\",\"why\":\"w\",\"strategy\":\"constant\",\"value\":\"zz\"}",
                &err) == TFG_OK); /* nothing missing any more: nothing to do */
    CHECK_HAS(x.did, "filled 0 missing cells");
    tfg_exec_free(&x);
}

/* After the split the median comes from train and fills val and test. */
static void test_impute_fit_on_train(void)
{
    tfg_spec s;
    fx_spec(&s, TFG_TASK_REGRESSION, "y", NULL, 0, 1);
    static const double tr[] = {1, 3, NAN}, va[] = {NAN, 100, 100}, te[] = {NAN, -5, 7};
    tfg_table a, b, c;
    fx_num_table(&a, 3, "x", tr);
    fx_num_table(&b, 3, "x", va);
    fx_num_table(&c, 3, "x", te);
    tfg_exec x;
    exec_init3(&x, &s, &a, &b, &c);
    tfg_err err = {0};
    CHECK(op_on(&x, "{\"op\":\"impute\",\"why\":\"w\",\"strategy\":\"median\"}", &err) == 0);
    CHECK_NEAR(num(&x, 0, "x", 2), 2, 0);
    CHECK_NEAR(num(&x, 1, "x", 0), 2, 0);
    CHECK_NEAR(num(&x, 2, "x", 0), 2, 0);
    CHECK_HAS(x.did, "filled 3 missing cells with the training median (x: 3)");
    tfg_exec_free(&x);
}

static void test_drop_duplicates(void)
{
    tfg_spec s;
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "y", NULL, 0, 1);
    static const double a[] = {1, 2, 1, NAN, NAN, 1};
    static const char *const y[] = {"p", "p", "p", "q", "q", "q"};
    tfg_table t;
    fx_num_table(&t, 6, "a", a);
    fx_add_cat(&t, "y", y);
    tfg_exec x;
    exec_init(&x, &s, &t);
    tfg_err err = {0};
    CHECK(op_on(&x, "{\"op\":\"drop_duplicates\",\"why\":\"w\"}", &err) == TFG_OK);
    CHECK_INT(x.part[0].n_rows, 4); /* row 2 = row 0; row 4 = row 3 (missing equals missing) */
    CHECK(isnan(num(&x, 0, "a", 2)));
    CHECK_NEAR(num(&x, 0, "a", 3), 1, 0);
    CHECK_HAS(x.did, "dropped 2 rows equal to an earlier row");
    tfg_exec_free(&x);
}

/* 1..9 and 100: q1 = 3.25, q3 = 7.75 (linear interpolation), IQR 4.5, fences -3.5..14.5. */
static void test_outliers_iqr(void)
{
    tfg_spec s;
    fx_spec(&s, TFG_TASK_REGRESSION, "y", NULL, 0, 1);
    static const double v[] = {5, 2, 100, 4, 1, 6, 7, 8, 9, 3};
    tfg_err err = {0};
    tfg_table t;
    fx_num_table(&t, 10, "x", v);
    tfg_exec x;
    exec_init(&x, &s, &t);
    CHECK(op_on(&x, "{\"op\":\"outliers\",\"why\":\"w\",\"method\":\"iqr\",\"action\":\"clip\"}",
                &err) == TFG_OK);
    CHECK_NEAR(num(&x, 0, "x", 2), 14.5, 0);
    CHECK_NEAR(num(&x, 0, "x", 0), 5, 0);
    CHECK_INT(x.part[0].n_rows, 10);
    CHECK_HAS(x.did, "clipped 1 cell to the IQR fences (x -3.5..14.5)");
    json_t *e = json_array_get(json_object_get(json_array_get(x.steps, 0), "columns"), 0);
    CHECK(json_real_value(json_object_get(e, "lo")) == -3.5);
    CHECK(json_real_value(json_object_get(e, "hi")) == 14.5);
    tfg_exec_free(&x);

    fx_num_table(&t, 10, "x", v);
    exec_init(&x, &s, &t);
    CHECK(op_on(&x, "{\"op\":\"outliers\",\"why\":\"w\",\"method\":\"iqr\",\"action\":\"drop\","
                    "\"k\":0.5}",
                &err) == TFG_OK);
    /* k 0.5: fences 1.0..10.0: drops 100 only */
    CHECK_INT(x.part[0].n_rows, 9);
    CHECK_INT(json_array_size(x.steps), 0); /* dropping rows is not a device step */
    tfg_exec_free(&x);
}

static void test_outliers_zscore_after_split(void)
{
    tfg_spec s;
    fx_spec(&s, TFG_TASK_REGRESSION, "y", NULL, 0, 1);
    /* train 0, 2, 4: mean 2, sample std 2; k 1 -> fences 0..4 */
    static const double tr[] = {0, 2, 4}, va[] = {-1, 3, 9}, te[] = {4, 4.5, 0};
    tfg_table a, b, c;
    fx_num_table(&a, 3, "x", tr);
    fx_num_table(&b, 3, "x", va);
    fx_num_table(&c, 3, "x", te);
    tfg_exec x;
    exec_init3(&x, &s, &a, &b, &c);
    tfg_err err = {0};
    CHECK(op_on(&x, "{\"op\":\"outliers\",\"why\":\"w\",\"method\":\"zscore\",\"k\":1,"
                    "\"action\":\"drop\"}",
                &err) == TFG_OK);
    /* fences from train; val and test are what the model is judged on: nothing of
     * theirs goes, and the log says how many rows the fences matched there */
    CHECK_INT(x.part[0].n_rows, 3);
    CHECK_INT(x.part[1].n_rows, 3);
    CHECK_INT(x.part[2].n_rows, 3);
    CHECK_HAS(x.did, "dropped 0 training rows beyond the z-score fences (3 more in val and "
                     "test, kept: no op removes their rows)");
    CHECK(x.has_found && x.found == 3);
    tfg_exec_free(&x);

    static const double cat_rows[] = {1, 2};
    static const char *const col[] = {"a", "b"};
    tfg_table t;
    fx_num_table(&t, 2, "x", cat_rows);
    fx_add_cat(&t, "k", col);
    exec_init(&x, &s, &t);
    CHECK(op_on(&x, "{\"op\":\"outliers\",\"why\":\"w\",\"method\":\"iqr\",\"action\":\"clip\","
                    "\"columns\":[\"x\",\"k\"]}",
                &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "ops[0].columns[1]: outliers needs a numeric column; 'k' is categorical");
    tfg_exec_free(&x);
}

static void test_scale(void)
{
    tfg_spec s;
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "y", NULL, 0, 1);
    static const double a[] = {2, 4, 6}, k[] = {7, 7, 7}, z[] = {1, 2, 3}, px[] = {0, 51, 255};
    static const char *const y[] = {"p", "q", "p"};
    tfg_table t;
    fx_num_table(&t, 3, "a", a);
    fx_add_num(&t, "k", k);
    fx_add_num(&t, "z", z);
    fx_add_num(&t, "px", px);
    fx_add_cat(&t, "y", y);
    tfg_exec x;
    exec_init(&x, &s, &t);
    tfg_err err = {0};
    CHECK(op_on(&x, "{\"op\":\"scale\",\"why\":\"w\",\"method\":\"minmax\",\"columns\":[\"a\",\"k\"]}",
                &err) == TFG_OK);
    CHECK_NEAR(num(&x, 0, "a", 0), 0, 0);
    CHECK_NEAR(num(&x, 0, "a", 1), 0.5, 0);
    CHECK_NEAR(num(&x, 0, "a", 2), 1, 0);
    CHECK_NEAR(num(&x, 0, "k", 1), 0, 0); /* a constant column maps to 0 */
    json_t *e = json_array_get(json_object_get(json_array_get(x.steps, 0), "columns"), 0);
    CHECK(json_real_value(json_object_get(e, "offset")) == 2);
    CHECK(json_real_value(json_object_get(e, "scale")) == 0.25);
    CHECK(op_on(&x, "{\"op\":\"scale\",\"why\":\"w\",\"method\":\"zscore\",\"columns\":[\"z\"]}",
                &err) == TFG_OK);
    float sd = (float)sqrt(2.0 / 3), inv = (float)(1 / sqrt(2.0 / 3));
    CHECK(num(&x, 0, "z", 0) == (double)((1.0f - 2.0f) * inv));
    CHECK_NEAR(num(&x, 0, "z", 2), 1 / sd, 1e-6);
    CHECK_NEAR(num(&x, 0, "z", 1), 0, 0);
    CHECK(op_on(&x, "{\"op\":\"scale\",\"why\":\"w\",\"method\":\"minmax\",\"range\":[0,255],"
                    "\"columns\":[\"px\"]}",
                &err) == TFG_OK);
    CHECK(num(&x, 0, "px", 1) == (double)(51.0f * (float)(1.0 / 255)));
    CHECK_NEAR(num(&x, 0, "px", 2), 1, 1e-7);
    CHECK_HAS(x.did, "min-max scaled 1 column with the fixed range");
    CHECK(op_on(&x, "{\"op\":\"scale\",\"why\":\"w\",\"method\":\"zscore\",\"columns\":[\"y\"]}",
                &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "ops[0].columns[0]: scale may not change the label column 'y'");
    tfg_exec_free(&x);

    /* data beyond a fixed range breaks the post-condition */
    static const double big[] = {0, 300};
    fx_num_table(&t, 2, "px", big);
    exec_init(&x, &s, &t);
    CHECK(op_on(&x, "{\"op\":\"scale\",\"why\":\"w\",\"method\":\"minmax\",\"range\":[0,255]}",
                &err) == TFG_ECHECK);
    CHECK_HAS(err.msg, "ops[0]: scale: post-condition failed: 'px' has values outside [0, 1]");
    tfg_exec_free(&x);

    static const double v[] = {1, 2};
    static const char *const cat[] = {"u", "v"};
    fx_num_table(&t, 2, "v", v);
    fx_add_cat(&t, "c", cat);
    exec_init(&x, &s, &t);
    CHECK(op_on(&x, "{\"op\":\"scale\",\"why\":\"w\",\"method\":\"zscore\",\"columns\":[\"c\"]}",
                &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "scale needs a numeric column; 'c' is categorical");
    CHECK(op_on(&x, "{\"op\":\"scale\",\"why\":\"w\",\"method\":\"zscore\"}", &err) == TFG_OK);
    CHECK_HAS(x.did, "standardized 1 column"); /* default: numeric features only */
    tfg_exec_free(&x);
}

/* Scale fitted on train: val/test use train's min and max (and may leave 0..1). */
static void test_scale_after_split(void)
{
    tfg_spec s;
    fx_spec(&s, TFG_TASK_REGRESSION, "y", NULL, 0, 1);
    static const double tr[] = {10, 20}, va[] = {30}, te[] = {15};
    tfg_table a, b, c;
    fx_num_table(&a, 2, "x", tr);
    fx_num_table(&b, 1, "x", va);
    fx_num_table(&c, 1, "x", te);
    tfg_exec x;
    exec_init3(&x, &s, &a, &b, &c);
    tfg_err err = {0};
    CHECK(op_on(&x, "{\"op\":\"scale\",\"why\":\"w\",\"method\":\"minmax\"}", &err) == TFG_OK);
    CHECK_NEAR(num(&x, 1, "x", 0), 2, 1e-6);
    CHECK_NEAR(num(&x, 2, "x", 0), 0.5, 1e-6);
    tfg_exec_free(&x);
}

static void test_label_encode_one_hot(void)
{
    tfg_spec s;
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "y", NULL, 0, 1);
    static const double a[] = {1, 2, 3, 4};
    static const char *const col[] = {"red", "blue", NULL, "red"};
    static const char *const sz[] = {"m", "s", "l", "s"};
    static const char *const y[] = {"p", "q", "p", "q"};
    tfg_table t;
    fx_num_table(&t, 4, "a", a);
    fx_add_cat(&t, "color", col);
    fx_add_cat(&t, "size", sz);
    fx_add_cat(&t, "y", y);
    tfg_exec x;
    exec_init(&x, &s, &t);
    tfg_err err = {0};
    CHECK(op_on(&x, "{\"op\":\"label_encode\",\"why\":\"w\",\"column\":\"size\"}", &err) == 0);
    CHECK_INT(x.part[0].cols[2].type, TFG_COL_NUM);
    CHECK_STR(x.part[0].cols[2].name, "size");
    CHECK_NEAR(num(&x, 0, "size", 0), 1, 0); /* l=0, m=1, s=2 */
    CHECK_NEAR(num(&x, 0, "size", 1), 2, 0);
    CHECK_NEAR(num(&x, 0, "size", 2), 0, 0);
    CHECK(op_on(&x, "{\"op\":\"one_hot\",\"why\":\"w\",\"column\":\"color\"}", &err) == TFG_OK);
    CHECK_INT(x.part[0].n_cols, 5);
    CHECK_STR(x.part[0].cols[1].name, "color=blue");
    CHECK_STR(x.part[0].cols[2].name, "color=red");
    CHECK_STR(x.part[0].cols[3].name, "size");
    CHECK_NEAR(num(&x, 0, "color=red", 0), 1, 0);
    CHECK_NEAR(num(&x, 0, "color=blue", 0), 0, 0);
    CHECK_NEAR(num(&x, 0, "color=blue", 1), 1, 0);
    CHECK(isnan(num(&x, 0, "color=red", 2)));
    CHECK_STR(tfg_exec_source(&x, "color=red"), "color");
    CHECK(tfg_exec_is_feature(&x, "color=red"));
    CHECK_HAS(x.did, "replaced 'color' by 2 0/1 columns (color=blue, color=red)");
    json_t *step = json_array_get(x.steps, 1);
    CHECK_STR(json_string_value(json_object_get(step, "step")), "one_hot");
    CHECK_INT(json_array_size(json_object_get(step, "levels")), 2);
    /* errors: numeric column, the label, unknown column */
    CHECK(op_on(&x, "{\"op\":\"one_hot\",\"why\":\"w\",\"column\":\"a\"}", &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "ops[0].column: one_hot needs a categorical column; 'a' is numeric");
    CHECK(op_on(&x, "{\"op\":\"one_hot\",\"why\":\"w\",\"column\":\"y\"}", &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "ops[0].column: one_hot may not change the label column 'y'");
    CHECK(op_on(&x, "{\"op\":\"label_encode\",\"why\":\"w\",\"column\":\"sise\"}", &err) ==
          TFG_EINPUT);
    CHECK_HAS(err.msg, "ops[0].column: no column 'sise' (did you mean 'size'?)");
    tfg_exec_free(&x);
}

/* Levels are fitted on train: an unseen level is all zeros in one_hot, an error in
 * label_encode. */
static void test_encode_after_split(void)
{
    tfg_spec s;
    fx_spec(&s, TFG_TASK_REGRESSION, "y", NULL, 0, 1);
    static const char *const tr[] = {"a", "b"};
    static const char *const va[] = {"c"};
    static const char *const te[] = {"b"};
    static const double zero[] = {0, 0};
    tfg_table a, b, c;
    for (int k = 0; k < 2; k++) {
        fx_num_table(&a, 2, "n", zero);
        fx_add_cat(&a, "k", tr);
        fx_num_table(&b, 1, "n", zero);
        fx_add_cat(&b, "k", va);
        fx_num_table(&c, 1, "n", zero);
        fx_add_cat(&c, "k", te);
        tfg_exec x;
        exec_init3(&x, &s, &a, &b, &c);
        tfg_err err = {0};
        if (k == 0) {
            CHECK(op_on(&x, "{\"op\":\"one_hot\",\"why\":\"w\",\"column\":\"k\"}", &err) == 0);
            CHECK_INT(x.part[1].n_cols, 3);
            CHECK_NEAR(num(&x, 1, "k=a", 0) + num(&x, 1, "k=b", 0), 0, 0);
            CHECK_NEAR(num(&x, 2, "k=b", 0), 1, 0);
        } else {
            CHECK(op_on(&x, "{\"op\":\"label_encode\",\"why\":\"w\",\"column\":\"k\"}", &err) ==
                  TFG_ECHECK);
            CHECK_HAS(err.msg, "the val split has level 'c' in 'k' that the training split "
                               "does not have");
        }
        tfg_exec_free(&x);
    }
}

/* An unseen level that is a number in disguise (decimal comma, a unit the column's
 * other cells lack) says what would have read the column as numbers; a word does not. */
static void test_encode_unseen_number_hint(void)
{
    tfg_spec s;
    fx_spec(&s, TFG_TASK_REGRESSION, "y", NULL, 0, 1);
    static const char *const tr[] = {"a", "b"}, *const te[] = {"b"};
    static const char *const va[][1] = {{"4,4"}, {"12 cm"}, {"c"}, {"7"}};
    static const char *const want[] = {"--decimal ,", "number with a unit", NULL, NULL};
    static const double zero[] = {0, 0};
    for (int k = 0; k < 4; k++) {
        tfg_table a, b, c;
        fx_num_table(&a, 2, "n", zero);
        fx_add_cat(&a, "k", tr);
        fx_num_table(&b, 1, "n", zero);
        fx_add_cat(&b, "k", va[k]);
        fx_num_table(&c, 1, "n", zero);
        fx_add_cat(&c, "k", te);
        tfg_exec x;
        exec_init3(&x, &s, &a, &b, &c);
        tfg_err err = {0};
        CHECK(op_on(&x, "{\"op\":\"label_encode\",\"why\":\"w\",\"column\":\"k\"}", &err) ==
              TFG_ECHECK);
        CHECK_HAS(err.msg, "that the training split does not have");
        if (want[k])
            CHECK_HAS(err.msg, want[k]);
        else
            CHECK_MSG(!strstr(err.msg, "looks like a number"), "%s", err.msg);
        tfg_exec_free(&x);
    }
}

static size_t count_level(const tfg_exec *x, const char *col, const char *level)
{
    const tfg_column *c = &x->part[0].cols[tfg_table_find(&x->part[0], col)];
    size_t n = 0;
    for (size_t i = 0; i < x->part[0].n_rows; i++)
        n += c->cat[i] >= 0 && !strcmp(c->levels[c->cat[i]], level);
    return n;
}

static void test_balance(void)
{
    tfg_spec s;
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "y", NULL, 0, 9);
    static const double v[] = {0, 1, 2, 3, 4, 5, 6, 7};
    static const char *const y[] = {"a", "a", "b", "a", "a", "b", "a", "a"};
    tfg_err err = {0};
    double first[12] = {0};
    for (int run = 0; run < 2; run++) {
        tfg_table t;
        fx_num_table(&t, 8, "v", v);
        fx_add_cat(&t, "y", y);
        tfg_exec x;
        exec_init(&x, &s, &t);
        CHECK(op_on(&x, "{\"op\":\"balance\",\"why\":\"w\",\"method\":\"oversample\"}", &err) == 0);
        CHECK_INT(x.part[0].n_rows, 12);
        CHECK_INT(count_level(&x, "y", "a"), 6);
        CHECK_INT(count_level(&x, "y", "b"), 6);
        for (size_t i = 8; i < 12; i++) /* the added rows are copies of b rows */
            CHECK(num(&x, 0, "v", i) == 2 || num(&x, 0, "v", i) == 5);
        for (size_t i = 0; i < 12; i++) {
            if (run == 0)
                first[i] = num(&x, 0, "v", i);
            else
                CHECK(first[i] == num(&x, 0, "v", i)); /* same seed, same rows */
        }
        CHECK_HAS(x.did, "oversampled the table from 8 to 12 rows, 6 per class (a: 6, b: 2 before)");
        tfg_exec_free(&x);
    }
    tfg_table t;
    fx_num_table(&t, 8, "v", v);
    fx_add_cat(&t, "y", y);
    tfg_exec x;
    exec_init(&x, &s, &t);
    CHECK(op_on(&x, "{\"op\":\"balance\",\"why\":\"w\",\"method\":\"undersample\",\"seed\":4}",
                &err) == TFG_OK);
    CHECK_INT(x.part[0].n_rows, 4);
    CHECK_INT(count_level(&x, "y", "a"), 2);
    CHECK_INT(count_level(&x, "y", "b"), 2);
    tfg_exec_free(&x);
    /* no label column */
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "label", NULL, 0, 9);
    fx_num_table(&t, 8, "v", v);
    exec_init(&x, &s, &t);
    CHECK(op_on(&x, "{\"op\":\"balance\",\"why\":\"w\",\"method\":\"undersample\"}", &err) ==
          TFG_EINPUT);
    CHECK_HAS(err.msg, "ops[0]: balance needs the label column 'label'");
    tfg_exec_free(&x);
}

/* A sine of one cycle per 8 samples: mean 0, rms sqrt(1/2), min -1, max 1, one sign
 * change per window (sin(pi) rounds to +1.2e-16), and all the energy in DFT bin 1:
 * |X_1|^2 = (8/2)^2 = 16. */
static void test_window(void)
{
    tfg_spec s;
    fx_spec(&s, TFG_TASK_CLASSIFICATION, "y", NULL, 0, 1);
    double v[16];
    const char *y[16];
    for (size_t i = 0; i < 16; i++) {
        v[i] = sin(2 * M_PI * (double)i / 8);
        y[i] = i < 3 || (i >= 8 && i < 12) ? "a" : "b"; /* window 2: 4 a, 4 b -> tie -> a */
    }
    tfg_table t;
    fx_num_table(&t, 16, "ax", v);
    static const double other[16] = {0};
    fx_add_num(&t, "temp", other);
    fx_add_cat(&t, "y", y);
    tfg_exec x;
    exec_init(&x, &s, &t);
    tfg_err err = {0};
    CHECK_MSG(op_on(&x, "{\"op\":\"window\",\"why\":\"w\",\"columns\":[\"ax\"],\"size\":8,"
                        "\"step\":4,\"features\":[\"mean\",\"std\",\"min\",\"max\",\"rms\","
                        "\"zero_crossings\",\"fft\"],\"fft_bands\":4}",
                    &err) == TFG_OK,
              "%s", err.msg);
    CHECK_INT(x.part[0].n_rows, 3); /* (16 - 8) / 4 + 1 */
    CHECK_INT(x.part[0].n_cols, 10 + 1); /* 6 + 4 bands + label; temp dropped */
    CHECK_STR(x.part[0].cols[0].name, "ax.mean");
    CHECK_STR(x.part[0].cols[6].name, "ax.fft0");
    CHECK_STR(x.part[0].cols[9].name, "ax.fft3");
    CHECK_NEAR(num(&x, 0, "ax.mean", 0), 0, 1e-12);
    CHECK_NEAR(num(&x, 0, "ax.std", 0), sqrt(0.5), 1e-12);
    CHECK_NEAR(num(&x, 0, "ax.rms", 1), sqrt(0.5), 1e-12);
    CHECK_NEAR(num(&x, 0, "ax.min", 0), -1, 1e-12);
    CHECK_NEAR(num(&x, 0, "ax.max", 0), 1, 1e-12);
    CHECK_NEAR(num(&x, 0, "ax.zero_crossings", 0), 1, 0);
    CHECK_NEAR(num(&x, 0, "ax.fft0", 0), 16, 1e-9);
    CHECK_NEAR(num(&x, 0, "ax.fft1", 0), 0, 1e-9);
    CHECK_NEAR(num(&x, 0, "ax.fft3", 2), 0, 1e-9);
    CHECK_NEAR(num(&x, 0, "ax.fft0", 1), 16, 1e-9); /* a shifted sine: same energy */
    const tfg_column *lab = &x.part[0].cols[tfg_table_find(&x.part[0], "y")];
    CHECK_STR(lab->levels[lab->cat[0]], "b"); /* 3 a, 5 b */
    CHECK_STR(lab->levels[lab->cat[1]], "a"); /* rows 4..11: 4 b, 4 a: tie -> a */
    CHECK_STR(lab->levels[lab->cat[2]], "a"); /* rows 8..15: 4 a, 4 b: tie -> a */
    CHECK_STR(tfg_exec_source(&x, "ax.fft2"), "ax");
    CHECK_HAS(x.did, "cut 16 rows into 3 windows of 8 samples every 4 rows");
    tfg_exec_free(&x);

    /* missing signal cells and categorical signals are errors */
    v[3] = NAN;
    fx_num_table(&t, 16, "ax", v);
    fx_add_cat(&t, "y", y);
    exec_init(&x, &s, &t);
    CHECK(op_on(&x, "{\"op\":\"window\",\"why\":\"w\",\"columns\":[\"ax\"],\"size\":8,\"step\":4,"
                    "\"features\":[\"mean\"]}",
                &err) == TFG_ECHECK);
    CHECK_HAS(err.msg, "ops[0].columns[0]: 'ax' has 1 missing cells; impute or drop_missing");
    CHECK(op_on(&x, "{\"op\":\"window\",\"why\":\"w\",\"columns\":[\"y\"],\"size\":8,\"step\":4,"
                    "\"features\":[\"mean\"]}",
                &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "window needs a numeric signal column; 'y' is categorical");
    CHECK(op_on(&x, "{\"op\":\"window\",\"why\":\"w\",\"columns\":[\"az\"],\"size\":8,\"step\":4,"
                    "\"features\":[\"mean\"]}",
                &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "ops[0].columns[0]: no column 'az' (did you mean 'ax'?)");
    tfg_exec_free(&x);
}

/* Windows never span rows of two sources (pins). */
static void test_window_pins(void)
{
    tfg_spec s;
    fx_spec(&s, TFG_TASK_ANOMALY, NULL, NULL, 0, 1);
    double v[10];
    for (size_t i = 0; i < 10; i++)
        v[i] = (double)i;
    tfg_table t;
    fx_num_table(&t, 10, "ax", v);
    t.pin = tfg_xcalloc(10, 1);
    for (size_t i = 6; i < 10; i++)
        t.pin[i] = TFG_SPLIT_TEST;
    tfg_exec x;
    exec_init(&x, &s, &t);
    tfg_err err = {0};
    CHECK(op_on(&x, "{\"op\":\"window\",\"why\":\"w\",\"columns\":[\"ax\"],\"size\":3,\"step\":3,"
                    "\"features\":[\"mean\"]}",
                &err) == TFG_OK);
    CHECK_INT(x.part[0].n_rows, 3); /* rows 0-2, 3-5 | 6-8 */
    CHECK_NEAR(num(&x, 0, "ax.mean", 2), 7, 0);
    CHECK_INT(x.part[0].pin[2], TFG_SPLIT_TEST);
    CHECK_INT(x.part[0].pin[1], TFG_SPLIT_NONE);
    tfg_exec_free(&x);
}

static void test_shuffle(void)
{
    tfg_spec s;
    fx_spec(&s, TFG_TASK_REGRESSION, "y", NULL, 0, 1);
    double v[50];
    for (size_t i = 0; i < 50; i++)
        v[i] = (double)i;
    double got[3][50];
    const char *ops[3] = {"{\"op\":\"shuffle\",\"why\":\"w\",\"seed\":5}",
                          "{\"op\":\"shuffle\",\"why\":\"w\",\"seed\":5}",
                          "{\"op\":\"shuffle\",\"why\":\"w\",\"seed\":6}"};
    for (size_t k = 0; k < 3; k++) {
        tfg_table t;
        fx_num_table(&t, 50, "x", v);
        tfg_exec x;
        exec_init(&x, &s, &t);
        tfg_err err = {0};
        CHECK(op_on(&x, ops[k], &err) == TFG_OK);
        double sum = 0;
        for (size_t i = 0; i < 50; i++) {
            got[k][i] = num(&x, 0, "x", i);
            sum += got[k][i];
        }
        CHECK_NEAR(sum, 49 * 50 / 2, 0); /* a permutation */
        tfg_exec_free(&x);
    }
    CHECK(!memcmp(got[0], got[1], sizeof got[0]));
    CHECK(memcmp(got[0], got[2], sizeof got[0]) != 0);
    CHECK(memcmp(got[0], v, sizeof v) != 0);
}

TFG_TEST_MAIN(test_select_drop_columns, test_drop_missing, test_impute_numeric,
              test_impute_categorical_and_errors, test_impute_fit_on_train, test_drop_duplicates,
              test_outliers_iqr, test_outliers_zscore_after_split, test_scale,
              test_scale_after_split, test_label_encode_one_hot, test_encode_after_split,
              test_encode_unseen_number_hint, test_balance, test_window, test_window_pins, test_shuffle)
