/* flatbuf.h — bounds-checked reading of a FlatBuffers binary (the container of .tflite).
 *
 * No C FlatBuffers library is packaged, and a model file is untrusted input, so the
 * importer reads the format itself through these few primitives. Every read checks its
 * offset and length against the buffer (with 64-bit arithmetic, so no wrap-around),
 * the alignment the format promises, and the vtable's and object's declared sizes; a
 * violation is a TFG_EINPUT error "name: offset N: <what> ..." naming the byte offset
 * where the bad reference sits. The reader is driven by a fixed schema (tflite.c), so
 * nothing here recurses: depth is bounded by the schema, not by the file.
 *
 * Format facts used: the buffer starts with a u32 offset to the root table (and, for
 * files with an identifier, 4 bytes of identifier at 4..7). A table starts with an s32
 * whose subtraction from the table's position gives its vtable; the vtable is u16 vtable
 * size, u16 object size, then one u16 per field: the field's offset inside the table,
 * 0 (or a slot past the vtable's end) meaning "absent: use the default". References
 * (tables, vectors, strings) are u32 offsets relative to where they are stored. A vector
 * is a u32 count then the elements; a string is a u32 length, the bytes and a NUL.
 * All scalars are little-endian. */
#ifndef TFG_IMPORT_FLATBUF_H
#define TFG_IMPORT_FLATBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct {
    const uint8_t *buf;
    size_t len;
    const char *name; /* file name for messages */
} tfg_fb;

typedef struct {
    size_t pos;      /* where the table starts (its soffset to the vtable) */
    size_t vt;       /* where its vtable starts */
    size_t vt_size;  /* bytes of vtable */
    size_t obj_size; /* bytes of table, soffset included */
} tfg_fb_table;

typedef struct {
    size_t pos; /* first element */
    size_t n;   /* element count */
    size_t ref; /* where the offset that led here is stored (for messages) */
} tfg_fb_vec;

void tfg_fb_init(tfg_fb *fb, const uint8_t *buf, size_t len, const char *name);

/* Sets err to "name: offset off: <message>" and returns TFG_EINPUT. */
tfg_status tfg_fb_fail(const tfg_fb *fb, size_t off, tfg_err *err, const char *fmt, ...)
    TFG_PRINTF(4, 5);

/* The root table; ident (4 chars) must match bytes 4..7 unless NULL. */
tfg_status tfg_fb_root(const tfg_fb *fb, const char *ident, tfg_fb_table *root, tfg_err *err);

/* A table starting at pos, its vtable checked. what names it in messages. */
tfg_status tfg_fb_table_at(const tfg_fb *fb, size_t pos, const char *what, tfg_fb_table *t,
                           tfg_err *err);

/* Position of scalar field id of size bytes, or 0 when absent. Checks that it lies
 * inside the table and is aligned. */
tfg_status tfg_fb_field(const tfg_fb *fb, const tfg_fb_table *t, unsigned id, size_t size,
                        const char *what, size_t *pos, tfg_err *err);

/* Scalar fields: *out = def when absent. */
tfg_status tfg_fb_get_u8(const tfg_fb *fb, const tfg_fb_table *t, unsigned id, uint8_t def,
                         uint8_t *out, const char *what, tfg_err *err);
tfg_status tfg_fb_get_i32(const tfg_fb *fb, const tfg_fb_table *t, unsigned id, int32_t def,
                          int32_t *out, const char *what, tfg_err *err);
tfg_status tfg_fb_get_u32(const tfg_fb *fb, const tfg_fb_table *t, unsigned id, uint32_t def,
                          uint32_t *out, const char *what, tfg_err *err);
tfg_status tfg_fb_get_u64(const tfg_fb *fb, const tfg_fb_table *t, unsigned id, uint64_t def,
                          uint64_t *out, const char *what, tfg_err *err);
tfg_status tfg_fb_get_f32(const tfg_fb *fb, const tfg_fb_table *t, unsigned id, float def,
                          float *out, const char *what, tfg_err *err);

/* Reference fields. When absent, *present is false and the output is zeroed. */
tfg_status tfg_fb_get_table(const tfg_fb *fb, const tfg_fb_table *t, unsigned id,
                            const char *what, tfg_fb_table *out, bool *present, tfg_err *err);
/* A vector of elem_size-byte elements (4 for tables/strings: their offsets). */
tfg_status tfg_fb_get_vec(const tfg_fb *fb, const tfg_fb_table *t, unsigned id, size_t elem_size,
                          const char *what, tfg_fb_vec *out, bool *present, tfg_err *err);
/* A string: *s points into the buffer (NUL-terminated there), *n its length. */
tfg_status tfg_fb_get_str(const tfg_fb *fb, const tfg_fb_table *t, unsigned id, const char *what,
                          const char **s, size_t *n, bool *present, tfg_err *err);

/* Element i (< v->n) of a vector of tables. */
tfg_status tfg_fb_vec_table(const tfg_fb *fb, const tfg_fb_vec *v, size_t i, const char *what,
                            tfg_fb_table *out, tfg_err *err);

/* Elements of a vector checked by tfg_fb_get_vec with the matching elem_size; i < v->n. */
uint8_t tfg_fb_vec_u8(const tfg_fb *fb, const tfg_fb_vec *v, size_t i);
int32_t tfg_fb_vec_i32(const tfg_fb *fb, const tfg_fb_vec *v, size_t i);
int64_t tfg_fb_vec_i64(const tfg_fb *fb, const tfg_fb_vec *v, size_t i);
float tfg_fb_vec_f32(const tfg_fb *fb, const tfg_fb_vec *v, size_t i);

/* Little-endian loads at p (no checks: callers check first). */
uint16_t tfg_fb_le16(const uint8_t *p);
uint32_t tfg_fb_le32(const uint8_t *p);
uint64_t tfg_fb_le64(const uint8_t *p);

#endif
