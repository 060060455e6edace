/* cmd_quantize.c — `tinyforge quantize SPEC`: calibrate the trained float model, write the
 * int8 TFLite model and show float vs int8 on the test split. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "spec/results.h"

static const char usage[] =
    "usage: tinyforge quantize SPEC [--out DIR] [--force] [--json]\n"
    "\n"
    "Post-training int8 quantization of DIR/train/ (written by `tinyforge train`) following\n"
    "TensorFlow Lite's int8 spec: per-channel symmetric int8 weights, int32 bias, int8\n"
    "activations with a scale and zero point per tensor from a representative set of\n"
    "training rows; batch norm and separate ReLUs are folded into the layer before them.\n"
    "The int8 model runs on the test split in process (bit-exact with TFLite Micro's\n"
    "reference kernels) and is compared with the float model. Writes into DIR/quantize/:\n"
    "  model.tflite     the int8 model (`tinyforge inspect` shows it; TFLite Micro loads it)\n"
    "  test_input.bin   the test split as int8 model inputs, one row after another\n"
    "  test_output.bin  the int8 model's output bytes for each row (what a device must give)\n"
    "  report.json      float vs int8 accuracy, confusion matrices, calibration tried\n"
    "  manifest.json    hashes of inputs and outputs\n"
    "\n"
    "Settings from the spec's `quantization`: calibration_samples (500), method (auto:\n"
    "min/max and percentiles 99.99 and 99.9 are tried and the best on the validation split\n"
    "kept; or minmax, percentile), percentile (99.99), max_drop (1.0 percentage point: a\n"
    "larger int8 accuracy drop fails with exit code 1 and publishes nothing).\n"
    "\n"
    "options:\n"
    "  --out DIR    run directory (default: runs/<spec name>)\n"
    "  --force      run even when nothing changed\n"
    "  --json       print the report as one JSON object\n"
    "\n"
    "example:\n"
    "  tinyforge train examples/fruit/spec.json && tinyforge quantize examples/fruit/spec.json\n";

static void print_report(const tfg_stage_outcome *o, const tfg_cli_run *run,
                         const tfg_stage_opts *so)
{
    if (!o->has_result)
        return;
    const json_t *r = o->report;
    const tfg_quantize_result q = o->result.quantize;
    const json_t *cal = json_object_get(r, "calibration");
    printf("calibration: %lld training rows, %s", (long long)q.calibration_samples,
           q.calibration_method ? q.calibration_method : "?");
    if (json_object_get(cal, "percentile"))
        printf(" %.4g%%", json_number_value(json_object_get(cal, "percentile")));
    const json_t *tried = json_object_get(cal, "tried");
    if (json_array_size(tried) > 1) {
        printf(" (best on validation of:");
        size_t i;
        const json_t *t;
        json_array_foreach(tried, i, t) {
            printf(" %s", json_string_value(json_object_get(t, "method")));
            if (json_object_get(t, "percentile"))
                printf(" %.4g", json_number_value(json_object_get(t, "percentile")));
            const json_t *v = json_object_get(t, "val_accuracy");
            if (v)
                printf(" %.2f%%", 100 * json_number_value(v));
            printf(i + 1 < json_array_size(tried) ? "," : ")");
        }
    }
    printf("\nmodel: %lld bytes\n", (long long)q.model_bytes);
    if (!isnan(q.float_accuracy))
        printf("test accuracy (%lld rows): float %.2f %%, int8 %.2f %% (drop %.2f points)\n",
               (long long)q.test_samples, 100 * q.float_accuracy, 100 * q.int8_accuracy,
               q.drop_points);
    else
        printf("test (%lld rows): mean squared error float %.6g, int8 %.6g; mean absolute "
               "error float %.6g, int8 %.6g; R2 float %.4f, int8 %.4f\n",
               (long long)q.test_samples, q.float_mse, q.int8_mse, q.float_mae, q.int8_mae,
               q.float_r2, q.int8_r2);
}

int tfg_cmd_quantize(int argc, char **argv, tfg_cli *c)
{
    static const tfg_cli_stage stage = {
        .id = TFG_STAGE_QUANTIZE, .usage = usage,
        .unchanged = "model, data and settings unchanged since the last run",
        .print = print_report};
    return tfg_cli_stage_main(argc, argv, c, &stage);
}
