/* sketch_check.c — the sketch validator's dynamic half: build the sketch into firmware
 * for the board's emulated stand-in, run it there on every test sample's raw reading,
 * and compare what it prints with the host int8 predictions.
 *
 * The firmware is built and run by the target library's one toolchain (target.h:
 * tfg_fw_build with the sketch program, tfg_fw_run in lines mode), so it is held to the
 * same fit rule as the validate stage's. Two runs. Pass 1: the samples in order, the
 * model as built; every printed class must be the argmax (first maximum) of
 * quantize/test_output.bin's row. Pass 2: the samples in a random order and the model's
 * output classes permuted (runtime/board/tfg_perturb.c), both drawn for this check from
 * the system's random source, so unknown to the sketch and never the same twice; the
 * sketch must now print the permuted argmax of each row in that order.
 * A sketch that prints constants, replays a table of expected labels or classifies by
 * itself passes at most one of the two, so "it calls the model" is proven, not assumed.
 *
 * Safety: the sketch is compiled with -Werror and an include path holding only the
 * project's headers (after sketch_scan.c's deny-list), and runs only inside the
 * emulator: UART only, semihosting off, a deadline, and (when bubblewrap works here)
 * inside bwrap with every namespace unshared (no network), the host file system
 * read-only and the firmware bound in alone. Every way a run goes wrong ends in one of
 * issue 8's failure classes with a message for whoever wrote the sketch. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/io.h"
#include "core/json.h"
#include "core/rng.h"
#include "core/tool.h"
#include "data/splitfile.h"
#include "target/sketch_internal.h"
#include "spec/rundir.h"
#include "target/target_internal.h"

typedef struct {
    const tfg_spec *s;
    const tfg_sketch_check_opts *o;
    const char *name;       /* the source's name for messages */
    tfg_target t;
    char *build, *runtime, *lib_header;
    json_t *pp;
    const json_t *classes;  /* preprocess.json label.classes */
    tfg_split raw;
    char *host;             /* quantize/test_output.bin */
    size_t n, out_bytes;
    bool sandbox;
    char sandbox_note[200];
    tfg_buf log;
    unsigned char to[256];  /* pass 2: class k's score goes to class to[k] */
    size_t *order;          /* pass 2: the rows in the order they are sent */
    tfg_sketch_class cls;   /* the verdict so far */
    char why[1024];
} ck;

const char *tfg_sketch_class_name(tfg_sketch_class c)
{
    switch (c) {
    case TFG_SKETCH_PASSED: return "passed";
    case TFG_SKETCH_COMPILE_ERROR: return "compile error";
    case TFG_SKETCH_ML_MISUSE: return "embedded-ML misuse";
    case TFG_SKETCH_SILENT_FAILURE: return "silent failure";
    case TFG_SKETCH_UNSAFE_OUTPUT: return "unsafe output";
    case TFG_SKETCH_BUDGET_EXCEEDED: return "budget exceeded";
    }
    return "unknown";
}

static void reject(ck *c, tfg_sketch_class cls, const char *fmt, ...) TFG_PRINTF(3, 4);
static void reject(ck *c, tfg_sketch_class cls, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->why, sizeof c->why, fmt, ap);
    va_end(ap);
    c->cls = cls;
}

/* ---- what the run directory gives ------------------------------------------------------ */

