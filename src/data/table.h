/* table.h — the in-memory data set: named columns of numbers or categories.
 *
 * Every loader produces a tfg_table, the profile reads one, and every data-plan
 * operation transforms one. A numeric column holds doubles with NAN for a missing cell
 * (input files never contain NaN: the loaders reject it, so NAN means "missing" only);
 * a categorical column holds a level index per row (-1 = missing) and the level names.
 * Rows may carry the split their source pinned them to (a separate test file). */
#ifndef TFG_DATA_TABLE_H
#define TFG_DATA_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/strmap.h"
#include "spec/spec.h" /* tfg_split_id */

typedef enum { TFG_COL_NUM = 0, TFG_COL_CAT = 1 } tfg_coltype;

typedef struct {
    char *name;
    tfg_coltype type;
    double *num;   /* TFG_COL_NUM: n_rows values, NAN = missing */
    int32_t *cat;  /* TFG_COL_CAT: n_rows level indexes, -1 = missing */
    char **levels; /* TFG_COL_CAT: level names, in first-seen order */
    size_t n_levels;
    /* private: level lookup (open addressing over level indexes + 1) */
    size_t cap_levels, hcap;
    uint32_t *hidx;
} tfg_column;

typedef struct {
    size_t n_rows, n_cols;
    tfg_column *cols;
    uint8_t *pin;      /* per row tfg_split_id, or NULL when no row is pinned */
    uint32_t shape[3]; /* H, W, C when the rows are images (IDX); zeros otherwise */
    /* private: column name -> index, made with the first column; emptied when columns
     * are removed or moved and made again by the next lookup */
    tfg_strmap *by_name;
} tfg_table;

void tfg_table_init(tfg_table *t);
void tfg_table_free(tfg_table *t);

/* Set t->n_rows before adding columns; a new column starts all-missing. The returned
 * pointer is valid until the next column is added or removed. */
tfg_column *tfg_table_add_num(tfg_table *t, const char *name);
tfg_column *tfg_table_add_cat(tfg_table *t, const char *name);
void tfg_table_remove_col(tfg_table *t, size_t index);
/* Keeps columns keep[0..k) (distinct indexes) in that order and frees the others: one
 * pass however many go, where removing them one by one would shift the rest each time. */
void tfg_table_keep_cols(tfg_table *t, const size_t *keep, size_t k);
/* Moves column `from` to position `to`, shifting the others. */
void tfg_table_move_col(tfg_table *t, size_t from, size_t to);
/* Column index by exact name (the first, should two share it), or -1; a hash lookup. */
int tfg_table_find(const tfg_table *t, const char *name);
/* The names of all columns, NULL-terminated (pointers into t; free the array only). */
const char **tfg_table_names(const tfg_table *t);

/* The level index of s in a categorical column, adding it if new. */
int32_t tfg_col_intern(tfg_column *c, const char *s, size_t len);
/* The level index of s, or -1 if absent. */
int32_t tfg_col_lookup(const tfg_column *c, const char *s);
bool tfg_col_is_missing(const tfg_column *c, size_t row);
size_t tfg_col_count_missing(const tfg_column *c, size_t n_rows);

/* Keeps rows idx[0..n) in that order (an index may repeat: oversampling). */
void tfg_table_select_rows(tfg_table *t, const size_t *idx, size_t n);
/* A new table with rows idx[0..n) of src (same columns, same levels). */
void tfg_table_subset(const tfg_table *src, const size_t *idx, size_t n, tfg_table *out);
/* Appends src's rows to dst; the columns must match by name and type (categorical
 * levels are merged). The error names the first column that differs. */
tfg_status tfg_table_append(tfg_table *dst, const tfg_table *src, const char *src_name,
                            tfg_err *err);
/* Hash of one row's values (all columns), and row equality, for duplicate detection. By
 * value, so rows of different tables with the same columns compare too (each table
 * interns its own levels: a level counts by its name); missing equals missing, -0 0. */
uint64_t tfg_table_row_hash(const tfg_table *t, size_t row);
bool tfg_table_rows_equal(const tfg_table *a, size_t i, const tfg_table *b, size_t j);

#endif
