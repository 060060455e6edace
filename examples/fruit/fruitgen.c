/* fruitgen.c — makes the fruit example's data set: colour readings of apples, bananas
 * and oranges, with a documented amount of dirt for the data stage to clean.
 *
 * The model follows Arduino's FruitToEmoji example: an APDS9960 colour sensor returns
 * red, green, blue (and clear) counts for a fruit held in front of it, and the
 * features are the proportions red = R/(R+G+B), green = G/(R+G+B), blue = B/(R+G+B),
 * which do not depend on how bright the light is. Each sample draws a brightness
 * factor (uniform 0.5..1.5, ~600 counts in all at 1.0) and multiplies every channel by
 * its own Gaussian noise (5 %), then rounds the counts and the proportions (4
 * decimals). The rows are shuffled, then dirt is injected deterministically: about 2 %
 * missing cells, 6 gross outliers (saturation glitches far beyond 3 IQR) and 4 exact
 * duplicate rows. `--manifest` prints where the dirt is (JSON) instead of the CSV, so
 * tests can check that cleaning removed exactly this dirt. examples/fruit/README.md
 * documents the defaults.
 *
 * Standalone C99 with libc and libm only, so it builds anywhere; its randomness is its
 * own splitmix64 generator (Steele, Lea & Flood) with Box-Muller normals: the same
 * seed gives the same file on every machine.
 *
 *   fruitgen [--seed N] [--rows N] [--manifest]   (defaults: seed 2025, 300 rows) */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_CLASSES 3
#define N_FEATURES 3
#define SCALE 10000          /* proportions are kept as integers in units of 1e-4 */
#define CHANNEL_NOISE 0.05   /* relative sd of each channel's count */
#define TOTAL_COUNTS 600.0   /* R+G+B at brightness 1 */
#define N_OUTLIERS 6
#define N_DUPLICATES 4
#define MISSING_FRACTION 0.02
#define MIN_ROWS 30
/* Beyond this, 4-decimal colours of one fruit run out of distinct values: rows could
 * not all differ, and the only duplicates must be the injected ones. */
#define MAX_ROWS 100000

static const char *const class_names[N_CLASSES] = {"apple", "banana", "orange"};
static const char *const feature_names[N_FEATURES] = {"red", "green", "blue"};
/* Mean colour proportions (red, green, blue) of each fruit under a white LED. */
static const double class_means[N_CLASSES][N_FEATURES] = {
    {0.56, 0.25, 0.19}, /* apple: red dominates */
    {0.43, 0.42, 0.15}, /* banana: yellow, red about equal to green, little blue */
    {0.63, 0.28, 0.09}, /* orange: much red, some green, least blue */
};
/* The glitches: which column, and the proportion a misbehaving sensor reported (one
 * channel saturated, so it takes nearly all of R+G+B). Only green and blue: red's
 * IQR spans all three fruits (0.43..0.63), so no proportion in [0, 1] lies beyond
 * 3 IQR of it, and a glitch that a fence cannot see would not be a test of cleaning. */
static const struct {
    int col;
    int value;
} glitches[N_OUTLIERS] = {{1, 9800}, {2, 9700}, {1, 9900}, {2, 10000}, {1, 10000}, {2, 9500}};

typedef struct {
    int v[N_FEATURES];       /* proportion * SCALE */
    int missing[N_FEATURES]; /* 1: the cell is printed empty */
    int cls;
    int outlier_col;         /* -1, or the column holding a glitch */
    int dup_of;              /* -1, or the row this row copies */
    int copied;              /* a later row copies this one */
} row;

/* ---- randomness --------------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t next_u64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double uniform(void) /* [0, 1) */
{
    return (double)(next_u64() >> 11) * (1.0 / 9007199254740992.0);
}

static size_t below(size_t n) /* [0, n); the bias of % is < 1e-13 for our n */
{
    return (size_t)(next_u64() % n);
}

