/* cmd_train.c — `tinyforge train SPEC`: train on the data stage's splits and show the
 * epochs, the best one, and the test accuracy with the confusion matrix. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "nn/stage.h"
#include "spec/results.h"

static const char usage[] =
    "usage: tinyforge train SPEC [--arch FILE] [--epochs N] [--out DIR] [--cache DIR] [--force]\n"
    "       [--json]\n"
    "\n"
    "Trains a small network natively (no Python) on DIR/data/{train,val}.bin, written by\n"
    "`tinyforge data`, until the validation loss has not fallen for training.patience\n"
    "epochs (20; by more than training.min_delta of it, 0.001) or training.epochs ran out\n"
    "(a bound, 1000: reaching it while still improving is a warning), keeps the epoch with\n"
    "the lowest validation loss, evaluates it on the test split, and writes into\n"
    "DIR/train/:\n"
    "  arch.json      the architecture (edit it and pass it back with --arch)\n"
    "  model.json     architecture and parameter shapes   weights.bin  float32 weights\n"
    "  report.json    loss and accuracy per epoch, best epoch, why it stopped (stop),\n"
    "                 test accuracy, confusion matrix, flash/RAM estimates against the\n"
    "                 board\n"
    "  manifest.json  hashes of inputs and outputs\n"
    "\n"
    "The architecture: --arch FILE, else the spec's model.arch (an object or a file name),\n"
    "else the builtin chooser: it tries networks smallest first that fit the board's\n"
    "budget and grows only while a bigger one is worth its size (two in a row that are\n"
    "not end the search), or until one reaches training.target_accuracy when the spec\n"
    "sets it. Settings from the spec's `training`: epochs, batch, optimizer (adam|sgd),\n"
    "lr, momentum, weight_decay, patience, min_delta, target_accuracy, seed.\n"
    "The same seed gives the same weights, bit for bit.\n"
    "\n"
    "options:\n"
    "  --arch FILE  train this architecture (docs/arch.md)\n"
    "  --epochs N   override training.epochs\n"
    "  --out DIR    run directory (default: runs/<spec name>)\n"
    "  --force      run even when nothing changed\n"
    "  --cache DIR  a training cache shared by run directories: a training whose inputs\n"
    "               (splits, settings, architecture, budget) match a finished entry is\n"
    "               not run again; its files are published (report.json \"cache\")\n"
    "  --json       print the final metrics (test_accuracy, ...) as one JSON object\n"
    "\n"
    "example:\n"
    "  tinyforge data examples/fruit/spec.json && tinyforge train examples/fruit/spec.json\n";

static void print_report(const tfg_stage_outcome *o, const tfg_cli_run *run,
                         const tfg_stage_opts *so)
{
    const json_t *r = o->report;
    const tfg_train_result f = o->result.train;
    if (o->cached)
        printf("train: the same inputs were trained before; published from the cache "
               "(%s).\n\n", ((const tfg_train_stage_opts *)so->own)->cache_dir);
    if (!o->has_result)
        return;
    const json_t *tr = json_object_get(json_object_get(r, "history"), "train");
    const json_t *va = json_object_get(json_object_get(r, "history"), "val");
    size_t best = (size_t)f.best_epoch;
    /* Hundreds of epochs: the first few, every step-th, the best and the last. */
    size_t n = json_array_size(tr), step = n > 30 ? (n + 19) / 20 : 1;
    printf("  epoch  train loss  train acc  val loss  val acc\n");
    for (size_t i = 0; i < n; i++) {
        if (i >= 3 && (i + 1) % step != 0 && i + 1 != best && i + 1 != n)
            continue;
        const json_t *t = json_array_get(tr, i), *v = json_array_get(va, i);
        printf("  %5zu  %10.4f  %9.4f  %8.4f  %7.4f%s\n", i + 1,
               json_number_value(json_object_get(t, "loss")),
               json_number_value(json_object_get(t, "accuracy")),
               json_number_value(json_object_get(v, "loss")),
               json_number_value(json_object_get(v, "accuracy")), i + 1 == best ? "  <- best" : "");
    }
    const json_t *stop = json_object_get(r, "stop");
    const char *why = json_string_value(json_object_get(stop, "reason"));
    if (why && !strcmp(why, "patience"))
        printf("stopped: the validation loss had not fallen for %lld epochs\n",
               (long long)json_integer_value(json_object_get(stop, "patience")));
    const char *warning = json_string_value(json_object_get(stop, "warning"));
    if (warning)
        fprintf(stderr, "tinyforge: warning: %s\n", warning);
    const json_t *est = json_object_get(r, "estimate");
    printf("\nparameters: %lld, %lld MACs per inference; estimated flash %lld of %lld B, RAM %lld "
           "of %lld B on %s\n",
           (long long)f.params, (long long)f.macs, (long long)f.est_flash,
           (long long)json_integer_value(json_object_get(est, "flash_budget")),
           (long long)f.est_ram,
           (long long)json_integer_value(json_object_get(est, "ram_budget")),
           json_string_value(json_object_get(est, "board")));
    printf("training: %.1f s, %.0f samples/s\n", f.seconds,
           json_number_value(json_object_get(r, "samples_per_s")));
    if (!isnan(f.test_accuracy))
        printf("test accuracy: %.2f %%\n", 100 * f.test_accuracy);
    printf("test loss: %.4f\n", f.test_loss);
    if (!isnan(f.test_mae))
        printf("test mean absolute error: %.6g; R2: %.4f\n", f.test_mae, f.test_r2);
    const json_t *cm = json_object_get(r, "confusion"), *cls = json_object_get(r, "classes");
    if (cm && json_array_size(cm) <= 12) {
        printf("confusion (rows: true class, columns: predicted):\n");
        for (size_t i = 0; i < json_array_size(cm); i++) {
            printf("  %-14.14s", json_string_value(json_array_get(cls, i)));
            const json_t *row = json_array_get(cm, i);
            for (size_t j = 0; j < json_array_size(row); j++)
                printf(" %5lld", (long long)json_integer_value(json_array_get(row, j)));
            putchar('\n');
        }
    }
}

