// compile error: a missing semicolon and an undeclared name.
#include <Arduino.h>
#include <tinyforge_fruit.h>
static float raw[TFG_MODEL_RAW_INPUTS], features[TFG_MODEL_FEATURES];
static int8_t input[TFG_MODEL_INPUT_BYTES], output[TFG_MODEL_OUTPUT_BYTES];
void setup() { Serial.begin(115200); }

void loop()
{
    Sensor.read(raw, TFG_MODEL_RAW_INPUTS)
    tfg_model_invoke(input, outptu);
}
