/* lower.h — the int8 lowering: an int8 .tflite model as prepared steps and lifetimes.
 *
 * tinyforge has two IRs on purpose: the float graph of nn/ that training speaks, and,
 * for everything int8, the lowered steps made here from a tfg_tflite (import/tflite.h).
 * tfg_lower makes them in one pass: it picks the execution order (a chain keeps the
 * model's order; independent branches of a residual network are ordered to lower the
 * peak of live bytes, schedule.c), records every tensor's lifetime in that order, and
 * with TFG_LOWER_PREPARE computes each step's kernel parameters once (multipliers,
 * shifts, padding, clamps, bias), as TFLM's Prepare does. Three readers share the
 * result, so they cannot drift apart: the host interpreter (lower/invoke.h), the memory
 * planner (codegen/memplan.h) and the C emitter (codegen/emit.h).
 *
 * Everything about one op lives in one file, op_<name>.c: its checks and prepare, its
 * host eval (the runtime/ kernel call), the C the emitter writes for it, and what the
 * planner needs (kernel scratch, whether its output may stream over a dying input, or
 * is its input's very bytes). The op table is op.h, internal to this folder. */
#ifndef TFG_LOWER_LOWER_H
#define TFG_LOWER_LOWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"
#include "core/error.h"
#include "import/tflite.h"
#include "tfg_runtime.h"

/* What one op is: its prepare, eval, emit and planning facts (op.h). */
typedef struct tfg_lower_op tfg_lower_op;

/* One lowered operator: the kernel's parameters, ready to call. */
typedef struct {
    size_t index;              /* operators[index] of subgraph 0 */
    int32_t builtin;
    const tfg_lower_op *op;    /* NULL for an op tinyforge cannot run (structure only) */
    int32_t in[3];             /* tensor indexes (-1: none); set by prepare */
    int32_t out;
    union {
        tfg_rt_conv_params conv;
        tfg_rt_dw_params dw;
        tfg_rt_fc_params fc;
        tfg_rt_pool_params pool;
        tfg_rt_add_params add;
        tfg_rt_softmax_params softmax;
        tfg_rt_logistic_params logistic;
        struct {
            float scale;
            int32_t zero_point;
        } q;
    } p;
    tfg_rt_requant rq;         /* points at multiplier/shift */
    int32_t *multiplier, *shift;
    int32_t *bias;             /* an aligned copy of the model's bias, or NULL */
    tfg_rt_dims din, dfilter, dout;
    tfg_rt_fc_dims fc;
    int32_t size, n1, n2, rows, depth;
    /* The kernel variant for the target: the C function the emitter calls and the
     * scratch bytes it needs while it runs (planned into the arena). The lowering sets
     * the reference kernel's; a variant chooser for the target's CPU may replace both
     * before the memory is planned. The host always runs the reference kernel, which
     * every variant must match byte for byte. */
    const char *kernel;        /* NULL: the op has no kernel call (structure only) */
    size_t scratch;
    /* What the chosen variant needs besides (tfg_lower_choose; NULL / false for the
     * reference): its name in reports, its kernel sums (bias - input zero point *
     * sum(weights) per output channel, in place of the bias), its weights in the order it
     * reads them (in place of input 1), and whether it writes its output in another
     * order than the reference's raster order (then it may not overlap its input). */
    const char *variant;       /* "reference", "dsp_conv_1x1", ... */
    int32_t *sums;
    int8_t *packed;
    size_t packed_len;
    bool no_stream;
} tfg_lower_step;

/* A tensor's lifetime: the steps (positions in execution order, inclusive) from the one
 * that writes it to the last that reads it; first -1 when no step or graph edge uses it
 * or it is a constant (weights stay in flash). */
typedef struct {
    int32_t first, last;
} tfg_lower_life;

