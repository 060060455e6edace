/* trace.c — the run's LLM trace: <dir>/llm/trace.jsonl, one JSON record per attempt
 * (and one per cache hit or budget stop), appended as the run goes so a crash loses at
 * most the attempt in flight; and its summary per stage and backend for `tinyforge
 * trace`. Records are built in call.c; the fields are documented in docs/llm.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/io.h"
#include "core/json.h"
#include "llm/internal.h"

char *tfg_llm_trace_path(const char *dir)
{
    return tfg_xasprintf("%s/llm/trace.jsonl", dir);
}

tfg_status tfg_llm_trace_append(const char *dir, json_t *rec, tfg_err *err)
{
    char *s = json_dumps(rec, JSON_COMPACT); /* reals at 17 digits: costs read back exactly */
    json_decref(rec);
    char *line = tfg_xasprintf("%s\n", s ? s : "{}");
    free(s);
    char *path = tfg_llm_trace_path(dir);
    tfg_status st = TFG_OK;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    size_t n = strlen(line);
    if (fd < 0 || write(fd, line, n) != (ssize_t)n)
        st = tfg_err_set(err, TFG_EIO, "%s: cannot append to the LLM trace: %s", path,
                         strerror(errno));
    if (fd >= 0)
        close(fd);
    free(path);
    free(line);
    return st;
}

/* ---- summary ---- */

static json_t *new_row(const char *stage, const char *backend, const char *model)
{
    return json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:I, s:I, s:f, s:b, s:f, s:f}",
                     "stage", stage, "backend", backend, "model", model, "attempts", 0, "calls",
                     0, "ok", 0, "cached", 0, "errors", 0, "tokens_in", (json_int_t)0,
                     "tokens_out", (json_int_t)0, "cost", 0.0, "cost_known", 1,
                     "latency_ms_sum", 0.0, "latency_ms_max", 0.0);
}

static void add_int(json_t *row, const char *key, json_int_t v)
{
    json_object_set_new(row, key, json_integer(json_integer_value(json_object_get(row, key)) + v));
}

static void add_real(json_t *row, const char *key, double v)
{
    json_object_set_new(row, key, json_real(json_real_value(json_object_get(row, key)) + v));
}

static void accumulate(json_t *row, const json_t *rec)
{
    const char *outcome = json_string_value(json_object_get(rec, "outcome"));
    json_int_t attempt = json_integer_value(json_object_get(rec, "attempt"));
    outcome = outcome ? outcome : "";
    bool final = strcmp(outcome, "retry") != 0;
    add_int(row, "calls", final);
    add_int(row, "ok", !strcmp(outcome, "ok"));
    add_int(row, "cached", !strcmp(outcome, "cached"));
    add_int(row, "errors", !strcmp(outcome, "error"));
    add_int(row, "tokens_in", json_integer_value(json_object_get(rec, "tokens_in")));
    add_int(row, "tokens_out", json_integer_value(json_object_get(rec, "tokens_out")));
    const json_t *cost = json_object_get(rec, "cost");
    if (json_is_number(cost))
        add_real(row, "cost", json_number_value(cost));
    else if (attempt > 0)
        json_object_set_new(row, "cost_known", json_false());
    if (attempt > 0) {
        double lat = json_number_value(json_object_get(rec, "latency_ms"));
        add_int(row, "attempts", 1);
        add_real(row, "latency_ms_sum", lat);
        if (lat > json_real_value(json_object_get(row, "latency_ms_max")))
            json_object_set_new(row, "latency_ms_max", json_real(lat));
    }
}

/* latency_ms_sum becomes latency_ms_mean (over attempts). */
static void finish_row(json_t *row)
{
    json_int_t n = json_integer_value(json_object_get(row, "attempts"));
    double sum = json_real_value(json_object_get(row, "latency_ms_sum"));
    json_object_del(row, "latency_ms_sum");
    json_object_set_new(row, "latency_ms_mean", json_real(n ? sum / (double)n : 0.0));
}

static json_t *row_for(json_t *rows, const json_t *rec)
{
    const char *stage = json_string_value(json_object_get(rec, "stage"));
    const char *backend = json_string_value(json_object_get(rec, "backend"));
    const char *model = json_string_value(json_object_get(rec, "model"));
    stage = stage ? stage : "?";
    backend = backend ? backend : "?";
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        if (!strcmp(json_string_value(json_object_get(row, "stage")), stage) &&
            !strcmp(json_string_value(json_object_get(row, "backend")), backend))
            return row;
    }
    row = new_row(stage, backend, model ? model : "?");
    json_array_append_new(rows, row);
    return row;
}

static tfg_status parse_lines(char *text, const char *path, json_t *rows, json_t *total,
                              tfg_err *err)
{
    size_t lineno = 0;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        lineno++;
        if (len) {
            json_error_t je;
            json_t *rec = json_loadb(line, len, 0, &je);
            if (!json_is_object(rec)) {
                json_decref(rec);
                return tfg_err_at(err, TFG_EINPUT, path, lineno, rec ? 1 : (size_t)je.column,
                                  "not a trace record (%s)", rec ? "not an object" : je.text);
            }
            accumulate(row_for(rows, rec), rec);
            accumulate(total, rec);
            json_decref(rec);
        }
        line = nl ? nl + 1 : NULL;
    }
    return TFG_OK;
}

tfg_status tfg_llm_trace_summary(const char *dir, json_t **out, tfg_err *err)
{
    char *path = tfg_llm_trace_path(dir);
    if (!tfg_exists(path)) {
        tfg_err_set(err, TFG_EINPUT, "%s: no LLM trace here (has this run called a backend?)",
                    path);
        free(path);
        return TFG_EINPUT;
    }
    char *text;
    size_t len;
    tfg_status st = tfg_read_file(path, TFG_READ_MAX_DEFAULT, &text, &len, err);
    json_t *rows = json_array(), *total = new_row("*", "*", "*");
    if (!st) {
        st = parse_lines(text, path, rows, total, err);
        free(text);
    }
    if (st) {
        json_decref(rows);
        json_decref(total);
        free(path);
        return st;
    }
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) finish_row(row);
    finish_row(total);
    *out = json_pack("{s:s, s:o, s:o}", "file", path, "rows", rows, "total", total);
    free(path);
    return TFG_OK;
}
