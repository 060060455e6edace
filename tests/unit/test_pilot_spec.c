/* test_pilot_spec.c — the spec stage on image sets (IDX) and on a given test split:
 * tiny IDX files made here (40 training and 12 test images of 4x4, gzip'd and raw mixed,
 * as tests/unit/test_idx.c builds them). The builtin writes a spec that loads and whose
 * data stage keeps exactly the test file's rows as the test split (IDX and CSV); the
 * usage errors of the files given (images without labels, labels for a CSV, labels as
 * the data, test labels without test images, a test CSV with other columns); and
 * against the scripted server, proposals that misuse the files (swapped images and
 * labels, mispaired test labels, the test split dropped or unpinned, a CSV form, a file
 * read twice, a file not given, /etc/passwd) are rejected with their class and the field
 * at fault, before the correct one is accepted; the prompt describes the images in one
 * line, carries the exact sources, and sends no image rows. */
#include <stdint.h>
#include <zlib.h>

#include "../check.h"
#include "test_llm_fixture.h"

#include "core/json.h"
#include "data/stage.h"
#include "pilot/pilot.h"

#define N_TRAIN 40
#define N_TEST 12
#define SIDE 4
#define N_CSV 90
#define N_CSV_TEST 30

typedef struct {
    char *dir, *run, *spec_out;
    char *images, *labels, *test_images, *test_labels; /* the IDX files */
    char *csv, *test_csv;                              /* a CSV and its test rows */
    tfg_boards boards;
    tfg_llm_config cfg;
    tfg_llm_prices prices;
    tfg_pilot_policy pol;
    fx_server srv;
    const tfg_csv_opts *csv_opts; /* the dialect given on the command line, or NULL */
} env;

/* An IDX file (magic 00 00 08 ndims, big-endian dims, body), gzip'd when gz. */
static void write_idx(const char *path, const uint32_t *dims, unsigned ndims,
                      const unsigned char *body, size_t len, bool gz)
{
    tfg_buf b;
    tfg_buf_init(&b);
    unsigned char head[4] = {0, 0, 0x08, (unsigned char)ndims};
    tfg_buf_append(&b, head, 4);
    for (unsigned i = 0; i < ndims; i++) {
        unsigned char d[4] = {(unsigned char)(dims[i] >> 24), (unsigned char)(dims[i] >> 16),
                              (unsigned char)(dims[i] >> 8), (unsigned char)dims[i]};
        tfg_buf_append(&b, d, 4);
    }
    tfg_buf_append(&b, body, len);
    tfg_err err;
    if (gz) {
        gzFile f = gzopen(path, "wb");
        CHECK(f && gzwrite(f, b.data, (unsigned)b.len) == (int)b.len);
        CHECK(gzclose(f) == Z_OK);
    } else {
        CHECK(tfg_write_atomic(path, b.data, b.len, &err) == TFG_OK);
    }
    tfg_buf_free(&b);
}

/* n images of SIDE x SIDE whose class k = (first + i) % 4 lights pixel column k; every
 * image differs (no duplicate rows for the data stage to drop). */
static void write_images(const char *images, const char *labels, size_t n, size_t first,
                         bool gz_images)
{
    unsigned char px[N_TRAIN * SIDE * SIDE], lab[N_TRAIN];
    for (size_t i = 0; i < n; i++) {
        size_t k = (first + i) % 4;
        lab[i] = (unsigned char)k;
        for (size_t p = 0; p < SIDE * SIDE; p++)
            px[i * SIDE * SIDE + p] =
                (unsigned char)(p % SIDE == k ? 180 + (first + i) : 5 + (first + i + p) % 30);
    }
    uint32_t idims[3] = {(uint32_t)n, SIDE, SIDE}, ldims[1] = {(uint32_t)n};
    write_idx(images, idims, 3, px, n * SIDE * SIDE, gz_images);
    write_idx(labels, ldims, 1, lab, n, !gz_images);
}

