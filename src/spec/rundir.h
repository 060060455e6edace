/* rundir.h — the one place that knows a run directory's layout: the lifecycle's stages
 * by their one name, and every artifact a stage writes, as <out>/<stage>/<file>.
 *
 * A stage has one name everywhere: the CLI command, its folder in the run directory,
 * its route key in a spec's "routing", its prompt files, its bench rows and its place in
 * the report and the docs. The names of the first release ("model" for train, "quant"
 * for quantize) are still understood as aliases for one release (tfg_stage_parse).
 *
 * Each artifact is owned by the stage that writes it (the folder it lives in): a
 * reader asks for it by its id, never by a path literal, so a file moves in one line
 * here. Layering: spec/ sits on core/; every stage, the pilot, the report and the CLI
 * read this. */
#ifndef TFG_SPEC_RUNDIR_H
#define TFG_SPEC_RUNDIR_H

#include <stdbool.h>

/* The lifecycle in order. */
typedef enum {
    TFG_STAGE_SPEC,     /* a spec from a request in plain words (tinyforge new) */
    TFG_STAGE_DATA,     /* profile, plan, clean, split */
    TFG_STAGE_TRAIN,    /* choose an architecture that fits the board, train it */
    TFG_STAGE_QUANTIZE, /* int8 post-training quantization, checked against float */
    TFG_STAGE_BUILD,    /* the C99 library of the int8 model, checked on the host */
    TFG_STAGE_VALIDATE, /* firmware on the emulated board, every test sample compared */
    TFG_STAGE_SKETCH,   /* the application sketch, proven on the emulated board */
    TFG_STAGE_REPORT,   /* HTML and Markdown for a person */
    TFG_STAGE_COUNT
} tfg_stage_id;

/* "spec", "data", "train", "quantize", "build", "validate", "sketch", "report". */
const char *tfg_stage_name(tfg_stage_id s);
/* The stage of a name, or -1. An old name ("model", "quant") is accepted with *alias set
 * (may be NULL) so that a caller can say which name to use now. */
int tfg_stage_parse(const char *name, bool *alias);

/* Every file a stage writes that another stage, the report or a person reads. */
typedef enum {
    /* data/ */
    TFG_ART_DATA_PROFILE,       /* profile.json: the raw data's profile */
    TFG_ART_DATA_PLAN,          /* plan.json: the plan applied */
    TFG_ART_DATA_SUMMARY,       /* summary.json: rows, splits, classes, the op log */
    TFG_ART_DATA_PREPROCESS,    /* preprocess.json: what a device does to a reading */
    TFG_ART_DATA_TRAIN,         /* train.bin, val.bin, test.bin: the cleaned splits */
    TFG_ART_DATA_VAL,
    TFG_ART_DATA_TEST,
    TFG_ART_DATA_TEST_RAW,      /* test_raw.bin: the test split's raw readings */
    /* train/ */
    TFG_ART_TRAIN_ARCH,         /* arch.json: the network trained */
    TFG_ART_TRAIN_MODEL,        /* model.json + weights.bin: the float graph */
    TFG_ART_TRAIN_WEIGHTS,
    TFG_ART_TRAIN_REPORT,       /* report.json */
    /* quantize/ */
    TFG_ART_QUANTIZE_MODEL,     /* model.tflite: the int8 model */
    TFG_ART_QUANTIZE_TEST_INPUT,  /* test_input.bin: the test split as int8 inputs */
    TFG_ART_QUANTIZE_TEST_OUTPUT, /* test_output.bin: what a device must answer */
    TFG_ART_QUANTIZE_REPORT,    /* report.json */
    /* build/ */
    TFG_ART_BUILD_MODEL_H,      /* model.h, model.c: the generated library */
    TFG_ART_BUILD_MODEL_C,
    TFG_ART_BUILD_PREPROCESS_H, /* preprocess.h, preprocess.c: the device recipe in C */
    TFG_ART_BUILD_PREPROCESS_C,
    TFG_ART_BUILD_REPORT,       /* report.json */
    /* validate/ */
    TFG_ART_VALIDATE_DEVICE_OUTPUT, /* device_output.bin: the device's answers */
    TFG_ART_VALIDATE_REPORT,    /* report.json */
    /* sketch/ */
    TFG_ART_SKETCH_REPORT,      /* report.json */
    /* report/ */
    TFG_ART_REPORT_HTML,        /* report.html, report.md, confusion.png */
    TFG_ART_REPORT_MD,
    TFG_ART_REPORT_CONFUSION,
    TFG_ART_COUNT
} tfg_artifact;

/* The stage whose folder holds a (the stage that writes it). */
tfg_stage_id tfg_artifact_stage(tfg_artifact a);
/* Its file name inside that folder ("report.json"). */
const char *tfg_artifact_file(tfg_artifact a);
/* "<stage>/<file>": the artifact's name under a run directory (for messages and
 * manifest labels). A static string. */
const char *tfg_artifact_label(tfg_artifact a);

/* <out>/<stage>. New string. */
char *tfg_rundir_stage(const char *out, tfg_stage_id s);
/* <out>/<stage>/<file>. New string. */
char *tfg_rundir_path(const char *out, tfg_artifact a);
/* <out>/<stage>/manifest.json: every stage folder has one. New string. */
char *tfg_rundir_manifest(const char *out, tfg_stage_id s);
/* <out>/llm: the LLM cache, the trace and the pilot's log and proposals (no stage's:
 * the llm layer, which knows nothing of stages, keeps its cache and trace there by its
 * own contract, llm.h). New string. */
char *tfg_rundir_llm(const char *out);

#endif
