/* avr.c — board support for the ATmega328P (the Arduino Uno) under simavr: USART0 at
 * 115200 baud polled, Timer1 counting CPU cycles, exit by sleeping with interrupts off
 * (which simavr takes as the program's end). No semihosting on AVR: requests come over
 * the UART only. Timer1 runs at the CPU clock; its overflow interrupt extends it to 32
 * bits, so a tick is one cycle (the few cycles of that interrupt are counted too). */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>
#include <stdint.h>

#include "tfg_hal.h"

#define BAUD 115200UL

static volatile uint16_t g_overflows;
static uint8_t g_sent;

ISR(TIMER1_OVF_vect)
{
    g_overflows++;
}

void tfg_hal_init(void)
{
    uint16_t ubrr = (uint16_t)((F_CPU + 4UL * BAUD) / (8UL * BAUD) - 1UL);
    UCSR0A = (uint8_t)(1u << U2X0);
    UBRR0H = (uint8_t)(ubrr >> 8);
    UBRR0L = (uint8_t)(ubrr & 0xFFu);
    UCSR0C = (uint8_t)((1u << UCSZ01) | (1u << UCSZ00));
    UCSR0B = (uint8_t)((1u << RXEN0) | (1u << TXEN0));
    TCCR1A = 0;
    TCCR1B = (uint8_t)(1u << CS10);
    TIMSK1 = (uint8_t)(1u << TOIE1);
    sei();
}

int tfg_hal_uart_getc(void)
{
    while (!(UCSR0A & (1u << RXC0))) {
    }
    return UDR0;
}

void tfg_hal_uart_putc(uint8_t c)
{
    while (!(UCSR0A & (1u << UDRE0))) {
    }
    UCSR0A |= (uint8_t)(1u << TXC0); /* writing 1 clears "transmit complete" */
    UDR0 = c;
    g_sent = 1;
}

void tfg_hal_uart_flush(void)
{
    if (g_sent)
        while (!(UCSR0A & (1u << TXC0))) {
        }
}

uint32_t tfg_hal_ticks(void)
{
    uint8_t sreg = SREG;
    uint16_t lo, hi;
    cli();
    lo = TCNT1;
    hi = g_overflows;
    if ((TIFR1 & (1u << TOV1)) && lo < 0x8000u)
        hi++; /* overflowed after interrupts were disabled: not yet counted */
    SREG = sreg;
    return ((uint32_t)hi << 16) | lo;
}

void tfg_hal_exit(int status)
{
    (void)status;
    tfg_hal_uart_flush();
    cli();
    set_sleep_mode(SLEEP_MODE_PWR_DOWN);
    sleep_enable();
    sleep_cpu();
    for (;;) {
    }
}

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
