/* csv.c — the CSV loader (RFC 4180) behind csv.h.
 *
 * Three passes over the bytes, none of which copies the file:
 *   1. scan: split records and fields, check quoting, UTF-8, record length, header
 *      names and field counts; remember where each record starts (offset and line).
 *   2. type: re-split each record and parse every cell of the columns not forced
 *      categorical straight into the table's double arrays, counting per column how
 *      many cells are numbers, non-finite numbers and text.
 *   3. levels: only for the columns that turned out categorical, re-split once more
 *      and intern the cell texts.
 * Re-splitting a record is cheaper than keeping 55 million (offset, length) pairs for
 * a 70000 x 785 file, and it keeps the memory at the size of the output table.
 * Every error path frees everything and leaves *out empty. */
#include "data/csv.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/io.h"

/* One field of the record being split. For a quoted field, off/len cover the bytes
 * between the quotes (still with "" pairs when escaped is set). */
typedef struct {
    size_t off, len;
    size_t line; /* line where the field starts */
    bool quoted, escaped;
} csv_field;

/* Where a data record starts, so passes 2 and 3 can split it again. */
typedef struct {
    size_t off, line;
} csv_record;

/* Byte classes for splitting: everything else is ordinary cell text. */
enum { CH_TEXT = 0, CH_DELIM, CH_EOL, CH_QUOTE };

/* The delimiter as an error message shows it: "tab" or the character. */
static const char *delim_text(char buf[4], char d)
{
    if (d == '\t')
        return "tab";
    buf[0] = d;
    buf[1] = '\0';
    return buf;
}

typedef struct {
    const char *buf;
    size_t len;
    const char *name;
    const tfg_csv_opts *o;
    size_t max_record;
    char delim, quote, decimal; /* the dialect: given or detected */
    bool header;
    size_t start, first_line; /* where the first record starts (after BOM, preamble) */
    unsigned char cls[256];
    csv_field *f; /* fields of the current record */
    size_t nf, capf;
    size_t rec_bytes; /* bytes of the current record, without its line end */
    tfg_buf scratch;  /* unescaped text of a quoted field with "" in it */
} csv_reader;

/* What a cell is, for pass 2: a number, a number with the column's (first seen) unit,
 * one with another unit, text, a non-finite number. */
enum { K_PLAIN, K_UNIT, K_UNIT_OTHER, K_TEXT, K_NONFINITE, K_N };

/* Per-column tallies of pass 2 and the first cell of each kind, for the error. */
typedef struct {
    bool forced_cat;
    size_t n[K_N];
    size_t row[K_N], line[K_N];
    char text[K_N][64];
    char unit[24]; /* the first unit seen */
} col_stats;

/* ---- splitting records ------------------------------------------------------ */

static csv_field *push_field(csv_reader *r)
{
    if (r->nf == r->capf) {
        r->capf = r->capf ? r->capf * 2 : 64;
        r->f = tfg_xreallocarray(r->f, r->capf, sizeof *r->f);
    }
    csv_field *f = &r->f[r->nf++];
    f->quoted = f->escaped = false;
    f->off = f->len = 0;
    return f;
}

static void scan_plain(csv_reader *r, size_t *pos, csv_field *f, size_t *quote_at)
{
    size_t p = *pos;
    *quote_at = SIZE_MAX;
    while (p < r->len) {
        unsigned char k = r->cls[(unsigned char)r->buf[p]];
        if (k == CH_DELIM || k == CH_EOL)
            break;
        if (k == CH_QUOTE && *quote_at == SIZE_MAX)
            *quote_at = p;
        p++;
    }
    f->off = *pos;
    f->len = p - *pos;
    *pos = p;
}

/* A quoted field from the opening quote at *pos; *line advances over embedded line
 * ends (LF, CRLF, or a lone CR count as one line each). */
static tfg_status scan_quoted(csv_reader *r, size_t *pos, size_t *line, csv_field *f,
                              size_t col, tfg_err *err)
{
    size_t p = *pos + 1;
    f->quoted = true;
    f->off = p;
    for (;;) {
        if (p >= r->len)
            return tfg_err_at(err, TFG_EINPUT, r->name, f->line, col,
                              "a quoted field starts here and is never closed (missing %c; "
                              "a quote inside a quoted field is written twice)",
                              r->quote);
        char c = r->buf[p];
        if (c == r->quote) {
            if (p + 1 < r->len && r->buf[p + 1] == r->quote) {
                f->escaped = true;
                p += 2;
                continue;
            }
            break;
        }
        if (c == '\n' || (c == '\r' && (p + 1 >= r->len || r->buf[p + 1] != '\n')))
            (*line)++;
        p++;
    }
    f->len = p - f->off;
    p++; /* the closing quote */
    if (p < r->len && r->cls[(unsigned char)r->buf[p]] != CH_DELIM &&
        r->cls[(unsigned char)r->buf[p]] != CH_EOL)
        return tfg_err_at(err, TFG_EINPUT, r->name, f->line, col,
                          "text after the closing quote of a quoted field (write %c%c for a "
                          "quote inside a quoted field)",
                          r->quote, r->quote);
    *pos = p;
    return TFG_OK;
}

/* Splits the record at *pos into r->f; moves *pos and *line past its line end. */
static tfg_status scan_record(csv_reader *r, size_t *pos, size_t *line, tfg_err *err)
{
    size_t p = *pos, start = *pos, rec_line = *line;
    r->nf = 0;
    for (;;) {
        csv_field *f = push_field(r);
        f->line = *line;
        size_t col = r->nf;
        if (p < r->len && r->buf[p] == r->quote) {
            tfg_status st = scan_quoted(r, &p, line, f, col, err);
            if (st)
                return st;
        } else {
            size_t quote_at;
            scan_plain(r, &p, f, &quote_at);
            if (quote_at != SIZE_MAX)
                return tfg_err_at(err, TFG_EINPUT, r->name, f->line, col,
                                  "a quote inside an unquoted field (quote the whole field "
                                  "and write the quote as %c%c, or set the data source's "
                                  "\"quote\")",
                                  r->quote, r->quote);
        }
        if (p - start > r->max_record)
            return tfg_err_at(err, TFG_EINPUT, r->name, rec_line, 0,
                              "record is longer than the limit of %zu bytes", r->max_record);
        if (p >= r->len || r->buf[p] != r->delim)
            break;
        p++;
    }
    r->rec_bytes = p - start;
    if (p < r->len) { /* a line end: LF, CRLF or a lone CR */
        if (r->buf[p] == '\r' && p + 1 < r->len && r->buf[p + 1] == '\n')
            p++;
        p++;
        (*line)++;
    }
    *pos = p;
    return TFG_OK;
}

/* ---- UTF-8 ------------------------------------------------------------------ */

