/* target.h — firmware on an emulated board: one build and one run for every firmware
 * tinyforge makes (the validate stage's frame server, a sketch's application).
 *
 * Three steps, each usable alone:
 *   1. tfg_target_for_board: which emulator executes the board's instruction set
 *      (QEMU's mps2-an386 for a Cortex-M4, simavr's atmega328p for the Uno, ...), the
 *      compiler and CPU flags, and the REAL board's flash/RAM limits, which the build
 *      enforces whatever memory the stand-in has.
 *   2. tfg_fw_build: generated model.h/model.c (codegen/emit.h) + runtime/ kernels +
 *      runtime/board/ (startup, linker script, UART) + the program: runtime/board/
 *      fw_main.c (the frame server) or a sketch with the Arduino shim (runtime/arduino/)
 *      -> firmware.elf, with one set of flags per board, one link, and flash and RAM
 *      used split into weights, arena and code. One fit rule (fw_fit.c) for every
 *      firmware: over the board is TFG_ECHECK naming the bytes over and the largest part.
 *   3. tfg_fw_run: runs the ELF on its emulator with a deadline and one hang policy,
 *      streams N input samples as request frames, and reads back either reply frames
 *      (N outputs and the work per inference: guest instructions from QEMU -icount and
 *      the CMSDK timer, or AVR cycles from simavr) or, for a sketch, the lines it
 *      printed on Serial.
 *
 * Between host and firmware runs one framed protocol (runtime/board/tfg_link.h). With
 * TFG_FW_LINK_SEMIHOST the firmware reads the host's request frames from a file over
 * ARM semihosting (fast: for firmware tinyforge generated itself); with
 * TFG_FW_LINK_UART everything goes over the UART only (semihosting off: for code that
 * must not see the host's files, and for AVR). Replies always come over the UART.
 * Layering: target sits on codegen and spec; it prints nothing; compilers run through
 * core/tool.h, emulators through core/proc.h. See docs/target.md. */
#ifndef TFG_TARGET_TARGET_H
#define TFG_TARGET_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "spec/spec.h"

typedef enum { TFG_EMU_QEMU = 1, TFG_EMU_SIMAVR = 2 } tfg_emu_kind;

/* How request frames reach the firmware. */
typedef enum {
    TFG_FW_LINK_DEFAULT = 0, /* semihosting where the emulator has it, else UART */
    TFG_FW_LINK_SEMIHOST,    /* requests from a host file over semihosting (ARM only) */
    TFG_FW_LINK_UART         /* UART only; semihosting disabled in the emulator */
} tfg_fw_link;

typedef struct {
    char *board_id;         /* the board it stands in for */
    char *board_name;
    tfg_emu_kind emu;
    char *machine;          /* QEMU -M name ("mps2-an386") or the AVR part ("atmega328p") */
    const char *bsp;        /* board support folder in runtime/board/ ("mps2-an386") */
    char **cflags;          /* CPU flags (-mcpu=..., -mfloat-abi=..., -mmcu=...), NULL-ended */
    uint64_t flash_limit;   /* the real board's flash and RAM: enforced at link time */
    uint64_t ram_limit;
    uint64_t emu_flash;     /* what the stand-in's memory map has room for */
    uint64_t emu_ram;
    uint64_t clock_hz;      /* the real board's clock, for time estimates */
    uint32_t work_per_tick; /* work units per firmware timer tick (40 on QEMU mps2: a
                               25 MHz timer under -icount shift=0; 1 on AVR) */
    const char *work_unit;  /* "instructions" or "cycles" */
    bool semihosting;       /* the emulator offers ARM semihosting */
} tfg_target;

/* The stand-in for board b (its "emulator" field in boards.json, e.g. "qemu:mps2-an386"
 * or "simavr:atmega328p", and its "cpu_flags"). TFG_EINPUT when the board names no
 * emulator or one this version cannot build for. */
tfg_status tfg_target_for_board(const tfg_board *b, tfg_target *t, tfg_err *err);
void tfg_target_free(tfg_target *t);

/* The emulator program a target runs under (for messages and PATH checks):
 * "qemu-system-arm", or the simavr runner (see tfg_fw_run_opts.emulator). */
const char *tfg_target_emulator_program(const tfg_target *t);

/* Seconds without output after which a firmware's run counts as hung (both reply
 * modes: a firmware answers or prints once per sample). */
#define TFG_FW_IDLE_S 15.0

/* What runs on the board around the model. */
typedef enum {
    TFG_FW_PROGRAM_LINK = 0, /* runtime/board/fw_main.c: answers request frames */
    TFG_FW_PROGRAM_SKETCH    /* a sketch (setup/loop) with the Arduino shim; UART only */
} tfg_fw_program;

