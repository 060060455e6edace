/* tfg_hal.h — what a board support package gives the firmware main (fw_main.c).
 *
 * One small interface per emulated machine family: runtime/board/arm/ for the QEMU
 * Cortex-M machines, runtime/board/avr/ for simavr's ATmega328P. The main only frames
 * bytes and calls the model; everything that touches a register lives behind this. */
#ifndef TFG_HAL_H
#define TFG_HAL_H

#include <stdint.h>

/* Clocks, UART and the tick counter; called once before anything else. */
void tfg_hal_init(void);
/* Blocking UART byte I/O. */
int tfg_hal_uart_getc(void);
void tfg_hal_uart_putc(uint8_t c);
/* Waits until every byte handed to the UART has left it. */
void tfg_hal_uart_flush(void);
/* A free-running tick counter for measuring work (ticks, wrapping at 2^32). On QEMU's
 * mps2 machines it counts the CMSDK timer, on the micro:bit the nRF51's TIMER0 (each a
 * fixed number of instructions per tick under -icount: 40, 50, 125; docs/target.md);
 * on AVR it counts CPU cycles. */
uint32_t tfg_hal_ticks(void);
/* Ends the program with status (0 ok). Never returns. */
void tfg_hal_exit(int status);

/* Request bytes from a host file (semihosting builds only): opens it, returns 0 on
 * success; reads up to n bytes, returns the count (0 at the end, < 0 on error). */
int tfg_hal_file_open(const char *name);
int tfg_hal_file_read(uint8_t *buf, int n);

/* Called from the fault handler with the exception number. Never returns. */
void tfg_hal_on_fault(int exception);

#endif
