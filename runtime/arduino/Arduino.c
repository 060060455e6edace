/* Arduino.c — the C99 side of the Arduino shim (Arduino.h): the program's main,
 * Serial on the board's UART (runtime/board/tfg_hal.h), time from the board's tick
 * counter, and what ends a run: the end of the sensor stream, a CPU fault, or a smashed
 * stack, each announced to the host by a "#tfg-..." line before the board stops.
 *
 * main runs setup() once and loop() for ever, as the Arduino core does (on AVR,
 * avr-libc's start-up code has run C++ constructors; the Cortex-M start-up code runs
 * none, so the validator refuses a sketch that needs one); the run ends inside a sensor read
 * once the host's stream is over (tfg_sensor.c). TFG_TICKS_PER_MS (set by the builder
 * from the board's timer) turns ticks into milliseconds. */
#include <stdint.h>
#include <string.h>

#include "Arduino.h"
#include "tfg_hal.h"
#include "tfg_sensor.h"

#ifndef TFG_TICKS_PER_MS
#define TFG_TICKS_PER_MS 25000UL
#endif

/* ---- program ------------------------------------------------------------------------ */

int main(void)
{
    tfg_hal_init();
    setup();
    for (;;)
        loop();
}

/* ---- how a run ends ------------------------------------------------------------------- */

void tfg_sensor_puts(const char *s)
{
    tfg_serial_write(s, strlen(s));
}

void tfg_sensor_stop(void)
{
    tfg_hal_uart_flush();
    tfg_hal_exit(0);
}

int tfg_sensor_getc(void)
{
    return tfg_hal_uart_getc();
}

/* The fault handler of the board support (startup.c) lands here. */
void tfg_hal_on_fault(int exception)
{
    tfg_serial_print_str("\r\n#tfg-fault exception ");
    tfg_serial_print_long(exception, 10);
    tfg_serial_print_str(" after readings ");
    tfg_serial_print_ulong(tfg_sensor_count(), 10);
    tfg_serial_print_str("\r\n");
    tfg_hal_uart_flush();
    tfg_hal_exit(3);
}

/* -fstack-protector: a sketch that writes past a local array is stopped and named. */
uintptr_t __stack_chk_guard = 0x5AFE7F0Du;
void __stack_chk_fail(void);
void __stack_chk_fail(void)
{
    tfg_serial_print_str("\r\n#tfg-fault stack-smashing after readings ");
    tfg_serial_print_ulong(tfg_sensor_count(), 10);
    tfg_serial_print_str("\r\n");
    tfg_hal_uart_flush();
    tfg_hal_exit(3);
}

/* ---- Serial ---------------------------------------------------------------------------- */

void tfg_serial_begin(unsigned long baud)
{
    (void)baud; /* the emulated UART has no line rate */
}

size_t tfg_serial_write(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        tfg_hal_uart_putc((uint8_t)s[i]);
    return n;
}

size_t tfg_serial_print_str(const char *s)
{
    return s ? tfg_serial_write(s, strlen(s)) : 0;
}

size_t tfg_serial_print_ulong(unsigned long v, int base)
{
    char tmp[33];
    int n = 0;
    size_t out = 0;
    if (base < 2 || base > 16)
        base = 10;
    do {
        tmp[n++] = "0123456789ABCDEF"[v % (unsigned long)base];
        v /= (unsigned long)base;
    } while (v);
    while (n)
        out += tfg_serial_write(&tmp[--n], 1);
    return out;
}

size_t tfg_serial_print_long(long v, int base)
{
    if (v < 0 && base == 10)
        return tfg_serial_write("-", 1) + tfg_serial_print_ulong(0UL - (unsigned long)v, 10);
    return tfg_serial_print_ulong((unsigned long)v, base);
}

/* Fixed point with `digits` decimals, rounded half up, as the Arduino core prints. */
size_t tfg_serial_print_double(double v, int digits)
{
    size_t out = 0;
    double r = 0.5;
    unsigned long whole;
    int i;
    if (v != v)
        return tfg_serial_print_str("nan");
    if (v > 4294967040.0 || v < -4294967040.0)
        return tfg_serial_print_str("ovf");
    if (v < 0) {
        out += tfg_serial_write("-", 1);
        v = -v;
    }
    if (digits < 0)
        digits = 0;
    for (i = 0; i < digits; i++)
        r /= 10.0;
    v += r;
    whole = (unsigned long)v;
    out += tfg_serial_print_ulong(whole, 10);
    v -= (double)whole;
    if (digits > 0)
        out += tfg_serial_write(".", 1);
    for (i = 0; i < digits; i++) {
        int d;
        v *= 10.0;
        d = (int)v;
        out += tfg_serial_print_ulong((unsigned long)d, 10);
        v -= d;
    }
    return out;
}

/* The UART's receive side carries the sensor stream; a sketch reading it itself only
 * steals readings. There is never a byte "available" to a polling sketch. */
int tfg_serial_available(void)
{
    return 0;
}

int tfg_serial_read(void)
{
    return -1;
}

void tfg_serial_flush(void)
{
    tfg_hal_uart_flush();
}

/* ---- time and pins ----------------------------------------------------------------------- */

unsigned long millis(void)
{
    return (unsigned long)(tfg_hal_ticks() / (uint32_t)TFG_TICKS_PER_MS);
}

unsigned long micros(void)
{
    uint32_t per_us = (uint32_t)TFG_TICKS_PER_MS / 1000u;
    return (unsigned long)(tfg_hal_ticks() / (per_us ? per_us : 1u));
}

void delay(unsigned long ms)
{
    (void)ms;
}

void delayMicroseconds(unsigned int us)
{
    (void)us;
}

void pinMode(uint8_t pin, uint8_t mode)
{
    (void)pin;
    (void)mode;
}

void digitalWrite(uint8_t pin, uint8_t value)
{
    (void)pin;
    (void)value;
}