/* Length of the valid sequence at s[0..n), or 0 with *why set. */
static size_t utf8_seq(const unsigned char *s, size_t n, const char **why)
{
    unsigned c = s[0];
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80)
        return 1;
    if (c < 0xC0)
        return *why = "a continuation byte where a character should start", 0;
    if (c < 0xC2)
        return *why = "an overlong encoding", 0;
    if (c < 0xE0)
        need = 1;
    else if (c < 0xF0) {
        need = 2;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c < 0xF5) {
        need = 3;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else if (c < 0xF8)
        return *why = "a code point above U+10FFFF", 0;
    else
        return *why = "a byte (0xF8..0xFF) that never appears in UTF-8", 0;
    if (n < need + 1 || (s[1] & 0xC0) != 0x80)
        return *why = "a truncated multi-byte sequence", 0;
    if (s[1] < lo)
        return *why = "an overlong encoding", 0;
    if (s[1] > hi)
        return *why = c == 0xED ? "a UTF-16 surrogate" : "a code point above U+10FFFF", 0;
    for (size_t i = 2; i <= need; i++)
        if ((s[i] & 0xC0) != 0x80)
            return *why = "a truncated multi-byte sequence", 0;
    return need + 1;
}

/* Offset of the first invalid byte of s[0..n) (a NUL counts: CSV is text), or n. */
static size_t utf8_check(const unsigned char *s, size_t n, const char **why)
{
    const uint64_t high = 0x8080808080808080ull, ones = 0x0101010101010101ull;
    size_t i = 0;
    while (i < n) {
        if (n - i >= 8) { /* fast path: 8 ASCII bytes, none of them NUL */
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (!(w & high) && !((w - ones) & ~w & high)) {
                i += 8;
                continue;
            }
        }
        if (s[i] == 0) {
            *why = "a NUL byte (is this a binary file?)";
            return i;
        }
        size_t k = utf8_seq(s + i, n - i, why);
        if (!k)
            return i;
        i += k;
    }
    return n;
}

static tfg_status check_utf8(csv_reader *r, size_t start, size_t line, tfg_err *err)
{
    const char *why = "";
    const unsigned char *s = (const unsigned char *)r->buf + start;
    size_t bad = utf8_check(s, r->rec_bytes, &why);
    if (bad == r->rec_bytes)
        return TFG_OK;
    /* Report like every other cell error: line and field number, plus the byte. */
    size_t line_start = 0, field = 1;
    bool quoted = false;
    for (size_t i = 0; i < bad; i++) {
        if (r->cls[s[i]] == CH_QUOTE)
            quoted = !quoted;
        else if (!quoted && r->cls[s[i]] == CH_DELIM)
            field++;
        if (s[i] == '\n' || (s[i] == '\r' && s[i + 1] != '\n')) {
            line++;
            line_start = i + 1;
        }
    }
    return tfg_err_at(err, TFG_EINPUT, r->name, line, field,
                      "invalid UTF-8 (byte %zu of the line): %s", bad - line_start + 1, why);
}

/* ---- cells ------------------------------------------------------------------ */

typedef struct {
    const char *s;
    size_t n;
    bool quoted;
} cell;

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static void trim(const char **s, size_t *n)
{
    if (*n && !is_space(**s) && !is_space((*s)[*n - 1]))
        return;
    while (*n && is_space(**s))
        (*s)++, (*n)--;
    while (*n && is_space((*s)[*n - 1]))
        (*n)--;
}

/* The text of a field: unquoted fields trimmed of surrounding spaces, quoted ones
 * verbatim with doubled quotes undone (in r->scratch, valid until the next call). */
static cell cell_text(csv_reader *r, const csv_field *f)
{
    cell c = {r->buf + f->off, f->len, f->quoted};
    if (!f->quoted) {
        trim(&c.s, &c.n);
    } else if (f->escaped) {
        r->scratch.len = 0;
        for (size_t i = 0; i < f->len; i++) {
            tfg_buf_putc(&r->scratch, c.s[i]);
            if (c.s[i] == r->quote)
                i++; /* the second quote of a "" pair */
        }
        c.s = r->scratch.data;
        c.n = r->scratch.len;
    }
    return c;
}

static bool cell_is(cell c, const char *lit)
{
    size_t n = strlen(lit);
    return c.n == n && !memcmp(c.s, lit, n);
}

/* The missing markers of csv.h (TFG_CSV_MISSING), quoted or not. */
static bool is_missing(cell c)
{
    static const char *const marks[] = {"NA", "N/A", "n/a", "null", "None", "NaN", "?", "-"};
    if (c.n == 0)
        return true;
    if (c.n > 4 || !strchr("Nn?-", c.s[0]))
        return false; /* the common case, decided without a compare */
    for (size_t i = 0; i < sizeof marks / sizeof *marks; i++)
        if (cell_is(c, marks[i]))
            return true;
    return false;
}

static bool lower_is(const char *s, size_t n, const char *lit)
{
    if (strlen(lit) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
        if (ch != lit[i])
            return false;
    }
    return true;
}

enum { NUM_NO = 0, NUM_OK, NUM_UNIT, NUM_NONFINITE };

/* The spellings strtod would turn into NaN or infinity ("NaN" itself is missing). */
static bool nonfinite_word(const char *s, size_t n)
{
    if (n && (*s == '+' || *s == '-'))
        s++, n--;
    return lower_is(s, n, "nan") || lower_is(s, n, "inf") || lower_is(s, n, "infinity");
}

/* A scanned decimal [+-]digits[<dec>digits][e[+-]digits]; hex and "nan(...)" are text. */
typedef struct {
    bool neg, expo;
    size_t digits, frac; /* all mantissa digits; those after the point */
    uint64_t m;          /* the mantissa digits as an integer, exact while digits <= 19 */
} decimal;

static size_t scan_digits(const char *s, size_t i, size_t n, decimal *d, bool frac)
{
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (d->digits++ < 19)
            d->m = d->m * 10 + (uint64_t)(s[i] - '0');
        d->frac += frac;
    }
    return i;
}

/* The length of the decimal at the start of s (0: none); an 'e' without digits after
 * it is not part of it. */
static size_t decimal_prefix(const char *s, size_t n, char dec, decimal *d)
{
    size_t i = 0;
    memset(d, 0, sizeof *d);
    if (i < n && (s[i] == '+' || s[i] == '-'))
        d->neg = s[i++] == '-';
    i = scan_digits(s, i, n, d, false);
    if (i < n && s[i] == dec)
        i = scan_digits(s, i + 1, n, d, true);
    if (!d->digits)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < n && (s[j] == '+' || s[j] == '-'))
            j++;
        size_t e0 = j;
        while (j < n && s[j] >= '0' && s[j] <= '9')
            j++;
        if (j > e0) {
            d->expo = true;
            i = j;
        }
    }
    return i;
}

/* m / 10^frac is correctly rounded when m < 2^53 and 10^frac is exact (frac <= 22), so
 * short decimals (every pixel of an image file) need no strtod. */
static bool fast_decimal(const decimal *d, double *v)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (d->expo || d->digits > 15)
        return false;
    *v = (double)d->m / p10[d->frac];
    if (d->neg)
        *v = -*v;
    return true;
}