typedef struct {
    const tfg_tflite *m;
    const tfg_tfl_subgraph *g;
    tfg_lower_step *steps;     /* in execution order */
    size_t n_steps;
    tfg_lower_life *life;      /* per tensor of g */
    int32_t n_positions;       /* max(n_steps, 1): an op-less graph still has step 0 */
    bool reordered;            /* the order is not the model's */
    bool prepared;             /* TFG_LOWER_PREPARE was given */
} tfg_lowered;

/* flags of tfg_lower */
#define TFG_LOWER_PREPARE 1u      /* check and prepare every step for running */
#define TFG_LOWER_MODEL_ORDER 2u  /* keep the model's operator order */

/* Lowers subgraph 0 of m (which must outlive *out: steps point into it). Without
 * TFG_LOWER_PREPARE only the order, lifetimes and planning facts are made, for any
 * model whose tensor indexes are in range (inspect plans models it cannot run); with
 * it, every op must be one tinyforge runs, and an error names the operator
 * ("model.tflite: operators[3] (CONV_2D): ..."). On error *out is empty (safe to
 * free). */
tfg_status tfg_lower(const tfg_tflite *m, unsigned flags, tfg_lowered *out, tfg_err *err);
void tfg_lower_free(tfg_lowered *l);

/* Chooses each prepared step's kernel variant for a CPU (boards.json's "core": the
 * Armv7E-M DSP kernels for "cortex-m4f", "cortex-m7", "cortex-m33f", ...; NULL, the
 * host, Cortex-M0/M0+, AVR and unknown cores keep the reference). Each op's file decides
 * for its steps from their shapes and prepared parameters alone, and fills kernel,
 * scratch, variant and what the variant reads (sums, packed); call it before the memory
 * is planned. The host interpreter still runs the reference kernel. l must be
 * prepared. */
void tfg_lower_choose(tfg_lowered *l, const char *core);

/* Whether a boards.json core has the Armv7E-M DSP extension (SMLAD, SXTB16). */
bool tfg_lower_core_has_dsp(const char *core);

/* Is tensor t constant data of the model (weights, biases: in flash, not planned)? */
bool tfg_lower_is_const(const tfg_tflite *m, const tfg_tfl_subgraph *g, int32_t t);

/* ---- what the memory planner reads ------------------------------------------------ */

/* Is step s's output the very bytes of its input 0 (RESHAPE)? */
bool tfg_lower_same_bytes(const tfg_lowered *l, const tfg_lower_step *s);

/* When step s's kernel streams its output over input k (reads every input byte it
 * needs before the written output reaches it): the most bytes the output runs ahead of
 * the first input byte still to be read; -1 when the output may not overlap input k. */
int64_t tfg_lower_stream_lag(const tfg_lowered *l, const tfg_lower_step *s, size_t k);

/* ---- what the C emitter reads ---------------------------------------------------- */

/* Where one step's C goes. The op writes its constants (params, requant, dims, bias),
 * named after name, into decl, and its kernel call into body; flash grows by the bytes
 * of const data it adds. x, w, y are the C expressions of input 0, input 1 ("NULL" when
 * absent; the step's packed weights when it has them) and the output. */
typedef struct {
    tfg_buf *decl, *body;
    size_t *flash;
    const char *name;
    const char *x, *w, *y;
    const char *scratch;       /* the step's planned scratch (&name_scratch), or "NULL" */
} tfg_lower_emit;

/* Can the emitter write step s (a prepared op with a C form; the float edges QUANTIZE
 * and DEQUANTIZE have none yet)? */
bool tfg_lower_can_emit(const tfg_lower_step *s);
/* Writes step s (tfg_lower_can_emit must hold). */
void tfg_lower_emit_step(const tfg_lower_step *s, const tfg_lower_emit *e);

/* ---- what the host interpreter reads --------------------------------------------- */

/* Runs prepared step s on the bytes x (input 0), w (input 1 or NULL), y (output). */
tfg_rt_status tfg_lower_eval_step(const tfg_lower_step *s, const void *x, const void *w,
                                  void *y);

#endif
