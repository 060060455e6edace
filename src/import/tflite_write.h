/* tflite_write.h — serializes a tfg_tflite (tflite.h) back into a .tflite FlatBuffer.
 *
 * The exporter half of issue 5: whatever tinyforge reads or builds as a tfg_tflite can be
 * written as a model TensorFlow Lite Micro's interpreter accepts: file identifier "TFL3",
 * schema version 3, operator codes with both the deprecated int8 code field and the int32
 * builtin_code field, every subgraph with its tensors (shape, type, buffer, name,
 * quantization), inputs, outputs and operators (with the builtin options of the supported
 * ops: exactly the fields tflite.c reads), buffers (buffer 0 always empty; constant data
 * 16-byte aligned so TFLM may read int32 bias in place) and the description.
 *
 * What the writer does not know it cannot write: options of unsupported ops, metadata,
 * signatures and sparsity are not in tfg_tflite, so they are left out. The output is a
 * pure function of the model (no time, no addresses), so writing twice gives identical
 * bytes. A model that does not hang together (an operator naming a missing tensor or
 * operator code, buffer data of the wrong size, a stride of 0, ...) is refused with
 * TFG_EINPUT and a message naming the subgraph, operator or tensor index. */
#ifndef TFG_IMPORT_TFLITE_WRITE_H
#define TFG_IMPORT_TFLITE_WRITE_H

#include <stddef.h>

#include "core/error.h"
#include "import/tflite.h"

/* The model as a new byte array of *len bytes (the caller frees *data). The fields of m
 * that are derived (tfg_tfl_op.builtin and .supported, tfg_tfl_tensor.elems and .bytes,
 * tfg_tfl_buffer.offset, tfg_tflite.file) are not trusted: the writer recomputes what it
 * needs, except that an op's builtin must agree with its operator code. On error *data
 * is NULL and *len 0. */
tfg_status tfg_tflite_write(const tfg_tflite *m, void **data, size_t *len, tfg_err *err);

/* tfg_tflite_write then an atomic write to path (readers never see half a file). */
tfg_status tfg_tflite_save(const tfg_tflite *m, const char *path, tfg_err *err);

#endif
