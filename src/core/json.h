/* json.h — JSON through Jansson, with errors that name the file and the field path.
 *
 * Jansson is the one JSON library (README: design notes). This file adds what every
 * stage needs on top of it: loading with "file:line:col" errors, typed field readers
 * that fail with "file: path.to.field: expected ...", a check that an object has no
 * unknown keys (with the closest known key suggested), atomic writing, and the
 * canonical form used for hashing. */
#ifndef TFG_CORE_JSON_H
#define TFG_CORE_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

/* Where an object sits: the file it came from and its field path ("" for the root). */
typedef struct {
    const char *file;
    const char *path;
} tfg_jctx;

tfg_status tfg_json_load_file(const char *path, json_t **out, tfg_err *err);
/* name is used in error messages only. */
tfg_status tfg_json_load_buf(const char *buf, size_t len, const char *name, json_t **out,
                             tfg_err *err);

/* Writes pretty JSON (2-space indent, keys in insertion order, a final newline)
 * atomically. Reals print with up to 9 significant digits: enough to round-trip a
 * float32, which is what the device uses. */
tfg_status tfg_json_write_file(const char *path, const json_t *j, tfg_err *err);
/* rows x cols counts (row-major) as an array of arrays of integers, e.g. a confusion
 * matrix. */
json_t *tfg_json_matrix_u32(const uint32_t *m, size_t rows, size_t cols);
/* Pretty text as above; the caller frees. */
char *tfg_json_pretty(const json_t *j);
/* Compact text with sorted keys and full precision: equal values give equal bytes. */
char *tfg_json_canonical(const json_t *j);

/* "parent.key" (or "key" at the root) into dst. */
void tfg_jpath_key(char *dst, size_t n, const char *parent, const char *key);
/* "parent[index]" into dst. */
void tfg_jpath_index(char *dst, size_t n, const char *parent, size_t index);

/* Typed readers of obj[key]. A missing optional field returns TFG_OK and leaves *out as
 * it was (so set the default first); a missing required one, a wrong type or a value
 * out of [min,max] is TFG_EINPUT with the field's path. */
tfg_status tfg_jget_str(const json_t *obj, const char *key, bool required, const char **out,
                        const tfg_jctx *c, tfg_err *err);
tfg_status tfg_jget_int(const json_t *obj, const char *key, bool required, int64_t min,
                        int64_t max, int64_t *out, const tfg_jctx *c, tfg_err *err);
tfg_status tfg_jget_num(const json_t *obj, const char *key, bool required, double min,
                        double max, double *out, const tfg_jctx *c, tfg_err *err);
tfg_status tfg_jget_bool(const json_t *obj, const char *key, bool required, bool *out,
                         const tfg_jctx *c, tfg_err *err);
/* An array of strings (a single string is accepted as an array of one). *out is a new
 * NULL-terminated array of new strings; free with tfg_strv_free. */
tfg_status tfg_jget_strv(const json_t *obj, const char *key, bool required, char ***out,
                         size_t *n, const tfg_jctx *c, tfg_err *err);
/* Fails if obj has a key not in allowed (NULL-terminated), suggesting the nearest. */
tfg_status tfg_jcheck_keys(const json_t *obj, const char *const *allowed, const tfg_jctx *c,
                           tfg_err *err);
/* Fails unless obj[key] is one of the NULL-terminated choices; *index gets its position. */
tfg_status tfg_jget_enum(const json_t *obj, const char *key, bool required,
                         const char *const *choices, int *index, const tfg_jctx *c,
                         tfg_err *err);

void tfg_strv_free(char **v);

/* A short name of a JSON value's type ("string", "number", ...), for messages. */
const char *tfg_json_type_name(const json_t *j);

#endif
