/* sketch_check.c — the sketch validator's dynamic half: build the sketch into firmware
 * for the board's emulated stand-in, run it there on every test sample's raw reading,
 * and compare what it prints with the host int8 predictions.
 *
 * Two runs. Pass 1: the samples in order, the model as built; every printed class must
 * be the argmax (first maximum) of quantize/test_output.bin's row. Pass 2: the samples in
 * reverse order and the model's outputs rotated by one class (runtime/arduino/
 * tfg_perturb.c); the sketch must now print the rotated argmax of each reversed row.
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
#include <unistd.h>

#include "board/tfg_link.h"
#include "core/alloc.h"
#include "core/io.h"
#include "core/json.h"
#include "core/proc.h"
#include "data/splitfile.h"
#include "target/sketch_internal.h"
#include "target/target_internal.h"
#include "spec/rundir.h"

#define AVR_STACK_BYTES 256u

typedef struct {
    const tfg_spec *s;
    const tfg_sketch_check_opts *o;
    const char *name;       /* the source's name for messages */
    tfg_target t;
    const tfg_machine *m;
    char *build, *runtime, *lib_header;
    json_t *pp;
    const json_t *classes;  /* preprocess.json label.classes */
    tfg_split raw;
    char *host;             /* quantize/test_output.bin */
    size_t n, out_bytes;
    bool sandbox;
    char sandbox_note[200];
    tfg_buf log;
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
 * rotated by one class on pass 2. */
static size_t expected(const ck *c, size_t i, bool rotated)
{
    const int8_t *row = (const int8_t *)c->host + i * c->out_bytes;
    size_t k = c->out_bytes, best = 0;
    int8_t v[256];
    for (size_t j = 0; j < k && j < sizeof v; j++)
        v[rotated ? (j + 1) % k : j] = row[j];
    for (size_t j = 1; j < k; j++)
        if (v[j] > v[best])
            best = j;
    return best;
}

static const char *class_name(const ck *c, size_t k)
{
    return json_string_value(json_array_get(c->classes, k));
}

/* ---- tools ------------------------------------------------------------------------------ */

/* Runs a compiler; on its failure the sketch is rejected with cls (returns TFG_OK with
 * c->cls set). TFG_EPROC only when the tool itself is missing or hangs. */
static tfg_status tool(ck *c, const char *const *argv, tfg_sketch_class cls, char **out,
                       tfg_err *err)
{
    if (!tfg_target_on_path(argv[0]))
        return tfg_err_set(err, TFG_EPROC, "%s not found on PATH; it builds the sketch for the "
                           "%s", argv[0], c->t.board_name);
    for (int i = 0; argv[i]; i++)
        tfg_buf_printf(&c->log, "%s%s", i ? " " : "$ ", argv[i]);
    tfg_buf_putc(&c->log, '\n');
    tfg_proc_opts po = {.argv = argv, .timeout_s = 120};
    tfg_proc_result r;
    tfg_status st = tfg_proc_run(&po, &r, err);
    if (st == TFG_ETIMEOUT)
        tfg_err_set(err, TFG_ETIMEOUT, "%s did not finish within 120 s", argv[0]);
    if (st) {
        tfg_proc_result_free(&r);
        return st;
    }
    tfg_buf_append(&c->log, r.errout, r.err_len);
    tfg_buf_append(&c->log, r.out, r.out_len);
    if (!r.exited || r.exit_code != 0) {
        char *first = tfg_tool_first_errors(r.err_len ? r.errout : r.out);
        reject(c, cls, "%s", first);
        free(first);
    } else if (out) {
        *out = r.out;
        r.out = NULL;
    }
    tfg_proc_result_free(&r);
    return TFG_OK;
}

/* ---- building with tinyforge's toolchain ------------------------------------------------- */

static bool avr(const ck *c)
{
    return c->t.emu == TFG_EMU_SIMAVR;
}

