/* stage_sketch.c — the sketch stage: the application's C++ source (an Arduino-style
 * setup()/loop() around the generated model), which the paper had an LLM write.
 *
 * Context: what a sketch can call and nothing of the host: the generated model's API
 * (build/model.h, comments dropped), the preprocessing of one raw reading
 * (build/preprocess.h), the runtime's quantizer, the Arduino shim and the sensor
 * (runtime/arduino/), the raw reading's values in order, the classes in the model's
 * output order (unless llm_data is none) and the board. The previous attempt and its
 * error reach the backend through the pilot's repair message. Builtin: the sketch
 * template (tfg_sketch_builtin) in a code block. Validator: the code is extracted
 * (tfg_pilot_extract_code: no code is a format error), then the sketch stage runs on it
 * (tfg_sketch_stage: deny-list, -Werror compile against the project's headers only, two
 * runs on the emulated board, every test sample compared with the host int8
 * predictions). Its classes map onto the pilot's: compile error -> compile, embedded-ML
 * misuse -> misuse, silent failure -> silent, unsafe output -> unsafe, budget exceeded
 * -> budget. The check works inside <out>/.sketch.tmp and publishes <out>/sketch/ (the
 * layout `tinyforge sketch` writes, with its manifest) only when the sketch passed, so
 * a rejected proposal leaves the run as it was.
 *
 * Messages go back to the backend and into the next request's cache key, so the run
 * directory's path is cut out of them: a replay in another directory asks the same. */
#include <stdlib.h>
#include <string.h>

#include "codegen/stage.h"
#include "core/alloc.h"
#include "core/io.h"
#include "core/json.h"
#include "pilot/pilot.h"
#include "target/sketch.h"
#include "spec/rundir.h"

typedef struct {
    char *builtin;  /* the template's source for this run */
} sketch_state;

/* ---- context ------------------------------------------------------------------------- */

/* A header's declarations: comments, include guards and blank lines dropped, so the
 * prompt carries the API and no host path (preprocess.h's comment names the run). */
static char *api_of(const char *text)
{
    tfg_buf b;
    tfg_buf_init(&b);
    bool comment = false;
    for (const char *p = text; *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        tfg_buf line;
        tfg_buf_init(&line);
        for (size_t i = 0; i < n; i++) {
            if (comment) {
                if (p[i] == '*' && i + 1 < n && p[i + 1] == '/') {
                    comment = false;
                    i++;
                }
            } else if (p[i] == '/' && i + 1 < n && p[i + 1] == '*') {
                comment = true;
                i++;
            } else if (p[i] == '/' && i + 1 < n && p[i + 1] == '/') {
                break;
            } else {
                tfg_buf_putc(&line, p[i]);
            }
        }
        tfg_buf_putc(&line, '\0');
        const char *l = line.data;
        while (*l == ' ' || *l == '\t')
            l++;
        bool guard = (!strncmp(l, "#ifndef TFG_", 12) || !strncmp(l, "#define TFG_", 12)) &&
                     strlen(l) > 2 && !strcmp(l + strlen(l) - 2, "_H");
        bool blank = !*l;
        if (!blank && !guard && strcmp(l, "#endif"))
            tfg_buf_printf(&b, "%s\n", line.data);
        tfg_buf_free(&line);
        p += n + (e ? 1 : 0);
    }
    return tfg_buf_take(&b);
}

/* The declaration of fn in a header's API text (the lines from its return type to the
 * ';'), or NULL. */
static char *decl_of(const char *api, const char *fn)
{
    const char *at = strstr(api, fn);
    if (!at)
        return NULL;
    const char *start = at;
    while (start > api && start[-1] != '\n')
        start--;
    const char *end = strchr(at, ';');
    return end ? tfg_xstrndup(start, (size_t)(end - start + 1)) : NULL;
}

static tfg_status read_text(const char *path, char **text, tfg_err *err)
{
    size_t len;
    return tfg_read_file(path, (size_t)1 << 20, text, &len, err);
}

/* ctx[key] = the API of the header at dir/name. */
static tfg_status ctx_api(json_t *ctx, const char *key, const char *dir, const char *name,
                          char **api, tfg_err *err)
{
    char *path = tfg_path_join(dir, name), *text = NULL;
    tfg_status st = read_text(path, &text, err);
    free(path);
    if (st)
        return st;
    char *a = api_of(text);
    tfg_pilot_ctx_set(ctx, key, "%s", a);
    free(text);
    if (api)
        *api = a;
    else
        free(a);
    return TFG_OK;
}

