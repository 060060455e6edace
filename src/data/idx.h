/* idx.h — IDX files (the MNIST / Fashion-MNIST format), gzip'd or not, into a table.
 *
 * An images file (magic 0x00000803: unsigned bytes, N x H x W) and its labels file
 * (magic 0x00000801: N unsigned bytes) become one table with H*W numeric columns
 * "px0".."px{H*W-1}" (values 0..255, row-major) followed by the numeric column "label";
 * table.shape = {H, W, 1}. Errors name the file and the byte offset: a wrong magic, a
 * type other than unsigned byte, a header or body shorter than its dimensions say
 * (truncated), trailing bytes, image and label counts that differ. */
#ifndef TFG_DATA_IDX_H
#define TFG_DATA_IDX_H

#include <stddef.h>

#include "core/error.h"
#include "data/table.h"

tfg_status tfg_idx_parse(const unsigned char *images, size_t images_len, const char *images_name,
                         const unsigned char *labels, size_t labels_len, const char *labels_name,
                         tfg_table *out, tfg_err *err);
tfg_status tfg_idx_read(const char *images_path, const char *labels_path, tfg_table *out,
                        tfg_err *err);

#endif
