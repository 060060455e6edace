/* cmd_invoke.c — `tinyforge invoke FILE.tflite --input IN --output OUT`: run any
 * supported int8 model in process on raw input tensor bytes and write the raw output
 * tensor bytes; IN and OUT may be directories of .bin files, processed one to one. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/io.h"
#include "core/json.h"
#include "core/progress.h"
#include "lower/invoke.h"
#include "import/tflite.h"

static const char usage[] =
    "usage: tinyforge invoke FILE.tflite --input IN --output OUT [--json]\n"
    "\n"
    "Runs a TFLite int8 model in process with tinyforge's runtime kernels, which give\n"
    "the same bytes as TensorFlow Lite Micro's reference kernels. IN holds the raw bytes\n"
    "of the input tensor (int8, NHWC, no header) and OUT receives the raw bytes of the\n"
    "output tensor. When IN is a directory, every IN/*.bin is run and written to\n"
    "OUT/<same name> (OUT is created).\n"
    "\n"
    "options:\n"
    "  --input IN    a .bin file, or a directory of them\n"
    "  --output OUT  a file, or a directory when IN is one\n"
    "  --json        print a summary as one JSON object\n"
    "\n"
    "example:\n"
    "  tinyforge invoke ../shared/models/kws/kws_ref_model.tflite \\\n"
    "      --input ../shared/models/kws/inputs --output /tmp/kws_out\n";

static tfg_status run_one(tfg_tflite_runner *r, const char *in, const char *out, void *obuf,
                          tfg_err *err)
{
    char *data;
    size_t len;
    tfg_status st = tfg_read_file(in, (size_t)1 << 30, &data, &len, err);
    if (st)
        return st;
    if (len != tfg_tflite_runner_input_bytes(r))
        st = tfg_err_set(err, TFG_EINPUT, "%s: %zu bytes, the model's input tensor has %zu", in,
                         len, tfg_tflite_runner_input_bytes(r));
    if (!st)
        st = tfg_tflite_runner_invoke(r, data, len, obuf, tfg_tflite_runner_output_bytes(r), err);
    if (!st)
        st = tfg_write_atomic(out, obuf, tfg_tflite_runner_output_bytes(r), err);
    free(data);
    return st;
}

static tfg_status run_dir(tfg_tflite_runner *r, const char *in, const char *out, void *obuf,
                          tfg_progress *prog, size_t *count, tfg_err *err)
{
    char **names = NULL;
    size_t n = 0;
    tfg_status st = tfg_list_files(in, ".bin", &names, &n, err);
    if (!st && n == 0)
        st = tfg_err_set(err, TFG_EINPUT, "%s: no .bin files in the directory", in);
    if (!st)
        st = tfg_mkdirs(out, err);
    for (size_t i = 0; !st && i < n; i++) {
        char *ip = tfg_path_join(in, names[i]), *op = tfg_path_join(out, names[i]);
        st = run_one(r, ip, op, obuf, err);
        free(ip);
        free(op);
        tfg_progress_update(prog, "invoke", i + 1, n);
        *count = i + 1;
    }
    tfg_progress_finish(prog);
    tfg_strv_free(names);
    return st;
}

int tfg_cmd_invoke(int argc, char **argv, tfg_cli *c)
{
    static const struct option longopts[] = {
        {"input", required_argument, NULL, 'i'}, {"output", required_argument, NULL, 'o'},
        {"json", no_argument, NULL, 'j'},        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *in = NULL, *out = NULL;
    int opt, code;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "i:o:jhqv", longopts, NULL)) != -1) {
        switch (opt) {
        case 'i': in = optarg; break;
        case 'o': out = optarg; break;
        default:
            if ((code = tfg_cli_common_opt(c, opt, "invoke", usage, argv[optind - 1])) >= 0)
                return code;
        }
    }
    if (optind != argc - 1)
        return tfg_cli_usage(c, "invoke", optind >= argc ? "missing FILE" : "one FILE expected");
    if (!in || !out)
        return tfg_cli_usage(c, "invoke", "--input and --output are required");
    tfg_tflite m;
    tfg_err err;
    if (tfg_tflite_read(argv[optind], &m, &err))
        return tfg_cli_fail(c, &err);
    tfg_tflite_runner *r = NULL;
    tfg_status st = tfg_tflite_runner_new(&m, &r, &err);
    size_t count = 0;
    if (!st) {
        void *obuf = tfg_xmalloc(tfg_tflite_runner_output_bytes(r));
        tfg_progress bar;
        tfg_progress_tty(&bar, stderr, false);
        if (tfg_is_dir(in))
            st = run_dir(r, in, out, obuf, c->verbose >= 0 && !c->json ? &bar : NULL, &count, &err);
        else if (!(st = run_one(r, in, out, obuf, &err)))
            count = 1;
        free(obuf);
    }
    if (st) {
        code = tfg_cli_fail(c, &err);
    } else {
        code = TFG_EXIT_OK;
        if (c->json)
            tfg_cli_print_json(json_pack("{s:s, s:I, s:I, s:I, s:s}", "status", "ok", "files",
                                         (json_int_t)count, "input_bytes",
                                         (json_int_t)tfg_tflite_runner_input_bytes(r),
                                         "output_bytes",
                                         (json_int_t)tfg_tflite_runner_output_bytes(r), "output",
                                         out));
        else if (c->verbose >= 0)
            printf("invoked %s on %zu input%s (%zu -> %zu bytes each); output in %s\n",
                   argv[optind], count, count == 1 ? "" : "s", tfg_tflite_runner_input_bytes(r),
                   tfg_tflite_runner_output_bytes(r), out);
    }
    tfg_tflite_runner_free(r);
    tfg_tflite_free(&m);
    return code;
}