static void cpu_flags(ck *c, tfg_argv *a)
{
    for (size_t i = 0; c->t.cflags[i]; i++)
        tfg_argv_add(a, c->t.cflags[i]);
    tfg_argv_add(a, avr(c) ? "-Os" : "-O2");
    tfg_argv_add(a, "-ffunction-sections");
    tfg_argv_add(a, "-fdata-sections");
}

/* The sketch's include folder: the project's headers and nothing else. */
static tfg_status make_inc(ck *c, const char *inc, tfg_err *err)
{
    tfg_status st = tfg_mkdirs(inc, err);
    static const char *const from_build[] = {"model.h", "preprocess.h", "tfg_runtime.h", NULL};
    static const char *const from_shim[] = {"Arduino.h", "tfg_sensor.h", NULL};
    for (int i = 0; !st && from_build[i]; i++) {
        char *a = tfg_path_join(c->build, from_build[i]), *b = tfg_path_join(inc, from_build[i]);
        if (tfg_exists(a))
            st = tfg_copy_file(a, b, TFG_SKETCH_COPY_MAX, err);
        free(a);
        free(b);
    }
    for (int i = 0; !st && from_shim[i]; i++) {
        char *a = tfg_xasprintf("%s/arduino/%s", c->runtime, from_shim[i]);
        char *b = tfg_path_join(inc, from_shim[i]);
        st = tfg_copy_file(a, b, TFG_SKETCH_COPY_MAX, err);
        free(a);
        free(b);
    }
    if (!st) {
        char *pre = tfg_path_join(c->build, "preprocess.h");
        char *text = tfg_sketch_lib_header(c->s, c->pp, tfg_exists(pre));
        char *p = tfg_path_join(inc, c->lib_header);
        st = tfg_write_atomic(p, text, strlen(text), err);
        free(pre);
        free(text);
        free(p);
    }
    return st;
}

/* The Cortex-M start-up code runs no C++ static constructors (the linker script has no
 * .init_array): a global object that needs one would silently stay unconstructed. */
static tfg_status no_constructors(ck *c, const char *dir, tfg_err *err)
{
    char *obj = tfg_path_join(dir, "sketch.o"), *out = NULL;
    const char *argv[] = {"arm-none-eabi-size", "-A", obj, NULL};
    tfg_status st = tool(c, argv, TFG_SKETCH_COMPILE_ERROR, &out, err);
    if (!st && !c->cls && out && strstr(out, ".init_array"))
        reject(c, TFG_SKETCH_COMPILE_ERROR, "%s: a global object needs a constructor at start-up, "
               "which the board's start-up code does not run; make it a plain global or a "
               "static local", c->name);
    free(out);
    free(obj);
    return st;
}

static tfg_status compile_sketch(ck *c, const char *dir, const char *inc, tfg_err *err)
{
    char *cpp = tfg_path_join(dir, "sketch.cpp");
    char *text = tfg_xasprintf("#include <Arduino.h>\n#line 1 \"%s\"\n%s\n", c->name,
                               c->o->source);
    tfg_status st = tfg_write_atomic(cpp, text, strlen(text), err);
    free(text);
    tfg_argv a = {0};
    tfg_argv_add(&a, avr(c) ? "avr-g++" : "arm-none-eabi-g++");
    cpu_flags(c, &a);
    static const char *const cxx[] = {"-std=gnu++11", "-fno-exceptions", "-fno-rtti",
                                      "-fno-threadsafe-statics", "-fno-use-cxa-atexit", "-Wall",
                                      "-Wextra", "-Werror", NULL};
    for (int i = 0; cxx[i]; i++)
        tfg_argv_add(&a, cxx[i]);
    if (!avr(c))
        tfg_argv_add(&a, "-fstack-protector-strong"); /* a smashed stack is named, not obeyed */
    tfg_argv_own(&a, tfg_xasprintf("-I%s", inc));
    tfg_argv_add(&a, "-c");
    tfg_argv_add(&a, cpp);
    tfg_argv_add(&a, "-o");
    tfg_argv_own(&a, tfg_path_join(dir, "sketch.o"));
    if (!st)
        st = tool(c, a.v, TFG_SKETCH_COMPILE_ERROR, NULL, err);
    tfg_argv_free(&a);
    free(cpp);
    if (!st && !c->cls && !avr(c))
        st = no_constructors(c, dir, err);
    return st;
}

