/* splitfile.h — the cleaned splits on disk: <out>/data/{train,val,test}.bin.
 *
 * Little-endian, a 64-byte header, then the rows:
 *   off  0  char[8]  magic "TFGSPLIT"
 *   off  8  u32      version (1)
 *   off 12  u32      rows
 *   off 16  u32      features per row (the product of shape)
 *   off 20  u32      rank of the model input shape (1..3)
 *   off 24  u32[3]   shape (unused dims 0), e.g. {3,0,0} or {28,28,1}
 *   off 36  u32      label kind: 0 none, 1 class index (int32), 2 target value (float32)
 *   off 40  u32      number of classes (label kind 1), else 0
 *   off 44  u32      header bytes (64)
 *   off 48  16 bytes zero
 *   off 64  float32  x[rows][features]
 *   then    int32 or float32 y[rows] (absent for label kind 0)
 * The reader checks every field and the file size against them. */
#ifndef TFG_DATA_SPLITFILE_H
#define TFG_DATA_SPLITFILE_H

#include <stdint.h>

#include "core/error.h"

enum { TFG_LABEL_NONE = 0, TFG_LABEL_CLASS = 1, TFG_LABEL_VALUE = 2 };

typedef struct {
    uint32_t rows, features, rank, shape[3];
    uint32_t label_kind, n_classes;
    float *x;        /* rows * features */
    int32_t *y_class; /* label kind 1 */
    float *y_value;   /* label kind 2 */
} tfg_split;

tfg_status tfg_split_write(const char *path, const tfg_split *s, tfg_err *err); /* atomic */
tfg_status tfg_split_read(const char *path, tfg_split *s, tfg_err *err);
/* Raw readings (data/test_raw.bin): the same layout, but a feature may be NaN, a
 * missing value a device's preprocessing will impute. */
tfg_status tfg_split_write_raw(const char *path, const tfg_split *s, tfg_err *err);
tfg_status tfg_split_read_raw(const char *path, tfg_split *s, tfg_err *err);
void tfg_split_free(tfg_split *s);

#endif
