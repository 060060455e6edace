/* test_codegen_preprocess.c — generated device preprocessing (codegen/preprocess_emit.h)
 * equals the host reference (data/preprocess.h) bit for bit.
 *
 * A preprocess.json with every row-wise step (impute of numbers and categories, clip,
 * affine, label_encode, one_hot, an imputed level that is not an input level) is turned
 * into C, compiled by gcc and clang with the firmware's strict C99 flags next to a small
 * main, and run on random raw rows (missing values, unknown level indexes included). Its
 * features, printed as hex floats, must equal tfg_preprocess_apply_row's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "codegen/preprocess_emit.h"
#include "core/alloc.h"
#include "core/io.h"
#include "core/proc.h"
#include "core/rng.h"
#include "data/preprocess.h"

static const char *pp_text =
    "{\"version\": 1, \"inputs\": [\"a\", \"color\", \"b\", \"size\"],"
    " \"input_levels\": {\"color\": [\"blue\", \"green\", \"red\"],"
    "                    \"size\": [\"L\", \"M\", \"S\"]},"
    " \"steps\": ["
    "  {\"step\": \"impute\", \"columns\": [{\"column\": \"a\", \"value\": 0.558700025},"
    "     {\"column\": \"color\", \"value\": \"purple\"}, {\"column\": \"b\", \"value\": -3}]},"
    "  {\"step\": \"clip\", \"columns\": [{\"column\": \"a\", \"lo\": -1.5, \"hi\": 2.25}]},"
    "  {\"step\": \"affine\", \"columns\": [{\"column\": \"a\", \"offset\": 0.540079117,"
    "     \"scale\": 11.7275829}, {\"column\": \"b\", \"offset\": -0.1, \"scale\": 0.3}]},"
    "  {\"step\": \"one_hot\", \"column\": \"color\", \"levels\": [\"green\", \"purple\", \"red\"]},"
    "  {\"step\": \"label_encode\", \"column\": \"size\", \"levels\": [\"S\", \"M\"]}],"
    " \"features\": [\"size\", \"color=green\", \"a\", \"color=purple\", \"b\", \"color=red\"],"
    " \"input_shape\": [6]}";

static const char *main_c =
    "#include <stdio.h>\n#include \"preprocess.h\"\n"
    "int main(void)\n{\n    float raw[TFG_MODEL_RAW_INPUTS], f[TFG_MODEL_FEATURES];\n"
    "    char tok[64];\n    int i;\n    for (;;) {\n"
    "        for (i = 0; i < TFG_MODEL_RAW_INPUTS; i++) {\n"
    "            if (scanf(\"%63s\", tok) != 1)\n                return 0;\n"
    "            if (sscanf(tok, \"%a\", &raw[i]) != 1)\n                raw[i] = 0.0f / 0.0f;\n"
    "        }\n        if (tfg_model_preprocess(raw, f) != 0)\n            return 1;\n"
    "        for (i = 0; i < TFG_MODEL_FEATURES; i++)\n"
    "            printf(\"%a%c\", (double)f[i], i + 1 < TFG_MODEL_FEATURES ? ' ' : '\\n');\n"
    "    }\n}\n";

static bool write_str(const char *dir, const char *name, const char *text)
{
    char *p = tfg_path_join(dir, name);
    tfg_err err;
    tfg_status st = tfg_write_atomic(p, text, strlen(text), &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    free(p);
    return st == TFG_OK;
}

/* One float as the C program prints it (NaN printed by printf is "nan" or "-nan"). */
static void put_hex(tfg_buf *b, float v, char sep)
{
    if (isnan(v))
        tfg_buf_printf(b, "nan%c", sep);
    else
        tfg_buf_printf(b, "%a%c", (double)v, sep);
}

static char *normalize_nans(const char *s)
{
    tfg_buf b;
    tfg_buf_init(&b);
    for (; *s; s++) {
        if (s[0] == '-' && s[1] == 'n' && s[2] == 'a' && s[3] == 'n')
            continue;
        tfg_buf_putc(&b, *s);
    }
    return tfg_buf_take(&b);
}

