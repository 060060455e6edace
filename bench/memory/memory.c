/* memory.c — bench/memory's measuring program: plans the arena of each .tflite model
 * given and prints, on one line per model, the planned arena (with and without
 * in-place convolutions), the live-bytes lower bound, the naive arena (every
 * non-constant tensor in its own bytes) and, when given as NAME=BYTES, the TFLM
 * arena_used_bytes to compare with. run.sh builds and runs it.
 *
 *   memory MODEL.tflite[=TFLM_BYTES] ...
 *
 * Output is plain key=value text, one line per model, so scripts can read it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/memplan.h"
#include "core/alloc.h"
#include "import/tflite.h"

/* Plans m with the given flags; fills *mem (the caller frees it) or prints the error. */
static int plan(const tfg_tflite *m, unsigned flags, tfg_tflite_mem *mem)
{
    tfg_err err = {0};
    tfg_status st = tfg_plan_tflite(m, flags, mem, &err);
    if (st == TFG_OK)
        st = tfg_mem_plan_verify(&mem->mem, &err);
    if (st)
        fprintf(stderr, "memory: %s\n", err.msg);
    return st != TFG_OK;
}

static int report(const char *arg)
{
    char *path = tfg_xstrdup(arg);
    char *eq = strrchr(path, '=');
    long tflm = 0;
    if (eq) {
        *eq = '\0';
        tflm = strtol(eq + 1, NULL, 10);
    }
    tfg_tflite m;
    tfg_tflite_mem mem, plain;
    tfg_err err = {0};
    int failed = tfg_tflite_read(path, &m, &err) != TFG_OK;
    if (failed) {
        fprintf(stderr, "memory: %s\n", err.msg);
        free(path);
        return 1;
    }
    failed = plan(&m, 0, &mem) | plan(&m, TFG_PLAN_NO_IN_PLACE, &plain);
    if (!failed)
        printf("model=%s tensors=%zu buffers=%zu in_place=%zu arena=%zu lower_bound=%zu "
               "arena_no_in_place=%zu naive=%zu tflm=%ld\n",
               path, mem.n_tensors, mem.mem.n_bufs, mem.n_in_place, mem.mem.arena_size,
               mem.mem.lower_bound, plain.mem.arena_size, mem.tensor_bytes, tflm);
    tfg_tflite_mem_free(&mem);
    tfg_tflite_mem_free(&plain);
    tfg_tflite_free(&m);
    free(path);
    return failed;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: memory MODEL.tflite[=TFLM_ARENA_BYTES] ...\n");
        return 2;
    }
    int failed = 0;
    for (int i = 1; i < argc; i++)
        failed |= report(argv[i]);
    return failed;
}
