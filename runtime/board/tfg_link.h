/* tfg_link.h — the framed protocol between the host (src/target/run.c) and the firmware
 * (fw_main.c). C99, shared by both sides, so the two cannot drift apart.
 *
 * A frame is: TFG_LINK_SYNC, type, payload length (u16 little-endian), payload, CRC-16
 * (CCITT, polynomial 0x1021, initial 0xFFFF, little-endian) over type, length and
 * payload. Framing plus a CRC lets the host tell a wrong answer from a damaged link:
 * a firmware that prints garbage, a UART that drops a byte or a crash halfway through a
 * frame is reported as such, with the byte offset, instead of being read as a
 * prediction. The same frames travel over the UART, or (requests only) over a file the
 * firmware reads through ARM semihosting.
 *
 * Host -> firmware:  'I' input   u32 index, then the model's input bytes
 *                    'Q' quit    (no payload): the firmware answers 'D' and stops
 * Firmware -> host:  'R' ready   u8 version, u8 link, u16 input bytes, u16 output bytes,
 *                                u32 arena bytes
 *                    'O' output  u32 index, u32 timer ticks spent in the invoke, then the
 *                                model's output bytes
 *                    'E' error   u8 code (TFG_LINK_ERR_*), u32 index, i32 detail
 *                    'D' done    u32 samples answered
 * All integers little-endian. */
#ifndef TFG_LINK_H
#define TFG_LINK_H

#include <stdint.h>

#define TFG_LINK_VERSION 1
#define TFG_LINK_SYNC 0xA5u
#define TFG_LINK_HEADER 4u  /* sync, type, length */
#define TFG_LINK_TRAILER 2u /* CRC */
#define TFG_LINK_MAX_PAYLOAD 65535u

#define TFG_LINK_INPUT 'I'
#define TFG_LINK_QUIT 'Q'
#define TFG_LINK_READY 'R'
#define TFG_LINK_OUTPUT 'O'
#define TFG_LINK_ERROR 'E'
#define TFG_LINK_DONE 'D'

/* How the firmware was built to receive requests (the 'R' frame's link byte). */
#define TFG_LINK_VIA_UART 1
#define TFG_LINK_VIA_SEMIHOST 2

/* Error codes of an 'E' frame. */
#define TFG_LINK_ERR_INVOKE 1    /* the model returned non-zero: detail = its code */
#define TFG_LINK_ERR_FRAME 2     /* a request frame was damaged: detail = byte offset */
#define TFG_LINK_ERR_FAULT 3     /* a CPU fault: detail = the faulting exception number */
#define TFG_LINK_ERR_REQUEST 4   /* a well-formed request that makes no sense: detail = type */
#define TFG_LINK_ERR_INPUT 5     /* the request source could not be opened or read */

static inline uint16_t tfg_link_crc(uint16_t crc, uint8_t byte)
{
    int i;
    crc = (uint16_t)(crc ^ (uint16_t)((uint16_t)byte << 8));
    for (i = 0; i < 8; i++)
        crc = (crc & 0x8000u) ? (uint16_t)((uint16_t)(crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
    return crc;
}

#endif
