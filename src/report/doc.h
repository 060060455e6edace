/* doc.h — the report as a document: an ordered list of blocks (headings, paragraphs,
 * notes, tables, bars, the picture, preformatted text) that two renderers turn into
 * HTML and Markdown.
 *
 * The report is composed once (compose.c) and rendered twice, so the two files say
 * the same thing by construction. Every text in a block is plain text as it came from
 * the run; the renderers escape it for their format (escape.h), which is why nothing
 * that composes a document ever writes markup. */
#ifndef TFG_REPORT_DOC_H
#define TFG_REPORT_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"

typedef enum {
    TFG_DOC_HEADING, /* level 1 or 2 */
    TFG_DOC_PARA,
    TFG_DOC_NOTE,    /* a sentence that must not be missed (a mismatch, an over-budget) */
    TFG_DOC_TABLE,
    TFG_DOC_BAR,     /* bytes used against a limit, in parts */
    TFG_DOC_IMAGE,   /* the confusion matrix picture */
    TFG_DOC_PRE      /* preformatted text under a caption, folded away in HTML */
} tfg_doc_kind;

typedef struct {
    char *text;
    bool number;   /* right-aligned */
    bool shaded;   /* bg holds a background colour (confusion tables) */
    uint8_t bg[3];
} tfg_doc_cell;

typedef struct {
    char *name;
    uint64_t bytes;
} tfg_doc_part;

typedef struct {
    tfg_doc_kind kind;
    int level;            /* heading */
    char *text;           /* heading, para, note; table or image caption; bar label;
                             pre caption */
    char *body;           /* pre: the text */
    char *id;             /* HTML id of a table or image (tests find them by it) */
    /* table */
    size_t cols, rows;
    char **head;          /* cols names */
    tfg_doc_cell *cells;  /* rows * cols */
    bool row_heads;       /* the first column names the row */
    /* bar */
    uint64_t used, limit, budget; /* budget 0: none */
    tfg_doc_part *parts;  /* parts of `used`, in order; the rest is shown as "other" */
    size_t n_parts;
    /* image */
    char *file;           /* beside the Markdown */
    size_t width, height; /* pixels */
} tfg_doc_block;

typedef struct {
    char *title;
    tfg_doc_block *blocks;
    size_t n;
    tfg_buf png;          /* the picture's bytes (empty: no picture) */
} tfg_doc;

void tfg_doc_init(tfg_doc *d, const char *title);
void tfg_doc_free(tfg_doc *d);

void tfg_doc_heading(tfg_doc *d, int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void tfg_doc_para(tfg_doc *d, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void tfg_doc_note(tfg_doc *d, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void tfg_doc_pre(tfg_doc *d, const char *caption, const char *body);

/* A table of `cols` columns with these headings (NULL-terminated, cols of them); add
 * rows with tfg_doc_row. Returns the block, valid until the next block is added. */
tfg_doc_block *tfg_doc_table(tfg_doc *d, const char *id, const char *caption,
                             const char *const *head);
/* Appends a row; returns its first cell (cols of them), texts empty. */
tfg_doc_cell *tfg_doc_row(tfg_doc_block *t);
void tfg_doc_cell_set(tfg_doc_cell *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* A row of text cells, from a NULL-terminated list (cols of them). */
void tfg_doc_row_text(tfg_doc_block *t, const char *const *texts);

tfg_doc_block *tfg_doc_bar(tfg_doc *d, const char *label, uint64_t used, uint64_t limit,
                           uint64_t budget);
void tfg_doc_bar_part(tfg_doc_block *bar, const char *name, uint64_t bytes);

/* The picture: its PNG bytes go to d->png; `file` is its name beside the Markdown. */
void tfg_doc_image(tfg_doc *d, const char *id, const char *caption, const char *file,
                   size_t width, size_t height);

/* "16,527 of 1,048,576 bytes (1.6 %); the spec's budget is ..." (plain text, new). */
char *tfg_doc_bar_text(const tfg_doc_block *bar);
/* Bytes of `used` that no part names. */
uint64_t tfg_doc_bar_other(const tfg_doc_block *bar);

/* The two renderings; new strings, the caller frees. */
char *tfg_doc_html(const tfg_doc *d);
char *tfg_doc_markdown(const tfg_doc *d);

#endif
