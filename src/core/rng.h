/* rng.h — the one pseudo-random generator (xoshiro256**, seeded through splitmix64).
 * Everything random in tinyforge (shuffles, splits, sampling, weight init) draws from a
 * tfg_rng seeded from the spec's seed, so the same seed gives the same run on any
 * machine: no rand(), no time-based seeds. */
#ifndef TFG_CORE_RNG_H
#define TFG_CORE_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t s[4];
} tfg_rng;

void tfg_rng_seed(tfg_rng *r, uint64_t seed);
uint64_t tfg_rng_u64(tfg_rng *r);
/* Uniform in [0, n) without modulo bias; n > 0. */
uint64_t tfg_rng_below(tfg_rng *r, uint64_t n);
/* Uniform in [0, 1) with 53 random bits. */
double tfg_rng_uniform(tfg_rng *r);
/* Standard normal (Box-Muller; deterministic, no cached second value). */
double tfg_rng_normal(tfg_rng *r);
/* Fisher-Yates shuffle of idx[0..n). */
void tfg_rng_shuffle(tfg_rng *r, size_t *idx, size_t n);

#endif