/* The shim: Arduino.h and tfg_sensor.h, and the runtime's quantizer. */
static tfg_status ctx_shim(json_t *ctx, tfg_err *err)
{
    const char *rt = tfg_runtime_dir();
    char *ard = tfg_path_join(rt, "arduino"), *a = NULL, *s = NULL, *r = NULL;
    tfg_status st = ctx_api(ctx, "arduino_api", ard, "Arduino.h", &a, err);
    if (!st)
        st = ctx_api(ctx, "sensor_api", ard, "tfg_sensor.h", &s, err);
    if (!st)
        st = ctx_api(ctx, "runtime_api", rt, "tfg_runtime.h", &r, err);
    if (!st) {
        char *q = decl_of(r, "tfg_rt_quantize_f32_s8(");
        if (!q)
            st = tfg_err_set(err, TFG_EINTERNAL, "%s/tfg_runtime.h declares no "
                             "tfg_rt_quantize_f32_s8", rt);
        else
            tfg_pilot_ctx_set(ctx, "runtime_api", "%s", q);
        free(q);
    }
    free(ard);
    free(a);
    free(s);
    free(r);
    return st;
}

/* Raw inputs and classes from the data stage's preprocess.json. */
static tfg_status ctx_data(tfg_pilot *p, json_t *ctx, json_t *sent, tfg_err *err)
{
    const tfg_pilot_opts *o = tfg_pilot_options(p);
    char *path = tfg_rundir_path(o->out, TFG_ART_DATA_PREPROCESS);
    json_t *pp = NULL;
    tfg_status st = tfg_json_load_file(path, &pp, err);
    free(path);
    if (st)
        return st;
    tfg_buf b;
    tfg_buf_init(&b);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(pp, "inputs"), i, v)
        tfg_buf_printf(&b, "%sraw[%zu] = %s", i ? ", " : "", i, json_string_value(v));
    char *text = tfg_buf_take(&b);
    tfg_pilot_ctx_set(ctx, "raw_inputs", "%s", text);
    free(text);
    json_array_append_new(sent, json_string("columns"));
    const json_t *classes = json_object_get(json_object_get(pp, "label"), "classes");
    tfg_buf_init(&b);
    if (o->policy->llm_data == TFG_LLM_DATA_NONE) {
        tfg_buf_printf(&b, "%zu classes (their names are not sent: llm_data is none; "
                       "print tfg_model_class_names[k])", json_array_size(classes));
    } else {
        json_array_foreach(classes, i, v)
            tfg_buf_printf(&b, "%s%zu = %s", i ? ", " : "", i, json_string_value(v));
        json_array_append_new(sent, json_string("classes"));
    }
    text = tfg_buf_take(&b);
    tfg_pilot_ctx_set(ctx, "classes", "%s", text);
    free(text);
    json_decref(pp);
    return TFG_OK;
}

/* The sensor object the template reads (the builtin knows which applies). */
static void ctx_sensor(json_t *ctx, const char *builtin)
{
    bool apds = strstr(builtin, "APDS.readColor") != NULL;
    tfg_pilot_ctx_set(ctx, "sensor",
                      apds ? "the APDS-9960 colour sensor: APDS.begin(), APDS.colorAvailable(), "
                             "APDS.readColor(r, g, b) (raw[0..2] = red, green, blue)"
                           : "the generic sensor: Sensor.begin(), Sensor.read(raw, "
                             "TFG_MODEL_RAW_INPUTS)");
}

