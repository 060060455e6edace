/* hash.c — SHA-256 through OpenSSL's EVP interface. */
#include "core/hash.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/io.h"

static void to_hex(const unsigned char *md, char out[TFG_SHA256_HEX])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[64] = '\0';
}

void tfg_sha256_hex(const void *data, size_t len, char out[TFG_SHA256_HEX])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    to_hex(md, out);
}

tfg_status tfg_sha256_file(const char *path, char out[TFG_SHA256_HEX], tfg_err *err)
{
    int fd;
    tfg_status st = tfg_open_regular(path, &fd, err);
    if (st)
        return st;
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return tfg_err_set(err, TFG_EIO, "%s: cannot open: %s", path, strerror(errno));
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        EVP_DigestUpdate(ctx, buf, n);
    int bad = ferror(f);
    fclose(f);
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    if (bad)
        return tfg_err_set(err, TFG_EIO, "%s: read error", path);
    to_hex(md, out);
    return TFG_OK;
}