/* A unit suffix: a letter, % or a non-ASCII character (µ, °) first, then letters,
 * digits, % / ^ . _ or non-ASCII, no spaces, at most 16 bytes ("cm", "°C", "m/s2"). */
static bool unit_syntax(const char *s, size_t n)
{
    if (!n || n > 16)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool letter =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '%' || c >= 0x80;
        bool more = (c >= '0' && c <= '9') || strchr("/^._", c);
        if (!letter && !(i && more && c))
            return false;
    }
    return true;
}

/* Parses c as a number with decimal separator dec (surrounding spaces allowed, C locale),
 * perhaps followed by a unit (NUM_UNIT; *unit is then its text). */
static int parse_number(cell c, char dec, double *v, cell *unit)
{
    const char *s = c.s;
    size_t n = c.n;
    decimal d;
    trim(&s, &n);
    size_t k = decimal_prefix(s, n, dec, &d);
    if (!k)
        return nonfinite_word(s, n) ? NUM_NONFINITE : NUM_NO;
    int kind = NUM_OK;
    if (k < n) {
        size_t u = k;
        while (u < n && is_space(s[u]))
            u++;
        if (!unit_syntax(s + u, n - u))
            return NUM_NO;
        *unit = (cell){s + u, n - u, false};
        kind = NUM_UNIT;
    }
    if (fast_decimal(&d, v))
        return kind;
    char small[64], *z = small;
    if (k >= sizeof small)
        z = tfg_xmalloc(k + 1);
    memcpy(z, s, k);
    z[k] = '\0';
    if (dec != '.') {
        char *p = strchr(z, dec);
        if (p)
            *p = '.';
    }
    *v = strtod(z, NULL); /* the caller made the thread's locale "C" */
    if (z != small)
        free(z);
    return isfinite(*v) ? kind : NUM_NONFINITE;
}

int tfg_csv_number_kind(const char *text, char dec)
{
    double v;
    cell unit, c = {text, strlen(text), false};
    int k = parse_number(c, dec, &v, &unit);
    return k == NUM_OK ? 1 : k == NUM_UNIT ? 2 : 0;
}

/* Copies a cell for an error message, cut at a character boundary. */
static void quote_cell(char *dst, size_t cap, cell c)
{
    size_t n = c.n;
    if (n > cap - 4) {
        n = cap - 4;
        while (n && ((unsigned char)c.s[n] & 0xC0) == 0x80)
            n--;
        memcpy(dst, c.s, n);
        memcpy(dst + n, "...", 4);
        return;
    }
    memcpy(dst, c.s, n);
    dst[n] = '\0';
}

/* ---- pass 1: scan ----------------------------------------------------------- */

typedef struct {
    csv_record *rec; /* data records */
    size_t n_rec, cap_rec;
    size_t n_cols, first_line;
    bool have_first;
    char **names; /* n_cols column names (in the arena) */
    tfg_arena arena;
} csv_scan;

static void push_record(csv_scan *sc, size_t off, size_t line)
{
    if (sc->n_rec == sc->cap_rec) {
        sc->cap_rec = sc->cap_rec ? sc->cap_rec * 2 : 256;
        sc->rec = tfg_xreallocarray(sc->rec, sc->cap_rec, sizeof *sc->rec);
    }
    sc->rec[sc->n_rec++] = (csv_record){off, line};
}

/* Sorting (name, position) pairs finds duplicates in n log n, even for wide files. */
typedef struct {
    const char *name;
    size_t pos;
} name_pos;

