/* test_splitfile.c — split files: exact byte layout, round trips of every label kind
 * and rank, and a reader that refuses every corruption (each truncation length, a
 * trailing byte, each bad header field, bad class indexes, non-finite values) with
 * an error naming the file, the field and the byte offset. */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "core/alloc.h"
#include "core/io.h"
#include "data/splitfile.h"

static char tmpdir[64];

static char *tmp_path(const char *name)
{
    return tfg_path_join(tmpdir, name);
}

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* 3 rows of a 2x2x1 input with class labels 0..2 of 3 classes. */
static void make_class_split(tfg_split *s)
{
    memset(s, 0, sizeof *s);
    s->rows = 3, s->features = 4, s->rank = 3;
    s->shape[0] = 2, s->shape[1] = 2, s->shape[2] = 1;
    s->label_kind = TFG_LABEL_CLASS, s->n_classes = 3;
    s->x = tfg_xmalloc(12 * sizeof *s->x);
    for (int i = 0; i < 12; i++)
        s->x[i] = (float)i * 0.25f - 1.0f;
    s->x[5] = -0.0f;
    s->x[6] = 1e-40f; /* subnormal */
    s->x[7] = 3.4e38f;
    s->y_class = tfg_xmalloc(3 * sizeof *s->y_class);
    s->y_class[0] = 2, s->y_class[1] = 0, s->y_class[2] = 1;
}

static int same_bits(const float *a, const float *b, size_t n)
{
    return n == 0 || memcmp(a, b, n * sizeof *a) == 0;
}

static void write_bytes(const char *path, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (n)
        fwrite(b, 1, n, f);
    fclose(f);
}

static unsigned char *read_bytes(const char *path, size_t *n)
{
    char *buf;
    tfg_err err;
    if (tfg_read_file(path, TFG_READ_MAX_DEFAULT, &buf, n, &err)) {
        *n = 0;
        return NULL;
    }
    return (unsigned char *)buf;
}

static void test_layout(void)
{
    tfg_split s;
    make_class_split(&s);
    char *path = tmp_path("layout.bin");
    tfg_err err = {0};
    CHECK_INT(tfg_split_write(path, &s, &err), TFG_OK);
    size_t n;
    unsigned char *b = read_bytes(path, &n);
    CHECK_INT(n, 64 + 12 * 4 + 3 * 4);
    CHECK(b && memcmp(b, "TFGSPLIT", 8) == 0);
    CHECK_INT(get_u32(b + 8), 1);
    CHECK_INT(get_u32(b + 12), 3);
    CHECK_INT(get_u32(b + 16), 4);
    CHECK_INT(get_u32(b + 20), 3);
    CHECK_INT(get_u32(b + 24), 2);
    CHECK_INT(get_u32(b + 28), 2);
    CHECK_INT(get_u32(b + 32), 1);
    CHECK_INT(get_u32(b + 36), 1);
    CHECK_INT(get_u32(b + 40), 3);
    CHECK_INT(get_u32(b + 44), 64);
    int zero = 1;
    for (int i = 48; i < 64; i++)
        zero &= b[i] == 0;
    CHECK(zero);
    /* x[0] = -1.0f is 0xbf800000, stored little-endian */
    CHECK_INT(b[64], 0x00);
    CHECK_INT(b[67], 0xbf);
    CHECK_INT(get_u32(b + 64 + 4 * 4), 0); /* x[4] = 0.0f */
    CHECK_INT(get_u32(b + 64 + 5 * 4), 0x80000000u); /* -0.0f kept */
    CHECK_INT(get_u32(b + 64 + 48), 2); /* y[0] */
    free(b);
    free(path);
    tfg_split_free(&s);
}

