/* cmd_data.c — `tinyforge data SPEC`: run the data stage and show its profile, the plan
 * that was applied (with what each op did), and the splits. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/io.h"
#include "core/json.h"
#include "data/stage.h"

static const char usage[] =
    "usage: tinyforge data SPEC [--out DIR] [--plan FILE] [--replan] [--force] [--json]\n"
    "\n"
    "Loads the data sources named in SPEC, profiles them, cleans and splits them by a\n"
    "data plan, and writes into DIR/data/:\n"
    "  profile.json     the raw data: types, counts, missing, ranges, outliers, classes\n"
    "  plan.json        the plan applied: ordered operations, each with a 'why'\n"
    "  train.bin val.bin test.bin   the cleaned splits (float32, header: docs/artifacts.md)\n"
    "  preprocess.json  what the device must do to a raw reading (scaling constants, ...)\n"
    "  summary.json     rows, splits, classes, and what every operation did\n"
    "  manifest.json    hashes of inputs and outputs\n"
    "\n"
    "The plan: the first run writes the builtin planner's plan. Edit DIR/data/plan.json and\n"
    "run again to apply your plan instead (it is kept from then on); --replan goes back to\n"
    "the builtin plan. A plan named in the spec (data.plan) or by --plan wins over both.\n"
    "When nothing changed (spec, data files, plan), the stage is skipped and says so.\n"
    "\n"
    "options:\n"
    "  --out DIR    run directory (default: runs/<spec name>)\n"
    "  --plan FILE  apply this plan\n"
    "  --replan     discard the plan in the run directory; write the builtin one\n"
    "  --force      run even when nothing changed\n"
    "  --json       print the summary (or the error) as one JSON object\n"
    "\n"
    "example:\n"
    "  tinyforge data examples/fruit/spec.json --out runs/fruit\n"
    "  $EDITOR runs/fruit/data/plan.json && tinyforge data examples/fruit/spec.json --out runs/fruit\n";

static const char *num(const json_t *o, const char *key, char *buf, size_t n)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_number(v))
        return "-";
    snprintf(buf, n, "%.4g", json_number_value(v));
    return buf;
}

static size_t intval(const json_t *o, const char *key)
{
    return (size_t)json_integer_value(json_object_get(o, key));
}

static void print_profile(const json_t *p)
{
    const json_t *cols = json_object_get(p, "columns_detail");
    printf("profile: %zu rows x %zu columns, %zu duplicate rows\n", intval(p, "rows"),
           intval(p, "columns"), intval(p, "duplicate_rows"));
    printf("  %-14s %-11s %7s %7s %9s %9s %9s %9s %8s\n", "column", "type", "count", "missing",
           "min", "max", "mean", "std", "outliers");
    size_t shown = 0, n = json_array_size(cols);
    const size_t limit = 12;
    for (size_t i = 0; i < n && shown < limit; i++, shown++) {
        const json_t *c = json_array_get(cols, i);
        const char *type = json_string_value(json_object_get(c, "type"));
        printf("  %-14.14s %-11s %7zu %7zu", json_string_value(json_object_get(c, "name")),
               type ? type : "?", intval(c, "count"), intval(c, "missing"));
        if (type && !strcmp(type, "numeric")) {
            char a[32], b[32], m[32], s[32];
            printf(" %9s %9s %9s %9s %8zu\n", num(c, "min", a, sizeof a),
                   num(c, "max", b, sizeof b), num(c, "mean", m, sizeof m),
                   num(c, "std", s, sizeof s), intval(c, "outliers"));
        } else {
            const json_t *levels = json_object_get(c, "levels");
            printf("  %zu levels:", intval(c, "distinct"));
            for (size_t l = 0; l < json_array_size(levels) && l < 5; l++) {
                const json_t *lv = json_array_get(levels, l);
                printf(" %s %zu", json_string_value(json_object_get(lv, "value")),
                       intval(lv, "count"));
            }
            puts(json_array_size(levels) > 5 ? " ..." : "");
        }
    }
    if (n > shown)
        printf("  ... %zu more columns (all of them in profile.json)\n", n - shown);
    const json_t *bal = json_object_get(p, "class_balance");
    if (json_array_size(bal)) {
        printf("  classes of '%s':", json_string_value(json_object_get(p, "label")));
        for (size_t i = 0; i < json_array_size(bal); i++) {
            const json_t *b = json_array_get(bal, i);
            printf("%s %s %zu", i ? "," : "", json_string_value(json_object_get(b, "class")),
                   intval(b, "count"));
        }
        putchar('\n');
    }
}

static void print_plan(const json_t *plan, const json_t *summary, const char *dir)
{
    const char *origin = json_string_value(json_object_get(summary, "plan_origin"));
    if (origin && !strcmp(origin, "builtin"))
        printf("\nplan (builtin; edit %s/plan.json and run again to change it):\n", dir);
    else
        printf("\nplan (%s: %s):\n", origin ? origin : "?",
               json_string_value(json_object_get(summary, "plan_file")));
    const json_t *ops = json_object_get(plan, "ops"), *log = json_object_get(summary, "ops");
    for (size_t i = 0; i < json_array_size(ops); i++) {
        const json_t *op = json_array_get(ops, i), *l = json_array_get(log, i);
        printf("  %2zu. %-16s %s\n", i + 1, json_string_value(json_object_get(op, "op")),
               json_string_value(json_object_get(op, "why")));
        const char *did = json_string_value(json_object_get(l, "did"));
        if (did)
            printf("      -> %s (rows %zu -> %zu)\n", did, intval(l, "rows_before"),
                   intval(l, "rows_after"));
    }
}

static void print_splits(const json_t *summary)
{
    const json_t *sp = json_object_get(summary, "splits");
    printf("\nsplits: train %zu, val %zu, test %zu\n", intval(json_object_get(sp, "train"), "rows"),
           intval(json_object_get(sp, "val"), "rows"), intval(json_object_get(sp, "test"), "rows"));
    const json_t *f = json_object_get(summary, "features");
    printf("features: %zu", json_array_size(f));
    for (size_t i = 0; i < json_array_size(f) && i < 8; i++)
        printf("%s%s", i ? ", " : " (", json_string_value(json_array_get(f, i)));
    puts(json_array_size(f) > 8 ? ", ...)" : json_array_size(f) ? ")" : "");
    const json_t *c = json_object_get(summary, "classes");
    if (json_array_size(c)) {
        printf("classes: ");
        for (size_t i = 0; i < json_array_size(c); i++)
            printf("%s%s", i ? ", " : "", json_string_value(json_array_get(c, i)));
        putchar('\n');
    }
}

/* The profile and the plan as the stage published them (absent: not shown). */
static json_t *load_artifact(const char *out, tfg_artifact a)
{
    char *p = tfg_rundir_path(out, a);
    json_t *j = NULL;
    tfg_err err;
    if (tfg_exists(p) && tfg_json_load_file(p, &j, &err))
        j = NULL;
    free(p);
    return j;
}

