/* cmd_new.c — `tinyforge new "REQUEST" --data FILE [--labels FILE] [--test-data FILE
 * [--test-labels FILE]]`: a spec from a request in plain words and the data (a CSV, or
 * IDX images with their labels), proposed by a backend (builtin by default) and accepted
 * only when the spec validator holds (src/pilot). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/io.h"
#include "pilot/pilot.h"

static const char usage[] =
    "usage: tinyforge new \"REQUEST\" --data FILE [--labels FILE]\n"
    "           [--test-data FILE [--test-labels FILE]] [--out SPEC] [--backend NAME] [options]\n"
    "\n"
    "Writes a spec (README: \"The spec\") for a request in plain words and the data: a CSV\n"
    "file, or IDX images (the MNIST format, gzip'd or not, told apart by their content)\n"
    "with their labels file. Test data of the same kind stays whole as the test split.\n"
    "The backend proposes, the validator checks: the schema, a known board, budgets within\n"
    "it, the sources exactly the files given (each in its role: images with their labels,\n"
    "the test data as the test split), the label and feature columns present, a\n"
    "classification label that holds classes. A rejected proposal goes back with the\n"
    "error (up to --attempts times), then the builtin writer (rules over the request's\n"
    "words and the CSV header; \"label\" for images) answers. The CSV's dialect (delimiter,\n"
    "decimal separator, quote, preamble lines, header, encoding) is detected unless given,\n"
    "and written into the spec's source. Every attempt is logged in\n"
    "RUN/llm/pilot.jsonl and every LLM call in RUN/llm/trace.jsonl (`tinyforge trace RUN`).\n"
    "\n"
    "options:\n"
    "  --data FILE         the data the application learns from: a CSV, or IDX images\n"
    "                      (required)\n"
    "  --labels FILE       the IDX labels of --data's images (required for images; not\n"
    "                      for a CSV)\n"
    "  --test-data FILE    test data kept whole as the test split: a CSV with the data's\n"
    "                      columns, or IDX images (then --test-labels too)\n"
    "  --test-labels FILE  the IDX labels of --test-data's images\n"
    "  --delimiter C       the CSV's field delimiter: , ; | or tab (default: detected)\n"
    "  --decimal C         the CSV's decimal separator: . or , (default: detected; , only\n"
    "                      with another delimiter)\n"
    "  --skip-rows N       lines before the CSV's header or first record (default: detected,\n"
    "                      leading lines whose field count differs from the records')\n"
    "  --no-header         the CSV's first record is data (default: detected)\n"
    "  --out SPEC          where to write the spec (default spec.json; not overwritten\n"
    "                      without --force)\n"
    "  --backend NAME      ask this backend first (default builtin)\n"
    "  --config FILE       LLM backends (default $TINYFORGE_LLM_CONFIG or\n"
    "                      ~/.config/tinyforge/llm.json)\n"
    "  --run DIR           where the LLM cache, trace and pilot log go (default runs/new)\n"
    "  --attempts N        proposals per backend before the next one (default 5)\n"
    "  --llm-data WHAT     what of the data a prompt may carry: none (column names only),\n"
    "                      profile (default), sample_rows (also 5 CSV rows; never images)\n"
    "  --offline           answer from the LLM cache only\n"
    "  --force             overwrite SPEC\n"
    "  --json              one JSON object on stdout\n"
    "\n"
    "examples:\n"
    "  tinyforge new \"tell apple, banana and orange apart by colour on an Arduino Nano 33\" \\\n"
    "      --data examples/fruit/fruit.csv --out fruit.json\n"
    "  F=/usr/share/datasets/fashion-mnist   # Debian's dataset-fashion-mnist\n"
    "  tinyforge new \"sort photos of clothing into ten kinds on the Nucleo L4R5ZI\" \\\n"
    "      --data $F/train-images-idx3-ubyte.gz --labels $F/train-labels-idx1-ubyte.gz \\\n"
    "      --test-data $F/t10k-images-idx3-ubyte.gz \\\n"
    "      --test-labels $F/t10k-labels-idx1-ubyte.gz --out fashion.json\n";

typedef struct {
    const char *data, *labels, *test_data, *test_labels, *out, *backend, *config, *run,
        *llm_data;
    long attempts;
    bool offline, force;
    tfg_csv_opts csv; /* --delimiter, --decimal, --skip-rows, --no-header */
} new_opts;

