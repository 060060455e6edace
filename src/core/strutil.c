/* strutil.c — edit distance, suggestions and joins (see strutil.h). */
#include "core/strutil.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

/* Optimal string alignment distance: Levenshtein plus the swap of two neighbours
 * ("medain" -> "median" is one edit), the commonest typo. */
size_t tfg_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t *prev2 = tfg_xmalloc((lb + 1) * sizeof *prev2);
    size_t *prev = tfg_xmalloc((lb + 1) * sizeof *prev);
    size_t *row = tfg_xmalloc((lb + 1) * sizeof *row);
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        row[0] = i;
        int ai = tolower((unsigned char)a[i - 1]);
        for (size_t j = 1; j <= lb; j++) {
            int bj = tolower((unsigned char)b[j - 1]);
            size_t best = prev[j - 1] + (ai == bj ? 0 : 1);
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            if (i > 1 && j > 1 && ai == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == bj && prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            row[j] = best;
        }
        size_t *t = prev2;
        prev2 = prev;
        prev = row;
        row = t;
    }
    size_t d = prev[lb];
    free(prev2);
    free(prev);
    free(row);
    return d;
}

const char *tfg_closest(const char *word, const char *const *candidates)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; candidates && candidates[i]; i++) {
        size_t d = tfg_edit_distance(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    size_t len = strlen(word);
    /* A likely typo: at most a third of the word changed (and at least one edit allowed). */
    if (best && best_d <= (len < 3 ? 1 : len / 3 + 1))
        return best;
    return NULL;
}

void tfg_join(char *dst, size_t n, const char *const *items, const char *sep)
{
    size_t used = 0;
    if (n)
        dst[0] = '\0';
    for (size_t i = 0; items && items[i] && used + 1 < n; i++) {
        size_t sl = i ? strlen(sep) : 0, il = strlen(items[i]);
        if (used + sl + il + 1 > n)
            break;
        memcpy(dst + used, sep, sl);
        memcpy(dst + used + sl, items[i], il);
        used += sl + il;
        dst[used] = '\0';
    }
}

static int norm(int c)
{
    if (c == ' ' || c == '-')
        return '_';
    return tolower(c);
}

int tfg_name_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (norm((unsigned char)*a) != norm((unsigned char)*b))
            return 0;
    return *a == *b;
}

const char *tfg_fmt_count(char *dst, size_t n, uint64_t v)
{
    char digits[24], out[32];
    int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    snprintf(dst, n, "%s", out);
    return dst;
}

const char *tfg_escape_control(char *dst, size_t n, const char *src)
{
    if (!n)
        return dst;
    size_t used = 0;
    for (const unsigned char *p = (const unsigned char *)(src ? src : ""); *p; p++) {
        bool ctl = *p < 0x20 || *p == 0x7f;
        size_t need = ctl ? 4 : 1;
        if (used + need >= n)
            break;
        if (ctl)
            snprintf(dst + used, n - used, "\\x%02x", *p);
        else
            dst[used] = (char)*p;
        used += need;
    }
    dst[used] = '\0';
    return dst;
}

size_t tfg_utf8_invalid_at(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned c = p[i];
        size_t n;
        unsigned min, cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1, min = 0x80, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, min = 0x800, cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, min = 0x10000, cp = c & 0x07;
        } else {
            return i;
        }
        if (len - i <= n)
            return i;
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += n + 1;
    }
    return len;
}

char *tfg_utf8_lossy(const char *src, bool *replaced)
{
    tfg_buf b;
    tfg_buf_init(&b);
    size_t n = strlen(src), i = 0;
    bool bad = false;
    while (i < n) {
        size_t ok = i + tfg_utf8_invalid_at(src + i, n - i);
        tfg_buf_append(&b, src + i, ok - i);
        if (ok < n) {
            tfg_buf_append(&b, "\xef\xbf\xbd", 3); /* U+FFFD for the stray byte */
            bad = true;
            ok++;
        }
        i = ok;
    }
    if (replaced)
        *replaced = bad;
    return tfg_buf_take(&b);
}