static int cmp_name_pos(const void *a, const void *b)
{
    const name_pos *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* The earliest second occurrence of a repeated name: sets *first, *second (0-based). */
static bool find_duplicate(char *const *names, size_t n, size_t *first, size_t *second)
{
    name_pos *v = tfg_xmalloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = (name_pos){names[i], i};
    qsort(v, n, sizeof *v, cmp_name_pos);
    bool found = false;
    for (size_t i = 1; i < n; i++) {
        if (strcmp(v[i - 1].name, v[i].name) || (i >= 2 && !strcmp(v[i - 2].name, v[i].name)))
            continue; /* only the first pair of each run of equal names */
        if (!found || v[i].pos < *second) {
            *first = v[i - 1].pos;
            *second = v[i].pos;
            found = true;
        }
    }
    free(v);
    return found;
}

static tfg_status names_from_header(csv_reader *r, csv_scan *sc, tfg_err *err)
{
    sc->names = tfg_arena_alloc(&sc->arena, sc->n_cols * sizeof *sc->names);
    memset(sc->names, 0, sc->n_cols * sizeof *sc->names); /* filled as far as it gets */
    for (size_t j = 0; j < sc->n_cols; j++) {
        cell c = cell_text(r, &r->f[j]);
        if (!c.n)
            return tfg_err_at(err, TFG_EINPUT, r->name, r->f[j].line, j + 1,
                              "column %zu of the header has an empty name", j + 1);
        sc->names[j] = tfg_arena_strndup(&sc->arena, c.s, c.n);
    }
    size_t a, b;
    if (find_duplicate(sc->names, sc->n_cols, &a, &b))
        return tfg_err_at(err, TFG_EINPUT, r->name, r->f[b].line, b + 1,
                          "column name '%s' appears twice in the header, in columns %zu and "
                          "%zu; names must be unique",
                          sc->names[b], a + 1, b + 1);
    return TFG_OK;
}

static tfg_status names_from_opts(csv_reader *r, csv_scan *sc, tfg_err *err)
{
    const tfg_csv_opts *o = r->o;
    sc->names = tfg_arena_alloc(&sc->arena, sc->n_cols * sizeof *sc->names);
    memset(sc->names, 0, sc->n_cols * sizeof *sc->names); /* filled as far as it gets */
    if (!o->names) {
        for (size_t j = 0; j < sc->n_cols; j++) {
            char tmp[32];
            snprintf(tmp, sizeof tmp, "c%zu", j);
            sc->names[j] = tfg_arena_strndup(&sc->arena, tmp, strlen(tmp));
        }
        return TFG_OK;
    }
    if (o->n_names != sc->n_cols)
        return tfg_err_at(err, TFG_EINPUT, r->name, 0, 0,
                          "%zu column names were given but the file has %zu columns",
                          o->n_names, sc->n_cols);
    for (size_t j = 0; j < sc->n_cols; j++) {
        if (!o->names[j] || !*o->names[j])
            return tfg_err_at(err, TFG_EINPUT, r->name, 0, 0,
                              "column name %zu of the given names is empty", j + 1);
        sc->names[j] = tfg_arena_strndup(&sc->arena, o->names[j], strlen(o->names[j]));
    }
    size_t a, b;
    if (find_duplicate(sc->names, sc->n_cols, &a, &b))
        return tfg_err_at(err, TFG_EINPUT, r->name, 0, 0,
                          "column name '%s' is given twice, as names %zu and %zu; names must "
                          "be unique",
                          sc->names[b], a + 1, b + 1);
    return TFG_OK;
}

/* Checks one record (fields in r->f) in file order: the first fixes the columns. */
static tfg_status take_record(csv_reader *r, csv_scan *sc, size_t off, size_t line, bool empty,
                              tfg_err *err)
{
    if (!sc->have_first) {
        sc->have_first = true;
        sc->n_cols = r->nf;
        sc->first_line = line;
        if (r->header) /* the header names the columns; it is not a data row */
            return names_from_header(r, sc, err);
        tfg_status st = names_from_opts(r, sc, err);
        if (st)
            return st;
    } else if (r->nf != sc->n_cols) {
        const char *what = r->header ? "the header" : "the first row";
        if (empty)
            return tfg_err_at(err, TFG_EINPUT, r->name, line, 1,
                              "is an empty line, but %s has %zu fields", what, sc->n_cols);
        /* the column: where the extra field starts, or just past the last one */
        size_t col = r->nf > sc->n_cols ? sc->n_cols + 1 : r->nf;
        char dt[4];
        return tfg_err_at(err, TFG_EINPUT, r->name, line, col,
                          "has %zu fields, %s (line %zu) has %zu; every record needs the same "
                          "number of fields (check the delimiter '%s' and the quoting)",
                          r->nf, what, sc->first_line, sc->n_cols, delim_text(dt, r->delim));
    }
    push_record(sc, off, line);
    return TFG_OK;
}

/* An empty line is kept pending: at the end of the file it is ignored, in the middle
 * it is a record of one empty field. */
static tfg_status take_empty(csv_reader *r, csv_scan *sc, size_t off, size_t line, tfg_err *err)
{
    r->nf = 0;
    csv_field *f = push_field(r);
    f->off = off;
    f->line = line;
    return take_record(r, sc, off, line, true, err);
}

static tfg_status scan_all(csv_reader *r, csv_scan *sc, tfg_err *err)
{
    size_t pos = r->start, line = r->first_line;
    size_t n_pend = 0, cap_pend = 0;
    csv_record *pend = NULL;
    tfg_status st = TFG_OK;
    while (pos < r->len && !st) {
        size_t off = pos, rec_line = line;
        if ((st = scan_record(r, &pos, &line, err)) || (st = check_utf8(r, off, rec_line, err)))
            break;
        if (r->rec_bytes == 0) {
            if (n_pend == cap_pend) {
                cap_pend = cap_pend ? cap_pend * 2 : 16;
                pend = tfg_xreallocarray(pend, cap_pend, sizeof *pend);
            }
            pend[n_pend++] = (csv_record){off, rec_line};
            continue;
        }
        if (n_pend) {
            for (size_t i = 0; i < n_pend && !st; i++)
                st = take_empty(r, sc, pend[i].off, pend[i].line, err);
            n_pend = 0;
            pos = off, line = rec_line; /* take_empty reused r->f: split this one again */
            if (!st)
                st = scan_record(r, &pos, &line, err);
        }
        if (!st)
            st = take_record(r, sc, off, rec_line, false, err);
    }
    free(pend);
    return st;
}

/* ---- passes 2 and 3 --------------------------------------------------------- */

static bool listed(const char *const *list, const char *name)
{
    for (; list && *list; list++)
        if (!strcmp(*list, name))
            return true;
    return false;
}

static void note_kind(col_stats *s, int k, size_t row, size_t line, cell c)
{
    if (!s->n[k]++) {
        s->row[k] = row, s->line[k] = line;
        quote_cell(s->text[k], sizeof s->text[k], c);
    }
}

static void tally(csv_reader *r, col_stats *s, double *dst, size_t row, const csv_field *f)
{
    cell c = cell_text(r, f), unit;
    if (is_missing(c))
        return;
    double v;
    int k = parse_number(c, r->decimal, &v, &unit);
    if (k == NUM_OK || k == NUM_UNIT)
        *dst = v;
    if (k == NUM_OK) {
        note_kind(s, K_PLAIN, row, f->line, c);
    } else if (k == NUM_UNIT) {
        if (!s->n[K_UNIT] && !s->n[K_UNIT_OTHER])
            quote_cell(s->unit, sizeof s->unit, unit);
        bool same = strlen(s->unit) == unit.n && !memcmp(s->unit, unit.s, unit.n);
        note_kind(s, same ? K_UNIT : K_UNIT_OTHER, row, f->line, c);
    } else {
        note_kind(s, k == NUM_NONFINITE ? K_NONFINITE : K_TEXT, row, f->line, c);
    }
}

static tfg_status type_pass(csv_reader *r, const csv_scan *sc, col_stats *st, tfg_table *t,
                            tfg_err *err)
{
    for (size_t i = 0; i < sc->n_rec; i++) {
        size_t pos = sc->rec[i].off, line = sc->rec[i].line;
        if (scan_record(r, &pos, &line, err))
            return tfg_err_set(err, TFG_EINTERNAL, "%s: record %zu split differently twice",
                               r->name, i);
        for (size_t j = 0; j < sc->n_cols && j < r->nf; j++)
            if (!st[j].forced_cat)
                tally(r, &st[j], &t->cols[j].num[i], i, &r->f[j]);
    }
    return TFG_OK;
}

/* What to set when a bad cell would be a number in the other decimal notation. */
static const char *decimal_hint(const char *text, char dec)
{
    if (dec == '.' && strchr(text, ',') && tfg_csv_number_kind(text, ','))
        return "; it looks like a number with a decimal comma: if the file writes decimals "
               "so, set \"decimal\": \",\" in the data source (tinyforge new --decimal ,)";
    if (dec == ',' && strchr(text, '.') && tfg_csv_number_kind(text, '.'))
        return "; it looks like a number with a decimal point, but the file is read with "
               "decimal comma: set \"decimal\": \".\" in the data source (tinyforge new "
               "--decimal .)";
    return "";
}

/* The error for the cell of kind k in a numeric column whose cells are of kind major. */
static void bad_cell(const col_stats *s, int k, int major, const char *name, const char *file,
                     size_t col, char dec, tfg_err *err)
{
    const char *t = s->text[k];
    size_t total = 0;
    for (int i = 0; i < K_N; i++)
        total += s->n[i];
    if (k == K_NONFINITE)
        tfg_err_at(err, TFG_EINPUT, file, s->line[k], col,
                   "'%s' in column '%s' is not a finite number; leave the cell empty for a "
                   "missing value",
                   t, name);
    else if (major == K_PLAIN && k == K_TEXT)
        tfg_err_at(err, TFG_EINPUT, file, s->line[k], col,
                   "non-numeric value '%s' in numeric column '%s' (%zu of its %zu values "
                   "are numbers; fix the value or leave the cell empty if it is missing%s)",
                   t, name, s->n[K_PLAIN], total, decimal_hint(t, dec));
    else if (major == K_PLAIN)
        tfg_err_at(err, TFG_EINPUT, file, s->line[k], col,
                   "'%s' in numeric column '%s' carries a unit that the column's other "
                   "numbers do not (%zu of its %zu values are plain numbers); write the "
                   "number alone, or the unit in every cell",
                   t, name, s->n[K_PLAIN], total);
    else if (k == K_PLAIN)
        tfg_err_at(err, TFG_EINPUT, file, s->line[k], col,
                   "'%s' in column '%s' has no unit, but the column's other cells are numbers "
                   "in '%s'; write the unit in every cell, or in none",
                   t, name, s->unit);
    else if (k == K_UNIT_OTHER)
        tfg_err_at(err, TFG_EINPUT, file, s->line[k], col,
                   "'%s' in column '%s' is in another unit than the column's other cells "
                   "('%s'); convert it: one column holds one unit",
                   t, name, s->unit);
    else
        tfg_err_at(err, TFG_EINPUT, file, s->line[k], col,
                   "non-numeric value '%s' in column '%s' of numbers in '%s' (%zu of its %zu "
                   "values are; fix the value or leave the cell empty if it is missing%s)",
                   t, name, s->unit, s->n[K_UNIT], total, decimal_hint(t, dec));
}

/* Decides a column's type: numeric when nine in ten of its cells are plain numbers (or
 * all but a few carry one unit: *unit set), else categorical. A numeric column with
 * other cells gets its error for the first of them formatted into err and *bad_row
 * set, so the caller can report the earliest in the file. */
static bool column_is_cat(const col_stats *s, const char *name, const char *file, size_t col,
                          char dec, bool *unit, size_t *bad_row, tfg_err *err)
{
    *bad_row = SIZE_MAX;
    *unit = false;
    if (s->forced_cat)
        return true;
    size_t total = 0;
    for (int k = 0; k < K_N; k++)
        total += s->n[k];
    int major = s->n[K_UNIT] > s->n[K_PLAIN] ? K_UNIT : K_PLAIN;
    /* a non-finite number is a number gone wrong, not a category */
    size_t mass = major == K_PLAIN ? s->n[K_PLAIN] + s->n[K_NONFINITE] : s->n[K_UNIT];
    if (mass * 10 < total * 9 && (major == K_UNIT || s->n[K_TEXT] || s->n[K_UNIT] ||
                                  s->n[K_UNIT_OTHER]))
        return true;
    *unit = major == K_UNIT;
    int first = -1;
    for (int k = 0; k < K_N; k++)
        if (k != major && s->n[k] && (first < 0 || s->row[k] < s->row[first]))
            first = k;
    if (first >= 0) {
        *bad_row = s->row[first];
        bad_cell(s, first, major, name, file, col, dec, err);
    }
    return false;
}

/* Turns the numeric placeholder column j into an empty categorical one in place. Done
 * on the fields rather than by remove + add + move, which would cost O(columns) per
 * column and so O(columns^2) on a very wide file. A fresh column's level index is
 * empty, which tfg_col_intern expects. */
static void make_cat(tfg_table *t, size_t j)
{
    tfg_column *c = &t->cols[j];
    free(c->num);
    c->num = NULL;
    c->type = TFG_COL_CAT;
    c->cat = tfg_xmalloc((t->n_rows ? t->n_rows : 1) * sizeof *c->cat);
    for (size_t i = 0; i < t->n_rows; i++)
        c->cat[i] = -1;
}

/* units: n_cols entries set to a numeric column's unit (or left NULL); may be NULL. */
static tfg_status decide_types(csv_reader *r, const csv_scan *sc, const col_stats *st,
                               tfg_table *t, bool *any_cat, char **units, tfg_err *err)
{
    size_t best_row = SIZE_MAX;
    tfg_err tmp;
    *any_cat = false;
    for (size_t j = 0; j < sc->n_cols; j++) {
        size_t bad_row;
        bool unit;
        tfg_err_clear(&tmp);
        if (column_is_cat(&st[j], sc->names[j], r->name, j + 1, r->decimal, &unit, &bad_row,
                          &tmp)) {
            make_cat(t, j);
            *any_cat = true;
            continue;
        }
        if (unit && units)
            units[j] = tfg_xstrdup(st[j].unit);
        if (bad_row < best_row) {
            best_row = bad_row;
            if (err)
                *err = tmp;
        }
    }
    return best_row == SIZE_MAX ? TFG_OK : TFG_EINPUT;
}

static tfg_status level_pass(csv_reader *r, const csv_scan *sc, tfg_table *t, tfg_err *err)
{
    for (size_t i = 0; i < sc->n_rec; i++) {
        size_t pos = sc->rec[i].off, line = sc->rec[i].line;
        if (scan_record(r, &pos, &line, err))
            return tfg_err_set(err, TFG_EINTERNAL, "%s: record %zu split differently twice",
                               r->name, i);
        for (size_t j = 0; j < sc->n_cols && j < r->nf; j++) {
            tfg_column *c = &t->cols[j];
            if (c->type != TFG_COL_CAT)
                continue;
            cell v = cell_text(r, &r->f[j]);
            if (!is_missing(v))
                c->cat[i] = tfg_col_intern(c, v.s, v.n);
        }
    }
    return TFG_OK;
}

/* ---- the API ---------------------------------------------------------------- */

void tfg_csv_opts_default(tfg_csv_opts *o)
{
    memset(o, 0, sizeof *o);
    o->header = TFG_CSV_DETECT;
    o->skip_rows = TFG_CSV_DETECT;
    o->max_record = TFG_CSV_MAX_RECORD;
}

void tfg_csv_info_free(tfg_csv_info *info)
{
    if (!info)
        return;
    for (size_t j = 0; j < info->n_cols; j++) {
        if (info->names)
            free(info->names[j]);
        if (info->units)
            free(info->units[j]);
    }
    free(info->names);
    free(info->units);
    for (size_t i = 0; i < info->n_sample; i++) {
        for (size_t j = 0; j < info->sample_cols[i]; j++)
            free(info->sample[i][j]);
        free(info->sample[i]);
    }
    memset(info, 0, sizeof *info);
}

/* ---- the dialect ------------------------------------------------------------ */

#define SAMPLE_RECORDS 100
#define SAMPLE_BYTES ((size_t)1 << 20)

/* Windows-1252's 0x80..0x9F (0: unassigned, kept as the C1 control of that number). */
static const uint16_t cp1252_c1[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

static char *cp1252_to_utf8(const char *s, size_t n, size_t *out_len)
{
    char *o = tfg_xmalloc(n * 3 + 1), *p = o;
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i];
        if (c < 0x80) {
            *p++ = (char)c;
            continue;
        }
        unsigned u = c < 0xA0 && cp1252_c1[c - 0x80] ? cp1252_c1[c - 0x80] : c;
        if (u < 0x800) {
            *p++ = (char)(0xC0 | (u >> 6));
        } else {
            *p++ = (char)(0xE0 | (u >> 12));
            *p++ = (char)(0x80 | ((u >> 6) & 0x3F));
        }
        *p++ = (char)(0x80 | (u & 0x3F));
    }
    *p = '\0';
    *out_len = (size_t)(p - o);
    return o;
}