static tfg_status prepare(tfg_pilot *p, void **state, json_t *ctx, json_t *sent, tfg_err *err)
{
    const tfg_pilot_opts *o = tfg_pilot_options(p);
    if (!o->spec)
        return tfg_err_set(err, TFG_EUSAGE, "the sketch stage needs a spec");
    sketch_state *st = tfg_xcalloc(1, sizeof *st);
    *state = st;
    char *build = tfg_rundir_stage(o->out, TFG_STAGE_BUILD);
    char *model_h = tfg_path_join(build, "model.h");
    tfg_status s = TFG_OK;
    if (!tfg_exists(model_h))
        s = tfg_err_set(err, TFG_EINPUT, "%s: no generated model; the build stage must run "
                        "first (tinyforge build SPEC)", model_h);
    if (!s)
        s = tfg_sketch_builtin(o->spec, o->out, &st->builtin, err);
    if (!s)
        s = ctx_api(ctx, "model_api", build, "model.h", NULL, err);
    if (!s)
        s = ctx_api(ctx, "preprocess_api", build, "preprocess.h", NULL, err);
    if (!s)
        s = ctx_shim(ctx, err);
    if (!s)
        s = ctx_data(p, ctx, sent, err);
    if (!s) {
        char *lib = tfg_sketch_lib_name(o->spec);
        tfg_pilot_ctx_set(ctx, "name", "%s", o->spec->name);
        tfg_pilot_ctx_set(ctx, "library", "%s", lib);
        free(lib);
        ctx_sensor(ctx, st->builtin);
        tfg_pilot_ctx_board(ctx, o->spec);
    }
    free(build);
    free(model_h);
    return s ? tfg_err_prefix(err, "the sketch stage") : TFG_OK;
}

static void done(void *state)
{
    sketch_state *st = state;
    if (st)
        free(st->builtin);
    free(st);
}

static tfg_status builtin(tfg_pilot *p, void *state, char **reply, tfg_err *err)
{
    sketch_state *st = state;
    *reply = tfg_xasprintf("```cpp\n%s```\n", st->builtin);
    (void)p;
    (void)err;
    return TFG_OK;
}

/* ---- the validator ------------------------------------------------------------------- */

static tfg_pilot_class class_of(tfg_sketch_class c)
{
    switch (c) {
    case TFG_SKETCH_COMPILE_ERROR: return TFG_PILOT_COMPILE;
    case TFG_SKETCH_ML_MISUSE: return TFG_PILOT_MISUSE;
    case TFG_SKETCH_SILENT_FAILURE: return TFG_PILOT_SILENT;
    case TFG_SKETCH_UNSAFE_OUTPUT: return TFG_PILOT_UNSAFE;
    case TFG_SKETCH_BUDGET_EXCEEDED: return TFG_PILOT_BUDGET;
    case TFG_SKETCH_PASSED: break;
    }
    return TFG_PILOT_OK;
}

/* Cuts every occurrence of cut out of msg. */
static void cut_all(char *msg, const char *cut)
{
    size_t n = strlen(cut);
    if (!n)
        return;
    for (char *at = strstr(msg, cut); at; at = strstr(at, cut))
        memmove(at, at + n, strlen(at + n) + 1);
}

/* The check's working paths out of a message ("<out>/.sketch.tmp/check-tinyforge/
 * pass1/include/Arduino.h:70: error" -> "Arduino.h:70: error"). */
static void strip_paths(char *msg, const char *out)
{
    static const char *const under[] = {"/.sketch.tmp/check-tinyforge/pass1/include/",
                                        "/.sketch.tmp/check-tinyforge/pass2/include/",
                                        "/.sketch.tmp/", "/", NULL};
    for (size_t i = 0; under[i]; i++) {
        char *prefix = tfg_xasprintf("%s%s", out, under[i]);
        cut_all(msg, prefix);
        free(prefix);
    }
}

static tfg_status validate(tfg_pilot *p, void *state, const char *reply, tfg_pilot_class *cls,
                           tfg_err *err)
{
    const tfg_pilot_opts *o = tfg_pilot_options(p);
    char *src = NULL;
    *cls = TFG_PILOT_FORMAT;
    if (tfg_pilot_extract_code(reply, &src, err))
        return TFG_OK;
    tfg_sketch_stage_opts so = {.out = o->out, .progress = o->progress, .source = src,
                                .source_name = "proposed through the pilot",
                                .publish_passed_only = true,
                                .max_samples = o->sketch_samples};
    tfg_sketch_outcome r;
    tfg_status st = tfg_sketch_stage(o->spec, &so, &r, err);
    if (!st) {
        *cls = TFG_PILOT_OK;
    } else if (st == TFG_ECHECK && r.failure != TFG_SKETCH_PASSED) {
        *cls = class_of(r.failure);
        strip_paths(err->msg, o->out);
        st = TFG_OK;
    }
    tfg_sketch_outcome_free(&r);
    free(src);
    (void)state;
    return st;
}

const tfg_pilot_stage_def tfg_pilot_stage_sketch = {
    .name = "sketch",
    .format = TFG_LLM_FORMAT_TEXT,
    .prepare = prepare,
    .builtin = builtin,
    .validate = validate,
    .done = done,
};