/* Long-only options: values outside the short options' letters. */
enum {
    OPT_LABELS = 256, OPT_TEST_DATA, OPT_TEST_LABELS,
    OPT_DELIMITER, OPT_DECIMAL, OPT_SKIP_ROWS, OPT_NO_HEADER
};

static int csv_opt(tfg_cli *c, int opt, const char *arg, tfg_csv_opts *o)
{
    if (opt == OPT_NO_HEADER) {
        o->header = 0;
        return -1;
    }
    if (opt == OPT_SKIP_ROWS) {
        long n;
        int code = tfg_cli_int_opt(c, "new", "--skip-rows", arg, 0, 1000000, &n);
        o->skip_rows = n;
        return code;
    }
    if (opt == OPT_DECIMAL) {
        if (strcmp(arg, ".") && strcmp(arg, ","))
            return tfg_cli_usage(c, "new", "--decimal is . or , (got '%s')", arg);
        o->decimal = arg[0];
        return -1;
    }
    if (!strcmp(arg, "tab") || !strcmp(arg, "\\t"))
        arg = "\t";
    if (strlen(arg) != 1 || strchr("\"'\r\n", arg[0]))
        return tfg_cli_usage(c, "new", "--delimiter is one character such as , ; | or tab "
                                       "(got '%s')",
                             arg);
    o->delimiter = arg[0];
    return -1;
}

static int parse(int argc, char **argv, tfg_cli *c, new_opts *o)
{
    static const struct option longopts[] = {
        {"labels", required_argument, NULL, OPT_LABELS},
        {"test-data", required_argument, NULL, OPT_TEST_DATA},
        {"test-labels", required_argument, NULL, OPT_TEST_LABELS},
        {"delimiter", required_argument, NULL, OPT_DELIMITER},
        {"decimal", required_argument, NULL, OPT_DECIMAL},
        {"skip-rows", required_argument, NULL, OPT_SKIP_ROWS},
        {"no-header", no_argument, NULL, OPT_NO_HEADER},
        {"data", required_argument, NULL, 'd'},    {"out", required_argument, NULL, 'o'},
        {"backend", required_argument, NULL, 'b'}, {"config", required_argument, NULL, 'c'},
        {"run", required_argument, NULL, 'r'},     {"attempts", required_argument, NULL, 'a'},
        {"llm-data", required_argument, NULL, 'l'}, {"offline", no_argument, NULL, 'F'},
        {"force", no_argument, NULL, 'f'},         {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    int opt, code;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "d:o:b:c:r:a:l:FfjhqvJ", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': o->data = optarg; break;
        case OPT_LABELS: o->labels = optarg; break;
        case OPT_TEST_DATA: o->test_data = optarg; break;
        case OPT_TEST_LABELS: o->test_labels = optarg; break;
        case OPT_DELIMITER:
        case OPT_DECIMAL:
        case OPT_SKIP_ROWS:
        case OPT_NO_HEADER:
            if ((code = csv_opt(c, opt, optarg, &o->csv)) >= 0)
                return code;
            break;
        case 'o': o->out = optarg; break;
        case 'b': o->backend = optarg; break;
        case 'c': o->config = optarg; break;
        case 'r': o->run = optarg; break;
        case 'l': o->llm_data = optarg; break;
        case 'F': o->offline = true; break;
        case 'f': o->force = true; break;
        case 'a':
            if ((code = tfg_cli_int_opt(c, "new", "--attempts", optarg, 1, 50, &o->attempts)) >= 0)
                return code;
            break;
        default:
            if ((code = tfg_cli_common_opt(c, opt, "new", usage, argv[optind - 1])) >= 0)
                return code;
        }
    }
    if (optind != argc - 1)
        return tfg_cli_usage(c, "new", optind >= argc ? "missing \"REQUEST\""
                                                      : "one \"REQUEST\" expected (quote it)");
    if (!o->data)
        return tfg_cli_usage(c, "new", "--data FILE is required");
    if (o->csv.decimal == ',' && o->csv.delimiter == ',')
        return tfg_cli_usage(c, "new", "--decimal , needs another --delimiter (such as ;)");
    if (o->test_labels && !o->test_data)
        return tfg_cli_usage(c, "new", "--test-labels %s needs --test-data (the test images)",
                             o->test_labels);
    return -1;
}

