/* plan_impl.h — the data plan's private parts, shared by the files that implement it:
 * plan.c parses a plan into tfg_plan_op records, ops.c / window.c / split.c run one op
 * on the execution state (tfg_exec), exec.c drives them and turns the final tables into
 * splits and preprocess.json. Nothing outside src/data includes this header; the public
 * interface is plan.h. The helpers every op calls on the execution state are in
 * exec_state.h, the ops themselves in ops.h.
 *
 * The execution state holds one table before the split and three (train, val, test)
 * after it. The executor draws the split first (only a window, which makes the rows the
 * model sees, runs before it), so every op is written once against that array: it fits
 * its statistics on part[0] (the training split) and applies them to every part, so
 * "fit on train, apply everywhere" needs no second code path. A row-dropping op removes
 * rows of part[0] only: val and test keep every row the split gave them. */
#ifndef TFG_DATA_PLAN_IMPL_H
#define TFG_DATA_PLAN_IMPL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/strmap.h"
#include "data/table.h"
#include "spec/spec.h"

typedef enum {
    TFG_OP_SELECT_COLUMNS,
    TFG_OP_DROP_COLUMNS,
    TFG_OP_DROP_MISSING,
    TFG_OP_IMPUTE,
    TFG_OP_DROP_DUPLICATES,
    TFG_OP_OUTLIERS,
    TFG_OP_SCALE,
    TFG_OP_LABEL_ENCODE,
    TFG_OP_ONE_HOT,
    TFG_OP_BALANCE,
    TFG_OP_WINDOW,
    TFG_OP_SHUFFLE,
    TFG_OP_SPLIT,
    TFG_OP_COUNT
} tfg_op_kind;

/* Names by tfg_op_kind, NULL-terminated (for messages and suggestions). */
extern const char *const tfg_op_names[];

enum { TFG_IMPUTE_MEAN, TFG_IMPUTE_MEDIAN, TFG_IMPUTE_MODE, TFG_IMPUTE_CONSTANT };
enum { TFG_OUTLIER_IQR, TFG_OUTLIER_ZSCORE };
enum { TFG_ACTION_CLIP, TFG_ACTION_DROP };
enum { TFG_SCALE_MINMAX, TFG_SCALE_ZSCORE };
enum { TFG_BALANCE_OVERSAMPLE, TFG_BALANCE_UNDERSAMPLE };

/* Window features, in the order of tfg_window_feature_names. */
enum {
    TFG_WF_MEAN,
    TFG_WF_STD,
    TFG_WF_MIN,
    TFG_WF_MAX,
    TFG_WF_RMS,
    TFG_WF_ZERO_CROSSINGS,
    TFG_WF_FFT,
    TFG_WF_COUNT
};
extern const char *const tfg_window_feature_names[];

/* One parsed op. Only the fields of its kind are meaningful. */
typedef struct {
    tfg_op_kind kind;
    char *why;
    char **columns; /* "columns" (or "column" for one_hot/label_encode); NULL: default */
    size_t n_columns;
    int strategy, method, action;
    bool has_value, value_is_str;
    double value_num;
    char *value_str;
    double k;         /* outliers; 0 until defaulted at parse time */
    bool has_range;
    double range[2];
    bool has_seed;
    uint64_t seed;
    size_t size, step, fft_bands;
    int features[TFG_WF_COUNT]; /* window features in the plan's order */
    size_t n_features;
    double frac[3]; /* train, val, test */
    bool has_stratify, stratify;
} tfg_plan_op;

struct tfg_plan {
    char *file;
    tfg_plan_op *ops;
    size_t n_ops;
};

/* The state an executing plan works on. */
typedef struct {
    const tfg_spec *spec;
    const char *file;   /* plan file, for messages */
    tfg_table part[3];  /* part[0] only before the split; train, val, test after */
    size_t n_parts;
    /* derived column -> the original column it came from (one_hot, window) */
    char **derived, **source;
    size_t n_derived;
    tfg_strmap derived_ix; /* derived[i] -> i */
    json_t *steps;      /* preprocess steps so far (a JSON array) */
    char did[512];      /* what the current op did, for the log */
    /* A row-dropping op: the rows it matched in every part (it removes only part[0]'s;
     * a why's count of rows may name either number). */
    size_t found;
    bool has_found;
} tfg_exec;

/* The value of quantile q of sorted v[0..n) by linear interpolation (numpy's default;
 * in ops.c). */
double tfg_quantile_sorted(const double *v, size_t n, double q);

#endif
