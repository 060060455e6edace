// unsafe output: writes far past an array on the device (a buffer overrun that runs into
// unmapped memory: the board faults, and the check says so).
#include <Arduino.h>
#include <tinyforge_fruit.h>
static float raw[TFG_MODEL_RAW_INPUTS], features[TFG_MODEL_FEATURES];
static int8_t input[TFG_MODEL_INPUT_BYTES], output[TFG_MODEL_OUTPUT_BYTES];
void setup() { Serial.begin(115200); }

void loop()
{
    Sensor.read(raw, TFG_MODEL_RAW_INPUTS);
    static volatile unsigned long stride = 1024;
    volatile float *p = features;
    for (unsigned long i = 0; i < stride * 1024UL; i++)
        p[i * stride] = raw[0];
    tfg_model_invoke(input, output);
}
