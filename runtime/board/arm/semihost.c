/* semihost.c — what every Cortex-M stand-in does the same way: request bytes from a host
 * file over ARM semihosting, and ending the program (C99; ARMv6-M and up).
 *
 * The machine files (mps2.c, nrf51.c) hold only what differs between machines: the
 * UART and the timer. Semihosting is a BKPT 0xAB trap that QEMU answers when run with
 * -semihosting-config enable=on; it exists on every M-profile core QEMU emulates, the
 * Cortex-M0 of the micro:bit included. Exit: with semihosting, SYS_EXIT_EXTENDED gives
 * QEMU main's status as its exit code; without it, a system reset request (SCB AIRCR,
 * architectural on every M profile), which QEMU run with -no-reboot turns into an exit
 * (the status then travels in the last frame). */
#include <stdint.h>

#include "tfg_hal.h"

#define SCB_AIRCR (*(volatile uint32_t *)0xE000ED0Cu)
#define AIRCR_SYSRESETREQ 0x05FA0004u /* VECTKEY | SYSRESETREQ */

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
    SCB_AIRCR = AIRCR_SYSRESETREQ;
    __asm__ volatile("dsb" ::: "memory");
    for (;;) {
    }
}
#endif
