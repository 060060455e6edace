/* nrf51.c — board support for QEMU's `microbit` machine (BBC micro:bit: nRF51822,
 * Cortex-M0, 256 KiB flash, 16 KiB RAM): the nRF51 UART and TIMER0. Semihosting and
 * exit are the same on every Cortex-M machine (semihost.c).
 *
 * UART: QEMU models the nRF51 UART's register interface (tasks, events, ENABLE, RXD,
 * TXD); baud rate and pins are accepted and ignored there, set anyway so the same code
 * is right on the real chip (the micro:bit's USB serial: TX P0.24, RX P0.25). A write
 * to TXD while a byte is still pending is dropped, so every byte waits for TXDRDY. RXD
 * pops QEMU's 6-byte receive FIFO and raises RXDRDY again while bytes remain, so the
 * event is cleared BEFORE RXD is read, never after.
 *
 * Timer: TIMER0 in 32-bit timer mode. The nRF51 counter cannot be read directly: the
 * CAPTURE[0] task copies it into CC[0]. Its base clock is 16 MHz, 62.5 ns a tick: under
 * -icount shift=0 (1 ns per instruction) that is 62.5 instructions, not a whole number,
 * and QEMU rounds each conversion between ticks and ns down. Prescaler 1 (8 MHz, 125 ns)
 * makes one tick exactly 125 instructions (measured: docs/target.md), which the host
 * multiplies back (src/target/target.c). Every .c file of this folder is compiled for every
 * Cortex-M machine, so this one is empty unless the build names the micro:bit. */
#include <stdint.h>

#include "tfg_hal.h"

#if defined(TFG_MACHINE_MICROBIT)

#define UART0_BASE 0x40002000u
#define TIMER0_BASE 0x40008000u

#define REG(base, off) (*(volatile uint32_t *)((base) + (off)))
#define UART_TASKS_STARTRX REG(UART0_BASE, 0x000u)
#define UART_TASKS_STARTTX REG(UART0_BASE, 0x008u)
#define UART_EVENTS_RXDRDY REG(UART0_BASE, 0x108u)
#define UART_EVENTS_TXDRDY REG(UART0_BASE, 0x11Cu)
#define UART_ENABLE REG(UART0_BASE, 0x500u)
#define UART_PSELTXD REG(UART0_BASE, 0x50Cu)
#define UART_PSELRXD REG(UART0_BASE, 0x514u)
#define UART_RXD REG(UART0_BASE, 0x518u)
#define UART_TXD REG(UART0_BASE, 0x51Cu)
#define UART_BAUDRATE REG(UART0_BASE, 0x524u)

#define UART_ENABLE_ON 4u
#define UART_BAUD_115200 0x01D7E000u
#define MICROBIT_TX_PIN 24u
#define MICROBIT_RX_PIN 25u

#define TIMER_TASKS_START REG(TIMER0_BASE, 0x000u)
#define TIMER_TASKS_STOP REG(TIMER0_BASE, 0x004u)
#define TIMER_TASKS_CLEAR REG(TIMER0_BASE, 0x00Cu)
#define TIMER_TASKS_CAPTURE0 REG(TIMER0_BASE, 0x040u)
#define TIMER_MODE REG(TIMER0_BASE, 0x504u)
#define TIMER_BITMODE REG(TIMER0_BASE, 0x508u)
#define TIMER_PRESCALER REG(TIMER0_BASE, 0x510u)
#define TIMER_CC0 REG(TIMER0_BASE, 0x540u)

#define TIMER_MODE_TIMER 0u
#define TIMER_BITMODE_32 3u
#define TIMER_PRESCALER_8MHZ 1u /* 16 MHz >> 1: a whole 125 ns a tick */

void tfg_hal_init(void)
{
    UART_PSELTXD = MICROBIT_TX_PIN;
    UART_PSELRXD = MICROBIT_RX_PIN;
    UART_BAUDRATE = UART_BAUD_115200;
    UART_ENABLE = UART_ENABLE_ON;
    UART_EVENTS_RXDRDY = 0u;
    UART_EVENTS_TXDRDY = 0u;
    UART_TASKS_STARTTX = 1u;
    UART_TASKS_STARTRX = 1u;

    /* Mode, width and prescaler may only change while the timer is stopped. */
    TIMER_TASKS_STOP = 1u;
    TIMER_MODE = TIMER_MODE_TIMER;
    TIMER_BITMODE = TIMER_BITMODE_32;
    TIMER_PRESCALER = TIMER_PRESCALER_8MHZ;
    TIMER_TASKS_CLEAR = 1u;
    TIMER_TASKS_START = 1u;
}

int tfg_hal_uart_getc(void)
{
    while (!UART_EVENTS_RXDRDY) {
    }
    UART_EVENTS_RXDRDY = 0u;
    return (int)(UART_RXD & 0xFFu);
}

void tfg_hal_uart_putc(uint8_t c)
{
    UART_EVENTS_TXDRDY = 0u;
    UART_TXD = c;
    while (!UART_EVENTS_TXDRDY) {
    }
}

void tfg_hal_uart_flush(void)
{
    /* putc returns only once its byte has left: nothing is ever pending here. */
}

uint32_t tfg_hal_ticks(void)
{
    TIMER_TASKS_CAPTURE0 = 1u;
    return TIMER_CC0;
}

#else
typedef int tfg_nrf51_unused; /* ISO C wants a translation unit to declare something */
#endif
