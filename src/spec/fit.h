/* fit.h — the one rule for what a model's firmware needs of a board: the architecture
 * chooser (nn/chooser.c) holds a network to it before training, from estimates, and the
 * firmware builder (target/fw_fit.c) holds the generated model to it before compiling
 * and the linked firmware after. Below both, so they cannot drift apart:
 *
 *   flash = the model's constant data + the code
 *   RAM   = the arena + the input and output buffers + the stack + the program's own
 *           data, + the model's constant data on AVR (its kernels read constants through
 *           ordinary pointers, so start-up copies them into RAM)
 *
 * Before the program exists its code and data are an allowance (tfg_fit_allow_program),
 * sized for the larger of the two programs a model ships in: the validate stage's frame
 * server (runtime/board/fw_main.c) and the builtin application sketch. Measured with
 * avr-size / arm-none-eabi-size on fruit (3 features, 3 classes) and a 32-feature,
 * 4-class table, the sketch keeps on the Uno 324 bytes of its own (serial, shim, sensor,
 * strings) + 8 per feature (the raw reading and the features, as floats) + the class
 * names with their NULs + a 2-byte pointer per class; the frame server about 50. On a
 * Cortex-M the names stay in flash and the frame server keeps about 300. */
#ifndef TFG_SPEC_FIT_H
#define TFG_SPEC_FIT_H

#include <stdint.h>

#include "spec/boards.h"

/* How a board's firmware spends memory. */
typedef enum {
    TFG_FIT_CORTEX_M = 0, /* constants in flash; cortex-m.ld reserves the stack */
    TFG_FIT_AVR           /* constants copied to RAM; no stack reserved, some counted */
} tfg_fit_arch;

#define TFG_FIT_ARM_STACK 4096u /* the stack cortex-m.ld reserves (TFG_STACK) */
#define TFG_FIT_AVR_STACK 256u  /* AVR reserves none; this much is counted for it */

/* By the board's core: "avr..." is AVR, anything else a Cortex-M. */
tfg_fit_arch tfg_fit_arch_of(const tfg_board *b);
uint64_t tfg_fit_stack(tfg_fit_arch a);

/* The parts of a firmware, in bytes. */
typedef struct {
    uint64_t weights; /* the model's constants: weights, biases, prepared parameters */
    uint64_t arena;   /* the model's activations (one static arena) */
    uint64_t io;      /* the model's input and output buffers */
    uint64_t code;    /* all code (0: not counted, before compiling) */
    uint64_t program; /* RAM of the program around the model beyond io and the stack
                         (0: not counted) */
} tfg_fit_parts;

uint64_t tfg_fit_flash(tfg_fit_arch a, const tfg_fit_parts *p);
uint64_t tfg_fit_ram(tfg_fit_arch a, const tfg_fit_parts *p);

/* Sets p->code and p->program to the allowance for a program not yet built, around a
 * model with `features` inputs and `classes` outputs whose class names take
 * `name_bytes` (each name's length + 1; 0 when there are none). */
void tfg_fit_allow_program(tfg_fit_arch a, uint64_t features, uint64_t classes,
                           uint64_t name_bytes, tfg_fit_parts *p);

#endif
