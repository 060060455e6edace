/* alloc.c — allocation helpers, the arena and the growable buffer (see alloc.h). */
#include "core/alloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
    fprintf(stderr, "tinyforge: out of memory (asked for %zu bytes)\n", n);
    abort();
}

void *tfg_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *tfg_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        oom(count * size);
    return p;
}

void *tfg_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

void *tfg_xreallocarray(void *p, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        oom(SIZE_MAX);
    return tfg_xrealloc(p, count * size);
}

char *tfg_xstrdup(const char *s)
{
    return tfg_xstrndup(s, strlen(s));
}

char *tfg_xstrndup(const char *s, size_t n)
{
    char *d = tfg_xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *tfg_xvasprintf(const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, again);
    va_end(again);
    if (n < 0)
        n = 0;
    char *s = tfg_xmalloc((size_t)n + 1);
    va_copy(again, ap);
    vsnprintf(s, (size_t)n + 1, fmt, again);
    va_end(again);
    return s;
}

char *tfg_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = tfg_xvasprintf(fmt, ap);
    va_end(ap);
    return s;
}

struct tfg_arena_block {
    tfg_arena_block *next;
    size_t used, cap;
    _Alignas(8) unsigned char mem[];
};

enum { ARENA_BLOCK = 64 * 1024 };

void tfg_arena_init(tfg_arena *a)
{
    a->head = NULL;
}

void *tfg_arena_alloc(tfg_arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    tfg_arena_block *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = tfg_xmalloc(sizeof *b + cap);
        b->used = 0;
        b->cap = cap;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->mem + b->used;
    b->used += n;
    return p;
}

char *tfg_arena_strndup(tfg_arena *a, const char *s, size_t n)
{
    char *d = tfg_arena_alloc(a, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

void tfg_arena_free(tfg_arena *a)
{
    tfg_arena_block *b = a->head;
    while (b) {
        tfg_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}

void tfg_buf_init(tfg_buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
}

static void reserve(tfg_buf *b, size_t extra)
{
    if (b->cap - b->len > extra)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len <= extra)
        cap *= 2;
    b->data = tfg_xrealloc(b->data, cap);
    b->cap = cap;
}

void tfg_buf_append(tfg_buf *b, const void *data, size_t n)
{
    reserve(b, n);
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void tfg_buf_putc(tfg_buf *b, char c)
{
    tfg_buf_append(b, &c, 1);
}

void tfg_buf_printf(tfg_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *tfg_buf_take(tfg_buf *b)
{
    char *s = b->data ? b->data : tfg_xstrdup("");
    tfg_buf_init(b);
    return s;
}

void tfg_buf_free(tfg_buf *b)
{
    free(b->data);
    tfg_buf_init(b);
}