static tfg_status load_run(ck *c, tfg_err *err)
{
    const char *out = c->o->out;
    c->build = tfg_rundir_stage(out, TFG_STAGE_BUILD);
    char *pp = tfg_rundir_path(out, TFG_ART_DATA_PREPROCESS);
    char *raw = tfg_rundir_path(out, TFG_ART_DATA_TEST_RAW);
    char *host = tfg_rundir_path(out, TFG_ART_QUANTIZE_TEST_OUTPUT);
    char *model_h = tfg_path_join(c->build, "model.h");
    tfg_status st = TFG_OK;
    if (!tfg_exists(model_h))
        st = tfg_err_set(err, TFG_EINPUT, "%s: no generated model; run `tinyforge build` "
                         "first", model_h);
    if (!st)
        st = tfg_json_load_file(pp, &c->pp, err);
    if (!st) {
        c->classes = json_object_get(json_object_get(c->pp, "label"), "classes");
        if (json_array_size(c->classes) < 2)
            st = tfg_err_set(err, TFG_EUSAGE, "%s: the sketch check needs a classification "
                             "model (class names); this spec has none", pp);
    }
    if (!st && !tfg_exists(raw))
        st = tfg_err_set(err, TFG_EINPUT, "%s: no raw test readings for the sketch to read "
                         "(a window plan has none; a run directory from an older tinyforge: "
                         "run `tinyforge data --force`)", raw);
    if (!st)
        st = tfg_split_read_raw(raw, &c->raw, err);
    size_t host_len = 0;
    if (!st)
        st = tfg_read_file(host, SIZE_MAX, &c->host, &host_len, err);
    if (!st) {
        c->out_bytes = json_array_size(c->classes);
        c->n = c->raw.rows;
        if (c->o->max_samples && c->o->max_samples < c->n)
            c->n = c->o->max_samples;
        if (host_len != (size_t)c->raw.rows * c->out_bytes)
            st = tfg_err_set(err, TFG_EINPUT, "%s holds %zu bytes; %u test rows of %zu classes "
                             "need %zu: the data and quantize stages are out of step (run "
                             "them again)", host, host_len, c->raw.rows, c->out_bytes,
                             (size_t)c->raw.rows * c->out_bytes);
    }
    free(pp);
    free(raw);
    free(host);
    free(model_h);
    return st;
}

/* Class printed for sample i of a pass: argmax (first maximum) of the host's row,
 * its classes permuted on pass 2. */
static size_t expected(const ck *c, size_t i, bool rotated)
{
    const int8_t *row = (const int8_t *)c->host + i * c->out_bytes;
    size_t k = c->out_bytes, best = 0;
    int8_t v[256];
    for (size_t j = 0; j < k && j < sizeof v; j++)
        v[rotated ? c->to[j] : j] = row[j];
    for (size_t j = 1; j < k; j++)
        if (v[j] > v[best])
            best = j;
    return best;
}

static const char *class_name(const ck *c, size_t k)
{
    return json_string_value(json_array_get(c->classes, k));
}

/* ---- building with tinyforge's toolchain (target.h tfg_fw_build) ----------------------- */

tfg_status tfg_sketch_include_dir(const char *runtime, const char *build, const tfg_spec *s,
                                  const json_t *pp, const char *inc, tfg_err *err)
{
    tfg_status st = tfg_mkdirs(inc, err);
    static const char *const from_build[] = {"model.h", "preprocess.h", "tfg_runtime.h", NULL};
    static const char *const from_shim[] = {"Arduino.h", "tfg_sensor.h", NULL};
    for (int i = 0; !st && from_build[i]; i++) {
        char *a = tfg_path_join(build, from_build[i]), *b = tfg_path_join(inc, from_build[i]);
        if (tfg_exists(a))
            st = tfg_copy_file(a, b, TFG_SKETCH_COPY_MAX, err);
        free(a);
        free(b);
    }
    for (int i = 0; !st && from_shim[i]; i++) {
        char *a = tfg_xasprintf("%s/arduino/%s", runtime, from_shim[i]);
        char *b = tfg_path_join(inc, from_shim[i]);
        st = tfg_copy_file(a, b, TFG_SKETCH_COPY_MAX, err);
        free(a);
        free(b);
    }
    if (!st) {
        char *pre = tfg_path_join(build, "preprocess.h");
        char *text = tfg_sketch_lib_header(s, pp, tfg_exists(pre));
        char *lib = tfg_sketch_lib_name(s);
        char *p = tfg_path_join(inc, lib);
        st = tfg_write_atomic(p, text, strlen(text), err);
        free(pre);
        free(text);
        free(lib);
        free(p);
    }
    return st;
}

/* A build's verdict: a refused compile or link is a compile error, firmware over the
 * board the budget exceeded; the sketch is rejected (TFG_OK with c->cls set). */
static tfg_status build_verdict(ck *c, tfg_status st, bool refused, const tfg_err *e,
                                tfg_err *err)
{
    if (st == TFG_ECHECK)
        reject(c, TFG_SKETCH_BUDGET_EXCEEDED, "%s", e->msg);
    else if (st && refused)
        reject(c, TFG_SKETCH_COMPILE_ERROR, "%s", e->msg);
    else if (st)
        *err = *e;
    return st == TFG_ECHECK || refused ? TFG_OK : st;
}

static void record_size(json_t *pass, const tfg_fw_info *info)
{
    json_object_set_new(pass, "flash_bytes", json_integer((json_int_t)info->flash_used));
    json_object_set_new(pass, "ram_bytes", json_integer((json_int_t)info->ram_used));
}