static tfg_status policy_for(const new_opts *o, const tfg_llm_config *cfg, tfg_pilot_policy *p,
                             tfg_err *err)
{
    json_t *routing = json_object();
    if (o->backend)
        json_object_set_new(routing, "spec", json_pack("[s]", o->backend));
    if (o->attempts)
        json_object_set_new(routing, "attempts", json_integer((json_int_t)o->attempts));
    if (o->llm_data)
        json_object_set_new(routing, "llm_data", json_string(o->llm_data));
    tfg_status st = tfg_pilot_policy_parse(routing, "command line", cfg, p, err);
    json_decref(routing);
    return st;
}

static void print_result(const tfg_cli *c, const new_opts *o, const tfg_pilot_result *r)
{
    if (c->json) {
        tfg_cli_print_json(json_pack("{s:s, s:s, s:s, s:i, s:I, s:I, s:f}", "status", "ok",
                                     "spec", o->out, "backend", r->backend, "attempts",
                                     r->attempts, "tokens_in", (json_int_t)r->tokens_in,
                                     "tokens_out", (json_int_t)r->tokens_out, "cost", r->cost));
        return;
    }
    if (c->verbose < 0)
        return;
    printf("spec written: %s (proposed by %s, %d attempt%s", o->out, r->backend, r->attempts,
           r->attempts == 1 ? "" : "s");
    for (int k = 1; k < TFG_PILOT_CLASSES; k++)
        if (r->classes[k])
            printf("; %d rejected as %s", r->classes[k], tfg_pilot_class_name((tfg_pilot_class)k));
    printf(")\nnext: tinyforge check %s && tinyforge run %s\n", o->out, o->out);
}

int tfg_cmd_new(int argc, char **argv, tfg_cli *c)
{
    new_opts o = {.out = "spec.json", .run = "runs/new"};
    tfg_csv_opts_default(&o.csv);
    int code = parse(argc, argv, c, &o);
    if (code >= 0)
        return code;
    tfg_err err;
    if (tfg_exists(o.out) && !o.force) {
        tfg_err_set(&err, TFG_EUSAGE, "%s exists; --force overwrites it", o.out);
        return tfg_cli_fail(c, &err);
    }
    tfg_boards boards = {0};
    tfg_llm_config cfg = {0};
    tfg_llm_prices prices = {0};
    tfg_pilot_policy policy = {0};
    tfg_pilot *p = NULL;
    tfg_pilot_result r;
    tfg_status st = tfg_boards_load(tfg_boards_default_path(), &boards, &err);
    if (!st) st = tfg_pilot_config_load(NULL, o.config, &cfg, &err);
    if (!st) st = tfg_llm_prices_load(tfg_llm_prices_default_path(), &prices, &err);
    if (!st) st = policy_for(&o, &cfg, &policy, &err);
    if (!st) {
        tfg_pilot_opts po = {.out = o.run, .boards = &boards, .config = &cfg, .prices = &prices,
                             .policy = &policy, .offline = o.offline, .request = argv[optind],
                             .data_file = o.data, .labels_file = o.labels,
                             .test_file = o.test_data, .test_labels_file = o.test_labels,
                             .spec_out = o.out, .csv = &o.csv};
        st = tfg_pilot_open(&p, &po, &err);
    }
    if (!st) st = tfg_pilot_run_stage(p, "spec", &r, &err);
    code = st ? tfg_cli_fail(c, &err) : TFG_EXIT_OK;
    if (!st)
        print_result(c, &o, &r);
    tfg_pilot_close(p);
    tfg_pilot_policy_free(&policy);
    tfg_llm_prices_free(&prices);
    tfg_llm_config_free(&cfg);
    tfg_boards_free(&boards);
    return code;
}
