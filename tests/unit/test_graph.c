/* test_graph.c — the architecture JSON and what graph.c derives from it: every kind of
 * error (with the file and layer path in its message), shape inference for SAME and
 * VALID padding and strides against hand-computed values, the JSON round trip,
 * parameter counts, activation bytes, MACs and the deterministic weight init. */
#include <jansson.h>

#include "../check.h"
#include "core/rng.h"
#include "nn/graph.h"

/* Parses text; returns the status and leaves the message in err. */
static tfg_status build(const char *text, const tfg_shape *input, uint32_t n_out, tfg_graph *g,
                        tfg_err *err)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    CHECK_MSG(j != NULL, "bad test JSON %s: %s", text, je.text);
    if (!j)
        return TFG_EINTERNAL;
    tfg_err_clear(err);
    tfg_status st = tfg_graph_from_json(j, "arch.json", input, n_out, g, err);
    json_decref(j);
    return st;
}

/* The architecture must fail with TFG_EINPUT and a message containing each needle. */
static void expect_error(const char *text, const char *needle1, const char *needle2)
{
    tfg_graph g;
    tfg_err err;
    tfg_status st = build(text, NULL, 0, &g, &err);
    CHECK_MSG(st == TFG_EINPUT, "accepted: %s", text);
    if (st == TFG_OK) {
        tfg_graph_free(&g);
        return;
    }
    CHECK_HAS(err.msg, needle1);
    if (needle2)
        CHECK_HAS(err.msg, needle2);
}

