/* markdown.c — a report document as CommonMark with GitHub-style tables, for reading
 * in a repository or a terminal. The picture is a file beside it (the image block's
 * `file`); every run text goes through tfg_md_escape. */
#include "report/doc.h"

#include <stdlib.h>
#include <string.h>

#include "core/strutil.h"
#include "report/escape.h"

enum { BAR_CHARS = 40 };

static void esc(tfg_buf *b, const char *s)
{
    tfg_md_escape(b, s);
}

static void table(tfg_buf *b, const tfg_doc_block *t)
{
    if (t->text[0]) {
        tfg_buf_printf(b, "**");
        esc(b, t->text);
        tfg_buf_printf(b, "**\n\n");
    }
    tfg_buf_putc(b, '|');
    for (size_t j = 0; j < t->cols; j++) {
        tfg_buf_putc(b, ' ');
        esc(b, t->head[j]);
        tfg_buf_printf(b, " |");
    }
    tfg_buf_printf(b, "\n|");
    for (size_t j = 0; j < t->cols; j++) {
        bool num = t->rows > 0;
        for (size_t i = 0; i < t->rows; i++)
            num = num && (t->cells[i * t->cols + j].number || !t->cells[i * t->cols + j].text[0]);
        tfg_buf_printf(b, "%s|", num ? "---:" : "---");
    }
    tfg_buf_putc(b, '\n');
    for (size_t i = 0; i < t->rows; i++) {
        tfg_buf_putc(b, '|');
        for (size_t j = 0; j < t->cols; j++) {
            const tfg_doc_cell *c = &t->cells[i * t->cols + j];
            bool strong = t->row_heads && j == 0 && c->text[0];
            tfg_buf_printf(b, strong ? " **" : " ");
            esc(b, c->text);
            tfg_buf_printf(b, strong ? "** |" : " |");
        }
        tfg_buf_putc(b, '\n');
    }
    tfg_buf_putc(b, '\n');
}

/* A bar of BAR_CHARS characters in a code span: '#' used, '.' free, '|' the budget. */
static void bar(tfg_buf *b, const tfg_doc_block *r)
{
    char *text = tfg_doc_bar_text(r);
    tfg_buf_printf(b, "**");
    esc(b, r->text);
    tfg_buf_printf(b, "**: ");
    esc(b, text);
    free(text);
    char line[BAR_CHARS + 1];
    size_t fill = r->limit ? (size_t)((double)BAR_CHARS * (double)r->used / (double)r->limit + 0.5)
                           : BAR_CHARS;
    if (fill > BAR_CHARS || r->used > r->limit)
        fill = BAR_CHARS;
    if (r->used && !fill)
        fill = 1; /* something is used: show it */
    memset(line, '.', BAR_CHARS);
    memset(line, r->used > r->limit ? '!' : '#', fill);
    if (r->budget && r->budget < r->limit) {
        size_t at = (size_t)((double)BAR_CHARS * (double)r->budget / (double)r->limit);
        line[at < BAR_CHARS ? at : BAR_CHARS - 1] = '|';
    }
    line[BAR_CHARS] = '\0';
    tfg_buf_printf(b, "\n\n`[%s]`", line);
    for (size_t i = 0; i < r->n_parts; i++) {
        char n[32];
        tfg_fmt_count(n, sizeof n, r->parts[i].bytes);
        tfg_buf_printf(b, "%s", i ? ", " : " ");
        esc(b, r->parts[i].name);
        tfg_buf_printf(b, " %s B", n);
    }
    uint64_t other = tfg_doc_bar_other(r);
    if (r->n_parts && other) {
        char n[32];
        tfg_fmt_count(n, sizeof n, other);
        tfg_buf_printf(b, ", other %s B", n);
    }
    if (r->budget && r->budget < r->limit)
        tfg_buf_printf(b, " (`|` marks the budget)");
    tfg_buf_printf(b, "\n\n");
}

/* A fence longer than any run of backticks in the text, so the text cannot end it. */
static void pre(tfg_buf *b, const tfg_doc_block *r)
{
    size_t longest = 0, run = 0;
    for (const char *p = r->body; *p; p++) {
        run = *p == '`' ? run + 1 : 0;
        if (run > longest)
            longest = run;
    }
    size_t fence = longest >= 3 ? longest + 1 : 3;
    tfg_md_escape_line(b, r->text);
    tfg_buf_printf(b, ":\n\n");
    for (size_t i = 0; i < fence; i++)
        tfg_buf_putc(b, '`');
    tfg_buf_printf(b, "\n%s", r->body);
    if (r->body[0] && r->body[strlen(r->body) - 1] != '\n')
        tfg_buf_putc(b, '\n');
    for (size_t i = 0; i < fence; i++)
        tfg_buf_putc(b, '`');
    tfg_buf_printf(b, "\n\n");
}

static void block(tfg_buf *b, const tfg_doc_block *r)
{
    switch (r->kind) {
    case TFG_DOC_HEADING:
        tfg_buf_printf(b, "%s ", r->level <= 1 ? "#" : "##");
        esc(b, r->text);
        tfg_buf_printf(b, "\n\n");
        break;
    case TFG_DOC_PARA:
        tfg_md_escape_line(b, r->text);
        tfg_buf_printf(b, "\n\n");
        break;
    case TFG_DOC_NOTE:
        tfg_buf_printf(b, "> **Note:** ");
        esc(b, r->text);
        tfg_buf_printf(b, "\n\n");
        break;
    case TFG_DOC_TABLE: table(b, r); break;
    case TFG_DOC_BAR: bar(b, r); break;
    case TFG_DOC_IMAGE:
        tfg_buf_printf(b, "![");
        esc(b, r->text);
        tfg_buf_printf(b, "](%s)\n\n", r->file);
        break;
    case TFG_DOC_PRE: pre(b, r); break;
    }
}

char *tfg_doc_markdown(const tfg_doc *d)
{
    tfg_buf b;
    tfg_buf_init(&b);
    tfg_buf_printf(&b, "# ");
    esc(&b, d->title);
    tfg_buf_printf(&b, "\n\n");
    for (size_t i = 0; i < d->n; i++)
        block(&b, &d->blocks[i]);
    tfg_buf_printf(&b, "---\n\nWritten by tinyforge %s from the run directory's artifacts.\n",
                   TFG_VERSION);
    return tfg_buf_take(&b);
}
