/* fw_build.c — the one firmware build (target.h tfg_fw_build): the generated model, the
 * runtime kernels, the board support and the program (fw_main.c, or a sketch with the
 * Arduino shim) compiled with one set of flags per board and linked once.
 *
 * The model's own sizes (model.h: weights and arena) are checked against the board
 * before any compiler runs, so a model far too big fails at once with numbers. Then
 * model.c is compiled alone (its object's sections are the weights and the arena,
 * exactly), a sketch is compiled as C++ against its own include folder, everything is
 * linked with the stand-in's linker script, and the linked sections give flash and RAM
 * used, checked by the one fit rule (fw_fit.c). Compiler output goes to build.log; the
 * error names the first compiler errors. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/io.h"
#include "core/json.h"
#include "core/strutil.h"
#include "target/target_internal.h"

typedef struct {
    uint64_t input, output, arena, weights;
} model_facts;

typedef struct {
    const tfg_fw_build_opts *o;
    const tfg_target *t;
    const tfg_machine *m;
    tfg_fw_link link;
    bool sketch;
    char *runtime;          /* runtime/ */
    char *bsp_dir;          /* runtime/board/<bsp> */
    tfg_buf log;
    bool refused;
} build_ctx;

/* ---- model.h ------------------------------------------------------------------------- */

static bool define_value(const char *text, const char *name, uint64_t *v)
{
    char key[96];
    snprintf(key, sizeof key, "#define %s ", name);
    const char *p = strstr(text, key);
    if (!p)
        return false;
    char *end;
    unsigned long long x = strtoull(p + strlen(key), &end, 10);
    if (end == p + strlen(key))
        return false;
    *v = x;
    return true;
}

static tfg_status read_model_facts(const char *dir, model_facts *f, tfg_err *err)
{
    char *path = tfg_path_join(dir, "model.h"), *text;
    size_t len;
    tfg_status st = tfg_read_file(path, 1u << 20, &text, &len, err);
    if (!st) {
        static const char *const names[] = {"TFG_MODEL_INPUT_BYTES", "TFG_MODEL_OUTPUT_BYTES",
                                            "TFG_MODEL_ARENA_BYTES", "TFG_MODEL_FLASH_BYTES"};
        uint64_t *dst[] = {&f->input, &f->output, &f->arena, &f->weights};
        for (int i = 0; i < 4 && !st; i++)
            if (!define_value(text, names[i], dst[i]))
                st = tfg_err_set(err, TFG_EINPUT,
                                 "%s: no '#define %s <bytes>': not a header written by "
                                 "tinyforge's code generator", path, names[i]);
        if (!st && (f->input == 0 || f->input > 65000 || f->output == 0 || f->output > 65000))
            st = tfg_err_set(err, TFG_EINPUT,
                             "%s: input %" PRIu64 " and output %" PRIu64 " bytes: each must be "
                             "1 to 65000 to travel in one frame", path, f->input, f->output);
        free(text);
    }
    free(path);
    return st;
}

/* ---- running the tools ------------------------------------------------------------------ */

static tfg_status run_tool(build_ctx *c, const char *const *argv, char **out, tfg_err *err)
{
    char hint[160];
    snprintf(hint, sizeof hint, "Debian package %s; it builds firmware for the %s",
             c->t->emu == TFG_EMU_QEMU ? "gcc-arm-none-eabi" : "gcc-avr", c->t->board_name);
    tfg_tool_opts to = {.argv = argv, .timeout_s = c->o->timeout_s, .log = &c->log,
                        .missing_hint = hint};
    tfg_tool_result r;
    tfg_status st = tfg_tool_run(&to, &r, err);
    c->refused = c->refused || r.refused;
    if (!st && out) {
        *out = r.out;
        r.out = NULL;
    }
    tfg_tool_result_free(&r);
    return st;
}

/* `size -A file`, summed per section kind. */
static tfg_status section_sizes(build_ctx *c, const char *file, tfg_fw_sections *s,
                                char **raw, tfg_err *err)
{
    const char *size = c->t->emu == TFG_EMU_QEMU ? "arm-none-eabi-size" : "avr-size";
    const char *argv[] = {size, "-A", file, NULL};
    char *out = NULL;
    tfg_status st = run_tool(c, argv, &out, err);
    if (st)
        return st;
    tfg_fw_sections_parse(out, s);
    if (raw)
        *raw = out;
    else
        free(out);
    return TFG_OK;
}

