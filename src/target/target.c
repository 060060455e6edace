/* target.c — from a board of boards.json to its emulated stand-in: the machine table
 * (what board support runtime/board/ has for each emulated machine), the CPU flags and
 * the real board's limits. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "codegen/stage.h"
#include "target/target_internal.h"

#define MIB (1024u * 1024u)

/* Instructions per timer tick: QEMU's -icount shift=0 makes one instruction 1 ns of
 * virtual time; the CMSDK timer runs at the machine's system clock, 25 MHz on the MPS2
 * images (40 ns a tick) and 20 MHz on AN505 (50 ns); the micro:bit's nRF51 TIMER0 runs
 * at 16 MHz / 2 (125 ns: runtime/board/arm/nrf51.c says why not 16 MHz). mps3-an547 has
 * no CMSDK timer (its SSE-300 has system timers instead); its FPGAIO COUNTER counts at
 * QEMU's fixed 20 MHz prescale clock whatever the machine's 32 MHz system clock (50 ns).
 * Measured with a loop of known length (docs/target.md). */
static const tfg_machine machines[] = {
    {TFG_EMU_QEMU, "mps2-an386", "arm", "TFG_MACHINE_MPS2_AN386", "mps2-an386.ld", 4 * MIB,
     4 * MIB, 40, "Cortex-M4"},
    {TFG_EMU_QEMU, "mps2-an500", "arm", "TFG_MACHINE_MPS2_AN500", "mps2-an386.ld", 4 * MIB,
     4 * MIB, 40, "Cortex-M7"},
    {TFG_EMU_QEMU, "mps2-an505", "arm", "TFG_MACHINE_MPS2_AN505", "mps2-an505.ld", 4 * MIB,
     4 * MIB, 50, "Cortex-M33"},
    /* ITCM (code) and DTCM (data), 512 KiB each: room for AD's 271,520 bytes of weights */
    {TFG_EMU_QEMU, "mps3-an547", "arm", "TFG_MACHINE_MPS3_AN547", "mps3-an547.ld", 512 * 1024,
     512 * 1024, 50, "Cortex-M55"},
    {TFG_EMU_QEMU, "microbit", "arm", "TFG_MACHINE_MICROBIT", "microbit.ld", 256 * 1024,
     16 * 1024, 125, "Cortex-M0"},
    {TFG_EMU_SIMAVR, "atmega328p", "avr", NULL, NULL, 32768, 2048, 1, "ATmega328P"},
};

const tfg_machine *tfg_machine_find(tfg_emu_kind emu, const char *name)
{
    for (size_t i = 0; i < sizeof machines / sizeof machines[0]; i++)
        if (machines[i].emu == emu && strcmp(machines[i].name, name) == 0)
            return &machines[i];
    return NULL;
}

char *tfg_target_runtime_dir(void)
{
    return tfg_xstrdup(tfg_runtime_dir()); /* the build stage's: one place decides */
}

/* "qemu:mps2-an386" -> kind and machine name. */
static tfg_status parse_emulator(const tfg_board *b, tfg_emu_kind *kind, const char **name,
                                 tfg_err *err)
{
    const char *e = b->emulator;
    if (!e || !*e)
        return tfg_err_set(err, TFG_EINPUT,
                           "board '%s' names no emulated stand-in (its \"emulator\" field in "
                           "boards.json), so its firmware cannot be run", b->id);
    if (strncmp(e, "qemu:", 5) == 0)
        *kind = TFG_EMU_QEMU, *name = e + 5;
    else if (strncmp(e, "simavr:", 7) == 0)
        *kind = TFG_EMU_SIMAVR, *name = e + 7;
    else
        return tfg_err_set(err, TFG_EINPUT,
                           "board '%s': emulator '%s' is neither 'qemu:<machine>' nor "
                           "'simavr:<part>'", b->id, e);
    return TFG_OK;
}

static char **default_flags(const tfg_machine *m)
{
    static const char *const m4[] = {"-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard",
                                     "-mfpu=fpv4-sp-d16", NULL};
    static const char *const m7[] = {"-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard",
                                     "-mfpu=fpv5-d16", NULL};
    static const char *const m33[] = {"-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=hard",
                                      "-mfpu=fpv5-sp-d16", NULL};
    static const char *const m55[] = {"-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard",
                                      NULL};
    static const char *const m0[] = {"-mcpu=cortex-m0", "-mthumb", "-mfloat-abi=soft", NULL};
    static const char *const avr[] = {"-mmcu=atmega328p", NULL};
    const char *const *f = m->emu == TFG_EMU_SIMAVR            ? avr
                           : strcmp(m->name, "mps2-an500") == 0 ? m7
                           : strcmp(m->name, "mps2-an505") == 0 ? m33
                           : strcmp(m->name, "mps3-an547") == 0 ? m55
                           : strcmp(m->name, "microbit") == 0   ? m0
                                                                : m4;
    size_t n = 0;
    while (f[n])
        n++;
    char **v = tfg_xcalloc(n + 1, sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = tfg_xstrdup(f[i]);
    return v;
}

tfg_status tfg_target_for_board(const tfg_board *b, tfg_target *t, tfg_err *err)
{
    memset(t, 0, sizeof *t);
    tfg_emu_kind kind = TFG_EMU_QEMU;
    const char *name = NULL;
    tfg_status st = parse_emulator(b, &kind, &name, err);
    if (st)
        return st;
    const tfg_machine *m = tfg_machine_find(kind, name);
    if (!m)
        return tfg_err_set(err, TFG_EINPUT,
                           "board '%s': no board support for the emulated machine '%s' "
                           "(known: mps2-an386, mps2-an500, mps2-an505, mps3-an547, microbit, "
                           "atmega328p)",
                           b->id, b->emulator);
    t->board_id = tfg_xstrdup(b->id);
    t->board_name = tfg_xstrdup(b->name);
    t->emu = kind;
    t->machine = tfg_xstrdup(m->name);
    t->bsp = m->bsp;
    if (b->cpu_flags && b->cpu_flags[0]) {
        size_t n = 0;
        while (b->cpu_flags[n])
            n++;
        t->cflags = tfg_xcalloc(n + 1, sizeof *t->cflags);
        for (size_t i = 0; i < n; i++)
            t->cflags[i] = tfg_xstrdup(b->cpu_flags[i]);
    } else {
        t->cflags = default_flags(m);
    }
    t->flash_limit = b->flash_bytes;
    t->ram_limit = b->ram_bytes;
    t->emu_flash = m->flash;
    t->emu_ram = m->ram;
    t->clock_hz = b->clock_hz;
    t->work_per_tick = m->work_per_tick;
    t->work_unit = kind == TFG_EMU_QEMU ? "instructions" : "cycles";
    t->semihosting = kind == TFG_EMU_QEMU;
    return TFG_OK;
}

void tfg_target_free(tfg_target *t)
{
    free(t->board_id);
    free(t->board_name);
    free(t->machine);
    tfg_strv_free(t->cflags);
    memset(t, 0, sizeof *t);
}

const char *tfg_target_emulator_program(const tfg_target *t)
{
    return t->emu == TFG_EMU_QEMU ? "qemu-system-arm" : "tfg-simavr-runner";
}
