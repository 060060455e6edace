/* fuzz_tflite.c — libFuzzer target for the .tflite reader (import/flatbuf.c, tflite.c).
 *
 * Each input is parsed as a model. Beyond the sanitizers, the target checks the reader's
 * contract and aborts (a finding) when it breaks: a refusal is TFG_EINPUT naming a byte
 * offset and leaves the model empty; an accepted model keeps every promise later stages
 * rely on without re-checking (indexes in range, buffers inside the file, shapes within
 * limits), and can be described and checked for support. The seeds are the two
 * reference models and a small model with every option kind (written by test_tflite).
 * A model that is accepted and supported is also prepared and run once (lower/invoke.c)
 * on a patterned input, when its work is small enough for a fuzzer's time budget: the
 * reader's promises are what the interpreter relies on (a zero dimension once reached
 * prep_conv as a division by zero).
 * Built only with -DTFG_FUZZ=ON; run by tests/fuzz/run.sh. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "lower/invoke.h"
#include "import/tflite.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void check_refs(const int32_t *idx, size_t n, size_t n_tensors, bool optional)
{
    for (size_t k = 0; k < n; k++)
        if (!(optional && idx[k] == -1) && (idx[k] < 0 || (size_t)idx[k] >= n_tensors))
            abort();
}

static void check_subgraph(const tfg_tflite *m, const tfg_tfl_subgraph *g)
{
    if (!g->name)
        abort();
    for (size_t i = 0; i < g->n_tensors; i++) {
        const tfg_tfl_tensor *x = &g->tensors[i];
        if (!x->name || x->rank > TFG_TFL_MAX_RANK || x->elems < 0 ||
            x->elems >= TFG_TFL_MAX_ELEMS)
            abort();
        if (x->buffer >= m->n_buffers && (x->buffer || m->n_buffers))
            abort();
    }
    check_refs(g->inputs, g->n_inputs, g->n_tensors, false);
    check_refs(g->outputs, g->n_outputs, g->n_tensors, false);
    for (size_t i = 0; i < g->n_ops; i++) {
        const tfg_tfl_op *op = &g->ops[i];
        if (op->opcode_index >= m->n_opcodes)
            abort();
        check_refs(op->inputs, op->n_inputs, g->n_tensors, true);
        check_refs(op->outputs, op->n_outputs, g->n_tensors, false);
    }
}

static void check_model(const tfg_tflite *m)
{
    if (!m->n_subgraphs || !m->name || !m->description)
        abort();
    for (size_t b = 0; b < m->n_buffers; b++) {
        const tfg_tfl_buffer *x = &m->buffers[b];
        if (x->len && (x->data < m->file || x->data + x->len > m->file + m->file_len))
            abort();
    }
    for (size_t s = 0; s < m->n_subgraphs; s++)
        check_subgraph(m, &m->subgraphs[s]);
}

/* A bound on the interpreter's work: the sum over ops of output elements x the largest
 * constant input (a filter) per output channel, and on the bytes of all tensors. */
static bool small_enough(const tfg_tflite *m)
{
    const tfg_tfl_subgraph *g = &m->subgraphs[0];
    double work = 0, bytes = 0;
    for (size_t i = 0; i < g->n_tensors; i++)
        bytes += (double)g->tensors[i].bytes;
    for (size_t i = 0; i < g->n_ops; i++) {
        const tfg_tfl_op *op = &g->ops[i];
        double out = 0, filt = 1;
        for (size_t k = 0; k < op->n_outputs; k++)
            out += (double)g->tensors[op->outputs[k]].elems;
        for (size_t k = 0; k < op->n_inputs; k++)
            if (op->inputs[k] >= 0 && (double)g->tensors[op->inputs[k]].elems > filt)
                filt = (double)g->tensors[op->inputs[k]].elems;
        work += out * filt;
    }
    return bytes < 64e6 && work < 4e8;
}

static void run_once(const tfg_tflite *m)
{
    tfg_tflite_runner *r = NULL;
    tfg_err err;
    tfg_err_clear(&err);
    if (tfg_tflite_runner_new(m, &r, &err) != TFG_OK) {
        if (r || !err.msg[0])
            abort();
        return;
    }
    size_t ni = tfg_tflite_runner_input_bytes(r), no = tfg_tflite_runner_output_bytes(r);
    uint8_t *in = malloc(ni ? ni : 1), *out = malloc(no ? no : 1);
    if (!in || !out)
        abort();
    for (size_t i = 0; i < ni; i++)
        in[i] = (uint8_t)(i * 37u + 11u);
    tfg_status s = tfg_tflite_runner_invoke(r, in, ni, out, no, &err);
    if (s != TFG_OK && s != TFG_EINPUT)
        abort();
    free(in);
    free(out);
    tfg_tflite_runner_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    tfg_tflite m;
    tfg_err err;
    tfg_err_clear(&err);
    tfg_status s = tfg_tflite_parse(d, n, "fuzz.tflite", &m, &err);
    if (s != TFG_OK) {
        if (s != TFG_EINPUT || !strstr(err.msg, "offset ") || m.file || m.subgraphs)
            abort();
        return 0;
    }
    check_model(&m);
    json_t *j = tfg_tflite_describe(&m);
    char *text = tfg_json_pretty(j);
    if (!text)
        abort();
    free(text);
    json_decref(j);
    tfg_err_clear(&err);
    s = tfg_tflite_check_supported(&m, &err);
    if (s != TFG_OK && (s != TFG_EINPUT || !strstr(err.msg, "unsupported op")))
        abort();
    if (s == TFG_OK && small_enough(&m))
        run_once(&m);
    tfg_tflite_free(&m);
    return 0;
}