/* ---- compile and link --------------------------------------------------------------------- */

static bool avr(const build_ctx *c)
{
    return c->t->emu == TFG_EMU_SIMAVR;
}

/* The board's CPU flags and the optimisation every compile shares (C and C++). */
static void cpu_flags(build_ctx *c, tfg_argv *a)
{
    for (size_t i = 0; c->t->cflags[i]; i++)
        tfg_argv_add(a, c->t->cflags[i]);
    tfg_argv_add(a, avr(c) ? "-Os" : "-O2");
    tfg_argv_add(a, "-ffunction-sections");
    tfg_argv_add(a, "-fdata-sections");
}

/* The C compiler with the board's flags, defines and include paths: the one set every
 * C file of every firmware is compiled and linked with. */
static void c_flags(build_ctx *c, tfg_argv *a)
{
    tfg_argv_add(a, avr(c) ? "avr-gcc" : "arm-none-eabi-gcc");
    cpu_flags(c, a);
    tfg_argv_add(a, "-std=c99");
    tfg_argv_add(a, "-Wall");
    tfg_argv_add(a, "-Wextra");
    tfg_argv_add(a, "-DNDEBUG");
    uint64_t per_ms = avr(c) ? c->t->clock_hz / 1000u
                             : (uint64_t)1000000000u / c->t->work_per_tick / 1000u;
    tfg_argv_own(a, tfg_xasprintf("-DTFG_TICKS_PER_MS=%" PRIu64 "UL", per_ms));
    if (avr(c))
        tfg_argv_own(a, tfg_xasprintf("-DF_CPU=%" PRIu64 "UL", c->t->clock_hz));
    if (c->m->define)
        tfg_argv_own(a, tfg_xasprintf("-D%s", c->m->define));
    if (c->link == TFG_FW_LINK_SEMIHOST)
        tfg_argv_add(a, "-DTFG_FW_SEMIHOST");
    for (size_t i = 0; c->o->extra_cflags && c->o->extra_cflags[i]; i++)
        tfg_argv_add(a, c->o->extra_cflags[i]);
    tfg_argv_own(a, tfg_xasprintf("-I%s", c->o->model_dir));
    tfg_argv_own(a, tfg_xasprintf("-I%s", c->runtime));
    tfg_argv_own(a, tfg_xasprintf("-I%s/board", c->runtime));
    if (c->o->sketch_rotated && c->o->perturb_dir)
        tfg_argv_own(a, tfg_xasprintf("-I%s", c->o->perturb_dir));
    if (c->sketch)
        tfg_argv_own(a, tfg_xasprintf("-I%s/arduino", c->runtime));
}

/* Every .c file of dir onto the command line. */
static tfg_status add_sources(tfg_argv *a, const char *dir, tfg_err *err)
{
    char **names;
    size_t n;
    tfg_status st = tfg_list_files(dir, ".c", &names, &n, err);
    if (st)
        return st;
    for (size_t i = 0; i < n; i++)
        tfg_argv_own(a, tfg_path_join(dir, names[i]));
    tfg_strv_free(names);
    return TFG_OK;
}

/* model.c alone; for a rotated build its entry points are renamed for tfg_perturb.c's
 * wrappers. */
static tfg_status compile_model(build_ctx *c, const char *obj, tfg_err *err)
{
    tfg_argv a = {0};
    c_flags(c, &a);
    if (c->o->sketch_rotated) {
        tfg_argv_add(&a, "-Dtfg_model_invoke=tfg_model_invoke_unrotated");
        tfg_argv_add(&a, "-Dtfg_model_invoke_f32=tfg_model_invoke_f32_unrotated");
    }
    tfg_argv_add(&a, "-c");
    tfg_argv_own(&a, tfg_path_join(c->o->model_dir, "model.c"));
    tfg_argv_add(&a, "-o");
    tfg_argv_add(&a, obj);
    tfg_status st = run_tool(c, a.v, NULL, err);
    tfg_argv_free(&a);
    return st;
}

/* The Cortex-M start-up code runs no C++ static constructors (the linker script has no
 * .init_array): a global object that needs one would silently stay unconstructed. */
static tfg_status no_constructors(build_ctx *c, const char *obj, tfg_err *err)
{
    if (avr(c))
        return TFG_OK;
    tfg_fw_sections s;
    tfg_status st = section_sizes(c, obj, &s, NULL, err);
    if (!st && s.init_array) {
        c->refused = true;
        st = tfg_err_set(err, TFG_EPROC, "%s: a global object needs a constructor at "
                         "start-up, which the board's start-up code does not run; make it a "
                         "plain global or a static local", c->o->sketch_name);
    }
    return st;
}

