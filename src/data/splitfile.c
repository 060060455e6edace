/* splitfile.c — writing and reading the cleaned split files (layout in splitfile.h).
 *
 * Every multi-byte field is packed and unpacked byte by byte in little-endian order,
 * so the files are the same on any host and no struct layout leaks into them. The
 * writer refuses a split the reader would refuse (the two share one header check),
 * and writes through tfg_afile so a crash never leaves half a file. The reader
 * streams the body in chunks: Fashion-MNIST's train split is about 200 MB. */
#include "data/splitfile.h"

#include <errno.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/io.h"

#define MAGIC "TFGSPLIT"
#define VERSION 1u
#define HEADER_BYTES 64u
#define CHUNK_VALUES 16384u /* 64 KiB of float32 per write or read */

/* Byte offsets of the header fields (splitfile.h), named for error messages. */
enum {
    OFF_MAGIC = 0, OFF_VERSION = 8, OFF_ROWS = 12, OFF_FEATURES = 16, OFF_RANK = 20,
    OFF_SHAPE = 24, OFF_LABEL_KIND = 36, OFF_N_CLASSES = 40, OFF_HEADER = 44, OFF_RESERVED = 48
};

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- the header check shared by writer and reader ------------------------------ */

/* Checks rank, shape, features and label fields; on failure names the field and its
 * byte offset. code is TFG_EINPUT for a file read, TFG_EINTERNAL for a split being
 * written (the caller built it wrong). */
static tfg_status check_fields(const tfg_split *s, const char *path, tfg_status code,
                               tfg_err *err)
{
    if (s->rank < 1 || s->rank > 3)
        return tfg_err_set(err, code, "%s: byte %d (rank): expected 1 to 3, got %u", path,
                           OFF_RANK, s->rank);
    uint64_t product = 1;
    for (uint32_t d = 0; d < 3; d++) {
        int off = OFF_SHAPE + 4 * (int)d;
        if (d < s->rank && s->shape[d] == 0)
            return tfg_err_set(err, code, "%s: byte %d (shape[%u]): a dimension of a rank-%u "
                               "shape must not be 0", path, off, d, s->rank);
        if (d >= s->rank && s->shape[d] != 0)
            return tfg_err_set(err, code, "%s: byte %d (shape[%u]): expected 0 beyond rank %u, "
                               "got %u", path, off, d, s->rank, s->shape[d]);
        if (d < s->rank && product <= UINT32_MAX)
            product *= s->shape[d]; /* both factors < 2^32: no overflow of uint64 */
    }
    if (product > UINT32_MAX)
        return tfg_err_set(err, code, "%s: byte %d (features): is %u but the shape's product "
                           "is more than %lu", path, OFF_FEATURES, s->features,
                           (unsigned long)UINT32_MAX);
    if (product != s->features)
        return tfg_err_set(err, code, "%s: byte %d (features): is %u but the shape's product "
                           "is %llu", path, OFF_FEATURES, s->features,
                           (unsigned long long)product);
    if (s->label_kind > TFG_LABEL_VALUE)
        return tfg_err_set(err, code, "%s: byte %d (label kind): expected 0, 1 or 2, got %u",
                           path, OFF_LABEL_KIND, s->label_kind);
    if (s->label_kind == TFG_LABEL_CLASS && s->n_classes == 0)
        return tfg_err_set(err, code, "%s: byte %d (classes): class labels need at least one "
                           "class, got 0", path, OFF_N_CLASSES);
    if (s->label_kind != TFG_LABEL_CLASS && s->n_classes != 0)
        return tfg_err_set(err, code, "%s: byte %d (classes): expected 0 for label kind %u, "
                           "got %u", path, OFF_N_CLASSES, s->label_kind, s->n_classes);
    return TFG_OK;
}

/* Bytes the file must have. rows and features are < 2^32, so x bytes < 2^66 would
 * overflow: checked in two steps. Returns false on overflow. */
static int expected_size(const tfg_split *s, uint64_t *size)
{
    uint64_t cells = (uint64_t)s->rows * s->features; /* < 2^64 */
    if (cells > (UINT64_MAX - HEADER_BYTES) / 4 - (uint64_t)s->rows)
        return 0;
    *size = HEADER_BYTES + cells * 4 + (s->label_kind ? (uint64_t)s->rows * 4 : 0);
    return 1;
}

