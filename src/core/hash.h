/* hash.h — SHA-256 (OpenSSL's libcrypto) as lowercase hex: the identity of artifacts in
 * stage manifests, of cached LLM requests, and of models in generated code. */
#ifndef TFG_CORE_HASH_H
#define TFG_CORE_HASH_H

#include <stddef.h>

#include "core/error.h"

#define TFG_SHA256_HEX 65 /* 64 hex digits + NUL */

void tfg_sha256_hex(const void *data, size_t len, char out[TFG_SHA256_HEX]);
/* Hashes the file's bytes as stored (a .gz file is hashed compressed). */
tfg_status tfg_sha256_file(const char *path, char out[TFG_SHA256_HEX], tfg_err *err);

#endif