static void c_flags(ck *c, tfg_argv *a)
{
    tfg_argv_add(a, avr(c) ? "avr-gcc" : "arm-none-eabi-gcc");
    cpu_flags(c, a);
    tfg_argv_add(a, "-std=c99");
    tfg_argv_add(a, "-DNDEBUG");
    uint64_t per_ms = avr(c) ? c->t.clock_hz / 1000u
                             : (uint64_t)1000000000u / c->t.work_per_tick / 1000u;
    tfg_argv_own(a, tfg_xasprintf("-DTFG_TICKS_PER_MS=%" PRIu64 "UL", per_ms));
    if (avr(c))
        tfg_argv_own(a, tfg_xasprintf("-DF_CPU=%" PRIu64 "UL", c->t.clock_hz));
    if (c->m->define)
        tfg_argv_own(a, tfg_xasprintf("-D%s", c->m->define));
    tfg_argv_own(a, tfg_xasprintf("-I%s", c->build));
    tfg_argv_own(a, tfg_xasprintf("-I%s/arduino", c->runtime));
    tfg_argv_own(a, tfg_xasprintf("-I%s/board", c->runtime));
}

/* model.c alone: on pass 2 its entry points are renamed for tfg_perturb.c's wrappers. */
static tfg_status compile_model(ck *c, const char *dir, bool rotated, tfg_err *err)
{
    tfg_argv a = {0};
    c_flags(c, &a);
    if (rotated) {
        tfg_argv_add(&a, "-Dtfg_model_invoke=tfg_model_invoke_unrotated");
        tfg_argv_add(&a, "-Dtfg_model_invoke_f32=tfg_model_invoke_f32_unrotated");
    }
    tfg_argv_add(&a, "-c");
    tfg_argv_own(&a, tfg_path_join(c->build, "model.c"));
    tfg_argv_add(&a, "-o");
    tfg_argv_own(&a, tfg_path_join(dir, "model.o"));
    tfg_status st = tool(c, a.v, TFG_SKETCH_COMPILE_ERROR, NULL, err);
    tfg_argv_free(&a);
    return st;
}

static tfg_status add_c_files(tfg_argv *a, const char *dir, const char *skip, tfg_err *err)
{
    char **names;
    size_t n;
    tfg_status st = tfg_list_files(dir, ".c", &names, &n, err);
    for (size_t i = 0; !st && i < n; i++)
        if (!skip || strcmp(names[i], skip))
            tfg_argv_own(a, tfg_path_join(dir, names[i]));
    if (!st)
        tfg_strv_free(names);
    return st;
}

static tfg_status link_fw(ck *c, const char *dir, bool rotated, const char *elf, tfg_err *err)
{
    tfg_argv a = {0};
    c_flags(c, &a);
    tfg_argv_own(&a, tfg_path_join(dir, "sketch.o"));
    tfg_argv_own(&a, tfg_path_join(dir, "model.o"));
    tfg_status st = add_c_files(&a, c->build, "model.c", err);
    char *bsp = tfg_xasprintf("%s/board/%s", c->runtime, c->m->bsp);
    if (!st)
        st = add_c_files(&a, bsp, NULL, err);
    tfg_argv_own(&a, tfg_xasprintf("%s/arduino/tfg_arduino.c", c->runtime));
    tfg_argv_own(&a, tfg_xasprintf("%s/arduino/tfg_sensor.c", c->runtime));
    if (rotated)
        tfg_argv_own(&a, tfg_xasprintf("%s/arduino/tfg_perturb.c", c->runtime));
    if (!avr(c)) {
        tfg_argv_add(&a, "-nostartfiles");
        tfg_argv_add(&a, "--specs=nano.specs");
        tfg_argv_own(&a, tfg_xasprintf("-L%s", bsp));
        tfg_argv_own(&a, tfg_xasprintf("-T%s", c->m->ldscript));
    }
    tfg_argv_add(&a, "-Wl,--gc-sections");
    tfg_argv_add(&a, "-o");
    tfg_argv_add(&a, elf);
    if (!st)
        st = tool(c, a.v, TFG_SKETCH_COMPILE_ERROR, NULL, err);
    tfg_argv_free(&a);
    free(bsp);
    return st;
}

