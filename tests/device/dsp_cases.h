/* dsp_cases.h — the randomised proof that every optimized kernel (runtime/ *_dsp.c)
 * gives the reference kernel's bytes, in C99 with no allocation and no library beyond
 * string.h, so the very same cases run on the host (tests/unit/test_runtime_dsp.c, the
 * DSP instructions as tfg_dsp.h's portable C) and on an emulated Cortex-M4 with the real
 * instructions (tests/device/dsp_main.c, driven by tests/cli/test_dsp_device.sh). */
#ifndef TFG_TEST_DSP_CASES_H
#define TFG_TEST_DSP_CASES_H

#include <stdint.h>

/* The kernels compared, in this order. */
enum {
    TFG_DSP_CASE_FC,
    TFG_DSP_CASE_CONV,        /* im2col */
    TFG_DSP_CASE_CONV_1X1,
    TFG_DSP_CASE_DW_3X3,
    TFG_DSP_CASE_REQUANT,     /* tfg_dsp_requant against tfg_rt_requantize */
    TFG_DSP_CASE_KINDS
};

typedef struct {
    uint32_t cases;           /* layers (or values) compared */
    uint32_t differ;          /* of which at least one byte differs */
    uint32_t refused;         /* of which a kernel did not return TFG_RT_OK */
} tfg_dsp_case_count;

/* Name of kind k ("fc", "conv_im2col", ...). */
const char *tfg_dsp_case_name(int k);

/* Runs `layers` random layers of each kernel kind (and 100 x layers requantizations)
 * from seed; counts per kind into n[TFG_DSP_CASE_KINDS]. Shapes, strides, paddings,
 * dilations, zero points, multipliers, clamps and channel counts (1, odd, not a
 * multiple of 4, above 64) all vary; every output byte is compared. */
void tfg_dsp_cases_run(uint32_t seed, uint32_t layers, tfg_dsp_case_count *n);

#endif