int tfg_cmd_train(int argc, char **argv, tfg_cli *c)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'}, {"arch", required_argument, NULL, 'a'},
        {"epochs", required_argument, NULL, 'e'}, {"force", no_argument, NULL, 'f'},
        {"json", no_argument, NULL, 'j'},     {"help", no_argument, NULL, 'h'},
        {"cache", required_argument, NULL, 'c'},
        {NULL, 0, NULL, 0}};
    tfg_train_stage_opts o = {0};
    const char *out = NULL;
    int opt, code;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "o:a:e:c:fjhqv", longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': out = optarg; break;
        case 'a': o.arch_file = optarg; break;
        case 'e': {
            long n;
            if ((code = tfg_cli_int_opt(c, "train", "--epochs", optarg, 1, 100000, &n)) >= 0)
                return code;
            o.epochs = (uint32_t)n;
            break;
        }
        case 'f': o.force = true; break;
        case 'c': o.cache_dir = optarg; break;
        default:
            if ((code = tfg_cli_common_opt(c, opt, "train", usage, argv[optind - 1])) >= 0)
                return code;
        }
    }
    tfg_cli_run run;
    if ((code = tfg_cli_run_begin(c, argc, argv, optind, "train", out, &run)))
        return code;
    static const tfg_cli_stage stage = {
        .id = TFG_STAGE_TRAIN, .usage = usage,
        .unchanged = "data, architecture and settings unchanged since the last run",
        .again = "trains again", .print = print_report};
    tfg_stage_opts so = {.force = o.force, .own = &o};
    return tfg_cli_stage_exec(c, &run, &stage, &so);
}
