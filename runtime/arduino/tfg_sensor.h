/* tfg_sensor.h — the sensor a tinyforge sketch reads, fed from the UART test stream.
 *
 * On the emulated board there is no colour sensor: the host streams the test split's
 * raw readings (data/test_raw.bin) to the UART as frames (runtime/board/tfg_link.h):
 * 'I' = u32 sample index + the reading's values as float32, little-endian; 'Q' = the
 * stream is over. Each read returns the next reading, exactly the values the host's
 * reference preprocessing starts from. When the stream is over, a read ends the program
 * (the host then counts the predictions it got); a damaged frame or a reading of the
 * wrong size ends it with a "#tfg-error" line, so a misused sensor is reported, not
 * guessed around.
 *
 * C99 core (tfg_sensor.c) plus, for C++ sketches, Arduino-style classes: TfgSensor
 * (any number of values) and TfgAPDS9960 (the APDS-9960's colour channels, after the
 * Arduino_APDS9960 library's begin/colorAvailable/readColor, with float channels since
 * the readings are the data set's values). The platform gives three hooks: the shim
 * (Arduino.c) on its UART, or tfg_sensor_arduino.cpp on a real Arduino core's
 * Serial. */
#ifndef TFG_SENSOR_H
#define TFG_SENSOR_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Blocks for the next reading and stores its n values in raw; returns 1. Never returns
 * when the stream is over or broken (see above). */
int tfg_sensor_read(float *raw, int n);
/* Readings delivered so far. */
uint32_t tfg_sensor_count(void);

/* Platform hooks. */
int tfg_sensor_getc(void);           /* the next stream byte (blocking) */
void tfg_sensor_puts(const char *s); /* a line to the host (on the same UART) */
void tfg_sensor_stop(void);          /* flush the UART and end the program */

#ifdef __cplusplus
}

class TfgSensor {
public:
    int begin() { return 1; }
    int available() { return 1; }
    int read(float *raw, int n) { return tfg_sensor_read(raw, n); }
};

class TfgAPDS9960 {
public:
    int begin() { return 1; }
    void end() {}
    int colorAvailable() { return 1; }
    int readColor(float &r, float &g, float &b)
    {
        float v[3];
        tfg_sensor_read(v, 3);
        r = v[0];
        g = v[1];
        b = v[2];
        return 1;
    }
};

static TfgSensor Sensor __attribute__((unused));
static TfgAPDS9960 APDS __attribute__((unused));
#endif

#endif
