/* escape.c — HTML and Markdown escaping of run text, and base64 (see escape.h). */
#include "report/escape.h"

#include <stdint.h>
#include <string.h>

void tfg_html_escape(tfg_buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': tfg_buf_append(b, "&amp;", 5); break;
        case '<': tfg_buf_append(b, "&lt;", 4); break;
        case '>': tfg_buf_append(b, "&gt;", 4); break;
        case '"': tfg_buf_append(b, "&quot;", 6); break;
        case '\'': tfg_buf_append(b, "&#39;", 5); break;
        default:
            if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
                tfg_buf_append(b, "&#xFFFD;", 8);
            else
                tfg_buf_putc(b, (char)c);
        }
    }
}

/* Characters that are markup wherever they stand. Backslash-escaping any ASCII
 * punctuation is valid CommonMark, so over-escaping is harmless; under-escaping is not. */
static const char md_special[] = "\\`*_[]<|~&";

/* Escapes s; `lead`, when not 0, is the index of one more character to escape. */
static void md_escape(tfg_buf *b, const char *s, size_t lead)
{
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        if (c == '\n' || c == '\r' || c == '\t') {
            tfg_buf_putc(b, ' ');
            continue;
        }
        if ((unsigned char)c < 0x20 || c == 0x7f)
            continue; /* no meaning in text; a terminal might take it as a command */
        if (strchr(md_special, c) || (lead && i == lead))
            tfg_buf_putc(b, '\\');
        tfg_buf_putc(b, c);
    }
}

void tfg_md_escape(tfg_buf *b, const char *s)
{
    md_escape(b, s, 0);
}

void tfg_md_escape_line(tfg_buf *b, const char *s)
{
    size_t digits = strspn(s, "0123456789");
    if (*s && strchr("#>+-=", *s))
        tfg_buf_putc(b, '\\');
    md_escape(b, s, digits && (s[digits] == '.' || s[digits] == ')') ? digits : 0);
}

void tfg_base64(tfg_buf *b, const void *data, size_t n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const uint8_t *p = data;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        char q[4] = {abc[v >> 18], abc[(v >> 12) & 63], abc[(v >> 6) & 63], abc[v & 63]};
        tfg_buf_append(b, q, 4);
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        char q[4] = {abc[v >> 18], abc[(v >> 12) & 63], i + 1 < n ? abc[(v >> 6) & 63] : '=',
                     '='};
        tfg_buf_append(b, q, 4);
    }
}
