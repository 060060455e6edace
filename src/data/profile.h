/* profile.h — what the data looks like before any cleaning: per column its type,
 * counts, range, moments, quartiles, IQR outliers and distinct values; duplicate rows;
 * class balance of the label. Written as <out>/data/profile.json and read by the
 * builtin planner (and later by an LLM proposing a plan). */
#ifndef TFG_DATA_PROFILE_H
#define TFG_DATA_PROFILE_H

#include <jansson.h>
#include <stddef.h>

#include "core/error.h"
#include "data/table.h"

typedef struct {
    char *name;
    tfg_coltype type;
    size_t count;    /* non-missing cells */
    size_t missing;
    size_t distinct; /* distinct non-missing values */
    /* numeric only (NAN when count == 0): */
    double min, max, mean, std; /* std: sample standard deviation (n - 1); 0 if count < 2 */
    double q1, median, q3;      /* quantiles with linear interpolation (numpy's default) */
    double lo_fence, hi_fence;  /* q1 - 1.5 IQR, q3 + 1.5 IQR */
    size_t outliers;            /* cells outside the fences */
    size_t far_outliers;        /* cells beyond q1 - 3 IQR, q3 + 3 IQR */
    /* categorical only: the levels with their counts, most frequent first (ties: name) */
    size_t n_levels;
    char **levels;
    size_t *level_counts;
} tfg_col_profile;

typedef struct {
    size_t n_rows, n_cols;
    tfg_col_profile *cols;
    size_t duplicate_rows; /* rows equal to an earlier row (all columns) */
    int label;             /* column index of the label, or -1 */
    /* class balance of the label (classification): class names (sorted: numerically for
     * a numeric label, by name for a categorical one) and row counts, missing excluded */
    size_t n_classes;
    char **classes;
    size_t *class_counts;
    uint32_t shape[3];     /* copied from the table (images) */
} tfg_profile;

/* label may be NULL (no label column). */
tfg_status tfg_profile_compute(const tfg_table *t, const char *label, tfg_profile *p,
                               tfg_err *err);
/* The JSON form written as profile.json (documented in docs/artifacts.md). */
json_t *tfg_profile_to_json(const tfg_profile *p);
void tfg_profile_free(tfg_profile *p);

#endif