static void test_errors(void)
{
    expect_error("{\"input\":[4,4,1],\"layers\":[{\"type\":\"conv2d\",\"filters\":2,"
                 "\"kernel\":5}]}",
                 "arch.json: layers[0] (conv2d): kernel 5 is larger than its 4x4 input", NULL);
    expect_error("{\"input\":[8],\"layers\":[{\"type\":\"relu\"},{\"type\":\"dens\","
                 "\"units\":3}]}",
                 "layers[1].type", "did you mean 'dense'");
    expect_error("{\"input\":[8],\"layers\":[{\"type\":\"dense\",\"unit\":3}]}",
                 "layers[0].unit", "did you mean 'units'");
    expect_error("{\"input\":[8],\"layers\":[{\"type\":\"dense\"}]}", "layers[0].units",
                 "required field is missing");
    expect_error("{\"input\":[8],\"layers\":[{\"type\":\"dense\",\"units\":\"3\"}]}",
                 "layers[0].units", "expected an integer");
    expect_error("{\"input\":[8],\"layers\":[{\"type\":\"dense\",\"units\":0}]}",
                 "layers[0].units", "from 1 to 65535");
    expect_error("{\"input\":[8],\"layers\":[{\"units\":3}]}", "layers[0].type", "missing");
    expect_error("{\"input\":[8],\"layers\":[{\"type\":\"dense\",\"units\":3,\"activation\":"
                 "\"relu_6\"}]}",
                 "layers[0].activation", "did you mean 'relu6'");
    expect_error("{\"input\":[8,8,1],\"layers\":[{\"type\":\"conv2d\",\"filters\":2,"
                 "\"kernel\":70000}]}",
                 "layers[0].kernel", "from 1 to 65535");
    expect_error("{\"input\":[8,8,1],\"layers\":[{\"type\":\"conv2d\",\"filters\":2,"
                 "\"kernel\":[3,\"a\"]}]}",
                 "layers[0].kernel", "expected an integer or [height, width]");
    expect_error("{\"input\":[8,8,1],\"layers\":[{\"type\":\"maxpool\",\"size\":2,"
                 "\"padding\":\"full\"}]}",
                 "layers[0].padding", "valid, same");
    expect_error("{\"input\":[8,0,1],\"layers\":[{\"type\":\"relu\"}]}", "arch.json: input",
                 "from 1 to 65535");
    expect_error("{\"input\":[20000,20000,1],\"layers\":[{\"type\":\"relu\"}]}", "input",
                 "2^28");
    expect_error("{\"input\":[1024,1024,1],\"layers\":[{\"type\":\"conv2d\",\"filters\":300,"
                 "\"kernel\":1}]}",
                 "layers[0] (conv2d)", "2^28");
    expect_error("{\"input\":[8,8,2],\"layers\":[{\"type\":\"dense\",\"units\":3}]}",
                 "layers[0] (dense)", "add a flatten before it");
    expect_error("{\"input\":[8],\"layers\":[{\"type\":\"maxpool\",\"size\":2}]}",
                 "layers[0] (maxpool)", "height x width x channels");
    expect_error("{\"input\":[8],\"layers\":[{\"type\":\"reshape\",\"shape\":[3,3,1]}]}",
                 "layers[0] (reshape)", "cannot reshape 8 (8 values) to 3x3x1 (9 values)");
    expect_error("{\"input\":[8],\"layers\":[{\"type\":\"dense\",\"units\":4,\"name\":"
                 "\"block\"},{\"type\":\"add\",\"from\":\"blok\"}]}",
                 "layers[1] (add)", "did you mean 'block'");
    expect_error("{\"input\":[8],\"layers\":[{\"type\":\"dense\",\"units\":4,\"name\":\"a\"},"
                 "{\"type\":\"dense\",\"units\":3},{\"type\":\"add\",\"from\":\"a\"}]}",
                 "layers[2] (add)", "shapes must match");
    expect_error("{\"input\":[8],\"layers\":[{\"type\":\"add\",\"from\":\"later\"},"
                 "{\"type\":\"relu\",\"name\":\"later\"}]}",
                 "layers[0] (add)", "no earlier layer is named 'later'");
    expect_error("{\"input\":[8],\"layers\":[{\"type\":\"relu\",\"name\":\"x\"},"
                 "{\"type\":\"relu\",\"name\":\"x\"}]}",
                 "layers[1] (relu)", "already used by layers[0]");
    expect_error("{\"input\":[8],\"layers\":[]}", "arch.json: layers", "non-empty");
    expect_error("{\"input\":[8],\"layers\":[{\"type\":\"relu\"}],\"output\":3}", "output",
                 "unknown field");
    expect_error("{\"layers\":[{\"type\":\"relu\"}]}", "arch.json: input", "missing");
    expect_error("{\"input\":[8],\"layers\":[{\"type\":\"batchnorm\",\"momentum\":2}]}",
                 "layers[0].momentum", "from 0 to 1");

    /* Against the data: the output count and the input shape. */
    tfg_graph g;
    tfg_err err;
    const char *a = "{\"input\":[4],\"layers\":[{\"type\":\"dense\",\"units\":8}]}";
    CHECK(build(a, NULL, 3, &g, &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "the network gives 8 values, the data has 3");
    tfg_shape five = {1, {5, 0, 0}};
    CHECK(build(a, &five, 8, &g, &err) == TFG_EINPUT);
    CHECK_HAS(err.msg, "arch.json: input: the architecture takes 4 but the data gives 5");
    tfg_shape img = {3, {6, 6, 1}};
    CHECK(build("{\"layers\":[{\"type\":\"flatten\"}]}", &img, 36, &g, &err) == TFG_OK);
    CHECK_INT(g.tensors[0].rank, 3);
    CHECK_INT(g.tensors[1].dim[0], 36);
    tfg_graph_free(&g);
}

/* Builds a one-layer net on input shape in and checks the output and padding. */
static void expect_shape(const char *input, const char *layer, uint32_t oh, uint32_t ow,
                         uint32_t oc, uint32_t pad_top, uint32_t pad_left)
{
    char text[512];
    snprintf(text, sizeof text, "{\"input\":%s,\"layers\":[%s]}", input, layer);
    tfg_graph g;
    tfg_err err;
    tfg_status st = build(text, NULL, 0, &g, &err);
    CHECK_MSG(st == TFG_OK, "%s: %s", text, err.msg);
    if (st)
        return;
    const tfg_shape *o = &g.tensors[1];
    CHECK_INT(o->rank, 3);
    CHECK_MSG(o->dim[0] == oh && o->dim[1] == ow && o->dim[2] == oc,
              "%s: got %ux%ux%u, expected %ux%ux%u", text, o->dim[0], o->dim[1], o->dim[2], oh,
              ow, oc);
    CHECK_INT(g.layers[0].pad_top, pad_top);
    CHECK_INT(g.layers[0].pad_left, pad_left);
    tfg_graph_free(&g);
}

static void test_shapes(void)
{
    /* VALID: floor((in - k) / s) + 1. */
    expect_shape("[28,28,1]", "{\"type\":\"conv2d\",\"filters\":8,\"kernel\":3}", 26, 26, 8, 0,
                 0);
    expect_shape("[7,7,1]", "{\"type\":\"conv2d\",\"filters\":2,\"kernel\":3,\"stride\":2}", 3,
                 3, 2, 0, 0);
    expect_shape("[5,7,2]",
                 "{\"type\":\"conv2d\",\"filters\":4,\"kernel\":[3,2],\"stride\":[1,2]}", 3, 3,
                 4, 0, 0);
    /* SAME: out = ceil(in / s); pad_total = (out-1)*s + k - in; top gets half, rounded
     * down. 7, k3, s2: out 4, total 2, top 1. 6, k3, s2: out 3, total 1, top 0. */
    expect_shape("[28,28,1]",
                 "{\"type\":\"conv2d\",\"filters\":8,\"kernel\":3,\"padding\":\"same\"}", 28, 28,
                 8, 1, 1);
    expect_shape("[7,6,1]",
                 "{\"type\":\"conv2d\",\"filters\":1,\"kernel\":3,\"stride\":2,\"padding\":"
                 "\"same\"}",
                 4, 3, 1, 1, 0);
    /* 9, k4, s1: total 3, top 1; 10, k4, s3: out 4, total 3, left 1. */
    expect_shape("[9,10,3]",
                 "{\"type\":\"depthwise_conv2d\",\"multiplier\":2,\"kernel\":4,\"stride\":"
                 "[1,3],\"padding\":\"same\"}",
                 9, 4, 6, 1, 1);
    /* Pools: stride defaults to the size. */
    expect_shape("[7,7,3]", "{\"type\":\"maxpool\",\"size\":2}", 3, 3, 3, 0, 0);
    expect_shape("[7,7,3]", "{\"type\":\"avgpool\",\"size\":2,\"padding\":\"same\"}", 4, 4, 3,
                 0, 0);
    expect_shape("[8,9,3]", "{\"type\":\"maxpool\",\"size\":[3,2],\"stride\":1}", 6, 8, 3, 0,
                 0);
    /* A SAME kernel larger than the input is allowed (it pads). */
    expect_shape("[2,2,1]",
                 "{\"type\":\"conv2d\",\"filters\":1,\"kernel\":5,\"padding\":\"same\"}", 2, 2,
                 1, 2, 2);
}

static const char *const rich =
    "{\"input\":[12,10,1],\"layers\":["
    "{\"type\":\"conv2d\",\"filters\":4,\"kernel\":[3,2],\"stride\":[1,2],\"padding\":\"same\","
    "\"activation\":\"relu\",\"name\":\"stem\"},"
    "{\"type\":\"batchnorm\",\"eps\":0.001,\"momentum\":0.9},"
    "{\"type\":\"depthwise_conv2d\",\"kernel\":3,\"padding\":\"same\",\"activation\":"
    "\"relu6\"},"
    "{\"type\":\"add\",\"from\":\"stem\"},"
    "{\"type\":\"maxpool\",\"size\":2},"
    "{\"type\":\"avgpool\",\"size\":[2,1],\"stride\":1,\"padding\":\"same\"},"
    "{\"type\":\"relu6\"},"
    "{\"type\":\"reshape\",\"shape\":[48]},"
    "{\"type\":\"dense\",\"units\":10,\"activation\":\"relu\"},"
    "{\"type\":\"relu\"},"
    "{\"type\":\"dense\",\"units\":3},"
    "{\"type\":\"softmax\",\"name\":\"probs\"}]}";

static bool same_graph(const tfg_graph *a, const tfg_graph *b)
{
    if (a->n_layers != b->n_layers || a->n_tensors != b->n_tensors)
        return false;
    for (size_t t = 0; t < a->n_tensors; t++)
        if (memcmp(&a->tensors[t], &b->tensors[t], sizeof a->tensors[t]))
            return false;
    for (size_t i = 0; i < a->n_layers; i++) {
        const tfg_layer *x = &a->layers[i], *y = &b->layers[i];
        if (x->kind != y->kind || strcmp(x->name, y->name) || x->in != y->in ||
            x->in2 != y->in2 || x->out != y->out || x->act != y->act ||
            x->units != y->units || x->filters != y->filters ||
            x->multiplier != y->multiplier || x->kh != y->kh || x->kw != y->kw ||
            x->sh != y->sh || x->sw != y->sw || x->padding != y->padding ||
            x->pad_top != y->pad_top || x->pad_left != y->pad_left || x->eps != y->eps ||
            x->momentum != y->momentum || x->w.n != y->w.n || x->b.n != y->b.n)
            return false;
    }
    return true;
}

static void test_round_trip(void)
{
    tfg_graph g, h;
    tfg_err err;
    CHECK_MSG(build(rich, NULL, 3, &g, &err) == TFG_OK, "%s", err.msg);
    json_t *j = tfg_graph_to_json(&g);
    CHECK(tfg_graph_from_json(j, "again.json", NULL, 3, &h, &err) == TFG_OK);
    CHECK(same_graph(&g, &h));
    json_t *k = tfg_graph_to_json(&h);
    CHECK(json_equal(j, k));
    /* Spot checks that the written JSON says what was read. */
    CHECK_STR(g.layers[0].name, "stem");
    CHECK_STR(g.layers[1].name, "batchnorm_1");
    CHECK_INT(g.layers[3].in2, 1);
    CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(j, "layers"),
                                                                3), "from")), "stem");
    CHECK_NEAR(g.layers[1].momentum, 0.9f, 0);
    json_decref(j);
    json_decref(k);
    tfg_graph_free(&h);
    tfg_graph_free(&g);
}

