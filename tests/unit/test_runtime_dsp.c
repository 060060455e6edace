/* test_runtime_dsp.c — the optimized kernels (runtime/ *_dsp.c) against the reference
 * kernels on randomised layers: shapes, strides, paddings, zero points, multipliers and
 * channel counts (1, odd, not a multiple of 4), every output byte compared. The cases
 * are tests/device/dsp_cases.c, the very ones tests/cli/test_dsp_device.sh runs with the
 * real instructions on the emulated Cortex-M4; here the DSP instructions are tfg_dsp.h's
 * portable C, which computes what the instructions compute, so this proves the
 * algorithm (kernel sums, interleaved weights, the shorter requantization) wherever the
 * host tool runs. Also what the variants refuse. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "tfg_dsp.h"
#include "tfg_runtime.h"

#include "../device/dsp_cases.c" /* the device test's cases, compiled for the host */

/* The device test's random layers, with the same seeds. */
static void test_shared_cases(void)
{
    static const uint32_t seeds[] = {16u, 20261207u};
    for (size_t s = 0; s < 2; s++) {
        tfg_dsp_case_count n[TFG_DSP_CASE_KINDS];
        tfg_dsp_cases_run(seeds[s], 300, n);
        for (int k = 0; k < TFG_DSP_CASE_KINDS; k++) {
            printf("seed %u %s: %u cases, %u differ, %u refused\n", (unsigned)seeds[s],
                   tfg_dsp_case_name(k), (unsigned)n[k].cases, (unsigned)n[k].differ,
                   (unsigned)n[k].refused);
            CHECK(n[k].cases >= 300);
            CHECK_INT(n[k].differ, 0);
            CHECK_INT(n[k].refused, 0);
        }
    }
}

/* What the DSP variants refuse, the reference accepts: the contract the op files'
 * choose hooks check first (src/lower/choose.c). */
static void test_refusals(void)
{
    int8_t x[8] = {0}, w[8] = {0}, y[8];
    int32_t sums[2] = {0}, m[2] = {1 << 30, 1 << 30}, sh[2] = {-24, 0};
    tfg_rt_requant rq = {m, sh, 2};
    tfg_rt_fc_dims d = {1, 4, 2};
    tfg_rt_fc_params p = {0, 0, 0, -128, 127};
    CHECK_INT(tfg_rt_fully_connected_s8_dsp(&p, &rq, &d, x, w, sums, y, NULL), TFG_RT_EPARAM);
    sh[0] = -23;
    CHECK_INT(tfg_rt_fully_connected_s8_dsp(&p, &rq, &d, x, w, sums, y, NULL), TFG_RT_OK);
    p.filter_zero_point = 3;
    CHECK_INT(tfg_rt_fully_connected_s8_dsp(&p, &rq, &d, x, w, sums, y, NULL), TFG_RT_EPARAM);
}

TFG_TEST_MAIN(test_shared_cases, test_refusals)
