/* cmd_trace.c — `tinyforge trace RUN`: what a run's LLM calls did and cost, summed per
 * stage and backend from RUN/llm/trace.jsonl (llm/trace.c does the sums; this prints). */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "llm/llm.h"

static const char usage[] =
    "usage: tinyforge trace RUN [--json]\n"
    "\n"
    "Sums RUN/llm/trace.jsonl (one record per LLM attempt) per stage and backend:\n"
    "attempts sent, calls (ok, from the cache, failed), tokens in and out, cost, and\n"
    "latency (mean and max over the attempts). Costs come from the price table at the\n"
    "time of the call; '?' marks a model the table did not list.\n"
    "\n"
    "options:\n"
    "  --json   the summary as one JSON object\n"
    "\n"
    "example:\n"
    "  tinyforge trace runs/fruit\n";

static long long geti(const json_t *row, const char *key)
{
    return (long long)json_integer_value(json_object_get(row, key));
}

static double getf(const json_t *row, const char *key)
{
    return json_number_value(json_object_get(row, key));
}

static void print_row(const json_t *row)
{
    char cost[32];
    snprintf(cost, sizeof cost, "%.6f%s", getf(row, "cost"),
             json_is_true(json_object_get(row, "cost_known")) ? "" : "?");
    printf("%-12.12s %-12.12s %8lld %6lld %5lld %6lld %6lld %10lld %10lld %12s %9.0f %9.0f\n",
           json_string_value(json_object_get(row, "stage")),
           json_string_value(json_object_get(row, "backend")), geti(row, "attempts"),
           geti(row, "calls"), geti(row, "ok"), geti(row, "cached"), geti(row, "errors"),
           geti(row, "tokens_in"), geti(row, "tokens_out"), cost, getf(row, "latency_ms_mean"),
           getf(row, "latency_ms_max"));
}

int tfg_cmd_trace(int argc, char **argv, tfg_cli *c)
{
    static const struct option longopts[] = {{"json", no_argument, NULL, 'j'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int opt, code;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "jhqv", longopts, NULL)) != -1)
        if ((code = tfg_cli_common_opt(c, opt, "trace", usage, argv[optind - 1])) >= 0)
            return code;
    if (optind != argc - 1)
        return tfg_cli_usage(c, "trace", optind >= argc ? "missing RUN" : "one RUN expected");
    json_t *s;
    tfg_err err;
    if (tfg_llm_trace_summary(argv[optind], &s, &err))
        return tfg_cli_fail(c, &err);
    if (c->json) {
        json_object_set_new(s, "status", json_string("ok"));
        tfg_cli_print_json(s);
        return TFG_EXIT_OK;
    }
    printf("%-12s %-12s %8s %6s %5s %6s %6s %10s %10s %12s %9s %9s\n", "stage", "backend",
           "attempts", "calls", "ok", "cached", "errors", "tokens in", "tokens out", "cost",
           "mean ms", "max ms");
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(s, "rows"), i, row) print_row(row);
    print_row(json_object_get(s, "total"));
    json_decref(s);
    return TFG_EXIT_OK;
}
