/* test_memplan.c — the memory planner (codegen/memplan.c) and its .tflite adapter.
 *
 * Hand cases whose best arena is known (a chain needs two buffers, a residual three,
 * scratch counts during its op only), bad input refused, random problems checked by the
 * verifier and against the live-bytes lower bound, the verifier itself shown to catch
 * broken plans, a small hand-built model (constants left out, RESHAPE aliased), and the
 * two MLPerf Tiny models against the TFLM arena of /work/shared/models/README.md
 * (skipped when that folder is absent). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "shared_models.h"
#include "codegen/memplan.h"
#include "core/alloc.h"
#include "core/io.h"
#include "core/rng.h"
#include "lower/lower.h"
#include "tfg_runtime.h"

static tfg_mem_buffer buf(size_t size, int32_t first, int32_t last, int32_t id)
{
    return (tfg_mem_buffer){.size = size, .first_op = first, .last_op = last, .id = id};
}

/* How many different offsets the plan uses for non-empty buffers. */
static size_t distinct_offsets(const tfg_mem_plan *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n_bufs; i++) {
        int seen = 0;
        for (size_t j = 0; j < i; j++)
            seen |= p->bufs[j].size && p->offset[j] == p->offset[i];
        n += p->bufs[i].size && !seen;
    }
    return n;
}

/* in -> a -> b -> c -> out: only a producer and its consumer are alive together. */
static void test_chain_reuses_two(void)
{
    tfg_mem_buffer b[5];
    for (int i = 0; i < 5; i++)
        b[i] = buf(100, i == 0 ? 0 : i - 1, i == 4 ? 3 : i, i);
    tfg_mem_plan p;
    tfg_err err = {0};
    CHECK_INT(tfg_mem_plan_make(b, 5, NULL, 0, &p, &err), TFG_OK);
    CHECK_INT(tfg_mem_plan_verify(&p, &err), TFG_OK);
    CHECK_INT(distinct_offsets(&p), 2);
    CHECK_INT(p.arena_size, 112 + 100); /* the second buffer starts at the next 16 */
    CHECK_INT(p.naive_size, 500);
    CHECK_INT(p.lower_bound, 200);
    CHECK_INT(p.n_ops, 4);
    tfg_mem_plan_free(&p);
}

/* op0: x -> a; op1: a -> b; op2: b -> c; op3: add(a, c) -> y. a stays alive across b and
 * c, so three buffers are needed at op 2. */
static void test_residual_keeps_three(void)
{
    tfg_mem_buffer b[] = {buf(64, 0, 0, 0), buf(64, 0, 3, 1), buf(64, 1, 2, 2),
                          buf(64, 2, 3, 3), buf(64, 3, 3, 4)};
    tfg_mem_plan p;
    tfg_err err = {0};
    CHECK_INT(tfg_mem_plan_make(b, 5, NULL, 0, &p, &err), TFG_OK);
    CHECK_INT(tfg_mem_plan_verify(&p, &err), TFG_OK);
    CHECK_INT(distinct_offsets(&p), 3);
    CHECK_INT(p.arena_size, 3 * 64);
    CHECK_INT(p.lower_bound, 3 * 64);
    /* a (id 1) shares bytes with none of b, c, or the ops' other buffers */
    for (size_t i = 0; i < p.n_bufs; i++)
        if (i != 1)
            CHECK(p.offset[i] != p.offset[1]);
    tfg_mem_plan_free(&p);
}

/* Scratch lives during its op only: at op 1 of a chain it is a third buffer, placed
 * after the two 100-byte tensors alive with it (each rounded up to 16). */
static void test_scratch_lifetime(void)
{
    tfg_mem_buffer b[] = {buf(100, 0, 0, 0), buf(100, 0, 1, 1), buf(100, 1, 2, 2),
                          buf(100, 2, 2, 3)};
    tfg_mem_scratch s[] = {{1, 48}, {2, 0}};
    tfg_mem_plan p;
    tfg_err err = {0};
    CHECK_INT(tfg_mem_plan_make(b, 4, s, 2, &p, &err), TFG_OK);
    CHECK_INT(tfg_mem_plan_verify(&p, &err), TFG_OK);
    CHECK_INT(p.n_bufs, 6);
    CHECK_INT(p.n_scratch, 2);
    CHECK_INT(p.bufs[4].first_op, 1);
    CHECK_INT(p.bufs[4].last_op, 1);
    CHECK_INT(p.bufs[4].id, -2); /* -1 - op */
    CHECK_INT(p.lower_bound, 248);
    CHECK_INT(p.arena_size, 224 + 48);
    CHECK(p.arena_size >= p.lower_bound);
    tfg_mem_plan_free(&p);
}

static void test_alignment_respected(void)
{
    tfg_mem_buffer b[] = {buf(3, 0, 0, 0), buf(5, 0, 0, 1), buf(7, 0, 0, 2), buf(1, 0, 0, 3)};
    b[0].align = b[1].align = 1;
    b[2].align = 64;
    b[3].align = 4;
    tfg_mem_plan p;
    tfg_err err = {0};
    CHECK_INT(tfg_mem_plan_make(b, 4, NULL, 0, &p, &err), TFG_OK);
    CHECK_INT(tfg_mem_plan_verify(&p, &err), TFG_OK);
    CHECK_INT(p.offset[2] % 64, 0);
    CHECK_INT(p.offset[3] % 4, 0);
    CHECK(p.arena_size >= 16);
    tfg_mem_plan_free(&p);
}