/* Pass 1 is the application as it ships, held to the board by the one fit rule; pass
 * 2's rotation wrapper is test equipment, held to the stand-in's memory only. */
static tfg_status build_own(ck *c, const char *dir, bool rotated, json_t *pass,
                            tfg_err *err)
{
    char *inc = tfg_path_join(dir, "include");
    tfg_status st = tfg_sketch_include_dir(c->runtime, c->build, c->s, c->pp, inc, err);
    tfg_fw_info info;
    memset(&info, 0, sizeof info);
    if (!st) {
        tfg_fw_build_opts bo = {.target = &c->t, .model_dir = c->build, .out_dir = dir,
                                .link = TFG_FW_LINK_UART, .program = TFG_FW_PROGRAM_SKETCH,
                                .sketch_source = c->o->source, .sketch_name = c->name,
                                .sketch_include = inc, .sketch_rotated = rotated,
                                .perturb_dir = dir,
                                .test_build = rotated, .what = "the sketch's firmware"};
        tfg_err e;
        st = tfg_fw_build(&bo, &info, &e);
        st = build_verdict(c, st, info.refused, &e, err);
        if (!st && !c->cls)
            record_size(pass, &info);
    }
    tfg_fw_info_free(&info);
    free(inc);
    return st;
}

tfg_status tfg_sketch_size_builtin(const tfg_spec *s, const char *out, const tfg_target *t,
                                   const char *work_dir, tfg_fw_info *info, tfg_err *err)
{
    memset(info, 0, sizeof *info);
    char *src = NULL, *runtime = tfg_target_runtime_dir();
    char *build = tfg_rundir_stage(out, TFG_STAGE_BUILD);
    char *inc = tfg_path_join(work_dir, "include"), *ino = tfg_xasprintf("%s.ino", s->name);
    char *pp_path = tfg_rundir_path(out, TFG_ART_DATA_PREPROCESS);
    json_t *pp = NULL;
    tfg_status st = tfg_sketch_builtin(s, out, &src, err);
    if (st) { /* no builtin sketch for this run: nothing to size */
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        st = tfg_err_set(err, TFG_EUSAGE, "no builtin sketch: %s", why);
    }
    if (!st)
        st = tfg_json_load_file(pp_path, &pp, err);
    if (!st)
        st = tfg_sketch_include_dir(runtime, build, s, pp, inc, err);
    if (!st) {
        tfg_fw_build_opts bo = {.target = t, .model_dir = build, .out_dir = work_dir,
                                .link = TFG_FW_LINK_UART, .program = TFG_FW_PROGRAM_SKETCH,
                                .sketch_source = src, .sketch_name = ino,
                                .sketch_include = inc,
                                .what = "the firmware with the application sketch"};
        st = tfg_fw_build(&bo, info, err);
    }
    json_decref(pp);
    free(pp_path);
    free(src);
    free(runtime);
    free(build);
    free(inc);
    free(ino);
    return st;
}

/* ---- building with arduino-builder (the exported library, AVR) --------------------------- */

/* The ELF arduino-builder made, sized by the one rule (no model object: its parts are
 * code and data). */
static tfg_status fit_elf(ck *c, const char *elf, json_t *pass, tfg_err *err)
{
    const char *argv[] = {"avr-size", "-A", elf, NULL};
    tfg_tool_opts to = {.argv = argv, .log = &c->log, .missing_hint = "Debian package gcc-avr"};
    tfg_tool_result tr;
    tfg_err e;
    tfg_status st = tfg_tool_run(&to, &tr, &e);
    if (!st) {
        tfg_fw_sections fw;
        tfg_fw_sections_parse(tr.out, &fw);
        tfg_fw_info info;
        memset(&info, 0, sizeof info);
        tfg_fw_measure(&c->t, &fw, NULL, &info);
        record_size(pass, &info);
        st = tfg_fw_fit(&c->t, &info, "the sketch's firmware", &e);
    }
    tfg_tool_result_free(&tr);
    return build_verdict(c, st, tr.refused, &e, err);
}

