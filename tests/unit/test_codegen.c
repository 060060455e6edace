/* test_codegen.c — the C99 code generator (codegen/emit.c) end to end.
 *
 * Generated code is only right if it compiles as firmware would and computes TFLM's
 * bytes. So each case emits model.h/model.c into a temp dir, compiles them with
 * the runtime/ sources and tests/codegen/harness.c by gcc AND clang under
 * -std=c99 -Wall -Wextra -Werror -pedantic (core/proc.h, with a timeout), runs the
 * program on every input and requires its output bytes to equal both the reference
 * outputs (outputs/NNN.bin of the MLPerf Tiny models in the shared folder,
 * shared_models.h; skipped, exit 77, when absent) and the in-process interpreter. A tiny model built by tflite_builder.h is the
 * fast case that always runs; it also checks the float wrapper, the header's facts and
 * the refusals. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "codegen/emit.h"
#include "core/alloc.h"
#include "core/hash.h"
#include "core/io.h"
#include "core/proc.h"
#include "core/rng.h"
#include "lower/invoke.h"
#include "lower/lower.h"
#include "import/tflite.h"
#include "shared_models.h"
#include "tflite_builder.h"

static const char *src_dir(void)
{
    const char *s = getenv("TFG_SRC");
    return s ? s : TFG_SOURCE_DIR;
}

static char *read_all(const char *path, size_t *len)
{
    char *buf = NULL;
    tfg_err err;
    if (tfg_read_file(path, 1 << 24, &buf, len, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return NULL;
    }
    return buf;
}

static bool write_str(const char *dir, const char *name, const char *text)
{
    char *p = tfg_path_join(dir, name);
    tfg_err err;
    tfg_status st = tfg_write_atomic(p, text, strlen(text), &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    free(p);
    return st == TFG_OK;
}

/* Emits m into dir with the kernels chosen for core (NULL: the reference); fills *out
 * (caller frees). */
