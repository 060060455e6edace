/* idx.c — the IDX loader (MNIST / Fashion-MNIST files) behind idx.h.
 *
 * An IDX file is a 4-byte magic (0x00 0x00 type ndims), ndims big-endian u32
 * dimensions, then the elements. Every size is checked against the bytes actually
 * present, with overflow-safe arithmetic, before anything is allocated, so a corrupt
 * header can never make us allocate or read more than the file holds. The output
 * table has one numeric column per pixel (row-major) and the label last. */
#include "data/idx.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/io.h"

#define IDX_UBYTE 0x08
#define IDX_MAX_DIMS 3

typedef struct {
    const unsigned char *data; /* the elements, after the header */
    uint32_t dims[IDX_MAX_DIMS];
    size_t n_elems;
} idx_file;

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const char *type_name(unsigned t)
{
    switch (t) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "16-bit integer";
    case 0x0C: return "32-bit integer";
    case 0x0D: return "32-bit float";
    case 0x0E: return "64-bit float";
    default: return "unknown";
    }
}

/* The magic: 0x00 0x00, the element type, then the number of dimensions. */
static tfg_status check_magic(const unsigned char *b, size_t len, const char *name,
                              unsigned want_dims, const char *what, tfg_err *err)
{
    if (len < 4)
        return tfg_err_set(err, TFG_EINPUT,
                           "%s: offset 0: truncated: an IDX header needs 4 bytes of magic, "
                           "the file has %zu",
                           name, len);
    if (b[0] || b[1])
        return tfg_err_set(err, TFG_EINPUT,
                           "%s: offset 0: not an IDX file: magic %02x %02x %02x %02x, expected "
                           "00 00 08 %02x",
                           name, b[0], b[1], b[2], b[3], want_dims);
    if (b[2] != IDX_UBYTE)
        return tfg_err_set(err, TFG_EINPUT,
                           "%s: offset 2: element type 0x%02X (%s) is not supported; only "
                           "unsigned byte (0x08) is",
                           name, b[2], type_name(b[2]));
    if (b[3] != want_dims)
        return tfg_err_set(err, TFG_EINPUT,
                           "%s: offset 3: has %u dimension%s, expected %u for %s%s", name, b[3],
                           b[3] == 1 ? "" : "s", want_dims, what,
                           b[3] == 1 || b[3] == 3 ? " (are the images and labels files "
                                                    "swapped?)"
                                                  : "");
    return TFG_OK;
}

/* Parses one file: magic, dimensions, and a body of exactly their product in bytes. */
static tfg_status parse_file(const unsigned char *b, size_t len, const char *name,
                             unsigned ndims, const char *what, idx_file *f, tfg_err *err)
{
    tfg_status s = check_magic(b, len, name, ndims, what, err);
    if (s)
        return s;
    size_t head = 4 + 4 * (size_t)ndims;
    if (len < head)
        return tfg_err_set(err, TFG_EINPUT,
                           "%s: offset %zu: truncated: the header needs %zu bytes, the file "
                           "has %zu",
                           name, len, head, len);
    uint64_t want = 1;
    bool over = false;
    for (unsigned i = 0; i < ndims; i++) {
        f->dims[i] = be32(b + 4 + 4 * i);
        if (f->dims[i] && want > UINT64_MAX / f->dims[i])
            over = true;
        else
            want *= f->dims[i];
    }
    size_t body = len - head;
    if (over || want > body)
        return tfg_err_set(err, TFG_EINPUT,
                           "%s: offset %zu: truncated: header says %s%llu bytes of %s, file has "
                           "%zu",
                           name, head, over ? "more than " : "",
                           (unsigned long long)(over ? UINT64_MAX : want), what, body);
    if (want < body)
        return tfg_err_set(err, TFG_EINPUT,
                           "%s: offset %llu: %zu trailing bytes after the %llu bytes of %s the "
                           "header announces",
                           name, (unsigned long long)(head + want), body - (size_t)want,
                           (unsigned long long)want, what);
    f->data = b + head;
    f->n_elems = (size_t)want;
    return TFG_OK;
}

/* Fills the table: one column per pixel, then the label. */
static void fill_table(const idx_file *img, const idx_file *lab, tfg_table *t)
{
    size_t n = img->dims[0], hw = (size_t)img->dims[1] * img->dims[2];
    t->n_rows = n;
    for (size_t j = 0; j < hw; j++) {
        char name[32];
        snprintf(name, sizeof name, "px%zu", j);
        double *v = tfg_table_add_num(t, name)->num;
        const unsigned char *p = img->data + j;
        for (size_t i = 0; i < n; i++, p += hw)
            v[i] = *p;
    }
    double *v = tfg_table_add_num(t, "label")->num;
    for (size_t i = 0; i < n; i++)
        v[i] = lab->data[i];
    t->shape[0] = img->dims[1];
    t->shape[1] = img->dims[2];
    t->shape[2] = 1;
}

tfg_status tfg_idx_parse(const unsigned char *images, size_t images_len, const char *images_name,
                         const unsigned char *labels, size_t labels_len, const char *labels_name,
                         tfg_table *out, tfg_err *err)
{
    idx_file img = {0}, lab = {0};
    tfg_table_init(out);
    tfg_status s = parse_file(images, images_len, images_name, 3, "images", &img, err);
    if (!s)
        s = parse_file(labels, labels_len, labels_name, 1, "labels", &lab, err);
    if (s)
        return s;
    if (!img.dims[0])
        return tfg_err_set(err, TFG_EINPUT, "%s: offset 4: the file holds no images",
                           images_name);
    if (!img.dims[1] || !img.dims[2])
        return tfg_err_set(err, TFG_EINPUT, "%s: offset 8: images of %u x %u pixels are empty",
                           images_name, img.dims[1], img.dims[2]);
    if (img.dims[0] != lab.dims[0])
        return tfg_err_set(err, TFG_EINPUT, "%s has %u images but %s has %u labels; they must "
                           "match one to one",
                           images_name, img.dims[0], labels_name, lab.dims[0]);
    fill_table(&img, &lab, out);
    return TFG_OK;
}

tfg_status tfg_idx_read(const char *images_path, const char *labels_path, tfg_table *out,
                        tfg_err *err)
{
    char *img = NULL, *lab = NULL;
    size_t img_len = 0, lab_len = 0;
    tfg_table_init(out);
    tfg_status s = tfg_read_file(images_path, TFG_READ_MAX_DEFAULT, &img, &img_len, err);
    if (!s)
        s = tfg_read_file(labels_path, TFG_READ_MAX_DEFAULT, &lab, &lab_len, err);
    if (!s)
        s = tfg_idx_parse((const unsigned char *)img, img_len, images_path,
                          (const unsigned char *)lab, lab_len, labels_path, out, err);
    free(img);
    free(lab);
    return s;
}
