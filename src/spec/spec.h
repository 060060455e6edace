/* spec.h — the application spec (one JSON file); the board it names is an entry of
 * spec/boards.h's table.
 *
 * The spec says what the application is (name, task), where its data is and which
 * columns are label and features, which board it must run on and within what budgets,
 * and the seed that makes a run reproducible. Sections later stages own (quantization,
 * backends, ...) are kept as JSON in `json`. Layering: spec sits on core; every stage
 * library may read a tfg_spec. */
#ifndef TFG_SPEC_SPEC_H
#define TFG_SPEC_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "spec/boards.h"

typedef enum { TFG_TASK_CLASSIFICATION, TFG_TASK_REGRESSION, TFG_TASK_ANOMALY } tfg_task;
typedef enum { TFG_SRC_CSV, TFG_SRC_IDX } tfg_src_format;

/* Which split a row belongs to. */
typedef enum {
    TFG_SPLIT_NONE = 0, /* not decided yet: the plan's split op decides */
    TFG_SPLIT_TRAIN = 1,
    TFG_SPLIT_VAL = 2,
    TFG_SPLIT_TEST = 3
} tfg_split_id;

typedef struct {
    tfg_src_format format;
    char *path;         /* CSV file, or IDX images file; resolved beside the spec */
    char *labels;       /* IDX labels file */
    /* CSV dialect (data/csv.h): -1 or 0 for what is detected from the content */
    int header;         /* 1, 0, -1: detect (the default; 0 when columns are given) */
    char delimiter;     /* , ; tab | or another character; 0: detect */
    char decimal;       /* '.' or ','; 0: detect */
    char quote;         /* '"' or '\''; 0: detect */
    long skip_rows;     /* lines before the header or first record; -1: detect */
    int encoding;       /* a tfg_csv_encoding: 0 detect, 1 UTF-8, 2 Windows-1252 */
    char **columns;     /* CSV without header: column names (NULL: c0, c1, ...) */
    size_t n_columns;
    tfg_split_id split; /* every row of this source goes to this split (NONE: plan) */
} tfg_source;

typedef struct {
    char *path;           /* the spec file as given */
    char *name;
    tfg_task task;
    tfg_source *sources;
    size_t n_sources;
    char *label;          /* label column; NULL only for anomaly detection */
    char **features;      /* NULL: every column but the label */
    size_t n_features;
    char **categorical;   /* columns to read as categories even if they look numeric */
    size_t n_categorical;
    char **class_names;   /* names for integer class labels 0..n-1, or NULL */
    size_t n_class_names;
    char *plan;           /* data plan file named by the spec (resolved), or NULL */
    tfg_board board;      /* a copy of the board entry */
    struct {
        uint64_t flash_bytes, ram_bytes; /* default: the board's */
        double latency_ms;               /* 0: no limit */
    } budget;
    uint64_t seed;
    json_t *json;         /* the whole spec as read */
} tfg_spec;

const char *tfg_task_name(tfg_task t);

tfg_status tfg_spec_load(const char *path, const tfg_boards *boards, tfg_spec *s,
                         tfg_err *err);
/* From parsed JSON; `file` names the spec in messages and anchors relative paths.
 * Takes a reference to j. */
tfg_status tfg_spec_from_json(json_t *j, const char *file, const tfg_boards *boards,
                              tfg_spec *s, tfg_err *err);
/* Checks that the data files exist (a separate step: a spec can be written before its
 * data). */
tfg_status tfg_spec_check_files(const tfg_spec *s, tfg_err *err);
void tfg_spec_free(tfg_spec *s);

#endif
