/* Arduino.h — the tinyforge Arduino shim: the part of the Arduino core API an
 * application sketch needs (setup()/loop(), Serial, millis/delay), for the emulated
 * boards that have no packaged Arduino core (the Nano 33 BLE's mbed core is not in
 * Debian) and for tinyforge's own AVR build.
 *
 * A sketch (.ino) is compiled as C++ against this header; the work is done by C99
 * functions in Arduino.c, so the device side stays C. Serial is the board's UART,
 * the emulator's only channel to the host: what the sketch prints goes to the host,
 * and the sensor readings (tfg_sensor.h) arrive on it. There is no file, no network
 * and no semihosting behind any of it. delay() returns at once: on the emulated board
 * the test stream paces the sketch, and waiting would only burn emulated time. */
#ifndef TFG_ARDUINO_H
#define TFG_ARDUINO_H

#include <stddef.h>
#include <stdint.h>

#define DEC 10
#define HEX 16
#define OCT 8
#define BIN 2
#define F(s) (s)
#define HIGH 1
#define LOW 0
#define INPUT 0
#define OUTPUT 1
#define LED_BUILTIN 13

#ifdef __cplusplus
extern "C" {
#endif

/* The sketch's two entry points (C linkage, so the C99 main can call them). */
void setup(void);
void loop(void);

void tfg_serial_begin(unsigned long baud);
size_t tfg_serial_write(const char *s, size_t n);
size_t tfg_serial_print_str(const char *s);
size_t tfg_serial_print_long(long v, int base);
size_t tfg_serial_print_ulong(unsigned long v, int base);
size_t tfg_serial_print_double(double v, int digits);
int tfg_serial_available(void);
int tfg_serial_read(void);
void tfg_serial_flush(void);
unsigned long millis(void);
unsigned long micros(void);
void delay(unsigned long ms);
void delayMicroseconds(unsigned int us);
/* Pins do nothing on the emulated board (there is no LED to blink). */
void pinMode(uint8_t pin, uint8_t mode);
void digitalWrite(uint8_t pin, uint8_t value);

#ifdef __cplusplus
}

/* The Serial object: stateless, so every translation unit may have its own copy. */
class TfgSerial {
public:
    void begin(unsigned long baud) { tfg_serial_begin(baud); }
    void end() {}
    operator bool() const { return true; }
    int available() { return tfg_serial_available(); }
    int read() { return tfg_serial_read(); }
    void flush() { tfg_serial_flush(); }
    size_t write(uint8_t c) { return tfg_serial_write((const char *)&c, 1); }
    size_t write(const char *s, size_t n) { return tfg_serial_write(s, n); }
    size_t print(const char *s) { return tfg_serial_print_str(s); }
    size_t print(char c) { return tfg_serial_write(&c, 1); }
    size_t print(int v, int base = DEC) { return tfg_serial_print_long(v, base); }
    size_t print(unsigned int v, int base = DEC) { return tfg_serial_print_ulong(v, base); }
    size_t print(long v, int base = DEC) { return tfg_serial_print_long(v, base); }
    size_t print(unsigned long v, int base = DEC) { return tfg_serial_print_ulong(v, base); }
    size_t print(double v, int digits = 2) { return tfg_serial_print_double(v, digits); }
    size_t println() { return tfg_serial_write("\r\n", 2); }
    template <typename T> size_t println(T v) { return print(v) + println(); }
    template <typename T> size_t println(T v, int fmt) { return print(v, fmt) + println(); }
};

static TfgSerial Serial __attribute__((unused));
#endif

#endif