/* ---- writing ------------------------------------------------------------------ */

static void pack_header(const tfg_split *s, unsigned char h[HEADER_BYTES])
{
    memset(h, 0, HEADER_BYTES);
    memcpy(h + OFF_MAGIC, MAGIC, 8);
    put_u32(h + OFF_VERSION, VERSION);
    put_u32(h + OFF_ROWS, s->rows);
    put_u32(h + OFF_FEATURES, s->features);
    put_u32(h + OFF_RANK, s->rank);
    for (int d = 0; d < 3; d++)
        put_u32(h + OFF_SHAPE + 4 * d, s->shape[d]);
    put_u32(h + OFF_LABEL_KIND, s->label_kind);
    put_u32(h + OFF_N_CLASSES, s->n_classes);
    put_u32(h + OFF_HEADER, HEADER_BYTES);
}

/* The values a split must hold before it may be written: finite features and
 * targets, class indexes in range. A NaN reaching a split is a cleaning bug that
 * training would only reveal much later. */
static tfg_status check_values(const tfg_split *s, const char *path, bool raw, tfg_err *err)
{
    size_t cells = (size_t)s->rows * s->features;
    for (size_t i = 0; i < cells; i++)
        if (!isfinite(s->x[i]) && !(raw && isnan(s->x[i])))
            return tfg_err_set(err, TFG_ECHECK, "%s: row %zu, feature %zu is not a finite "
                               "number; a split holds cleaned data only", path,
                               i / s->features, i % s->features);
    for (size_t r = 0; r < s->rows; r++) {
        if (s->label_kind == TFG_LABEL_CLASS &&
            (s->y_class[r] < 0 || (uint32_t)s->y_class[r] >= s->n_classes))
            return tfg_err_set(err, TFG_ECHECK, "%s: row %zu has class %d, expected 0 to %u",
                               path, r, (int)s->y_class[r], s->n_classes - 1);
        if (s->label_kind == TFG_LABEL_VALUE && !isfinite(s->y_value[r]))
            return tfg_err_set(err, TFG_ECHECK, "%s: row %zu has a target that is not a finite "
                               "number", path, r);
    }
    return TFG_OK;
}

/* Writes n 32-bit words (float bits or int32) little-endian, in chunks. */
static tfg_status write_words(tfg_afile *f, const void *src, size_t n, tfg_err *err)
{
    unsigned char buf[4 * CHUNK_VALUES];
    const unsigned char *p = src;
    for (size_t done = 0; done < n;) {
        size_t k = n - done < CHUNK_VALUES ? n - done : CHUNK_VALUES;
        for (size_t i = 0; i < k; i++) {
            uint32_t u;
            memcpy(&u, p + 4 * (done + i), 4);
            put_u32(buf + 4 * i, u);
        }
        tfg_status st = tfg_afile_write(f, buf, 4 * k, err);
        if (st)
            return st;
        done += k;
    }
    return TFG_OK;
}

static tfg_status split_write(const char *path, const tfg_split *s, bool raw, tfg_err *err)
{
    tfg_status st = check_fields(s, path, TFG_EINTERNAL, err);
    uint64_t size;
    if (!st && !expected_size(s, &size))
        st = tfg_err_set(err, TFG_EINTERNAL, "%s: %u rows of %u features are too many", path,
                         s->rows, s->features);
    if (!st && ((s->rows && s->features && !s->x) ||
                (s->rows && s->label_kind == TFG_LABEL_CLASS && !s->y_class) ||
                (s->rows && s->label_kind == TFG_LABEL_VALUE && !s->y_value)))
        st = tfg_err_set(err, TFG_EINTERNAL, "%s: the split has rows but no data", path);
    if (!st)
        st = check_values(s, path, raw, err);
    if (st)
        return st;
    unsigned char h[HEADER_BYTES];
    pack_header(s, h);
    tfg_afile f;
    if ((st = tfg_afile_open(&f, path, err)))
        return st;
    st = tfg_afile_write(&f, h, sizeof h, err);
    if (!st)
        st = write_words(&f, s->x, (size_t)s->rows * s->features, err);
    if (!st && s->label_kind == TFG_LABEL_CLASS)
        st = write_words(&f, s->y_class, s->rows, err);
    if (!st && s->label_kind == TFG_LABEL_VALUE)
        st = write_words(&f, s->y_value, s->rows, err);
    if (st) {
        tfg_afile_abort(&f);
        return st;
    }
    return tfg_afile_commit(&f, err);
}

