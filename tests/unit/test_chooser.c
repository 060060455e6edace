/* test_chooser.c — the architecture chooser: the candidates for flat and image inputs
 * (smallest first, fruit's first is 3 -> 8 -> 5 -> 3, Fashion-MNIST's under 64K
 * parameters), the size estimates, the budget check's message, candidates under an
 * Arduino Uno's budget by the whole firmware's rule (spec/fit.h), and the search on
 * separable blobs (and tiny images, which trains a CNN end to end). */
#include <math.h>
#include <string.h>

#include "../check.h"
#include "core/alloc.h"
#include "core/rng.h"
#include "nn/chooser.h"

static tfg_arch_need flat_need(uint32_t inputs, uint32_t classes)
{
    tfg_arch_need n;
    memset(&n, 0, sizeof n);
    n.classification = classes > 0;
    n.input.rank = 1, n.input.dim[0] = inputs;
    n.n_outputs = classes ? classes : 1;
    return n;
}

static tfg_arch_need image_need(uint32_t h, uint32_t w, uint32_t c, uint32_t classes)
{
    tfg_arch_need n;
    memset(&n, 0, sizeof n);
    n.classification = true;
    n.input.rank = 3, n.input.dim[0] = h, n.input.dim[1] = w, n.input.dim[2] = c;
    n.n_outputs = classes;
    return n;
}

static tfg_status build(const json_t *arch, const tfg_arch_need *need, tfg_graph *g)
{
    tfg_err err = {0};
    tfg_status st = tfg_graph_from_json(arch, "candidate", &need->input, need->n_outputs, g,
                                        &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    return st;
}

/* Every candidate builds, fits need's budget and is no smaller than the one before. */
static size_t check_list(const json_t *list, const tfg_arch_need *need, size_t max_params)
{
    size_t prev = 0;
    for (size_t i = 0; i < json_array_size(list); i++) {
        tfg_graph g;
        if (build(json_array_get(list, i), need, &g))
            continue;
        size_t p = tfg_graph_param_count(&g);
        CHECK_MSG(p >= prev, "candidate %zu has %zu params, fewer than %zu", i, p, prev);
        CHECK_MSG(p <= max_params, "candidate %zu has %zu params", i, p);
        tfg_err err = {0};
        CHECK_MSG(tfg_graph_check_budget(&g, need, "c", &err) == TFG_OK, "%s", err.msg);
        prev = p;
        tfg_graph_free(&g);
    }
    return json_array_size(list);
}

static void test_fruit_first(void)
{
    tfg_arch_need need = flat_need(3, 3);
    json_t *list = tfg_arch_candidates(&need);
    CHECK_INT(check_list(list, &need, SIZE_MAX), 12);
    tfg_graph g;
    /* first the linear model (multinomial logistic regression): 3 x 3 weights + 3 */
    if (!build(json_array_get(list, 0), &need, &g)) {
        CHECK_INT(g.n_layers, 2);
        CHECK(g.layers[0].kind == TFG_LAYER_DENSE && g.layers[0].units == 3);
        CHECK(g.layers[0].act == TFG_ACT_NONE);
        CHECK(g.layers[1].kind == TFG_LAYER_SOFTMAX);
        CHECK_INT(tfg_graph_param_count(&g), 12);
        tfg_graph_free(&g);
    }
    /* then the smallest MLP, one hidden layer: 3-8-3 */
    if (!build(json_array_get(list, 1), &need, &g)) {
        CHECK_INT(g.n_layers, 3);
        CHECK(g.layers[0].kind == TFG_LAYER_DENSE && g.layers[0].units == 8);
        CHECK(g.layers[0].act == TFG_ACT_RELU);
        CHECK(g.layers[1].kind == TFG_LAYER_DENSE && g.layers[1].units == 3);
        CHECK_INT(tfg_graph_param_count(&g), 3 * 8 + 8 + 8 * 3 + 3);
        tfg_graph_free(&g);
    }
    /* then 3-8-5-3, the smallest with two hidden layers */
    if (!build(json_array_get(list, 2), &need, &g)) {
        CHECK_INT(g.n_layers, 4);
        CHECK_INT(g.tensors[0].dim[0], 3);
        CHECK(g.layers[0].kind == TFG_LAYER_DENSE && g.layers[0].units == 8);
        CHECK(g.layers[0].act == TFG_ACT_RELU);
        CHECK(g.layers[1].kind == TFG_LAYER_DENSE && g.layers[1].units == 5);
        CHECK(g.layers[2].kind == TFG_LAYER_DENSE && g.layers[2].units == 3);
        CHECK(g.layers[2].act == TFG_ACT_NONE);
        CHECK(g.layers[3].kind == TFG_LAYER_SOFTMAX);
        /* int8 weights 24 + 40 + 15; int32 bias, multiplier and shift for 8 + 5 + 3
         * channels; three dense ops' parameters and softmax's; 16 KiB of code */
        CHECK_INT(tfg_graph_flash_estimate(&g, NULL), 79 + 12 * 16 + 3 * 56 + 48 + 16384);
        /* a Cortex-M: arena, input 3 + output 3, the 4 KiB stack, the frame server */
        CHECK_INT(tfg_graph_ram_estimate(&g, NULL),
                  tfg_graph_activation_bytes(&g) + 6 + 4096 + 320);
        /* the Uno: the weights in RAM too, the 256-byte stack, the sketch's own data
         * (324 + 8 per feature + the names "apple", "banana", "orange" + a pointer each) */
        tfg_arch_need uno = need;
        uno.arch = TFG_FIT_AVR, uno.class_name_bytes = 6 + 7 + 7;
        CHECK_INT(tfg_graph_ram_estimate(&g, &uno),
                  tfg_graph_activation_bytes(&g) + 6 + 256 + 324 + 8 * 3 + 20 + 2 * 3 +
                      (79 + 12 * 16 + 3 * 56 + 48));
        tfg_graph_free(&g);
    }
    json_decref(list);

    /* Regression ends in one linear output. */
    need = flat_need(4, 0);
    list = tfg_arch_candidates(&need);
    CHECK(json_array_size(list) > 0);
    if (json_array_size(list) > 0 && !build(json_array_get(list, 0), &need, &g)) {
        CHECK(g.layers[g.n_layers - 1].kind == TFG_LAYER_DENSE);
        CHECK_INT(g.layers[g.n_layers - 1].units, 1);
        tfg_graph_free(&g);
    }
    json_decref(list);
}

static void test_fashion_mnist(void)
{
    tfg_arch_need need = image_need(28, 28, 1, 10);
    json_t *list = tfg_arch_candidates(&need);
    CHECK(check_list(list, &need, 64 * 1024) >= 2);
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *l0 = json_array_get(json_object_get(json_array_get(list, i), "layers"), 0);
        CHECK_STR(json_string_value(json_object_get(l0, "type")), "conv2d");
    }
    json_decref(list);
}

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    CHECK_MSG(j != NULL, "%s", je.text);
    return j;
}

