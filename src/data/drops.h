/* drops.h — judging whether a plan's row drops single out a class. A drop that follows
 * evidence (a missing label, a copy of a row) falls on the classes about evenly; one that
 * follows the values (an "outlier" fence) can take a class's hard cases and hide them from
 * training. The data validator rejects a plan whose drops do that (src/pilot/stage_data.c);
 * the rule, stated in docs/plan.md:
 *
 *   a class c is removed disproportionately when
 *   (1) its rows go at more than twice the rate of the other classes' rows, and
 *   (2) at least TFG_DROP_MIN_ROWS of its rows go, and
 *   (3) drops that ignored the class would take that many of its rows with probability
 *       below TFG_DROP_MAX_P (the hypergeometric tail: D rows drawn from N, n_c of them
 *       of class c, at least d_c of class c).
 *
 * (1) is the size of the harm, (2) and (3) that it is signal, not a row or two of noise. */
#ifndef TFG_DATA_DROPS_H
#define TFG_DATA_DROPS_H

#include <stdbool.h>
#include <stddef.h>

#define TFG_DROP_RATE_RATIO 2.0
#define TFG_DROP_MIN_ROWS 3
#define TFG_DROP_MAX_P 0.001

/* P(X >= k) for X hypergeometric: n draws without replacement from N rows, K of them
 * marked. 0 when k > min(n, K); 1 when k == 0. */
double tfg_hypergeom_tail(size_t N, size_t K, size_t n, size_t k);

typedef struct {
    double rate_class, rate_rest; /* d_c / n_c and (D - d_c) / (N - n_c) */
    double p;                     /* the tail probability of (3) */
} tfg_drop_judgement;

/* Is class c (n_c of the N rows, d_c of the D dropped) removed disproportionately?
 * j (may be NULL) gets the numbers either way. */
bool tfg_drop_disproportionate(size_t N, size_t n_c, size_t D, size_t d_c,
                               tfg_drop_judgement *j);

#endif
