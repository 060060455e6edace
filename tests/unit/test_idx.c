/* test_idx.c — the IDX loader: small image/label files built in memory (values,
 * column names, shape), every kind of bad header, truncation at every byte length, gzip'd
 * files on disk, and the real Fashion-MNIST test set when the machine has it. */
#include <stdint.h>
#include <unistd.h>
#include <zlib.h>

#include "../check.h"
#include "core/alloc.h"
#include "data/idx.h"

#define FMNIST_DIR "/usr/share/datasets/fashion-mnist"

/* An IDX file: magic 00 00 type ndims, big-endian dims, then body_len body bytes. */
static unsigned char *make_idx(unsigned type, unsigned ndims, const uint32_t *dims,
                               const unsigned char *body, size_t body_len, size_t *len)
{
    *len = 4 + 4 * (size_t)ndims + body_len;
    unsigned char *b = tfg_xmalloc(*len);
    b[0] = b[1] = 0;
    b[2] = (unsigned char)type;
    b[3] = (unsigned char)ndims;
    for (unsigned i = 0; i < ndims; i++) {
        unsigned char *p = b + 4 + 4 * i;
        p[0] = (unsigned char)(dims[i] >> 24), p[1] = (unsigned char)(dims[i] >> 16);
        p[2] = (unsigned char)(dims[i] >> 8), p[3] = (unsigned char)dims[i];
    }
    if (body_len)
        memcpy(b + 4 + 4 * ndims, body, body_len);
    return b;
}

/* 3 images of 2x2 and their labels. */
static const unsigned char pixels[12] = {0, 1, 2, 3, 10, 20, 30, 40, 255, 128, 7, 0};
static const unsigned char label_bytes[3] = {9, 0, 4};

typedef struct {
    unsigned char *img, *lab;
    size_t img_len, lab_len;
} pair;

static pair make_pair(void)
{
    pair p;
    uint32_t idims[3] = {3, 2, 2}, ldims[1] = {3};
    p.img = make_idx(0x08, 3, idims, pixels, sizeof pixels, &p.img_len);
    p.lab = make_idx(0x08, 1, ldims, label_bytes, sizeof label_bytes, &p.lab_len);
    return p;
}

static void free_pair(pair *p)
{
    free(p->img);
    free(p->lab);
}

static tfg_err last_err;

/* Parses a pair that must fail; checks the code and that *out is left empty. */
static const char *fail(const unsigned char *img, size_t img_len, const unsigned char *lab,
                        size_t lab_len)
{
    tfg_table t;
    tfg_err_clear(&last_err);
    CHECK_INT(tfg_idx_parse(img, img_len, "img.idx", lab, lab_len, "lab.idx", &t, &last_err),
              TFG_EINPUT);
    CHECK_INT(last_err.code, TFG_EINPUT);
    CHECK_INT(t.n_cols, 0);
    CHECK(t.cols == NULL);
    tfg_table_free(&t);
    return last_err.msg;
}

static void test_small(void)
{
    pair p = make_pair();
    tfg_table t;
    tfg_err e;
    CHECK_INT(tfg_idx_parse(p.img, p.img_len, "img", p.lab, p.lab_len, "lab", &t, &e), TFG_OK);
    CHECK_INT(t.n_rows, 3);
    CHECK_INT(t.n_cols, 5);
    CHECK_INT(t.shape[0], 2);
    CHECK_INT(t.shape[1], 2);
    CHECK_INT(t.shape[2], 1);
    if (t.n_cols == 5) {
        const char *names[] = {"px0", "px1", "px2", "px3", "label"};
        for (size_t j = 0; j < 5; j++) {
            CHECK_STR(t.cols[j].name, names[j]);
            CHECK_INT(t.cols[j].type, TFG_COL_NUM);
        }
        for (size_t i = 0; i < 3; i++) {
            for (size_t j = 0; j < 4; j++) /* row-major: image i, pixel j */
                CHECK_NEAR(t.cols[j].num[i], pixels[i * 4 + j], 0);
            CHECK_NEAR(t.cols[4].num[i], label_bytes[i], 0);
        }
    }
    tfg_table_free(&t);
    free_pair(&p);
}

