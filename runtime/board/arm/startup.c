/* startup.c — reset and fault handling for the Cortex-M firmware (C99, any ARMv6-M,
 * ARMv7-M, ARMv8-M or Armv8.1-M core QEMU emulates).
 *
 * The vector table's first two words are what the core loads at reset: the initial
 * stack pointer and the reset handler. The reset handler turns the FPU (and Helium, which
 * shares its enable) on where the build uses one, copies initialised data from flash,
 * clears .bss (the model's arena lives there) and calls main. Every fault lands in one
 * handler that tells the host which exception it was (an 'E' frame) before stopping, so a
 * crash is reported, not a silent hang. Symbols come from cortex-m.ld. */
#include <stdint.h>
#include <string.h>

#include "tfg_hal.h"

extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[], _stack_top[];
extern int main(void);

void tfg_hal_reset_handler(void);
void tfg_hal_fault_handler(void);

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)

void tfg_hal_reset_handler(void)
{
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE) || defined(TFG_MACHINE_MPS3_AN547)
    /* CP10 and CP11 full access, before the first floating-point or Helium (MVE)
     * instruction: until then both trap, and on the M55 the first MVE instruction
     * escalates to a lockup. */
    SCB_CPACR |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    memcpy(_sdata, _sidata, (size_t)((char *)_edata - (char *)_sdata));
    memset(_sbss, 0, (size_t)((char *)_ebss - (char *)_sbss));
    main();
    tfg_hal_exit(0);
}

void tfg_hal_fault_handler(void)
{
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    tfg_hal_on_fault((int)(ipsr & 0x1FFu));
}

/* 16 system exceptions and 16 interrupts; the firmware enables no interrupt, so
 * anything that arrives is unexpected and reported like a fault. */
typedef void (*tfg_vector)(void);
__attribute__((section(".vectors"), used)) const tfg_vector tfg_vectors[32] = {
    (tfg_vector)(uintptr_t)_stack_top,
    tfg_hal_reset_handler,
    tfg_hal_fault_handler, tfg_hal_fault_handler, tfg_hal_fault_handler, tfg_hal_fault_handler,
    tfg_hal_fault_handler, tfg_hal_fault_handler, tfg_hal_fault_handler, tfg_hal_fault_handler,
    tfg_hal_fault_handler, tfg_hal_fault_handler, tfg_hal_fault_handler, tfg_hal_fault_handler,
    tfg_hal_fault_handler, tfg_hal_fault_handler, tfg_hal_fault_handler, tfg_hal_fault_handler,
    tfg_hal_fault_handler, tfg_hal_fault_handler, tfg_hal_fault_handler, tfg_hal_fault_handler,
    tfg_hal_fault_handler, tfg_hal_fault_handler, tfg_hal_fault_handler, tfg_hal_fault_handler,
    tfg_hal_fault_handler, tfg_hal_fault_handler, tfg_hal_fault_handler, tfg_hal_fault_handler,
    tfg_hal_fault_handler, tfg_hal_fault_handler};
