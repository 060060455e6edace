/* harness.c — a host main around generated model code, for test_codegen.c.
 *
 * test_codegen compiles this file with a generated model.c and the runtime/ sources using the
 * strict C99 flags the firmware gets, then runs it:
 *   harness IN OUT [IN OUT ...]      raw int8 input file -> raw int8 output file
 *   harness -f IN OUT [IN OUT ...]   the same input dequantized with the model's input
 *                                    scale, through the float wrapper, raw float32 out
 * Exit status 0 when every run succeeded, else 1 (with a message on stderr). */
#include <stdio.h>
#include <string.h>

#include "model.h"

static int read_input(const char *path, int8_t *buf)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    int extra;
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return 1;
    }
    n = fread(buf, 1, TFG_MODEL_INPUT_BYTES, f);
    extra = fgetc(f);
    fclose(f);
    if (n != TFG_MODEL_INPUT_BYTES || extra != EOF) {
        fprintf(stderr, "%s: expected exactly %d bytes\n", path, (int)TFG_MODEL_INPUT_BYTES);
        return 1;
    }
    return 0;
}

static int write_output(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    int bad;
    if (!f) {
        fprintf(stderr, "cannot create %s\n", path);
        return 1;
    }
    bad = fwrite(data, 1, n, f) != n;
    bad |= fclose(f) != 0;
    if (bad)
        fprintf(stderr, "cannot write %s\n", path);
    return bad;
}

static int run_one(int use_float, const char *in_path, const char *out_path)
{
    static int8_t in[TFG_MODEL_INPUT_BYTES], out[TFG_MODEL_OUTPUT_BYTES];
    static float fin[TFG_MODEL_INPUT_BYTES], fout[TFG_MODEL_OUTPUT_BYTES];
    int rc, i;
    if (read_input(in_path, in))
        return 1;
    if (!use_float) {
        rc = tfg_model_invoke(in, out);
        if (rc) {
            fprintf(stderr, "%s: invoke returned %d\n", in_path, rc);
            return 1;
        }
        return write_output(out_path, out, sizeof out);
    }
    for (i = 0; i < TFG_MODEL_INPUT_BYTES; i++)
        fin[i] = TFG_MODEL_INPUT_SCALE * (float)(in[i] - TFG_MODEL_INPUT_ZERO_POINT);
    rc = tfg_model_invoke_f32(fin, fout);
    if (rc) {
        fprintf(stderr, "%s: invoke_f32 returned %d\n", in_path, rc);
        return 1;
    }
    return write_output(out_path, fout, sizeof fout);
}

int main(int argc, char **argv)
{
    int i = 1, use_float = 0, bad = 0;
    if (argc > 1 && strcmp(argv[1], "-f") == 0) {
        use_float = 1;
        i = 2;
    }
    if ((argc - i) % 2 != 0) {
        fprintf(stderr, "usage: harness [-f] IN OUT [IN OUT ...]\n");
        return 2;
    }
    for (; i + 1 < argc; i += 2)
        bad |= run_one(use_float, argv[i], argv[i + 1]);
    return bad;
}
