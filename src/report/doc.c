/* doc.c — building a report document block by block (doc.h). */
#include "report/doc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strutil.h"

static char *vfmt(const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    char *s = tfg_xmalloc((size_t)(n < 0 ? 0 : n) + 1);
    vsnprintf(s, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
    return s;
}

void tfg_doc_init(tfg_doc *d, const char *title)
{
    memset(d, 0, sizeof *d);
    d->title = tfg_xstrdup(title);
    tfg_buf_init(&d->png);
}

static void block_free(tfg_doc_block *b)
{
    free(b->text);
    free(b->body);
    free(b->id);
    free(b->file);
    for (size_t i = 0; i < b->cols; i++)
        free(b->head[i]);
    free(b->head);
    for (size_t i = 0; i < b->rows * b->cols; i++)
        free(b->cells[i].text);
    free(b->cells);
    for (size_t i = 0; i < b->n_parts; i++)
        free(b->parts[i].name);
    free(b->parts);
}

void tfg_doc_free(tfg_doc *d)
{
    for (size_t i = 0; i < d->n; i++)
        block_free(&d->blocks[i]);
    free(d->blocks);
    free(d->title);
    tfg_buf_free(&d->png);
    memset(d, 0, sizeof *d);
}

static tfg_doc_block *add(tfg_doc *d, tfg_doc_kind kind)
{
    d->blocks = tfg_xreallocarray(d->blocks, d->n + 1, sizeof *d->blocks);
    tfg_doc_block *b = &d->blocks[d->n++];
    memset(b, 0, sizeof *b);
    b->kind = kind;
    return b;
}

void tfg_doc_heading(tfg_doc *d, int level, const char *fmt, ...)
{
    tfg_doc_block *b = add(d, TFG_DOC_HEADING);
    b->level = level;
    va_list ap;
    va_start(ap, fmt);
    b->text = vfmt(fmt, ap);
    va_end(ap);
}

void tfg_doc_para(tfg_doc *d, const char *fmt, ...)
{
    tfg_doc_block *b = add(d, TFG_DOC_PARA);
    va_list ap;
    va_start(ap, fmt);
    b->text = vfmt(fmt, ap);
    va_end(ap);
}

void tfg_doc_note(tfg_doc *d, const char *fmt, ...)
{
    tfg_doc_block *b = add(d, TFG_DOC_NOTE);
    va_list ap;
    va_start(ap, fmt);
    b->text = vfmt(fmt, ap);
    va_end(ap);
}

void tfg_doc_pre(tfg_doc *d, const char *caption, const char *body)
{
    tfg_doc_block *b = add(d, TFG_DOC_PRE);
    b->text = tfg_xstrdup(caption);
    b->body = tfg_xstrdup(body);
}

tfg_doc_block *tfg_doc_table(tfg_doc *d, const char *id, const char *caption,
                             const char *const *head)
{
    tfg_doc_block *b = add(d, TFG_DOC_TABLE);
    b->id = tfg_xstrdup(id);
    b->text = tfg_xstrdup(caption ? caption : "");
    while (head[b->cols])
        b->cols++;
    b->head = tfg_xcalloc(b->cols, sizeof *b->head);
    for (size_t i = 0; i < b->cols; i++)
        b->head[i] = tfg_xstrdup(head[i]);
    return b;
}

tfg_doc_cell *tfg_doc_row(tfg_doc_block *t)
{
    t->cells = tfg_xreallocarray(t->cells, (t->rows + 1) * t->cols, sizeof *t->cells);
    tfg_doc_cell *row = &t->cells[t->rows++ * t->cols];
    memset(row, 0, t->cols * sizeof *row);
    for (size_t i = 0; i < t->cols; i++)
        row[i].text = tfg_xstrdup("");
    return row;
}

void tfg_doc_cell_set(tfg_doc_cell *c, const char *fmt, ...)
{
    free(c->text);
    va_list ap;
    va_start(ap, fmt);
    c->text = vfmt(fmt, ap);
    va_end(ap);
}

void tfg_doc_row_text(tfg_doc_block *t, const char *const *texts)
{
    tfg_doc_cell *row = tfg_doc_row(t);
    for (size_t i = 0; i < t->cols && texts[i]; i++)
        tfg_doc_cell_set(&row[i], "%s", texts[i]);
}

tfg_doc_block *tfg_doc_bar(tfg_doc *d, const char *label, uint64_t used, uint64_t limit,
                           uint64_t budget)
{
    tfg_doc_block *b = add(d, TFG_DOC_BAR);
    b->text = tfg_xstrdup(label);
    b->used = used;
    b->limit = limit;
    b->budget = budget;
    return b;
}

void tfg_doc_bar_part(tfg_doc_block *bar, const char *name, uint64_t bytes)
{
    bar->parts = tfg_xreallocarray(bar->parts, bar->n_parts + 1, sizeof *bar->parts);
    bar->parts[bar->n_parts].name = tfg_xstrdup(name);
    bar->parts[bar->n_parts++].bytes = bytes;
}

void tfg_doc_image(tfg_doc *d, const char *id, const char *caption, const char *file,
                   size_t width, size_t height)
{
    tfg_doc_block *b = add(d, TFG_DOC_IMAGE);
    b->id = tfg_xstrdup(id);
    b->text = tfg_xstrdup(caption);
    b->file = tfg_xstrdup(file);
    b->width = width;
    b->height = height;
}

static void fmt_percent(char *dst, size_t n, uint64_t part, uint64_t whole)
{
    double p = whole ? 100.0 * (double)part / (double)whole : 0;
    if (part && p < 0.1)
        snprintf(dst, n, "< 0.1 %%");
    else
        snprintf(dst, n, "%.1f %%", p);
}

char *tfg_doc_bar_text(const tfg_doc_block *bar)
{
    char used[32], limit[32], pct[32];
    tfg_fmt_count(used, sizeof used, bar->used);
    tfg_fmt_count(limit, sizeof limit, bar->limit);
    fmt_percent(pct, sizeof pct, bar->used, bar->limit);
    tfg_buf b;
    tfg_buf_init(&b);
    tfg_buf_printf(&b, "%s of %s bytes (%s)", used, limit, pct);
    if (bar->budget) {
        char budget[32];
        tfg_fmt_count(budget, sizeof budget, bar->budget);
        tfg_buf_printf(&b, "; the spec's budget is %s bytes", budget);
    }
    if (bar->used > bar->limit) {
        char over[32];
        tfg_fmt_count(over, sizeof over, bar->used - bar->limit);
        tfg_buf_printf(&b, "; %s bytes over the limit", over);
    } else if (bar->budget && bar->used > bar->budget) {
        char over[32];
        tfg_fmt_count(over, sizeof over, bar->used - bar->budget);
        tfg_buf_printf(&b, "; %s bytes over the budget", over);
    }
    return tfg_buf_take(&b);
}

uint64_t tfg_doc_bar_other(const tfg_doc_block *bar)
{
    uint64_t parts = 0;
    for (size_t i = 0; i < bar->n_parts; i++)
        parts += bar->parts[i].bytes;
    return parts < bar->used ? bar->used - parts : 0;
}
