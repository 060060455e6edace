/* strmap.h — a small map from strings to indexes (open addressing, linear probing), so a
 * lookup by name costs the same with 10 columns as with 40,000 (issue 22: a lookup
 * that walked every name made 10,000 columns take seconds).
 *
 * The map does not copy its keys: a key must stay valid, unchanged, while it is in the
 * map (the names of a table's columns, a plan's strings). When two entries have the same
 * key, the first one put stays: a lookup finds what a walk from the start would find. */
#ifndef TFG_CORE_STRMAP_H
#define TFG_CORE_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    size_t n, cap;     /* entries; slots (a power of two, or 0) */
    const char **keys; /* per slot; NULL = empty */
    size_t *vals;
} tfg_strmap;

void tfg_strmap_init(tfg_strmap *m);
void tfg_strmap_free(tfg_strmap *m);
/* Forgets every entry (keeps the slots for reuse). */
void tfg_strmap_clear(tfg_strmap *m);
/* Adds key -> val unless key is there already; true when added. */
bool tfg_strmap_put(tfg_strmap *m, const char *key, size_t val);
/* The value of key into *val; false when key is absent. */
bool tfg_strmap_get(const tfg_strmap *m, const char *key, size_t *val);

#endif
