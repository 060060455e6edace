/* check.h — the tiny assertion kit of the C unit tests. A failed CHECK prints the file,
 * line and expression and counts a failure; TFG_SKIP says which checks could not run and
 * why; TFG_TEST_MAIN runs the listed test functions and exits 1 if any check failed,
 * else 77 (ctest's SKIP_RETURN_CODE: reported as skipped, never as passed) if anything
 * was skipped, else 0. */
#ifndef TFG_TESTS_CHECK_H
#define TFG_TESTS_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tfg_check_failures;
static int tfg_check_count;
static int tfg_check_skips;

/* Checks that cannot run here (a reference folder or tool is missing): say so, and the
 * test ends as skipped unless something failed. */
#define TFG_SKIP(...)                                                                      \
    do {                                                                                   \
        tfg_check_skips++;                                                                 \
        printf("SKIP: ");                                                                  \
        printf(__VA_ARGS__);                                                               \
        putchar('\n');                                                                     \
    } while (0)

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        tfg_check_count++;                                                                 \
        if (!(cond)) {                                                                     \
            tfg_check_failures++;                                                          \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);       \
        }                                                                                  \
    } while (0)

#define CHECK_MSG(cond, ...)                                                               \
    do {                                                                                   \
        tfg_check_count++;                                                                 \
        if (!(cond)) {                                                                     \
            tfg_check_failures++;                                                          \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);       \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
        }                                                                                  \
    } while (0)

#define CHECK_INT(a, b)                                                                    \
    CHECK_MSG((long long)(a) == (long long)(b), "%lld != %lld", (long long)(a), (long long)(b))
#define CHECK_NEAR(a, b, tol)                                                              \
    CHECK_MSG(fabs((double)(a) - (double)(b)) <= (tol), "%.17g vs %.17g", (double)(a),      \
              (double)(b))
#define CHECK_STR(a, b)                                                                    \
    CHECK_MSG(strcmp((a), (b)) == 0, "\"%s\" != \"%s\"", (a), (b))
/* The message of err must contain needle. */
#define CHECK_HAS(hay, needle)                                                             \
    CHECK_MSG(strstr((hay), (needle)) != NULL, "\"%s\" does not contain \"%s\"", (hay),     \
              (needle))

#define TFG_TEST_MAIN(...)                                                                 \
    int main(void)                                                                         \
    {                                                                                      \
        void (*tests[])(void) = {__VA_ARGS__};                                             \
        for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)                        \
            tests[i]();                                                                    \
        printf("%d checks, %d failed, %d skipped\n", tfg_check_count, tfg_check_failures,    \
               tfg_check_skips);                                                           \
        return tfg_check_failures ? 1 : tfg_check_skips ? 77 : 0;                          \
    }

#endif
