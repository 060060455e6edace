/* fw_fit.c — the one rule for "the firmware fits the board", used by every firmware
 * tinyforge builds (the validate stage's, the sketch's, one from arduino-builder):
 *
 *   flash = .text + .rodata + .ARM.exidx + .init_array + .data (its load image)
 *   RAM   = .data + .bss (which holds the arena) + the stack: the linker script's
 *           .stack on Cortex-M (TFG_STACK), TFG_FIT_AVR_STACK counted on AVR, which
 *           reserves none
 *
 * each against the smaller of the real board's limit and the stand-in's memory. Over
 * is TFG_ECHECK naming the bytes needed, the bytes over and the largest part. The same
 * rule, fed the model's own sizes, refuses a model before anything compiles: spec/fit.h,
 * which the architecture chooser holds a network to before it is trained. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/strutil.h"
#include "spec/fit.h"
#include "target/target_internal.h"

void tfg_fw_sections_parse(const char *size_output, tfg_fw_sections *s)
{
    memset(s, 0, sizeof *s);
    for (const char *line = size_output; line && *line;) {
        char name[128];
        unsigned long long bytes;
        if (sscanf(line, "%127s %llu", name, &bytes) == 2 && name[0] == '.') {
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
            else if (strcmp(name, ".init_array") == 0)
                s->init_array += bytes;
        }
        const char *e = strchr(line, '\n');
        line = e ? e + 1 : NULL;
    }
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

void tfg_fw_measure(const tfg_target *t, const tfg_fw_sections *fw,
                    const tfg_fw_sections *model, tfg_fw_info *info)
{
    bool avr = t->emu == TFG_EMU_SIMAVR;
    info->weights_bytes = model ? model->rodata + model->data : 0;
    info->arena_bytes = model ? model->bss : 0;
    info->data_bytes = fw->data;
    info->bss_bytes = fw->bss;
    info->stack_bytes = avr ? TFG_FIT_AVR_STACK : fw->stack;
    info->flash_used = fw->text + fw->rodata + fw->exidx + fw->init_array + fw->data;
    info->ram_used = fw->data + fw->bss + info->stack_bytes;
    uint64_t not_code = fw->data + (avr ? 0 : info->weights_bytes);
    info->code_bytes = info->flash_used > not_code ? info->flash_used - not_code : 0;
    info->flash_limit = min_u64(t->flash_limit, t->emu_flash);
    info->ram_limit = min_u64(t->ram_limit, t->emu_ram);
}

tfg_status tfg_fw_over(const tfg_target *t, const char *what, const char *memory,
                       bool at_least, uint64_t used, uint64_t limit, const tfg_fw_part *parts,
                       int n, tfg_err *err)
{
    if (used <= limit)
        return TFG_OK;
    const tfg_fw_part *big = &parts[0];
    for (int i = 1; i < n; i++)
        if (parts[i].bytes > big->bytes)
            big = &parts[i];
    char a[32], b[32], c[32], d[32];
    return tfg_err_set(err, TFG_ECHECK,
                       "%s does not fit the %s: it needs %s%s bytes of %s, %s more than the "
                       "board's %s; the largest part is the %s (%s bytes)", what,
                       t->board_name, at_least ? "at least " : "",
                       tfg_fmt_count(a, sizeof a, used), memory,
                       tfg_fmt_count(b, sizeof b, used - limit),
                       tfg_fmt_count(c, sizeof c, limit), big->name,
                       tfg_fmt_count(d, sizeof d, big->bytes));
}

static tfg_fit_arch arch_of(const tfg_target *t)
{
    return t->emu == TFG_EMU_SIMAVR ? TFG_FIT_AVR : TFG_FIT_CORTEX_M;
}

tfg_status tfg_fw_fit_model(const tfg_target *t, uint64_t weights, uint64_t arena,
                            uint64_t io, tfg_err *err)
{
    tfg_fit_arch a = arch_of(t);
    tfg_fit_parts p = {.weights = weights, .arena = arena, .io = io};
    tfg_fw_part fl[] = {{"weights", weights}};
    tfg_status st = tfg_fw_over(t, "the firmware", "flash", true, tfg_fit_flash(a, &p),
                                min_u64(t->flash_limit, t->emu_flash), fl, 1, err);
    if (st)
        return st;
    tfg_fw_part ram[] = {{"arena", arena}, {"weights", a == TFG_FIT_AVR ? weights : 0},
                         {"input and output buffers", io}, {"stack", tfg_fit_stack(a)}};
    return tfg_fw_over(t, "the firmware", "RAM", true, tfg_fit_ram(a, &p),
                       min_u64(t->ram_limit, t->emu_ram), ram, 4, err);
}

tfg_status tfg_fw_fit(const tfg_target *t, const tfg_fw_info *i, const char *what,
                      tfg_err *err)
{
    bool avr = t->emu == TFG_EMU_SIMAVR;
    uint64_t data = avr ? i->data_bytes - min_u64(i->data_bytes, i->weights_bytes)
                        : i->data_bytes;
    tfg_fw_part fl[] = {{"weights", i->weights_bytes}, {"code", i->code_bytes},
                        {"initialised data", data}};
    tfg_status st = tfg_fw_over(t, what, "flash", false, i->flash_used, i->flash_limit, fl, 3,
                                err);
    if (st)
        return st;
    uint64_t model = i->arena_bytes + (avr ? i->weights_bytes : 0);
    uint64_t rest = i->ram_used - min_u64(i->ram_used, model + i->stack_bytes);
    tfg_fw_part ram[] = {{"arena", i->arena_bytes}, {"weights", avr ? i->weights_bytes : 0},
                         {"stack", i->stack_bytes}, {"other data", rest}};
    return tfg_fw_over(t, what, "RAM", false, i->ram_used, i->ram_limit, ram, 4, err);
}