/* Clean CSV rows first..first+n-1 (nothing for the data stage to drop: no duplicates,
 * no missing cells, no values beyond the IQR fences) of three kinds. */
static void write_csv(const char *path, size_t first, size_t n)
{
    static const char *const kinds[] = {"low", "mid", "high"};
    tfg_buf b;
    tfg_buf_init(&b);
    tfg_buf_printf(&b, "a,b,c,kind\n");
    for (size_t i = first; i < first + n; i++)
        tfg_buf_printf(&b, "%.3f,%.3f,%.1f,%s\n", (double)(i % 3) + 0.01 * (double)(i % 17),
                       2.0 * (double)(i % 3) + 0.013 * (double)(i % 11), 0.1 * (double)(i % 7),
                       kinds[i % 3]);
    char *text = tfg_buf_take(&b);
    fx_write(path, text);
    free(text);
}

static void env_open(env *e)
{
    memset(e, 0, sizeof *e);
    e->dir = fx_tmpdir();
    e->run = tfg_xasprintf("%s/run", e->dir);
    e->spec_out = tfg_xasprintf("%s/spec.json", e->dir);
    e->images = tfg_xasprintf("%s/train-images-idx3-ubyte.gz", e->dir);
    e->labels = tfg_xasprintf("%s/train-labels-idx1-ubyte", e->dir);
    e->test_images = tfg_xasprintf("%s/t10k-images-idx3-ubyte", e->dir);
    e->test_labels = tfg_xasprintf("%s/t10k-labels-idx1-ubyte.gz", e->dir);
    e->csv = tfg_xasprintf("%s/kinds.csv", e->dir);
    e->test_csv = tfg_xasprintf("%s/kinds-test.csv", e->dir);
    write_images(e->images, e->labels, N_TRAIN, 0, true);
    write_images(e->test_images, e->test_labels, N_TEST, N_TRAIN, false);
    write_csv(e->csv, 0, N_CSV);
    write_csv(e->test_csv, N_CSV, N_CSV_TEST);
    tfg_err err;
    CHECK(tfg_boards_load(tfg_boards_default_path(), &e->boards, &err) == TFG_OK);
    CHECK(tfg_llm_prices_load(tfg_llm_prices_default_path(), &e->prices, &err) == TFG_OK);
    tfg_llm_config_default(&e->cfg);
    tfg_pilot_policy_default(&e->pol);
}

static void env_close(env *e)
{
    fx_server_stop(&e->srv);
    tfg_pilot_policy_free(&e->pol);
    tfg_llm_config_free(&e->cfg);
    tfg_llm_prices_free(&e->prices);
    tfg_boards_free(&e->boards);
    fx_rmtree(e->dir);
    char *strs[] = {e->dir,         e->run,         e->spec_out, e->images, e->labels,
                    e->test_images, e->test_labels, e->csv,      e->test_csv};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
        free(strs[i]);
}

/* The spec stage on these files (NULL: not given). */
static tfg_status run_spec(env *e, const char *request, const char *data, const char *labels,
                           const char *test, const char *test_labels, tfg_pilot_result *r,
                           tfg_err *err)
{
    tfg_pilot_opts po = {.out = e->run, .boards = &e->boards, .config = &e->cfg,
                         .prices = &e->prices, .policy = &e->pol, .request = request,
                         .data_file = data, .labels_file = labels, .test_file = test,
                         .test_labels_file = test_labels, .spec_out = e->spec_out,
                         .csv = e->csv_opts};
    tfg_pilot *p;
    tfg_status st = tfg_pilot_open(&p, &po, err);
    if (!st)
        st = tfg_pilot_run_stage(p, "spec", r, err);
    tfg_pilot_close(p);
    return st;
}

