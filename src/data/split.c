/* split.c — the row-level ops that need the label's classes: split (train/val/test,
 * stratified or not, respecting rows pinned by their source) and balance (over- or
 * undersampling the fitted split to equal class counts).
 *
 * Stratification is exact, not approximate: the split sizes come from a largest-remainder
 * allocation of the rows, and the per-class counts from a controlled rounding of
 * size(s) * n_c / n, so every cell is within 1 of its ideal and the counts still add up
 * both ways. All randomness comes from one tfg_rng seeded by the op (or the spec). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/rng.h"
#include "data/exec_state.h"
#include "data/ops.h"

/* ---- allocation ------------------------------------------------------------------------ */

/* Splits total into k parts in proportion to w (largest remainder; ties: lower index). */
static void largest_remainder(size_t total, const double *w, size_t k, size_t *out)
{
    double sum = 0, rem[3];
    size_t given = 0;
    for (size_t i = 0; i < k; i++)
        sum += w[i];
    for (size_t i = 0; i < k; i++) {
        double exact = sum > 0 ? (double)total * w[i] / sum : 0;
        out[i] = (size_t)floor(exact + 1e-9);
        rem[i] = exact - (double)out[i];
        given += out[i];
    }
    while (given < total) {
        size_t best = 0;
        for (size_t i = 1; i < k; i++)
            if (rem[i] > rem[best] + 1e-12)
                best = i;
        out[best]++;
        rem[best] = -1;
        given++;
    }
}

/* Controlled rounding state: class c gets base[c][s] rows of split s, plus one if
 * extra[c][s]; a cell whose ideal is fractional may take the extra. */
typedef struct {
    size_t k;
    size_t (*base)[3];
    bool (*frac)[3], (*extra)[3];
    size_t rem[3];
} rounding;

/* Gives class c one more extra (an augmenting path over at most 3 splits). */
static bool augment(rounding *r, size_t c, bool *seen)
{
    for (size_t s = 0; s < 3; s++) {
        if (!r->frac[c][s] || r->extra[c][s] || seen[s])
            continue;
        seen[s] = true;
        if (r->rem[s] > 0) {
            r->rem[s]--;
            r->extra[c][s] = true;
            return true;
        }
        for (size_t c2 = 0; c2 < r->k; c2++)
            if (c2 != c && r->extra[c2][s] && augment(r, c2, seen)) {
                r->extra[c2][s] = false;
                r->extra[c][s] = true;
                return true;
            }
    }
    return false;
}

/* count[c][s] with row sums n_c, column sums size[s], each within 1 of size[s]*n_c/n. */
static bool stratify_counts(const size_t *n_c, size_t k, const size_t *size, size_t (*count)[3])
{
    size_t n = 0;
    for (size_t c = 0; c < k; c++)
        n += n_c[c];
    rounding r = {k, count, tfg_xcalloc(k + 1, sizeof *r.frac),
                  tfg_xcalloc(k + 1, sizeof *r.extra), {size[0], size[1], size[2]}};
    size_t *need = tfg_xcalloc(k + 1, sizeof *need);
    for (size_t c = 0; c < k; c++) {
        need[c] = n_c[c];
        for (size_t s = 0; s < 3; s++) {
            uint64_t prod = (uint64_t)size[s] * n_c[c];
            count[c][s] = n ? (size_t)(prod / n) : 0;
            r.frac[c][s] = n && prod % n != 0;
            need[c] -= count[c][s];
            r.rem[s] -= count[c][s];
        }
    }
    bool ok = true;
    for (size_t c = 0; c < k && ok; c++)
        for (size_t e = 0; e < need[c] && ok; e++) {
            bool seen[3] = {false, false, false};
            ok = augment(&r, c, seen);
        }
    for (size_t c = 0; c < k; c++)
        for (size_t s = 0; s < 3; s++)
            count[c][s] += r.extra[c][s];
    free(need);
    free(r.frac);
    free(r.extra);
    return ok;
}

/* ---- split --------------------------------------------------------------------------- */

typedef struct {
    size_t *rows[3];
    size_t n[3];
} assignment;

static void assign_push(assignment *a, size_t s, size_t row)
{
    a->rows[s][a->n[s]++] = row;
}

/* Deals the unpinned rows of each stratum out to the splits, shuffled by rng. */
static void deal(const int32_t *stratum, size_t k, const size_t *unpinned, size_t nu,
                 size_t (*count)[3], tfg_rng *rng, assignment *a)
{
    size_t *rows = tfg_xmalloc((nu + 1) * sizeof *rows);
    for (size_t c = 0; c < k; c++) {
        size_t m = 0;
        for (size_t i = 0; i < nu; i++)
            if ((size_t)stratum[unpinned[i]] == c)
                rows[m++] = unpinned[i];
        tfg_rng_shuffle(rng, rows, m);
        size_t at = 0;
        for (size_t s = 0; s < 3; s++)
            for (size_t j = 0; j < count[c][s]; j++)
                assign_push(a, s, rows[at++]);
    }
    free(rows);
}

