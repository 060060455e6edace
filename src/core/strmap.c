/* strmap.c — open addressing over FNV-1a hashes, kept at most half full (strmap.h). */
#include "core/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

static size_t hash(const char *s)
{
    uint64_t h = 14695981039346656037ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return (size_t)(h ^ (h >> 32));
}

void tfg_strmap_init(tfg_strmap *m)
{
    memset(m, 0, sizeof *m);
}

void tfg_strmap_free(tfg_strmap *m)
{
    free(m->keys);
    free(m->vals);
    tfg_strmap_init(m);
}

void tfg_strmap_clear(tfg_strmap *m)
{
    if (m->keys)
        memset(m->keys, 0, m->cap * sizeof *m->keys);
    m->n = 0;
}

/* The slot of key, or of the empty slot where it would go. */
static size_t slot_of(const tfg_strmap *m, const char *key)
{
    size_t i = hash(key) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key))
        i = (i + 1) & (m->cap - 1);
    return i;
}

static void grow(tfg_strmap *m)
{
    tfg_strmap old = *m;
    m->cap = old.cap ? 2 * old.cap : 16;
    m->keys = tfg_xcalloc(m->cap, sizeof *m->keys);
    m->vals = tfg_xcalloc(m->cap, sizeof *m->vals);
    for (size_t i = 0; i < old.cap; i++)
        if (old.keys[i]) {
            size_t j = slot_of(m, old.keys[i]);
            m->keys[j] = old.keys[i];
            m->vals[j] = old.vals[i];
        }
    free(old.keys);
    free(old.vals);
}

bool tfg_strmap_put(tfg_strmap *m, const char *key, size_t val)
{
    if (2 * (m->n + 1) > m->cap)
        grow(m);
    size_t i = slot_of(m, key);
    if (m->keys[i])
        return false;
    m->keys[i] = key;
    m->vals[i] = val;
    m->n++;
    return true;
}

bool tfg_strmap_get(const tfg_strmap *m, const char *key, size_t *val)
{
    if (!m->cap || !key)
        return false;
    size_t i = slot_of(m, key);
    if (!m->keys[i])
        return false;
    if (val)
        *val = m->vals[i];
    return true;
}
