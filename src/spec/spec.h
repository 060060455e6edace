/* spec.h — the application spec (one JSON file) and the board table it names.
 *
 * The spec says what the application is (name, task), where its data is and which
 * columns are label and features, which board it must run on and within what budgets,
 * and the seed that makes a run reproducible. Sections later stages own (quantization,
 * backends, ...) are kept as JSON in `json`. Boards come from a data file
 * (boards/boards.json), never from code. Layering: spec sits on core; every stage
 * library may read a tfg_spec. */
#ifndef TFG_SPEC_SPEC_H
#define TFG_SPEC_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

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
    char *id;          /* "arduino_nano_33_ble_sense" */
    char *name;        /* "Arduino Nano 33 BLE Sense" */
    char **aliases;    /* other accepted names, NULL-terminated, or NULL */
    char *mcu;         /* "nRF52840" */
    char *core;        /* "cortex-m4f" */
    uint64_t clock_hz;
    uint64_t flash_bytes, ram_bytes;
    bool fpu;
    char *emulator;    /* the emulated stand-in: "qemu:mps2-an386", "simavr:atmega328p",
                          or NULL (target/target.h reads it) */
    char **cpu_flags;  /* compiler flags for its CPU ("-mcpu=cortex-m4", ...),
                          NULL-terminated, or NULL */
    bool emulated;     /* the entry IS an emulated machine, not a real board */
} tfg_board;

typedef struct {
    tfg_board *items;
    size_t n;
} tfg_boards;

/* The board file: $TINYFORGE_BOARDS if set, else boards.json found by core/resource.h
 * ($TINYFORGE_HOME, the install, the source tree's boards/boards.json). */
const char *tfg_boards_default_path(void);
tfg_status tfg_boards_load(const char *path, tfg_boards *b, tfg_err *err);
void tfg_boards_free(tfg_boards *b);
/* A deep copy of one board entry, and its release. */
void tfg_board_copy(tfg_board *dst, const tfg_board *src);
void tfg_board_free(tfg_board *b);
/* By id or name, ignoring case and treating ' ', '-', '_' alike; NULL if unknown. */
const tfg_board *tfg_boards_find(const tfg_boards *b, const char *name);
/* "did you mean ..." text with up to three closest board ids, into out. */
void tfg_boards_suggest(const tfg_boards *b, const char *name, char *out, size_t n);

typedef struct {
    tfg_src_format format;
    char *path;         /* CSV file, or IDX images file; resolved beside the spec */
    char *labels;       /* IDX labels file */
    bool header;        /* CSV: the first record names the columns (default true) */
    char delimiter;     /* CSV: default ',' */
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
