/* fw_main.c — the firmware main that tinyforge links around a generated model.
 *
 * It announces itself with a 'R' frame (tfg_link.h), then answers each 'I' request by
 * invoking the model and sending an 'O' frame with the output bytes and the timer ticks
 * the invoke took, until 'Q' or the end of the requests; then 'D' and exit. Requests
 * come from the UART, or with TFG_FW_SEMIHOST from the host file "tfg_req.bin" read
 * through semihosting (much faster than QEMU's UART receive path). Replies always go
 * out on the UART. Anything unexpected is answered with an 'E' frame and a non-zero
 * exit, never silence.
 *
 * Fault injection for the host's tests (each takes a sample index):
 *   TFG_FW_FAULT_HANG_AT=k      stop answering before sample k
 *   TFG_FW_FAULT_CORRUPT_AT=k   damage one byte of sample k's output frame
 *   TFG_FW_FAULT_CRASH_AT=k     execute an undefined instruction at sample k */
#include <stdint.h>

#include "model.h"
#include "tfg_hal.h"
#include "tfg_link.h"

#define REQ_FILE "tfg_req.bin"

static int8_t g_in[TFG_MODEL_INPUT_BYTES];
static int8_t g_out[TFG_MODEL_OUTPUT_BYTES];
static uint32_t g_answered;
static uint32_t g_index;     /* the sample being worked on, for error frames */
static uint32_t g_offset;    /* bytes of requests consumed, for error frames */

/* ---- replies ------------------------------------------------------------------------ */

static uint16_t g_crc;

static void put_byte(uint8_t b)
{
    g_crc = tfg_link_crc(g_crc, b);
    tfg_hal_uart_putc(b);
}

static void put_u16(uint16_t v)
{
    put_byte((uint8_t)(v & 0xFFu));
    put_byte((uint8_t)(v >> 8));
}

static void put_u32(uint32_t v)
{
    put_u16((uint16_t)(v & 0xFFFFu));
    put_u16((uint16_t)(v >> 16));
}

static void frame_begin(uint8_t type, uint16_t len)
{
    tfg_hal_uart_putc(TFG_LINK_SYNC);
    g_crc = 0xFFFFu;
    put_byte(type);
    put_u16(len);
}

/* damage: XOR applied to the first CRC byte (0 for an intact frame). */
static void frame_end(uint8_t damage)
{
    uint16_t crc = g_crc;
    tfg_hal_uart_putc((uint8_t)((crc & 0xFFu) ^ damage));
    tfg_hal_uart_putc((uint8_t)(crc >> 8));
}

static void send_error(uint8_t code, int32_t detail)
{
    frame_begin(TFG_LINK_ERROR, 9);
    put_byte(code);
    put_u32(g_index);
    put_u32((uint32_t)detail);
    frame_end(0);
    tfg_hal_uart_flush();
}

static void send_ready(int link)
{
    frame_begin(TFG_LINK_READY, 10);
    put_byte(TFG_LINK_VERSION);
    put_byte((uint8_t)link);
    put_u16((uint16_t)TFG_MODEL_INPUT_BYTES);
    put_u16((uint16_t)TFG_MODEL_OUTPUT_BYTES);
    put_u32((uint32_t)TFG_MODEL_ARENA_BYTES);
    frame_end(0);
}

static void send_output(uint32_t index, uint32_t ticks, uint8_t damage)
{
    uint16_t i;
    frame_begin(TFG_LINK_OUTPUT, (uint16_t)(8u + TFG_MODEL_OUTPUT_BYTES));
    put_u32(index);
    put_u32(ticks);
    for (i = 0; i < (uint16_t)TFG_MODEL_OUTPUT_BYTES; i++)
        put_byte((uint8_t)g_out[i]);
    frame_end(damage);
}

static void finish(int status)
{
    if (status == 0) {
        frame_begin(TFG_LINK_DONE, 4);
        put_u32(g_answered);
        frame_end(0);
    }
    tfg_hal_uart_flush();
    tfg_hal_exit(status);
}

void tfg_hal_on_fault(int exception)
{
    send_error(TFG_LINK_ERR_FAULT, exception);
    tfg_hal_exit(3);
}

/* ---- requests ----------------------------------------------------------------------- */