static void test_budget_message(void)
{
    tfg_arch_need need = flat_need(784, 10);
    need.flash_bytes = 256 * 1024;
    json_t *a = parse("{\"input\": [784], \"layers\": [{\"type\": \"dense\", \"units\": 16},"
                      "{\"type\": \"dense\", \"units\": 1024}, {\"type\": \"dense\", "
                      "\"units\": 512}, {\"type\": \"dense\", \"units\": 10}]}");
    tfg_graph g;
    tfg_err err = {0};
    if (!build(a, &need, &g)) {
        CHECK_INT(tfg_graph_check_budget(&g, &need, "arch.json", &err), TFG_ECHECK);
        CHECK_HAS(err.msg, "arch.json: the network needs ");
        /* 512 x 1024 int8 weights, 12 bytes for each of 512 channels, the op's 56 */
        CHECK_HAS(err.msg, " of flash, the budget is 256 KB; the largest layer is layers[2] "
                           "(dense, 518.1 KB); by the firmware rule: ");
        CHECK_HAS(err.msg, " + code 16,384");
        need.flash_bytes = 4 * 1024 * 1024;
        CHECK_INT(tfg_graph_check_budget(&g, &need, "arch.json", &err), TFG_OK);
        tfg_graph_free(&g);
    }
    json_decref(a);

    need = image_need(28, 28, 1, 10);
    need.ram_bytes = 8 * 1024;
    a = parse("{\"input\": [28, 28, 1], \"layers\": [{\"type\": \"conv2d\", \"filters\": 16, "
              "\"kernel\": 3, \"padding\": \"same\"}, {\"type\": \"maxpool\", \"size\": 2}, "
              "{\"type\": \"flatten\"}, {\"type\": \"dense\", \"units\": 10}]}");
    if (!build(a, &need, &g)) {
        CHECK_INT(tfg_graph_check_budget(&g, &need, "arch.json", &err), TFG_ECHECK);
        /* the pool holds its 28x28x16 input and 14x14x16 output at once */
        CHECK_HAS(err.msg, " of RAM, the budget is 8 KB; the largest layer is layers[1] "
                           "(maxpool, 15.3 KB of activations)");
        tfg_graph_free(&g);
    }
    json_decref(a);
}

