/* frames.c — the host side of the framed link protocol (runtime/board/tfg_link.h):
 * building request frames and reading reply frames, with the damage classified
 * (no sync byte, truncated, CRC mismatch) so fw_run.c can say exactly what went wrong and
 * at which byte. */
#include <string.h>

#include "board/tfg_link.h"
#include "target/target_internal.h"

static uint16_t crc_of(uint16_t crc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        crc = tfg_link_crc(crc, p[i]);
    return crc;
}

tfg_frame_status tfg_frame_next(const uint8_t *buf, size_t len, size_t *pos, tfg_frame *f,
                                uint16_t *crc_got, uint16_t *crc_want)
{
    size_t p = *pos;
    if (p >= len)
        return TFG_FRAME_END;
    if (buf[p] != TFG_LINK_SYNC)
        return TFG_FRAME_NOSYNC;
    if (len - p < TFG_LINK_HEADER)
        return TFG_FRAME_TRUNCATED;
    uint16_t n = (uint16_t)(buf[p + 2] | (buf[p + 3] << 8));
    if (len - p < TFG_LINK_HEADER + (size_t)n + TFG_LINK_TRAILER)
        return TFG_FRAME_TRUNCATED;
    uint16_t want = crc_of(0xFFFF, buf + p + 1, 3 + (size_t)n);
    const uint8_t *t = buf + p + TFG_LINK_HEADER + n;
    uint16_t got = (uint16_t)(t[0] | (t[1] << 8));
    if (got != want) {
        *crc_got = got;
        *crc_want = want;
        return TFG_FRAME_CRC;
    }
    f->type = buf[p + 1];
    f->len = n;
    f->payload = buf + p + TFG_LINK_HEADER;
    f->offset = p;
    *pos = p + TFG_LINK_HEADER + n + TFG_LINK_TRAILER;
    return TFG_FRAME_OK;
}

void tfg_frame_put(tfg_buf *b, uint8_t type, const void *payload, uint16_t len)
{
    uint8_t head[4] = {TFG_LINK_SYNC, type, (uint8_t)(len & 0xFF), (uint8_t)(len >> 8)};
    uint16_t crc = crc_of(0xFFFF, head + 1, 3);
    crc = crc_of(crc, payload, len);
    uint8_t tail[2] = {(uint8_t)(crc & 0xFF), (uint8_t)(crc >> 8)};
    tfg_buf_append(b, head, sizeof head);
    if (len)
        tfg_buf_append(b, payload, len);
    tfg_buf_append(b, tail, sizeof tail);
}
