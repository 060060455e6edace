/* stage.c — the build stage: int8 model -> C99 library, compiled and checked on the host
 * against the quantize stage's int8 results, published atomically (stage.h). */
#include "codegen/stage.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/emit.h"
#include "codegen/preprocess_emit.h"
#include "core/alloc.h"
#include "core/hash.h"
#include "core/io.h"
#include "core/json.h"
#include "core/manifest.h"
#include "core/proc.h"
#include "core/progress.h"
#include "core/resource.h"
#include "core/tool.h"
#include "spec/rundir.h"

const char *tfg_runtime_dir(void)
{
    static char *found;
    return tfg_resource_default(&found, "TINYFORGE_RUNTIME", "runtime", "runtime");
}

/* ---- which runtime files a source needs ---- */

typedef struct {
    char *name, *text;
    char **defs; /* functions defined with external linkage */
    size_t n_defs;
    bool used;
} rt_file;

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* A definition starts a line with its return type (no "static", no indentation) and
 * names a tfg_ function followed by "(". */
static void find_defs(rt_file *f)
{
    for (const char *line = f->text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        if (!islower((unsigned char)*line) || !strncmp(line, "static", 6))
            continue;
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len && line[len - 1] == ';')
            continue;
        for (const char *p = line; p < line + len; p++) {
            if (strncmp(p, "tfg_", 4) || (p > line && ident_char(p[-1])))
                continue;
            const char *q = p;
            while (q < line + len && ident_char(*q))
                q++;
            if (q < line + len && *q == '(') {
                f->defs = tfg_xreallocarray(f->defs, f->n_defs + 1, sizeof *f->defs);
                f->defs[f->n_defs++] = tfg_xstrndup(p, (size_t)(q - p));
                break;
            }
            p = q;
        }
    }
}

/* True when text calls name (the name followed by "("). */
static bool calls(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = strstr(text, name); p; p = strstr(p + 1, name))
        if ((p == text || !ident_char(p[-1])) && p[n] == '(')
            return true;
    return false;
}

static bool mark_callees(rt_file *fs, size_t n, const char *text)
{
    bool more = false;
    for (size_t i = 0; i < n; i++)
        for (size_t d = 0; !fs[i].used && d < fs[i].n_defs; d++)
            if (calls(text, fs[i].defs[d]))
                fs[i].used = more = true;
    return more;
}

tfg_status tfg_runtime_files_for(const char *const *sources, size_t n_sources, char ***files,
                                 size_t *n_files, tfg_err *err)
{
    *files = NULL;
    *n_files = 0;
    const char *dir = tfg_runtime_dir();
    char **names;
    size_t n;
    tfg_status st = tfg_list_files(dir, ".c", &names, &n, err);
    if (st)
        return tfg_err_prefix(err, "runtime kernels");
    rt_file *fs = tfg_xcalloc(n ? n : 1, sizeof *fs);
    for (size_t i = 0; !st && i < n; i++) {
        char *p = tfg_path_join(dir, names[i]);
        size_t len;
        st = tfg_read_file(p, 1 << 24, &fs[i].text, &len, err);
        free(p);
        fs[i].name = names[i];
        if (!st)
            find_defs(&fs[i]);
    }
    for (size_t k = 0; !st && k < n_sources; k++)
        mark_callees(fs, n, sources[k]);
    for (bool more = !st; more;) {
        more = false;
        for (size_t i = 0; i < n; i++)
            if (fs[i].used)
                more |= mark_callees(fs, n, fs[i].text);
    }
    for (size_t i = 0; i < n; i++) {
        if (!st && fs[i].used) {
            *files = tfg_xreallocarray(*files, *n_files + 1, sizeof **files);
            (*files)[(*n_files)++] = tfg_xstrdup(fs[i].name);
        }
        for (size_t d = 0; d < fs[i].n_defs; d++)
            free(fs[i].defs[d]);
        free(fs[i].defs);
        free(fs[i].text);
        free(fs[i].name);
    }
    free(fs);
    free(names);
    return st;
}