static tfg_status build_arduino(ck *c, const char *dir, const char *elf, json_t *pass,
                                tfg_err *err)
{
    const char *name = c->s->name;
    char *sk_dir = tfg_xasprintf("%s/%s", dir, name);
    char *ino = tfg_xasprintf("%s/%s.ino", sk_dir, name);
    char *bp = tfg_path_join(dir, "arduino-build");
    tfg_status st = tfg_mkdirs(sk_dir, err);
    if (!st) st = tfg_mkdirs(bp, err);
    if (!st) st = tfg_write_atomic(ino, c->o->source, strlen(c->o->source), err);
    tfg_argv a = {0};
    tfg_argv_add(&a, "arduino-builder");
    static const char *const fixed[] = {
        "-compile", "-hardware", "/usr/share/arduino/hardware", "-hardware",
        "/usr/share/arduino-builder", "-tools", "/usr/share/arduino-builder", "-fqbn",
        "arduino:avr:uno", "-prefs=compiler.cpp.extra_flags=-DDECIMAL_DIG=9",
        "-prefs=compiler.warning_flags=-Wall -Wextra -Werror", NULL};
    for (int i = 0; fixed[i]; i++)
        tfg_argv_add(&a, fixed[i]);
    tfg_argv_add(&a, "-libraries");
    tfg_argv_add(&a, c->o->library_dir);
    tfg_argv_add(&a, "-build-path");
    tfg_argv_add(&a, bp);
    tfg_argv_add(&a, ino);
    if (!st) {
        tfg_tool_opts to = {.argv = a.v, .log = &c->log,
                            .missing_hint = "Debian package arduino-builder"};
        tfg_tool_result tr;
        tfg_err e;
        st = tfg_tool_run(&to, &tr, &e);
        st = build_verdict(c, st, tr.refused, &e, err);
        tfg_tool_result_free(&tr);
    }
    tfg_argv_free(&a);
    if (!st && !c->cls) {
        char *built = tfg_xasprintf("%s/%s.ino.elf", bp, name);
        st = tfg_copy_file(built, elf, TFG_SKETCH_COPY_MAX, err);
        free(built);
    }
    if (!st && !c->cls)
        st = fit_elf(c, elf, pass, err);
    free(sk_dir);
    free(ino);
    free(bp);
    return st;
}

/* ---- running (target.h tfg_fw_run, lines mode) --------------------------------------------- */

/* Pass 2's secrets: a permutation of the classes that moves every class (for two or
 * more) and an order of the rows other than the given one (for two or more), from a
 * seed the system's random source gives; tfg_perturb_perm.h in dir for the firmware. */
static tfg_status draw_perturbation(ck *c, const char *dir, tfg_err *err)
{
    uint64_t seed = 0;
    if (getentropy(&seed, sizeof seed) != 0)
        return tfg_err_set(err, TFG_EIO, "no random source for the sketch check's second "
                           "pass (getentropy failed)");
    tfg_rng r;
    tfg_rng_seed(&r, seed);
    /* a draw that leaves every class in place, or the rows in the given order, again */
    size_t k = c->out_bytes, to[sizeof c->to];
    if (k > sizeof c->to)
        return tfg_err_set(err, TFG_EINPUT, "the sketch check handles at most %zu classes, "
                           "the model has %zu", sizeof c->to, k);
    for (bool moved = false; !moved;) {
        for (size_t j = 0; j < k; j++)
            to[j] = j;
        tfg_rng_shuffle(&r, to, k);
        moved = true;
        for (size_t j = 0; j < k && k > 1; j++)
            moved = moved && to[j] != j;
    }
    for (size_t j = 0; j < k; j++)
        c->to[j] = (unsigned char)to[j];
    free(c->order);
    c->order = tfg_xmalloc((c->n ? c->n : 1) * sizeof *c->order);
    for (bool other = c->n < 2; ;) {
        for (size_t i = 0; i < c->n; i++)
            c->order[i] = i;
        tfg_rng_shuffle(&r, c->order, c->n);
        for (size_t i = 0; i < c->n && !other; i++)
            other = c->order[i] != i;
        if (other)
            break;
    }
    tfg_buf h;
    tfg_buf_init(&h);
    tfg_buf_printf(&h, "/* written by the sketch check for one second pass */\n"
                   "static const unsigned char tfg_perturb_to[%zu] = {", k);
    for (size_t j = 0; j < k; j++)
        tfg_buf_printf(&h, "%s%u", j ? ", " : "", (unsigned)c->to[j]);
    tfg_buf_printf(&h, "};\n");
    char *path = tfg_path_join(dir, "tfg_perturb_perm.h");
    tfg_status st = tfg_write_atomic(path, h.data, h.len, err);
    free(path);
    tfg_buf_free(&h);
    return st;
}

