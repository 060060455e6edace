/* mps2.c — board support for QEMU's MPS2 machines (mps2-an386 Cortex-M4, mps2-an500
 * Cortex-M7, mps2-an505 Cortex-M33): the CMSDK APB UART0 and timer0, semihosting, exit.
 *
 * AN505 boots in Secure state, so it uses the Secure aliases of its peripherals
 * (address bit 28 set); the others have one address each. The timer counts down from
 * 2^32-1 at the machine's system clock; under QEMU's -icount shift=0 one instruction
 * takes 1 ns of virtual time, so a tick is a fixed number of instructions (the host
 * knows how many per machine: src/target/target.c) and identical across runs.
 * Exit: with semihosting, SYS_EXIT_EXTENDED gives QEMU main's status as its exit code;
 * without it, a system reset request, which QEMU run with -no-reboot turns into an
 * exit (the status then travels in the last frame). */
#include <stdint.h>

#include "tfg_hal.h"

#if defined(TFG_MACHINE_MPS2_AN505)
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
#define TIMER_CTRL REG(TIMER0_BASE, 0x00u)
#define TIMER_VALUE REG(TIMER0_BASE, 0x04u)
#define TIMER_RELOAD REG(TIMER0_BASE, 0x08u)
#define SCB_AIRCR (*(volatile uint32_t *)0xE000ED0Cu)

void tfg_hal_init(void)
{
    UART_BAUDDIV = 16u; /* the smallest divider the CMSDK UART accepts */
    UART_CTRL = 3u;
    TIMER_RELOAD = 0xFFFFFFFFu;
    TIMER_VALUE = 0xFFFFFFFFu;
    TIMER_CTRL = 1u;
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
    return 0xFFFFFFFFu - TIMER_VALUE; /* counts up */
}

/* ---- semihosting: operation in r0, argument block in r1, result in r0 -------------- */

#define SYS_OPEN 0x01
#define SYS_READ 0x06
#define SYS_EXIT_EXTENDED 0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

#ifdef TFG_FW_SEMIHOST
static int semihost(int op, void *arg)
{
    register int r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static int g_file = -1;

int tfg_hal_file_open(const char *name)
{
    uint32_t len = 0;
    uint32_t block[3];
    while (name[len])
        len++;
    block[0] = (uint32_t)(uintptr_t)name;
    block[1] = 1u; /* "rb" */
    block[2] = len;
    g_file = semihost(SYS_OPEN, block);
    return g_file < 0 ? -1 : 0;
}

int tfg_hal_file_read(uint8_t *buf, int n)
{
    uint32_t block[3];
    int left;
    block[0] = (uint32_t)g_file;
    block[1] = (uint32_t)(uintptr_t)buf;
    block[2] = (uint32_t)n;
    left = semihost(SYS_READ, block); /* the number of bytes NOT read */
    if (left < 0 || left > n)
        return -1;
    return n - left;
}

void tfg_hal_exit(int status)
{
    uint32_t block[2];
    block[0] = ADP_STOPPED_APPLICATION_EXIT;
    block[1] = (uint32_t)status;
    semihost(SYS_EXIT_EXTENDED, block);
    for (;;) {
    }
}
#else
int tfg_hal_file_open(const char *name)
{
    (void)name;
    return -1;
}

int tfg_hal_file_read(uint8_t *buf, int n)
{
    (void)buf;
    (void)n;
    return -1;
}

void tfg_hal_exit(int status)
{
    (void)status;
    __asm__ volatile("dsb" ::: "memory");
    SCB_AIRCR = 0x05FA0004u; /* VECTKEY | SYSRESETREQ */
    __asm__ volatile("dsb" ::: "memory");
    for (;;) {
    }
}
#endif