/* Runs the data stage on the accepted spec; the rows of each split from summary.json. */
static void data_splits(env *e, json_int_t *train_val, json_int_t *test)
{
    tfg_spec s;
    tfg_err err;
    CHECK_MSG(tfg_spec_load(e->spec_out, &e->boards, &s, &err) == TFG_OK, "%s", err.msg);
    tfg_data_opts o = {.out = e->run, .force = true};
    tfg_data_outcome out;
    CHECK_MSG(tfg_data_stage(&s, &o, &out, &err) == TFG_OK, "%s", err.msg);
    const json_t *sp = json_object_get(out.summary, "splits");
    *train_val = json_integer_value(json_object_get(json_object_get(sp, "train"), "rows")) +
                 json_integer_value(json_object_get(json_object_get(sp, "val"), "rows"));
    *test = json_integer_value(json_object_get(json_object_get(sp, "test"), "rows"));
    tfg_data_outcome_free(&out);
    tfg_spec_free(&s);
}

static json_t *load_spec_json(const env *e)
{
    json_t *j = NULL;
    tfg_err err;
    CHECK_MSG(tfg_json_load_file(e->spec_out, &j, &err) == TFG_OK, "%s", err.msg);
    return j;
}

/* The builtin on images: classification of "label", the sources as given (the test
 * images pinned to the test split), a name from the images file, the board the request
 * names, no class names and no model; the data stage keeps the 12 test images as the
 * test split. */
static void test_builtin_idx(void)
{
    env e;
    env_open(&e);
    tfg_pilot_result r;
    tfg_err err;
    CHECK_MSG(run_spec(&e, "sort these little pictures into four kinds on the Nucleo L4R5ZI",
                       e.images, e.labels, e.test_images, e.test_labels, &r, &err) == TFG_OK,
              "%s", err.msg);
    CHECK(r.ok && r.attempts == 1 && !strcmp(r.backend, "builtin"));
    json_t *j = load_spec_json(&e);
    CHECK_STR(json_string_value(json_object_get(j, "name")), "train_images");
    CHECK_STR(json_string_value(json_object_get(j, "task")), "classification");
    CHECK_STR(json_string_value(json_object_get(j, "board")), "nucleo_l4r5zi");
    const json_t *data = json_object_get(j, "data");
    CHECK_STR(json_string_value(json_object_get(data, "label")), "label");
    CHECK(!json_object_get(data, "classes") && !json_object_get(j, "model"));
    const json_t *srcs = json_object_get(data, "sources");
    CHECK_INT(json_array_size(srcs), 2);
    const json_t *s0 = json_array_get(srcs, 0), *s1 = json_array_get(srcs, 1);
    CHECK_STR(json_string_value(json_object_get(s0, "format")), "idx");
    CHECK_STR(json_string_value(json_object_get(s0, "images")), e.images);
    CHECK_STR(json_string_value(json_object_get(s0, "labels")), e.labels);
    CHECK(!json_object_get(s0, "split"));
    CHECK_STR(json_string_value(json_object_get(s1, "images")), e.test_images);
    CHECK_STR(json_string_value(json_object_get(s1, "labels")), e.test_labels);
    CHECK_STR(json_string_value(json_object_get(s1, "split")), "test");
    json_decref(j);
    json_int_t train_val = 0, test = 0;
    data_splits(&e, &train_val, &test);
    CHECK_INT(test, N_TEST);
    CHECK_INT(train_val, N_TRAIN);
    char *log = tfg_pilot_log_path(e.run);
    CHECK_INT(fx_count_lines(log, "\"sent\":[\"columns\",\"profile\"]"), 1);
    free(log);
    /* Without test data: one source, no split pinned. */
    remove(e.spec_out);
    CHECK_MSG(run_spec(&e, "four kinds", e.images, e.labels, NULL, NULL, &r, &err) == TFG_OK,
              "%s", err.msg);
    j = load_spec_json(&e);
    srcs = json_object_get(json_object_get(j, "data"), "sources");
    CHECK_INT(json_array_size(srcs), 1);
    CHECK(!json_object_get(json_array_get(srcs, 0), "split"));
    json_decref(j);
    env_close(&e);
}

