/* cmd_report.c — `tinyforge report SPEC`: write the run's report (HTML and Markdown)
 * from whatever stages have run, and say where it is. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "core/io.h"
#include "report/report.h"

static const char usage[] =
    "usage: tinyforge report SPEC [--out DIR] [--force] [--json]\n"
    "\n"
    "Reads the artifacts the stages wrote into the run directory (data, train, quantize,\n"
    "build, validate, sketch) and writes what a person reads into DIR/report/:\n"
    "  report.html    one self-contained page: open it in any browser, offline\n"
    "  report.md      the same as Markdown         confusion.png  the matrix picture\n"
    "  manifest.json  hashes of what was read and written\n"
    "\n"
    "It shows the spec, the data profile, the plan that was applied, float vs int8 vs\n"
    "device accuracy, the confusion matrix with per-class precision and recall, flash\n"
    "and RAM against the board's limits, the work per inference and what each stage\n"
    "cost. A stage that has not run is shown as \"not run\"; a malformed artifact is an\n"
    "error naming the file and field, and the previous report is kept.\n"
    "\n"
    "options:\n"
    "  --out DIR    run directory (default: runs/<spec name>)\n"
    "  --force      write the report even when nothing changed\n"
    "  --json       print the result (stages run, accuracies, files) as one JSON object\n"
    "\n"
    "example:\n"
    "  tinyforge report examples/fruit/spec.json && xdg-open runs/fruit/report/report.html\n";

/* The stages the report saw, and its files. */
static void print_files(const tfg_stage_outcome *r, const tfg_cli_run *run,
                        const tfg_stage_opts *so)
{
    const json_t *st = json_object_get(r->report, "stages");
    const char *k;
    const json_t *v;
    printf("stages:");
    json_object_foreach((json_t *)st, k, v)
        printf(" %s %s;", k, json_string_value(v));
    putchar('\n');
    static const tfg_artifact files[] = {TFG_ART_REPORT_HTML, TFG_ART_REPORT_MD,
                                         TFG_ART_REPORT_CONFUSION};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *p = tfg_rundir_path(run->out, files[i]);
        if (tfg_exists(p))
            printf("%s %s\n", i ? "       " : "report:", p);
        free(p);
    }
}

int tfg_cmd_report(int argc, char **argv, tfg_cli *c)
{
    static const struct option longopts[] = {{"out", required_argument, NULL, 'o'},
                                             {"force", no_argument, NULL, 'f'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    tfg_report_opts o = {0};
    const char *out = NULL;
    int opt, code;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "o:fjhqv", longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': out = optarg; break;
        case 'f': o.force = true; break;
        default:
            if ((code = tfg_cli_common_opt(c, opt, "report", usage, argv[optind - 1])) >= 0)
                return code;
        }
    }
    tfg_cli_run run;
    if ((code = tfg_cli_run_begin(c, argc, argv, optind, "report", out, &run)))
        return code;
    static const tfg_cli_stage stage = {
        .id = TFG_STAGE_REPORT, .usage = usage,
        .unchanged = "the spec and the artifacts are unchanged since the last report",
        .again = "writes it again", .print = print_files, .no_folder_line = true};
    tfg_stage_opts so = {.force = o.force};
    return tfg_cli_stage_exec(c, &run, &stage, &so);
}