static void print_all(const tfg_stage_outcome *r, const tfg_cli_run *run,
                      const tfg_stage_opts *so)
{
    json_t *profile = load_artifact(run->out, TFG_ART_DATA_PROFILE);
    json_t *plan = load_artifact(run->out, TFG_ART_DATA_PLAN);
    if (profile)
        print_profile(profile);
    if (plan && r->report)
        print_plan(plan, r->report, r->dir);
    if (r->report)
        print_splits(r->report);
    json_decref(profile);
    json_decref(plan);
}

int tfg_cmd_data(int argc, char **argv, tfg_cli *c)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'}, {"plan", required_argument, NULL, 'p'},
        {"replan", no_argument, NULL, 'r'},    {"force", no_argument, NULL, 'f'},
        {"json", no_argument, NULL, 'j'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    tfg_data_opts o = {0};
    const char *out = NULL;
    int opt, code;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "o:p:rfjhqv", longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': out = optarg; break;
        case 'p': o.plan_file = optarg; break;
        case 'r': o.replan = true; break;
        case 'f': o.force = true; break;
        default:
            if ((code = tfg_cli_common_opt(c, opt, "data", usage, argv[optind - 1])) >= 0)
                return code;
        }
    }
    tfg_cli_run run;
    if ((code = tfg_cli_run_begin(c, argc, argv, optind, "data", out, &run)))
        return code;
    static const tfg_cli_stage stage = {
        .id = TFG_STAGE_DATA, .usage = usage,
        .unchanged = "spec, data and plan unchanged since the last run", .print = print_all};
    tfg_stage_opts so = {.force = o.force, .own = &o};
    return tfg_cli_stage_exec(c, &run, &stage, &so);
}
