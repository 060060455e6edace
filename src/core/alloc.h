/* alloc.h — the one way tinyforge allocates on the host.
 *
 * tfg_xmalloc and friends never return NULL: running out of memory in a host tool is
 * not something a caller can repair, so it is handled once, here (message + abort),
 * instead of at every call site. Code that runs on a microcontroller (runtime/) never
 * allocates at all. A tfg_arena holds many small objects (cell strings, names) that die
 * together; a tfg_buf is a growable byte buffer for building text. */
#ifndef TFG_CORE_ALLOC_H
#define TFG_CORE_ALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *tfg_xmalloc(size_t n);
void *tfg_xcalloc(size_t count, size_t size);
void *tfg_xrealloc(void *p, size_t n);
/* realloc of count*size with overflow check. */
void *tfg_xreallocarray(void *p, size_t count, size_t size);
char *tfg_xstrdup(const char *s);
char *tfg_xstrndup(const char *s, size_t n);
/* printf into a new string. */
char *tfg_xasprintf(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* The same over a va_list, which it does not consume (the caller va_ends it). */
char *tfg_xvasprintf(const char *fmt, va_list ap)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 0)))
#endif
    ;

typedef struct tfg_arena_block tfg_arena_block;
typedef struct {
    tfg_arena_block *head;
} tfg_arena;

void tfg_arena_init(tfg_arena *a);
void *tfg_arena_alloc(tfg_arena *a, size_t n); /* 8-byte aligned, never NULL */
char *tfg_arena_strndup(tfg_arena *a, const char *s, size_t n);
void tfg_arena_free(tfg_arena *a);

typedef struct {
    char *data;
    size_t len, cap;
} tfg_buf;

void tfg_buf_init(tfg_buf *b);
void tfg_buf_append(tfg_buf *b, const void *data, size_t n);
void tfg_buf_putc(tfg_buf *b, char c);
void tfg_buf_printf(tfg_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Returns the NUL-terminated contents and leaves b empty; the caller frees. */
char *tfg_buf_take(tfg_buf *b);
void tfg_buf_free(tfg_buf *b);

#endif