static void test_counts(void)
{
    tfg_graph g;
    tfg_err err;
    /* Conv 3x3x1 -> 8 on 28x28 SAME, pool 2, flatten 14*14*8 = 1568, dense 10. */
    const char *cnn = "{\"input\":[28,28,1],\"layers\":[{\"type\":\"conv2d\",\"filters\":8,"
                      "\"kernel\":3,\"padding\":\"same\",\"activation\":\"relu\"},{\"type\":"
                      "\"maxpool\",\"size\":2},{\"type\":\"flatten\"},{\"type\":\"dense\","
                      "\"units\":10},{\"type\":\"softmax\"}]}";
    CHECK(build(cnn, NULL, 10, &g, &err) == TFG_OK);
    CHECK_INT(tfg_graph_param_count(&g), 3 * 3 * 1 * 8 + 8 + 1568 * 10 + 10);
    CHECK_INT(tfg_graph_macs(&g), 28 * 28 * 72 + 15680);
    /* Live bytes per step: conv 784 + 6272; pool 6272 + 1568; flatten 1568 + 1568;
     * dense 1568 + 10; softmax 10 + 10. The pool step is the peak. */
    CHECK_INT(tfg_graph_activation_bytes(&g), 6272 + 1568);
    tfg_graph_free(&g);

    /* The residual keeps "a" alive across the relu: peak at the add = 4 + 4 + 4. */
    CHECK(build("{\"input\":[4],\"layers\":[{\"type\":\"dense\",\"units\":4,\"name\":\"a\"},"
                "{\"type\":\"relu\"},{\"type\":\"add\",\"from\":\"a\"},{\"type\":\"dense\","
                "\"units\":2}]}",
                NULL, 2, &g, &err) == TFG_OK);
    CHECK_INT(tfg_graph_activation_bytes(&g), 12);
    CHECK_INT(tfg_graph_param_count(&g), 20 + 10);
    tfg_graph_free(&g);

    /* Depthwise: kh*kw*C*M weights + C*M biases; batchnorm 2 per channel. */
    CHECK(build("{\"input\":[5,5,3],\"layers\":[{\"type\":\"depthwise_conv2d\",\"kernel\":3,"
                "\"multiplier\":2},{\"type\":\"batchnorm\"}]}",
                NULL, 0, &g, &err) == TFG_OK);
    CHECK_INT(tfg_graph_param_count(&g), 9 * 6 + 6 + 12);
    CHECK_INT(tfg_graph_macs(&g), 3 * 3 * 54);
    CHECK_NEAR(g.layers[1].w.value[0], 1.0, 0); /* gamma starts at 1 */
    CHECK_NEAR(g.layers[1].var[5], 1.0, 0);
    tfg_graph_free(&g);
}

