/* metrics.c — per-class precision, recall and F1 from a confusion matrix (metrics.h). */
#include "report/metrics.h"

#include <math.h>
#include <stdlib.h>

#include "core/alloc.h"

void tfg_confusion_init(tfg_confusion *c, size_t n)
{
    c->n = n;
    c->cells = n ? tfg_xcalloc(n * n, sizeof *c->cells) : NULL;
}

void tfg_confusion_free(tfg_confusion *c)
{
    free(c->cells);
    c->cells = NULL;
    c->n = 0;
}

void tfg_confusion_metrics(const tfg_confusion *c, tfg_class_metrics *m)
{
    size_t n = c->n;
    for (size_t k = 0; k < n; k++) {
        tfg_class_metrics *r = &m[k];
        r->support = r->predicted = 0;
        for (size_t j = 0; j < n; j++) {
            r->support += c->cells[k * n + j];
            r->predicted += c->cells[j * n + k];
        }
        r->correct = c->cells[k * n + k];
        r->precision = r->predicted ? (double)r->correct / (double)r->predicted : NAN;
        r->recall = r->support ? (double)r->correct / (double)r->support : NAN;
        /* F1 is the harmonic mean; with nothing correct it is 0 whenever either is known. */
        if (isnan(r->precision) || isnan(r->recall))
            r->f1 = NAN;
        else if (r->correct == 0)
            r->f1 = 0;
        else
            r->f1 = 2 * r->precision * r->recall / (r->precision + r->recall);
    }
}

uint64_t tfg_confusion_total(const tfg_confusion *c)
{
    uint64_t t = 0;
    for (size_t i = 0; i < c->n * c->n; i++)
        t += c->cells[i];
    return t;
}

uint64_t tfg_confusion_correct(const tfg_confusion *c)
{
    uint64_t t = 0;
    for (size_t k = 0; k < c->n; k++)
        t += c->cells[k * c->n + k];
    return t;
}

uint64_t tfg_confusion_max(const tfg_confusion *c)
{
    uint64_t m = 0;
    for (size_t i = 0; i < c->n * c->n; i++)
        if (c->cells[i] > m)
            m = c->cells[i];
    return m;
}
