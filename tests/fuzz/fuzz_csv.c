/* fuzz_csv.c — libFuzzer target for the CSV loader (data/csv.c).
 *
 * Each input is parsed under several option sets (header on and off, given names, ';'
 * as delimiter, a forced categorical column, a tiny record limit) so every branch of
 * the splitter and the typer sees arbitrary bytes. Beyond the sanitizers, the target
 * checks the loader's contract and aborts (a finding) when it breaks: an error leaves
 * an empty table and a message; a success gives a well-formed table. Built only with
 * -DTFG_FUZZ=ON; run by tests/fuzz/run.sh. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void check_table(const tfg_table *t)
{
    if (!t->n_cols || !t->n_rows || !t->cols)
        abort();
    for (size_t j = 0; j < t->n_cols; j++) {
        const tfg_column *c = &t->cols[j];
        if (!c->name || !*c->name)
            abort();
        for (size_t i = 0; i < t->n_rows; i++) {
            if (c->type == TFG_COL_NUM && isinf(c->num[i]))
                abort(); /* NaN means missing; infinity must have been refused */
            if (c->type == TFG_COL_CAT && (c->cat[i] < -1 || c->cat[i] >= (int32_t)c->n_levels))
                abort();
        }
    }
}

static void run(const uint8_t *d, size_t n, const tfg_csv_opts *o)
{
    tfg_table t;
    tfg_err err;
    tfg_err_clear(&err);
    tfg_status s = tfg_csv_parse((const char *)d, n, "fuzz.csv", o, &t, &err);
    if (s == TFG_OK)
        check_table(&t);
    else if (s != TFG_EINPUT || !err.msg[0] || t.n_cols || t.n_rows || t.cols)
        abort();
    tfg_table_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    static const char *const names[] = {"a", "b", "c"};
    static const char *const cats[] = {"a", "c1", "fruit", NULL};
    tfg_csv_opts o;

    tfg_csv_opts_default(&o);
    run(d, n, &o);

    o.categorical = cats;
    o.max_record = 64;
    run(d, n, &o);

    tfg_csv_opts_default(&o);
    o.header = false;
    run(d, n, &o);
    o.names = names;
    o.n_names = 3;
    run(d, n, &o);

    tfg_csv_opts_default(&o);
    o.delimiter = ';';
    run(d, n, &o);
    return 0;
}
