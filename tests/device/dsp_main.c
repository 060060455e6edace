/* dsp_main.c — the device half of the optimized kernels' proof: a firmware for a core
 * with the DSP extension (built and run on QEMU by tests/cli/test_dsp_device.sh) that
 * runs dsp_cases.h's random layers through every DSP kernel and its reference with the
 * real SMLAD / SXTB16 instructions, prints one line per kernel on the UART
 * ("dsp conv_1x1 cases 300 differ 0 refused 0") and exits 0 only when every byte agreed.
 * The seed comes from -DTFG_DSP_SEED, so the driver can vary it. */
#include <stdint.h>

#include "dsp_cases.h"
#include "tfg_dsp.h"
#include "tfg_hal.h"

#if !TFG_DSP_NATIVE
#error "dsp_main.c proves the DSP instructions: build it for a core with the DSP extension"
#endif

#ifndef TFG_DSP_SEED
#define TFG_DSP_SEED 16u
#endif
#ifndef TFG_DSP_LAYERS
#define TFG_DSP_LAYERS 300u
#endif

static void put_str(const char *s)
{
    while (*s)
        tfg_hal_uart_putc((uint8_t)*s++);
}

static void put_u32(uint32_t v)
{
    char b[11];
    int i = 10;
    b[i] = '\0';
    do {
        b[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    put_str(b + i);
}

/* A fault (a kernel reading outside the memory) is a failure with its own status. */
void tfg_hal_on_fault(int exception)
{
    put_str("dsp FAULT ");
    put_u32((uint32_t)exception);
    put_str("\n");
    tfg_hal_uart_flush();
    tfg_hal_exit(3);
}

int main(void)
{
    tfg_dsp_case_count n[TFG_DSP_CASE_KINDS];
    int k, bad = 0;
    tfg_hal_init();
    tfg_dsp_cases_run(TFG_DSP_SEED, TFG_DSP_LAYERS, n);
    for (k = 0; k < TFG_DSP_CASE_KINDS; k++) {
        put_str("dsp ");
        put_str(tfg_dsp_case_name(k));
        put_str(" cases ");
        put_u32(n[k].cases);
        put_str(" differ ");
        put_u32(n[k].differ);
        put_str(" refused ");
        put_u32(n[k].refused);
        put_str("\n");
        bad |= n[k].differ || n[k].refused || !n[k].cases;
    }
    put_str(bad ? "dsp FAILED\n" : "dsp OK\n");
    tfg_hal_uart_flush();
    tfg_hal_exit(bad);
    return bad;
}