/* ---- reading ------------------------------------------------------------------ */

static tfg_status unpack_header(const unsigned char *h, const char *path, tfg_split *s,
                                tfg_err *err)
{
    if (memcmp(h + OFF_MAGIC, MAGIC, 8) != 0)
        return tfg_err_set(err, TFG_EINPUT, "%s: byte 0 (magic): not a tinyforge split file "
                           "(expected \"%s\")", path, MAGIC);
    uint32_t version = get_u32(h + OFF_VERSION);
    if (version != VERSION)
        return tfg_err_set(err, TFG_EINPUT, "%s: byte %d (version): expected %u, got %u", path,
                           OFF_VERSION, VERSION, version);
    uint32_t hb = get_u32(h + OFF_HEADER);
    if (hb != HEADER_BYTES)
        return tfg_err_set(err, TFG_EINPUT, "%s: byte %d (header bytes): expected %u, got %u",
                           path, OFF_HEADER, HEADER_BYTES, hb);
    for (int i = OFF_RESERVED; i < (int)HEADER_BYTES; i++)
        if (h[i])
            return tfg_err_set(err, TFG_EINPUT, "%s: byte %d (reserved): expected 0, got %u",
                               path, i, h[i]);
    s->rows = get_u32(h + OFF_ROWS);
    s->features = get_u32(h + OFF_FEATURES);
    s->rank = get_u32(h + OFF_RANK);
    for (int d = 0; d < 3; d++)
        s->shape[d] = get_u32(h + OFF_SHAPE + 4 * d);
    s->label_kind = get_u32(h + OFF_LABEL_KIND);
    s->n_classes = get_u32(h + OFF_N_CLASSES);
    return check_fields(s, path, TFG_EINPUT, err);
}

/* Reads n little-endian words into dst (float bits or int32). base is the byte offset
 * of the first one, for messages. */
static tfg_status read_words(FILE *fp, const char *path, uint64_t base, void *dst, size_t n,
                             tfg_err *err)
{
    unsigned char buf[4 * CHUNK_VALUES];
    unsigned char *out = dst;
    for (size_t done = 0; done < n;) {
        size_t k = n - done < CHUNK_VALUES ? n - done : CHUNK_VALUES;
        if (fread(buf, 4, k, fp) != k)
            return tfg_err_set(err, TFG_EIO, "%s: byte %llu: cannot read: %s", path,
                               (unsigned long long)(base + 4 * done),
                               ferror(fp) ? strerror(errno) : "file shrank while read");
        for (size_t i = 0; i < k; i++) {
            uint32_t u = get_u32(buf + 4 * i);
            memcpy(out + 4 * (done + i), &u, 4);
        }
        done += k;
    }
    return TFG_OK;
}

/* The body's values: what check_values demands of a writer, with byte offsets. */
static tfg_status check_body(const tfg_split *s, const char *path, bool raw, tfg_err *err)
{
    size_t cells = (size_t)s->rows * s->features;
    for (size_t i = 0; i < cells; i++)
        if (!isfinite(s->x[i]) && !(raw && isnan(s->x[i])))
            return tfg_err_set(err, TFG_EINPUT,
                               "%s: byte %llu (x, row %zu, feature %zu): not a finite number",
                               path, (unsigned long long)(HEADER_BYTES + 4 * (uint64_t)i),
                               i / s->features, i % s->features);
    uint64_t ybase = HEADER_BYTES + 4 * (uint64_t)cells;
    for (size_t r = 0; r < s->rows; r++) {
        if (s->label_kind == TFG_LABEL_CLASS &&
            (s->y_class[r] < 0 || (uint32_t)s->y_class[r] >= s->n_classes))
            return tfg_err_set(err, TFG_EINPUT, "%s: byte %llu (y, row %zu): class %d is out of "
                               "range 0 to %u", path, (unsigned long long)(ybase + 4 * r), r,
                               (int)s->y_class[r], s->n_classes - 1);
        if (s->label_kind == TFG_LABEL_VALUE && !isfinite(s->y_value[r]))
            return tfg_err_set(err, TFG_EINPUT, "%s: byte %llu (y, row %zu): not a finite number",
                               path, (unsigned long long)(ybase + 4 * r), r);
    }
    return TFG_OK;
}

