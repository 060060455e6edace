/* flatbuf.c — the checked FlatBuffers primitives of flatbuf.h.
 *
 * Positions are size_t; every range test is done in uint64_t on (start, length) pairs
 * that are each below 2^33, so a hostile offset can never wrap a sum around. */
#include "import/flatbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

uint16_t tfg_fb_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

uint32_t tfg_fb_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

uint64_t tfg_fb_le64(const uint8_t *p)
{
    return (uint64_t)tfg_fb_le32(p) | ((uint64_t)tfg_fb_le32(p + 4) << 32);
}

void tfg_fb_init(tfg_fb *fb, const uint8_t *buf, size_t len, const char *name)
{
    fb->buf = buf;
    fb->len = len;
    fb->name = name ? name : "model";
}

tfg_status tfg_fb_fail(const tfg_fb *fb, size_t off, tfg_err *err, const char *fmt, ...)
{
    char msg[TFG_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return tfg_err_set(err, TFG_EINPUT, "%s: offset %zu: %s", fb->name, off, msg);
}

/* [pos, pos+n) lies inside the buffer. */
static bool in_range(const tfg_fb *fb, uint64_t pos, uint64_t n)
{
    return pos <= fb->len && n <= (uint64_t)fb->len - pos;
}

/* Follows the u32 offset stored at ref (already range-checked) to its target. */
static tfg_status follow(const tfg_fb *fb, size_t ref, const char *what, size_t *target,
                         tfg_err *err)
{
    uint64_t t = (uint64_t)ref + tfg_fb_le32(fb->buf + ref);
    if (t >= fb->len)
        return tfg_fb_fail(fb, ref, err,
                           "%s points outside the file (to %llu, file is %zu bytes)", what,
                           (unsigned long long)t, fb->len);
    *target = (size_t)t;
    return TFG_OK;
}

tfg_status tfg_fb_root(const tfg_fb *fb, const char *ident, tfg_fb_table *root, tfg_err *err)
{
    memset(root, 0, sizeof *root);
    if (fb->len < 8)
        return tfg_fb_fail(fb, 0, err, "file is %zu bytes, too short for a FlatBuffer header "
                                       "(root offset and identifier, 8 bytes)", fb->len);
    if (ident && memcmp(fb->buf + 4, ident, 4) != 0) {
        char got[17];
        size_t k = 0;
        for (size_t i = 4; i < 8; i++) { /* print unprintable bytes as \xNN */
            unsigned char c = fb->buf[i];
            if (c >= 0x20 && c < 0x7f && c != '\'')
                got[k++] = (char)c;
            else
                k += (size_t)snprintf(got + k, sizeof got - k, "\\x%02x", c);
        }
        got[k] = '\0';
        return tfg_fb_fail(fb, 4, err,
                           "not a TFLite model: file identifier is '%s', expected '%.4s'", got,
                           ident);
    }
    size_t pos;
    tfg_status s = follow(fb, 0, "the root table offset", &pos, err);
    if (s)
        return s;
    return tfg_fb_table_at(fb, pos, "the root table", root, err);
}

tfg_status tfg_fb_table_at(const tfg_fb *fb, size_t pos, const char *what, tfg_fb_table *t,
                           tfg_err *err)
{
    memset(t, 0, sizeof *t);
    if (pos % 4)
        return tfg_fb_fail(fb, pos, err, "%s is not 4-byte aligned", what);
    if (!in_range(fb, pos, 4))
        return tfg_fb_fail(fb, pos, err, "%s runs past the end of the file (file is %zu bytes)",
                           what, fb->len);
    int64_t vt = (int64_t)pos - (int64_t)(int32_t)tfg_fb_le32(fb->buf + pos);
    if (vt < 0 || vt % 2 || !in_range(fb, (uint64_t)vt, 4))
        return tfg_fb_fail(fb, pos, err,
                           "%s has its vtable at %lld, misaligned or outside the file (file is "
                           "%zu bytes)",
                           what, (long long)vt, fb->len);
    size_t vts = tfg_fb_le16(fb->buf + vt), objs = tfg_fb_le16(fb->buf + vt + 2);
    if (vts < 4 || vts % 2 || !in_range(fb, (uint64_t)vt, vts))
        return tfg_fb_fail(fb, (size_t)vt, err,
                           "%s vtable claims %zu bytes, which is odd, under 4 or runs past the "
                           "end of the file (file is %zu bytes)", what, vts, fb->len);
    if (objs < 4 || !in_range(fb, pos, objs))
        return tfg_fb_fail(fb, (size_t)vt, err,
                           "%s claims %zu bytes at %zu, which is under 4 or runs past the end "
                           "of the file (file is %zu bytes)", what, objs, pos, fb->len);
    t->pos = pos;
    t->vt = (size_t)vt;
    t->vt_size = vts;
    t->obj_size = objs;
    return TFG_OK;
}

tfg_status tfg_fb_field(const tfg_fb *fb, const tfg_fb_table *t, unsigned id, size_t size,
                        const char *what, size_t *pos, tfg_err *err)
{
    *pos = 0;
    size_t slot = 4 + 2 * (size_t)id;
    if (slot + 2 > t->vt_size)
        return TFG_OK; /* an older writer: the field did not exist, use the default */
    size_t fo = tfg_fb_le16(fb->buf + t->vt + slot);
    if (fo == 0)
        return TFG_OK;
    if (fo < 4 || fo + size > t->obj_size)
        return tfg_fb_fail(fb, t->vt + slot, err,
                           "%s (field %u) lies outside its table (at +%zu, %zu bytes, table is "
                           "%zu bytes)", what, id, fo, size, t->obj_size);
    if ((t->pos + fo) % size)
        return tfg_fb_fail(fb, t->pos + fo, err, "%s (field %u) is not %zu-byte aligned", what,
                           id, size);
    *pos = t->pos + fo;
    return TFG_OK;
}

tfg_status tfg_fb_get_u8(const tfg_fb *fb, const tfg_fb_table *t, unsigned id, uint8_t def,
                         uint8_t *out, const char *what, tfg_err *err)
{
    size_t p;
    tfg_status s = tfg_fb_field(fb, t, id, 1, what, &p, err);
    *out = (s || !p) ? def : fb->buf[p];
    return s;
}

tfg_status tfg_fb_get_i32(const tfg_fb *fb, const tfg_fb_table *t, unsigned id, int32_t def,
                          int32_t *out, const char *what, tfg_err *err)
{
    size_t p;
    tfg_status s = tfg_fb_field(fb, t, id, 4, what, &p, err);
    *out = (s || !p) ? def : (int32_t)tfg_fb_le32(fb->buf + p);
    return s;
}

tfg_status tfg_fb_get_u32(const tfg_fb *fb, const tfg_fb_table *t, unsigned id, uint32_t def,
                          uint32_t *out, const char *what, tfg_err *err)
{
    size_t p;
    tfg_status s = tfg_fb_field(fb, t, id, 4, what, &p, err);
    *out = (s || !p) ? def : tfg_fb_le32(fb->buf + p);
    return s;
}

tfg_status tfg_fb_get_u64(const tfg_fb *fb, const tfg_fb_table *t, unsigned id, uint64_t def,
                          uint64_t *out, const char *what, tfg_err *err)
{
    size_t p;
    tfg_status s = tfg_fb_field(fb, t, id, 8, what, &p, err);
    *out = (s || !p) ? def : tfg_fb_le64(fb->buf + p);
    return s;
}

tfg_status tfg_fb_get_f32(const tfg_fb *fb, const tfg_fb_table *t, unsigned id, float def,
                          float *out, const char *what, tfg_err *err)
{
    size_t p;
    tfg_status s = tfg_fb_field(fb, t, id, 4, what, &p, err);
    if (s || !p) {
        *out = def;
        return s;
    }
    uint32_t bits = tfg_fb_le32(fb->buf + p);
    memcpy(out, &bits, sizeof *out);
    return TFG_OK;
}

/* The target of reference field id, or 0 in *target when absent. *ref gets where the
 * reference is stored. */
static tfg_status get_ref(const tfg_fb *fb, const tfg_fb_table *t, unsigned id, const char *what,
                          size_t *ref, size_t *target, tfg_err *err)
{
    *target = 0;
    tfg_status s = tfg_fb_field(fb, t, id, 4, what, ref, err);
    if (s || !*ref)
        return s;
    return follow(fb, *ref, what, target, err);
}

tfg_status tfg_fb_get_table(const tfg_fb *fb, const tfg_fb_table *t, unsigned id,
                            const char *what, tfg_fb_table *out, bool *present, tfg_err *err)
{
    size_t ref, pos;
    memset(out, 0, sizeof *out);
    *present = false;
    tfg_status s = get_ref(fb, t, id, what, &ref, &pos, err);
    if (s || !pos)
        return s;
    *present = true;
    return tfg_fb_table_at(fb, pos, what, out, err);
}

/* The vector (or string, extra = 1 for its NUL) whose length word is at pos. */
static tfg_status vec_at(const tfg_fb *fb, size_t ref, size_t pos, size_t elem_size,
                         size_t extra, const char *what, tfg_fb_vec *out, tfg_err *err)
{
    if (pos % 4)
        return tfg_fb_fail(fb, ref, err, "%s vector at %zu is not 4-byte aligned", what, pos);
    if (!in_range(fb, pos, 4))
        return tfg_fb_fail(fb, ref, err,
                           "%s vector length at %zu runs past the end of the file (file is %zu "
                           "bytes)", what, pos, fb->len);
    uint64_t n = tfg_fb_le32(fb->buf + pos);
    if (!in_range(fb, (uint64_t)pos + 4, n * elem_size + extra))
        return tfg_fb_fail(fb, ref, err,
                           "%s vector runs past the end of the file (length %llu at %zu, file "
                           "is %zu bytes)", what, (unsigned long long)n, pos, fb->len);
    out->pos = pos + 4;
    out->n = (size_t)n;
    out->ref = ref;
    return TFG_OK;
}

tfg_status tfg_fb_get_vec(const tfg_fb *fb, const tfg_fb_table *t, unsigned id, size_t elem_size,
                          const char *what, tfg_fb_vec *out, bool *present, tfg_err *err)
{
    size_t ref, pos;
    memset(out, 0, sizeof *out);
    *present = false;
    tfg_status s = get_ref(fb, t, id, what, &ref, &pos, err);
    if (s || !pos)
        return s;
    *present = true;
    return vec_at(fb, ref, pos, elem_size, 0, what, out, err);
}

tfg_status tfg_fb_get_str(const tfg_fb *fb, const tfg_fb_table *t, unsigned id, const char *what,
                          const char **str, size_t *n, bool *present, tfg_err *err)
{
    size_t ref, pos;
    tfg_fb_vec v;
    *str = NULL;
    *n = 0;
    *present = false;
    tfg_status s = get_ref(fb, t, id, what, &ref, &pos, err);
    if (s || !pos)
        return s;
    if ((s = vec_at(fb, ref, pos, 1, 1, what, &v, err)))
        return s;
    if (fb->buf[v.pos + v.n] != 0)
        return tfg_fb_fail(fb, ref, err, "%s string at %zu (length %zu) is not NUL-terminated",
                           what, pos, v.n);
    *present = true;
    *str = (const char *)fb->buf + v.pos;
    *n = v.n;
    return TFG_OK;
}

tfg_status tfg_fb_vec_table(const tfg_fb *fb, const tfg_fb_vec *v, size_t i, const char *what,
                            tfg_fb_table *out, tfg_err *err)
{
    size_t ref = v->pos + 4 * i, pos;
    memset(out, 0, sizeof *out);
    tfg_status s = follow(fb, ref, what, &pos, err);
    if (s)
        return s;
    return tfg_fb_table_at(fb, pos, what, out, err);
}

uint8_t tfg_fb_vec_u8(const tfg_fb *fb, const tfg_fb_vec *v, size_t i)
{
    return fb->buf[v->pos + i];
}

int32_t tfg_fb_vec_i32(const tfg_fb *fb, const tfg_fb_vec *v, size_t i)
{
    return (int32_t)tfg_fb_le32(fb->buf + v->pos + 4 * i);
}

int64_t tfg_fb_vec_i64(const tfg_fb *fb, const tfg_fb_vec *v, size_t i)
{
    return (int64_t)tfg_fb_le64(fb->buf + v->pos + 8 * i);
}

float tfg_fb_vec_f32(const tfg_fb *fb, const tfg_fb_vec *v, size_t i)
{
    uint32_t bits = tfg_fb_le32(fb->buf + v->pos + 4 * i);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}