/* An Arduino Uno: 32 KB of flash, 2 KB of RAM, an AVR. */
static void test_uno(void)
{
    tfg_board avr = {.id = "arduino_uno", .core = "avr5"};
    tfg_arch_need need = flat_need(3, 3);
    json_t *all = tfg_arch_candidates(&need);
    need.flash_bytes = 32768, need.ram_bytes = 2048;
    json_t *names = json_pack("[s, s, s]", "apple", "banana", "orange");
    tfg_arch_need_board(&need, &avr, names);
    json_decref(names);
    CHECK_INT(need.arch, TFG_FIT_AVR);
    CHECK_INT(need.class_name_bytes, 20);
    json_t *uno = tfg_arch_candidates(&need);
    size_t n = check_list(uno, &need, SIZE_MAX);
    CHECK(n > 0 && n < json_array_size(all));
    /* The first (smallest) still fits; the largest does not. */
    CHECK(json_equal(json_array_get(uno, 0), json_array_get(all, 0)));
    json_decref(all);
    json_decref(uno);

    /* Small images: the CNNs need more RAM than an Uno has, so flat MLPs remain. */
    need = image_need(6, 6, 1, 2);
    need.flash_bytes = 32768, need.ram_bytes = 2048, need.arch = TFG_FIT_AVR;
    uno = tfg_arch_candidates(&need);
    CHECK(check_list(uno, &need, SIZE_MAX) > 0);
    const json_t *l0 = json_array_get(json_object_get(json_array_get(uno, 0), "layers"), 0);
    const char *type = json_string_value(json_object_get(l0, "type"));
    CHECK_STR(type ? type : "(none)", "flatten");
    json_decref(uno);

    /* A budget nothing fits: no candidates, and choose() says why. */
    need = flat_need(3, 3);
    need.flash_bytes = 1000;
    uno = tfg_arch_candidates(&need);
    CHECK_INT(json_array_size(uno), 0);
    json_decref(uno);
    tfg_split empty;
    memset(&empty, 0, sizeof empty);
    tfg_train_opts o;
    tfg_train_opts_default(&o);
    tfg_graph g;
    tfg_train_history h;
    json_t *log = NULL;
    tfg_err err = {0};
    CHECK_INT(tfg_arch_choose(&need, &empty, &empty, &o, 0.9, &g, &h, &log, &err), TFG_ECHECK);
    CHECK_HAS(err.msg, "the smallest builtin architecture: the network needs ");
    CHECK_HAS(err.msg, "the budget is 1000 bytes");
    CHECK(log == NULL && g.layers == NULL);
}

/* The budget is the whole firmware's. 32 features and 4 classes on the Uno: 32 -> 16 ->
 * 8 -> 4 fitted the old rule (activations + a quarter of the RAM budget: 560 bytes) but
 * its firmware does not (built, it needs 2,109 bytes of RAM: weights copied to RAM, the
 * sketch's floats), so it is refused with the parts; the linear 32 -> 4, 32 -> 8 -> 4,
 * 32 -> 8 -> 5 -> 4 (built: 1,601 bytes) and 32 -> 16 -> 4 are the candidates left. */