static void test_matches_host(void)
{
    json_error_t je;
    json_t *pp = json_loads(pp_text, 0, &je);
    CHECK(pp != NULL);
    char *h, *c;
    tfg_err err;
    tfg_status st = tfg_codegen_preprocess(pp, "/home/someone/run/data/preprocess.json",
                                           NULL, &h, &c, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    CHECK_HAS(h, "#define TFG_MODEL_FEATURES 6");
    /* no path of the machine that made it; every constant says what it is */
    CHECK_HAS(h, "from preprocess.json: ");
    CHECK(strstr(h, "/home/someone") == NULL);
    CHECK_HAS(c, "; /* a missing: the imputed value */\n");
    CHECK_HAS(c, "; /* color missing: the imputed value, purple */\n");
    CHECK_HAS(c, "    /* outlier fences of a (training): -0x1.8p+0f .. 0x1.2p+1f */\n");
    CHECK_HAS(c, "    /* b: (x - offset) * scale */\n");
    CHECK_HAS(c, "; /* color=purple: its one-hot level */\n");
    CHECK_HAS(c, "/* label_encode of size: the code of each level");
    char tmpl[] = "/tmp/tfg_ppXXXXXX";
    char *dir = mkdtemp(tmpl);
    CHECK(dir != NULL);
    write_str(dir, "preprocess.h", h);
    write_str(dir, "preprocess.c", c);
    write_str(dir, "main.c", main_c);

    /* Random rows: numbers, NaN, category indexes in and out of range. */
    tfg_rng r;
    tfg_rng_seed(&r, 77);
    tfg_buf in, want;
    tfg_buf_init(&in);
    tfg_buf_init(&want);
    for (int row = 0; row < 2000; row++) {
        double raw[4];
        for (int k = 0; k < 4; k++) {
            double u = tfg_rng_uniform(&r);
            if (u < 0.1)
                raw[k] = NAN;
            else if (k == 1 || k == 3)
                raw[k] = (double)(int)(tfg_rng_uniform(&r) * 5) - 1; /* -1 .. 3 */
            else
                raw[k] = (float)(8 * tfg_rng_uniform(&r) - 4);
            if (isnan(raw[k]))
                tfg_buf_printf(&in, "nan ");
            else
                tfg_buf_printf(&in, "%a ", (double)(float)raw[k]);
        }
        tfg_buf_putc(&in, '\n');
        float f[6];
        st = tfg_preprocess_apply_row(pp, raw, f, &err);
        CHECK_MSG(st == TFG_OK, "%s", err.msg);
        for (int k = 0; k < 6; k++)
            put_hex(&want, f[k], k < 5 ? ' ' : '\n');
    }
    const char *ccs[] = {"gcc", "clang"};
    for (int k = 0; k < 2; k++) {
        char *prog = tfg_xasprintf("%s/prog_%s", dir, ccs[k]);
        char *pc = tfg_path_join(dir, "preprocess.c"), *mc = tfg_path_join(dir, "main.c");
        char *inc = tfg_xasprintf("-I%s", dir);
        const char *argv[] = {ccs[k], "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic",
                              "-O2", inc, pc, mc, "-o", prog, NULL};
        tfg_proc_opts po = {.argv = argv, .timeout_s = 120};
        tfg_proc_result pr = {0};
        st = tfg_proc_run(&po, &pr, &err);
        CHECK_MSG(st == TFG_OK && pr.exited && pr.exit_code == 0 && pr.err_len == 0,
                  "%s: %s", ccs[k], pr.errout ? pr.errout : err.msg);
        tfg_proc_result_free(&pr);
        const char *rargv[] = {prog, NULL};
        tfg_proc_opts ro = {.argv = rargv, .stdin_data = in.data, .stdin_len = in.len,
                            .timeout_s = 60};
        st = tfg_proc_run(&ro, &pr, &err);
        CHECK(st == TFG_OK && pr.exited && pr.exit_code == 0);
        char *got = normalize_nans(pr.out ? pr.out : "");
        tfg_buf_putc(&want, '\0');
        CHECK_MSG(strcmp(got, want.data) == 0, "%s: generated preprocessing differs from the "
                  "host reference", ccs[k]);
        want.len--;
        free(got);
        tfg_proc_result_free(&pr);
        free(prog);
        free(pc);
        free(mc);
        free(inc);
    }
    tfg_buf_free(&in);
    tfg_buf_free(&want);
    free(h);
    free(c);
    tfg_rmtree(dir, &err);
    json_decref(pp);
}

static void test_refusals(void)
{
    static const char *const bad[] = {
        "{\"inputs\": [\"a\"], \"steps\": [{\"step\": \"window\"}], \"features\": [\"a\"]}",
        "{\"inputs\": [\"a\"], \"steps\": [{\"step\": \"blend\"}], \"features\": [\"a\"]}",
        "{\"inputs\": [\"a\"], \"steps\": [], \"features\": [\"z\"]}",
        "{\"inputs\": [], \"steps\": [], \"features\": [\"a\"]}"};
    static const char *const needle[] = {"steps[0]", "unknown step 'blend'", "feature 'z'",
                                         "inputs"};
    static const tfg_status code[] = {TFG_EUSAGE, TFG_EINPUT, TFG_EINPUT, TFG_EINPUT};
    for (size_t k = 0; k < 4; k++) {
        json_error_t je;
        json_t *pp = json_loads(bad[k], 0, &je);
        char *h, *c;
        tfg_err err;
        CHECK_INT(tfg_codegen_preprocess(pp, "pp.json", NULL, &h, &c, &err), code[k]);
        CHECK_HAS(err.msg, needle[k]);
        CHECK_HAS(err.msg, "pp.json");
        CHECK(h == NULL && c == NULL);
        json_decref(pp);
    }
}

TFG_TEST_MAIN(test_matches_host, test_refusals)
