/* test_train.c — the trainer: it learns toy problems (blobs, XOR, a line), both
 * optimizers lower the loss, runs are deterministic, early stopping stops and restores
 * the best epoch, divergence and bad options give clear errors, evaluation's confusion
 * matrix is right on a hand-made case, and model files round-trip and refuse corrupt
 * weights. Data is made here with tfg_rng. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "core/alloc.h"
#include "core/hash.h"
#include "core/io.h"
#include "core/rng.h"
#include "nn/train.h"

static tfg_split split_new(uint32_t rows, uint32_t features, uint32_t label_kind,
                           uint32_t n_classes)
{
    tfg_split s;
    memset(&s, 0, sizeof s);
    s.rows = rows, s.features = features, s.rank = 1, s.shape[0] = features;
    s.label_kind = label_kind, s.n_classes = n_classes;
    s.x = tfg_xcalloc((size_t)rows * features + 1, sizeof *s.x);
    if (label_kind == TFG_LABEL_CLASS)
        s.y_class = tfg_xcalloc(rows + 1, sizeof *s.y_class);
    else
        s.y_value = tfg_xcalloc(rows + 1, sizeof *s.y_value);
    return s;
}

/* k Gaussian blobs in 2-D on a circle of radius 3, spread 0.5: separable. */
static tfg_split blobs(uint32_t rows, uint32_t k, uint64_t seed)
{
    tfg_split s = split_new(rows, 2, TFG_LABEL_CLASS, k);
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

static tfg_graph graph(const char *text, uint64_t seed)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    tfg_graph g;
    tfg_err err = {0};
    tfg_status st = tfg_graph_from_json(j, "test.json", NULL, 0, &g, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    json_decref(j);
    tfg_rng r;
    tfg_rng_seed(&r, seed);
    tfg_graph_init_params(&g, &r);
    return g;
}

static const char *MLP3 = "{\"input\": [2], \"layers\": [{\"type\": \"dense\", \"units\": 16, "
                          "\"activation\": \"relu\"}, {\"type\": \"dense\", \"units\": 3}, "
                          "{\"type\": \"softmax\"}]}";

/* SHA-256 of every parameter value (and batchnorm statistics), for bitwise identity. */
static void param_hash(const tfg_graph *g, char out[TFG_SHA256_HEX])
{
    tfg_buf b;
    tfg_buf_init(&b);
    for (size_t i = 0; i < g->n_layers; i++) {
        const tfg_layer *l = &g->layers[i];
        if (l->w.n) tfg_buf_append(&b, l->w.value, l->w.n * sizeof(float));
        if (l->b.n) tfg_buf_append(&b, l->b.value, l->b.n * sizeof(float));
        if (l->mean) tfg_buf_append(&b, l->mean, l->b.n * sizeof(float));
        if (l->var) tfg_buf_append(&b, l->var, l->b.n * sizeof(float));
    }
    tfg_sha256_hex(b.data, b.len, out);
    tfg_buf_free(&b);
}

static tfg_train_opts adam(float lr, uint32_t epochs)
{
    tfg_train_opts o;
    tfg_train_opts_default(&o);
    o.lr = lr, o.epochs = epochs, o.seed = 7;
    return o;
}

static void test_blobs(void)
{
    tfg_split tr = blobs(300, 3, 1), va = blobs(90, 3, 2);
    tfg_graph g = graph(MLP3, 11);
    tfg_train_opts o = adam(0.01f, 20);
    tfg_train_history h;
    tfg_err err = {0};
    tfg_status st = tfg_train(&g, &tr, &va, &o, &h, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    CHECK(h.epochs_run >= 1 && h.epochs_run <= 20);
    CHECK(h.best_epoch >= 1 && h.best_epoch <= h.epochs_run);
    CHECK(h.seconds >= 0 && h.samples_per_s > 0);
    tfg_metrics m;
    uint32_t cm[9];
    CHECK_INT(tfg_evaluate(&g, &va, TFG_LOSS_CROSS_ENTROPY, &m, cm, &err), TFG_OK);
    CHECK_MSG(m.accuracy >= 0.95, "val accuracy %g", m.accuracy);
    /* The restored weights are the best epoch's: evaluation repeats its val metrics. */
    CHECK_NEAR(m.accuracy, h.val[h.best_epoch - 1].accuracy, 1e-12);
    uint32_t total = 0;
    for (int i = 0; i < 9; i++)
        total += cm[i];
    CHECK_INT(total, 90);
    /* 2-class blobs too. */
    tfg_split tr2 = blobs(200, 2, 3), va2 = blobs(60, 2, 4);
    tfg_graph g2 = graph("{\"input\": [2], \"layers\": [{\"type\": \"dense\", \"units\": 8, "
                         "\"activation\": \"relu\"}, {\"type\": \"dense\", \"units\": 2}, "
                         "{\"type\": \"softmax\"}]}",
                         5);
    tfg_train_history h2;
    CHECK_INT(tfg_train(&g2, &tr2, &va2, &o, &h2, &err), TFG_OK);
    CHECK_MSG(h2.val[h2.best_epoch - 1].accuracy >= 0.95, "2-class acc %g",
              h2.val[h2.best_epoch - 1].accuracy);
    tfg_train_history_free(&h);
    tfg_train_history_free(&h2);
    tfg_graph_free(&g);
    tfg_graph_free(&g2);
    tfg_split_free(&tr), tfg_split_free(&va), tfg_split_free(&tr2), tfg_split_free(&va2);
}

/* XOR needs the hidden layer. No softmax here: the loss takes logits (log-sum-exp). */
static void test_xor(void)
{
    tfg_split s = split_new(200, 2, TFG_LABEL_CLASS, 2);
    tfg_rng r;
    tfg_rng_seed(&r, 9);
    for (uint32_t i = 0; i < s.rows; i++) {
        int a = (int)(i & 1), b = (int)((i >> 1) & 1);
        s.x[2 * i] = (float)(a + 0.05 * tfg_rng_normal(&r));
        s.x[2 * i + 1] = (float)(b + 0.05 * tfg_rng_normal(&r));
        s.y_class[i] = a ^ b;
    }
    tfg_graph g = graph("{\"input\": [2], \"layers\": [{\"type\": \"dense\", \"units\": 8, "
                        "\"activation\": \"relu\"}, {\"type\": \"dense\", \"units\": 2}]}",
                        3);
    tfg_train_opts o = adam(0.03f, 60);
    o.batch = 16;
    tfg_train_history h;
    tfg_err err = {0};
    CHECK_INT(tfg_train(&g, &s, NULL, &o, &h, &err), TFG_OK);
    CHECK_INT(h.epochs_run, 60);
    CHECK_INT(h.best_epoch, 60); /* no val: the last epoch */
    tfg_metrics m;
    CHECK_INT(tfg_evaluate(&g, &s, TFG_LOSS_CROSS_ENTROPY, &m, NULL, &err), TFG_OK);
    CHECK_MSG(m.accuracy == 1.0, "xor accuracy %g", m.accuracy);
    CHECK(m.loss < 0.2);
    tfg_train_history_free(&h);
    tfg_graph_free(&g);
    tfg_split_free(&s);
}

static void test_optimizers_lower_loss(void)
{
    tfg_split tr = blobs(150, 3, 21);
    for (int k = 0; k < 2; k++) {
        tfg_graph g = graph(MLP3, 4);
        tfg_train_opts o = adam(0.005f, 5);
        if (k == 0)
            o.optim = TFG_OPTIM_SGD, o.lr = 0.05f, o.momentum = 0.9f;
        o.weight_decay = 1e-4f;
        tfg_metrics before, after;
        tfg_err err = {0};
        CHECK_INT(tfg_evaluate(&g, &tr, TFG_LOSS_CROSS_ENTROPY, &before, NULL, &err), TFG_OK);
        tfg_train_history h;
        CHECK_INT(tfg_train(&g, &tr, NULL, &o, &h, &err), TFG_OK);
        CHECK_INT(tfg_evaluate(&g, &tr, TFG_LOSS_CROSS_ENTROPY, &after, NULL, &err), TFG_OK);
        CHECK_MSG(after.loss < 0.5 * before.loss, "%s: %g -> %g", k ? "adam" : "sgd",
                  before.loss, after.loss);
        CHECK(h.train[4].loss < h.train[0].loss);
        tfg_train_history_free(&h);
        tfg_graph_free(&g);
    }
    tfg_split_free(&tr);
}

static void train_hash(uint64_t seed, uint32_t epochs, const tfg_split *tr,
                       const tfg_split *va, char out[TFG_SHA256_HEX])
{
    tfg_graph g = graph(MLP3, 4);
    tfg_train_opts o = adam(0.01f, epochs);
    o.seed = seed;
    tfg_train_history h;
    tfg_err err = {0};
    CHECK_INT(tfg_train(&g, tr, va, &o, &h, &err), TFG_OK);
    param_hash(&g, out);
    tfg_train_history_free(&h);
    tfg_graph_free(&g);
}

static void test_determinism(void)
{
    tfg_split tr = blobs(120, 3, 5);
    char a[TFG_SHA256_HEX], b[TFG_SHA256_HEX], c[TFG_SHA256_HEX];
    train_hash(1, 3, &tr, NULL, a);
    train_hash(1, 3, &tr, NULL, b);
    train_hash(2, 3, &tr, NULL, c);
    CHECK_STR(a, b);
    CHECK(strcmp(a, c) != 0); /* the seed drives the shuffle */
    tfg_split_free(&tr);
}

/* A validation set whose rows are all the same point, a third of each class: whatever
 * the network predicts, accuracy is 1/3, so epoch 1 stays the best (ties keep the
 * earlier) and patience 2 stops after epoch 3 with epoch 1's weights restored. */
static void test_early_stopping(void)
{
    tfg_split tr = blobs(120, 3, 5);
    tfg_split va = split_new(9, 2, TFG_LABEL_CLASS, 3);
    for (uint32_t i = 0; i < va.rows; i++)
        va.y_class[i] = (int32_t)(i % 3);
    tfg_graph g = graph(MLP3, 4);
    tfg_train_opts o = adam(0.01f, 20);
    o.seed = 1, o.patience = 2;
    tfg_train_history h;
    tfg_err err = {0};
    CHECK_INT(tfg_train(&g, &tr, &va, &o, &h, &err), TFG_OK);
    CHECK_INT(h.epochs_run, 3);
    CHECK_INT(h.best_epoch, 1);
    CHECK_INT(h.stop, TFG_STOP_PATIENCE);
    CHECK_NEAR(h.val[0].accuracy, 1.0 / 3.0, 1e-12);
    CHECK_NEAR(h.val[2].accuracy, 1.0 / 3.0, 1e-12);
    char restored[TFG_SHA256_HEX], one[TFG_SHA256_HEX];
    param_hash(&g, restored);
    train_hash(1, 1, &tr, NULL, one);
    CHECK_STR(restored, one);
    tfg_train_history_free(&h);
    tfg_graph_free(&g);
    tfg_split_free(&tr);
    tfg_split_free(&va);
}

/* Separable blobs that go on improving: with no patience the bound ends the loop and
 * says so; with no validation rows every epoch runs and that is said too. */
static void test_stop_reasons(void)
{
    tfg_split tr = blobs(120, 3, 5), va = blobs(30, 3, 6);
    tfg_graph g = graph(MLP3, 4);
    tfg_train_opts o = adam(0.01f, 4);
    o.patience = 0;
    tfg_train_history h;
    tfg_err err = {0};
    CHECK_INT(tfg_train(&g, &tr, &va, &o, &h, &err), TFG_OK);
    CHECK_INT(h.epochs_run, 4);
    CHECK_INT(h.stop, TFG_STOP_BOUND);
    CHECK_STR(tfg_train_stop_name(h.stop), "bound");
    tfg_train_history_free(&h);
    CHECK_INT(tfg_train(&g, &tr, NULL, &o, &h, &err), TFG_OK);
    CHECK_INT(h.stop, TFG_STOP_NO_VALIDATION);
    CHECK_INT(h.best_epoch, 4);
    tfg_train_history_free(&h);
    tfg_graph_free(&g);
    tfg_split_free(&tr);
    tfg_split_free(&va);
}

static void test_divergence(void)
{
    tfg_split tr = blobs(120, 3, 5);
    tfg_graph g = graph(MLP3, 4);
    tfg_train_opts o = adam(1e30f, 5);
    o.optim = TFG_OPTIM_SGD;
    tfg_train_history h;
    tfg_err err = {0};
    CHECK_INT(tfg_train(&g, &tr, NULL, &o, &h, &err), TFG_ECHECK);
    CHECK_HAS(err.msg, "training diverged at epoch ");
    CHECK_HAS(err.msg, "lower the learning rate (training.lr)");
    CHECK(h.train == NULL && h.epochs_run == 0);
    tfg_graph_free(&g);
    /* Regression: the squared error itself overflows. */
    tfg_split line = split_new(50, 1, TFG_LABEL_VALUE, 0);
    for (uint32_t i = 0; i < line.rows; i++)
        line.x[i] = (float)i, line.y_value[i] = 3.0f * (float)i;
    g = graph("{\"input\": [1], \"layers\": [{\"type\": \"dense\", \"units\": 1}]}", 2);
    o.loss = TFG_LOSS_MSE;
    CHECK_INT(tfg_train(&g, &line, NULL, &o, &h, &err), TFG_ECHECK);
    CHECK_HAS(err.msg, "training diverged at epoch 1 (");
    tfg_graph_free(&g);
    tfg_split_free(&line);
    /* An empty training split is an input error. */
    tfg_split empty = split_new(0, 2, TFG_LABEL_CLASS, 3);
    g = graph(MLP3, 4);
    o = adam(0.01f, 2);
    CHECK_INT(tfg_train(&g, &empty, NULL, &o, &h, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "no rows");
    /* Labels the network cannot output. */
    tr.y_class[7] = 5;
    CHECK_INT(tfg_train(&g, &tr, NULL, &o, &h, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "row 7: class 5");
    tfg_graph_free(&g);
    tfg_split_free(&tr);
    tfg_split_free(&empty);
}

static void test_opts_check(void)
{
    tfg_train_opts o;
    tfg_err err = {0};
    tfg_train_opts_default(&o);
    CHECK_INT(tfg_train_opts_check(&o, &err), TFG_OK);
    CHECK(o.optim == TFG_OPTIM_ADAM && o.batch == 32 && o.epochs == 1000 && o.patience == 20);
    o.patience = 2000; /* more than epochs: fine */
    CHECK_INT(tfg_train_opts_check(&o, &err), TFG_OK);
    tfg_train_opts_default(&o), o.epochs = 0;
    CHECK_INT(tfg_train_opts_check(&o, &err), TFG_EINPUT);
    CHECK_STR(err.msg, "training.epochs: must be at least 1");
    tfg_train_opts_default(&o), o.lr = NAN;
    CHECK_INT(tfg_train_opts_check(&o, &err), TFG_EINPUT);
    CHECK_STR(err.msg, "training.lr: must be a finite number > 0");
    tfg_train_opts_default(&o), o.lr = 0;
    CHECK_INT(tfg_train_opts_check(&o, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "training.lr");
    tfg_train_opts_default(&o), o.batch = 0;
    CHECK_INT(tfg_train_opts_check(&o, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "training.batch");
    tfg_train_opts_default(&o), o.beta1 = 1.0f;
    CHECK_INT(tfg_train_opts_check(&o, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "training.beta1");
    tfg_train_opts_default(&o), o.beta2 = -0.1f;
    CHECK_INT(tfg_train_opts_check(&o, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "training.beta2");
    tfg_train_opts_default(&o), o.weight_decay = INFINITY;
    CHECK_INT(tfg_train_opts_check(&o, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "training.weight_decay");
    tfg_train_opts_default(&o), o.momentum = 1.5f;
    CHECK_INT(tfg_train_opts_check(&o, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "training.momentum");
}

/* Identity weights: the prediction is the larger input (the first on a tie). */
static void test_evaluate_confusion(void)
{
    tfg_graph g = graph("{\"input\": [2], \"layers\": [{\"type\": \"dense\", \"units\": 2}, "
                        "{\"type\": \"softmax\"}]}",
                        1);
    float w[4] = {1, 0, 0, 1};
    memcpy(g.layers[0].w.value, w, sizeof w);
    memset(g.layers[0].b.value, 0, 2 * sizeof(float));
    static const float x[6][2] = {{1, 0}, {0, 1}, {1, 0}, {0, 1}, {2, 0}, {0, 0}};
    static const int32_t y[6] = {0, 1, 1, 1, 0, 1};
    tfg_split s = split_new(6, 2, TFG_LABEL_CLASS, 2);
    memcpy(s.x, x, sizeof x);
    memcpy(s.y_class, y, sizeof y);
    tfg_metrics m;
    uint32_t cm[4];
    tfg_err err = {0};
    CHECK_INT(tfg_evaluate(&g, &s, TFG_LOSS_CROSS_ENTROPY, &m, cm, &err), TFG_OK);
    /* predictions 0 1 0 1 0 0 (the tie picks class 0) */
    CHECK_INT(cm[0], 2); /* true 0, predicted 0 */
    CHECK_INT(cm[1], 0); /* true 0, predicted 1 */
    CHECK_INT(cm[2], 2); /* true 1, predicted 0 */
    CHECK_INT(cm[3], 2); /* true 1, predicted 1 */
    CHECK_NEAR(m.accuracy, 4.0 / 6.0, 1e-12);
    double p1 = exp(1.0) / (exp(1.0) + 1.0), p2 = exp(2.0) / (exp(2.0) + 1.0);
    double loss = (-log(p1) * 3 - log(1 - p1) - log(p2) - log(0.5)) / 6.0;
    CHECK_NEAR(m.loss, loss, 1e-6);
    tfg_graph_free(&g);
    tfg_split_free(&s);
}

static void test_regression(void)
{
    tfg_split s = split_new(200, 1, TFG_LABEL_VALUE, 0);
    tfg_rng r;
    tfg_rng_seed(&r, 3);
    for (uint32_t i = 0; i < s.rows; i++) {
        s.x[i] = (float)(2.0 * tfg_rng_uniform(&r) - 1.0);
        s.y_value[i] = 2.0f * s.x[i] + 1.0f;
    }
    tfg_graph g = graph("{\"input\": [1], \"layers\": [{\"type\": \"dense\", \"units\": 1}]}",
                        2);
    tfg_train_opts o = adam(0.1f, 30);
    o.optim = TFG_OPTIM_SGD, o.momentum = 0.5f, o.loss = TFG_LOSS_MSE, o.batch = 10;
    tfg_metrics before, after;
    tfg_err err = {0};
    CHECK_INT(tfg_evaluate(&g, &s, TFG_LOSS_MSE, &before, NULL, &err), TFG_OK);
    CHECK(isnan(before.accuracy));
    tfg_train_history h;
    CHECK_INT(tfg_train(&g, &s, &s, &o, &h, &err), TFG_OK);
    CHECK_INT(tfg_evaluate(&g, &s, TFG_LOSS_MSE, &after, NULL, &err), TFG_OK);
    CHECK_MSG(after.loss < 1e-4 && after.loss < before.loss, "%g -> %g", before.loss,
              after.loss);
    CHECK_NEAR(g.layers[0].w.value[0], 2.0, 0.01);
    CHECK_NEAR(g.layers[0].b.value[0], 1.0, 0.01);
    /* Regression keeps the lowest val loss, so the history agrees with the weights. */
    CHECK_NEAR(after.loss, h.val[h.best_epoch - 1].loss, 1e-9);
    tfg_train_history_free(&h);
    /* Class labels with MSE are refused. */
    tfg_split c = blobs(10, 2, 1);
    tfg_graph g1 = graph("{\"input\": [2], \"layers\": [{\"type\": \"dense\", \"units\": 1}]}",
                         2);
    CHECK_INT(tfg_train(&g1, &c, NULL, &o, &h, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "target values");
    tfg_graph_free(&g1);
    tfg_graph_free(&g);
    tfg_split_free(&s);
    tfg_split_free(&c);
}

/* ---- model files -------------------------------------------------------------------- */

static char *tmpdir(void)
{
    char *d = tfg_xstrdup("/tmp/tfg_train_XXXXXX");
    CHECK(mkdtemp(d) != NULL);
    return d;
}

static void write_bytes(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    fwrite(p, 1, n, f);
    fclose(f);
}

static const char *BN_NET =
    "{\"input\": [2], \"layers\": [{\"type\": \"dense\", \"units\": 6}, "
    "{\"type\": \"batchnorm\"}, {\"type\": \"relu\"}, {\"type\": \"dense\", \"units\": 3}, "
    "{\"type\": \"softmax\"}]}";

static void test_model_roundtrip(void)
{
    tfg_split tr = blobs(90, 3, 8);
    tfg_graph g = graph(BN_NET, 6);
    tfg_train_opts o = adam(0.01f, 3);
    tfg_train_history h;
    tfg_err err = {0};
    CHECK_INT(tfg_train(&g, &tr, NULL, &o, &h, &err), TFG_OK);
    tfg_train_history_free(&h);
    char *dir = tmpdir();
    char *mj = tfg_path_join(dir, "model.json"), *wb = tfg_path_join(dir, "weights.bin");
    tfg_status st = tfg_model_save(&g, mj, wb, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);

    tfg_graph g2;
    st = tfg_model_load(mj, wb, &g2, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    char a[TFG_SHA256_HEX], b[TFG_SHA256_HEX];
    param_hash(&g, a);
    param_hash(&g2, b);
    CHECK_STR(a, b);
    tfg_net *n1 = tfg_net_new(&g, 90), *n2 = tfg_net_new(&g2, 90);
    const float *o1 = tfg_net_forward(n1, tr.x, 90, false);
    const float *o2 = tfg_net_forward(n2, tr.x, 90, false);
    CHECK(memcmp(o1, o2, 90 * 3 * sizeof(float)) == 0);
    tfg_net_free(n1);
    tfg_net_free(n2);
    tfg_graph_free(&g2);

    /* model.json says what it is. */
    json_t *j = json_load_file(mj, 0, NULL);
    CHECK_STR(json_string_value(json_object_get(j, "format")), "tinyforge-model");
    CHECK_INT(json_integer_value(json_object_get(j, "version")), 1);
    CHECK_INT(json_integer_value(json_object_get(j, "params")), tfg_graph_param_count(&g));
    json_t *l0 = json_array_get(json_object_get(j, "layers"), 0);
    CHECK_INT(json_integer_value(json_array_get(json_object_get(l0, "weights"), 0)), 6);
    CHECK_INT(json_integer_value(json_array_get(json_object_get(l0, "weights"), 1)), 2);
    CHECK_INT(json_integer_value(json_array_get(json_object_get(l0, "bias"), 0)), 6);
    json_decref(j);

    /* Corrupt weight files: each refused with the file and the byte offset. */
    char *buf;
    size_t len;
    CHECK_INT(tfg_read_file(wb, TFG_READ_MAX_DEFAULT, &buf, &len, &err), TFG_OK);
    /* 12+6 + 6+6+6+6 (batchnorm) + 18+3 values */
    CHECK_INT(len, 16 + 4 * (18 + 24 + 21));
    char *bad = tfg_path_join(dir, "bad.bin");
    write_bytes(bad, buf, len - 3);
    CHECK_INT(tfg_model_load(mj, bad, &g2, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "bad.bin: byte ");
    CHECK_HAS(err.msg, "truncated");
    CHECK(g2.layers == NULL);
    write_bytes(bad, buf, 10);
    CHECK_INT(tfg_model_load(mj, bad, &g2, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "bad.bin: byte 10: ");
    buf[0] = 'X';
    write_bytes(bad, buf, len);
    CHECK_INT(tfg_model_load(mj, bad, &g2, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "bad.bin: byte 0: wrong magic");
    buf[0] = 'T';
    buf[12] = (char)(buf[12] + 1);
    write_bytes(bad, buf, len);
    CHECK_INT(tfg_model_load(mj, bad, &g2, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "bad.bin: byte 12: the file holds 64 values but the architecture");
    buf[12] = (char)(buf[12] - 1);
    buf[8] = 2;
    write_bytes(bad, buf, len);
    CHECK_INT(tfg_model_load(mj, bad, &g2, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "byte 8: version 2");
    buf[8] = 1;
    memset(buf + 16, 0xff, 4); /* a NaN */
    write_bytes(bad, buf, len);
    CHECK_INT(tfg_model_load(mj, bad, &g2, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "byte 16: the value is not a finite number");
    free(buf);

    /* A model.json that is not ours. */
    const char *other = "{\"format\": \"other\", \"version\": 1}";
    write_bytes(bad, other, strlen(other));
    CHECK_INT(tfg_model_load(bad, wb, &g2, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "format");

    tfg_err e2;
    CHECK_INT(tfg_rmtree(dir, &e2), TFG_OK);
    free(bad), free(mj), free(wb), free(dir);
    tfg_graph_free(&g);
    tfg_split_free(&tr);
}

TFG_TEST_MAIN(test_opts_check, test_evaluate_confusion, test_blobs, test_xor,
              test_optimizers_lower_loss, test_determinism, test_early_stopping,
              test_stop_reasons, test_divergence, test_regression, test_model_roundtrip)