static void test_whole_firmware(void)
{
    tfg_arch_need need = flat_need(32, 4);
    need.flash_bytes = 32768, need.ram_bytes = 2048, need.arch = TFG_FIT_AVR;
    need.class_name_bytes = 4 * 7; /* "class0" .. "class3" */
    json_t *a = parse("{\"input\": [32], \"layers\": [{\"type\": \"dense\", \"units\": 16, "
                      "\"activation\": \"relu\"}, {\"type\": \"dense\", \"units\": 8, "
                      "\"activation\": \"relu\"}, {\"type\": \"dense\", \"units\": 4}, "
                      "{\"type\": \"softmax\"}]}");
    tfg_graph g;
    tfg_err err = {0};
    if (!build(a, &need, &g)) {
        CHECK(tfg_graph_activation_bytes(&g) + 2048 / 4 <= 2048); /* the old rule's fit */
        CHECK_INT(tfg_graph_check_budget(&g, &need, "arch.json", &err), TFG_ECHECK);
        /* weights 672 + 28 x 12 + 3 x 56 + 48; arena 48; 32 + 4; 256;
         * 324 + 8 x 32 + 28 + 2 x 4 */
        CHECK_HAS(err.msg, "arch.json: the network needs 2.1 KB of RAM, the budget is 2 KB");
        CHECK_HAS(err.msg, "by the firmware rule: 2,180 bytes = weights 1,224 (copied to RAM "
                           "on AVR) + arena 48 + input and output 36 + stack 256 + the "
                           "program around the model 616");
        tfg_graph_free(&g);
    }
    json_decref(a);
    json_t *uno = tfg_arch_candidates(&need);
    CHECK_INT(check_list(uno, &need, SIZE_MAX), 4);
    /* the layers' widths, softmax's 0 last: 32 -> 4, 32 -> 8 -> 4, 32 -> 8 -> 5 -> 4,
     * 32 -> 16 -> 4 */
    static const int widths[4][4] = {{4, 0}, {8, 4, 0}, {8, 5, 4, 0}, {16, 4, 0}};
    for (size_t i = 0; i < 4 && i < json_array_size(uno); i++) {
        const json_t *ls = json_object_get(json_array_get(uno, i), "layers");
        for (size_t k = 0; k < json_array_size(ls); k++)
            CHECK_MSG(json_integer_value(json_object_get(json_array_get(ls, k), "units")) ==
                          widths[i][k], "candidate %zu layer %zu", i, k);
    }
    json_decref(uno);
    /* The same network on a Cortex-M with 8 KB: weights stay in flash, the stack is 4 KB. */
    need.arch = TFG_FIT_CORTEX_M, need.ram_bytes = 8192;
    uno = tfg_arch_candidates(&need);
    CHECK(json_array_size(uno) >= 3);
    json_decref(uno);
}

/* ---- the search --------------------------------------------------------------------- */

static tfg_split blobs(uint32_t rows, uint32_t k, uint64_t seed)
{
    tfg_split s;
    memset(&s, 0, sizeof s);
    s.rows = rows, s.features = 2, s.rank = 1, s.shape[0] = 2;
    s.label_kind = TFG_LABEL_CLASS, s.n_classes = k;
    s.x = tfg_xcalloc(2 * rows, sizeof *s.x);
    s.y_class = tfg_xcalloc(rows, sizeof *s.y_class);
    tfg_rng r;
    tfg_rng_seed(&r, seed);
    for (uint32_t i = 0; i < rows; i++) {
        uint32_t c = i % k;
        double a = 2.0 * 3.14159265358979 * c / k;
        s.x[2 * i] = (float)(3.0 * cos(a) + 0.5 * tfg_rng_normal(&r));
        s.x[2 * i + 1] = (float)(3.0 * sin(a) + 0.5 * tfg_rng_normal(&r));
        s.y_class[i] = (int32_t)c;
    }
    return s;
}

static size_t count_chosen(const json_t *log, size_t *which)
{
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(log); i++)
        if (json_is_true(json_object_get(json_array_get(log, i), "chosen")))
            n++, *which = i;
    return n;
}