/* Every prefix of a valid file is an error that says "truncated", never a crash. */
static void test_truncated(void)
{
    pair p = make_pair();
    for (size_t n = 0; n < p.img_len; n++) {
        /* a copy of exactly n bytes, so ASan sees any read past the end */
        unsigned char *cut = tfg_xmalloc(n ? n : 1);
        memcpy(cut, p.img, n);
        const char *msg = fail(cut, n, p.lab, p.lab_len);
        CHECK_HAS(msg, "img.idx: offset ");
        CHECK_HAS(msg, "truncated");
        free(cut);
    }
    for (size_t n = 0; n < p.lab_len; n++) {
        unsigned char *cut = tfg_xmalloc(n ? n : 1);
        memcpy(cut, p.lab, n);
        const char *msg = fail(p.img, p.img_len, cut, n);
        CHECK_HAS(msg, "lab.idx: offset ");
        CHECK_HAS(msg, "truncated");
        free(cut);
    }
    /* the body: says how many bytes the header promised and how many there are */
    const char *msg = fail(p.img, p.img_len - 5, p.lab, p.lab_len);
    CHECK_HAS(msg, "img.idx: offset 16: truncated: header says 12 bytes of images, file has 7");
    msg = fail(p.img, 10, p.lab, p.lab_len);
    CHECK_HAS(msg, "img.idx: offset 10: truncated: the header needs 16 bytes, the file has 10");
    free_pair(&p);
}

static void test_bad_headers(void)
{
    pair p = make_pair();
    unsigned char *img = tfg_xmalloc(p.img_len);

    memcpy(img, p.img, p.img_len);
    img[0] = 0x1f; /* a gzip file passed without being a .gz path, say */
    CHECK_HAS(fail(img, p.img_len, p.lab, p.lab_len), "img.idx: offset 0: not an IDX file");

    memcpy(img, p.img, p.img_len);
    img[2] = 0x0D;
    const char *msg = fail(img, p.img_len, p.lab, p.lab_len);
    CHECK_HAS(msg, "img.idx: offset 2: element type 0x0D (32-bit float) is not supported");
    img[2] = 0x42;
    CHECK_HAS(fail(img, p.img_len, p.lab, p.lab_len), "0x42 (unknown)");

    /* images and labels swapped */
    msg = fail(p.lab, p.lab_len, p.img, p.img_len);
    CHECK_HAS(msg, "img.idx: offset 3: has 1 dimension, expected 3 for images");
    CHECK_HAS(msg, "swapped");

    /* absurd dimensions: refused before any allocation */
    uint32_t huge[3] = {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu};
    size_t len;
    unsigned char *h = make_idx(0x08, 3, huge, pixels, sizeof pixels, &len);
    msg = fail(h, len, p.lab, p.lab_len);
    CHECK_HAS(msg, "img.idx: offset 16: truncated: header says more than");
    CHECK_HAS(msg, "file has 12");
    free(h);
    uint32_t big[3] = {1000, 28, 28};
    h = make_idx(0x08, 3, big, pixels, sizeof pixels, &len);
    CHECK_HAS(fail(h, len, p.lab, p.lab_len), "header says 784000 bytes of images, file has 12");
    free(h);

    /* trailing bytes */
    unsigned char *longer = tfg_xmalloc(p.lab_len + 2);
    memcpy(longer, p.lab, p.lab_len);
    longer[p.lab_len] = longer[p.lab_len + 1] = 0;
    CHECK_HAS(fail(p.img, p.img_len, longer, p.lab_len + 2),
              "lab.idx: offset 11: 2 trailing bytes after the 3 bytes of labels");
    free(longer);

    /* counts that differ */
    uint32_t four[1] = {4};
    unsigned char four_labels[4] = {1, 2, 3, 4};
    h = make_idx(0x08, 1, four, four_labels, 4, &len);
    CHECK_HAS(fail(p.img, p.img_len, h, len), "img.idx has 3 images but lab.idx has 4 labels");
    free(h);

    /* nothing to learn from */
    uint32_t none[3] = {0, 2, 2}, flat[3] = {3, 0, 2}, zero[1] = {0};
    h = make_idx(0x08, 3, none, NULL, 0, &len);
    size_t zlen;
    unsigned char *z = make_idx(0x08, 1, zero, NULL, 0, &zlen);
    CHECK_HAS(fail(h, len, z, zlen), "img.idx: offset 4: the file holds no images");
    free(h);
    h = make_idx(0x08, 3, flat, NULL, 0, &len);
    CHECK_HAS(fail(h, len, p.lab, p.lab_len), "images of 0 x 2 pixels");
    free(h);
    free(z);
    free(img);
    free_pair(&p);
}

