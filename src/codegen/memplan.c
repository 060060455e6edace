/* memplan.c — places buffers with known lifetimes in one arena (see memplan.h).
 *
 * Greedy first fit: take the buffers in some order and put each at the lowest aligned
 * offset where it clashes with no already-placed buffer that is alive at the same time.
 * Largest first (TFLM's order) is usually best because big buffers fix the shape of the
 * arena and small ones fill the holes; but on some graphs a lifetime-based order wins,
 * and in-place chains (a buffer allowed to start lag bytes below the one it streams
 * over) fit only when placed from the last op backwards, so a few orders are tried and
 * the smallest arena is kept. Every order is deterministic (ties broken by buffer
 * index), so a plan never changes between runs. Cost is O(orders x n^2 log n): models
 * for microcontrollers have tens to hundreds of tensors. */
#include <stdlib.h>
#include <string.h>

#include "codegen/memplan.h"
#include "core/alloc.h"

/* Sizes at or above this are refused: it keeps every offset sum below SIZE_MAX. */
#define SIZE_LIMIT (SIZE_MAX / 4)

typedef enum {
    ORDER_SIZE,
    ORDER_LIFETIME,
    ORDER_AREA,
    ORDER_START,
    ORDER_END,
    ORDER_END_START,
    N_ORDERS
} order_kind;

/* A sort key: larger primary first, then larger secondary, then lower index. */
typedef struct {
    uint64_t primary, secondary;
    size_t index;
} order_key;

static size_t align_up(size_t x, size_t a)
{
    return (x + a - 1) & ~(a - 1);
}

static int alive_together(const tfg_mem_buffer *a, const tfg_mem_buffer *b)
{
    return a->first_op <= b->last_op && b->first_op <= a->last_op;
}

static uint64_t lifetime(const tfg_mem_buffer *b)
{
    return (uint64_t)((int64_t)b->last_op - b->first_op + 1);
}