static void roundtrip(const tfg_split *s, const char *name)
{
    char *path = tmp_path(name);
    tfg_err err = {0};
    CHECK_INT(tfg_split_write(path, s, &err), TFG_OK);
    tfg_split r;
    CHECK_INT(tfg_split_read(path, &r, &err), TFG_OK);
    CHECK_INT(r.rows, s->rows);
    CHECK_INT(r.features, s->features);
    CHECK_INT(r.rank, s->rank);
    for (int d = 0; d < 3; d++)
        CHECK_INT(r.shape[d], s->shape[d]);
    CHECK_INT(r.label_kind, s->label_kind);
    CHECK_INT(r.n_classes, s->n_classes);
    CHECK(same_bits(r.x, s->x, (size_t)s->rows * s->features));
    if (s->label_kind == TFG_LABEL_CLASS)
        CHECK(s->rows == 0 || !memcmp(r.y_class, s->y_class, s->rows * sizeof *s->y_class));
    else
        CHECK(r.y_class == NULL);
    if (s->label_kind == TFG_LABEL_VALUE)
        CHECK(same_bits(r.y_value, s->y_value, s->rows));
    else
        CHECK(r.y_value == NULL);
    tfg_split_free(&r);
    CHECK(r.x == NULL && r.rows == 0);
    free(path);
}

static void test_roundtrips(void)
{
    tfg_split s;
    make_class_split(&s);
    roundtrip(&s, "class.bin");
    tfg_split_free(&s);

    /* rank 1, regression targets */
    float x[6] = {0.5f, -2, 3, 4, 1e-3f, 7}, y[2] = {1.5f, -3.25f};
    tfg_split v = {.rows = 2, .features = 3, .rank = 1, .shape = {3, 0, 0},
                   .label_kind = TFG_LABEL_VALUE, .x = x, .y_value = y};
    roundtrip(&v, "value.bin");
    /* rank 2, no labels (anomaly detection) */
    tfg_split u = {.rows = 1, .features = 6, .rank = 2, .shape = {2, 3, 0},
                   .label_kind = TFG_LABEL_NONE, .x = x};
    roundtrip(&u, "none.bin");
    /* no rows at all (an empty validation split) */
    tfg_split e = {.rows = 0, .features = 3, .rank = 1, .shape = {3, 0, 0},
                   .label_kind = TFG_LABEL_CLASS, .n_classes = 2};
    roundtrip(&e, "empty.bin");

    /* a big one crosses the chunk size of reader and writer */
    tfg_split big = {.rows = 5000, .features = 7, .rank = 1, .shape = {7, 0, 0},
                     .label_kind = TFG_LABEL_CLASS, .n_classes = 10};
    big.x = tfg_xmalloc(35000 * sizeof *big.x);
    big.y_class = tfg_xmalloc(5000 * sizeof *big.y_class);
    for (int i = 0; i < 35000; i++)
        big.x[i] = (float)i / 7.0f;
    for (int i = 0; i < 5000; i++)
        big.y_class[i] = i % 10;
    roundtrip(&big, "big.bin");
    /* writing again replaces the file */
    big.rows = 2;
    roundtrip(&big, "big.bin");
    big.rows = 5000;
    tfg_split_free(&big);
}

/* The bytes of a valid class split, for corrupting. */
static unsigned char *valid_bytes(size_t *n)
{
    tfg_split s;
    make_class_split(&s);
    char *path = tmp_path("valid.bin");
    tfg_err err;
    tfg_split_write(path, &s, &err);
    unsigned char *b = read_bytes(path, n);
    tfg_split_free(&s);
    free(path);
    return b;
}

/* Writes b (n bytes) to a file, reads it, expects EINPUT naming each needle. */
static void expect_bad(const unsigned char *b, size_t n, const char *n1, const char *n2)
{
    char *path = tmp_path("bad.bin");
    write_bytes(path, b, n);
    tfg_split s;
    tfg_err err = {0};
    tfg_status st = tfg_split_read(path, &s, &err);
    CHECK_MSG(st == TFG_EINPUT, "status %d for %s", st, n1);
    CHECK_HAS(err.msg, "bad.bin");
    CHECK_HAS(err.msg, n1);
    if (n2)
        CHECK_HAS(err.msg, n2);
    CHECK(s.x == NULL && s.y_class == NULL);
    free(path);
}