static bool emit_into(const tfg_tflite *m, const char *dir, const char *core,
                      tfg_codegen_out *out)
{
    tfg_err err;
    tfg_codegen_opts o = {.core = core};
    tfg_status st = tfg_codegen_emit(m, &o, out, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (st)
        return false;
    return write_str(dir, "model.h", out->model_h) && write_str(dir, "model.c", out->model_c);
}

/* Compiles dir/model.c + runtime + harness with cc into dir/prog_<cc>; true when it built
 * without a diagnostic. */
static bool compile_with(const char *cc, const char *dir, char **prog)
{
    char *rt = tfg_path_join(src_dir(), "runtime");
    char **names;
    size_t n;
    tfg_err err;
    if (tfg_list_files(rt, ".c", &names, &n, &err)) {
        CHECK_MSG(0, "%s", err.msg);
        free(rt);
        return false;
    }
    *prog = tfg_xasprintf("%s/prog_%s", dir, cc);
    const char **argv = tfg_xcalloc(n + 20, sizeof *argv);
    char **owned = tfg_xcalloc(n + 4, sizeof *owned);
    size_t a = 0, o = 0;
    const char *flags[] = {"-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1"};
    argv[a++] = cc;
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        argv[a++] = flags[i];
    argv[a++] = owned[o++] = tfg_xasprintf("-I%s", dir);
    argv[a++] = owned[o++] = tfg_xasprintf("-I%s", rt);
    argv[a++] = owned[o++] = tfg_path_join(dir, "model.c");
    for (size_t i = 0; i < n; i++)
        argv[a++] = owned[o++] = tfg_path_join(rt, names[i]);
    argv[a++] = owned[o++] = tfg_xasprintf("%s/tests/codegen/harness.c", src_dir());
    argv[a++] = "-o";
    argv[a++] = *prog;
    argv[a++] = "-lm";
    argv[a] = NULL;
    tfg_proc_opts po = {.argv = argv, .timeout_s = 240};
    tfg_proc_result pr = {0};
    tfg_status st = tfg_proc_run(&po, &pr, &err);
    bool ok = st == TFG_OK && pr.exited && pr.exit_code == 0 && pr.err_len == 0;
    CHECK_MSG(ok, "%s failed (%s): %s", cc, st ? err.msg : "ran", pr.errout ? pr.errout : "");
    tfg_proc_result_free(&pr);
    for (size_t i = 0; i < o; i++)
        free(owned[i]);
    free(owned);
    free(argv);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(rt);
    return ok;
}

/* Runs prog [-f] in1 out1 in2 out2 ...; true when it exited 0. */
static bool run_prog(const char *prog, bool use_float, char **ins, char **outs, size_t n)
{
    const char **argv = tfg_xcalloc(2 * n + 3, sizeof *argv);
    size_t a = 0;
    argv[a++] = prog;
    if (use_float)
        argv[a++] = "-f";
    for (size_t i = 0; i < n; i++) {
        argv[a++] = ins[i];
        argv[a++] = outs[i];
    }
    tfg_proc_opts po = {.argv = argv, .timeout_s = 120};
    tfg_proc_result pr = {0};
    tfg_err err;
    tfg_status st = tfg_proc_run(&po, &pr, &err);
    bool ok = st == TFG_OK && pr.exited && pr.exit_code == 0;
    CHECK_MSG(ok, "%s failed (%s): %s", prog, st ? err.msg : "ran", pr.errout ? pr.errout : "");
    tfg_proc_result_free(&pr);
    free(argv);
    return ok;
}

/* Number of bytes of file path that differ from want[0..n). */
static size_t diff_file(const char *path, const void *want, size_t n)
{
    size_t len;
    char *got = read_all(path, &len);
    if (!got)
        return n ? n : 1;
    size_t d = len == n ? 0 : (len > n ? len : n);
    for (size_t i = 0; i < n && i < len; i++)
        d += got[i] != ((const char *)want)[i];
    free(got);
    return d;
}

/* Every layer says its kernel: the reference for the host and a core without the DSP
 * extension; on one with it, when all_dsp, every conv, depthwise and fully connected
 * layer has a DSP variant (KWS and AD: their multipliers and sums fit, their filters
 * are 3x3 depthwise or any conv; the tiny model's random bias may not fit); the call in
 * model.c is the layer's kernel. */
static void check_variants(const tfg_codegen_out *co, const char *core, bool all_dsp)
{
    bool dsp = tfg_lower_core_has_dsp(core);
    CHECK(co->n_layers > 0);
    for (size_t i = 0; i < co->n_layers; i++) {
        const tfg_codegen_layer *y = &co->layers[i];
        bool mac = !strcmp(y->type, "CONV_2D") || !strcmp(y->type, "DEPTHWISE_CONV_2D") ||
                   !strcmp(y->type, "FULLY_CONNECTED");
        CHECK_MSG(y->variant && y->kernel, "layer %zu has no variant", i);
        if (!y->variant || !y->kernel)
            continue;
        if (dsp && mac && all_dsp)
            CHECK_MSG(!strncmp(y->variant, "dsp_", 4), "%s: operators[%zu] %s: %s", core,
                      y->op, y->type, y->variant);
        else if (dsp && mac)
            CHECK_MSG(!strncmp(y->variant, "dsp_", 4) || !strcmp(y->variant, "reference"),
                      "%s: operators[%zu] %s: %s", core, y->op, y->type, y->variant);
        else
            CHECK_MSG(!strcmp(y->variant, "reference"), "%s: operators[%zu] %s: %s",
                      core ? core : "host", y->op, y->type, y->variant);
        char *call = tfg_xasprintf("%s(", y->kernel);
        CHECK_HAS(co->model_c, call);
        free(call);
    }
}

/* The whole round: emit for core, compile with gcc and clang, run every input in ins,
 * and compare with the interpreter and (when refs is not NULL) the reference files. */
static void check_generated(const tfg_tflite *m, const char *core, char **ins, char **refs,
                            size_t n)
{
    bool all_dsp = refs != NULL; /* the reference models */
    char tmpl[] = "/tmp/tfg_codegen_XXXXXX";
    char *dir = mkdtemp(tmpl);
    CHECK(dir != NULL);
    if (!dir)
        return;
    tfg_codegen_out co;
    tfg_tflite_runner *r = NULL;
    tfg_err err;
    tfg_status st = tfg_tflite_runner_new(m, &r, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (!st && emit_into(m, dir, core, &co)) {
        check_variants(&co, core, all_dsp);
        char **outs = tfg_xcalloc(n, sizeof *outs);
        for (size_t i = 0; i < n; i++)
            outs[i] = tfg_xasprintf("%s/out%03zu.bin", dir, i);
        const char *ccs[] = {"gcc", "clang"};
        for (size_t c = 0; c < 2; c++) {
            char *prog = NULL;
            if (!compile_with(ccs[c], dir, &prog) || !run_prog(prog, false, ins, outs, n)) {
                free(prog);
                continue;
            }
            size_t bad_ref = 0, bad_interp = 0;
            int8_t *want = tfg_xmalloc(co.output_bytes);
            for (size_t i = 0; i < n; i++) {
                size_t len;
                char *in = read_all(ins[i], &len);
                if (in && len == co.input_bytes &&
                    !tfg_tflite_runner_invoke(r, in, len, want, co.output_bytes, &err))
                    bad_interp += diff_file(outs[i], want, co.output_bytes) != 0;
                else
                    bad_interp++;
                free(in);
                if (refs) {
                    char *ref = read_all(refs[i], &len);
                    bad_ref += !ref || len != co.output_bytes ||
                               diff_file(outs[i], ref, len) != 0;
                    free(ref);
                }
            }
            CHECK_MSG(bad_interp == 0, "%s: %zu of %zu outputs differ from the interpreter",
                      ccs[c], bad_interp, n);
            CHECK_MSG(bad_ref == 0, "%s: %zu of %zu outputs differ from the reference",
                      ccs[c], bad_ref, n);
            free(want);
            free(prog);
        }
        for (size_t i = 0; i < n; i++)
            free(outs[i]);
        free(outs);
        tfg_codegen_out_free(&co);
    }
    tfg_tflite_runner_free(r);
    tfg_err e2;
    tfg_rmtree(dir, &e2);
}

/* ---- the reference models ---------------------------------------------------------- */

static void check_reference_model(const char *folder, const char *file)
{
    char *base = tfg_test_shared_model(folder);
    if (!base)
        return;
    char *path = tfg_xasprintf("%s/%s", base, file);
    tfg_tflite m;
    tfg_err err;
    tfg_status st = tfg_tflite_read(path, &m, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    char *in_dir = tfg_path_join(base, "inputs");
    char **names = NULL;
    size_t n = 0;
    if (!st && !tfg_list_files(in_dir, ".bin", &names, &n, &err)) {
        CHECK(n > 0);
        char **ins = tfg_xcalloc(n + 1, sizeof *ins), **refs = tfg_xcalloc(n + 1, sizeof *refs);
        for (size_t i = 0; i < n; i++) {
            ins[i] = tfg_xasprintf("%s/inputs/%s", base, names[i]);
            refs[i] = tfg_xasprintf("%s/outputs/%s", base, names[i]);
        }
        check_generated(&m, NULL, ins, refs, n);
        check_generated(&m, "cortex-m4f", ins, refs, n);
        for (size_t i = 0; i < n; i++) {
            free(ins[i]);
            free(refs[i]);
            free(names[i]);
        }
        free(ins);
        free(refs);
        free(names);
    }
    if (!st)
        tfg_tflite_free(&m);
    free(in_dir);
    free(base);
    free(path);
}

static void test_kws(void)
{
    check_reference_model("kws", "kws_ref_model.tflite");
}

static void test_ad(void)
{
    check_reference_model("ad", "ad01_int8.tflite");
}

/* ---- a tiny built model ------------------------------------------------------------ */

static bool parse_built(const tb_model *bm, tfg_tflite *m)
{
    size_t len;
    uint8_t *bytes = tb_write_model(bm, &len);
    tfg_err err;
    tfg_status st = tfg_tflite_parse(bytes, len, "tiny.tflite", m, &err);
    free(bytes);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    return st == TFG_OK;
}

/* Random inputs into files of dir; returns their paths. */
static char **random_inputs(const char *dir, size_t n, size_t bytes)
{
    tfg_rng rng;
    tfg_rng_seed(&rng, 42);
    char **ins = tfg_xcalloc(n, sizeof *ins);
    uint8_t *buf = tfg_xmalloc(bytes);
    tfg_err err;
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < bytes; k++)
            buf[k] = (uint8_t)tfg_rng_below(&rng, 256);
        ins[i] = tfg_xasprintf("%s/in%03zu.bin", dir, i);
        CHECK(tfg_write_atomic(ins[i], buf, bytes, &err) == TFG_OK);
    }
    free(buf);
    return ins;
}

/* The round (check_generated) for a built model on n random inputs of in_bytes, for
 * each of the cores (NULL: the host's reference kernels). */
static void check_built(const tb_model *bm, size_t n, size_t in_bytes,
                        const char *const *cores, size_t n_cores)
{
    tfg_tflite m;
    if (!parse_built(bm, &m))
        return;
    char tmpl[] = "/tmp/tfg_codegen_in_XXXXXX";
    char *dir = mkdtemp(tmpl);
    CHECK(dir != NULL);
    if (dir) {
        char **ins = random_inputs(dir, n, in_bytes);
        for (size_t c = 0; c < n_cores; c++)
            check_generated(&m, cores[c], ins, NULL, n);
        for (size_t i = 0; i < n; i++)
            free(ins[i]);
        free(ins);
        tfg_err err;
        tfg_rmtree(dir, &err);
    }
    tfg_tflite_free(&m);
}

static void test_tiny(void)
{
    static const char *const cores[] = {NULL, "cortex-m4f", "cortex-m0plus"};
    tb_model bm;
    tb_fc_softmax_model(&bm, 1);
    check_built(&bm, 8, 4, cores, 3);
}

/* A depthwise convolution with a bias: the emitted call must pass the bias (the
 * interpreter's bytes differ without it, tb_depthwise_bias_model). */
static void test_depthwise_bias(void)
{
    static const char *const cores[] = {NULL, "cortex-m4f"};
    tb_model bm;
    tb_depthwise_bias_model(&bm);
    check_built(&bm, 4, 18, cores, 2);
}

/* Symbols come from the tensor names, made into valid, unique C identifiers; the code
 * still compiles with -Werror and gives the interpreter's bytes. */
static void test_names(void)
{
    tb_model bm;
    tfg_tflite m;
    tb_fc_softmax_model(&bm, 1);
    bm.tensors[0].name = "";                /* no name: tensor_0 */
    bm.tensors[1].name = "2nd/weights:0";   /* punctuation, a leading digit */
    bm.tensors[2].name = "int_t3_bias";     /* a bias: not named after its tensor */
    bm.tensors[3].name = "int";             /* a C keyword */
    bm.tensors[4].name = "2nd weights_0;x"; /* the same identifier as tensor 1 */
    if (!parse_built(&bm, &m))
        return;
    tfg_codegen_out co;
    tfg_err err;
    CHECK_INT(tfg_codegen_emit(&m, NULL, &co, &err), TFG_OK);
    if (co.model_c) {
        CHECK_HAS(co.model_c, "    tensor_0_offset = ");
        CHECK_HAS(co.model_c, "static const int8_t t_2nd_weights_0[12]");
        CHECK_HAS(co.model_c, "static const int32_t int_t3_bias[3]");
        CHECK_HAS(co.model_c, "static const tfg_rt_fc_params int_t3_params");
        CHECK_HAS(co.model_c, "    t_2nd_weights_0_t4_offset = ");
        CHECK_HAS(co.model_c, "memcpy(out, arena.bytes + t_2nd_weights_0_t4_offset, ");
        for (const char *l = co.model_c; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : "")
            CHECK_MSG(strcspn(l, "\n") <= 95, "a line over 95 columns: %.100s", l);
    }
    tfg_codegen_out_free(&co);
    char tmpl[] = "/tmp/tfg_codegen_nm_XXXXXX";
    char *dir = mkdtemp(tmpl);
    CHECK(dir != NULL);
    if (dir) {
        char **ins = random_inputs(dir, 4, 4);
        check_generated(&m, NULL, ins, NULL, 4);
        for (size_t i = 0; i < 4; i++)
            free(ins[i]);
        free(ins);
        tfg_rmtree(dir, &err);
    }
    tfg_tflite_free(&m);
}

/* The header states the model's facts; the float wrapper dequantizes what invoke gives. */
static void test_header_and_float(void)
{
    tb_model bm;
    tfg_tflite m;
    tb_fc_softmax_model(&bm, 1);
    if (!parse_built(&bm, &m))
        return;
    tfg_codegen_out co;
    tfg_err err;
    tfg_codegen_opts o = {.prefix = "net", .header_name = "net.h"};
    CHECK_INT(tfg_codegen_emit(&m, &o, &co, &err), TFG_OK);
    if (co.model_h) {
        char sha[TFG_SHA256_HEX];
        tfg_sha256_hex(m.file, m.file_len, sha);
        CHECK_HAS(co.model_h, sha);
        CHECK_HAS(co.model_h, " * model:  tiny.tflite\n");
        CHECK_HAS(co.model_h, "tinyforge " TFG_VERSION);
        CHECK_HAS(co.model_h, "#define NET_INPUT_BYTES 4\n");
        CHECK_HAS(co.model_h, "#define NET_OUTPUT_BYTES 3\n");
        CHECK_HAS(co.model_h, "#define NET_OUTPUT_ZERO_POINT -128\n");
        CHECK_HAS(co.model_h, "int net_invoke(const int8_t *in, int8_t *out);");
        CHECK_HAS(co.model_h, "int net_invoke_f32(const float *in, float *out);");
        CHECK_HAS(co.model_c, "#include \"net.h\"");
        CHECK_HAS(co.model_c, "static const int32_t y_bias[3]");
        CHECK_HAS(co.model_c, "static const int8_t w[12]");
        CHECK_HAS(co.model_c, "    y_offset = ");
        CHECK(strstr(co.model_c, "malloc") == NULL);
        /* weights 12 + bias 12 + multiplier/shift 8 at least */
        CHECK(co.flash_bytes >= 32);
        CHECK(co.arena_bytes >= 4 && co.arena_bytes <= 64);
        char *arena = tfg_xasprintf("#define NET_ARENA_BYTES %zu\n", co.arena_bytes);
        CHECK_HAS(co.model_h, arena);
        free(arena);
    }
    tfg_codegen_out_free(&co);

    /* the float wrapper, compiled and run */
    char tmpl[] = "/tmp/tfg_codegen_f_XXXXXX";
    char *dir = mkdtemp(tmpl);
    CHECK(dir != NULL);
    tfg_tflite_runner *r = NULL;
    if (dir && emit_into(&m, dir, NULL, &co) && !tfg_tflite_runner_new(&m, &r, &err)) {
        char **ins = random_inputs(dir, 3, 4);
        char *outs[3];
        for (size_t i = 0; i < 3; i++)
            outs[i] = tfg_xasprintf("%s/f%zu.bin", dir, i);
        char *prog = NULL;
        if (compile_with("gcc", dir, &prog) && run_prog(prog, true, ins, outs, 3)) {
            for (size_t i = 0; i < 3; i++) {
                size_t len, flen;
                char *in = read_all(ins[i], &len);
                int8_t q[3];
                CHECK(in && !tfg_tflite_runner_invoke(r, in, 4, q, 3, &err));
                float *f = (float *)(void *)read_all(outs[i], &flen);
                CHECK_INT(flen, 3 * sizeof(float));
                for (size_t k = 0; f && flen == 12 && k < 3; k++)
                    CHECK_NEAR(f[k], (q[k] + 128) / 256.0, 1e-6);
                free(f);
                free(in);
            }
        }
        free(prog);
        for (size_t i = 0; i < 3; i++) {
            free(ins[i]);
            free(outs[i]);
        }
        free(ins);
        tfg_codegen_out_free(&co);
    }
    tfg_tflite_runner_free(r);
    if (dir)
        tfg_rmtree(dir, &err);
    tfg_tflite_free(&m);
}

static void test_refusals(void)
{
    tb_model bm;
    tfg_tflite m;
    tb_fc_softmax_model(&bm, 1);
    if (!parse_built(&bm, &m))
        return;
    tfg_codegen_out co;
    tfg_err err;
    tfg_codegen_opts o = {.prefix = "9lives"};
    CHECK_INT(tfg_codegen_emit(&m, &o, &co, &err), TFG_EUSAGE);
    CHECK_HAS(err.msg, "'9lives' is not a C identifier");
    CHECK(co.model_h == NULL && co.model_c == NULL);
    tfg_codegen_out_free(&co);
    tfg_tflite_free(&m);

    /* a float model input (the interpreter runs it; this version does not generate it) */
    tb_fc_softmax_model(&bm, 1);
    bm.n_opcodes = 3;
    bm.opcodes[2].code = TFG_TFL_QUANTIZE;
    bm.tensors[5] = (tb_tensor){"f", TFG_TFL_FLOAT32, 2, {1, 4}, 0, 0, {0}, {0}, 0};
    bm.n_tensors = 6;
    memmove(&bm.ops[1], &bm.ops[0], 2 * sizeof bm.ops[0]);
    bm.ops[0] = (tb_op){.opcode = 2, .n_in = 1, .n_out = 1, .in = {5}, .out = {0}};
    bm.n_ops = 3;
    bm.in[0] = 5;
    if (parse_built(&bm, &m)) {
        CHECK_INT(tfg_codegen_emit(&m, NULL, &co, &err), TFG_EINPUT);
        CHECK_HAS(err.msg, "FLOAT32");
        CHECK_HAS(err.msg, "int8");
        tfg_codegen_out_free(&co);
        tfg_tflite_free(&m);
    }
}

/* The chooser's bound: the tiny model's bias (the builder's byte pattern) reaches 1.3e9
 * in channel 2, so its accumulators could overflow the DSP kernels' short
 * requantization: the Cortex-M4 keeps the reference for it; without the bias the same
 * layer gets the DSP kernel. */
static void test_variant_bound(void)
{
    for (int with_bias = 0; with_bias < 2; with_bias++) {
        tb_model bm;
        tfg_tflite m;
        tb_fc_softmax_model(&bm, with_bias);
        if (!parse_built(&bm, &m))
            return;
        tfg_codegen_out co;
        tfg_err err;
        tfg_codegen_opts o = {.core = "cortex-m4f"};
        CHECK_INT(tfg_codegen_emit(&m, &o, &co, &err), TFG_OK);
        CHECK(co.n_layers == 2);
        if (co.n_layers == 2)
            CHECK_STR(co.layers[0].variant, with_bias ? "reference" : "dsp_fc");
        tfg_codegen_out_free(&co);
        tfg_tflite_free(&m);
    }
}

TFG_TEST_MAIN(test_variant_bound, test_tiny, test_depthwise_bias, test_names,
              test_header_and_float, test_refusals, test_kws, test_ad)
