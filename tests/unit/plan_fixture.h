/* plan_fixture.h — shared helpers of the data-plan tests (test_plan.c, test_ops.c,
 * test_exec.c): hand-made specs and tables (the fruit-like colour data with known dirt),
 * and running a plan given as a JSON string. Tables are built directly with the table
 * API so these tests do not depend on the CSV loader. */
#ifndef TFG_TESTS_PLAN_FIXTURE_H
#define TFG_TESTS_PLAN_FIXTURE_H

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/rng.h"
#include "data/plan.h"
#include "data/table.h"
#include "spec/spec.h"

/* A spec with only what the data stage reads. label and features are not copied. */
static inline void fx_spec(tfg_spec *s, tfg_task task, const char *label, char **features,
                    size_t n_features, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    s->task = task;
    s->label = (char *)label;
    s->features = features;
    s->n_features = n_features;
    s->seed = seed;
}

static inline void fx_set_cat(tfg_table *t, const char *col, size_t row, const char *level)
{
    tfg_column *c = &t->cols[tfg_table_find(t, col)];
    c->cat[row] = level ? tfg_col_intern(c, level, strlen(level)) : -1;
}

/* Fruit-like colour proportions: n rows, classes apple/banana/orange cycling (or by the
 * counts given), an "id" column 0..n-1 (so tests can map rows back), red/green/blue,
 * and the label "fruit". */
static inline void fx_fruit(tfg_table *t, size_t n, uint64_t seed)
{
    static const char *const names[] = {"apple", "banana", "orange"};
    static const double mean[3][3] = {{0.55, 0.25, 0.20}, {0.42, 0.42, 0.16},
                                      {0.60, 0.30, 0.10}};
    tfg_rng rng;
    tfg_rng_seed(&rng, seed);
    tfg_table_init(t);
    t->n_rows = n;
    tfg_table_add_num(t, "id");
    tfg_table_add_num(t, "red");
    tfg_table_add_num(t, "green");
    tfg_table_add_num(t, "blue");
    tfg_table_add_cat(t, "fruit");
    for (size_t i = 0; i < n; i++) {
        size_t k = i % 3;
        t->cols[0].num[i] = (double)i;
        for (size_t c = 0; c < 3; c++)
            t->cols[1 + c].num[i] = round((mean[k][c] + 0.02 * tfg_rng_normal(&rng)) * 1e4) / 1e4;
        fx_set_cat(t, "fruit", i, names[k]);
    }
}

/* A table with n rows and one numeric column per given values array. */
static inline void fx_num_table(tfg_table *t, size_t n, const char *name, const double *v)
{
    tfg_table_init(t);
    t->n_rows = n;
    tfg_column *c = tfg_table_add_num(t, name);
    memcpy(c->num, v, n * sizeof *v);
}

static inline void fx_add_num(tfg_table *t, const char *name, const double *v)
{
    tfg_column *c = tfg_table_add_num(t, name);
    memcpy(c->num, v, t->n_rows * sizeof *v);
}

static inline void fx_add_cat(tfg_table *t, const char *name, const char *const *v)
{
    tfg_table_add_cat(t, name);
    for (size_t i = 0; i < t->n_rows; i++)
        fx_set_cat(t, name, i, v[i]);
}

static inline tfg_status fx_parse(const char *json, tfg_plan **p, tfg_err *err)
{
    json_t *j = NULL;
    tfg_status st = tfg_json_load_buf(json, strlen(json), "plan.json", &j, err);
    if (st)
        return st;
    st = tfg_plan_parse(j, "plan.json", p, err);
    json_decref(j);
    return st;
}

/* Parses and runs a plan; t is consumed. */
static inline tfg_status fx_run(const char *json, const tfg_spec *s, tfg_table *t,
                         tfg_data_result *r, tfg_err *err)
{
    tfg_plan *p = NULL;
    memset(r, 0, sizeof *r);
    tfg_status st = fx_parse(json, &p, err);
    if (st) {
        tfg_table_free(t);
        return st;
    }
    st = tfg_plan_execute(p, s, t, NULL, r, err);
    tfg_plan_free(p);
    tfg_table_free(t);
    return st;
}

#endif
