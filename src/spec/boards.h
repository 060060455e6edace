/* boards.h — the board table (boards/boards.json): every board a spec may name, with
 * its core, clock, memory, compiler flags and emulated stand-in. Boards come from the
 * data file, never from code. Below spec.h, which keeps a copy of the spec's board. */
#ifndef TFG_SPEC_BOARDS_H
#define TFG_SPEC_BOARDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct {
    char *id;          /* "arduino_nano_33_ble_sense" */
    char *name;        /* "Arduino Nano 33 BLE Sense" */
    char **aliases;    /* other accepted names, NULL-terminated, or NULL */
    char *mcu;         /* "nRF52840" */
    char *core;        /* "cortex-m4f" */
    uint64_t clock_hz;
    uint64_t flash_bytes, ram_bytes;
    bool fpu;
    char *emulator;    /* the emulated stand-in: "qemu:mps2-an386", "simavr:atmega328p",
                          or NULL (target/target.h reads it) */
    char **cpu_flags;  /* compiler flags for its CPU ("-mcpu=cortex-m4", ...),
                          NULL-terminated, or NULL */
    bool emulated;     /* the entry IS an emulated machine, not a real board */
} tfg_board;

typedef struct {
    tfg_board *items;
    size_t n;
} tfg_boards;

/* The board file: $TINYFORGE_BOARDS if set, else boards.json found by core/resource.h
 * ($TINYFORGE_HOME, the install, the source tree's boards/boards.json). */
const char *tfg_boards_default_path(void);
tfg_status tfg_boards_load(const char *path, tfg_boards *b, tfg_err *err);
void tfg_boards_free(tfg_boards *b);
/* A deep copy of one board entry, and its release. */
void tfg_board_copy(tfg_board *dst, const tfg_board *src);
void tfg_board_free(tfg_board *b);
/* By id, name or alias as a person types it: case and everything but letters and digits
 * are ignored ("micro:bit" is "microbit", "Nano 33" is "nano_33"); NULL if unknown. */
const tfg_board *tfg_boards_find(const tfg_boards *b, const char *name);
/* "did you mean ..." text with up to three closest board ids, into out (compared as
 * tfg_boards_find compares). */
void tfg_boards_suggest(const tfg_boards *b, const char *name, char *out, size_t n);

#endif