static double normal(void)
{
    double u1 = uniform(), u2 = uniform();
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* ---- clean samples ------------------------------------------------------------ */

static void draw_sample(row *r, int cls)
{
    double brightness = 0.5 + uniform(), counts[N_FEATURES], sum = 0;
    for (int c = 0; c < N_FEATURES; c++) {
        double x = TOTAL_COUNTS * brightness * class_means[cls][c] * (1 + CHANNEL_NOISE * normal());
        counts[c] = x < 1 ? 1 : floor(x + 0.5); /* the sensor reports whole counts */
        sum += counts[c];
    }
    memset(r, 0, sizeof *r);
    r->cls = cls;
    r->outlier_col = r->dup_of = -1;
    for (int c = 0; c < N_FEATURES; c++)
        r->v[c] = (int)floor(counts[c] / sum * SCALE + 0.5);
}

static int same_values(const row *a, const row *b)
{
    if (a->cls != b->cls)
        return 0;
    for (int c = 0; c < N_FEATURES; c++)
        if (a->missing[c] != b->missing[c] || (!a->missing[c] && a->v[c] != b->v[c]))
            return 0;
    return 1;
}

static int cmp_rows(const void *pa, const void *pb)
{
    const row *a = *(const row *const *)pa, *b = *(const row *const *)pb;
    if (a->cls != b->cls)
        return a->cls - b->cls;
    for (int c = 0; c < N_FEATURES; c++) {
        int x = a->missing[c] ? -1 : a->v[c], y = b->missing[c] ? -1 : b->v[c];
        if (x != y)
            return x < y ? -1 : 1;
    }
    return a < b ? -1 : a > b; /* equal rows: keep them in file order */
}

/* Marks with 1 in later[] every row equal to an earlier one (by position in rows[]);
 * skip_dups leaves the injected duplicates out. Returns how many were marked. */
static size_t find_equal(const row *rows, size_t n, int skip_dups, char *later)
{
    const row **p = malloc((n ? n : 1) * sizeof *p);
    if (!p)
        exit(2);
    for (size_t i = 0; i < n; i++)
        p[i] = &rows[i];
    qsort(p, n, sizeof *p, cmp_rows);
    size_t found = 0;
    memset(later, 0, n);
    for (size_t i = 1; i < n; i++)
        if (same_values(p[i - 1], p[i]) && !(skip_dups && p[i]->dup_of >= 0)) {
            later[p[i] - rows] = 1;
            found++;
        }
    free(p);
    return found;
}

/* Draws the colour of every row equal to an earlier one again, keeping its dirt,
 * until no two rows are alike: the only duplicates are to be the injected ones. */
static void redraw_equal(row *rows, size_t n)
{
    char *later = malloc(n ? n : 1);
    if (!later)
        exit(2);
    while (find_equal(rows, n, 0, later))
        for (size_t k = 0; k < n; k++) {
            if (!later[k])
                continue;
            row dirt = rows[k];
            draw_sample(&rows[k], dirt.cls);
            memcpy(rows[k].missing, dirt.missing, sizeof dirt.missing);
            rows[k].outlier_col = dirt.outlier_col;
            if (dirt.outlier_col >= 0)
                rows[k].v[dirt.outlier_col] = dirt.v[dirt.outlier_col];
        }
    free(later);
}

/* n samples, classes as equal as n allows, in shuffled order, no two alike. */
static row *clean_samples(size_t n)
{
    row *rows = malloc(n * sizeof *rows);
    if (!rows)
        exit(2);
    for (size_t i = 0; i < n; i++)
        draw_sample(&rows[i], (int)(i % N_CLASSES));
    for (size_t i = n; i > 1; i--) { /* Fisher-Yates */
        size_t j = below(i);
        row t = rows[i - 1];
        rows[i - 1] = rows[j];
        rows[j] = t;
    }
    redraw_equal(rows, n);
    return rows;
}

/* ---- dirt --------------------------------------------------------------------- */

static int is_dirty(const row *r)
{
    return r->outlier_col >= 0 || r->missing[0] || r->missing[1] || r->missing[2];
}

static size_t pick_clean_row(const row *rows, size_t n)
{
    for (;;) {
        size_t i = below(n);
        if (!is_dirty(&rows[i]))
            return i;
    }
}

static void inject_outliers_and_missing(row *rows, size_t n, size_t n_missing)
{
    for (int k = 0; k < N_OUTLIERS; k++) {
        size_t i = pick_clean_row(rows, n);
        rows[i].outlier_col = glitches[k].col;
        rows[i].v[glitches[k].col] = glitches[k].value;
    }
    for (size_t k = 0; k < n_missing; k++) /* one missing cell per row, columns in turn */
        rows[pick_clean_row(rows, n)].missing[k % N_FEATURES] = 1;
    redraw_equal(rows, n); /* a blank can make two rows equal (same fruit, other cells) */
}

/* The final rows: the n samples with N_DUPLICATES copies of clean samples inserted
 * at random places after their originals. */
static row *insert_duplicates(const row *samples, size_t n, size_t *n_out)
{
    size_t total = n + N_DUPLICATES;
    row *out = malloc(total * sizeof *out);
    if (!out)
        exit(2);
    memcpy(out, samples, n * sizeof *out);
    size_t len = n;
    for (int k = 0; k < N_DUPLICATES; k++) {
        size_t src;
        do /* a clean sample that is neither a copy nor copied already */
            src = pick_clean_row(out, len);
        while (out[src].dup_of >= 0 || out[src].copied);
        out[src].copied = 1;
        row copy = out[src];
        copy.dup_of = (int)src; /* kept pointing at the original as rows shift */
        copy.copied = 0;
        size_t at = src + 1 + below(len - src); /* somewhere after the original */
        memmove(&out[at + 1], &out[at], (len - at) * sizeof *out);
        out[at] = copy;
        for (size_t i = 0; i <= len; i++) /* originals after `at` moved down one */
            if (i != at && out[i].dup_of >= (int)at)
                out[i].dup_of++;
        len++;
    }
    *n_out = len;
    return out;
}

/* ---- checks of the promises README makes --------------------------------------- */

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static double quantile(const int *v, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)pos;
    if (lo + 1 >= n)
        return v[n - 1];
    return v[lo] + (pos - (double)lo) * (v[lo + 1] - v[lo]);
}