/* ---- the stage ---- */

typedef struct {
    char *model_path, *in_path, *out_path, *pp_path;
    tfg_tflite model;
    json_t *pp;
    const char *core;   /* the spec board's CPU: picks each layer's kernel variant */
} build_in;

static void build_in_free(build_in *b)
{
    free(b->model_path);
    free(b->in_path);
    free(b->out_path);
    free(b->pp_path);
    tfg_tflite_free(&b->model);
    json_decref(b->pp);
}

static tfg_status read_inputs(const tfg_spec *s, const char *out, build_in *b, tfg_err *err)
{
    memset(b, 0, sizeof *b);
    b->core = s->board.core;
    b->model_path = tfg_rundir_path(out, TFG_ART_QUANTIZE_MODEL);
    b->in_path = tfg_rundir_path(out, TFG_ART_QUANTIZE_TEST_INPUT);
    b->out_path = tfg_rundir_path(out, TFG_ART_QUANTIZE_TEST_OUTPUT);
    b->pp_path = tfg_rundir_path(out, TFG_ART_DATA_PREPROCESS);
    tfg_status st = TFG_OK;
    if (!tfg_exists(b->model_path) || !tfg_exists(b->out_path)) {
        /* A failed int8 gate leaves only its report: say so rather than "run it". */
        char *qr = tfg_rundir_path(out, TFG_ART_QUANTIZE_REPORT);
        char *qdir = tfg_rundir_stage(out, TFG_STAGE_QUANTIZE);
        json_t *rep = tfg_stage_report_load(qdir);
        free(qdir);
        const char *res = json_string_value(json_object_get(rep, "result"));
        if (res && !strcmp(res, "failed"))
            st = tfg_err_set(err, TFG_EINPUT, "%s: the int8 model failed its accuracy gate, "
                             "so there is nothing to build (the report says why): change the "
                             "quantization settings or retrain, then run `tinyforge quantize "
                             "%s`", qr, s->path);
        else
            st = tfg_err_set(err, TFG_EINPUT, "%s not found: run `tinyforge quantize %s` "
                             "first (with the same --out)", b->model_path, s->path);
        json_decref(rep);
        free(qr);
    }
    if (!st) st = tfg_tflite_read(b->model_path, &b->model, err);
    if (!st) st = tfg_tflite_check_supported(&b->model, err);
    if (!st && tfg_exists(b->pp_path))
        st = tfg_json_load_file(b->pp_path, &b->pp, err);
    return st;
}

/* The generated files, name and text, in the order they are written. */
typedef struct {
    char **names, **texts;
    size_t n;
} file_set;

static void add_file(file_set *f, const char *name, char *text)
{
    f->names = tfg_xreallocarray(f->names, f->n + 1, sizeof *f->names);
    f->texts = tfg_xreallocarray(f->texts, f->n + 1, sizeof *f->texts);
    f->names[f->n] = tfg_xstrdup(name);
    f->texts[f->n++] = text;
}

static void file_set_free(file_set *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->names[i]);
        free(f->texts[i]);
    }
    free(f->names);
    free(f->texts);
}