static int cmp_key(const void *pa, const void *pb)
{
    const order_key *a = pa, *b = pb;
    if (a->primary != b->primary)
        return a->primary > b->primary ? -1 : 1;
    if (a->secondary != b->secondary)
        return a->secondary > b->secondary ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Fills order[] with the buffer indexes in the given kind of order. */
static void make_order(const tfg_mem_buffer *bufs, size_t n, order_kind kind, size_t *order)
{
    order_key *keys = tfg_xcalloc(n ? n : 1, sizeof *keys);
    for (size_t i = 0; i < n; i++) {
        const tfg_mem_buffer *b = &bufs[i];
        keys[i].index = i;
        switch (kind) {
        case ORDER_SIZE:
            keys[i].primary = b->size;
            keys[i].secondary = lifetime(b);
            break;
        case ORDER_LIFETIME:
            keys[i].primary = lifetime(b);
            keys[i].secondary = b->size;
            break;
        case ORDER_AREA: /* size x lifetime saturates instead of wrapping */
            keys[i].primary = b->size && lifetime(b) > UINT64_MAX / b->size
                                  ? UINT64_MAX
                                  : (uint64_t)b->size * lifetime(b);
            keys[i].secondary = b->size;
            break;
        case ORDER_START: /* earliest first, as a linear scan would meet them */
            keys[i].primary = (uint64_t)INT32_MAX - (uint64_t)b->first_op;
            keys[i].secondary = b->size;
            break;
        case ORDER_END: /* latest end first: an in-place chain is placed backwards and
                         * drifts up from 0 by its lags */
            keys[i].primary = (uint64_t)b->last_op;
            keys[i].secondary = b->size;
            break;
        default: /* ORDER_END_START: the same, ties by latest start, then in-place
                  * buffers before the one they stream over (which goes lag above) */
            keys[i].primary = (uint64_t)b->last_op << 31 | (uint64_t)b->first_op;
            keys[i].secondary = (b->in_place ? (uint64_t)1 << 63 : 0) | b->size;
            break;
        }
    }
    qsort(keys, n, sizeof *keys, cmp_key);
    for (size_t i = 0; i < n; i++)
        order[i] = keys[i].index;
    free(keys);
}

/* Does bufs[out] stream over bufs[in] (see tfg_mem_buffer.in_place)? */
static bool streams_over(const tfg_mem_buffer *bufs, size_t out, size_t in)
{
    return bufs[out].in_place && bufs[out].in_place_of == in &&
           bufs[out].first_op == bufs[in].last_op;
}

/* How far below a buffer it streams over an in-place buffer must start. */
static size_t min_lag(const tfg_mem_buffer *b)
{
    return b->lag < b->size ? b->lag : b->size;
}

/* Start offsets s with lo < s < hi would make the buffer clash with a placed one. */
typedef struct {
    int64_t lo, hi;
} clash;

static int cmp_clash(const void *pa, const void *pb)
{
    const clash *a = pa, *b = pb;
    return (a->lo > b->lo) - (a->lo < b->lo);
}

/* The starts of bufs[b] that clash with bufs[q] (placed, alive at the same time). */
static clash clash_with(const tfg_mem_buffer *bufs, const size_t *offset, size_t b, size_t q)
{
    int64_t at = (int64_t)offset[q];
    int64_t below = (int64_t)bufs[b].size, above = (int64_t)bufs[q].size;
    if (streams_over(bufs, b, q)) /* b may start lag below q and run into it */
        below = (int64_t)min_lag(&bufs[b]);
    else if (streams_over(bufs, q, b)) /* q runs into b: b may start lag above q */
        above = (int64_t)min_lag(&bufs[q]);
    return (clash){at - below, at + above};
}

/* The lowest aligned offset for bufs[b] that clashes with no placed buffer. With the
 * clashes sorted by their low end, one pass finds it: once the candidate is at or below
 * a low end, every later clash starts above it too. cl has room for n_placed. */
static size_t first_fit(const tfg_mem_buffer *bufs, const size_t *offset, const size_t *placed,
                        size_t n_placed, size_t b, clash *cl)
{
    size_t n = 0;
    for (size_t k = 0; k < n_placed; k++) {
        size_t q = placed[k];
        if (bufs[q].size && alive_together(&bufs[b], &bufs[q]))
            cl[n++] = clash_with(bufs, offset, b, q);
    }
    qsort(cl, n, sizeof *cl, cmp_clash);
    size_t at = 0;
    for (size_t k = 0; k < n && (int64_t)at > cl[k].lo; k++)
        if ((int64_t)at < cl[k].hi)
            at = align_up((size_t)cl[k].hi, bufs[b].align);
    return at;
}

/* Places all buffers in the given order; returns the arena size, offsets in offset[]. */
static size_t place_all(const tfg_mem_buffer *bufs, size_t n, const size_t *order,
                        size_t *offset)
{
    size_t *placed = tfg_xcalloc(n ? n : 1, sizeof *placed);
    clash *cl = tfg_xcalloc(n ? n : 1, sizeof *cl);
    size_t n_placed = 0, arena = 0;
    for (size_t k = 0; k < n; k++) {
        size_t b = order[k];
        offset[b] = bufs[b].size ? first_fit(bufs, offset, placed, n_placed, b, cl) : 0;
        if (offset[b] + bufs[b].size > arena)
            arena = offset[b] + bufs[b].size;
        /* insert b into placed, keeping it sorted by offset */
        size_t pos = n_placed;
        while (pos > 0 && offset[placed[pos - 1]] > offset[b]) {
            placed[pos] = placed[pos - 1];
            pos--;
        }
        placed[pos] = b;
        n_placed++;
    }
    free(placed);
    free(cl);
    return arena;
}

/* A change of live bytes at an op: a buffer starts (+) or has just ended (-). */
typedef struct {
    int64_t op;
    int64_t delta;
} live_event;

static int cmp_event(const void *pa, const void *pb)
{
    const live_event *a = pa, *b = pb;
    if (a->op != b->op)
        return a->op < b->op ? -1 : 1;
    /* ends before starts at the same op, so a buffer ending at op-1 never counts at op */
    return (a->delta > b->delta) - (a->delta < b->delta);
}

/* max over ops of the bytes alive during it: no arena can be smaller. An in-place
 * buffer adds only min(lag, size) during its first op: it and the buffer it streams
 * over span at least that much more than the latter alone. Within one op the ends sort
 * first, so the running sum peaks only once all of the op's changes are in. */
static size_t live_peak(const tfg_mem_buffer *bufs, size_t n)
{
    live_event *ev = tfg_xcalloc(3 * n + 1, sizeof *ev);
    size_t n_ev = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t size = (int64_t)bufs[i].size;
        int64_t first = bufs[i].in_place ? (int64_t)min_lag(&bufs[i]) : size;
        ev[n_ev++] = (live_event){bufs[i].first_op, first};
        if (first < size)
            ev[n_ev++] = (live_event){(int64_t)bufs[i].first_op + 1, size - first};
        ev[n_ev++] = (live_event){(int64_t)bufs[i].last_op + 1, -size};
    }
    qsort(ev, n_ev, sizeof *ev, cmp_event);
    int64_t live = 0, peak = 0;
    for (size_t i = 0; i < n_ev; i++) {
        live += ev[i].delta;
        if (live > peak)
            peak = live;
    }
    free(ev);
    return (size_t)peak;
}

