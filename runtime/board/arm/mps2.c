/* mps2.c — board support for QEMU's MPS2 and MPS3 machines (mps2-an386 Cortex-M4,
 * mps2-an500 Cortex-M7, mps2-an505 Cortex-M33, mps3-an547 Cortex-M55): the CMSDK APB
 * UART0 and a timer. Semihosting and exit are the same on every Cortex-M machine
 * (semihost.c).
 *
 * AN505 and AN547 boot in Secure state, so they use the Secure aliases of their
 * peripherals (address bit 28 set); the others have one address each. On MPS2 the timer
 * is the CMSDK timer0, counting down from 2^32-1 at the machine's system clock. AN547's
 * SSE-300 has no CMSDK timer; its FPGAIO block's COUNTER counts up from 0 at reset, one
 * step per cycle of the prescale clock while PRESCALE is 0 (its reset value). Under
 * QEMU's -icount shift=0 one instruction takes 1 ns of virtual time, so a tick is a fixed
 * number of instructions (the host knows how many per machine: src/target/target.c) and
 * identical across runs. Every .c file of this folder is compiled for every Cortex-M
 * machine, so this one is empty unless the build names an MPS2 or MPS3 machine. */
#include <stdint.h>

#include "tfg_hal.h"

#if defined(TFG_MACHINE_MPS2_AN386) || defined(TFG_MACHINE_MPS2_AN500) || \
    defined(TFG_MACHINE_MPS2_AN505) || defined(TFG_MACHINE_MPS3_AN547)

#if defined(TFG_MACHINE_MPS3_AN547)
#define UART0_BASE 0x59303000u
#define FPGAIO_BASE 0x59302000u
#elif defined(TFG_MACHINE_MPS2_AN505)
#define UART0_BASE 0x50200000u
#define TIMER0_BASE 0x50000000u
#else
#define UART0_BASE 0x40004000u
#define TIMER0_BASE 0x40000000u
#endif

#define REG(base, off) (*(volatile uint32_t *)((base) + (off)))
#define UART_DATA REG(UART0_BASE, 0x00u)
#define UART_STATE REG(UART0_BASE, 0x04u) /* bit 0 TX full, bit 1 RX full */
#define UART_CTRL REG(UART0_BASE, 0x08u)  /* bit 0 TX enable, bit 1 RX enable */
#define UART_BAUDDIV REG(UART0_BASE, 0x10u)
#if defined(FPGAIO_BASE)
#define FPGAIO_COUNTER REG(FPGAIO_BASE, 0x18u)
#else
#define TIMER_CTRL REG(TIMER0_BASE, 0x00u)
#define TIMER_VALUE REG(TIMER0_BASE, 0x04u)
#define TIMER_RELOAD REG(TIMER0_BASE, 0x08u)
#endif

void tfg_hal_init(void)
{
    UART_BAUDDIV = 16u; /* the smallest divider the CMSDK UART accepts */
    UART_CTRL = 3u;
#if !defined(FPGAIO_BASE)
    TIMER_RELOAD = 0xFFFFFFFFu;
    TIMER_VALUE = 0xFFFFFFFFu;
    TIMER_CTRL = 1u;
#endif
}

int tfg_hal_uart_getc(void)
{
    while (!(UART_STATE & 2u)) {
    }
    return (int)(UART_DATA & 0xFFu);
}

void tfg_hal_uart_putc(uint8_t c)
{
    while (UART_STATE & 1u) {
    }
    UART_DATA = c;
}

void tfg_hal_uart_flush(void)
{
    while (UART_STATE & 1u) {
    }
}

uint32_t tfg_hal_ticks(void)
{
#if defined(FPGAIO_BASE)
    return FPGAIO_COUNTER;
#else
    return 0xFFFFFFFFu - TIMER_VALUE; /* counts up */
#endif
}

#else
typedef int tfg_mps2_unused; /* ISO C wants a translation unit to declare something */
#endif
