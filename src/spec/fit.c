/* fit.c — the one rule for what a model's firmware needs of a board (see fit.h). */
#include "spec/fit.h"

#include <string.h>

/* The program allowances (fit.h says where the numbers come from). Code: kernels, UART
 * protocol, shim and C library, well above the 5.6 KB (frame server) and 8.6 KB (sketch)
 * fruit links to on the Uno. */
#define CODE_ALLOWANCE (16u * 1024u)
#define AVR_PROGRAM_BYTES 324u   /* the sketch's own data on the Uno (the frame server's
                                    is far less) */
#define ARM_SERVER_BYTES 320u    /* the frame server's on a Cortex-M (about 300) */
#define ARM_SKETCH_BYTES 32u     /* the sketch's own on a Cortex-M, besides its floats */
#define PER_FEATURE_BYTES 8u     /* the raw reading and the features, as floats */
#define AVR_PER_CLASS_BYTES 2u   /* a pointer to each class name */

tfg_fit_arch tfg_fit_arch_of(const tfg_board *b)
{
    return b && b->core && !strncmp(b->core, "avr", 3) ? TFG_FIT_AVR : TFG_FIT_CORTEX_M;
}

uint64_t tfg_fit_stack(tfg_fit_arch a)
{
    return a == TFG_FIT_AVR ? TFG_FIT_AVR_STACK : TFG_FIT_ARM_STACK;
}

uint64_t tfg_fit_flash(tfg_fit_arch a, const tfg_fit_parts *p)
{
    (void)a;
    return p->weights + p->code;
}

uint64_t tfg_fit_ram(tfg_fit_arch a, const tfg_fit_parts *p)
{
    return p->arena + p->io + tfg_fit_stack(a) + p->program +
           (a == TFG_FIT_AVR ? p->weights : 0);
}

void tfg_fit_allow_program(tfg_fit_arch a, uint64_t features, uint64_t classes,
                           uint64_t name_bytes, tfg_fit_parts *p)
{
    p->code = CODE_ALLOWANCE;
    if (a == TFG_FIT_AVR)
        p->program = AVR_PROGRAM_BYTES + PER_FEATURE_BYTES * features + name_bytes +
                     AVR_PER_CLASS_BYTES * classes;
    else if (ARM_SKETCH_BYTES + PER_FEATURE_BYTES * features > ARM_SERVER_BYTES)
        p->program = ARM_SKETCH_BYTES + PER_FEATURE_BYTES * features;
    else
        p->program = ARM_SERVER_BYTES;
}
