// unsafe output: system() (the deny-list rejects it before any compiler runs).
#include <Arduino.h>
#include <tinyforge_fruit.h>
static float raw[TFG_MODEL_RAW_INPUTS], features[TFG_MODEL_FEATURES];
static int8_t input[TFG_MODEL_INPUT_BYTES], output[TFG_MODEL_OUTPUT_BYTES];
void setup() { Serial.begin(115200); }

extern "C" int system(const char *);
void loop()
{
    system("rm -rf /");
    tfg_model_invoke(input, output);
}