static bool any_pinned(const tfg_table *t, int split)
{
    for (size_t i = 0; t->pin && i < t->n_rows; i++)
        if (t->pin[i] == split)
            return true;
    return false;
}

/* Strata for the split: the class (missing label: a stratum of its own) or all one. */
static tfg_status strata(tfg_exec *x, const tfg_plan_op *op, size_t index, bool stratify,
                         int32_t **out, size_t *k, tfg_err *err)
{
    const tfg_table *t = &x->part[0];
    if (!stratify) {
        *out = tfg_xcalloc(t->n_rows + 1, sizeof **out);
        *k = 1;
        return TFG_OK;
    }
    tfg_status st = tfg_exec_class_keys(x, 0, op, index, out, k, NULL, err);
    if (st)
        return st;
    for (size_t i = 0; i < t->n_rows; i++)
        if ((*out)[i] < 0)
            (*out)[i] = (int32_t)*k;
    (*k)++;
    return TFG_OK;
}

/* The post-condition: every row placed once and every cell within 1 of its ideal. */
static bool split_holds(const assignment *a, size_t n_rows, const size_t *n_c, size_t k,
                        size_t nu, size_t (*count)[3], const size_t *size)
{
    if (a->n[0] + a->n[1] + a->n[2] != n_rows)
        return false;
    for (size_t c = 0; c < k; c++)
        for (size_t s = 0; s < 3; s++)
            if (nu && fabs((double)count[c][s] - (double)size[s] * (double)n_c[c] / (double)nu) >
                          1 + 1e-9)
                return false;
    return true;
}

static void split_did(tfg_exec *x, const tfg_plan_op *op, bool stratify, bool pinned,
                      uint64_t seed)
{
    tfg_exec_did(x, "split %zu rows into train %zu, val %zu, test %zu (%s%s%s, seed %llu)",
                 x->part[0].n_rows + x->part[1].n_rows + x->part[2].n_rows, x->part[0].n_rows,
                 x->part[1].n_rows, x->part[2].n_rows, stratify ? "stratified by " : "random",
                 stratify ? x->spec->label : "", pinned ? "; test rows pinned by their source"
                                                        : "",
                 (unsigned long long)seed);
}

static void build_parts(tfg_exec *x, assignment *a)
{
    tfg_table whole = x->part[0];
    for (size_t s = 0; s < 3; s++)
        tfg_table_subset(&whole, a->rows[s], a->n[s], &x->part[s]);
    tfg_table_free(&whole);
    x->n_parts = 3;
}

tfg_status tfg_op_split(tfg_exec *x, const tfg_plan_op *op, size_t index, tfg_err *err)
{
    const tfg_table *t = &x->part[0];
    bool stratify = op->has_stratify ? op->stratify : x->spec->task == TFG_TASK_CLASSIFICATION;
    int32_t *stratum;
    size_t k;
    tfg_status st = strata(x, op, index, stratify, &stratum, &k, err);
    if (st)
        return st;
    /* A separate test source fixes the test set; the plan's fractions then divide the
     * other rows between train and val only. */
    bool test_pinned = any_pinned(t, TFG_SPLIT_TEST);
    double w[3] = {op->frac[0], op->frac[1], test_pinned ? 0 : op->frac[2]};
    assignment a = {{NULL}, {0}};
    size_t *unpinned = tfg_xmalloc((t->n_rows + 1) * sizeof *unpinned), nu = 0;
    for (size_t s = 0; s < 3; s++)
        a.rows[s] = tfg_xmalloc((t->n_rows + 1) * sizeof *a.rows[s]);
    for (size_t i = 0; i < t->n_rows; i++) {
        int pin = t->pin ? t->pin[i] : TFG_SPLIT_NONE;
        if (pin == TFG_SPLIT_NONE)
            unpinned[nu++] = i;
        else
            assign_push(&a, (size_t)pin - 1, i);
    }
    size_t pinned_n[3] = {a.n[0], a.n[1], a.n[2]}, size[3];
    size_t *n_c = tfg_xcalloc(k + 1, sizeof *n_c);
    size_t (*count)[3] = tfg_xcalloc(k + 1, sizeof *count);
    for (size_t i = 0; i < nu; i++)
        n_c[stratum[unpinned[i]]]++;
    largest_remainder(nu, w, 3, size);
    tfg_rng rng;
    uint64_t seed = tfg_exec_seed(x, op);
    tfg_rng_seed(&rng, seed);
    bool ok = stratify_counts(n_c, k, size, count);
    if (ok) {
        deal(stratum, k, unpinned, nu, count, &rng, &a);
        for (size_t s = 0; s < 3; s++) /* mix the classes within each split */
            tfg_rng_shuffle(&rng, a.rows[s] + pinned_n[s], a.n[s] - pinned_n[s]);
        ok = split_holds(&a, t->n_rows, n_c, k, nu, count, size);
    }
    if (ok) {
        build_parts(x, &a);
        split_did(x, op, stratify, test_pinned, seed);
    } else {
        char path[64];
        tfg_exec_path(path, sizeof path, index, NULL, SIZE_MAX);
        st = tfg_err_field(err, TFG_ECHECK, x->file, path,
                           "split: post-condition failed: the split sizes or the per-class "
                           "counts do not add up");
    }
    for (size_t s = 0; s < 3; s++)
        free(a.rows[s]);
    free(unpinned);
    free(n_c);
    free(count);
    free(stratum);
    return st;
}

