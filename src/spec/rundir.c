/* rundir.c — the stages' names and the run directory's layout (rundir.h): two tables,
 * one line per stage and one per artifact. */
#include "spec/rundir.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

static const char *const names[TFG_STAGE_COUNT] = {
    "spec", "data", "train", "quantize", "build", "validate", "sketch", "report"};

/* The first release's names, understood for one more. */
static const struct {
    const char *name;
    tfg_stage_id stage;
} aliases[] = {{"model", TFG_STAGE_TRAIN}, {"quant", TFG_STAGE_QUANTIZE}};

static const struct {
    tfg_stage_id stage;
    const char *file;
} artifacts[TFG_ART_COUNT] = {
    [TFG_ART_DATA_PROFILE] = {TFG_STAGE_DATA, "profile.json"},
    [TFG_ART_DATA_PLAN] = {TFG_STAGE_DATA, "plan.json"},
    [TFG_ART_DATA_SUMMARY] = {TFG_STAGE_DATA, "summary.json"},
    [TFG_ART_DATA_PREPROCESS] = {TFG_STAGE_DATA, "preprocess.json"},
    [TFG_ART_DATA_TRAIN] = {TFG_STAGE_DATA, "train.bin"},
    [TFG_ART_DATA_VAL] = {TFG_STAGE_DATA, "val.bin"},
    [TFG_ART_DATA_TEST] = {TFG_STAGE_DATA, "test.bin"},
    [TFG_ART_DATA_TEST_RAW] = {TFG_STAGE_DATA, "test_raw.bin"},
    [TFG_ART_TRAIN_ARCH] = {TFG_STAGE_TRAIN, "arch.json"},
    [TFG_ART_TRAIN_MODEL] = {TFG_STAGE_TRAIN, "model.json"},
    [TFG_ART_TRAIN_WEIGHTS] = {TFG_STAGE_TRAIN, "weights.bin"},
    [TFG_ART_TRAIN_REPORT] = {TFG_STAGE_TRAIN, "report.json"},
    [TFG_ART_QUANTIZE_MODEL] = {TFG_STAGE_QUANTIZE, "model.tflite"},
    [TFG_ART_QUANTIZE_TEST_INPUT] = {TFG_STAGE_QUANTIZE, "test_input.bin"},
    [TFG_ART_QUANTIZE_TEST_OUTPUT] = {TFG_STAGE_QUANTIZE, "test_output.bin"},
    [TFG_ART_QUANTIZE_REPORT] = {TFG_STAGE_QUANTIZE, "report.json"},
    [TFG_ART_BUILD_MODEL_H] = {TFG_STAGE_BUILD, "model.h"},
    [TFG_ART_BUILD_MODEL_C] = {TFG_STAGE_BUILD, "model.c"},
    [TFG_ART_BUILD_PREPROCESS_H] = {TFG_STAGE_BUILD, "preprocess.h"},
    [TFG_ART_BUILD_PREPROCESS_C] = {TFG_STAGE_BUILD, "preprocess.c"},
    [TFG_ART_BUILD_REPORT] = {TFG_STAGE_BUILD, "report.json"},
    [TFG_ART_VALIDATE_DEVICE_OUTPUT] = {TFG_STAGE_VALIDATE, "device_output.bin"},
    [TFG_ART_VALIDATE_REPORT] = {TFG_STAGE_VALIDATE, "report.json"},
    [TFG_ART_SKETCH_REPORT] = {TFG_STAGE_SKETCH, "report.json"},
    [TFG_ART_REPORT_HTML] = {TFG_STAGE_REPORT, "report.html"},
    [TFG_ART_REPORT_MD] = {TFG_STAGE_REPORT, "report.md"},
    [TFG_ART_REPORT_CONFUSION] = {TFG_STAGE_REPORT, "confusion.png"},
};

const char *tfg_stage_name(tfg_stage_id s)
{
    return (unsigned)s < TFG_STAGE_COUNT ? names[s] : "?";
}

int tfg_stage_parse(const char *name, bool *alias)
{
    if (alias)
        *alias = false;
    for (int i = 0; name && i < TFG_STAGE_COUNT; i++)
        if (!strcmp(names[i], name))
            return i;
    for (size_t i = 0; name && i < sizeof aliases / sizeof aliases[0]; i++)
        if (!strcmp(aliases[i].name, name)) {
            if (alias)
                *alias = true;
            return (int)aliases[i].stage;
        }
    return -1;
}

tfg_stage_id tfg_artifact_stage(tfg_artifact a)
{
    return artifacts[a].stage;
}

const char *tfg_artifact_file(tfg_artifact a)
{
    return artifacts[a].file;
}

const char *tfg_artifact_label(tfg_artifact a)
{
    /* Made once from the two tables, so a stage's name is written in one place. */
    static char labels[TFG_ART_COUNT][48];
    if (!labels[a][0])
        snprintf(labels[a], sizeof labels[a], "%s/%s", names[artifacts[a].stage],
                 artifacts[a].file);
    return labels[a];
}

char *tfg_rundir_stage(const char *out, tfg_stage_id s)
{
    return tfg_xasprintf("%s/%s", out, tfg_stage_name(s));
}

char *tfg_rundir_path(const char *out, tfg_artifact a)
{
    return tfg_xasprintf("%s/%s", out, tfg_artifact_label(a));
}

char *tfg_rundir_manifest(const char *out, tfg_stage_id s)
{
    return tfg_xasprintf("%s/%s/manifest.json", out, tfg_stage_name(s));
}

char *tfg_rundir_llm(const char *out)
{
    return tfg_xasprintf("%s/llm", out);
}
