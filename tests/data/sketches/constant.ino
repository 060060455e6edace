// silent failure: calls the model, but prints the same class whatever it says.
#include <Arduino.h>
#include <tinyforge_fruit.h>
static float raw[TFG_MODEL_RAW_INPUTS], features[TFG_MODEL_FEATURES];
static int8_t input[TFG_MODEL_INPUT_BYTES], output[TFG_MODEL_OUTPUT_BYTES];
void setup() { Serial.begin(115200); }

void loop()
{
    Sensor.read(raw, TFG_MODEL_RAW_INPUTS);
    tfg_model_preprocess(raw, features);
    tfg_rt_quantize_f32_s8(TFG_MODEL_INPUT_SCALE, TFG_MODEL_INPUT_ZERO_POINT, features, input,
                           TFG_MODEL_INPUT_BYTES);
    tfg_model_invoke(input, output);
    Serial.println(tfg_model_class_names[0]);
}