/* ---- balance ------------------------------------------------------------------------- */

/* The rows kept (and repeated) so every class has target rows. */
static size_t balance_rows(const int32_t *keys, size_t n_rows, size_t k, const size_t *cnt,
                           size_t target, bool over, tfg_rng *rng, size_t **out)
{
    size_t *idx = tfg_xmalloc((k * target + n_rows + 1) * sizeof *idx), n = 0;
    size_t *rows = tfg_xmalloc((n_rows + 1) * sizeof *rows);
    if (over)
        for (size_t i = 0; i < n_rows; i++)
            idx[n++] = i;
    for (size_t c = 0; c < k; c++) {
        size_t m = 0;
        for (size_t i = 0; i < n_rows; i++)
            if ((size_t)keys[i] == c)
                rows[m++] = i;
        if (over) {
            for (size_t j = cnt[c]; j < target; j++)
                idx[n++] = rows[tfg_rng_below(rng, m)];
        } else {
            tfg_rng_shuffle(rng, rows, m);
            for (size_t j = 0; j < target; j++)
                idx[n++] = rows[j];
        }
    }
    free(rows);
    *out = idx;
    return n;
}

static tfg_status balance_check(tfg_exec *x, const tfg_plan_op *op, size_t index, tfg_err *err)
{
    int32_t *keys;
    size_t k;
    tfg_status st = tfg_exec_class_keys(x, 0, op, index, &keys, &k, NULL, err);
    if (st)
        return st;
    size_t *cnt = tfg_xcalloc(k + 1, sizeof *cnt);
    for (size_t i = 0; i < x->part[0].n_rows; i++)
        cnt[keys[i]]++;
    for (size_t c = 1; c < k && !st; c++)
        if (cnt[c] != cnt[0]) {
            char path[64];
            tfg_exec_path(path, sizeof path, index, NULL, SIZE_MAX);
            st = tfg_err_field(err, TFG_ECHECK, x->file, path,
                               "balance: post-condition failed: class counts differ");
        }
    free(cnt);
    free(keys);
    return st;
}

tfg_status tfg_op_balance(tfg_exec *x, const tfg_plan_op *op, size_t index, tfg_err *err)
{
    int32_t *keys;
    size_t k;
    char **names = NULL;
    char path[64];
    tfg_exec_path(path, sizeof path, index, NULL, SIZE_MAX);
    tfg_status st = tfg_exec_class_keys(x, 0, op, index, &keys, &k, &names, err);
    if (st)
        return st;
    tfg_table *t = &x->part[0];
    size_t *cnt = tfg_xcalloc(k + 1, sizeof *cnt), missing = 0;
    for (size_t i = 0; i < t->n_rows; i++) {
        if (keys[i] < 0)
            missing++;
        else
            cnt[keys[i]]++;
    }
    if (missing)
        st = tfg_err_field(err, TFG_ECHECK, x->file, path,
                           "balance: %zu rows have a missing label; drop them first "
                           "(drop_missing with columns [\"%s\"])",
                           missing, x->spec->label);
    else if (k < 2)
        st = tfg_err_field(err, TFG_ECHECK, x->file, path,
                           "balance needs at least 2 classes, the %s has %zu",
                           x->n_parts == 3 ? "training split" : "table", k);
    bool over = op->method == TFG_BALANCE_OVERSAMPLE;
    size_t target = k ? cnt[0] : 0;
    for (size_t c = 1; c < k; c++)
        target = over ? (cnt[c] > target ? cnt[c] : target) : (cnt[c] < target ? cnt[c] : target);
    if (!st) {
        tfg_rng rng;
        tfg_rng_seed(&rng, tfg_exec_seed(x, op));
        size_t *idx;
        size_t n = balance_rows(keys, t->n_rows, k, cnt, target, over, &rng, &idx);
        size_t before = t->n_rows;
        tfg_table_select_rows(t, idx, n);
        free(idx);
        tfg_exec_did(x, "%s the %s from %zu to %zu rows, %zu per class (", 
                     over ? "oversampled" : "undersampled",
                     x->n_parts == 3 ? "training split" : "table", before, n, target);
        for (size_t c = 0; c < k; c++)
            tfg_exec_did(x, "%s%s: %zu", c ? ", " : "", names[c], cnt[c]);
        tfg_exec_did(x, " before)");
        st = balance_check(x, op, index, err);
    }
    tfg_strv_free(names);
    free(cnt);
    free(keys);
    return st;
}
