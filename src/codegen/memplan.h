/* memplan.h — the memory planner: where every activation tensor and kernel scratch
 * buffer lives in the one static arena of the generated firmware.
 *
 * The code generator decides memory ahead of time (no allocator on the device). Each
 * buffer has a size and a lifetime, the inclusive range of operators, in execution
 * order, during which it must hold its bytes. Two buffers whose lifetimes overlap must
 * not overlap in the arena; buffers that are never alive together may share bytes. The
 * planner places buffers greedily, largest first, each at the lowest aligned offset
 * free of every placed buffer alive at the same time (the idea of TFLM's
 * GreedyMemoryPlanner), tries a few other orders as well, and keeps the smallest arena.
 * Constants (weights) are not planned: they stay in flash.
 *
 * plan_tflite.c turns an imported .tflite model into buffers (tfg_plan_tflite);
 * docs/planner.md says how lifetimes are drawn and what the arena contains. */
#ifndef TFG_CODEGEN_MEMPLAN_H
#define TFG_CODEGEN_MEMPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "import/tflite.h"
#include "lower/lower.h"

/* Alignment of a buffer whose align is 0: enough for any int8/int32 kernel access and
 * for SIMD loads on Cortex-M (TFLM uses the same). */
#define TFG_MEM_ALIGN 16
/* offset of a buffer not placed in the arena (constants, unused tensors). */
#define TFG_MEM_NONE SIZE_MAX

/* One buffer to place. size 0 buffers take no space (offset 0). */
typedef struct {
    size_t size;       /* bytes */
    int32_t first_op;  /* first operator during which it is alive (0-based) */
    int32_t last_op;   /* last one, inclusive; >= first_op */
    size_t align;      /* a power of two; 0 means TFG_MEM_ALIGN */
    int32_t id;        /* caller's tag (tensor index, or -1 - op for scratch); kept as is */
    /* In-place streaming (optional; false = off). The op that writes this buffer first
     * (first_op) reads buffer in_place_of (an index into the same array), whose lifetime
     * ends at that very op, in a streaming order: the bytes it has written never run
     * more than lag bytes ahead of the first input byte it still has to read. This
     * buffer may then start lag bytes (or more) below in_place_of and overlap it, which
     * saves most of a feature map per layer in a chain of convolutions. */
    bool in_place;
    size_t in_place_of;
    size_t lag;
} tfg_mem_buffer;

/* Working memory that one operator's kernel needs while it runs (its *_scratch_size):
 * a buffer alive during that operator only. */
typedef struct {
    int32_t op;
    size_t size;
} tfg_mem_scratch;

typedef struct {
    tfg_mem_buffer *bufs;  /* the input buffers, then one per scratch entry */
    size_t *offset;        /* offset[i] of bufs[i] in the arena */
    size_t n_bufs;
    size_t n_scratch;      /* the last n_scratch of bufs are scratch buffers */
    int32_t n_ops;         /* 1 + the largest last_op */
    size_t arena_size;     /* max over buffers of offset + size */
    size_t naive_size;     /* the sum of all sizes: the arena without any reuse */
    size_t lower_bound;    /* max over ops of the bytes alive during it (an in-place
                              buffer counts min(lag, size) during its first op) */
} tfg_mem_plan;

/* Plans n buffers and n_scratch scratch entries into *p (which the caller frees with
 * tfg_mem_plan_free, also after an error). TFG_EUSAGE when a buffer has a negative or
 * reversed lifetime, an alignment that is not a power of two, sizes that overflow, or
 * an in_place_of that is out of range or does not end where the buffer begins. */
tfg_status tfg_mem_plan_make(const tfg_mem_buffer *bufs, size_t n,
                             const tfg_mem_scratch *scratch, size_t n_scratch,
                             tfg_mem_plan *p, tfg_err *err);

/* TFG_ECHECK naming the first broken rule: an offset not aligned, a buffer past
 * arena_size, or two buffers alive during the same op whose bytes overlap (other than
 * an in-place buffer at least lag bytes below the one it streams over). Used by the
 * tests on random problems and by the code generator before it trusts a plan. */
tfg_status tfg_mem_plan_verify(const tfg_mem_plan *p, tfg_err *err);

void tfg_mem_plan_free(tfg_mem_plan *p);

/* ---- the adapter for imported models (plan_tflite.c) ----------------------------- */

/* flags of tfg_plan_tflite. In-place convolutions rely on the kernels' raster order
 * (runtime/conv.c, depthwise.c); a target whose kernels work otherwise (im2col, tiles)
 * must plan with TFG_PLAN_NO_IN_PLACE. */
#define TFG_PLAN_NO_IN_PLACE 1u
#define TFG_PLAN_NO_ALIAS 2u /* RESHAPE outputs get buffers of their own */

/* The arena of subgraph 0 of a .tflite model. */
typedef struct {
    tfg_mem_plan mem;
    size_t n_tensors;
    size_t *tensor_offset;  /* per tensor: its arena offset, TFG_MEM_NONE when it has none */
    int32_t *tensor_buf;    /* per tensor: its index in mem.bufs, -1 when none */
    size_t tensor_bytes;    /* sum of the bytes of all non-constant tensors used */
    size_t n_aliased;       /* RESHAPE outputs that share their input's buffer */
    size_t n_in_place;      /* conv outputs allowed to overlap their dying input */
} tfg_tflite_mem;

/* Plans subgraph 0: every non-constant tensor that an operator or the subgraph uses is
 * a buffer alive from the op that writes it (op 0 for subgraph inputs and tensors no op
 * writes) to the last op that reads it (the last op for subgraph outputs). A RESHAPE
 * output shares its input's buffer (same bytes, reinterpreted), the two lifetimes
 * joined. The output of a CONV_2D or DEPTHWISE_CONV_2D (batch 1) whose input dies there
 * may overlap that input, lag bytes below it, lag computed from the window geometry
 * for the runtime's raster-order kernels (docs/planner.md). Kernel scratch comes from
 * the runtime's *_scratch_size. flags: TFG_PLAN_* above (0 = everything on).
 * TFG_EINPUT when the
 * model has no subgraph, an operator names a tensor out of range, or a non-constant
 * tensor has no fixed size. *out is safe to free after an error. */
tfg_status tfg_plan_tflite(const tfg_tflite *m, unsigned flags, tfg_tflite_mem *out,
                           tfg_err *err);

/* The same on a lowering made already (the emitter's, prepared, whose steps may carry
 * the scratch of the kernel variants chosen for the target): lifetimes, same-bytes and
 * streaming facts and scratch all come from l. */
tfg_status tfg_plan_lowered(const tfg_lowered *l, unsigned flags, tfg_tflite_mem *out,
                            tfg_err *err);

void tfg_tflite_mem_free(tfg_tflite_mem *t);

#endif