/* The sketch as C++: -Werror, and only its own include folder (the project's headers). */
static tfg_status compile_sketch(build_ctx *c, const char *obj, tfg_err *err)
{
    char *cpp = tfg_path_join(c->o->out_dir, "sketch.cpp");
    char *text = tfg_xasprintf("#include <Arduino.h>\n#line 1 \"%s\"\n%s\n", c->o->sketch_name,
                               c->o->sketch_source);
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
    tfg_argv_own(&a, tfg_xasprintf("-I%s", c->o->sketch_include));
    tfg_argv_add(&a, "-c");
    tfg_argv_add(&a, cpp);
    tfg_argv_add(&a, "-o");
    tfg_argv_add(&a, obj);
    if (!st)
        st = run_tool(c, a.v, NULL, err);
    tfg_argv_free(&a);
    free(cpp);
    if (!st)
        st = no_constructors(c, obj, err);
    return st;
}

/* The program's files after the kernels and board support: fw_main.c, or the Arduino
 * shim (the sketch's own object and the preprocessing go first, beside the model). */
static void add_program(build_ctx *c, tfg_argv *a)
{
    if (!c->sketch) {
        tfg_argv_own(a, tfg_xasprintf("%s/board/fw_main.c", c->runtime));
        return;
    }
    tfg_argv_own(a, tfg_xasprintf("%s/arduino/Arduino.c", c->runtime));
    tfg_argv_own(a, tfg_xasprintf("%s/arduino/tfg_sensor.c", c->runtime));
    if (c->o->sketch_rotated)
        tfg_argv_own(a, tfg_xasprintf("%s/board/tfg_perturb.c", c->runtime));
}

static tfg_status link_firmware(build_ctx *c, const char *obj, const char *sketch_obj,
                                tfg_fw_info *info, tfg_err *err)
{
    tfg_argv a = {0};
    c_flags(c, &a);
    if (sketch_obj)
        tfg_argv_add(&a, sketch_obj);
    tfg_argv_add(&a, obj);
    char *pre = tfg_path_join(c->o->model_dir, "preprocess.c");
    if (sketch_obj && tfg_exists(pre))
        tfg_argv_own(&a, pre);
    else
        free(pre);
    tfg_status st = add_sources(&a, c->runtime, err);
    if (!st)
        st = add_sources(&a, c->bsp_dir, err);
    if (!st) {
        add_program(c, &a);
        if (c->t->emu == TFG_EMU_QEMU) {
            tfg_argv_add(&a, "-nostartfiles");
            tfg_argv_add(&a, "--specs=nano.specs");
            tfg_argv_own(&a, tfg_xasprintf("-L%s", c->bsp_dir));
            tfg_argv_own(&a, tfg_xasprintf("-T%s", c->m->ldscript));
        }
        /* avr-ld holds .data + .bss to the device's RAM and fails with "not within
         * region `data'". Lifted to the whole data space below the EEPROM (0x810000)
         * so a firmware too big still links, and tfg_fw_fit, the one rule, refuses it
         * with the bytes needed and the largest part. */
        if (avr(c))
            tfg_argv_add(&a, "-Wl,--defsym=__DATA_REGION_LENGTH__=0xff00");
        tfg_argv_add(&a, "-Wl,--gc-sections");
        tfg_argv_own(&a, tfg_xasprintf("-Wl,-Map=%s", info->map));
        tfg_argv_add(&a, "-o");
        tfg_argv_add(&a, info->elf);
        st = run_tool(c, a.v, NULL, err);
    }
    tfg_argv_free(&a);
    return st;
}

/* Flash and RAM from the linked sections, the parts from the model's object. */
static tfg_status measure(build_ctx *c, const char *obj, tfg_fw_info *info, tfg_err *err)
{
    tfg_fw_sections mo, fw;
    tfg_status st = section_sizes(c, obj, &mo, NULL, err);
    if (!st)
        st = section_sizes(c, info->elf, &fw, NULL, err);
    if (st)
        return st;
    tfg_fw_measure(c->t, &fw, &mo, info);
    if (c->o->test_build) {
        info->flash_limit = c->t->emu_flash;
        info->ram_limit = c->t->emu_ram;
    }
    return TFG_OK;
}

