/* shape.c — per-sample tensor shapes. */
#include "nn/graph.h"

size_t tfg_shape_size(const tfg_shape *s)
{
    size_t n = 1;
    for (uint32_t i = 0; i < s->rank; i++)
        n *= s->dim[i];
    return n;
}