static void write_gz(const char *path, const unsigned char *data, size_t len)
{
    gzFile g = gzopen(path, "wb");
    CHECK(g != NULL);
    if (g) {
        CHECK_INT(gzwrite(g, data, (unsigned)len), len);
        gzclose(g);
    }
}

static void test_gzip_files(void)
{
    char tmpl[] = "/tmp/tfg_test_idx_XXXXXX";
    char *dir = mkdtemp(tmpl);
    CHECK(dir != NULL);
    if (!dir)
        return;
    pair p = make_pair();
    char *img = tfg_xasprintf("%s/img.gz", dir), *lab = tfg_xasprintf("%s/lab.gz", dir);
    write_gz(img, p.img, p.img_len);
    write_gz(lab, p.lab, p.lab_len);
    tfg_table t;
    tfg_err e;
    CHECK_INT(tfg_idx_read(img, lab, &t, &e), TFG_OK);
    CHECK_INT(t.n_rows, 3);
    CHECK_INT(t.n_cols, 5);
    if (t.n_cols == 5)
        CHECK_NEAR(t.cols[0].num[2], 255, 0);
    tfg_table_free(&t);

    /* a corrupt gzip stream is an error naming the file */
    FILE *fp = fopen(img, "r+b");
    CHECK(fp != NULL);
    if (fp) {
        fseek(fp, 12, SEEK_SET);
        unsigned char junk[8] = {0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef};
        fwrite(junk, 1, sizeof junk, fp);
        fclose(fp);
    }
    CHECK(tfg_idx_read(img, lab, &t, &e) != TFG_OK);
    CHECK_HAS(e.msg, img);
    CHECK_INT(t.n_cols, 0);
    unlink(img);
    CHECK_INT(tfg_idx_read(img, lab, &t, &e), TFG_EIO);
    CHECK_HAS(e.msg, img);
    unlink(lab);
    rmdir(dir);
    free(img);
    free(lab);
    free_pair(&p);
}

/* Reads n raw bytes at off of a gzip'd file, independently of the loader. */
static bool raw_bytes(const char *path, long off, unsigned char *dst, unsigned n)
{
    gzFile g = gzopen(path, "rb");
    if (!g)
        return false;
    bool ok = gzseek(g, off, SEEK_SET) == off && gzread(g, dst, n) == (int)n;
    gzclose(g);
    return ok;
}

static void test_fashion_mnist(void)
{
    const char *img = FMNIST_DIR "/t10k-images-idx3-ubyte.gz";
    const char *lab = FMNIST_DIR "/t10k-labels-idx1-ubyte.gz";
    if (access(img, R_OK) || access(lab, R_OK)) {
        printf("skipping the Fashion-MNIST check: %s is not there\n", FMNIST_DIR);
        return;
    }
    tfg_table t;
    tfg_err e;
    CHECK_INT(tfg_idx_read(img, lab, &t, &e), TFG_OK);
    CHECK_INT(t.n_rows, 10000);
    CHECK_INT(t.n_cols, 785);
    CHECK_INT(t.shape[0], 28);
    CHECK_INT(t.shape[1], 28);
    CHECK_INT(t.shape[2], 1);
    if (t.n_rows != 10000 || t.n_cols != 785) {
        tfg_table_free(&t);
        return;
    }
    CHECK_STR(t.cols[784].name, "label");
    CHECK_STR(t.cols[783].name, "px783");
    size_t count[10] = {0}, bad = 0;
    for (size_t i = 0; i < t.n_rows; i++) {
        double v = t.cols[784].num[i];
        if (v >= 0 && v <= 9 && v == (int)v)
            count[(int)v]++;
        else
            bad++;
    }
    CHECK_INT(bad, 0);
    for (int k = 0; k < 10; k++)
        CHECK_INT(count[k], 1000);
    /* pixels of a few images equal the raw bytes of the file */
    size_t rows[] = {0, 1, 4321, 9999}, wrong = 0;
    for (size_t r = 0; r < 4; r++) {
        unsigned char px[784];
        CHECK(raw_bytes(img, 16 + (long)rows[r] * 784, px, 784));
        for (size_t j = 0; j < 784; j++)
            wrong += t.cols[j].num[rows[r]] != px[j];
    }
    CHECK_INT(wrong, 0);
    tfg_table_free(&t);
}

TFG_TEST_MAIN(test_small, test_truncated, test_bad_headers, test_gzip_files, test_fashion_mnist)