static void test_init(void)
{
    tfg_graph g, h;
    tfg_err err;
    /* dense_0 feeds a relu (He: sqrt(6/100) = 0.245); dense_2 does not (Glorot:
     * sqrt(6/200) = 0.173). */
    const char *a = "{\"input\":[100],\"layers\":[{\"type\":\"dense\",\"units\":100},"
                    "{\"type\":\"relu\"},{\"type\":\"dense\",\"units\":100}]}";
    CHECK(build(a, NULL, 0, &g, &err) == TFG_OK);
    CHECK(build(a, NULL, 0, &h, &err) == TFG_OK);
    tfg_rng r1, r2;
    tfg_rng_seed(&r1, 5);
    tfg_rng_seed(&r2, 5);
    tfg_graph_init_params(&g, &r1);
    tfg_graph_init_params(&h, &r2);
    CHECK(!memcmp(g.layers[0].w.value, h.layers[0].w.value, 10000 * sizeof(float)));
    CHECK(!memcmp(g.layers[2].w.value, h.layers[2].w.value, 10000 * sizeof(float)));
    double max0 = 0, max2 = 0, mean0 = 0;
    for (size_t k = 0; k < 10000; k++) {
        max0 = fmax(max0, fabs(g.layers[0].w.value[k]));
        max2 = fmax(max2, fabs(g.layers[2].w.value[k]));
        mean0 += g.layers[0].w.value[k] / 10000.0;
    }
    CHECK(max0 <= sqrt(6.0 / 100) && max0 > 0.24);
    CHECK(max2 <= sqrt(6.0 / 200) && max2 > 0.17);
    CHECK(fabs(mean0) < 0.01);
    CHECK_NEAR(g.layers[0].b.value[7], 0, 0);
    tfg_rng_seed(&r2, 6);
    tfg_graph_init_params(&h, &r2);
    CHECK(memcmp(g.layers[0].w.value, h.layers[0].w.value, 10000 * sizeof(float)) != 0);
    tfg_graph_free(&g);
    tfg_graph_free(&h);

    /* A fused relu counts too: conv 3x3x2 fan_in 18, He limit sqrt(6/18) = 0.577. */
    CHECK(build("{\"input\":[6,6,2],\"layers\":[{\"type\":\"conv2d\",\"filters\":64,"
                "\"kernel\":3,\"activation\":\"relu\"}]}",
                NULL, 0, &g, &err) == TFG_OK);
    tfg_graph_init_params(&g, &r1);
    double mx = 0;
    for (size_t k = 0; k < g.layers[0].w.n; k++)
        mx = fmax(mx, fabs(g.layers[0].w.value[k]));
    CHECK(mx <= sqrt(6.0 / 18) && mx > sqrt(6.0 / (18 + 9 * 64)));
    tfg_graph_free(&g);
}

static void test_kind_names(void)
{
    CHECK_STR(tfg_layer_kind_name(TFG_LAYER_DWCONV2D), "depthwise_conv2d");
    CHECK_STR(tfg_layer_kind_name(TFG_LAYER_BATCHNORM), "batchnorm");
    CHECK_STR(tfg_layer_kind_name(TFG_LAYER_KINDS), "unknown");
}

TFG_TEST_MAIN(test_errors, test_shapes, test_round_trip, test_counts, test_init,
              test_kind_names)