static void test_choose_blobs(void)
{
    tfg_split tr = blobs(300, 3, 1), va = blobs(90, 3, 2);
    tfg_arch_need need = flat_need(2, 3);
    tfg_train_opts o;
    tfg_train_opts_default(&o);
    o.lr = 0.01f, o.epochs = 30, o.seed = 3;
    tfg_graph g;
    tfg_train_history h;
    json_t *log = NULL;
    tfg_err err = {0};
    tfg_status st = tfg_arch_choose(&need, &tr, &va, &o, 0.9, &g, &h, &log, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (!st) {
        /* The smallest candidate reaches 90%: the search stops there. */
        CHECK_INT(json_array_size(log), 1);
        size_t which = 99;
        CHECK_INT(count_chosen(log, &which), 1);
        CHECK_INT(which, 0);
        const json_t *e = json_array_get(log, 0);
        CHECK(json_real_value(json_object_get(e, "val_accuracy")) >= 0.9);
        CHECK_INT(json_integer_value(json_object_get(e, "params")), tfg_graph_param_count(&g));
        CHECK_INT(json_integer_value(json_object_get(e, "epochs")), h.epochs_run);
        CHECK(g.n_layers == 2 && g.layers[0].units == 3); /* the linear model */
        tfg_metrics m;
        CHECK_INT(tfg_evaluate(&g, &va, TFG_LOSS_CROSS_ENTROPY, &m, NULL, &err), TFG_OK);
        CHECK(m.accuracy >= 0.9);
        tfg_graph_free(&g);
        tfg_train_history_free(&h);
        json_decref(log);
    }
    /* No target (the spec's default): the search grows only while it gains 0.5 points
     * and two validation rows, though the first candidate already reached 90%. */
    o.epochs = 10;
    json_t *cands = tfg_arch_candidates(&need);
    size_t all = json_array_size(cands);
    json_decref(cands);
    st = tfg_arch_choose(&need, &tr, &va, &o, NAN, &g, &h, &log, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (!st) {
        size_t n = json_array_size(log), which = 99;
        CHECK(n >= 2 && n <= all);
        CHECK_INT(count_chosen(log, &which), 1);
        double chosen = json_real_value(json_object_get(json_array_get(log, which), "val_accuracy"));
        for (size_t i = 0; i < n; i++) {
            double a = json_real_value(json_object_get(json_array_get(log, i), "val_accuracy"));
            CHECK_MSG(a * 90 < chosen * 90 + 1.5, "candidate %zu: %g vs chosen %g", i, a,
                      chosen);
        }
        /* it stopped because the last one tried was not enough better */
        if (n < all)
            CHECK(which < n - 1);
        tfg_graph_free(&g);
        tfg_train_history_free(&h);
        json_decref(log);
    }
    tfg_split_free(&tr);
    tfg_split_free(&va);
}

/* A bigger network is worth its size when it is right on 0.5 points and two rows more
 * of the validation split; one row more is noise however many points it is. */
static void test_worth_growing(void)
{
    tfg_metrics best = {.loss = 0.5, .accuracy = 26.0 / 27}, c = best;
    c.accuracy = 1.0; /* one row more of 27: 3.7 points */
    CHECK(!tfg_arch_worth_growing(true, &c, &best, 27));
    best.accuracy = 25.0 / 27; /* two rows more */
    CHECK(tfg_arch_worth_growing(true, &c, &best, 27));
    best.accuracy = 0.96, c.accuracy = 0.964; /* four rows of 1,000: under 0.5 points */
    CHECK(!tfg_arch_worth_growing(true, &c, &best, 1000));
    c.accuracy = 0.965;
    CHECK(tfg_arch_worth_growing(true, &c, &best, 1000));
    /* regression: a loss at least 1 % lower */
    c.loss = 0.496;
    CHECK(!tfg_arch_worth_growing(false, &c, &best, 27));
    c.loss = 0.49;
    CHECK(tfg_arch_worth_growing(false, &c, &best, 27));
}

/* 8x8 one-channel images, bright in the top or the bottom half: the CNN candidates
 * build for a small image, and the smallest learns it (conv and pool backward through
 * the trainer). */
static void test_choose_images(void)
{
    tfg_split s[2];
    for (int k = 0; k < 2; k++) {
        tfg_split *p = &s[k];
        memset(p, 0, sizeof *p);
        p->rows = k ? 40 : 160, p->features = 64, p->rank = 3;
        p->shape[0] = 8, p->shape[1] = 8, p->shape[2] = 1;
        p->label_kind = TFG_LABEL_CLASS, p->n_classes = 2;
        p->x = tfg_xcalloc((size_t)p->rows * 64, sizeof *p->x);
        p->y_class = tfg_xcalloc(p->rows, sizeof *p->y_class);
        tfg_rng r;
        tfg_rng_seed(&r, 40 + (uint64_t)k);
        for (uint32_t i = 0; i < p->rows; i++) {
            int c = (int)(i % 2);
            p->y_class[i] = c;
            for (int px = 0; px < 64; px++) {
                bool top = px < 32;
                double v = (top == (c == 0)) ? 1.0 : 0.0;
                p->x[i * 64 + px] = (float)(v + 0.2 * tfg_rng_normal(&r));
            }
        }
    }
    tfg_arch_need need = image_need(8, 8, 1, 2);
    json_t *list = tfg_arch_candidates(&need);
    CHECK(check_list(list, &need, SIZE_MAX) >= 1);
    json_decref(list);
    tfg_train_opts o;
    tfg_train_opts_default(&o);
    o.lr = 0.01f, o.epochs = 8, o.batch = 16, o.seed = 1;
    tfg_graph g;
    tfg_train_history h;
    json_t *log = NULL;
    tfg_err err = {0};
    tfg_status st = tfg_arch_choose(&need, &s[0], &s[1], &o, 0.95, &g, &h, &log, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (!st) {
        CHECK_INT(json_array_size(log), 1);
        CHECK(g.layers[0].kind == TFG_LAYER_CONV2D);
        CHECK(h.val[h.best_epoch - 1].accuracy >= 0.95);
        tfg_graph_free(&g);
        tfg_train_history_free(&h);
        json_decref(log);
    }
    tfg_split_free(&s[0]);
    tfg_split_free(&s[1]);
}

TFG_TEST_MAIN(test_worth_growing, test_fruit_first, test_fashion_mnist, test_budget_message,
              test_uno, test_whole_firmware, test_choose_blobs, test_choose_images)
