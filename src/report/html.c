/* html.c — a report document as one self-contained HTML file: inline CSS, the picture
 * as a data: URI, no script and nothing fetched, so it opens anywhere, offline, and
 * can be mailed as it is. Every run text goes through tfg_html_escape. */
#include "report/doc.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/strutil.h"
#include "report/escape.h"

static const char css[] =
    "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1b1b1b;"
    "background:#fafafa;margin:0}"
    "main{max-width:60rem;margin:0 auto;padding:1.5rem 1.25rem 3rem;background:#fff}"
    "h1{font-size:1.7rem;margin:.2rem 0 1rem}"
    "h2{font-size:1.25rem;margin:2rem 0 .6rem;padding-bottom:.2rem;border-bottom:1px solid #ddd}"
    "p.note{background:#fff4e5;border-left:4px solid #e8590c;padding:.5rem .75rem}"
    ".scroll{overflow-x:auto;margin:.5rem 0 1rem}"
    "table{border-collapse:collapse;font-size:.92rem}"
    "caption{text-align:left;font-weight:600;padding:.2rem 0}"
    "th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top;"
    "overflow-wrap:break-word}"
    "thead th{background:#f1f3f5}"
    "td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    ".bar{position:relative;height:1.3rem;background:#eef1f4;border:1px solid #c8ccd0;"
    "display:flex;max-width:40rem}"
    ".bar .over{background:#c92a2a}"
    ".seg{height:100%}.s0{background:#1c7ed6}.s1{background:#74c0fc}.s2{background:#f59f00}"
    ".s3{background:#adb5bd}"
    ".budget{position:absolute;top:-3px;bottom:-3px;width:2px;background:#212529}"
    ".legend{font-size:.88rem;margin:.2rem 0 1rem}"
    ".key{display:inline-block;width:.8rem;height:.8rem;margin:0 .25rem 0 .6rem;"
    "vertical-align:-1px}"
    "figure{margin:.5rem 0 1rem}figcaption{font-size:.88rem;color:#555}"
    "img{image-rendering:pixelated;border:1px solid #ddd}"
    "pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;font-size:.85rem}"
    "footer{margin-top:2rem;font-size:.8rem;color:#666}";

static void esc(tfg_buf *b, const char *s)
{
    tfg_html_escape(b, s);
}

static void table(tfg_buf *b, const tfg_doc_block *t)
{
    tfg_buf_printf(b, "<div class=\"scroll\"><table id=\"");
    esc(b, t->id);
    tfg_buf_printf(b, "\">");
    if (t->text[0]) {
        tfg_buf_printf(b, "<caption>");
        esc(b, t->text);
        tfg_buf_printf(b, "</caption>");
    }
    tfg_buf_printf(b, "\n<thead><tr>");
    for (size_t j = 0; j < t->cols; j++) {
        tfg_buf_printf(b, "<th scope=\"col\">");
        esc(b, t->head[j]);
        tfg_buf_printf(b, "</th>");
    }
    tfg_buf_printf(b, "</tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < t->rows; i++) {
        tfg_buf_printf(b, "<tr>");
        for (size_t j = 0; j < t->cols; j++) {
            const tfg_doc_cell *c = &t->cells[i * t->cols + j];
            bool head = t->row_heads && j == 0;
            tfg_buf_printf(b, head ? "<th scope=\"row\"" : "<td");
            if (c->number)
                tfg_buf_printf(b, " class=\"num\"");
            if (c->shaded) {
                int lum = (c->bg[0] * 3 + c->bg[1] * 6 + c->bg[2]) / 10;
                tfg_buf_printf(b, " style=\"background:#%02x%02x%02x;color:%s\"", c->bg[0],
                               c->bg[1], c->bg[2], lum < 140 ? "#fff" : "#1b1b1b");
            }
            tfg_buf_putc(b, '>');
            esc(b, c->text);
            tfg_buf_printf(b, head ? "</th>" : "</td>");
        }
        tfg_buf_printf(b, "</tr>\n");
    }
    tfg_buf_printf(b, "</tbody></table></div>\n");
}

static double pct(uint64_t part, uint64_t whole)
{
    double p = whole ? 100.0 * (double)part / (double)whole : 0;
    return p > 100 ? 100 : p;
}

static void bar_seg(tfg_buf *b, int cls, const char *name, uint64_t bytes, uint64_t limit)
{
    char n[32];
    tfg_fmt_count(n, sizeof n, bytes);
    tfg_buf_printf(b, "<span class=\"seg s%d\" style=\"width:%.3f%%\" title=\"", cls,
                   pct(bytes, limit));
    esc(b, name);
    tfg_buf_printf(b, ": %s bytes\"></span>", n);
}

static void legend_key(tfg_buf *b, int cls, const char *name, uint64_t bytes)
{
    char n[32];
    tfg_fmt_count(n, sizeof n, bytes);
    tfg_buf_printf(b, "<span class=\"key s%d\"></span>", cls);
    esc(b, name);
    tfg_buf_printf(b, " %s B ", n);
}

static void bar(tfg_buf *b, const tfg_doc_block *r)
{
    char *text = tfg_doc_bar_text(r);
    tfg_buf_printf(b, "<p><strong>");
    esc(b, r->text);
    tfg_buf_printf(b, "</strong>: ");
    esc(b, text);
    tfg_buf_printf(b, "</p>\n<div class=\"bar\" role=\"img\" aria-label=\"");
    esc(b, r->text);
    tfg_buf_printf(b, ": ");
    esc(b, text);
    tfg_buf_printf(b, "\">");
    free(text);
    if (r->used > r->limit) {
        tfg_buf_printf(b, "<span class=\"seg over\" style=\"width:100%%\"></span>");
    } else {
        for (size_t i = 0; i < r->n_parts; i++)
            bar_seg(b, (int)(i % 3), r->parts[i].name, r->parts[i].bytes, r->limit);
        uint64_t other = tfg_doc_bar_other(r);
        if (other)
            bar_seg(b, 3, r->n_parts ? "other" : "used", other, r->limit);
    }
    if (r->budget && r->budget < r->limit)
        tfg_buf_printf(b, "<span class=\"budget\" style=\"left:%.3f%%\" title=\"budget\"></span>",
                       pct(r->budget, r->limit));
    tfg_buf_printf(b, "</div>\n<div class=\"legend\">");
    for (size_t i = 0; i < r->n_parts; i++)
        legend_key(b, (int)(i % 3), r->parts[i].name, r->parts[i].bytes);
    if (r->n_parts && tfg_doc_bar_other(r))
        legend_key(b, 3, "other", tfg_doc_bar_other(r));
    if (r->budget && r->budget < r->limit)
        tfg_buf_printf(b, " &nbsp;| the black mark is the spec's budget");
    tfg_buf_printf(b, "</div>\n");
}

static void image(tfg_buf *b, const tfg_doc *d, const tfg_doc_block *r)
{
    tfg_buf_printf(b, "<figure><img id=\"");
    esc(b, r->id);
    tfg_buf_printf(b, "\" width=\"%zu\" height=\"%zu\" alt=\"", r->width, r->height);
    esc(b, r->text);
    tfg_buf_printf(b, "\" src=\"data:image/png;base64,");
    tfg_base64(b, d->png.data, d->png.len);
    tfg_buf_printf(b, "\"><figcaption>");
    esc(b, r->text);
    tfg_buf_printf(b, "</figcaption></figure>\n");
}

static void block(tfg_buf *b, const tfg_doc *d, const tfg_doc_block *r)
{
    switch (r->kind) {
    case TFG_DOC_HEADING:
        tfg_buf_printf(b, "<h%d>", r->level);
        esc(b, r->text);
        tfg_buf_printf(b, "</h%d>\n", r->level);
        break;
    case TFG_DOC_PARA:
    case TFG_DOC_NOTE:
        tfg_buf_printf(b, r->kind == TFG_DOC_NOTE ? "<p class=\"note\">" : "<p>");
        esc(b, r->text);
        tfg_buf_printf(b, "</p>\n");
        break;
    case TFG_DOC_TABLE: table(b, r); break;
    case TFG_DOC_BAR: bar(b, r); break;
    case TFG_DOC_IMAGE: image(b, d, r); break;
    case TFG_DOC_PRE:
        tfg_buf_printf(b, "<details><summary>");
        esc(b, r->text);
        tfg_buf_printf(b, "</summary><pre>");
        esc(b, r->body);
        tfg_buf_printf(b, "</pre></details>\n");
        break;
    }
}

char *tfg_doc_html(const tfg_doc *d)
{
    tfg_buf b;
    tfg_buf_init(&b);
    tfg_buf_printf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                       "<title>");
    esc(&b, d->title);
    tfg_buf_printf(&b, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n<h1>", css);
    esc(&b, d->title);
    tfg_buf_printf(&b, "</h1>\n");
    for (size_t i = 0; i < d->n; i++)
        block(&b, d, &d->blocks[i]);
    tfg_buf_printf(&b, "<footer>Written by tinyforge %s from the run directory's artifacts; "
                       "one file, nothing loaded from elsewhere.</footer>\n</main>\n</body>\n"
                       "</html>\n",
                   TFG_VERSION);
    return tfg_buf_take(&b);
}