/* Every reading's raw values as little-endian floats, one sample after another, in
 * pass 2's order on pass 2: the request frames tfg_fw_run sends. */
static uint8_t *readings(const ck *c, bool reversed)
{
    size_t vals = c->raw.features;
    uint8_t *p = tfg_xcalloc(c->n ? c->n : 1, 4 * vals);
    for (size_t i = 0; i < c->n; i++) {
        size_t row = reversed ? c->order[i] : i;
        for (size_t k = 0; k < vals; k++) {
            uint32_t bits;
            memcpy(&bits, &c->raw.x[row * vals + k], 4);
            for (int j = 0; j < 4; j++)
                p[(i * vals + k) * 4 + (size_t)j] = (uint8_t)(bits >> (8 * j));
        }
    }
    return p;
}

static tfg_status launch(ck *c, const char *elf, bool reversed, tfg_fw_run_result *r,
                         tfg_err *err)
{
    uint8_t *in = readings(c, reversed);
    tfg_fw_run_opts ro = {.target = &c->t, .elf = elf, .link = TFG_FW_LINK_UART,
                          .inputs = (const int8_t *)in, .n = c->n,
                          .input_bytes = 4 * c->raw.features, .timeout_s = c->o->timeout_s,
                          .lines = true, .sandbox = c->sandbox};
    tfg_status st = tfg_fw_run(&ro, r, err);
    free(in);
    return st;
}


/* ---- judging what it printed ------------------------------------------------------------- */

/* The class a line ends in ("apple", "prediction: apple"), longest name first; -1. */
static int line_class(const ck *c, const char *line, size_t len)
{
    int best = -1;
    size_t best_len = 0;
    for (size_t k = 0; k < json_array_size(c->classes); k++) {
        const char *name = class_name(c, k);
        size_t n = strlen(name);
        if (n > len || n <= best_len || strncmp(line + len - n, name, n))
            continue;
        char before = len > n ? line[len - n - 1] : ' ';
        if (before == ' ' || before == ':' || before == '=' || before == '\t' || len == n) {
            best = (int)k;
            best_len = n;
        }
    }
    return best;
}

typedef struct {
    int *pred;      /* per printed prediction */
    size_t n_pred;
    bool ended;     /* "#tfg-end" seen */
    char shim[300]; /* a "#tfg-error"/"#tfg-fault" line */
} printed;

static void parse_output(const ck *c, const char *out, size_t len, printed *p)
{
    memset(p, 0, sizeof *p);
    p->pred = tfg_xcalloc(c->n + 2, sizeof *p->pred);
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && out[e] != '\n')
            e++;
        size_t l = e;
        while (l > i && (out[l - 1] == '\r' || out[l - 1] == ' '))
            l--;
        const char *line = out + i;
        size_t n = l - i;
        if (n >= 8 && !strncmp(line, "#tfg-end", 8))
            p->ended = true;
        else if (n >= 5 && !strncmp(line, "#tfg-", 5) && !p->shim[0])
            snprintf(p->shim, sizeof p->shim, "%.*s", (int)(n > 290 ? 290 : n), line);
        else if (n && line[0] != '#') {
            int k = line_class(c, line, n);
            if (k >= 0) {
                if (p->n_pred < c->n + 1)
                    p->pred[p->n_pred] = k;
                p->n_pred++;
            }
        }
        i = e + 1;
    }
}

/* Used for the misuse hint: a sketch that feeds the int8 model unquantized values. */
static bool quantizes(const char *src)
{
    return strstr(src, "tfg_rt_quantize_f32_s8") || strstr(src, "TFG_MODEL_INPUT_SCALE") ||
           strstr(src, "tfg_model_invoke_f32");
}