static size_t count_byte(const char *b, size_t n, char c)
{
    size_t k = 0;
    for (const char *p = b, *end = b + n; (p = memchr(p, c, (size_t)(end - p))); p++)
        k++;
    return k;
}

static size_t count_crlf(const char *b, size_t n)
{
    size_t k = 0;
    for (const char *p = b, *end = b + n; (p = memchr(p, '\r', (size_t)(end - p))); p++)
        k += p + 1 < end && p[1] == '\n';
    return k;
}

static const char *line_ends_name(const char *b, size_t n)
{
    size_t lf = count_byte(b, n, '\n'), cr = count_byte(b, n, '\r'), crlf = count_crlf(b, n);
    lf -= crlf, cr -= crlf;
    int kinds = (lf > 0) + (cr > 0) + (crlf > 0);
    if (kinds > 1)
        return "mixed";
    return lf ? "LF" : crlf ? "CRLF" : cr ? "CR" : "none";
}

/* Moves *pos past the line end of the line it is on (LF, CRLF or a lone CR). */
static void skip_line(const char *b, size_t n, size_t *pos)
{
    size_t p = *pos;
    while (p < n && b[p] != '\n' && b[p] != '\r')
        p++;
    if (p < n && b[p] == '\r' && p + 1 < n && b[p + 1] == '\n')
        p++;
    *pos = p < n ? p + 1 : p;
}

