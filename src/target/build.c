/* build.c — firmware from generated model sources: compile, link, measure, check fit.
 *
 * The model's own sizes (model.h: weights and arena) are checked against the real
 * board before any compiler runs, so a model far too big fails at once with numbers.
 * Then model.c is compiled alone (its object's sections are the weights and the arena,
 * exactly), everything is linked with the stand-in's linker script, and the linked
 * sections give flash and RAM used, checked again against the real board's limits.
 * Compiler output goes to build.log; the error names the first compiler errors. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/io.h"
#include "core/json.h"
#include "core/proc.h"
#include "core/strutil.h"
#include "target/target_internal.h"

#define AVR_STACK_BYTES 256u /* AVR reserves no stack; this much is counted for it */
#define ARM_STACK_BYTES 4096u /* the stack cortex-m.ld reserves (TFG_STACK) */

typedef struct {
    uint64_t input, output, arena, weights;
} model_facts;

typedef struct {
    const tfg_fw_build_opts *o;
    const tfg_target *t;
    const tfg_machine *m;
    tfg_fw_link link;
    char *runtime;          /* runtime/ */
    char *bsp_dir;          /* runtime/board/<bsp> */
    tfg_buf log;
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

/* ---- the fit check --------------------------------------------------------------------- */

typedef struct {
    const char *name;
    uint64_t bytes;
} part;

/* TFG_ECHECK naming what overflows and the largest part, or TFG_OK. */
static tfg_status check_fit(const tfg_target *t, const char *what, bool at_least,
                            uint64_t used, uint64_t limit, const part *parts, int n,
                            tfg_err *err)
{
    if (used <= limit)
        return TFG_OK;
    const part *big = &parts[0];
    for (int i = 1; i < n; i++)
        if (parts[i].bytes > big->bytes)
            big = &parts[i];
    char a[32], b[32], c[32], d[32];
    return tfg_err_set(err, TFG_ECHECK,
                       "the firmware does not fit the %s: it needs %s%s bytes of %s, %s more "
                       "than the board's %s; the largest part is the %s (%s bytes)",
                       t->board_name, at_least ? "at least " : "", tfg_fmt_count(a, sizeof a, used), what,
                       tfg_fmt_count(b, sizeof b, used - limit), tfg_fmt_count(c, sizeof c, limit), big->name,
                       tfg_fmt_count(d, sizeof d, big->bytes));
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* Before compiling: the model's weights, arena and buffers and the stack against the
 * board (and the stand-in: the micro:bit has 16 KiB, where the stack is a quarter). */
static tfg_status precheck(const tfg_target *t, const model_facts *f, tfg_err *err)
{
    bool avr = t->emu == TFG_EMU_SIMAVR;
    uint64_t stack = avr ? AVR_STACK_BYTES : ARM_STACK_BYTES;
    part fl[] = {{"weights", f->weights}};
    tfg_status st = check_fit(t, "flash", true, f->weights,
                              min_u64(t->flash_limit, t->emu_flash), fl, 1, err);
    if (st)
        return st;
    part ram[] = {{"arena", f->arena}, {"weights", avr ? f->weights : 0},
                  {"input and output buffers", f->input + f->output}, {"stack", stack}};
    uint64_t need = f->arena + (avr ? f->weights : 0) + f->input + f->output + stack;
    return check_fit(t, "RAM", true, need, min_u64(t->ram_limit, t->emu_ram), ram, 4, err);
}

/* ---- running the tools ------------------------------------------------------------------ */

static tfg_status run_tool(build_ctx *c, const char *const *argv, char **out, tfg_err *err)
{
    double timeout = c->o->timeout_s > 0 ? c->o->timeout_s : 120;
    if (!tfg_target_on_path(argv[0]))
        return tfg_err_set(err, TFG_EPROC, "%s not found on PATH (Debian package %s); it builds "
                           "firmware for the %s", argv[0],
                           c->t->emu == TFG_EMU_QEMU ? "gcc-arm-none-eabi" : "gcc-avr",
                           c->t->board_name);
    for (int i = 0; argv[i]; i++)
        tfg_buf_printf(&c->log, "%s%s", i ? " " : "$ ", argv[i]);
    tfg_buf_putc(&c->log, '\n');
    tfg_proc_opts po = {.argv = argv, .timeout_s = timeout};
    tfg_proc_result r;
    tfg_status st = tfg_proc_run(&po, &r, err);
    if (st == TFG_OK || st == TFG_ETIMEOUT) {
        tfg_buf_append(&c->log, r.errout, r.err_len);
        tfg_buf_append(&c->log, r.out, r.out_len);
    }
    if (st == TFG_ETIMEOUT) {
        tfg_err_set(err, TFG_ETIMEOUT, "%s did not finish within %.0f s", argv[0], timeout);
    } else if (!st && (!r.exited || r.exit_code != 0)) {
        char *first = tfg_tool_first_errors(r.errout);
        st = tfg_err_set(err, TFG_EPROC, "%s failed (%s %d): %s", argv[0],
                         r.exited ? "exit status" : "signal", r.exited ? r.exit_code : r.signal,
                         first);
        free(first);
    } else if (!st && out) {
        *out = r.out;
        r.out = NULL;
    }
    tfg_proc_result_free(&r);
    return st;
}

/* `size -A file`: calls back with every section's name and size. */
typedef struct {
    uint64_t text, rodata, data, bss, stack, exidx;
} section_sums;

static tfg_status section_sizes(build_ctx *c, const char *file, section_sums *s, tfg_err *err)
{
    const char *size = c->t->emu == TFG_EMU_QEMU ? "arm-none-eabi-size" : "avr-size";
    const char *argv[] = {size, "-A", file, NULL};
    char *out = NULL;
    tfg_status st = run_tool(c, argv, &out, err);
    if (st)
        return st;
    memset(s, 0, sizeof *s);
    for (char *save = NULL, *line = strtok_r(out, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char name[128];
        unsigned long long bytes;
        if (sscanf(line, "%127s %llu", name, &bytes) != 2 || name[0] != '.')
            continue;
        if (strncmp(name, ".text", 5) == 0)
            s->text += bytes;
        else if (strncmp(name, ".rodata", 7) == 0)
            s->rodata += bytes;
        else if (strncmp(name, ".data", 5) == 0)
            s->data += bytes;
        else if (strncmp(name, ".bss", 4) == 0)
            s->bss += bytes;
        else if (strcmp(name, ".stack") == 0)
            s->stack += bytes;
        else if (strncmp(name, ".ARM.exidx", 10) == 0)
            s->exidx += bytes;
    }
    free(out);
    return TFG_OK;
}

/* ---- compile and link --------------------------------------------------------------------- */

/* Compiler, CPU and common flags, include paths and defines. */
static void common_flags(build_ctx *c, tfg_argv *a)
{
    bool avr = c->t->emu == TFG_EMU_SIMAVR;
    tfg_argv_add(a, avr ? "avr-gcc" : "arm-none-eabi-gcc");
    for (size_t i = 0; c->t->cflags[i]; i++)
        tfg_argv_add(a, c->t->cflags[i]);
    tfg_argv_add(a, "-std=c99");
    tfg_argv_add(a, avr ? "-Os" : "-O2");
    tfg_argv_add(a, "-ffunction-sections");
    tfg_argv_add(a, "-fdata-sections");
    tfg_argv_add(a, "-Wall");
    tfg_argv_add(a, "-Wextra");
    tfg_argv_add(a, "-DNDEBUG");
    if (avr)
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

static tfg_status compile_model(build_ctx *c, const char *obj, tfg_err *err)
{
    tfg_argv a = {0};
    common_flags(c, &a);
    tfg_argv_add(&a, "-c");
    tfg_argv_own(&a, tfg_path_join(c->o->model_dir, "model.c"));
    tfg_argv_add(&a, "-o");
    tfg_argv_add(&a, obj);
    a.v[a.n] = NULL;
    tfg_status st = run_tool(c, a.v, NULL, err);
    tfg_argv_free(&a);
    return st;
}

static tfg_status link_firmware(build_ctx *c, const char *obj, tfg_fw_info *info, tfg_err *err)
{
    tfg_argv a = {0};
    common_flags(c, &a);
    tfg_argv_add(&a, obj);
    tfg_status st = add_sources(&a, c->runtime, err);
    if (!st)
        st = add_sources(&a, c->bsp_dir, err);
    if (!st) {
        tfg_argv_own(&a, tfg_xasprintf("%s/board/fw_main.c", c->runtime));
        if (c->t->emu == TFG_EMU_QEMU) {
            tfg_argv_add(&a, "-nostartfiles");
            tfg_argv_add(&a, "--specs=nano.specs");
            tfg_argv_own(&a, tfg_xasprintf("-L%s", c->bsp_dir));
            tfg_argv_own(&a, tfg_xasprintf("-T%s", c->m->ldscript));
        }
        tfg_argv_add(&a, "-Wl,--gc-sections");
        tfg_argv_own(&a, tfg_xasprintf("-Wl,-Map=%s", info->map));
        tfg_argv_add(&a, "-o");
        tfg_argv_add(&a, info->elf);
        a.v[a.n] = NULL;
        st = run_tool(c, a.v, NULL, err);
    }
    tfg_argv_free(&a);
    return st;
}

/* Flash and RAM from the linked sections, the parts from the model's object. */
static tfg_status measure(build_ctx *c, const char *obj, tfg_fw_info *info, tfg_err *err)
{
    section_sums mo, fw;
    tfg_status st = section_sizes(c, obj, &mo, err);
    if (!st)
        st = section_sizes(c, info->elf, &fw, err);
    if (st)
        return st;
    bool avr = c->t->emu == TFG_EMU_SIMAVR;
    info->weights_bytes = mo.rodata + mo.data;
    info->arena_bytes = mo.bss;
    info->data_bytes = fw.data;
    info->bss_bytes = fw.bss;
    info->stack_bytes = avr ? AVR_STACK_BYTES : fw.stack;
    info->flash_used = fw.text + fw.rodata + fw.exidx + fw.data;
    info->ram_used = fw.data + fw.bss + info->stack_bytes;
    uint64_t not_code = fw.data + (avr ? 0 : info->weights_bytes);
    info->code_bytes = info->flash_used > not_code ? info->flash_used - not_code : 0;
    return TFG_OK;
}

static tfg_status postcheck(const tfg_target *t, const tfg_fw_info *i, tfg_err *err)
{
    bool avr = t->emu == TFG_EMU_SIMAVR;
    part fl[] = {{"weights", i->weights_bytes}, {"code", i->code_bytes},
                 {"initialised data", avr ? i->data_bytes - min_u64(i->data_bytes,
                                                                    i->weights_bytes)
                                          : i->data_bytes}};
    tfg_status st = check_fit(t, "flash", false, i->flash_used,
                              min_u64(t->flash_limit, t->emu_flash), fl, 3, err);
    if (st)
        return st;
    uint64_t model = i->arena_bytes + (avr ? i->weights_bytes : 0);
    uint64_t rest = i->ram_used - min_u64(i->ram_used, model + i->stack_bytes);
    part ram[] = {{"arena", i->arena_bytes}, {"weights", avr ? i->weights_bytes : 0},
                  {"stack", i->stack_bytes}, {"other data", rest}};
    return check_fit(t, "RAM", false, i->ram_used, min_u64(t->ram_limit, t->emu_ram), ram, 4,
                     err);
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
    if (!st)
        st = precheck(c->t, &f, err);
    if (!st)
        st = tfg_mkdirs(c->o->out_dir, err);
    if (st)
        return st;
    info->input_bytes = (size_t)f.input;
    info->output_bytes = (size_t)f.output;
    char *obj = tfg_path_join(c->o->out_dir, "model.o");
    st = compile_model(c, obj, err);
    if (!st)
        st = link_firmware(c, obj, info, err);
    if (!st)
        st = measure(c, obj, info, err);
    if (!st)
        st = postcheck(c->t, info, err);
    free(obj);
    return st;
}

tfg_status tfg_fw_build(const tfg_fw_build_opts *o, tfg_fw_info *info, tfg_err *err)
{
    memset(info, 0, sizeof *info);
    if (!o || !o->target || !o->model_dir || !o->out_dir)
        return tfg_err_set(err, TFG_EUSAGE, "tfg_fw_build needs a target, a model dir and an "
                           "out dir");
    build_ctx c = {.o = o, .t = o->target, .link = resolve_link(o->target, o->link)};
    c.m = tfg_machine_find(c.t->emu, c.t->machine);
    if (!c.m)
        return tfg_err_set(err, TFG_EUSAGE, "no board support for machine '%s'", c.t->machine);
    if (c.link == TFG_FW_LINK_SEMIHOST && !c.t->semihosting)
        return tfg_err_set(err, TFG_EUSAGE, "%s has no semihosting: build with the UART link",
                           c.t->machine);
    c.runtime = tfg_target_runtime_dir();
    c.bsp_dir = tfg_xasprintf("%s/board/%s", c.runtime, c.m->bsp);
    tfg_buf_init(&c.log);
    info->elf = tfg_path_join(o->out_dir, "firmware.elf");
    info->map = tfg_path_join(o->out_dir, "firmware.map");
    info->link = c.link;
    info->flash_limit = c.t->flash_limit;
    info->ram_limit = c.t->ram_limit;
    tfg_status st = build(&c, info, err);
    if (c.log.len && tfg_is_dir(o->out_dir)) {
        char *log = tfg_path_join(o->out_dir, "build.log");
        tfg_err e2;
        tfg_write_atomic(log, c.log.data, c.log.len, &e2); /* best effort: a log */
        free(log);
    }
    if (st) {
        tfg_fw_info_free(info);
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