/* Every glitch lies beyond 3 IQR of its column and no clean value even beyond the
 * usual 1.5 IQR fences, so any IQR rule finds exactly the glitches; the only equal
 * rows are the injected duplicates. Returns 0 when all hold. */
static int verify(const row *rows, size_t n)
{
    int *v = malloc(n * sizeof *v);
    if (!v)
        exit(2);
    int bad = 0;
    for (int c = 0; c < N_FEATURES; c++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (!rows[i].missing[c])
                v[k++] = rows[i].v[c];
        qsort(v, k, sizeof *v, cmp_int);
        double q1 = quantile(v, k, 0.25), q3 = quantile(v, k, 0.75), iqr = q3 - q1;
        for (size_t i = 0; i < n; i++) {
            if (rows[i].missing[c])
                continue;
            int x = rows[i].v[c], glitch = rows[i].outlier_col == c;
            int far = x < q1 - 3 * iqr || x > q3 + 3 * iqr;
            int out = x < q1 - 1.5 * iqr || x > q3 + 1.5 * iqr;
            if (glitch ? !far : out) {
                fprintf(stderr, "fruitgen: row %zu, %s: %s\n", i + 1, feature_names[c],
                        glitch ? "a glitch lies within 3 IQR"
                               : "a clean value lies beyond 1.5 IQR");
                bad = 1;
            }
        }
    }
    free(v);
    char *later = malloc(n);
    if (!later)
        exit(2);
    if (find_equal(rows, n, 1, later)) {
        fprintf(stderr, "fruitgen: two rows are equal by accident\n");
        bad = 1;
    }
    free(later);
    return bad;
}

/* ---- output ------------------------------------------------------------------- */

static void print_csv(const row *rows, size_t n)
{
    printf("red,green,blue,fruit\n");
    for (size_t i = 0; i < n; i++) {
        for (int c = 0; c < N_FEATURES; c++) {
            if (!rows[i].missing[c])
                printf("%d.%04d", rows[i].v[c] / SCALE, rows[i].v[c] % SCALE);
            putchar(',');
        }
        printf("%s\n", class_names[rows[i].cls]);
    }
}

/* Row numbers are 1-based data rows (the header is not counted). */
static void print_manifest(const row *rows, size_t n)
{
    const char *sep = "";
    printf("{\n  \"missing_cells\": [");
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < N_FEATURES; c++)
            if (rows[i].missing[c]) {
                printf("%s[%zu, \"%s\"]", sep, i + 1, feature_names[c]);
                sep = ", ";
            }
    printf("],\n  \"outliers\": [");
    sep = "";
    for (size_t i = 0; i < n; i++)
        if (rows[i].outlier_col >= 0) {
            int c = rows[i].outlier_col;
            printf("%s[%zu, \"%s\", %d.%04d]", sep, i + 1, feature_names[c],
                   rows[i].v[c] / SCALE, rows[i].v[c] % SCALE);
            sep = ", ";
        }
    printf("],\n  \"duplicates\": [");
    sep = "";
    for (size_t i = 0; i < n; i++)
        if (rows[i].dup_of >= 0) {
            printf("%s[%zu, %d]", sep, i + 1, rows[i].dup_of + 1);
            sep = ", ";
        }
    printf("]\n}\n");
}

static int parse_count(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || v > max || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    unsigned long long seed = 2025, n = 300;
    int manifest = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--manifest")) {
            manifest = 1;
        } else if (i + 1 < argc && !strcmp(argv[i], "--seed")) {
            if (parse_count(argv[++i], UINT64_MAX, &seed)) {
                fprintf(stderr, "fruitgen: --seed wants a whole number, got '%s'\n", argv[i]);
                return 2;
            }
        } else if (i + 1 < argc && !strcmp(argv[i], "--rows")) {
            if (parse_count(argv[++i], MAX_ROWS, &n) || n < MIN_ROWS) {
                fprintf(stderr, "fruitgen: --rows wants %d to %d, got '%s'\n", MIN_ROWS, MAX_ROWS,
                        argv[i]);
                return 2;
            }
        } else {
            fprintf(stderr, "usage: fruitgen [--seed N] [--rows N] [--manifest]\n");
            return 2;
        }
    }
    rng_state = seed;
    row *samples = clean_samples((size_t)n);
    size_t n_missing = (size_t)floor(MISSING_FRACTION * (double)n * N_FEATURES + 0.5);
    inject_outliers_and_missing(samples, (size_t)n, n_missing);
    size_t total;
    row *rows = insert_duplicates(samples, (size_t)n, &total);
    free(samples);
    if (verify(rows, total)) {
        fprintf(stderr, "fruitgen: seed %llu breaks a promise of README.md; try another\n",
                seed);
        free(rows);
        return 1;
    }
    if (manifest)
        print_manifest(rows, total);
    else
        print_csv(rows, total);
    free(rows);
    return fflush(stdout) == 0 ? 0 : 1;
}