/* Flash and RAM of the ELF against the real board: "budget exceeded" when over. */
static tfg_status check_fit(ck *c, const char *elf, json_t *pass, tfg_err *err)
{
    const char *argv[] = {avr(c) ? "avr-size" : "arm-none-eabi-size", "-A", elf, NULL};
    char *out = NULL;
    tfg_status st = tool(c, argv, TFG_SKETCH_COMPILE_ERROR, &out, err);
    if (st || c->cls)
        return st;
    uint64_t flash = 0, ram = avr(c) ? AVR_STACK_BYTES : 0;
    for (char *save = NULL, *line = strtok_r(out, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char name[128];
        unsigned long long bytes;
        if (sscanf(line, "%127s %llu", name, &bytes) != 2 || name[0] != '.')
            continue;
        bool data = !strncmp(name, ".data", 5);
        if (!strncmp(name, ".text", 5) || !strncmp(name, ".rodata", 7) || data ||
            !strncmp(name, ".ARM.exidx", 10) || !strcmp(name, ".init_array"))
            flash += bytes;
        if (data || !strncmp(name, ".bss", 4) || !strcmp(name, ".stack"))
            ram += bytes;
    }
    free(out);
    json_object_set_new(pass, "flash_bytes", json_integer((json_int_t)flash));
    json_object_set_new(pass, "ram_bytes", json_integer((json_int_t)ram));
    if (flash > c->t.flash_limit || ram > c->t.ram_limit)
        reject(c, TFG_SKETCH_BUDGET_EXCEEDED, "the sketch's firmware needs %" PRIu64 " bytes of "
               "flash and %" PRIu64 " of RAM; the %s has %" PRIu64 " and %" PRIu64, flash, ram,
               c->t.board_name, c->t.flash_limit, c->t.ram_limit);
    return TFG_OK;
}

static tfg_status build_own(ck *c, const char *dir, bool rotated, const char *elf,
                            json_t *pass, tfg_err *err)
{
    char *inc = tfg_path_join(dir, "include");
    tfg_status st = make_inc(c, inc, err);
    if (!st)
        st = compile_sketch(c, dir, inc, err);
    if (!st && !c->cls)
        st = compile_model(c, dir, rotated, err);
    if (!st && !c->cls)
        st = link_fw(c, dir, rotated, elf, err);
    if (!st && !c->cls)
        st = check_fit(c, elf, pass, err);
    free(inc);
    return st;
}

/* ---- building with arduino-builder (the exported library, AVR) --------------------------- */

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
    if (!st)
        st = tool(c, a.v, TFG_SKETCH_COMPILE_ERROR, NULL, err);
    tfg_argv_free(&a);
    if (!st && !c->cls) {
        char *built = tfg_xasprintf("%s/%s.ino.elf", bp, name);
        st = tfg_copy_file(built, elf, TFG_SKETCH_COPY_MAX, err);
        free(built);
    }
    if (!st && !c->cls)
        st = check_fit(c, elf, pass, err);
    free(sk_dir);
    free(ino);
    free(bp);
    return st;
}

/* ---- running ------------------------------------------------------------------------------- */