static size_t lines_in(const char *b, size_t n)
{
    return count_byte(b, n, '\n') + count_byte(b, n, '\r') - count_crlf(b, n);
}

/* The fields of the record at *pos split with delimiter d and quote q (a quote opens
 * only at the start of a field), moving *pos past its line end; 0 when the record
 * runs past lim before the end of the file. */
static size_t sample_fields(const char *b, size_t lim, size_t len, size_t *pos, char d, char q,
                            size_t *quoted)
{
    size_t p = *pos, n = 1;
    bool inq = false, start = true;
    while (p < lim) {
        char c = b[p];
        if (inq) {
            if (c == q && p + 1 < lim && b[p + 1] == q)
                p++;
            else if (c == q)
                inq = false;
        } else if (c == q && start) {
            inq = true;
            (*quoted)++;
        } else if (c == d) {
            n++;
            start = true;
            p++;
            continue;
        } else if (c == '\n' || c == '\r') {
            skip_line(b, lim, &p);
            *pos = p;
            return n;
        }
        start = false;
        p++;
    }
    *pos = p;
    return lim < len ? 0 : n;
}

typedef struct {
    size_t score;    /* sampled records with the usual field count (0: not a dialect) */
    size_t data_off; /* where the records start after a preamble */
    size_t quoted;   /* fields that open with the quote */
} dialect_score;

/* How consistently d and q split the records from start: the field count most records
 * have (more than one field), and the leading records that differ from it (a preamble,
 * if find_preamble and at least two records follow). */
static dialect_score score_dialect(const char *b, size_t len, size_t start, char d, char q,
                                   bool find_preamble)
{
    size_t counts[SAMPLE_RECORDS], offs[SAMPLE_RECORDS], n = 0, pos = start, quoted = 0;
    size_t lim = len - start > SAMPLE_BYTES ? start + SAMPLE_BYTES : len;
    while (pos < lim && n < SAMPLE_RECORDS) {
        size_t at = pos;
        if (b[pos] == '\n' || b[pos] == '\r') { /* an empty line says nothing */
            skip_line(b, lim, &pos);
            continue;
        }
        size_t k = sample_fields(b, lim, len, &pos, d, q, &quoted);
        if (!k)
            break;
        offs[n] = at;
        counts[n++] = k;
    }
    size_t mode = 0, best = 0;
    for (size_t i = 0; i < n; i++) {
        size_t same = 0;
        for (size_t j = 0; j < n; j++)
            same += counts[j] == counts[i];
        if (same > best || (same == best && counts[i] > mode))
            mode = counts[i], best = same;
    }
    dialect_score s = {0, start, quoted};
    if (mode <= 1 || (q != '"' && !quoted)) /* ' only when fields are quoted with it */
        return s;
    size_t pre = 0;
    while (find_preamble && pre < n && counts[pre] != mode)
        pre++;
    if (n - pre < 2)
        pre = 0;
    for (size_t i = pre; i < n; i++)
        s.score += counts[i] == mode;
    if (pre)
        s.data_off = offs[pre];
    return s;
}

/* Picks the delimiter and quote not given, and the preamble when skip_rows is not. */
static void detect_layout(csv_reader *r, const tfg_csv_opts *o, tfg_csv_info *info)
{
    static const char delims[] = {',', ';', '\t', '|'}, quotes[] = {'"', '\''};
    bool find_pre = o->skip_rows == TFG_CSV_DETECT;
    dialect_score best = {0, r->start, 0};
    char bd = o->delimiter ? o->delimiter : o->decimal == ',' ? ';' : ',';
    char bq = o->quote ? o->quote : '"';
    for (size_t i = 0; i < sizeof delims; i++) {
        if (o->delimiter && i)
            continue;
        char d = o->delimiter ? o->delimiter : delims[i];
        if (d == ',' && o->decimal == ',' && !o->delimiter)
            continue; /* the comma is taken */
        for (size_t k = 0; k < sizeof quotes; k++) {
            if (o->quote && k)
                continue;
            char q = o->quote ? o->quote : quotes[k];
            dialect_score s = score_dialect(r->buf, r->len, r->start, d, q, find_pre);
            /* on a tie, the quote that quotes fields (' in a file without ") */
            bool quotes_more = s.score == best.score && d == bd && s.quoted && !best.quoted;
            if (s.score > best.score || (s.score && quotes_more))
                best = s, bd = d, bq = q;
        }
    }
    r->delim = bd;
    r->quote = bq;
    info->detected |= (o->delimiter ? 0u : TFG_CSV_DET_DELIMITER) |
                      (o->quote ? 0u : TFG_CSV_DET_QUOTE);
    if (find_pre && best.data_off > r->start) {
        r->first_line += lines_in(r->buf + r->start, best.data_off - r->start);
        r->start = best.data_off;
        info->detected |= TFG_CSV_DET_SKIP;
    }
}

/* Splits the next non-empty record of the sample; false at its end or on an error (the
 * real pass reports it). */
static bool sample_record(csv_reader *r, size_t *pos, size_t *line)
{
    tfg_err ignored;
    while (*pos < r->len) {
        if (scan_record(r, pos, line, &ignored))
            return false;
        if (r->rec_bytes)
            return true;
    }
    return false;
}

/* Decimal comma when the delimiter leaves the comma free and number cells use it. */
static char detect_decimal(csv_reader *r)
{
    if (r->delim == ',')
        return '.';
    size_t pos = r->start, line = r->first_line, comma = 0, point = 0;
    for (size_t i = 0; i < SAMPLE_RECORDS && sample_record(r, &pos, &line); i++) {
        for (size_t j = 0; j < r->nf; j++) {
            cell c = cell_text(r, &r->f[j]);
            if (is_missing(c))
                continue;
            double v;
            cell u;
            int k = parse_number(c, ',', &v, &u);
            if ((k == NUM_OK || k == NUM_UNIT) && memchr(c.s, ',', c.n))
                comma++;
            k = parse_number(c, '.', &v, &u);
            if ((k == NUM_OK || k == NUM_UNIT) && memchr(c.s, '.', c.n))
                point++;
        }
    }
    return comma && !point ? ',' : '.';
}

