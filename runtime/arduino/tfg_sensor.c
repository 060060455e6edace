/* tfg_sensor.c — decoding the UART test stream into sensor readings (see tfg_sensor.h).
 * C99, no allocation: values go straight into the caller's array, and a frame carrying
 * more values than the sketch asked for is refused, never written past the array. */
#include <string.h>

#include "tfg_link.h"
#include "tfg_sensor.h"

static uint32_t g_count;
static uint16_t g_crc;

uint32_t tfg_sensor_count(void)
{
    return g_count;
}

static char *put_uint(char *p, uint32_t v)
{
    char tmp[11];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* "#tfg-<kind> <text> <a> <b>" and the end of the program. */
static void stop_with(const char *kind, const char *text, uint32_t a, uint32_t b)
{
    char line[160], *p = line;
    size_t k = strlen(kind), t = strlen(text);
    if (k + t > 120)
        t = 120 - k;
    memcpy(p, "#tfg-", 5);
    p += 5;
    memcpy(p, kind, k);
    p += k;
    *p++ = ' ';
    memcpy(p, text, t);
    p += t;
    *p++ = ' ';
    p = put_uint(p, a);
    *p++ = ' ';
    p = put_uint(p, b);
    *p++ = '\r';
    *p++ = '\n';
    *p = '\0';
    tfg_sensor_puts(line);
    tfg_sensor_stop();
}

static int take(void)
{
    int c = tfg_sensor_getc() & 0xFF;
    g_crc = tfg_link_crc(g_crc, (uint8_t)c);
    return c;
}

static uint32_t take_u32(void)
{
    uint32_t v = 0;
    int k;
    for (k = 0; k < 4; k++)
        v |= (uint32_t)take() << (8 * k);
    return v;
}

int tfg_sensor_read(float *raw, int n)
{
    uint16_t len, want;
    uint32_t index, values, i;
    int type;
    if ((tfg_sensor_getc() & 0xFF) != (int)TFG_LINK_SYNC)
        stop_with("error", "sensor: the reading stream lost its framing at reading", g_count, 0);
    g_crc = 0xFFFFu;
    type = take();
    len = (uint16_t)take();
    len = (uint16_t)(len | (uint16_t)take() << 8);
    if (type == TFG_LINK_QUIT && len == 0)
        stop_with("end", "readings", g_count, 0);
    if (type != TFG_LINK_INPUT || len < 4u || (len - 4u) % 4u != 0u)
        stop_with("error", "sensor: unexpected frame before reading", g_count, 0);
    index = take_u32();
    values = (uint32_t)(len - 4u) / 4u;
    if (n < 0 || values != (uint32_t)n)
        stop_with("error", "sensor: the sketch reads a different number of values than a "
                  "reading has (asked, has)", (uint32_t)(n < 0 ? 0 : n), values);
    for (i = 0; i < values; i++) {
        uint32_t bits = take_u32();
        memcpy(&raw[i], &bits, sizeof bits);
    }
    want = g_crc;
    len = (uint16_t)(tfg_sensor_getc() & 0xFF);
    len = (uint16_t)(len | (uint16_t)(tfg_sensor_getc() & 0xFF) << 8);
    if (len != want || index != g_count)
        stop_with("error", "sensor: damaged reading frame (index, expected)", index, g_count);
    g_count++;
    return 1;
}