typedef struct {
    const tfg_target *target;
    const char *model_dir;  /* holds model.h and model.c (API prefix "tfg_model"), and
                               preprocess.c when the sketch needs it */
    const char *out_dir;    /* created if needed; gets firmware.elf, firmware.map, build.log */
    tfg_fw_link link;
    const char *const *extra_cflags; /* NULL-ended, or NULL (tests inject faults: see
                                        runtime/board/fw_main.c, TFG_FW_FAULT_*) */
    double timeout_s;       /* per compiler/linker call; <= 0: 120 s */
    tfg_fw_program program;
    /* For TFG_FW_PROGRAM_SKETCH: the source (.ino text), its name for messages and
     * #line, and the one folder of headers it may include (the project's own). It is
     * compiled as C++ with -Werror; a global needing a constructor is refused on
     * Cortex-M (its start-up code runs none). */
    const char *sketch_source;
    const char *sketch_name;
    const char *sketch_include;
    bool sketch_rotated;    /* also link tfg_perturb.c: the model's output classes permuted
                               (the sketch check's second run) */
    const char *perturb_dir; /* with sketch_rotated: the folder of tfg_perturb_perm.h, the
                                permutation, on the runtime's include path only (never
                                the sketch's) */
    bool test_build;        /* test equipment, not what ships: checked against the
                               stand-in's memory only, not the real board's limits */
    const char *what;       /* the firmware's name in a fit message; NULL: "the firmware" */
} tfg_fw_build_opts;

/* Bytes of a built firmware. flash = code + weights + initialised data; RAM = data +
 * bss (which holds the arena) + the reserved stack. On AVR constant data lives in RAM
 * too (the kernels read it through ordinary pointers), so weights count twice there. */
typedef struct {
    bool refused;           /* set also on error: a compiler or linker refused the sources
                               (the program's fault, not a missing tool's) */
    char *elf;              /* <out_dir>/firmware.elf */
    char *map;              /* <out_dir>/firmware.map */
    tfg_fw_link link;       /* what was built (DEFAULT resolved) */
    uint64_t flash_used, ram_used;
    uint64_t flash_limit, ram_limit;   /* the real board's (or the stand-in's, when less) */
    uint64_t weights_bytes; /* the model's const data: weights, biases, parameters */
    uint64_t arena_bytes;   /* the model's static arena */
    uint64_t code_bytes;    /* all code (model, kernels, board support, C library) */
    uint64_t data_bytes, bss_bytes, stack_bytes;
    size_t input_bytes, output_bytes;
} tfg_fw_info;

/* TFG_ECHECK when the firmware does not fit the real board ("needs 61,234 bytes of
 * RAM, 59,186 more than the Arduino Uno's 2,048; the largest part is the weights
 * (52,000 bytes)"), checked from the model's sizes before compiling and again from the
 * linked sections; TFG_EPROC/TFG_ETIMEOUT when a compiler is missing, fails or hangs
 * (its first error lines in the message, the whole log in build.log); TFG_EIO for the
 * out dir. On error *info is empty (safe to free) but for info->refused. */
tfg_status tfg_fw_build(const tfg_fw_build_opts *o, tfg_fw_info *info, tfg_err *err);
void tfg_fw_info_free(tfg_fw_info *info);

typedef struct {
    const tfg_target *target;
    const char *elf;
    tfg_fw_link link;       /* as built (tfg_fw_info.link) */
    const int8_t *inputs;   /* n samples of input_bytes each, back to back */
    size_t n;
    size_t input_bytes, output_bytes;
    double timeout_s;       /* the whole run; <= 0: 20 s + 0.5 s per sample */
    const char *emulator;   /* program to run instead of the default (NULL: qemu-system-arm
                               from PATH; for AVR $TFG_SIMAVR_RUNNER, else
                               tfg-simavr-runner beside the running program, else PATH) */
    const char *work_dir;   /* scratch for the request file; NULL: a temp dir */
    bool lines;             /* a sketch: keep what it printed (r->text) instead of reading
                               reply frames; whatever it printed is TFG_OK, judged by the
                               caller (r->timed_out, r->idle) */
    bool sandbox;           /* run the emulator in bubblewrap: every namespace unshared (no
                               network), the host read-only, the firmware bound in alone
                               (UART link only; see tfg_fw_sandbox_works) */
} tfg_fw_run_opts;

typedef struct {
    int8_t *outputs;        /* n * output_bytes */
    uint64_t *work;         /* per inference: instructions (QEMU) or cycles (AVR) */
    size_t n;
    uint64_t work_min, work_max;
    double work_mean;
    double est_ms;          /* work_mean at the real board's clock; assumes one
                               instruction per cycle on Cortex-M (see assumption) */
    const char *work_unit;
    char assumption[320];   /* the sentence that says how est_ms was made */
    double seconds;         /* wall time of the emulator run */
    char *text;             /* lines mode: what the firmware printed (NUL-terminated) */
    size_t text_len;
    bool timed_out;         /* lines mode: stopped at the deadline... */
    bool idle;              /* ...because it printed nothing for TFG_FW_IDLE_S */
} tfg_fw_run_result;

/* TFG_EPROC when the emulator is not on PATH, crashes, the firmware reports a fault or
 * sends a frame that is not one (the byte offset and sample named); TFG_ETIMEOUT when
 * the firmware stops answering (how many samples it did answer is in the message);
 * TFG_EUSAGE for inconsistent options. On error *r is empty (safe to free). */
tfg_status tfg_fw_run(const tfg_fw_run_opts *o, tfg_fw_run_result *r, tfg_err *err);
void tfg_fw_run_result_free(tfg_fw_run_result *r);

/* Whether bubblewrap can make a sandbox here (it needs user namespaces or root); note
 * gets the sentence that says which sandbox a run gets, or why none. */
bool tfg_fw_sandbox_works(char *note, size_t n);

#endif