static void test_bad_input_refused(void)
{
    tfg_mem_plan p;
    tfg_err err = {0};
    tfg_mem_buffer rev = buf(10, 3, 2, 7);
    CHECK_INT(tfg_mem_plan_make(&rev, 1, NULL, 0, &p, &err), TFG_EUSAGE);
    CHECK_HAS(err.msg, "buffer 0 (id 7) has lifetime [3, 2]");
    tfg_mem_plan_free(&p);

    tfg_mem_buffer odd = buf(10, 0, 1, 3);
    odd.align = 24;
    CHECK_INT(tfg_mem_plan_make(&odd, 1, NULL, 0, &p, &err), TFG_EUSAGE);
    CHECK_HAS(err.msg, "alignment 24");
    tfg_mem_plan_free(&p);

    tfg_mem_scratch s = {-1, 8};
    CHECK_INT(tfg_mem_plan_make(NULL, 0, &s, 1, &p, &err), TFG_EUSAGE);
    CHECK_HAS(err.msg, "lifetime [-1, -1]");
    tfg_mem_plan_free(&p);

    tfg_mem_buffer huge[] = {buf(SIZE_MAX / 8, 0, 0, 0), buf(SIZE_MAX / 8, 0, 0, 1),
                             buf(SIZE_MAX / 8, 0, 0, 2)};
    CHECK_INT(tfg_mem_plan_make(huge, 3, NULL, 0, &p, &err), TFG_EUSAGE);
    CHECK_HAS(err.msg, "add up to more than");
    tfg_mem_plan_free(&p);

    CHECK_INT(tfg_mem_plan_make(NULL, 0, NULL, 0, &p, &err), TFG_OK); /* nothing to plan */
    CHECK_INT(p.arena_size, 0);
    CHECK_INT(tfg_mem_plan_verify(&p, &err), TFG_OK);
    tfg_mem_plan_free(&p);
}

/* The verifier must catch what it is there to catch, or the random test proves nothing. */
static void test_verifier_catches_errors(void)
{
    tfg_mem_buffer b[] = {buf(100, 0, 1, 0), buf(100, 1, 2, 1), buf(100, 3, 3, 2)};
    tfg_mem_plan p;
    tfg_err err = {0};
    CHECK_INT(tfg_mem_plan_make(b, 3, NULL, 0, &p, &err), TFG_OK);
    CHECK_INT(tfg_mem_plan_verify(&p, &err), TFG_OK);
    size_t keep = p.offset[1];
    p.offset[1] = p.offset[0] + 72; /* overlaps buffer 0 during op 1 (and is misaligned) */
    p.arena_size += 200;
    CHECK_INT(tfg_mem_plan_verify(&p, &err), TFG_ECHECK);
    CHECK_HAS(err.msg, "not aligned");
    p.offset[1] = p.offset[0] + 64;
    CHECK_INT(tfg_mem_plan_verify(&p, &err), TFG_ECHECK);
    CHECK_HAS(err.msg, "both alive at op 1");
    p.arena_size -= 200;
    p.offset[1] = keep;
    p.offset[2] = p.offset[0]; /* not alive together with 0: sharing is fine */
    CHECK_INT(tfg_mem_plan_verify(&p, &err), TFG_OK);
    p.arena_size = 150;
    CHECK_INT(tfg_mem_plan_verify(&p, &err), TFG_ECHECK);
    CHECK_HAS(err.msg, "past the arena of 150 bytes");
    tfg_mem_plan_free(&p);
}

/* x -> a -> b, each written in place over the one before with a 16-byte lag: placed
 * backwards, the chain drifts up by one lag per op instead of doubling. */
static void test_in_place_chain(void)
{
    tfg_mem_buffer b[] = {buf(100, 0, 0, 0), buf(100, 0, 1, 1), buf(100, 1, 1, 2)};
    b[1].in_place = b[2].in_place = true;
    b[1].in_place_of = 0;
    b[2].in_place_of = 1;
    b[1].lag = b[2].lag = 16;
    tfg_mem_plan p;
    tfg_err err = {0};
    CHECK_INT(tfg_mem_plan_make(b, 3, NULL, 0, &p, &err), TFG_OK);
    CHECK_INT(tfg_mem_plan_verify(&p, &err), TFG_OK);
    CHECK_INT(p.lower_bound, 116); /* 100 + one lag at either op */
    CHECK_INT(p.arena_size, 132);  /* 16 + 16 + 100 */
    CHECK(p.offset[2] + 16 <= p.offset[1] && p.offset[1] + 16 <= p.offset[0]);
    /* the verifier allows the overlap only lag bytes below, and only for the pair named */
    size_t keep = p.offset[1];
    p.offset[1] = p.offset[2];
    CHECK_INT(tfg_mem_plan_verify(&p, &err), TFG_ECHECK);
    CHECK_HAS(err.msg, "both alive at op 1");
    p.offset[1] = keep;
    p.bufs[2].in_place_of = 0; /* a is not what b streams over */
    CHECK_INT(tfg_mem_plan_verify(&p, &err), TFG_ECHECK);
    tfg_mem_plan_free(&p);

    b[2].in_place_of = 0; /* x ends at op 0, b starts at op 1 */
    CHECK_INT(tfg_mem_plan_make(b, 3, NULL, 0, &p, &err), TFG_EUSAGE);
    CHECK_HAS(err.msg, "buffer 2 (id 2) is in place of buffer 0");
    tfg_mem_plan_free(&p);
    b[2].in_place_of = 7;
    CHECK_INT(tfg_mem_plan_make(b, 3, NULL, 0, &p, &err), TFG_EUSAGE);
    tfg_mem_plan_free(&p);
}