enum { CELL_MISSING, CELL_NUMBER, CELL_TEXT };

static int cell_kind(csv_reader *r, const csv_field *f)
{
    cell c = cell_text(r, f), u;
    double v;
    if (is_missing(c))
        return CELL_MISSING;
    int k = parse_number(c, r->decimal, &v, &u);
    return k == NUM_OK || k == NUM_UNIT ? CELL_NUMBER : CELL_TEXT;
}

/* The first record from r->start, beside the SAMPLE_RECORDS records after it. */
typedef struct {
    size_t nf;             /* its fields */
    int *kind;             /* CELL_* of each */
    double *value;         /* of each CELL_NUMBER */
    bool all_text;         /* every cell is text */
    bool text_over_num;    /* a text cell over a column the sample holds as numbers */
    size_t next, next_line; /* where the record after it starts */
    size_t pos, line;       /* where the sample ended */
    size_t sampled;         /* records in the sample */
} first_record;

static bool read_first(csv_reader *r, first_record *f)
{
    memset(f, 0, sizeof *f);
    size_t pos = r->start, line = r->first_line;
    if (!sample_record(r, &pos, &line))
        return false;
    size_t nf = r->nf;
    f->nf = nf, f->next = pos, f->next_line = line, f->all_text = true;
    f->kind = tfg_xmalloc(nf * sizeof *f->kind);
    f->value = tfg_xcalloc(nf, sizeof *f->value);
    for (size_t j = 0; j < nf; j++) {
        f->kind[j] = cell_kind(r, &r->f[j]);
        f->all_text &= f->kind[j] == CELL_TEXT;
        cell u;
        if (f->kind[j] == CELL_NUMBER)
            parse_number(cell_text(r, &r->f[j]), r->decimal, &f->value[j], &u);
    }
    size_t *num = tfg_xcalloc(nf, sizeof *num), *present = tfg_xcalloc(nf, sizeof *present);
    for (; f->sampled < SAMPLE_RECORDS && sample_record(r, &pos, &line); f->sampled++)
        for (size_t j = 0; j < nf && j < r->nf; j++) {
            int k = cell_kind(r, &r->f[j]);
            present[j] += k != CELL_MISSING;
            num[j] += k == CELL_NUMBER;
        }
    for (size_t j = 0; j < nf; j++)
        f->text_over_num |= f->kind[j] == CELL_TEXT && num[j] && num[j] * 10 >= present[j] * 9;
    f->pos = pos, f->line = line;
    free(num);
    free(present);
    return true;
}

static void first_record_free(first_record *f)
{
    free(f->kind);
    free(f->value);
}

/* A header when a cell of the first record is text over a numeric column, or when all
 * its cells are text (csv.h). */
static bool detect_header(csv_reader *r)
{
    first_record f;
    if (!read_first(r, &f))
        return true;
    bool header = f.text_over_num || f.all_text;
    first_record_free(&f);
    return header;
}

/* Is the first record a preamble with the data's own field count (so detect_layout did
 * not see it)? Yes when it is not all text and the record after it is a header (all
 * text, over numeric columns: 506,13,,,... then "CRIM","ZN",...), or when it mixes text
 * over numeric columns with a number that counts the records after it (scikit-learn's
 * 150,4,setosa,versicolor,virginica over 150 rows): counts and names, not a header. */
static bool count_preamble(csv_reader *r)
{
    first_record f;
    if (!read_first(r, &f))
        return false;
    bool pre = false;
    if (!f.all_text) {
        size_t start = r->start, first_line = r->first_line, pos = f.next, line = f.next_line;
        r->start = f.next, r->first_line = f.next_line;
        pre = detect_header(r) && sample_record(r, &pos, &line) && r->nf == f.nf;
        r->start = start, r->first_line = first_line;
        for (size_t j = 0; pre && j < f.nf; j++)
            pre = cell_kind(r, &r->f[j]) == CELL_TEXT;
    }
    if (!pre && !f.all_text && f.text_over_num) {
        size_t records = f.sampled, pos = f.pos, line = f.line;
        while (sample_record(r, &pos, &line)) /* only now count them all */
            records++;
        for (size_t j = 0; j < f.nf; j++)
            pre |= f.kind[j] == CELL_NUMBER && records > 1 && f.value[j] == (double)records;
    }
    if (pre) {
        r->first_line = f.next_line;
        r->start = f.next;
    }
    first_record_free(&f);
    return pre;
}

/* Sets the reader's dialect: the options' settings, the rest detected. */
static void detect_dialect(csv_reader *r, const tfg_csv_opts *o, tfg_csv_info *info)
{
    if (o->skip_rows > 0)
        for (long i = 0; i < o->skip_rows && r->start < r->len; i++) {
            skip_line(r->buf, r->len, &r->start);
            r->first_line++;
        }
    detect_layout(r, o, info);
    r->cls[(unsigned char)r->quote] = CH_QUOTE;
    r->cls[(unsigned char)r->delim] = CH_DELIM;
    r->decimal = o->decimal ? o->decimal : detect_decimal(r);
    if (!o->decimal)
        info->detected |= TFG_CSV_DET_DECIMAL;
    if (o->skip_rows == TFG_CSV_DETECT && o->header == TFG_CSV_DETECT && !o->names &&
        !(info->detected & TFG_CSV_DET_SKIP) && count_preamble(r))
        info->detected |= TFG_CSV_DET_SKIP;
    if (o->header == TFG_CSV_DETECT && o->names) {
        r->header = false; /* names are given for a file without one */
    } else if (o->header == TFG_CSV_DETECT) {
        r->header = detect_header(r);
        info->detected |= TFG_CSV_DET_HEADER;
    } else {
        r->header = o->header != 0;
    }
    info->delimiter = r->delim;
    info->quote = r->quote;
    info->decimal = r->decimal;
    info->header = r->header;
    info->skip_rows = r->first_line - 1;
}

/* The bytes to read: without a BOM, converted from Windows-1252 when they are not
 * UTF-8 (and the options allow it). *owned is set when a converted copy was made. */
static const char *decode(const char *buf, size_t *len, const tfg_csv_opts *o,
                          tfg_csv_info *info, char **owned)
{
    *owned = NULL;
    info->encoding = "UTF-8";
    if (*len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) {
        info->bom = true;
        buf += 3, *len -= 3;
    }
    bool convert = o->encoding == TFG_CSV_ENC_CP1252;
    if (o->encoding == TFG_CSV_ENC_DETECT) {
        const char *why = "";
        size_t bad = utf8_check((const unsigned char *)buf, *len, &why);
        convert = bad < *len && buf[bad] != '\0';
        if (convert)
            info->converted_line = 1 + lines_in(buf, bad);
        info->detected |= TFG_CSV_DET_ENCODING;
    }
    if (!convert)
        return buf;
    info->encoding = "Windows-1252";
    info->converted = true;
    *owned = cp1252_to_utf8(buf, *len, len);
    return *owned;
}