static tfg_status add_runtime(file_set *f, tfg_err *err)
{
    const char *srcs[3];
    size_t n_src = 0;
    for (size_t i = 0; i < f->n; i++)
        if (strstr(f->names[i], ".c"))
            srcs[n_src++] = f->texts[i];
    char **names;
    size_t n;
    tfg_status st = tfg_runtime_files_for(srcs, n_src, &names, &n, err);
    static const char *const headers[] = {"tfg_runtime.h", "tfg_rt_internal.h", "tfg_dsp.h"};
    size_t nh = 2; /* the DSP kernels' header only with them */
    for (size_t i = 0; i < n; i++)
        if (strstr(names[i], "_dsp.c"))
            nh = 3;
    for (size_t i = 0; !st && i < n + nh; i++) {
        const char *name = i < nh ? headers[i] : names[i - nh];
        char *p = tfg_path_join(tfg_runtime_dir(), name), *text;
        size_t len;
        st = tfg_read_file(p, 1 << 24, &text, &len, err);
        free(p);
        if (!st)
            add_file(f, name, text);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return st;
}

/* A host main for the check: every row of argv[1] through tfg_model_invoke into argv[2]. */
static const char check_main[] =
    "#include <stdio.h>\n#include \"model.h\"\n"
    "int main(int argc, char **argv)\n{\n"
    "    static int8_t in[TFG_MODEL_INPUT_BYTES], out[TFG_MODEL_OUTPUT_BYTES];\n"
    "    FILE *fi, *fo;\n    long row = 0;\n"
    "    if (argc != 3 || !(fi = fopen(argv[1], \"rb\")) || !(fo = fopen(argv[2], \"wb\")))\n"
    "        return 2;\n"
    "    while (fread(in, 1, sizeof in, fi) == sizeof in) {\n"
    "        int rc = tfg_model_invoke(in, out);\n"
    "        if (rc) {\n            fprintf(stderr, \"row %ld: invoke returned %d\\n\", row, rc);\n"
    "            return 1;\n        }\n"
    "        if (fwrite(out, 1, sizeof out, fo) != sizeof out)\n            return 2;\n"
    "        row++;\n    }\n    return fclose(fo) != 0 || fclose(fi) != 0 ? 2 : 0;\n}\n";

static tfg_status compile_and_run(const char *dir, const file_set *f, const build_in *b,
                                  const char *tmp, json_t *report, tfg_err *err)
{
    const char *cc = getenv("CC") && *getenv("CC") ? getenv("CC") : "cc";
    char *main_c = tfg_path_join(tmp, "check_main.c"), *prog = tfg_path_join(tmp, "check");
    char *got = tfg_path_join(tmp, "output.bin"), *inc = tfg_xasprintf("-I%s", dir);
    tfg_status st = tfg_write_atomic(main_c, check_main, sizeof check_main - 1, err);
    tfg_argv argv = {0};
    static const char *const flags[] = {"-std=c99", "-Wall", "-Wextra", "-Werror",
                                        "-pedantic", "-O2", NULL};
    tfg_argv_add(&argv, cc);
    for (size_t i = 0; flags[i]; i++)
        tfg_argv_add(&argv, flags[i]);
    tfg_argv_add(&argv, inc);
    for (size_t i = 0; i < f->n; i++)
        if (strstr(f->names[i], ".c"))
            tfg_argv_own(&argv, tfg_path_join(dir, f->names[i]));
    tfg_argv_add(&argv, main_c);
    tfg_argv_add(&argv, "-o");
    tfg_argv_add(&argv, prog);
    tfg_proc_result pr = {0};
    if (!st) {
        /* the same compile helper as the firmware builds (core/tool.h), the host's cc */
        tfg_tool_opts to = {.argv = argv.v, .timeout_s = 300, .quiet_or_fail = true};
        tfg_tool_result tr;
        st = tfg_tool_run(&to, &tr, err);
        if (st && tr.refused)
            tfg_err_prefix(err, "%s refused the generated code (-std=c99 -Werror -pedantic)", cc);
        else if (st)
            tfg_err_prefix(err, "the host check needs a C compiler (set CC)");
        tfg_tool_result_free(&tr);
    }
    if (!st) {
        const char *rargv[] = {prog, b->in_path, got, NULL};
        tfg_proc_opts po = {.argv = rargv, .timeout_s = 600};
        st = tfg_proc_run(&po, &pr, err);
        if (!st && (!pr.exited || pr.exit_code != 0))
            st = tfg_err_set(err, TFG_ECHECK, "the generated code failed on the host: %.300s",
                             pr.errout && *pr.errout ? pr.errout : "it crashed");
        tfg_proc_result_free(&pr);
    }
    char *want = NULL, *have = NULL;
    size_t nw = 0, nh = 0;
    if (!st) st = tfg_read_file(b->out_path, SIZE_MAX, &want, &nw, err);
    if (!st) st = tfg_read_file(got, SIZE_MAX, &have, &nh, err);
    if (!st) {
        const tfg_tfl_subgraph *sg = &b->model.subgraphs[0];
        size_t row = sg->tensors[sg->outputs[0]].bytes, diff = 0, first = SIZE_MAX;
        for (size_t i = 0; i < nw && i < nh; i++)
            if (want[i] != have[i] && diff++ == 0)
                first = i / row;
        if (nw != nh)
            st = tfg_err_set(err, TFG_ECHECK, "the generated code gave %zu output rows, the "
                             "int8 runtime %zu", nh / row, nw / row);
        else if (diff)
            st = tfg_err_set(err, TFG_ECHECK, "the generated code differs from the int8 "
                             "runtime in %zu output bytes, first in test row %zu", diff, first);
        else
            json_object_set_new(report, "host_check",
                                json_pack("{s:s, s:I, s:b}", "compiler", cc, "rows",
                                          (json_int_t)(nw / row), "identical", 1));
    }
    free(want);
    free(have);
    tfg_argv_free(&argv);
    free(main_c);
    free(prog);
    free(got);
    free(inc);
    return st;
}

static json_t *make_report(const tfg_codegen_out *co, const build_in *b, const file_set *f,
                           const char *pp_note)
{
    char sha[TFG_SHA256_HEX];
    tfg_sha256_hex(b->model.file, b->model.file_len, sha);
    json_t *files = json_array();
    for (size_t i = 0; i < f->n; i++)
        json_array_append_new(files, json_string(f->names[i]));
    json_t *r = json_pack("{s:s, s:I, s:I, s:I, s:I, s:s, s:o}", "stage", "build",
                          "flash_bytes", (json_int_t)co->flash_bytes, "arena_bytes",
                          (json_int_t)co->arena_bytes, "input_bytes",
                          (json_int_t)co->input_bytes, "output_bytes",
                          (json_int_t)co->output_bytes, "model_sha256", sha, "files", files);
    json_object_set_new(r, "preprocess", pp_note ? json_string(pp_note) : json_true());
    json_object_set_new(r, "core", b->core ? json_string(b->core) : json_null());
    json_object_set_new(r, "layers", tfg_codegen_layers_json(co));
    return r;
}

static tfg_status generate(const build_in *b, file_set *f, tfg_codegen_out *co, char **pp_note,
                           tfg_err *err)
{
    tfg_codegen_opts opts = {.core = b->core};
    tfg_status st = tfg_codegen_emit(&b->model, &opts, co, err);
    if (st)
        return st;
    add_file(f, "model.h", tfg_xstrdup(co->model_h));
    add_file(f, "model.c", tfg_xstrdup(co->model_c));
    *pp_note = NULL;
    if (b->pp) {
        char *h, *c;
        tfg_err e2;
        st = tfg_codegen_preprocess(b->pp, b->pp_path, NULL, &h, &c, &e2);
        if (st == TFG_EUSAGE) {
            *pp_note = tfg_xstrdup(e2.msg); /* a window plan: no device preprocessing */
            st = TFG_OK;
        } else if (st) {
            *err = e2;
            return st;
        } else {
            add_file(f, "preprocess.h", h);
            add_file(f, "preprocess.c", c);
        }
    } else {
        *pp_note = tfg_xasprintf("no %s", tfg_artifact_label(TFG_ART_DATA_PREPROCESS));
    }
    return add_runtime(f, err);
}

static tfg_status run(const tfg_build_stage_opts *o, const build_in *b, tfg_manifest *m,
                      tfg_build_outcome *r, tfg_err *err)
{
    double t0 = tfg_now();
    file_set f = {0};
    tfg_codegen_out co;
    memset(&co, 0, sizeof co);
    char *pp_note = NULL;
    tfg_status st = generate(b, &f, &co, &pp_note, err);
    json_t *report = st ? NULL : make_report(&co, b, &f, pp_note);
    tfg_stagedir sd;
    bool staged = false;
    if (!st) {
        st = tfg_stage_begin(&sd, o->out, tfg_stage_name(TFG_STAGE_BUILD), err);
        staged = !st;
    }
    for (size_t i = 0; !st && i < f.n; i++) {
        char *p = tfg_stage_path(&sd, f.names[i]);
        st = tfg_write_atomic(p, f.texts[i], strlen(f.texts[i]), err);
        free(p);
    }
    /* The host check's scratch lives in the staging directory, so a killed build leaves
     * nothing outside the run directory and the next run's sweep removes it. */
    char *tmp = NULL;
    if (!st) {
        tmp = tfg_stage_path(&sd, ".host-check");
        st = tfg_mkdirs(tmp, err);
    }
    if (!st) {
        if (o->progress)
            tfg_progress_update(o->progress, "host check", 0, 1);
        st = compile_and_run(sd.dir, &f, b, tmp, report, err);
        tfg_progress_finish(o->progress);
    }
    if (tmp)
        tfg_rmtree(tmp, NULL);
    free(tmp);
    if (!st) {
        json_object_set_new(report, "seconds", json_real(tfg_now() - t0));
        st = tfg_stage_finish(&sd, m, report, err);
    } else if (staged) {
        tfg_stage_abort(&sd);
    }
    if (!st)
        r->report = json_incref(report);
    json_decref(report);
    free(pp_note);
    tfg_codegen_out_free(&co);
    file_set_free(&f);
    return st;
}

tfg_status tfg_build_stage(const tfg_spec *s, const tfg_build_stage_opts *o,
                           tfg_build_outcome *r, tfg_err *err)
{
    memset(r, 0, sizeof *r);
    r->dir = tfg_rundir_stage(o->out, TFG_STAGE_BUILD);
    build_in b;
    tfg_status st = read_inputs(s, o->out, &b, err);
    tfg_manifest m;
    tfg_manifest_init(&m, tfg_stage_name(TFG_STAGE_BUILD));
    if (!st) st = tfg_manifest_input_file(&m, tfg_artifact_label(TFG_ART_QUANTIZE_MODEL),
                                          b.model_path, err);
    if (!st) st = tfg_manifest_input_file(&m, tfg_artifact_label(TFG_ART_QUANTIZE_TEST_INPUT),
                                          b.in_path, err);
    if (!st) st = tfg_manifest_input_file(&m, tfg_artifact_label(TFG_ART_QUANTIZE_TEST_OUTPUT),
                                          b.out_path, err);
    if (!st && b.pp)
        st = tfg_manifest_input_file(&m, tfg_artifact_label(TFG_ART_DATA_PREPROCESS), b.pp_path,
                                     err);
    if (!st)
        tfg_manifest_input_text(&m, "tinyforge", TFG_VERSION);
    if (!st) /* another core may choose other kernels */
        tfg_manifest_input_text(&m, "core", b.core ? b.core : "");
    if (!st && !o->force && tfg_manifest_up_to_date(&m, r->dir)) {
        r->skipped = true;
        r->report = tfg_stage_report_load(r->dir);
    } else if (!st) {
        st = run(o, &b, &m, r, err);
    }
    tfg_manifest_free(&m);
    build_in_free(&b);
    return st;
}

void tfg_build_outcome_free(tfg_build_outcome *r)
{
    free(r->dir);
    json_decref(r->report);
    memset(r, 0, sizeof *r);
}