#ifdef TFG_FW_SEMIHOST
static uint8_t g_rbuf[256];
static int g_rlen, g_rpos;

/* The next request byte, or -1 at the end of the file. */
static int next_byte(void)
{
    if (g_rpos == g_rlen) {
        g_rlen = tfg_hal_file_read(g_rbuf, (int)sizeof g_rbuf);
        g_rpos = 0;
        if (g_rlen <= 0) {
            g_rlen = 0;
            return -1;
        }
    }
    g_offset++;
    return g_rbuf[g_rpos++];
}
#else
static int next_byte(void)
{
    g_offset++;
    return tfg_hal_uart_getc();
}
#endif

static uint16_t g_rcrc;

/* A payload byte (counted into the CRC); -1 at the end. */
static int take(void)
{
    int c = next_byte();
    if (c >= 0)
        g_rcrc = tfg_link_crc(g_rcrc, (uint8_t)c);
    return c;
}

static void bad_frame(void)
{
    send_error(TFG_LINK_ERR_FRAME, (int32_t)g_offset);
    tfg_hal_exit(2);
}

static uint32_t take_u32(void)
{
    uint32_t v = 0;
    int k, c;
    for (k = 0; k < 4; k++) {
        if ((c = take()) < 0)
            bad_frame();
        v |= (uint32_t)c << (8 * k);
    }
    return v;
}

static void check_crc(void)
{
    int lo = next_byte(), hi = next_byte();
    if (lo < 0 || hi < 0 || (uint16_t)((unsigned)lo | ((unsigned)hi << 8)) != g_rcrc)
        bad_frame();
}

static void answer(uint32_t index)
{
    uint32_t t0, t1;
    int rc;
    uint8_t damage = 0;
    g_index = index;
#ifdef TFG_FW_FAULT_HANG_AT
    if (index == TFG_FW_FAULT_HANG_AT)
        for (;;) {
        }
#endif
#ifdef TFG_FW_FAULT_CRASH_AT
    if (index == TFG_FW_FAULT_CRASH_AT)
        __builtin_trap();
#endif
#ifdef TFG_FW_FAULT_CORRUPT_AT
    if (index == TFG_FW_FAULT_CORRUPT_AT)
        damage = 0x5A;
#endif
    t0 = tfg_hal_ticks();
    rc = tfg_model_invoke(g_in, g_out);
    t1 = tfg_hal_ticks();
    if (rc != 0) {
        send_error(TFG_LINK_ERR_INVOKE, rc);
        tfg_hal_exit(4);
    }
    send_output(index, t1 - t0, damage);
    g_answered++;
}

/* Reads and answers one request; returns 0 when the requests are over. */
static int serve_one(void)
{
    int sync, type, lo, hi;
    uint16_t len, i;
    uint32_t index;
    if ((sync = next_byte()) < 0)
        return 0;
    if (sync != (int)TFG_LINK_SYNC)
        bad_frame();
    g_rcrc = 0xFFFFu;
    if ((type = take()) < 0 || (lo = take()) < 0 || (hi = take()) < 0)
        bad_frame();
    len = (uint16_t)((unsigned)lo | ((unsigned)hi << 8));
    if (type == TFG_LINK_QUIT && len == 0) {
        check_crc();
        return 0;
    }
    if (type != TFG_LINK_INPUT || len != 4u + (uint16_t)TFG_MODEL_INPUT_BYTES) {
        send_error(TFG_LINK_ERR_REQUEST, type);
        tfg_hal_exit(2);
    }
    index = take_u32();
    for (i = 0; i < (uint16_t)TFG_MODEL_INPUT_BYTES; i++) {
        int c = take();
        if (c < 0)
            bad_frame();
        g_in[i] = (int8_t)(uint8_t)c;
    }
    check_crc();
    answer(index);
    return 1;
}

int main(void)
{
    tfg_hal_init();
#ifdef TFG_FW_SEMIHOST
    if (tfg_hal_file_open(REQ_FILE) != 0) {
        send_error(TFG_LINK_ERR_INPUT, 0);
        tfg_hal_exit(2);
    }
    send_ready(TFG_LINK_VIA_SEMIHOST);
#else
    send_ready(TFG_LINK_VIA_UART);
#endif
    while (serve_one()) {
    }
    finish(0);
    return 0;
}