/* A CSV with a CSV of test data: the second source is pinned to the test split, and the
 * data stage's test split is exactly the test file's rows. */
static void test_builtin_csv_test(void)
{
    env e;
    env_open(&e);
    tfg_pilot_result r;
    tfg_err err;
    CHECK_MSG(run_spec(&e, "tell the three kinds apart", e.csv, NULL, e.test_csv, NULL, &r,
                       &err) == TFG_OK,
              "%s", err.msg);
    json_t *j = load_spec_json(&e);
    const json_t *data = json_object_get(j, "data");
    CHECK_STR(json_string_value(json_object_get(data, "label")), "kind");
    const json_t *srcs = json_object_get(data, "sources");
    CHECK_INT(json_array_size(srcs), 2);
    CHECK_STR(json_string_value(json_object_get(json_array_get(srcs, 0), "path")), e.csv);
    CHECK(json_is_true(json_object_get(json_array_get(srcs, 0), "header")));
    CHECK(!json_object_get(json_array_get(srcs, 0), "split"));
    CHECK_STR(json_string_value(json_object_get(json_array_get(srcs, 1), "path")), e.test_csv);
    CHECK_STR(json_string_value(json_object_get(json_array_get(srcs, 1), "split")), "test");
    json_decref(j);
    json_int_t train_val = 0, test = 0;
    data_splits(&e, &train_val, &test);
    CHECK_INT(test, N_CSV_TEST);
    CHECK_INT(train_val, N_CSV);
    env_close(&e);
}