static void test_truncation(void)
{
    size_t n;
    unsigned char *b = valid_bytes(&n);
    for (size_t len = 0; len < n; len++)
        expect_bad(b, len, "truncated", len < 64 ? "header" : "has 124 bytes");
    unsigned char *longer = tfg_xmalloc(n + 1);
    memcpy(longer, b, n);
    longer[n] = 0;
    expect_bad(longer, n + 1, "byte 124", "1 unexpected bytes");
    free(longer);
    free(b);
}

/* Sets the u32 at off to v in a copy of the valid bytes and expects the needles. */
static void corrupt_u32(size_t off, uint32_t v, const char *n1, const char *n2)
{
    size_t n;
    unsigned char *b = valid_bytes(&n);
    put_u32(b + off, v);
    expect_bad(b, n, n1, n2);
    free(b);
}

static void test_bad_header_fields(void)
{
    size_t n;
    unsigned char *b = valid_bytes(&n);
    b[3] ^= 0x20; /* "TFGsPLIT" */
    expect_bad(b, n, "byte 0 (magic)", "not a tinyforge split file");
    free(b);
    corrupt_u32(8, 2, "byte 8 (version)", "expected 1, got 2");
    corrupt_u32(44, 60, "byte 44 (header bytes)", "got 60");
    corrupt_u32(20, 0, "byte 20 (rank)", "got 0");
    corrupt_u32(20, 4, "byte 20 (rank)", "got 4");
    corrupt_u32(20, 2, "byte 32 (shape[2])", "beyond rank 2");
    corrupt_u32(28, 0, "byte 28 (shape[1])", "must not be 0");
    corrupt_u32(16, 5, "byte 16 (features)", "product is 4");
    corrupt_u32(36, 3, "byte 36 (label kind)", "got 3");
    corrupt_u32(40, 0, "byte 40 (classes)", "at least one");
    corrupt_u32(36, 0, "byte 40 (classes)", "label kind 0");
    /* more rows than the file holds */
    corrupt_u32(12, 4, "truncated", "4 rows of 4 features");
    /* fewer rows than the file holds */
    corrupt_u32(12, 2, "unexpected bytes", "2 rows");
    /* a label kind without labels in the file: it ends before the header says */
    corrupt_u32(36, 2, "byte 40 (classes)", NULL);
    b = valid_bytes(&n);
    b[50] = 1;
    expect_bad(b, n, "byte 50 (reserved)", NULL);
    free(b);
}

static void test_overflow_header(void)
{
    size_t n;
    unsigned char *b = valid_bytes(&n);
    /* 2^16 x 2^16 x 1 is 2^32: no u32 features count can match it */
    put_u32(b + 20, 3);
    put_u32(b + 24, 65536);
    put_u32(b + 28, 65536);
    put_u32(b + 32, 1);
    put_u32(b + 16, 0);
    expect_bad(b, n, "byte 16 (features)", "more than 4294967295");
    /* 3 dims of 2^32-1: the product must not wrap around to a small number */
    put_u32(b + 24, 0xffffffffu);
    put_u32(b + 28, 0xffffffffu);
    put_u32(b + 32, 0xffffffffu);
    put_u32(b + 16, 1);
    expect_bad(b, n, "byte 16 (features)", "more than 4294967295");
    /* rows and features both at the maximum: the size must not overflow either */
    put_u32(b + 12, 0xffffffffu);
    put_u32(b + 16, 0xffffffffu);
    put_u32(b + 20, 1);
    put_u32(b + 24, 0xffffffffu);
    put_u32(b + 28, 0);
    put_u32(b + 32, 0);
    expect_bad(b, n, "byte 12 (rows)", "too many");
    put_u32(b + 12, 0x10000);
    put_u32(b + 16, 0x10000);
    put_u32(b + 24, 0x10000);
    expect_bad(b, n, "truncated", "65536 rows");
    free(b);
}

