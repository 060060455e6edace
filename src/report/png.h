/* png.h — the confusion matrix as a picture (PNG through libpng), for the report.
 *
 * One square cell per (true, predicted) pair, rows are the true class as in the
 * tables. A cell's shade grows with its count relative to the largest cell: white for
 * 0, blue on the diagonal (right), red off it (wrong), and every non-zero cell at
 * least faintly coloured so that a single mistake among hundreds is still seen. When
 * a cell is large enough its count is drawn in it with a small built-in digit font,
 * so the picture reads on its own beside the Markdown. Class names are not drawn: the
 * HTML and Markdown carry the matrix as a table with its labels. */
#ifndef TFG_REPORT_PNG_H
#define TFG_REPORT_PNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"
#include "core/error.h"
#include "report/metrics.h"

/* Side of one cell in pixels for an n-class matrix. */
size_t tfg_confusion_png_cell(size_t n);
/* Side of the square picture: n cells, plus the one-pixel grid line that closes the last
 * row and column when cells are big enough to have grid lines (4 pixels or more). */
size_t tfg_confusion_png_side(size_t n);

/* The fill colour of a cell with `count` when the largest cell holds `max`. */
void tfg_confusion_shade(uint64_t count, uint64_t max, bool diagonal, uint8_t rgb[3]);

/* Appends the PNG file's bytes for c (n >= 1) to png. Fails (TFG_EINTERNAL, libpng's
 * message) only if libpng does. */
tfg_status tfg_confusion_png(const tfg_confusion *c, tfg_buf *png, tfg_err *err);

#endif
