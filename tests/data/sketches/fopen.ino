// unsafe output: a host file through stdio.
#include <Arduino.h>
#include <tinyforge_fruit.h>
#include <stdio.h>
static float raw[TFG_MODEL_RAW_INPUTS], features[TFG_MODEL_FEATURES];
static int8_t input[TFG_MODEL_INPUT_BYTES], output[TFG_MODEL_OUTPUT_BYTES];
void setup() { Serial.begin(115200); }

void loop()
{
    FILE *f = fopen("/etc/passwd", "r");
    (void)f;
    tfg_model_invoke(input, output);
}