static void test_bad_values(void)
{
    size_t n;
    unsigned char *b = valid_bytes(&n);
    put_u32(b + 64 + 48 + 4, 3); /* y[1] = 3 of 3 classes */
    expect_bad(b, n, "byte 116 (y, row 1)", "class 3 is out of range 0 to 2");
    put_u32(b + 64 + 48 + 4, 0xffffffffu); /* y[1] = -1 */
    expect_bad(b, n, "byte 116 (y, row 1)", "class -1");
    free(b);
    b = valid_bytes(&n);
    put_u32(b + 64 + 4 * 9, 0x7fc00000u); /* x[9] = NaN */
    expect_bad(b, n, "byte 100 (x, row 2, feature 1)", "not a finite number");
    put_u32(b + 64 + 4 * 9, 0x7f800000u); /* +Inf */
    expect_bad(b, n, "byte 100", "finite");
    free(b);
    tfg_split s;
    tfg_err err = {0};
    char *missing = tmp_path("no-such.bin");
    CHECK_INT(tfg_split_read(missing, &s, &err), TFG_EIO);
    CHECK_HAS(err.msg, "no-such.bin");
    free(missing);
}

static size_t count_files(void)
{
    DIR *d = opendir(tmpdir);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* The writer refuses what the reader would refuse, and leaves no file behind. */
static void test_writer_refuses(void)
{
    char *path = tmp_path("refused.bin");
    size_t before = count_files();
    tfg_split s;
    tfg_err err = {0};
    make_class_split(&s);
    s.y_class[2] = 3;
    CHECK_INT(tfg_split_write(path, &s, &err), TFG_ECHECK);
    CHECK_HAS(err.msg, "row 2 has class 3");
    s.y_class[2] = 1;
    s.x[3] = NAN;
    CHECK_INT(tfg_split_write(path, &s, &err), TFG_ECHECK);
    CHECK_HAS(err.msg, "row 0, feature 3");
    s.x[3] = 0;
    s.rank = 4;
    CHECK_INT(tfg_split_write(path, &s, &err), TFG_EINTERNAL);
    CHECK_HAS(err.msg, "rank");
    s.rank = 3;
    s.features = 5;
    CHECK_INT(tfg_split_write(path, &s, &err), TFG_EINTERNAL);
    CHECK_HAS(err.msg, "features");
    s.features = 4;
    s.label_kind = TFG_LABEL_VALUE; /* n_classes still 3 and no y_value */
    CHECK_INT(tfg_split_write(path, &s, &err), TFG_EINTERNAL);
    s.n_classes = 0;
    CHECK_INT(tfg_split_write(path, &s, &err), TFG_EINTERNAL);
    CHECK_HAS(err.msg, "no data");
    CHECK(!tfg_exists(path));
    CHECK_INT(count_files(), before);
    tfg_split_free(&s);
    free(path);
    /* a directory that does not exist: an I/O error, nothing left anywhere */
    char *deep = tmp_path("no/such/dir/x.bin");
    make_class_split(&s);
    CHECK_INT(tfg_split_write(deep, &s, &err), TFG_EIO);
    CHECK_HAS(err.msg, "x.bin");
    tfg_split_free(&s);
    free(deep);
}

/* Raw readings keep NaN (a missing value); a cleaned split reader still refuses it, and
 * infinities stay refused by both. */
static void test_raw_readings(void)
{
    char *path = tmp_path("raw.bin");
    tfg_split s, back;
    tfg_err err;
    make_class_split(&s);
    s.x[3] = NAN;
    CHECK_INT(tfg_split_write_raw(path, &s, &err), TFG_OK);
    CHECK_INT(tfg_split_read_raw(path, &back, &err), TFG_OK);
    CHECK(back.rows == 3 && isnan(back.x[3]) && back.x[4] == s.x[4]);
    CHECK(back.y_class[0] == 2);
    tfg_split_free(&back);
    CHECK_INT(tfg_split_read(path, &back, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "row 0, feature 3");
    s.x[3] = INFINITY;
    CHECK_INT(tfg_split_write_raw(path, &s, &err), TFG_ECHECK);
    tfg_split_free(&s);
    free(path);
}

static void cleanup(void)
{
    tfg_rmtree(tmpdir, NULL);
}

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tfg_splitXXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        exit(1);
    }
}

TFG_TEST_MAIN(setup, test_layout, test_roundtrips, test_truncation, test_bad_header_fields,
              test_overflow_header, test_bad_values, test_writer_refuses, test_raw_readings,
              cleanup)
