// unsafe output: a semihosting call in inline assembly (SYS_OPEN of a host file).
#include <Arduino.h>
#include <tinyforge_fruit.h>
static float raw[TFG_MODEL_RAW_INPUTS], features[TFG_MODEL_FEATURES];
static int8_t input[TFG_MODEL_INPUT_BYTES], output[TFG_MODEL_OUTPUT_BYTES];
void setup() { Serial.begin(115200); }

void loop()
{
    __asm__ volatile("mov r0, #1\n bkpt 0xAB");
    tfg_model_invoke(input, output);
}