static tfg_status read_body(FILE *fp, const char *path, bool raw, tfg_split *s, tfg_err *err)
{
    size_t cells = (size_t)s->rows * s->features;
    s->x = tfg_xmalloc((cells ? cells : 1) * sizeof *s->x);
    tfg_status st = read_words(fp, path, HEADER_BYTES, s->x, cells, err);
    uint64_t ybase = HEADER_BYTES + 4 * (uint64_t)cells;
    if (!st && s->label_kind == TFG_LABEL_CLASS) {
        s->y_class = tfg_xmalloc((s->rows ? s->rows : 1) * sizeof *s->y_class);
        st = read_words(fp, path, ybase, s->y_class, s->rows, err);
    } else if (!st && s->label_kind == TFG_LABEL_VALUE) {
        s->y_value = tfg_xmalloc((s->rows ? s->rows : 1) * sizeof *s->y_value);
        st = read_words(fp, path, ybase, s->y_value, s->rows, err);
    }
    return st ? st : check_body(s, path, raw, err);
}

static tfg_status check_size(const tfg_split *s, const char *path, uint64_t actual,
                             tfg_err *err)
{
    uint64_t want;
    if (!expected_size(s, &want))
        return tfg_err_set(err, TFG_EINPUT, "%s: byte %d (rows): %u rows of %u features are "
                           "too many", path, OFF_ROWS, s->rows, s->features);
    if (actual == want)
        return TFG_OK;
    if (actual < want)
        return tfg_err_set(err, TFG_EINPUT, "%s: byte %llu: truncated: the header says the file "
                           "has %llu bytes (%u rows of %u features%s), it has %llu", path,
                           (unsigned long long)actual, (unsigned long long)want, s->rows,
                           s->features, s->label_kind ? " and labels" : "",
                           (unsigned long long)actual);
    return tfg_err_set(err, TFG_EINPUT, "%s: byte %llu: %llu unexpected bytes after the last "
                       "row (the header says %u rows of %u features%s)", path,
                       (unsigned long long)want, (unsigned long long)(actual - want), s->rows,
                       s->features, s->label_kind ? " and labels" : "");
}

static tfg_status split_read(const char *path, bool raw, tfg_split *s, tfg_err *err)
{
    memset(s, 0, sizeof *s);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return tfg_err_set(err, TFG_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    tfg_status st = TFG_OK;
    if (fstat(fileno(fp), &sb) != 0)
        st = tfg_err_set(err, TFG_EIO, "%s: cannot inspect: %s", path, strerror(errno));
    unsigned char h[HEADER_BYTES];
    if (!st && (uint64_t)sb.st_size < HEADER_BYTES)
        st = tfg_err_set(err, TFG_EINPUT, "%s: byte %lld: truncated: the file is shorter than "
                         "the %u-byte header", path, (long long)sb.st_size, HEADER_BYTES);
    if (!st && fread(h, 1, sizeof h, fp) != sizeof h)
        st = tfg_err_set(err, TFG_EIO, "%s: byte 0: cannot read the header", path);
    if (!st)
        st = unpack_header(h, path, s, err);
    if (!st)
        st = check_size(s, path, (uint64_t)sb.st_size, err);
    if (!st)
        st = read_body(fp, path, raw, s, err);
    fclose(fp);
    if (st)
        tfg_split_free(s);
    return st;
}

tfg_status tfg_split_write(const char *path, const tfg_split *s, tfg_err *err)
{
    return split_write(path, s, false, err);
}

tfg_status tfg_split_read(const char *path, tfg_split *s, tfg_err *err)
{
    return split_read(path, false, s, err);
}

tfg_status tfg_split_write_raw(const char *path, const tfg_split *s, tfg_err *err)
{
    return split_write(path, s, true, err);
}

tfg_status tfg_split_read_raw(const char *path, tfg_split *s, tfg_err *err)
{
    return split_read(path, true, s, err);
}

void tfg_split_free(tfg_split *s)
{
    free(s->x);
    free(s->y_class);
    free(s->y_value);
    memset(s, 0, sizeof *s);
}
