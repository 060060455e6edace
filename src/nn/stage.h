/* stage.h — the train stage as one call: read the data stage's splits, take the
 * architecture (a file given, the spec's `model.arch`, or the builtin chooser's), train
 * with the spec's `training` settings, evaluate on the test split, and publish in
 * <out>/train/ at once:
 *
 *   arch.json     the architecture trained (edit it and pass it back with --arch)
 *   model.json    architecture + parameter shapes     weights.bin   float32 parameters
 *   report.json   per-epoch loss and accuracy, best epoch, test accuracy, confusion
 *                 matrix, size estimates against the board, candidates tried
 *   manifest.json input and output hashes: an unchanged stage is skipped
 *
 * A run killed midway leaves the previous artifacts as they were (staging directory).
 *
 * The training cache (opts.cache_dir): training is bit-reproducible for the same inputs
 * on one machine (train.h), so a training whose inputs — the split files, the training
 * settings, the architecture, the budget: exactly what manifest.json records — match a
 * finished entry of the cache is not run again; the entry's files are published, and
 * report.json's "cache" says so ({"key", "hit": true}; "seconds" stays the original
 * training's). An entry is <cache>/<key>/ with the stage's files and manifest, written
 * whole after a training (staging directory + rename) and used only while its manifest's
 * output hashes hold. Processes that need the same key take turns (a lock file per key),
 * so parallel validations of one architecture train once. The bench uses it (pilot). */
#ifndef TFG_NN_STAGE_H
#define TFG_NN_STAGE_H

#include <jansson.h>
#include <stdbool.h>

#include "core/error.h"
#include "core/progress.h"
#include "nn/train.h"
#include "spec/spec.h"

typedef struct {
    const char *out;        /* run directory: reads <out>/data, writes <out>/train */
    const char *arch_file;  /* architecture JSON to train, or NULL */
    uint32_t epochs;        /* overrides training.epochs when > 0 */
    bool force;             /* run even when nothing changed */
    const char *cache_dir;  /* NULL, or the training cache (above) */
    tfg_progress *progress; /* may be NULL */
} tfg_train_stage_opts;

typedef struct {
    bool skipped;
    bool cached;    /* published from the training cache */
    char *dir;      /* <out>/train */
    json_t *report; /* report.json (also loaded when skipped) */
} tfg_train_outcome;

/* The spec's `training` section over the defaults (tfg_train_opts_default; the spec's
 * seed; cross-entropy for classification, else mean squared error; target accuracy
 * 0.95); errors name "training.<field>". */
tfg_status tfg_train_settings(const tfg_spec *s, bool classification, tfg_train_opts *o,
                              double *target, tfg_err *err);
/* The settings as report.json's "training" object ("epochs" is the bound); with
 * target_accuracy when target is not NAN. */
json_t *tfg_train_settings_json(const tfg_train_opts *o, double target);
/* What `tinyforge check` asks of the stage: the spec's `training` and `model` sections
 * read as a run reads them (a model.arch file must exist and hold a JSON object), with
 * nothing trained. */
tfg_status tfg_train_check_spec(const tfg_spec *s, tfg_err *err);

/* report.json's "stop": why the epoch loop ended ({"reason", "epochs_run", "best_epoch",
 * "epochs_bound", "patience"}), with a "warning" when the bound was reached while the
 * validation loss still fell, or when there was no validation split. */
json_t *tfg_train_stop_json(const tfg_train_history *h, const tfg_train_opts *o);

tfg_status tfg_train_stage(const tfg_spec *s, const tfg_train_stage_opts *o,
                           tfg_train_outcome *r, tfg_err *err);
void tfg_train_outcome_free(tfg_train_outcome *r);

#endif
