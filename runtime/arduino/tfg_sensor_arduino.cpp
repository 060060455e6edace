/* tfg_sensor_arduino.cpp — the sensor stream's hooks (tfg_sensor.h) on a real Arduino
 * core: bytes from the UART, lines to Serial, and at the end of the stream the board
 * stops (on AVR: sleeping with interrupts off, which simavr takes as the end of the
 * run). Part of the exported Arduino library only; the shim has its own hooks. */
#include <Arduino.h>
#if defined(__AVR__)
#include <avr/interrupt.h>
#include <avr/sleep.h>
#endif

#include "tfg_sensor.h"

/* On AVR the stream bypasses Serial's 64-byte receive buffer: with the receive
 * interrupt off, a byte stays in the UART until read, so the emulator's flow control
 * (simavr's XON) paces the host and no byte is dropped however long an inference takes.
 * Elsewhere, Serial. */
extern "C" int tfg_sensor_getc(void)
{
#if defined(__AVR__) && defined(UCSR0B)
    UCSR0B &= (uint8_t)~(1u << RXCIE0);
    while (!(UCSR0A & (1u << RXC0))) {
    }
    return UDR0;
#else
    while (Serial.available() <= 0) {
    }
    return Serial.read();
#endif
}

extern "C" void tfg_sensor_puts(const char *s)
{
    Serial.print(s);
}

extern "C" void tfg_sensor_stop(void)
{
    Serial.flush();
#if defined(__AVR__)
    cli();
    set_sleep_mode(SLEEP_MODE_PWR_DOWN);
    sleep_enable();
    sleep_cpu();
#endif
    for (;;) {
    }
}
