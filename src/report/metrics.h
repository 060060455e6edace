/* metrics.h — what a confusion matrix says, class by class.
 *
 * A matrix comes from a stage's report.json (rows: true class, columns: predicted).
 * Precision of class k is "of the samples predicted k, how many were k"; recall is "of
 * the samples that were k, how many were predicted k". A class never predicted has no
 * precision and a class with no samples has no recall: both are NAN then, and the
 * report shows a dash, not a made-up 0 or 1. */
#ifndef TFG_REPORT_METRICS_H
#define TFG_REPORT_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t n;          /* classes */
    uint64_t *cells;   /* n * n counts, row-major: cells[true * n + predicted] */
} tfg_confusion;

typedef struct {
    uint64_t support;   /* samples of the class (row sum) */
    uint64_t predicted; /* samples predicted as the class (column sum) */
    uint64_t correct;   /* the diagonal cell */
    double precision, recall, f1; /* NAN when undefined (see above) */
} tfg_class_metrics;

/* An n x n matrix of zeros (n may be 0). */
void tfg_confusion_init(tfg_confusion *c, size_t n);
void tfg_confusion_free(tfg_confusion *c);

/* Fills m[0..n) for every class of c. */
void tfg_confusion_metrics(const tfg_confusion *c, tfg_class_metrics *m);
/* Sum of every cell, of the diagonal, and the largest cell. */
uint64_t tfg_confusion_total(const tfg_confusion *c);
uint64_t tfg_confusion_correct(const tfg_confusion *c);
uint64_t tfg_confusion_max(const tfg_confusion *c);

#endif