/* Files given in a way no spec can use: usage or input errors naming the file. */
static void test_given_files(void)
{
    env e;
    env_open(&e);
    tfg_pilot_result r;
    tfg_err err;
    CHECK_INT(run_spec(&e, "x", e.images, NULL, NULL, NULL, &r, &err), TFG_EUSAGE);
    CHECK_HAS(err.msg, e.images);
    CHECK_HAS(err.msg, "holds IDX images: their labels file is needed too (--labels FILE)");
    CHECK_INT(run_spec(&e, "x", e.csv, e.labels, NULL, NULL, &r, &err), TFG_EUSAGE);
    CHECK_HAS(err.msg, "a labels file (--labels");
    CHECK_INT(run_spec(&e, "x", e.labels, e.images, NULL, NULL, &r, &err), TFG_EUSAGE);
    CHECK_HAS(err.msg, "holds IDX labels (magic 00 00 08 01), not images");
    CHECK_INT(run_spec(&e, "x", e.images, e.labels, e.test_images, NULL, &r, &err), TFG_EUSAGE);
    CHECK_HAS(err.msg, "(--test-labels FILE)");
    CHECK_INT(run_spec(&e, "x", e.images, e.labels, NULL, e.test_labels, &r, &err), TFG_EUSAGE);
    CHECK_HAS(err.msg, "without test data");
    CHECK_INT(run_spec(&e, "x", e.images, e.labels, e.test_csv, NULL, &r, &err), TFG_EUSAGE);
    CHECK_HAS(err.msg, "give both in one format");
    CHECK_INT(run_spec(&e, "x", e.images, e.labels, e.images, e.labels, &r, &err), TFG_EUSAGE);
    CHECK_HAS(err.msg, "both as the data file and as the test data file");
    /* A test CSV whose columns are not the data's. */
    char *other = tfg_xasprintf("%s/other.csv", e.dir);
    fx_write(other, "a,b,c,class\n0.1,0.2,0.3,low\n");
    CHECK_INT(run_spec(&e, "x", e.csv, NULL, other, NULL, &r, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "column 4 of the test data is 'class', the data has 'kind' there");
    /* Images and labels that disagree in count: the IDX loader's error. */
    CHECK_INT(run_spec(&e, "x", e.images, e.test_labels, NULL, NULL, &r, &err), TFG_EINPUT);
    CHECK(!tfg_exists(e.spec_out));
    free(other);
    env_close(&e);
}

/* ---- against the scripted server ------------------------------------------------------ */

typedef struct {
    const char *cls, *field, *what;
    const char *sources; /* JSON text with @I@ @L@ @TI@ @TL@ @X@ for the files */
    const char *label;
    const char *extra; /* more of the spec (", \"model\": ..."), or NULL */
} fault;

static const fault faults[] = {
    {"spec", "data.sources[0].images", "images and labels swapped",
     "[{\"format\": \"idx\", \"images\": \"@L@\", \"labels\": \"@I@\"}, {\"format\": \"idx\", "
     "\"images\": \"@TI@\", \"labels\": \"@TL@\", \"split\": \"test\"}]",
     "label", NULL},
    {"unsafe", "data.sources[0].labels", "labels from /etc/passwd",
     "[{\"format\": \"idx\", \"images\": \"@I@\", \"labels\": \"/etc/passwd\"}, {\"format\": "
     "\"idx\", \"images\": \"@TI@\", \"labels\": \"@TL@\", \"split\": \"test\"}]",
     "label", NULL},
    {"spec", "data.sources[1].labels", "test images with the training labels",
     "[{\"format\": \"idx\", \"images\": \"@I@\", \"labels\": \"@L@\"}, {\"format\": \"idx\", "
     "\"images\": \"@TI@\", \"labels\": \"@L@\", \"split\": \"test\"}]",
     "label", NULL},
    {"spec", "data.sources[1].split", "test images not pinned to the test split",
     "[{\"format\": \"idx\", \"images\": \"@I@\", \"labels\": \"@L@\"}, {\"format\": \"idx\", "
     "\"images\": \"@TI@\", \"labels\": \"@TL@\"}]",
     "label", NULL},
    {"spec", "data.sources[0].split", "training images as the test split",
     "[{\"format\": \"idx\", \"images\": \"@I@\", \"labels\": \"@L@\", \"split\": \"test\"}, "
     "{\"format\": \"idx\", \"images\": \"@TI@\", \"labels\": \"@TL@\", \"split\": \"test\"}]",
     "label", NULL},
    {"spec", "data.sources", "the test data left out",
     "[{\"format\": \"idx\", \"images\": \"@I@\", \"labels\": \"@L@\"}]", "label", NULL},
    {"spec", "data.sources[0].path", "images read as a CSV",
     "[{\"path\": \"@I@\"}, {\"format\": \"idx\", \"images\": \"@TI@\", \"labels\": \"@TL@\", "
     "\"split\": \"test\"}]",
     "label", NULL},
    {"spec", "data.sources[1]", "the training images read twice",
     "[{\"format\": \"idx\", \"images\": \"@I@\", \"labels\": \"@L@\"}, {\"format\": \"idx\", "
     "\"images\": \"@I@\", \"labels\": \"@L@\"}, {\"format\": \"idx\", \"images\": \"@TI@\", "
     "\"labels\": \"@TL@\", \"split\": \"test\"}]",
     "label", NULL},
    {"spec", "data.sources[0].images", "a file the user did not give",
     "[{\"format\": \"idx\", \"images\": \"@X@\", \"labels\": \"@L@\"}, {\"format\": \"idx\", "
     "\"images\": \"@TI@\", \"labels\": \"@TL@\", \"split\": \"test\"}]",
     "label", NULL},
    {"spec", "data.label", "a label column images do not have",
     "[{\"format\": \"idx\", \"images\": \"@I@\", \"labels\": \"@L@\"}, {\"format\": \"idx\", "
     "\"images\": \"@TI@\", \"labels\": \"@TL@\", \"split\": \"test\"}]",
     "kind", NULL},
    /* issue 22: what reaches past the project is unsafe, not a mere spec fault */
    {"unsafe", "data.sources[0].images", "images from a URL",
     "[{\"format\": \"idx\", \"images\": \"https://example.com/x.gz\", \"labels\": \"@L@\"}, "
     "{\"format\": \"idx\", \"images\": \"@TI@\", \"labels\": \"@TL@\", \"split\": \"test\"}]",
     "label", NULL},
    {"unsafe", "data.sources[0].labels", "labels from an absolute path outside the project",
     "[{\"format\": \"idx\", \"images\": \"@I@\", \"labels\": \"/opt/labels.gz\"}, "
     "{\"format\": \"idx\", \"images\": \"@TI@\", \"labels\": \"@TL@\", \"split\": \"test\"}]",
     "label", NULL},
    {"unsafe", "model.arch", "the architecture read from /etc/passwd",
     "[{\"format\": \"idx\", \"images\": \"@I@\", \"labels\": \"@L@\"}, {\"format\": \"idx\", "
     "\"images\": \"@TI@\", \"labels\": \"@TL@\", \"split\": \"test\"}]",
     "label", ", \"model\": {\"arch\": \"/etc/passwd\"}"},
    {"unsafe", "model.arch", "an architecture file the user did not give",
     "[{\"format\": \"idx\", \"images\": \"@I@\", \"labels\": \"@L@\"}, {\"format\": \"idx\", "
     "\"images\": \"@TI@\", \"labels\": \"@TL@\", \"split\": \"test\"}]",
     "label", ", \"model\": {\"arch\": \"arch.json\"}"},
};
#define N_FAULTS (sizeof faults / sizeof *faults)

/* A reply proposing a spec with these sources and label, in prose and a fence. */
static json_t *reply_step(const env *e, const char *sources, const char *label,
                          const char *extra, int tokens)
{
    const char *keys[] = {"@TI@", "@TL@", "@I@", "@L@", "@X@"};
    char *other = tfg_xasprintf("%s/other-images.gz", e->dir);
    const char *vals[] = {e->test_images, e->test_labels, e->images, e->labels, other};
    char *s = tfg_xstrdup(sources);
    for (size_t i = 0; i < 5; i++) {
        char *n = fx_replace_all(s, keys[i], vals[i]);
        free(s);
        s = n;
    }
    char *content = tfg_xasprintf(
        "Here is the spec:\n```json\n{\"name\": \"clothes\", \"task\": \"classification\", "
        "\"data\": {\"sources\": %s, \"label\": \"%s\"}, \"board\": \"nucleo_l4r5zi\", "
        "\"seed\": 42%s}\n```\n",
        s, label, extra ? extra : "");
    json_t *step = json_pack("{s:s, s:[i,i]}", "content", content, "usage", tokens, 20);
    free(content);
    free(s);
    free(other);
    return step;
}

static void start_server(env *e, json_t *steps, const char *llm_data)
{
    json_t *script = json_pack("{s:o}", "steps", steps);
    char *text = json_dumps(script, 0);
    json_decref(script);
    CHECK(fx_server_start(&e->srv, e->dir, text) == 0);
    free(text);
    char *cfg = tfg_xasprintf("{\"srv\": {\"type\": \"openai\", \"base_url\": "
                              "\"http://127.0.0.1:%d\", \"model\": \"gpt-4o-mini\", "
                              "\"timeout_ms\": 10000, \"retries\": 0, \"temperature\": 0}}",
                              e->srv.port);
    json_t *j = json_loads(cfg, 0, NULL);
    free(cfg);
    tfg_err err;
    tfg_llm_config_free(&e->cfg);
    CHECK(tfg_llm_config_parse(j, "test-config", &e->cfg, &err) == TFG_OK);
    json_decref(j);
    json_t *routing = json_pack("{s:[s], s:i, s:s}", "spec", "srv", "attempts", 20, "llm_data",
                                llm_data);
    tfg_pilot_policy_free(&e->pol);
    CHECK_MSG(tfg_pilot_policy_parse(routing, "test", &e->cfg, &e->pol, &err) == TFG_OK, "%s",
              err.msg);
    json_decref(routing);
}

/* The user message of the server's first request. */
static char *first_prompt(const env *e)
{
    char *log = fx_read(e->srv.log);
    char *nl = strchr(log, '\n');
    if (nl)
        *nl = '\0';
    json_t *rec = json_loads(log, 0, NULL);
    free(log);
    const json_t *msgs = json_object_get(json_object_get(rec, "body"), "messages");
    const char *user = json_string_value(json_object_get(json_array_get(msgs, 1), "content"));
    char *out = tfg_xstrdup(user ? user : "");
    json_decref(rec);
    return out;
}

/* The prompt for images: one line for 16 pixel columns, the class counts, the exact
 * sources, no image rows even under sample_rows. */
static void check_prompt(const env *e)
{
    char *prompt = first_prompt(e);
    CHECK_HAS(prompt, "40 images of 4x4 grey pixels (columns px0..px15, 0..255) and the column "
                      "label (integer classes: 4 levels, rows per class 0: 10, 1: 10, 2: 10, "
                      "3: 10)");
    CHECK_HAS(prompt, "Test data: 12 more images of 4x4, the test split");
    char *src = tfg_xasprintf("{\"format\": \"idx\", \"images\": \"%s\", \"labels\": \"%s\", "
                              "\"split\": \"test\"}",
                              e->test_images, e->test_labels);
    CHECK_HAS(prompt, src);
    CHECK_HAS(prompt, "(images: not sent)");
    CHECK_HAS(prompt, "\"rows_per_class\"");
    CHECK(!strstr(prompt, "px15:") && !strstr(prompt, "{{"));
    free(src);
    free(prompt);
}

static void test_server_faults(void)
{
    env e;
    env_open(&e);
    json_t *steps = json_array();
    for (size_t i = 0; i < N_FAULTS; i++)
        json_array_append_new(steps,
                              reply_step(&e, faults[i].sources, faults[i].label,
                                         faults[i].extra, 100 + (int)i));
    /* The correct reply: each file in its role. */
    json_array_append_new(
        steps, reply_step(&e,
                          "[{\"format\": \"idx\", \"images\": \"@I@\", \"labels\": \"@L@\"}, "
                          "{\"format\": \"idx\", \"images\": \"@TI@\", \"labels\": \"@TL@\", "
                          "\"split\": \"test\"}]",
                          "label", NULL, 300));
    start_server(&e, steps, "sample_rows");
    tfg_pilot_result r;
    tfg_err err;
    CHECK_MSG(run_spec(&e, "sort the pictures into four kinds", e.images, e.labels,
                       e.test_images, e.test_labels, &r, &err) == TFG_OK,
              "%s", err.msg);
    CHECK_MSG(r.ok && !strcmp(r.backend, "srv"), "accepted by '%s'", r.backend);
    CHECK_INT(r.attempts, (int)N_FAULTS + 1);
    check_prompt(&e);
    /* Each rejected with its class and the field at fault, in order. */
    char *path = tfg_pilot_log_path(e.run), *text = fx_read(path);
    size_t k = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), k++) {
        json_t *rec = json_loads(line, 0, NULL);
        const char *cls = json_string_value(json_object_get(rec, "class"));
        const char *msg = json_string_value(json_object_get(rec, "message"));
        if (k < N_FAULTS) {
            CHECK_MSG(cls && !strcmp(cls, faults[k].cls), "%s: class %s, expected %s: %s",
                      faults[k].what, cls ? cls : "none", faults[k].cls, msg ? msg : "");
            char *field = tfg_xasprintf("spec.json: %s: ", faults[k].field);
            CHECK_MSG(msg && strstr(msg, field), "%s: the message does not name %s: %s",
                      faults[k].what, faults[k].field, msg ? msg : "(none)");
            free(field);
        } else {
            CHECK_STR(json_string_value(json_object_get(rec, "outcome")), "accepted");
            CHECK(strstr(line, "\"sent\":[\"columns\",\"profile\"]") != NULL);
        }
        json_decref(rec);
    }
    CHECK_INT(k, N_FAULTS + 1);
    free(text);
    free(path);
    json_t *j = load_spec_json(&e);
    CHECK_STR(json_string_value(json_object_get(j, "name")), "clothes");
    json_decref(j);
    env_close(&e);
}