static void judge(ck *c, const tfg_fw_run_result *r, bool rotated, json_t *pass)
{
    printed p;
    parse_output(c, r->text ? r->text : "", r->text_len, &p);
    const char *what = rotated ? "on the second run (model output classes permuted, "
                                 "samples in another order) "
                               : "";
    json_object_set_new(pass, "predictions", json_integer((json_int_t)p.n_pred));
    if (!strncmp(p.shim, "#tfg-fault", 10)) {
        reject(c, TFG_SKETCH_UNSAFE_OUTPUT, "the sketch crashed on the device %s(%s): a "
               "memory fault or a buffer overrun", what, p.shim + 5);
    } else if (!strncmp(p.shim, "#tfg-error sensor", 17)) {
        reject(c, TFG_SKETCH_ML_MISUSE, "the sketch misused the sensor %s(%s)", what,
               p.shim + 11);
    } else if (r->timed_out && r->idle) {
        reject(c, TFG_SKETCH_UNSAFE_OUTPUT, "the sketch printed nothing %sfor %.0f s and did "
               "not finish (an infinite loop or a blocking wait?): %zu predictions printed "
               "for %zu readings", what, TFG_FW_IDLE_S, p.n_pred, c->n);
    } else if (r->timed_out) {
        reject(c, TFG_SKETCH_UNSAFE_OUTPUT, "the sketch did not finish %swithin the time limit "
               "(an infinite loop or a blocking wait?): %zu predictions printed for %zu "
               "readings", what, p.n_pred, c->n);
    } else if (!p.ended) {
        reject(c, TFG_SKETCH_SILENT_FAILURE, "the firmware stopped %sbefore reading every "
               "sample (%zu predictions printed for %zu readings)", what, p.n_pred, c->n);
    } else if (p.n_pred != c->n) {
        reject(c, TFG_SKETCH_SILENT_FAILURE, "missing or extra output %s: %zu prediction lines "
               "for %zu readings; print exactly one line ending in the class name per reading",
               what, p.n_pred, c->n);
    } else {
        size_t bad = c->n, agree = 0;
        bool constant = true;
        for (size_t i = 0; i < c->n; i++) {
            size_t row = rotated ? c->order[i] : i;
            bool ok = (size_t)p.pred[i] == expected(c, row, rotated);
            agree += ok;
            if (!ok && bad == c->n)
                bad = i;
            constant = constant && p.pred[i] == p.pred[0];
        }
        json_object_set_new(pass, "matches", json_integer((json_int_t)agree));
        if (bad < c->n) {
            size_t row = rotated ? c->order[bad] : bad;
            const char *said = class_name(c, (size_t)p.pred[bad]);
            const char *want = class_name(c, expected(c, row, rotated));
            if (constant)
                reject(c, TFG_SKETCH_SILENT_FAILURE, "the sketch prints the constant class "
                       "'%s' %s(%zu of %zu agree with the model)", said, what, agree, c->n);
            else if (rotated)
                reject(c, TFG_SKETCH_SILENT_FAILURE, "the predictions do not follow the model "
                       "%s: reading %zu printed '%s', the model says '%s' (%zu of %zu agree); "
                       "the sketch prints a table or classifies without calling the model",
                       what, bad, said, want, agree, c->n);
            else if (!quantizes(c->o->source))
                reject(c, TFG_SKETCH_ML_MISUSE, "reading %zu printed '%s', the model says '%s' "
                       "(%zu of %zu agree): the sketch gives the int8 model unquantized input "
                       "(use tfg_rt_quantize_f32_s8 with TFG_MODEL_INPUT_SCALE and "
                       "TFG_MODEL_INPUT_ZERO_POINT)", bad, said, want, agree, c->n);
            else
                reject(c, TFG_SKETCH_SILENT_FAILURE, "wrong prediction: reading %zu printed "
                       "'%s', the host int8 model predicts '%s' (%zu of %zu agree)", bad, said,
                       want, agree, c->n);
        }
    }
    free(p.pred);
}

/* One pass: build, run, judge. Stops at the first rejection (c->cls). */
static tfg_status pass(ck *c, bool rotated, json_t *passes, tfg_err *err)
{
    char *dir = tfg_xasprintf("%s/%s", c->o->work_dir, rotated ? "pass2" : "pass1");
    char *elf = tfg_path_join(dir, "firmware.elf");
    json_t *pj = json_pack("{s:s,s:b}", "order", rotated ? "random" : "in order",
                           "model_outputs_permuted", rotated);
    json_array_append_new(passes, pj);
    tfg_status st = tfg_mkdirs(dir, err);
    if (!st && rotated)
        st = draw_perturbation(c, dir, err);
    if (!st)
        st = c->o->arduino_builder && !rotated ? build_arduino(c, dir, elf, pj, err)
                                               : build_own(c, dir, rotated, pj, err);
    if (!st && !c->cls) {
        tfg_fw_run_result r;
        st = launch(c, elf, rotated, &r, err);
        if (!st) {
            json_object_set_new(pj, "seconds", json_real(r.seconds));
            judge(c, &r, rotated, pj);
            char *log = tfg_path_join(dir, "uart.log");
            tfg_err e2;
            tfg_write_atomic(log, r.text ? r.text : "", r.text_len, &e2); /* for a person */
            free(log);
        }
        tfg_fw_run_result_free(&r);
    }
    if (c->log.len && tfg_is_dir(dir)) {
        char *log = tfg_path_join(dir, "build.log");
        tfg_err e2;
        tfg_write_atomic(log, c->log.data, c->log.len, &e2);
        free(log);
        c->log.len = 0;
    }
    free(dir);
    free(elf);
    return st;
}