static void random_problem(tfg_rng *r, tfg_mem_buffer *b, size_t n, tfg_mem_scratch *s,
                           size_t n_s)
{
    static const size_t aligns[] = {0, 1, 2, 4, 16, 64};
    int32_t n_ops = 1 + (int32_t)tfg_rng_below(r, 24);
    for (size_t i = 0; i < n; i++) {
        int32_t a = (int32_t)tfg_rng_below(r, (uint64_t)n_ops);
        int32_t len = (int32_t)tfg_rng_below(r, (uint64_t)(n_ops - a));
        size_t size = tfg_rng_below(r, 8) == 0 ? 0 : 1 + tfg_rng_below(r, 3000);
        b[i] = buf(size, a, a + len, (int32_t)i);
        b[i].align = aligns[tfg_rng_below(r, 6)];
    }
    for (size_t i = 0; i < n_s; i++)
        s[i] = (tfg_mem_scratch){(int32_t)tfg_rng_below(r, (uint64_t)n_ops),
                                 tfg_rng_below(r, 500)};
    /* about half the buffers stream over one that ends where they begin, if any does */
    for (size_t i = 0; i < n; i++) {
        size_t q = n ? tfg_rng_below(r, n) : 0;
        if (q == i || b[q].last_op != b[i].first_op || tfg_rng_below(r, 2))
            continue;
        b[i].in_place = true;
        b[i].in_place_of = q;
        b[i].lag = tfg_rng_below(r, b[i].size + 40);
    }
}

static void test_random_problems(void)
{
    tfg_rng r;
    tfg_rng_seed(&r, 20261125);
    tfg_mem_buffer b[60];
    tfg_mem_scratch s[8];
    int failed = 0, in_place = 0;
    for (int trial = 0; trial < 1000 && !failed; trial++) {
        size_t n = tfg_rng_below(&r, 61), n_s = tfg_rng_below(&r, 9);
        random_problem(&r, b, n, s, n_s);
        tfg_mem_plan p;
        tfg_err err = {0};
        CHECK_INT(tfg_mem_plan_make(b, n, s, n_s, &p, &err), TFG_OK);
        tfg_status st = tfg_mem_plan_verify(&p, &err);
        CHECK_MSG(st == TFG_OK, "trial %d: %s", trial, err.msg);
        CHECK_MSG(p.arena_size >= p.lower_bound, "trial %d: arena %zu < lower bound %zu",
                  trial, p.arena_size, p.lower_bound);
        /* never worse than no reuse at all (each buffer padded to its alignment) */
        size_t no_reuse = 0;
        for (size_t i = 0; i < p.n_bufs; i++)
            no_reuse += p.bufs[i].size + p.bufs[i].align;
        CHECK(p.arena_size <= no_reuse);
        failed = st != TFG_OK || p.arena_size < p.lower_bound;
        for (size_t i = 0; i < n; i++) /* count the in-place pairs that really overlap */
            if (b[i].in_place && b[i].size && b[b[i].in_place_of].size &&
                p.offset[i] < p.offset[b[i].in_place_of] &&
                p.offset[i] + b[i].size > p.offset[b[i].in_place_of])
                in_place++;
        tfg_mem_plan_free(&p);
    }
    CHECK(in_place > 100); /* the random problems did exercise overlapping */
}

/* The plan depends on nothing but its input. */
static void test_deterministic(void)
{
    tfg_rng r;
    tfg_rng_seed(&r, 7);
    tfg_mem_buffer b[40];
    random_problem(&r, b, 40, NULL, 0);
    tfg_mem_plan p1, p2;
    tfg_err err = {0};
    CHECK_INT(tfg_mem_plan_make(b, 40, NULL, 0, &p1, &err), TFG_OK);
    CHECK_INT(tfg_mem_plan_make(b, 40, NULL, 0, &p2, &err), TFG_OK);
    CHECK_INT(p1.arena_size, p2.arena_size);
    CHECK(memcmp(p1.offset, p2.offset, 40 * sizeof *p1.offset) == 0);
    tfg_mem_plan_free(&p1);
    tfg_mem_plan_free(&p2);
}

/* ---- the .tflite adapter ----------------------------------------------------------- */

/* A hand-built subgraph: t0 input [1,8,8,4] -> CONV(w=t1 const) -> t2 -> RESHAPE -> t3
 * [1,256] -> FC(w=t4 const, input t3) -> t5 [1,10] output; t3 is also ADDed to itself
 * after the FC so the alias must outlive op 2. */
