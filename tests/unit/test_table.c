/* test_table.c — tfg_table_append with split pins: rows from an unpinned source stay
 * unpinned when a pinned source follows (a training file, then a test file), and the
 * other way round. (ASan fills new memory with 0xbe, so the sanitizer build sees a pin
 * left uninitialised even where the plain build's fresh pages happen to be zero.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "data/table.h"

static void make(tfg_table *t, size_t rows, const char *name, double base, int pin)
{
    tfg_table_init(t);
    t->n_rows = rows;
    tfg_column *c = tfg_table_add_num(t, name);
    for (size_t i = 0; i < rows; i++)
        c->num[i] = base + (double)i;
    if (pin >= 0) {
        t->pin = malloc(rows);
        memset(t->pin, pin, rows);
    }
}

static void test_append_pins(void)
{
    for (int order = 0; order < 2; order++) {
        tfg_table a, b;
        tfg_err err;
        /* order 0: unpinned then pinned (Fashion-MNIST's train files, then t10k) */
        make(&a, 200, "x", 0, order == 0 ? -1 : TFG_SPLIT_TEST);
        make(&b, 3, "x", 1000, order == 0 ? TFG_SPLIT_TEST : -1);
        CHECK_INT(tfg_table_append(&a, &b, "b.csv", &err), TFG_OK);
        CHECK_INT((int)a.n_rows, 203);
        CHECK(a.pin != NULL);
        int want_first = order == 0 ? TFG_SPLIT_NONE : TFG_SPLIT_TEST;
        int want_last = order == 0 ? TFG_SPLIT_TEST : TFG_SPLIT_NONE;
        size_t bad = 0;
        for (size_t i = 0; i < 203; i++)
            bad += a.pin[i] != (i < 200 ? want_first : want_last);
        CHECK_MSG(bad == 0, "order %d: %zu rows carry the wrong pin", order, bad);
        CHECK(a.cols[0].num[202] == 1002.0);
        tfg_table_free(&a);
        tfg_table_free(&b);
    }
}

/* The name index (issue 22) answers as a walk from the first column would, after every
 * kind of change: adds, removals, moves, a kept subset, and a name given twice. */
static void test_find_by_name(void)
{
    tfg_table t;
    tfg_table_init(&t);
    t.n_rows = 2;
    char name[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "c%d", i);
        tfg_table_add_num(&t, name);
    }
    CHECK_INT(tfg_table_find(&t, "c0"), 0);
    CHECK_INT(tfg_table_find(&t, "c999"), 999);
    CHECK_INT(tfg_table_find(&t, "c1000"), -1);
    tfg_table_add_cat(&t, "c5"); /* a second c5: the first stays the answer */
    CHECK_INT(tfg_table_find(&t, "c5"), 5);
    tfg_table_remove_col(&t, 5);
    CHECK_INT(tfg_table_find(&t, "c5"), 999); /* now the cat column, last */
    CHECK_INT(tfg_table_find(&t, "c6"), 5);
    tfg_table_move_col(&t, 999, 0);
    CHECK_INT(tfg_table_find(&t, "c5"), 0);
    CHECK_INT(tfg_table_find(&t, "c6"), 6);
    tfg_table_add_num(&t, "new");
    CHECK_INT(tfg_table_find(&t, "new"), 1000);
    size_t keep[] = {1000, 3, 0};
    tfg_table_keep_cols(&t, keep, 3);
    CHECK_INT((int)t.n_cols, 3);
    CHECK_INT(tfg_table_find(&t, "new"), 0);
    CHECK_INT(tfg_table_find(&t, "c2"), 1);
    CHECK_INT(tfg_table_find(&t, "c5"), 2);
    CHECK(t.cols[2].type == TFG_COL_CAT);
    CHECK_INT(tfg_table_find(&t, "c6"), -1);
    tfg_table_free(&t);
    tfg_table hand = {.n_cols = 0}; /* made by hand: no index, still answers */
    CHECK_INT(tfg_table_find(&hand, "x"), -1);
}

TFG_TEST_MAIN(test_append_pins, test_find_by_name)
