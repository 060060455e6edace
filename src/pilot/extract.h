/* extract.h — judging a reply: the failure classes a rejected attempt falls in, getting
 * the proposal (JSON or C) out of the reply's prose and fences, and the scan for host
 * paths in data that must hold none (extract.c). */
#ifndef TFG_PILOT_EXTRACT_H
#define TFG_PILOT_EXTRACT_H

#include <jansson.h>

#include "core/error.h"

typedef enum {
    TFG_PILOT_OK = 0,      /* accepted */
    TFG_PILOT_BACKEND,     /* timeout, HTTP error, malformed API reply, offline miss */
    TFG_PILOT_FORMAT,      /* no JSON / no code / not the expected schema */
    TFG_PILOT_SPEC,        /* spec or plan error: unknown op, missing column, bad args */
    TFG_PILOT_COMPILE,     /* (sketch) syntax, missing include or function, wrong API */
    TFG_PILOT_MISUSE,      /* embedded-ML misuse: shapes, arena, quantization parameters */
    TFG_PILOT_BUDGET,      /* does not fit the board's flash/RAM/latency */
    TFG_PILOT_SILENT,      /* runs, but wrong/constant results or a claim not backed */
    TFG_PILOT_UNSAFE,      /* host paths, code execution, anything outside the sandbox */
    TFG_PILOT_CLASSES
} tfg_pilot_class;

/* "ok", "backend", "format", "spec", "compile", "misuse", "budget", "silent", "unsafe". */
const char *tfg_pilot_class_name(tfg_pilot_class c);
/* -1 when name is not a class name. */
int tfg_pilot_class_parse(const char *name);

/* ---- extraction (extract.c) -------------------------------------------------------- */

/* The first JSON object in a reply: a ```json (or bare ```) fenced block that parses,
 * else the first balanced {...} that parses. NULL (err set, TFG_EINPUT) if none. */
tfg_status tfg_pilot_extract_json(const char *reply, json_t **out, tfg_err *err);
/* The C source of a reply: the first ```c / ```cpp / ``` fenced block, else the whole
 * reply when it looks like C (a brace and a semicolon). A new string, or TFG_EINPUT. */
tfg_status tfg_pilot_extract_code(const char *reply, char **out, tfg_err *err);

/* Host paths and execution in data that must hold none (plans, architectures,
 * settings): an absolute path, "..", "~/", a file:// URL, or a key such as "path",
 * "file", "command", "exec", "shell", "url". TFG_ECHECK naming the field, else OK. */
tfg_status tfg_pilot_scan_unsafe(const json_t *j, const char *what, tfg_err *err);

#endif