/* Under llm_data none the prompt names the classes but sends no counts or profile. */
static void test_prompt_none(void)
{
    env e;
    env_open(&e);
    json_t *steps = json_array();
    json_array_append_new(steps, reply_step(&e,
                                            "[{\"format\": \"idx\", \"images\": \"@I@\", "
                                            "\"labels\": \"@L@\"}]",
                                            "label", NULL, 100));
    start_server(&e, steps, "none");
    tfg_pilot_result r;
    tfg_err err;
    CHECK_MSG(run_spec(&e, "four kinds", e.images, e.labels, NULL, NULL, &r, &err) == TFG_OK,
              "%s", err.msg);
    char *prompt = first_prompt(&e);
    CHECK_HAS(prompt, "(integer classes: 4 levels: 0, 1, 2, 3)");
    CHECK_HAS(prompt, "(not sent: llm_data is none)");
    CHECK(!strstr(prompt, "rows per class") && !strstr(prompt, "rows_per_class"));
    free(prompt);
    char *log = tfg_pilot_log_path(e.run);
    CHECK_INT(fx_count_lines(log, "\"sent\":[\"columns\"]"), 1);
    free(log);
    env_close(&e);
}

/* A dialect given on the command line (new --skip-rows 1) binds the proposal: a spec
 * that leaves skip_rows out would have the data stage detect the file its own way, so
 * it is rejected naming data.sources[0].skip_rows; the one that keeps it is accepted. */
