/* cmd_report.c — `tinyforge report SPEC`: write the run's report (HTML and Markdown)
 * from whatever stages have run, and say where it is. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "report/report.h"

static const char usage[] =
    "usage: tinyforge report SPEC [--out DIR] [--force] [--json]\n"
    "\n"
    "Reads the artifacts the stages wrote into the run directory (data, train, quant,\n"
    "build, validate) and writes what a person reads into DIR/report/:\n"
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
    o.out = run.out;
    tfg_report_outcome r;
    tfg_err err;
    if (tfg_report_stage(&run.spec, &o, &r, &err)) {
        code = tfg_cli_fail(c, &err);
    } else if (c->json) {
        tfg_cli_print_stage_json(r.skipped, r.dir, r.summary);
    } else {
        if (r.skipped)
            printf("report: up to date (the spec and the artifacts are unchanged since the last "
                   "report); skipped. --force writes it again.\n");
        if (c->verbose >= 0) {
            const json_t *st = json_object_get(r.summary, "stages");
            const char *k;
            const json_t *v;
            printf("stages:");
            json_object_foreach((json_t *)st, k, v)
                printf(" %s %s;", k, json_string_value(v));
            putchar('\n');
        }
        printf("report: %s\n", r.html);
        printf("        %s\n", r.markdown);
        if (r.png)
            printf("        %s\n", r.png);
    }
    tfg_report_outcome_free(&r);
    tfg_cli_run_end(&run);
    return code;
}
