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

typedef struct {
    const char *buf;
    size_t len;
    const char *name;
    const tfg_csv_opts *o;
    size_t max_record;
    unsigned char cls[256];
    csv_field *f; /* fields of the current record */
    size_t nf, capf;
    size_t rec_bytes; /* bytes of the current record, without its line end */
    tfg_buf scratch;  /* unescaped text of a quoted field with "" in it */
} csv_reader;

/* Per-column tallies of pass 2 and the first offending cells, for the error. */
typedef struct {
    bool forced_cat;
    size_t n_num, n_text, n_nonfinite;
    size_t text_row, text_line, nonfinite_row, nonfinite_line;
    char text[64], nonfinite[64];
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
                              "a quoted field starts here and is never closed (missing \")");
        char c = r->buf[p];
        if (c == '"') {
            if (p + 1 < r->len && r->buf[p + 1] == '"') {
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
                          "text after the closing quote of a quoted field (write \"\" for a "
                          "quote inside a quoted field)");
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
        if (p < r->len && r->buf[p] == '"') {
            tfg_status st = scan_quoted(r, &p, line, f, col, err);
            if (st)
                return st;
        } else {
            size_t quote_at;
            scan_plain(r, &p, f, &quote_at);
            if (quote_at != SIZE_MAX)
                return tfg_err_at(err, TFG_EINPUT, r->name, f->line, col,
                                  "a quote inside an unquoted field (quote the whole field "
                                  "and write the quote as \"\")");
        }
        if (p - start > r->max_record)
            return tfg_err_at(err, TFG_EINPUT, r->name, rec_line, 0,
                              "record is longer than the limit of %zu bytes", r->max_record);
        if (p >= r->len || r->buf[p] != r->o->delimiter)
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
 * verbatim with "" undone (in r->scratch, valid until the next call). */
static cell cell_text(csv_reader *r, const csv_field *f)
{
    cell c = {r->buf + f->off, f->len, f->quoted};
    if (!f->quoted) {
        trim(&c.s, &c.n);
    } else if (f->escaped) {
        r->scratch.len = 0;
        for (size_t i = 0; i < f->len; i++) {
            tfg_buf_putc(&r->scratch, c.s[i]);
            if (c.s[i] == '"')
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

static bool is_missing(cell c)
{
    if (c.quoted || c.n == 0)
        return c.n == 0;
    if (c.n > 4 || (c.s[0] != 'N' && c.s[0] != 'n' && c.s[0] != '?'))
        return false; /* the common case, decided without a compare */
    return c.n == 0 || cell_is(c, "NA") || cell_is(c, "N/A") || cell_is(c, "null") ||
           cell_is(c, "?");
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

enum { NUM_NO = 0, NUM_OK, NUM_NONFINITE };

/* The spellings strtod would turn into NaN or infinity. */
static bool nonfinite_word(const char *s, size_t n)
{
    if (n && (*s == '+' || *s == '-'))
        s++, n--;
    return lower_is(s, n, "nan") || lower_is(s, n, "inf") || lower_is(s, n, "infinity");
}

/* A scanned decimal [+-]digits[.digits][e[+-]digits]; hex and "nan(...)" are text. */
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

static bool decimal_syntax(const char *s, size_t n, decimal *d)
{
    size_t i = 0;
    memset(d, 0, sizeof *d);
    if (i < n && (s[i] == '+' || s[i] == '-'))
        d->neg = s[i++] == '-';
    i = scan_digits(s, i, n, d, false);
    if (i < n && s[i] == '.')
        i = scan_digits(s, i + 1, n, d, true);
    if (!d->digits)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        d->expo = true;
        if (++i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t e0 = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == e0)
            return false;
    }
    return i == n;
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

/* Parses c as a number (surrounding spaces allowed, C locale). */
static int parse_number(cell c, double *v)
{
    const char *s = c.s;
    size_t n = c.n;
    decimal d;
    trim(&s, &n);
    if (!decimal_syntax(s, n, &d))
        return nonfinite_word(s, n) ? NUM_NONFINITE : NUM_NO;
    if (fast_decimal(&d, v))
        return NUM_OK;
    char small[64], *z = small;
    if (n >= sizeof small)
        z = tfg_xmalloc(n + 1);
    memcpy(z, s, n);
    z[n] = '\0';
    *v = strtod(z, NULL); /* the caller made the thread's locale "C" */
    if (z != small)
        free(z);
    return isfinite(*v) ? NUM_OK : NUM_NONFINITE;
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
    size_t n_cols;
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
        if (r->o->header) /* the header names the columns; it is not a data row */
            return names_from_header(r, sc, err);
        tfg_status st = names_from_opts(r, sc, err);
        if (st)
            return st;
    } else if (r->nf != sc->n_cols) {
        const char *what = r->o->header ? "the header" : "the first row";
        if (empty)
            return tfg_err_at(err, TFG_EINPUT, r->name, line, 0,
                              "is an empty line, but %s has %zu fields", what, sc->n_cols);
        return tfg_err_at(err, TFG_EINPUT, r->name, line, 0, "has %zu fields, %s has %zu",
                          r->nf, what, sc->n_cols);
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
    size_t pos = 0, line = 1;
    size_t n_pend = 0, cap_pend = 0;
    csv_record *pend = NULL;
    tfg_status st = TFG_OK;
    if (r->len >= 3 && !memcmp(r->buf, "\xEF\xBB\xBF", 3))
        pos = 3;
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

static void tally(csv_reader *r, col_stats *s, double *dst, size_t row, const csv_field *f)
{
    cell c = cell_text(r, f);
    if (is_missing(c))
        return;
    double v;
    int k = parse_number(c, &v);
    if (k == NUM_OK) {
        *dst = v;
        s->n_num++;
    } else if (k == NUM_NONFINITE) {
        if (!s->n_nonfinite++) {
            s->nonfinite_row = row, s->nonfinite_line = f->line;
            quote_cell(s->nonfinite, sizeof s->nonfinite, c);
        }
    } else if (!s->n_text++) {
        s->text_row = row, s->text_line = f->line;
        quote_cell(s->text, sizeof s->text, c);
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

/* Decides a column's type. A numeric column with bad cells gets its error formatted
 * into err and *bad_row set, so the caller can report the earliest in the file. */
static bool column_is_cat(const col_stats *s, const char *name, const char *file, size_t col,
                          size_t *bad_row, tfg_err *err)
{
    *bad_row = SIZE_MAX;
    if (s->forced_cat)
        return true;
    size_t numeric = s->n_num + s->n_nonfinite, total = numeric + s->n_text;
    if (s->n_text && numeric * 10 < total * 9)
        return true;
    bool text_first = s->n_text && (!s->n_nonfinite || s->text_row < s->nonfinite_row);
    if (text_first) {
        *bad_row = s->text_row;
        tfg_err_at(err, TFG_EINPUT, file, s->text_line, col,
                   "non-numeric value '%s' in numeric column '%s' (%zu of its %zu values "
                   "are numbers; fix the value or leave the cell empty if it is missing)",
                   s->text, name, s->n_num, total);
    } else if (s->n_nonfinite) {
        *bad_row = s->nonfinite_row;
        tfg_err_at(err, TFG_EINPUT, file, s->nonfinite_line, col,
                   "'%s' in column '%s' is not a finite number; leave the cell empty for a "
                   "missing value",
                   s->nonfinite, name);
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

static tfg_status decide_types(csv_reader *r, const csv_scan *sc, const col_stats *st,
                               tfg_table *t, bool *any_cat, tfg_err *err)
{
    size_t best_row = SIZE_MAX;
    tfg_err tmp;
    *any_cat = false;
    for (size_t j = 0; j < sc->n_cols; j++) {
        size_t bad_row;
        tfg_err_clear(&tmp);
        if (column_is_cat(&st[j], sc->names[j], r->name, j + 1, &bad_row, &tmp)) {
            make_cat(t, j);
            *any_cat = true;
        } else if (bad_row < best_row) {
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
    o->header = true;
    o->delimiter = ',';
    o->max_record = TFG_CSV_MAX_RECORD;
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
    r->cls['\n'] = r->cls['\r'] = CH_EOL;
    r->cls['"'] = CH_QUOTE;
    r->cls[(unsigned char)o->delimiter] = CH_DELIM;
    tfg_buf_init(&r->scratch);
}

/* Passes 2 and 3 on a scanned file: builds the table. */
static tfg_status build_table(csv_reader *r, const csv_scan *sc, tfg_table *t, tfg_err *err)
{
    t->n_rows = sc->n_rec;
    for (size_t j = 0; j < sc->n_cols; j++)
        tfg_table_add_num(t, sc->names[j]);
    col_stats *st = tfg_xcalloc(sc->n_cols ? sc->n_cols : 1, sizeof *st);
    for (size_t j = 0; j < sc->n_cols; j++)
        st[j].forced_cat = listed(r->o->categorical, sc->names[j]);
    /* strtod must read "1.5" the same whatever locale the program has set */
    locale_t c_loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    locale_t old = c_loc ? uselocale(c_loc) : (locale_t)0;
    bool any_cat = false;
    tfg_status s = type_pass(r, sc, st, t, err);
    if (c_loc) {
        uselocale(old);
        freelocale(c_loc);
    }
    if (!s)
        s = decide_types(r, sc, st, t, &any_cat, err);
    if (!s && any_cat)
        s = level_pass(r, sc, t, err);
    free(st);
    return s;
}

static tfg_status check_delimiter(const tfg_csv_opts *o, const char *name, tfg_err *err)
{
    char d = o->delimiter;
    if (d == '\0' || d == '"' || d == '\n' || d == '\r')
        return tfg_err_set(err, TFG_EUSAGE,
                           "%s: the CSV delimiter cannot be a quote, a line end or NUL",
                           name ? name : "<csv>");
    return TFG_OK;
}

tfg_status tfg_csv_parse(const char *buf, size_t len, const char *name, const tfg_csv_opts *o,
                         tfg_table *out, tfg_err *err)
{
    tfg_csv_opts defaults;
    if (!o) {
        tfg_csv_opts_default(&defaults);
        o = &defaults;
    }
    tfg_table_init(out);
    tfg_status s = check_delimiter(o, name, err);
    if (s)
        return s;
    csv_reader r;
    reader_init(&r, buf, len, name, o);
    csv_scan sc;
    memset(&sc, 0, sizeof sc);
    tfg_arena_init(&sc.arena);
    s = scan_all(&r, &sc, err);
    if (!s && !sc.have_first)
        s = tfg_err_at(err, TFG_EINPUT, r.name, 0, 0,
                       "the file is empty (expected %s)",
                       o->header ? "a header record and data rows" : "data rows");
    if (!s && !sc.n_rec)
        s = tfg_err_at(err, TFG_EINPUT, r.name, 0, 0,
                       "no data rows: the file has a header record and nothing after it");
    if (!s)
        s = build_table(&r, &sc, out, err);
    if (s)
        tfg_table_free(out);
    free(sc.rec);
    tfg_arena_free(&sc.arena);
    free(r.f);
    tfg_buf_free(&r.scratch);
    return s;
}

tfg_status tfg_csv_read(const char *path, const tfg_csv_opts *o, tfg_table *out, tfg_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    tfg_table_init(out);
    tfg_status s = tfg_read_file(path, TFG_READ_MAX_DEFAULT, &buf, &len, err);
    if (s)
        return s;
    s = tfg_csv_parse(buf, len, path, o, out, err);
    free(buf);
    return s;
}