static tfg_status check_buffer(const tfg_mem_buffer *b, size_t i, tfg_err *err)
{
    if (b->first_op < 0 || b->last_op < b->first_op)
        return tfg_err_set(err, TFG_EUSAGE,
                           "memory plan: buffer %zu (id %d) has lifetime [%d, %d]; expected "
                           "0 <= first_op <= last_op",
                           i, (int)b->id, (int)b->first_op, (int)b->last_op);
    if (b->align & (b->align - 1))
        return tfg_err_set(err, TFG_EUSAGE,
                           "memory plan: buffer %zu (id %d) has alignment %zu; expected a "
                           "power of two (or 0 for %d)",
                           i, (int)b->id, b->align, TFG_MEM_ALIGN);
    if (b->size >= SIZE_LIMIT || b->align >= SIZE_LIMIT || b->lag >= SIZE_LIMIT)
        return tfg_err_set(err, TFG_EUSAGE,
                           "memory plan: buffer %zu (id %d) has size %zu, alignment %zu, lag "
                           "%zu; expected each less than %zu bytes",
                           i, (int)b->id, b->size, b->align, b->lag, (size_t)SIZE_LIMIT);
    return TFG_OK;
}

/* An in-place buffer must name another (non-scratch) buffer that dies as it is born. */
static tfg_status check_in_place(const tfg_mem_plan *p, size_t n, size_t i, tfg_err *err)
{
    const tfg_mem_buffer *b = &p->bufs[i];
    if (!b->in_place || (i < n && b->in_place_of < n && b->in_place_of != i &&
                         p->bufs[b->in_place_of].last_op == b->first_op))
        return TFG_OK;
    return tfg_err_set(err, TFG_EUSAGE,
                       "memory plan: buffer %zu (id %d) is in place of buffer %zu; expected "
                       "another buffer whose lifetime ends at op %d",
                       i, (int)b->id, b->in_place_of, (int)b->first_op);
}

/* Copies buffers and scratch entries into p->bufs, alignment 0 made explicit. */
static tfg_status collect(const tfg_mem_buffer *bufs, size_t n, const tfg_mem_scratch *scratch,
                          size_t n_scratch, tfg_mem_plan *p, tfg_err *err)
{
    p->n_bufs = n + n_scratch;
    p->n_scratch = n_scratch;
    p->bufs = tfg_xcalloc(p->n_bufs ? p->n_bufs : 1, sizeof *p->bufs);
    p->offset = tfg_xcalloc(p->n_bufs ? p->n_bufs : 1, sizeof *p->offset);
    for (size_t i = 0; i < n; i++)
        p->bufs[i] = bufs[i];
    for (size_t s = 0; s < n_scratch; s++) {
        int32_t op = scratch[s].op;
        p->bufs[n + s] = (tfg_mem_buffer){
            .size = scratch[s].size, .first_op = op, .last_op = op, .id = -1 - op};
    }
    size_t total = 0;
    for (size_t i = 0; i < p->n_bufs; i++) {
        tfg_mem_buffer *b = &p->bufs[i];
        tfg_status st = check_buffer(b, i, err);
        if (st == TFG_OK)
            st = check_in_place(p, n, i, err);
        if (st)
            return st;
        if (b->align == 0)
            b->align = TFG_MEM_ALIGN;
        /* every offset is at most the sum of all aligned sizes; keep that sum in range */
        total += b->size + b->align;
        if (total >= SIZE_LIMIT)
            return tfg_err_set(err, TFG_EUSAGE,
                               "memory plan: the buffers add up to more than %zu bytes",
                               (size_t)SIZE_LIMIT);
        p->naive_size += b->size;
        if (b->last_op >= p->n_ops)
            p->n_ops = b->last_op + 1;
    }
    return TFG_OK;
}

