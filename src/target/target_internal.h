/* target_internal.h — what build.c and run.c share inside the target library: the
 * table of emulated machines this version has board support for, finding programs on
 * PATH, and the host side of the frame protocol (frames.c). Not part of the API. */
#ifndef TFG_TARGET_INTERNAL_H
#define TFG_TARGET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"
#include "core/error.h"
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

/* True when prog (a bare name) is an executable file in a $PATH directory, or prog
 * contains a '/' and is executable. */
bool tfg_target_on_path(const char *prog);

/* The simavr runner program: $TFG_SIMAVR_RUNNER, else tfg-simavr-runner beside the
 * running program, else the bare name (PATH). New string. */
char *tfg_target_simavr_runner(void);

/* The runtime/ folder (codegen/stage.h tfg_runtime_dir: $TINYFORGE_RUNTIME, else the
 * source tree this binary was built from). New string. */
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

/* An argv for an external tool (tools.c): arguments borrowed, or owned and freed with
 * it; v stays NULL-terminated. Past TFG_ARGV_MAX arguments further ones are dropped, so
 * the limit is far above any command tinyforge builds. */
#define TFG_ARGV_MAX 256
typedef struct {
    const char *v[TFG_ARGV_MAX];
    char *owned[TFG_ARGV_MAX];
    int n, n_owned;
} tfg_argv;

void tfg_argv_add(tfg_argv *a, const char *s);
void tfg_argv_own(tfg_argv *a, char *s);
void tfg_argv_free(tfg_argv *a);

/* Up to three lines of a compiler's or linker's output that report the problem
 * (error, undefined reference, region overflow), " | "-joined, each cut at 300 bytes;
 * the first 300 bytes when none does. A new string. */
char *tfg_tool_first_errors(const char *text);

#endif
