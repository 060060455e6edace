/* target_internal.h — what the target library's files share: the table of emulated
 * machines this version has board support for, the one fit rule (fw_fit.c), and the
 * host side of the frame protocol (frames.c). Not part of the API. */
#ifndef TFG_TARGET_INTERNAL_H
#define TFG_TARGET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/tool.h"
#include "target/target.h"

/* One emulated machine and its board support in runtime/board/. */
typedef struct {
    tfg_emu_kind emu;
    const char *name;         /* "mps2-an386" */
    const char *bsp;          /* folder in runtime/board/ */
    const char *define;       /* -D for the board support, or NULL */
    const char *ldscript;     /* linker script in the bsp folder, or NULL */
    uint64_t flash, ram;      /* its memory map's room for code and for data */
    uint32_t work_per_tick;   /* instructions per timer tick under -icount shift=0 */
    const char *cpu_name;     /* for messages: "Cortex-M4" */
} tfg_machine;

const tfg_machine *tfg_machine_find(tfg_emu_kind emu, const char *name);

/* The simavr runner program: $TFG_SIMAVR_RUNNER, else tfg-simavr-runner beside the
 * running program, else the bare name (PATH). New string. */
char *tfg_target_simavr_runner(void);

/* The runtime/ folder (codegen/stage.h tfg_runtime_dir: $TINYFORGE_RUNTIME, else where
 * core/resource.h finds shipped files: $TINYFORGE_HOME, the install, the source tree).
 * New string. */
char *tfg_target_runtime_dir(void);

/* ---- frames.c: the host's reader of the firmware's replies --------------------------- */

typedef struct {
    uint8_t type;
    const uint8_t *payload;
    uint16_t len;
    size_t offset;            /* where the frame starts in the stream */
} tfg_frame;

typedef enum {
    TFG_FRAME_OK = 0,
    TFG_FRAME_END,            /* no more bytes */
    TFG_FRAME_TRUNCATED,      /* the stream ends inside a frame */
    TFG_FRAME_NOSYNC,         /* a byte where a frame should start is not the sync byte */
    TFG_FRAME_CRC             /* the frame's CRC does not match */
} tfg_frame_status;

/* Reads the frame at *pos of buf[0..len); advances *pos past it on success. On
 * TFG_FRAME_CRC, *crc_got / *crc_want hold the two values. */
tfg_frame_status tfg_frame_next(const uint8_t *buf, size_t len, size_t *pos, tfg_frame *f,
                                uint16_t *crc_got, uint16_t *crc_want);

/* Appends one frame to a growing byte buffer (the host's requests). */
void tfg_frame_put(tfg_buf *b, uint8_t type, const void *payload, uint16_t len);

/* ---- fw_fit.c: the one size and fit rule ---------------------------------------------- */

/* The stacks counted and the rule itself: spec/fit.h, shared with the chooser. */

/* Section sums of `size -A` output (an object or a linked ELF). */
typedef struct {
    uint64_t text, rodata, data, bss, stack, exidx, init_array;
} tfg_fw_sections;

void tfg_fw_sections_parse(const char *size_output, tfg_fw_sections *s);

/* The flash/RAM figures and limits of a linked firmware from its sections and (may be
 * NULL, then the model's parts are 0) the model object's: the rule of fw_fit.c. */
void tfg_fw_measure(const tfg_target *t, const tfg_fw_sections *fw,
                    const tfg_fw_sections *model, tfg_fw_info *info);

typedef struct {
    const char *name;
    uint64_t bytes;
} tfg_fw_part;

/* TFG_ECHECK when used > limit: "<what> does not fit the <board>: it needs [at least]
 * N bytes of <memory>, M more than the board's L; the largest part is the <part> (B
 * bytes)". */
tfg_status tfg_fw_over(const tfg_target *t, const char *what, const char *memory,
                       bool at_least, uint64_t used, uint64_t limit, const tfg_fw_part *parts,
                       int n, tfg_err *err);

/* Before compiling: the model's weights, arena, input+output buffers and the stack, by
 * spec/fit.h's rule with the program around the model not yet counted ("at least"). */
tfg_status tfg_fw_fit_model(const tfg_target *t, uint64_t weights, uint64_t arena,
                            uint64_t io, tfg_err *err);

/* After linking: info's flash and RAM against info's limits; what names the firmware. */
tfg_status tfg_fw_fit(const tfg_target *t, const tfg_fw_info *info, const char *what,
                      tfg_err *err);

#endif
