/* drops.c — the rule that judges whether row drops single out a class (drops.h): the
 * rates of loss, and the hypergeometric tail that says whether class-blind drops could
 * have done it. */
#include "data/drops.h"

#include <math.h>

/* log C(n, k) */
static double log_choose(size_t n, size_t k)
{
    return lgamma((double)n + 1) - lgamma((double)k + 1) - lgamma((double)(n - k) + 1);
}

double tfg_hypergeom_tail(size_t N, size_t K, size_t n, size_t k)
{
    if (K > N || n > N)
        return NAN;
    size_t hi = n < K ? n : K, lo = n > N - K ? n - (N - K) : 0;
    if (k <= lo)
        return 1;
    if (k > hi)
        return 0;
    /* sum the terms from the largest i down: they fall fast past the mode, so adding them
     * in log space relative to the first keeps the sum exact enough for tiny tails */
    double denom = log_choose(N, n), sum = 0;
    for (size_t i = k; i <= hi; i++) {
        double t = exp(log_choose(K, i) + log_choose(N - K, n - i) - denom);
        sum += t;
        if (t < sum * 1e-17)
            break;
    }
    return sum > 1 ? 1 : sum;
}

bool tfg_drop_disproportionate(size_t N, size_t n_c, size_t D, size_t d_c,
                               tfg_drop_judgement *j)
{
    tfg_drop_judgement local;
    if (!j)
        j = &local;
    j->rate_class = n_c ? (double)d_c / (double)n_c : 0;
    j->rate_rest = N > n_c ? (double)(D - d_c) / (double)(N - n_c) : 0;
    j->p = tfg_hypergeom_tail(N, n_c, D, d_c);
    if (d_c < TFG_DROP_MIN_ROWS || d_c > n_c || D > N || d_c > D)
        return false;
    return j->rate_class > TFG_DROP_RATE_RATIO * j->rate_rest && j->p < TFG_DROP_MAX_P;
}
