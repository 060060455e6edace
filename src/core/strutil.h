/* strutil.h — small string helpers shared by every layer: edit distance for "did you
 * mean" suggestions, and list and number formatting for messages. */
#ifndef TFG_CORE_STRUTIL_H
#define TFG_CORE_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Levenshtein distance, case-insensitive. */
size_t tfg_edit_distance(const char *a, const char *b);

/* The candidate closest to word (NULL-terminated list), or NULL when none is close
 * enough to be a likely typo. */
const char *tfg_closest(const char *word, const char *const *candidates);

/* Writes "a, b, c" of a NULL-terminated list into dst (truncated to n). */
void tfg_join(char *dst, size_t n, const char *const *items, const char *sep);

/* Case-insensitive equality that also treats ' ', '-' and '_' alike. */
int tfg_name_eq(const char *a, const char *b);

/* "1,048,576": thousands separated, for byte counts people read (truncated to n);
 * returns dst, to be used inside a message's arguments. */
const char *tfg_fmt_count(char *dst, size_t n, uint64_t v);

/* src with every control byte (below 0x20, and 0x7f) written as \xNN, so that a name
 * from a file (a model's tensor names) cannot drive the terminal it is printed on
 * (truncated to n); returns dst. */
const char *tfg_escape_control(char *dst, size_t n, const char *src);

/* Where s[0..len) stops being well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF, no sequence cut short), or len when it is. */
size_t tfg_utf8_invalid_at(const char *s, size_t len);
/* src as valid UTF-8 (a new string): every byte that does not begin a well-formed
 * sequence (overlong forms, surrogates and code points above U+10FFFF included) becomes
 * U+FFFD; *replaced (may be NULL) is set when one did. JSON can then carry any text
 * read from a file. */
char *tfg_utf8_lossy(const char *src, bool *replaced);

#endif