static void test_adapter_hand_model(void)
{
    static uint8_t weights[64];
    tfg_tfl_buffer buffers[] = {{NULL, 0, 0}, {weights, sizeof weights, 0}};
    int32_t s0[] = {1, 8, 8, 4}, s1[] = {4, 1, 1, 4}, s3[] = {1, 256}, s4[] = {10, 256},
            s5[] = {1, 10};
    tfg_tfl_tensor t[7] = {
        {.name = "in", .type = TFG_TFL_INT8, .shape = s0, .rank = 4, .elems = 256, .bytes = 256},
        {.name = "w", .type = TFG_TFL_INT8, .shape = s1, .rank = 4, .elems = 16, .bytes = 16,
         .buffer = 1},
        {.name = "conv", .type = TFG_TFL_INT8, .shape = s0, .rank = 4, .elems = 256, .bytes = 256},
        {.name = "flat", .type = TFG_TFL_INT8, .shape = s3, .rank = 2, .elems = 256, .bytes = 256},
        {.name = "fcw", .type = TFG_TFL_INT8, .shape = s4, .rank = 2, .elems = 2560,
         .bytes = 2560, .buffer = 1},
        {.name = "out", .type = TFG_TFL_INT8, .shape = s5, .rank = 2, .elems = 10, .bytes = 10},
        {.name = "sum", .type = TFG_TFL_INT8, .shape = s3, .rank = 2, .elems = 256, .bytes = 256},
    };
    int32_t i0[] = {0, 1, -1}, o0[] = {2}, i1[] = {2}, o1[] = {3}, i2[] = {3, 4, -1},
            o2[] = {5}, i3[] = {3, 3}, o3[] = {6};
    tfg_tfl_op ops[] = {
        {.builtin = TFG_TFL_CONV_2D, .inputs = i0, .n_inputs = 3, .outputs = o0, .n_outputs = 1},
        {.builtin = TFG_TFL_RESHAPE, .inputs = i1, .n_inputs = 1, .outputs = o1, .n_outputs = 1},
        {.builtin = TFG_TFL_FULLY_CONNECTED, .inputs = i2, .n_inputs = 3, .outputs = o2,
         .n_outputs = 1},
        {.builtin = TFG_TFL_ADD, .inputs = i3, .n_inputs = 2, .outputs = o3, .n_outputs = 1},
    };
    int32_t gin[] = {0}, gout[] = {5, 6};
    tfg_tfl_subgraph g = {.name = "", .tensors = t, .n_tensors = 7, .inputs = gin, .n_inputs = 1,
                          .outputs = gout, .n_outputs = 2, .ops = ops, .n_ops = 4};
    tfg_tflite m = {.name = "hand.tflite", .subgraphs = &g, .n_subgraphs = 1,
                    .buffers = buffers, .n_buffers = 2};
    tfg_tflite_mem mem;
    tfg_err err = {0};
    CHECK_INT(tfg_plan_tflite(&m, 0, &mem, &err), TFG_OK);
    CHECK_INT(tfg_mem_plan_verify(&mem.mem, &err), TFG_OK);
    CHECK(mem.tensor_offset[1] == TFG_MEM_NONE); /* constants stay in flash */
    CHECK(mem.tensor_offset[4] == TFG_MEM_NONE);
    CHECK_INT(mem.n_aliased, 1);
    CHECK_INT(mem.tensor_buf[2], mem.tensor_buf[3]);
    CHECK(mem.tensor_offset[2] == mem.tensor_offset[3]);
    const tfg_mem_buffer *flat = &mem.mem.bufs[mem.tensor_buf[3]];
    CHECK_INT(flat->first_op, 0); /* conv's output ... */
    CHECK_INT(flat->last_op, 3);  /* ... through its alias's last reader */
    const tfg_mem_buffer *in = &mem.mem.bufs[mem.tensor_buf[0]];
    CHECK_INT(in->first_op, 0);
    CHECK_INT(in->last_op, 0);
    const tfg_mem_buffer *out = &mem.mem.bufs[mem.tensor_buf[5]];
    CHECK_INT(out->first_op, 2);
    CHECK_INT(out->last_op, 3); /* a graph output lives to the end */
    CHECK_INT(mem.mem.n_bufs, 4); /* in, conv=flat, out, sum */
    CHECK_INT(mem.tensor_bytes, 256 * 4 + 10);
    /* op 3: flat, out and sum alive (the bound counts bytes, not alignment) */
    CHECK_INT(mem.mem.lower_bound, 256 + 10 + 256);
    CHECK_INT(mem.mem.arena_size, 256 + 256 + 10);
    tfg_tflite_mem_free(&mem);

    /* without aliasing, the reshape's output is a buffer of its own */
    CHECK_INT(tfg_plan_tflite(&m, TFG_PLAN_NO_ALIAS, &mem, &err), TFG_OK);
    CHECK_INT(tfg_mem_plan_verify(&mem.mem, &err), TFG_OK);
    CHECK_INT(mem.n_aliased, 0);
    CHECK_INT(mem.mem.n_bufs, 5);
    CHECK(mem.tensor_buf[2] != mem.tensor_buf[3]);
    CHECK_INT(mem.mem.bufs[mem.tensor_buf[2]].last_op, 1);
    tfg_tflite_mem_free(&mem);

    o3[0] = 9; /* a hand-built model can name a tensor that is not there */
    CHECK_INT(tfg_plan_tflite(&m, 0, &mem, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "hand.tflite: subgraphs[0]: an output of operator 3 names tensor 9");
    tfg_tflite_mem_free(&mem);
    o3[0] = 6;
    t[6].type = 5; /* STRING: no fixed size */
    CHECK_INT(tfg_plan_tflite(&m, 0, &mem, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "tensors[6] 'sum' has type STRING");
    tfg_tflite_mem_free(&mem);

    tfg_tflite none = {.name = "empty.tflite"};
    CHECK_INT(tfg_plan_tflite(&none, 0, &mem, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "no subgraph");
    tfg_tflite_mem_free(&mem);
}

/* ---- in-place convolutions: the adapter's lag against the real kernels ------------- */

typedef struct {
    int32_t op;               /* TFG_TFL_CONV_2D or TFG_TFL_DEPTHWISE_CONV_2D */
    int32_t h, w, cin, cout;  /* input height, width, channels; output channels */
    int32_t k, stride;        /* square kernel, equal strides */
    tfg_tfl_padding padding;
} conv_case;

/* The lag tfg_plan_tflite gives the output of a one-op model (-1: not in place). */
static int64_t planned_lag(const conv_case *c, const int32_t out_hw[2])
{
    static uint8_t flash[1];
    tfg_tfl_buffer buffers[] = {{NULL, 0, 0}, {flash, 1, 0}};
    int dw = c->op == TFG_TFL_DEPTHWISE_CONV_2D;
    int32_t sx[] = {1, c->h, c->w, c->cin}, sy[] = {1, out_hw[0], out_hw[1], c->cout};
    int32_t sw[] = {dw ? 1 : c->cout, c->k, c->k, dw ? c->cout : c->cin};
    int64_t nx = (int64_t)c->h * c->w * c->cin, ny = (int64_t)out_hw[0] * out_hw[1] * c->cout;
    tfg_tfl_tensor t[3] = {
        {.name = "x", .type = TFG_TFL_INT8, .shape = sx, .rank = 4, .elems = nx,
         .bytes = (size_t)nx},
        {.name = "w", .type = TFG_TFL_INT8, .shape = sw, .rank = 4, .elems = 1, .bytes = 1,
         .buffer = 1},
        {.name = "y", .type = TFG_TFL_INT8, .shape = sy, .rank = 4, .elems = ny,
         .bytes = (size_t)ny},
    };
    int32_t in[] = {0, 1, -1}, out[] = {2};
    tfg_tfl_op op = {.builtin = c->op, .inputs = in, .n_inputs = 3, .outputs = out,
                     .n_outputs = 1};
    op.opt.padding = c->padding;
    op.opt.stride_h = op.opt.stride_w = c->stride;
    op.opt.dilation_h = op.opt.dilation_w = 1;
    op.opt.depth_multiplier = dw ? c->cout / c->cin : 0;
    int32_t gin[] = {0}, gout[] = {2, 0};
    tfg_tfl_subgraph g = {.name = "", .tensors = t, .n_tensors = 3, .inputs = gin, .n_inputs = 1,
                          .outputs = gout, .n_outputs = 1, .ops = &op, .n_ops = 1};
    tfg_tflite m = {.name = "conv.tflite", .subgraphs = &g, .n_subgraphs = 1,
                    .buffers = buffers, .n_buffers = 2};
    tfg_tflite_mem mem;
    tfg_err err = {0};
    int64_t lag = -1;
    CHECK_INT(tfg_plan_tflite(&m, 0, &mem, &err), TFG_OK);
    CHECK_INT(tfg_mem_plan_verify(&mem.mem, &err), TFG_OK);
    const tfg_mem_buffer *y = &mem.mem.bufs[mem.tensor_buf[2]];
    if (y->in_place) {
        CHECK_INT(y->in_place_of, mem.tensor_buf[0]);
        lag = (int64_t)y->lag;
        /* at least as good as y at 0 and x from the first aligned offset >= lag */
        size_t x_at = ((size_t)lag + TFG_MEM_ALIGN - 1) / TFG_MEM_ALIGN * TFG_MEM_ALIGN;
        size_t overlapped = x_at + (size_t)nx > (size_t)ny ? x_at + (size_t)nx : (size_t)ny;
        CHECK_MSG(mem.mem.arena_size <= overlapped, "arena %zu, in place %zu",
                  mem.mem.arena_size, overlapped);
    }
    tfg_tflite_mem_free(&mem);
    g.n_outputs = 2; /* x is an output too: it must survive, so y may not overlap it */
    CHECK_INT(tfg_plan_tflite(&m, 0, &mem, &err), TFG_OK);
    CHECK(!mem.mem.bufs[mem.tensor_buf[2]].in_place);
    CHECK_INT(mem.n_in_place, 0);
    tfg_tflite_mem_free(&mem);
    return lag;
}

static int g_dsp_in_place; /* cases a DSP variant also ran in place */

/* Runs the kernel of case c with y in its own memory and again with x placed lag - less
 * bytes above y in one block (less = 0: as the plan has them), then its DSP variant (when
 * it has one) at that overlap too; *same says whether all the outputs agree. */
static int64_t run_in_place(const conv_case *c, tfg_rng *r, int64_t less, int *same)
{
    int dw = c->op == TFG_TFL_DEPTHWISE_CONV_2D;
    tfg_rt_padding mode = c->padding == TFG_TFL_PAD_SAME ? TFG_RT_PAD_SAME : TFG_RT_PAD_VALID;
    int32_t oh, ow, ph, pw;
    CHECK_INT(tfg_rt_compute_padding(mode, c->h, c->k, c->stride, 1, &oh, &ph), TFG_RT_OK);
    CHECK_INT(tfg_rt_compute_padding(mode, c->w, c->k, c->stride, 1, &ow, &pw), TFG_RT_OK);
    int32_t out_hw[2] = {oh, ow};
    int64_t lag = planned_lag(c, out_hw);
    *same = 1;
    if (lag < 0)
        return lag;
    int64_t at = lag - less;
    tfg_rt_dims in = {1, c->h, c->w, c->cin}, out = {1, oh, ow, c->cout};
    tfg_rt_dims f = {dw ? 1 : c->cout, c->k, c->k, dw ? c->cout : c->cin};
    size_t nx = (size_t)c->h * c->w * c->cin, ny = (size_t)oh * ow * c->cout;
    size_t nw = (size_t)f.n * f.h * f.w * f.c;
    int8_t *x = tfg_xmalloc(nx), *w = tfg_xmalloc(nw), *y = tfg_xmalloc(ny);
    int8_t *block = tfg_xmalloc((size_t)at + nx + ny);
    for (size_t i = 0; i < nx; i++)
        x[i] = (int8_t)(tfg_rng_below(r, 256) - 128);
    for (size_t i = 0; i < nw; i++)
        w[i] = (int8_t)(tfg_rng_below(r, 256) - 128);
    const int32_t mult = 1 << 30, shift = -6;
    tfg_rt_requant rq = {&mult, &shift, 1};
    tfg_rt_conv_params p = {.input_zero_point = 3, .output_zero_point = -2, .stride_h = c->stride,
                            .stride_w = c->stride, .dilation_h = 1, .dilation_w = 1,
                            .pad_h = ph, .pad_w = pw, .act_min = -128, .act_max = 127};
    tfg_rt_dw_params dp = {p, c->cout / c->cin};
    memcpy(block + at, x, nx);
    if (dw) {
        CHECK_INT(tfg_rt_depthwise_conv2d_s8(&dp, &rq, &in, x, &f, w, NULL, &out, y, NULL), TFG_RT_OK);
        CHECK_INT(tfg_rt_depthwise_conv2d_s8(&dp, &rq, &in, block + at, &f, w, NULL, &out, block,
                                             NULL),
                  TFG_RT_OK);
    } else {
        CHECK_INT(tfg_rt_conv2d_s8(&p, &rq, &in, x, &f, w, NULL, &out, y, NULL), TFG_RT_OK);
        CHECK_INT(tfg_rt_conv2d_s8(&p, &rq, &in, block + at, &f, w, NULL, &out, block, NULL),
                  TFG_RT_OK);
    }
    *same = memcmp(y, block, ny) == 0;
    /* The DSP variant the code generator would choose keeps the same lag (it writes in
     * the reference's order): run it at the same overlap against the reference's bytes. */
    int32_t depth = dw ? 9 : c->k * c->k * c->cin;
    int32_t *sums = tfg_xcalloc((size_t)c->cout, sizeof *sums);
    int8_t *wi = tfg_xmalloc(tfg_rt_pad_weight_rows_size(c->cout, depth));
    size_t ns = tfg_rt_conv2d_s8_dsp_scratch_size(&in, &f) + 64 * (size_t)c->cout;
    tfg_rt_scratch scr = {tfg_xmalloc(ns), ns};
    memcpy(block + at, x, nx);
    tfg_rt_status ds = TFG_RT_EPARAM;
    if (dw && c->k == 3 && dp.depth_multiplier == 1) {
        tfg_rt_fold_bias(w, c->cout, 9, 1, c->cout, p.input_zero_point, NULL, sums);
        ds = tfg_rt_depthwise_conv2d_3x3_s8_dsp(&dp, &rq, &in, block + at, &f, w, sums, &out,
                                                block, &scr);
    } else if (!dw) {
        tfg_rt_fold_bias(w, c->cout, depth, depth, 1, p.input_zero_point, NULL, sums);
        tfg_rt_pad_weight_rows(w, c->cout, depth, wi);
        ds = c->k == 1 && ph == 0 && pw == 0
                 ? tfg_rt_conv2d_1x1_s8_dsp(&p, &rq, &in, block + at, &f, wi, sums, &out,
                                            block, &scr)
                 : tfg_rt_conv2d_s8_dsp(&p, &rq, &in, block + at, &f, wi, sums, &out, block,
                                        &scr);
    }
    if (ds == TFG_RT_OK) {
        g_dsp_in_place++;
        *same &= memcmp(y, block, ny) == 0;
    }
    free(sums);
    free(wi);
    free(scr.buf);
    free(x);
    free(w);
    free(y);
    free(block);
    return lag;
}

static void test_in_place_kernels(void)
{
    tfg_rng r;
    tfg_rng_seed(&r, 5);
    /* 3x3 SAME stride 1: output pixel (y, x) still needs input from (y-1, x-1): the
     * output runs W + 2 pixels ahead (kws's depthwise layers). */
    int same;
    conv_case dw = {TFG_TFL_DEPTHWISE_CONV_2D, 6, 5, 4, 4, 3, 1, TFG_TFL_PAD_SAME};
    CHECK_INT(run_in_place(&dw, &r, 0, &same), (5 + 2) * 4);
    CHECK(same);
    /* two pixels closer and the kernel reads input it has already overwritten: the test
     * can tell a lag that is too small (one pixel closer happens to survive, as the
     * kernel finishes a channel before it writes it; the lag is on the safe side) */
    run_in_place(&dw, &r, 2 * 4, &same);
    CHECK(!same);
    /* 1x1: one pixel ahead (kws's pointwise layers). */
    conv_case pw = {TFG_TFL_CONV_2D, 6, 5, 8, 8, 1, 1, TFG_TFL_PAD_VALID};
    CHECK_INT(run_in_place(&pw, &r, 0, &same), 8);
    CHECK(same);
    run_in_place(&pw, &r, 8, &same); /* truly in place: out[q][0] clobbers in[q][0] */
    CHECK(!same);
    conv_case more[] = {
        {TFG_TFL_CONV_2D, 7, 7, 3, 5, 3, 2, TFG_TFL_PAD_SAME},
        {TFG_TFL_CONV_2D, 9, 6, 4, 4, 3, 1, TFG_TFL_PAD_VALID},
        {TFG_TFL_CONV_2D, 8, 8, 6, 3, 1, 1, TFG_TFL_PAD_VALID},
        {TFG_TFL_DEPTHWISE_CONV_2D, 9, 7, 3, 6, 3, 2, TFG_TFL_PAD_SAME},
        {TFG_TFL_DEPTHWISE_CONV_2D, 5, 5, 8, 8, 5, 1, TFG_TFL_PAD_SAME},
        {TFG_TFL_DEPTHWISE_CONV_2D, 10, 4, 2, 2, 3, 3, TFG_TFL_PAD_VALID},
    };
    int placed = 0;
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
        placed += run_in_place(&more[i], &r, 0, &same) >= 0;
        CHECK_MSG(same, "case %zu: the in-place output differs", i);
    }
    CHECK(placed >= 4);
    CHECK(g_dsp_in_place >= 6);
}

/* tflm_arena is TFLM's arena_used_bytes (32-bit, reference kernels) from the models'
 * README. It includes TFLM's own run-time structs; ours is tensor data only, which is
 * all the generated code needs (its op list and parameters are const, in flash). */
static void check_shared_model(const char *rel, size_t tflm_arena, size_t bound, size_t n_in_place)
{
    char *path = tfg_test_shared_model(rel);
    if (!path)
        return;
    tfg_tflite m;
    tfg_tflite_mem mem;
    tfg_err err = {0};
    CHECK_INT(tfg_tflite_read(path, &m, &err), TFG_OK);
    CHECK_INT(tfg_plan_tflite(&m, 0, &mem, &err), TFG_OK);
    CHECK_INT(tfg_mem_plan_verify(&mem.mem, &err), TFG_OK);
    tfg_tflite_mem plain; /* as TFLM plans: no buffer overlaps a live one */
    CHECK_INT(tfg_plan_tflite(&m, TFG_PLAN_NO_IN_PLACE, &plain, &err), TFG_OK);
    CHECK_INT(tfg_mem_plan_verify(&plain.mem, &err), TFG_OK);
    CHECK_INT(plain.n_in_place, 0);
    CHECK(plain.mem.arena_size >= plain.mem.lower_bound);
    CHECK(plain.mem.arena_size <= tflm_arena);
    CHECK(mem.mem.arena_size <= plain.mem.arena_size);
    printf("%s: planned arena %zu B (%zu B without in-place), lower bound %zu B, naive %zu B, "
           "TFLM %zu B (%.3fx, %.3fx)\n",
           rel, mem.mem.arena_size, plain.mem.arena_size, mem.mem.lower_bound, mem.tensor_bytes,
           tflm_arena, (double)mem.mem.arena_size / (double)tflm_arena,
           (double)plain.mem.arena_size / (double)tflm_arena);
    tfg_tflite_mem_free(&plain);
    CHECK(mem.mem.arena_size <= tflm_arena);
    CHECK(mem.mem.arena_size >= mem.mem.lower_bound);
    CHECK_INT(mem.mem.lower_bound, bound);
    CHECK_INT(mem.n_in_place, n_in_place);
    CHECK(mem.mem.arena_size < mem.tensor_bytes);
    for (size_t i = 0; i < m.subgraphs[0].n_inputs; i++) /* inputs and outputs are placed */
        CHECK(mem.tensor_offset[m.subgraphs[0].inputs[i]] != TFG_MEM_NONE);
    for (size_t i = 0; i < m.subgraphs[0].n_outputs; i++)
        CHECK(mem.tensor_offset[m.subgraphs[0].outputs[i]] != TFG_MEM_NONE);
    tfg_tflite_mem_free(&mem);
    tfg_tflite_free(&m);
    free(path);
}

/* ---- residual networks: ADD in place over a dying branch ---------------------------- */

/* in [1,4,4,8] -> 1x1 CONV -> c; out = ADD(c, in): both branches die at the ADD, which
 * reads element i of each before it writes element i, so its output may take the bytes
 * of one of them (lag 0) and the block needs two maps, not three. The kernel is then
 * run at the planned offsets and must give the bytes it gives in separate buffers. */
static void test_residual_add_in_place(void)
{
    static uint8_t weights[64];
    tfg_tfl_buffer buffers[] = {{NULL, 0, 0}, {weights, sizeof weights, 0}};
    int32_t sx[] = {1, 4, 4, 8}, sw[] = {8, 1, 1, 8};
    tfg_tfl_tensor t[4] = {
        {.name = "in", .type = TFG_TFL_INT8, .shape = sx, .rank = 4, .elems = 128,
         .bytes = 128},
        {.name = "w", .type = TFG_TFL_INT8, .shape = sw, .rank = 4, .elems = 64, .bytes = 64,
         .buffer = 1},
        {.name = "c", .type = TFG_TFL_INT8, .shape = sx, .rank = 4, .elems = 128,
         .bytes = 128},
        {.name = "out", .type = TFG_TFL_INT8, .shape = sx, .rank = 4, .elems = 128,
         .bytes = 128},
    };
    int32_t i0[] = {0, 1, -1}, o0[] = {2}, i1[] = {2, 0}, o1[] = {3};
    tfg_tfl_op ops[] = {
        {.builtin = TFG_TFL_CONV_2D, .inputs = i0, .n_inputs = 3, .outputs = o0,
         .n_outputs = 1},
        {.builtin = TFG_TFL_ADD, .inputs = i1, .n_inputs = 2, .outputs = o1,
         .n_outputs = 1},
    };
    ops[0].opt.stride_h = ops[0].opt.stride_w = 1;
    ops[0].opt.dilation_h = ops[0].opt.dilation_w = 1;
    ops[0].opt.padding = TFG_TFL_PAD_VALID;
    int32_t gin[] = {0}, gout[] = {3};
    tfg_tfl_subgraph g = {.name = "", .tensors = t, .n_tensors = 4, .inputs = gin,
                          .n_inputs = 1, .outputs = gout, .n_outputs = 1, .ops = ops,
                          .n_ops = 2};
    tfg_tflite m = {.name = "res.tflite", .subgraphs = &g, .n_subgraphs = 1,
                    .buffers = buffers, .n_buffers = 2};
    tfg_tflite_mem mem, plain;
    tfg_err err = {0};
    CHECK_INT(tfg_plan_tflite(&m, 0, &mem, &err), TFG_OK);
    CHECK_INT(tfg_mem_plan_verify(&mem.mem, &err), TFG_OK);
    CHECK_INT(tfg_plan_tflite(&m, TFG_PLAN_NO_IN_PLACE, &plain, &err), TFG_OK);
    CHECK_INT(plain.mem.arena_size, 3 * 128); /* in, c and out alive at the ADD */
    CHECK_INT(mem.n_in_place, 1);             /* the conv may not: in lives on */
    const tfg_mem_buffer *out = &mem.mem.bufs[mem.tensor_buf[3]];
    CHECK(out->in_place && out->lag == 0);
    CHECK_INT(out->in_place_of, mem.tensor_buf[2]);
    CHECK_INT(mem.mem.arena_size, 2 * 128);
    tfg_tflite_mem_free(&plain);

    tfg_rt_add_params p;
    CHECK_INT(tfg_rt_add_prepare(0.05f, 3, 0.04f, -2, 0.08f, 1, TFG_RT_ACT_NONE, &p),
              TFG_RT_OK);
    tfg_rng r;
    tfg_rng_seed(&r, 11);
    int8_t a[128], b[128], want[128], *block = tfg_xcalloc(mem.mem.arena_size + 1, 1);
    for (int i = 0; i < 128; i++) {
        a[i] = (int8_t)(tfg_rng_below(&r, 256) - 128);
        b[i] = (int8_t)(tfg_rng_below(&r, 256) - 128);
    }
    CHECK_INT(tfg_rt_add_s8(&p, a, 128, b, 128, want, 128), TFG_RT_OK);
    int8_t *pa = block + mem.tensor_offset[2], *pb = block + mem.tensor_offset[0];
    memcpy(pa, a, 128);
    memcpy(pb, b, 128);
    int8_t *py = block + mem.tensor_offset[3];
    CHECK_INT(tfg_rt_add_s8(&p, pa, 128, pb, 128, py, 128), TFG_RT_OK);
    CHECK(memcmp(py, want, 128) == 0);
    /* one byte above its input, the output would clobber input not yet read: the check
     * above can tell a wrong overlap */
    memcpy(block + 1, a, 128);
    CHECK_INT(tfg_rt_add_s8(&p, block + 1, 128, b, 128, block + 2, 128), TFG_RT_OK);
    CHECK(memcmp(block + 2, want, 128) != 0);
    free(block);
    tfg_tflite_mem_free(&mem);
}

static void test_shared_models(void)
{
    /* kws: a 25x5x64 int8 map and the depthwise output (5 + 2) pixels ahead of it; all
     * 9 convolutions in place. ad: the 640-wide input or output with a 128-wide hidden
     * layer (fully connected layers read all input for every output: never in place). */
    check_shared_model("kws/kws_ref_model.tflite", 22772, 25 * 5 * 64 + 7 * 64, 9);
    check_shared_model("ad/ad01_int8.tflite", 2260, 640 + 128, 0);
}

/* kws planned with the kernels chosen for the Cortex-M4: the DSP variants' scratch is in
 * the arena (alive during its layer only), every convolution still streams in place
 * (they keep the reference's order), the verifier passes, and the arena stays under
 * 0.7x TFLM's; a step whose variant writes in another order (no_stream) loses its
 * overlap and the plan is still verified. */
static void test_chosen_variants(void)
{
    char *path = tfg_test_shared_model("kws/kws_ref_model.tflite");
    if (!path)
        return;
    tfg_tflite m;
    tfg_err err = {0};
    CHECK_INT(tfg_tflite_read(path, &m, &err), TFG_OK);
    tfg_lowered l;
    CHECK_INT(tfg_lower(&m, TFG_LOWER_PREPARE, &l, &err), TFG_OK);
    tfg_tflite_mem ref, dsp, off;
    CHECK_INT(tfg_plan_lowered(&l, 0, &ref, &err), TFG_OK);
    tfg_lower_choose(&l, "cortex-m4f");
    size_t scratch = 0, dsp_steps = 0;
    for (size_t i = 0; i < l.n_steps; i++) {
        scratch += l.steps[i].scratch;
        dsp_steps += l.steps[i].variant && !strncmp(l.steps[i].variant, "dsp_", 4);
    }
    CHECK_INT(dsp_steps, 10); /* 5 conv, 4 depthwise, 1 fully connected */
    CHECK(scratch > 0);
    CHECK_INT(tfg_plan_lowered(&l, 0, &dsp, &err), TFG_OK);
    CHECK_INT(tfg_mem_plan_verify(&dsp.mem, &err), TFG_OK);
    CHECK_INT(ref.mem.n_scratch, 0);
    CHECK_INT(dsp.mem.n_scratch, 9);
    CHECK_INT(dsp.n_in_place, ref.n_in_place);
    CHECK(dsp.mem.arena_size >= ref.mem.arena_size);
    CHECK(dsp.mem.arena_size * 10 <= 22772 * 7);
    printf("kws for the Cortex-M4: arena %zu B (reference kernels %zu B), %zu B of scratch "
           "over %zu layers\n", dsp.mem.arena_size, ref.mem.arena_size, scratch,
           dsp.mem.n_scratch);
    for (size_t i = 0; i < l.n_steps; i++)
        l.steps[i].no_stream = true;
    CHECK_INT(tfg_plan_lowered(&l, 0, &off, &err), TFG_OK);
    CHECK_INT(tfg_mem_plan_verify(&off.mem, &err), TFG_OK);
    CHECK_INT(off.n_in_place, 0);
    CHECK(off.mem.arena_size > dsp.mem.arena_size);
    tfg_tflite_mem_free(&ref);
    tfg_tflite_mem_free(&dsp);
    tfg_tflite_mem_free(&off);
    tfg_lower_free(&l);
    tfg_tflite_free(&m);
    free(path);
}

TFG_TEST_MAIN(test_chosen_variants, test_chain_reuses_two, test_residual_keeps_three, test_scratch_lifetime,
              test_alignment_respected, test_bad_input_refused, test_verifier_catches_errors,
              test_in_place_chain, test_random_problems, test_in_place_kernels,
              test_deterministic, test_adapter_hand_model, test_residual_add_in_place,
              test_shared_models)