/* Whether bubblewrap can make a sandbox here (it needs user namespaces or root). */
static bool sandbox_works(char *note, size_t n)
{
    if (!tfg_target_on_path("bwrap")) {
        snprintf(note, n, "none: bwrap (Debian package bubblewrap) is not on PATH");
        return false;
    }
    const char *argv[] = {"bwrap", "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent",
                          "--", "/bin/true", NULL};
    tfg_proc_opts po = {.argv = argv, .timeout_s = 10};
    tfg_proc_result r;
    tfg_err e;
    bool ok = tfg_proc_run(&po, &r, &e) == TFG_OK && r.exited && r.exit_code == 0;
    if (ok)
        snprintf(note, n, "bubblewrap: all namespaces unshared (no network), host file system "
                 "read-only, the firmware bound in alone");
    else
        snprintf(note, n, "none: bwrap cannot create a sandbox here (%.120s)",
                 r.errout && *r.errout ? r.errout : "no user namespaces?");
    tfg_proc_result_free(&r);
    return ok;
}

static char *requests(const ck *c, bool reversed, size_t *len)
{
    tfg_buf b;
    tfg_buf_init(&b);
    size_t vals = c->raw.features;
    uint8_t *p = tfg_xmalloc(4 + 4 * vals);
    for (size_t i = 0; i < c->n; i++) {
        size_t row = reversed ? c->n - 1 - i : i;
        for (int j = 0; j < 4; j++)
            p[j] = (uint8_t)(i >> (8 * j));
        for (size_t k = 0; k < vals; k++) {
            uint32_t bits;
            memcpy(&bits, &c->raw.x[row * vals + k], 4);
            for (int j = 0; j < 4; j++)
                p[4 + 4 * k + (size_t)j] = (uint8_t)(bits >> (8 * j));
        }
        tfg_frame_put(&b, TFG_LINK_INPUT, p, (uint16_t)(4 + 4 * vals));
    }
    tfg_frame_put(&b, TFG_LINK_QUIT, NULL, 0);
    free(p);
    *len = b.len;
    return tfg_buf_take(&b);
}