static tfg_status check(ck *c, tfg_sketch_check_result *r, tfg_err *err)
{
    const tfg_board *b = c->o->board ? c->o->board : &c->s->board;
    tfg_status st = tfg_target_for_board(b, &c->t, err);
    if (st)
        return st;
    if (c->o->arduino_builder && (c->t.emu != TFG_EMU_SIMAVR || !c->o->library_dir))
        return tfg_err_set(err, TFG_EUSAGE, "arduino-builder builds for the Uno (an AVR board) "
                           "from the exported library folder");
    st = load_run(c, err);
    if (st)
        return st;
    c->sandbox = !c->o->no_sandbox && tfg_fw_sandbox_works(c->sandbox_note, sizeof c->sandbox_note);
    if (c->o->no_sandbox)
        snprintf(c->sandbox_note, sizeof c->sandbox_note, "none: switched off by the caller");
    json_t *rep = r->report;
    json_object_set_new(rep, "board", json_string(c->t.board_id));
    json_object_set_new(rep, "machine", json_string(c->t.machine));
    json_object_set_new(rep, "builder", json_string(c->o->arduino_builder ? "arduino-builder"
                                                                          : "tinyforge"));
    json_object_set_new(rep, "sandbox", json_string(c->sandbox_note));
    json_object_set_new(rep, "samples", json_integer((json_int_t)c->n));
    json_t *passes = json_array();
    json_object_set_new(rep, "passes", passes);
    char why[1024];
    c->cls = tfg_sketch_scan(c->o->source, c->name, c->lib_header, why, sizeof why);
    if (c->cls)
        snprintf(c->why, sizeof c->why, "%s", why);
    if (!c->cls)
        st = pass(c, false, passes, err);
    if (!st && !c->cls)
        st = pass(c, true, passes, err);
    return st;
}

tfg_status tfg_sketch_check(const tfg_spec *s, const tfg_sketch_check_opts *o,
                            tfg_sketch_check_result *r, tfg_err *err)
{
    memset(r, 0, sizeof *r);
    r->report = json_object();
    if (!s || !o || !o->out || !o->source || !o->work_dir)
        return tfg_err_set(err, TFG_EUSAGE, "tfg_sketch_check needs a spec, a run directory, "
                           "the source and a work directory");
    ck c = {.s = s, .o = o, .name = o->source_name ? o->source_name : "sketch.ino"};
    c.runtime = tfg_target_runtime_dir();
    c.lib_header = tfg_sketch_lib_name(s);
    tfg_buf_init(&c.log);
    tfg_progress_update(o->progress, "sketch: checking", 0, 0);
    tfg_status st = check(&c, r, err);
    if (!st && c.cls) {
        r->failure = c.cls;
        st = tfg_err_set(err, TFG_ECHECK, "%s: %s", tfg_sketch_class_name(c.cls), c.why);
    }
    json_object_set_new(r->report, "result", json_string(st == TFG_OK ? "passed"
                                                         : c.cls ? tfg_sketch_class_name(c.cls)
                                                                 : "not checked"));
    if (st)
        json_object_set_new(r->report, "error", json_string(err->msg));
    tfg_progress_finish(o->progress);
    tfg_buf_free(&c.log);
    free(c.runtime);
    free(c.lib_header);
    free(c.build);
    free(c.host);
    free(c.order);
    json_decref(c.pp);
    tfg_split_free(&c.raw);
    if (c.t.board_id)
        tfg_target_free(&c.t);
    return st;
}

void tfg_sketch_check_result_free(tfg_sketch_check_result *r)
{
    json_decref(r->report);
    memset(r, 0, sizeof *r);
}