tfg_status tfg_mem_plan_make(const tfg_mem_buffer *bufs, size_t n,
                             const tfg_mem_scratch *scratch, size_t n_scratch,
                             tfg_mem_plan *p, tfg_err *err)
{
    memset(p, 0, sizeof *p);
    tfg_status st = collect(bufs, n, scratch, n_scratch, p, err);
    if (st)
        return st;
    size_t m = p->n_bufs;
    size_t *order = tfg_xcalloc(m ? m : 1, sizeof *order);
    size_t *trial = tfg_xcalloc(m ? m : 1, sizeof *trial);
    p->arena_size = SIZE_MAX;
    for (int kind = 0; kind < N_ORDERS; kind++) {
        make_order(p->bufs, m, (order_kind)kind, order);
        size_t arena = place_all(p->bufs, m, order, trial);
        if (arena < p->arena_size) { /* strictly smaller: ties keep the earlier order */
            p->arena_size = arena;
            memcpy(p->offset, trial, m * sizeof *trial);
        }
    }
    free(order);
    free(trial);
    p->lower_bound = live_peak(p->bufs, m);
    return TFG_OK;
}

/* The first op during which both buffers are alive (they must be). */
static int32_t first_shared_op(const tfg_mem_buffer *a, const tfg_mem_buffer *b)
{
    return a->first_op > b->first_op ? a->first_op : b->first_op;
}

tfg_status tfg_mem_plan_verify(const tfg_mem_plan *p, tfg_err *err)
{
    for (size_t i = 0; i < p->n_bufs; i++) {
        const tfg_mem_buffer *b = &p->bufs[i];
        size_t align = b->align ? b->align : TFG_MEM_ALIGN;
        if (p->offset[i] % align)
            return tfg_err_set(err, TFG_ECHECK,
                               "memory plan: buffer %zu (id %d) at offset %zu is not aligned "
                               "to %zu bytes",
                               i, (int)b->id, p->offset[i], align);
        if (p->offset[i] > p->arena_size || b->size > p->arena_size - p->offset[i])
            return tfg_err_set(err, TFG_ECHECK,
                               "memory plan: buffer %zu (id %d) at [%zu, %zu) ends past the "
                               "arena of %zu bytes",
                               i, (int)b->id, p->offset[i], p->offset[i] + b->size,
                               p->arena_size);
    }
    for (size_t i = 0; i < p->n_bufs; i++) {
        const tfg_mem_buffer *a = &p->bufs[i];
        for (size_t j = i + 1; j < p->n_bufs; j++) {
            const tfg_mem_buffer *b = &p->bufs[j];
            if (!a->size || !b->size || !alive_together(a, b))
                continue;
            if (streams_over(p->bufs, j, i) && p->offset[j] + min_lag(b) <= p->offset[i])
                continue;
            if (streams_over(p->bufs, i, j) && p->offset[i] + min_lag(a) <= p->offset[j])
                continue;
            if (p->offset[i] < p->offset[j] + b->size && p->offset[j] < p->offset[i] + a->size)
                return tfg_err_set(err, TFG_ECHECK,
                                   "memory plan: buffers %zu (id %d, [%zu, %zu)) and %zu (id "
                                   "%d, [%zu, %zu)) are both alive at op %d but share bytes",
                                   i, (int)a->id, p->offset[i], p->offset[i] + a->size, j,
                                   (int)b->id, p->offset[j], p->offset[j] + b->size,
                                   (int)first_shared_op(a, b));
        }
    }
    return TFG_OK;
}

void tfg_mem_plan_free(tfg_mem_plan *p)
{
    free(p->bufs);
    free(p->offset);
    memset(p, 0, sizeof *p);
}
