/* device.c — bench/device's measuring program: for each int8 .tflite given, emits C
 * (codegen/emit.h), builds firmware for each emulated board given (target/target.h),
 * runs every input of the model's inputs/ folder on it and prints one line per model
 * and board: instructions per inference (QEMU -icount), flash and arena bytes, and how
 * many outputs equal the reference bytes in outputs/. run.sh puts TFLM's figures
 * beside them. Usage: device BOARD[,BOARD...] MODEL.tflite... */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codegen/emit.h"
#include "core/alloc.h"
#include "core/io.h"
#include "core/json.h"
#include "lower/invoke.h"
#include "import/tflite.h"
#include "spec/spec.h"
#include "target/target.h"

static int8_t *read_bins(const char *dir, const char *sub, size_t bytes, size_t *n)
{
    char *d = tfg_path_join(dir, sub), **names;
    tfg_err err;
    *n = 0;
    if (tfg_list_files(d, ".bin", &names, n, &err)) {
        free(d);
        return NULL;
    }
    int8_t *all = tfg_xcalloc(*n ? *n : 1, bytes);
    for (size_t i = 0; i < *n; i++) {
        char *p = tfg_path_join(d, names[i]), *buf;
        size_t len;
        if (!tfg_read_file(p, 1 << 20, &buf, &len, &err)) {
            memcpy(all + i * bytes, buf, len < bytes ? len : bytes);
            free(buf);
        }
        free(p);
    }
    tfg_strv_free(names);
    free(d);
    return all;
}

/* The board's CPU picks each layer's kernel variant (lower.h tfg_lower_choose); *kernels
 * gets them, one per layer in execution order, comma-separated (the caller frees). */
static int emit(const tfg_tflite *m, const char *core, const char *dir, char **kernels,
                tfg_err *err)
{
    tfg_codegen_out co;
    tfg_codegen_opts o = {.core = core};
    if (tfg_codegen_emit(m, &o, &co, err))
        return 1;
    tfg_buf k;
    tfg_buf_init(&k);
    for (size_t i = 0; i < co.n_layers; i++)
        tfg_buf_printf(&k, "%s%s", i ? "," : "", co.layers[i].variant);
    *kernels = tfg_buf_take(&k);
    char *h = tfg_path_join(dir, "model.h"), *c = tfg_path_join(dir, "model.c");
    int bad = tfg_mkdirs(dir, err) || tfg_write_atomic(h, co.model_h, strlen(co.model_h), err) ||
              tfg_write_atomic(c, co.model_c, strlen(co.model_c), err);
    free(h);
    free(c);
    tfg_codegen_out_free(&co);
    return bad;
}

static int bench_one(const tfg_board *b, const char *model_path, const char *work, tfg_err *err)
{
    tfg_tflite m;
    if (tfg_tflite_read(model_path, &m, err))
        return 1;
    char *mdir = tfg_path_dirname(model_path);
    char *src = tfg_path_join(work, "src"), *out = tfg_path_join(work, b->id);
    tfg_target t = {0};
    tfg_fw_info info = {0};
    tfg_fw_run_result r = {0};
    int8_t *in = NULL, *want = NULL;
    char *kernels = NULL;
    int bad = emit(&m, b->core, src, &kernels, err) || tfg_target_for_board(b, &t, err);
    if (!bad) {
        tfg_fw_build_opts bo = {.target = &t, .model_dir = src, .out_dir = out};
        bad = tfg_fw_build(&bo, &info, err) != TFG_OK;
    }
    size_t n = 0, n_out = 0;
    if (!bad) {
        in = read_bins(mdir, "inputs", info.input_bytes, &n);
        want = read_bins(mdir, "outputs", info.output_bytes, &n_out);
        tfg_fw_run_opts ro = {.target = &t, .elf = info.elf, .link = info.link, .inputs = in,
                              .n = n, .input_bytes = info.input_bytes,
                              .output_bytes = info.output_bytes};
        bad = !in || tfg_fw_run(&ro, &r, err) != TFG_OK;
    }
    if (!bad) {
        size_t same = 0;
        for (size_t i = 0; want && n_out == n && i < n; i++)
            same += memcmp(r.outputs + i * info.output_bytes, want + i * info.output_bytes,
                           info.output_bytes) == 0;
        printf("model=%s board=%s machine=%s n=%zu equal=%zu work=%.0f work_min=%" PRIu64
               " work_max=%" PRIu64 " unit=%s flash=%" PRIu64 " weights=%" PRIu64
               " code=%" PRIu64 " arena=%" PRIu64 " ram=%" PRIu64 " est_ms=%.3f wall_s=%.2f"
               " kernels=%s\n",
               model_path, b->id, t.machine, n, same, r.work_mean, r.work_min, r.work_max,
               r.work_unit, info.flash_used, info.weights_bytes, info.code_bytes,
               info.arena_bytes, info.ram_used, r.est_ms, r.seconds, kernels);
    }
    tfg_fw_run_result_free(&r);
    tfg_fw_info_free(&info);
    tfg_target_free(&t);
    free(kernels);
    free(in);
    free(want);
    free(src);
    free(out);
    free(mdir);
    tfg_tflite_free(&m);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: device BOARD[,BOARD...] MODEL.tflite...\n");
        return 2;
    }
    tfg_boards boards;
    tfg_err err;
    if (tfg_boards_load(tfg_boards_default_path(), &boards, &err)) {
        fprintf(stderr, "device: %s\n", err.msg);
        return 1;
    }
    char tmpl[] = "/tmp/tfg_bench_device_XXXXXX";
    char *work = mkdtemp(tmpl);
    int bad = !work;
    char *list = tfg_xstrdup(argv[1]);
    for (int a = 2; !bad && a < argc; a++) {
        char *copy = tfg_xstrdup(list);
        for (char *s = NULL, *id = strtok_r(copy, ",", &s); id && !bad; id = strtok_r(NULL, ",", &s)) {
            const tfg_board *b = tfg_boards_find(&boards, id);
            if (!b) {
                fprintf(stderr, "device: unknown board %s\n", id);
                bad = 1;
            } else if (bench_one(b, argv[a], work, &err)) {
                fprintf(stderr, "device: %s on %s: %s\n", argv[a], id, err.msg);
                bad = 1;
            }
        }
        free(copy);
    }
    free(list);
    if (work)
        tfg_rmtree(work, &err);
    tfg_boards_free(&boards);
    return bad;
}