static tfg_status launch(ck *c, const char *elf, const char *req, size_t req_len,
                         tfg_proc_result *r, tfg_err *err)
{
    tfg_argv a = {0};
    char *emu = c->t.emu == TFG_EMU_QEMU ? tfg_xstrdup("qemu-system-arm")
                                         : tfg_target_simavr_runner();
    const char *fw = elf;
    char *bound = NULL;
    if (!tfg_target_on_path(emu)) {
        tfg_status st = tfg_err_set(err, TFG_EPROC, "%s not found; it runs the %s stand-in for "
                                    "the %s", emu, c->t.machine, c->t.board_name);
        free(emu);
        return st;
    }
    if (c->sandbox) {
        static const char *const bw[] = {"bwrap", "--ro-bind", "/", "/", "--dev", "/dev",
                                         "--proc", "/proc", "--tmpfs", "/tmp", "--unshare-all",
                                         "--die-with-parent", "--new-session", NULL};
        for (int i = 0; bw[i]; i++)
            tfg_argv_add(&a, bw[i]);
        tfg_argv_add(&a, "--ro-bind");
        tfg_argv_add(&a, elf);
        tfg_argv_add(&a, "/tmp/firmware.elf");
        fw = "/tmp/firmware.elf";
        if (strchr(emu, '/')) {
            /* a program given by path (the simavr runner of a build tree, which may
             * itself live under /tmp): bound in beside the firmware, so the fresh /tmp
             * does not hide it */
            tfg_argv_add(&a, "--ro-bind");
            tfg_argv_add(&a, emu);
            tfg_argv_add(&a, "/tmp/emulator");
            bound = emu; /* argv points into it until the run is over */
            emu = tfg_xstrdup("/tmp/emulator");
        }
        tfg_argv_add(&a, "--");
    }
    tfg_argv_add(&a, emu);
    char clock[32];
    if (c->t.emu == TFG_EMU_QEMU) {
        static const char *const q[] = {"-display", "none", "-monitor", "none", "-serial",
                                        "stdio", "-icount", "shift=0,align=off,sleep=off",
                                        "-semihosting-config", "enable=off", "-no-reboot",
                                        NULL};
        tfg_argv_add(&a, "-M");
        tfg_argv_add(&a, c->t.machine);
        for (int i = 0; q[i]; i++)
            tfg_argv_add(&a, q[i]);
        tfg_argv_add(&a, "-kernel");
    } else {
        snprintf(clock, sizeof clock, "%" PRIu64, c->t.clock_hz);
        tfg_argv_add(&a, "-m");
        tfg_argv_add(&a, c->t.machine);
        tfg_argv_add(&a, "-f");
        tfg_argv_add(&a, clock);
    }
    tfg_argv_add(&a, fw);
    /* A hang is silence: a sketch prints a line per reading, so a long test set on a slow
     * model (Fashion-MNIST: ~5 readings/s under -icount) keeps talking and only a cap
     * far above the device's own pace bounds the whole run. */
    double timeout = c->o->timeout_s > 0 ? c->o->timeout_s : 20 + 0.5 * (double)c->n;
    tfg_proc_opts po = {.argv = a.v, .stdin_data = req, .stdin_len = req_len,
                        .timeout_s = timeout, .idle_timeout_s = TFG_SKETCH_IDLE_S,
                        .max_output = 1u << 20};
    tfg_status st = tfg_proc_run(&po, r, err);
    if (st == TFG_ETIMEOUT)
        st = TFG_OK; /* r->timed_out: judged below */
    tfg_argv_free(&a);
    free(bound);
    free(emu);
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

static void judge(ck *c, const tfg_proc_result *r, bool rotated, json_t *pass)
{
    printed p;
    parse_output(c, r->out, r->out_len, &p);
    const char *what = rotated ? "on the second run (model outputs rotated by one class, "
                                 "samples reversed) "
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
               "for %zu readings", what, TFG_SKETCH_IDLE_S, p.n_pred, c->n);
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
            size_t row = rotated ? c->n - 1 - i : i;
            bool ok = (size_t)p.pred[i] == expected(c, row, rotated);
            agree += ok;
            if (!ok && bad == c->n)
                bad = i;
            constant = constant && p.pred[i] == p.pred[0];
        }
        json_object_set_new(pass, "matches", json_integer((json_int_t)agree));
        if (bad < c->n) {
            size_t row = rotated ? c->n - 1 - bad : bad;
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
    json_t *pj = json_pack("{s:s,s:b}", "order", rotated ? "reversed" : "in order",
                           "model_outputs_rotated", rotated);
    json_array_append_new(passes, pj);
    tfg_status st = tfg_mkdirs(dir, err);
    if (!st)
        st = c->o->arduino_builder && !rotated ? build_arduino(c, dir, elf, pj, err)
                                               : build_own(c, dir, rotated, elf, pj, err);
    if (!st && !c->cls) {
        size_t len;
        char *req = requests(c, rotated, &len);
        tfg_proc_result r;
        memset(&r, 0, sizeof r);
        st = launch(c, elf, req, len, &r, err);
        if (!st) {
            json_object_set_new(pj, "seconds", json_real(r.seconds));
            judge(c, &r, rotated, pj);
            char *log = tfg_path_join(dir, "uart.log");
            tfg_err e2;
            tfg_write_atomic(log, r.out ? r.out : "", r.out_len, &e2); /* for a person */
            free(log);
        }
        tfg_proc_result_free(&r);
        free(req);
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
    c->m = tfg_machine_find(c->t.emu, c->t.machine);
    if (!c->m)
        return tfg_err_set(err, TFG_EUSAGE, "no board support for machine '%s'", c->t.machine);
    if (c->o->arduino_builder && (!avr(c) || !c->o->library_dir))
        return tfg_err_set(err, TFG_EUSAGE, "arduino-builder builds for the Uno (an AVR board) "
                           "from the exported library folder");
    st = load_run(c, err);
    if (st)
        return st;
    c->sandbox = !c->o->no_sandbox && sandbox_works(c->sandbox_note, sizeof c->sandbox_note);
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