static void test_dialect_given(void)
{
    env e;
    env_open(&e);
    char *pre = tfg_xasprintf("%s/kinds-pre.csv", e.dir), *body = fx_read(e.csv);
    char *text = tfg_xasprintf("exported by a logger\n%s", body);
    fx_write(pre, text);
    tfg_csv_opts given;
    tfg_csv_opts_default(&given);
    given.skip_rows = 1;
    e.csv_opts = &given;
    json_t *steps = json_array();
    const char *tails[] = {"", ", \"skip_rows\": 1"};
    for (size_t i = 0; i < 2; i++) {
        char *c = tfg_xasprintf(
            "```json\n{\"name\": \"kinds\", \"task\": \"classification\", \"data\": "
            "{\"sources\": [{\"path\": \"%s\"%s}], \"label\": \"kind\"}, "
            "\"board\": \"nucleo_l4r5zi\", \"seed\": 42}\n```\n",
            pre, tails[i]);
        json_array_append_new(steps, json_pack("{s:s, s:[i,i]}", "content", c, "usage", 100,
                                               20));
        free(c);
    }
    start_server(&e, steps, "sample_rows");
    tfg_pilot_result r;
    tfg_err err;
    CHECK_MSG(run_spec(&e, "tell the kinds apart", pre, NULL, NULL, NULL, &r, &err) == TFG_OK,
              "%s", err.msg);
    CHECK_MSG(r.ok && !strcmp(r.backend, "srv"), "accepted by '%s'", r.backend);
    CHECK_INT(r.attempts, 2);
    char *log = tfg_pilot_log_path(e.run);
    CHECK_INT(fx_count_lines(log, "data.sources[0].skip_rows: "), 1);
    free(log);
    json_t *j = load_spec_json(&e);
    const json_t *data = json_object_get(j, "data");
    const json_t *src = json_array_get(json_object_get(data, "sources"), 0);
    CHECK_INT(json_integer_value(json_object_get(src, "skip_rows")), 1);
    json_decref(j);
    free(pre);
    free(body);
    free(text);
    env_close(&e);
}

TFG_TEST_MAIN(test_builtin_idx, test_builtin_csv_test, test_given_files, test_server_faults,
              test_prompt_none, test_dialect_given)