static tfg_fw_link resolve_link(const tfg_target *t, tfg_fw_link l)
{
    if (l == TFG_FW_LINK_DEFAULT)
        return t->semihosting ? TFG_FW_LINK_SEMIHOST : TFG_FW_LINK_UART;
    return l;
}

static tfg_status build(build_ctx *c, tfg_fw_info *info, tfg_err *err)
{
    model_facts f;
    tfg_status st = read_model_facts(c->o->model_dir, &f, err);
    if (!st && !c->o->test_build)
        st = tfg_fw_fit_model(c->t, f.weights, f.arena, f.input + f.output, err);
    if (!st)
        st = tfg_mkdirs(c->o->out_dir, err);
    if (st)
        return st;
    info->input_bytes = (size_t)f.input;
    info->output_bytes = (size_t)f.output;
    char *obj = tfg_path_join(c->o->out_dir, "model.o");
    char *sk = c->sketch ? tfg_path_join(c->o->out_dir, "sketch.o") : NULL;
    if (sk)
        st = compile_sketch(c, sk, err);
    if (!st)
        st = compile_model(c, obj, err);
    if (!st)
        st = link_firmware(c, obj, sk, info, err);
    if (!st)
        st = measure(c, obj, info, err);
    if (!st)
        st = tfg_fw_fit(c->t, info, c->o->what ? c->o->what : "the firmware", err);
    free(obj);
    free(sk);
    return st;
}

static tfg_status check_opts(const tfg_fw_build_opts *o, build_ctx *c, tfg_err *err)
{
    if (!o || !o->target || !o->model_dir || !o->out_dir)
        return tfg_err_set(err, TFG_EUSAGE, "tfg_fw_build needs a target, a model dir and an "
                           "out dir");
    if (o->program == TFG_FW_PROGRAM_SKETCH &&
        (!o->sketch_source || !o->sketch_name || !o->sketch_include))
        return tfg_err_set(err, TFG_EUSAGE, "a sketch build needs the source, its name and "
                           "its include folder");
    if (o->program == TFG_FW_PROGRAM_SKETCH && o->link == TFG_FW_LINK_SEMIHOST)
        return tfg_err_set(err, TFG_EUSAGE, "a sketch talks over the UART only");
    c->o = o;
    c->t = o->target;
    c->sketch = o->program == TFG_FW_PROGRAM_SKETCH;
    c->link = c->sketch ? TFG_FW_LINK_UART : resolve_link(o->target, o->link);
    c->m = tfg_machine_find(c->t->emu, c->t->machine);
    if (!c->m)
        return tfg_err_set(err, TFG_EUSAGE, "no board support for machine '%s'", c->t->machine);
    if (c->link == TFG_FW_LINK_SEMIHOST && !c->t->semihosting)
        return tfg_err_set(err, TFG_EUSAGE, "%s has no semihosting: build with the UART link",
                           c->t->machine);
    return TFG_OK;
}

tfg_status tfg_fw_build(const tfg_fw_build_opts *o, tfg_fw_info *info, tfg_err *err)
{
    memset(info, 0, sizeof *info);
    build_ctx c = {0};
    tfg_status st = check_opts(o, &c, err);
    if (st)
        return st;
    c.runtime = tfg_target_runtime_dir();
    c.bsp_dir = tfg_xasprintf("%s/board/%s", c.runtime, c.m->bsp);
    tfg_buf_init(&c.log);
    info->elf = tfg_path_join(o->out_dir, "firmware.elf");
    info->map = tfg_path_join(o->out_dir, "firmware.map");
    info->link = c.link;
    info->flash_limit = c.t->flash_limit;
    info->ram_limit = c.t->ram_limit;
    st = build(&c, info, err);
    if (c.log.len && tfg_is_dir(o->out_dir)) {
        char *log = tfg_path_join(o->out_dir, "build.log");
        tfg_err e2;
        tfg_write_atomic(log, c.log.data, c.log.len, &e2); /* best effort: a log */
        free(log);
    }
    if (st) {
        tfg_fw_info_free(info);
        info->refused = c.refused;
        tfg_err_prefix(err, "%s on %s", c.t->board_id, c.t->machine);
    }
    tfg_buf_free(&c.log);
    free(c.runtime);
    free(c.bsp_dir);
    return st;
}

void tfg_fw_info_free(tfg_fw_info *info)
{
    free(info->elf);
    free(info->map);
    memset(info, 0, sizeof *info);
}