static void reader_init(csv_reader *r, const char *buf, size_t len, const char *name,
                        const tfg_csv_opts *o)
{
    memset(r, 0, sizeof *r);
    r->buf = buf;
    r->len = len;
    r->name = name ? name : "<csv>";
    r->o = o;
    r->max_record = o->max_record ? o->max_record : TFG_CSV_MAX_RECORD;
    r->first_line = 1;
    r->cls['\n'] = r->cls['\r'] = CH_EOL;
    tfg_buf_init(&r->scratch);
}

/* Passes 2 and 3 on a scanned file: builds the table. */
static tfg_status build_table(csv_reader *r, const csv_scan *sc, tfg_table *t, char **units,
                              tfg_err *err)
{
    t->n_rows = sc->n_rec;
    for (size_t j = 0; j < sc->n_cols; j++)
        tfg_table_add_num(t, sc->names[j]);
    col_stats *st = tfg_xcalloc(sc->n_cols ? sc->n_cols : 1, sizeof *st);
    for (size_t j = 0; j < sc->n_cols; j++)
        st[j].forced_cat = listed(r->o->categorical, sc->names[j]);
    bool any_cat = false;
    tfg_status s = type_pass(r, sc, st, t, err);
    if (!s)
        s = decide_types(r, sc, st, t, &any_cat, units, err);
    if (!s && any_cat)
        s = level_pass(r, sc, t, err);
    free(st);
    return s;
}

static tfg_status check_opts(const tfg_csv_opts *o, const char *name, tfg_err *err)
{
    char d = o->delimiter, q = o->quote, m = o->decimal;
    name = name ? name : "<csv>";
    if (d == '"' || d == '\'' || d == '\n' || d == '\r')
        return tfg_err_set(err, TFG_EUSAGE,
                           "%s: the CSV delimiter cannot be a quote or a line end", name);
    if (q && q != '"' && q != '\'')
        return tfg_err_set(err, TFG_EUSAGE, "%s: the CSV quote is \" or ', not '%c'", name, q);
    if (m && m != '.' && m != ',')
        return tfg_err_set(err, TFG_EUSAGE, "%s: the decimal separator is . or ,, not '%c'",
                           name, m);
    if (m == ',' && d == ',')
        return tfg_err_set(err, TFG_EUSAGE,
                           "%s: a decimal comma needs another delimiter (such as ;)", name);
    return TFG_OK;
}

/* The header names and the first data records, as read, into info. */
static void fill_info(csv_reader *r, const csv_scan *sc, tfg_csv_info *info)
{
    info->rows_read = sc->n_rec;
    if (!sc->names)
        return;
    info->n_cols = sc->n_cols;
    info->names = tfg_xcalloc(sc->n_cols ? sc->n_cols : 1, sizeof *info->names);
    info->units = tfg_xcalloc(sc->n_cols ? sc->n_cols : 1, sizeof *info->units);
    for (size_t j = 0; j < sc->n_cols; j++)
        info->names[j] = tfg_xstrdup(sc->names[j] ? sc->names[j] : "");
    for (size_t i = 0; i < sc->n_rec && i < TFG_CSV_SAMPLE_ROWS; i++) {
        size_t pos = sc->rec[i].off, line = sc->rec[i].line;
        tfg_err ignored;
        if (scan_record(r, &pos, &line, &ignored))
            break;
        info->sample[i] = tfg_xcalloc(r->nf, sizeof *info->sample[i]);
        info->sample_cols[i] = r->nf;
        for (size_t j = 0; j < r->nf; j++) {
            cell c = cell_text(r, &r->f[j]);
            info->sample[i][j] = tfg_xstrndup(c.s, c.n);
        }
        info->n_sample = i + 1;
    }
}

static tfg_status parse_buf(csv_reader *r, const tfg_csv_opts *o, tfg_table *out,
                            tfg_csv_info *info, tfg_err *err)
{
    detect_dialect(r, o, info);
    csv_scan sc;
    memset(&sc, 0, sizeof sc);
    tfg_arena_init(&sc.arena);
    tfg_status s = scan_all(r, &sc, err);
    if (!s && !sc.have_first)
        s = tfg_err_at(err, TFG_EINPUT, r->name, 0, 0, "the file is empty (expected %s)",
                       r->header ? "a header record and data rows" : "data rows");
    if (!s && !sc.n_rec)
        s = tfg_err_at(err, TFG_EINPUT, r->name, 0, 0,
                       "no data rows: the file has a header record and nothing after it");
    fill_info(r, &sc, info);
    if (!s)
        s = build_table(r, &sc, out, info->units, err);
    free(sc.rec);
    tfg_arena_free(&sc.arena);
    return s;
}

tfg_status tfg_csv_parse_info(const char *buf, size_t len, const char *name,
                              const tfg_csv_opts *o, tfg_table *out, tfg_csv_info *info,
                              tfg_err *err)
{
    tfg_csv_opts defaults;
    tfg_csv_info local;
    if (!o) {
        tfg_csv_opts_default(&defaults);
        o = &defaults;
    }
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    tfg_table_init(out);
    tfg_status s = check_opts(o, name, err);
    if (s) {
        if (info == &local)
            tfg_csv_info_free(info);
        return s;
    }
    info->line_ends = line_ends_name(buf, len);
    char *owned;
    buf = decode(buf, &len, o, info, &owned);
    csv_reader r;
    reader_init(&r, buf, len, name, o);
    /* strtod must read "1.5" the same whatever locale the program has set */
    locale_t c_loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    locale_t old = c_loc ? uselocale(c_loc) : (locale_t)0;
    s = parse_buf(&r, o, out, info, err);
    if (c_loc) {
        uselocale(old);
        freelocale(c_loc);
    }
    if (s)
        tfg_table_free(out);
    free(r.f);
    tfg_buf_free(&r.scratch);
    free(owned);
    if (info == &local)
        tfg_csv_info_free(info);
    return s;
}

tfg_status tfg_csv_parse(const char *buf, size_t len, const char *name, const tfg_csv_opts *o,
                         tfg_table *out, tfg_err *err)
{
    return tfg_csv_parse_info(buf, len, name, o, out, NULL, err);
}

tfg_status tfg_csv_read_info(const char *path, const tfg_csv_opts *o, tfg_table *out,
                             tfg_csv_info *info, tfg_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    tfg_table_init(out);
    if (info)
        memset(info, 0, sizeof *info);
    tfg_status s = tfg_read_file(path, TFG_READ_MAX_DEFAULT, &buf, &len, err);
    if (s)
        return s;
    s = tfg_csv_parse_info(buf, len, path, o, out, info, err);
    free(buf);
    return s;
}

tfg_status tfg_csv_read(const char *path, const tfg_csv_opts *o, tfg_table *out, tfg_err *err)
{
    return tfg_csv_read_info(path, o, out, NULL, err);
}
