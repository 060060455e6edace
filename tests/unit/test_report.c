/* test_report.c — the report's pieces, each against values worked out by hand:
 * HTML and Markdown escaping, base64, per-class precision/recall/F1 of a confusion
 * matrix, the confusion matrix PNG decoded back with libpng (size and cell shades),
 * and the two renderings of a small document. */
#include <math.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "core/alloc.h"
#include "report/doc.h"
#include "report/escape.h"
#include "report/metrics.h"
#include "report/png.h"

static char *html_of(const char *s)
{
    tfg_buf b;
    tfg_buf_init(&b);
    tfg_html_escape(&b, s);
    return tfg_buf_take(&b);
}

static char *md_of(const char *s, bool line)
{
    tfg_buf b;
    tfg_buf_init(&b);
    if (line)
        tfg_md_escape_line(&b, s);
    else
        tfg_md_escape(&b, s);
    return tfg_buf_take(&b);
}

static char *b64_of(const char *s)
{
    tfg_buf b;
    tfg_buf_init(&b);
    tfg_base64(&b, s, strlen(s));
    return tfg_buf_take(&b);
}

static void test_html_escape(void)
{
    char *s = html_of("<script>alert(\"x\" & 'y')</script>");
    CHECK_STR(s, "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;");
    free(s);
    s = html_of("a\x01" "b\tc\nd\x7f");
    CHECK_STR(s, "a&#xFFFD;b\tc\nd&#xFFFD;");
    free(s);
    s = html_of("ä → ok");
    CHECK_STR(s, "ä → ok"); /* UTF-8 passes through */
    free(s);
}

static void test_md_escape(void)
{
    char *s = md_of("a|b *c* _d_ [e](f) <g> `h` ~i~ &j; \\k", false);
    CHECK_STR(s, "a\\|b \\*c\\* \\_d\\_ \\[e\\](f) \\<g> \\`h\\` \\~i\\~ \\&j; \\\\k");
    free(s);
    s = md_of("two\nlines\r\tend", false);
    CHECK_STR(s, "two lines  end");
    free(s);
    s = md_of("1. not a list", false); /* inline: no block markup possible */
    CHECK_STR(s, "1. not a list");
    free(s);
    s = md_of("1. not a list", true);
    CHECK_STR(s, "1\\. not a list");
    free(s);
    s = md_of("12) nor this", true);
    CHECK_STR(s, "12\\) nor this");
    free(s);
    s = md_of("# not a heading", true);
    CHECK_STR(s, "\\# not a heading");
    free(s);
    s = md_of("- not an item", true);
    CHECK_STR(s, "\\- not an item");
    free(s);
    s = md_of("> not a quote", true);
    CHECK_STR(s, "\\> not a quote");
    free(s);
    s = md_of("3.5 is a number", true);
    CHECK_STR(s, "3\\.5 is a number"); /* harmless over-escape, still renders "3.5" */
    free(s);
}

static void test_base64(void)
{
    /* RFC 4648, section 10. */
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const out[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
                                      "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        char *s = b64_of(in[i]);
        CHECK_STR(s, out[i]);
        free(s);
    }
    tfg_buf b;
    tfg_buf_init(&b);
    const unsigned char bin[] = {0xfb, 0xff, 0x00};
    tfg_base64(&b, bin, 3);
    char *s = tfg_buf_take(&b);
    CHECK_STR(s, "+/8A");
    free(s);
}

/* rows = true class, columns = predicted:
 *        p0 p1 p2 p3
 *   t0 [  5  1  0  0 ]   support 6, predicted 8 (5+2+0+1), correct 5
 *   t1 [  2  3  1  0 ]   support 6, predicted 4, correct 3
 *   t2 [  0  0  0  0 ]   support 0 -> recall undefined; predicted 1, correct 0 -> precision 0
 *   t3 [  1  0  0  0 ]   support 1, never predicted -> precision undefined, recall 0 */
static void test_metrics(void)
{
    static const uint64_t cells[16] = {5, 1, 0, 0, 2, 3, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0};
    tfg_confusion c;
    tfg_confusion_init(&c, 4);
    memcpy(c.cells, cells, sizeof cells);
    tfg_class_metrics m[4];
    tfg_confusion_metrics(&c, m);
    CHECK_INT(m[0].support, 6);
    CHECK_INT(m[0].predicted, 8);
    CHECK_INT(m[0].correct, 5);
    CHECK_NEAR(m[0].precision, 5.0 / 8, 1e-12);
    CHECK_NEAR(m[0].recall, 5.0 / 6, 1e-12);
    CHECK_NEAR(m[0].f1, 10.0 / 14, 1e-12); /* 2*correct / (support + predicted) */
    CHECK_NEAR(m[1].precision, 0.75, 1e-12);
    CHECK_NEAR(m[1].recall, 0.5, 1e-12);
    CHECK_NEAR(m[1].f1, 0.6, 1e-12);
    CHECK_INT(m[2].support, 0);
    CHECK_NEAR(m[2].precision, 0, 0);
    CHECK(isnan(m[2].recall));
    CHECK(isnan(m[2].f1));
    CHECK_INT(m[3].predicted, 0);
    CHECK(isnan(m[3].precision));
    CHECK_NEAR(m[3].recall, 0, 0);
    CHECK(isnan(m[3].f1));
    CHECK_INT(tfg_confusion_total(&c), 13);
    CHECK_INT(tfg_confusion_correct(&c), 8);
    CHECK_INT(tfg_confusion_max(&c), 5);
    tfg_confusion_free(&c);
}

/* Decodes a PNG with libpng's simplified API into RGB; NULL on failure. */
static uint8_t *decode_png(const tfg_buf *png, uint32_t *w, uint32_t *h)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, png->data, png->len))
        return NULL;
    img.format = PNG_FORMAT_RGB;
    uint8_t *px = tfg_xmalloc(PNG_IMAGE_SIZE(img));
    if (!png_image_finish_read(&img, NULL, px, 0, NULL)) {
        png_image_free(&img);
        free(px);
        return NULL;
    }
    *w = img.width;
    *h = img.height;
    return px;
}

static const uint8_t *pixel(const uint8_t *px, uint32_t w, size_t x, size_t y)
{
    return px + (y * w + x) * 3;
}

static void test_png(void)
{
    static const uint64_t cells[9] = {10, 0, 0, 0, 5, 2, 1, 0, 10};
    tfg_confusion c;
    tfg_confusion_init(&c, 3);
    memcpy(c.cells, cells, sizeof cells);
    tfg_buf png;
    tfg_buf_init(&png);
    tfg_err err;
    tfg_status st = tfg_confusion_png(&c, &png, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    CHECK(png.len > 8 && !memcmp(png.data, "\x89PNG\r\n\x1a\n", 8));
    uint32_t w = 0, h = 0;
    uint8_t *px = decode_png(&png, &w, &h);
    CHECK(px != NULL);
    size_t cell = tfg_confusion_png_cell(3);
    CHECK(cell >= 16); /* three classes get big cells */
    CHECK_INT(w, 3 * cell + 1);
    CHECK_INT(h, 3 * cell + 1);
    if (px && w == 3 * cell + 1) {
        /* A point inside each cell, clear of the grid line and of the centred count. */
        const uint8_t *p00 = pixel(px, w, 3, 3);
        const uint8_t *p01 = pixel(px, w, cell + 3, 3);
        const uint8_t *p11 = pixel(px, w, cell + 3, cell + 3);
        const uint8_t *p12 = pixel(px, w, 2 * cell + 3, cell + 3);
        const uint8_t *p20 = pixel(px, w, 3, 2 * cell + 3);
        /* The largest cell on the diagonal is full-strength blue; zero is white. */
        CHECK(p00[0] == 8 && p00[1] == 69 && p00[2] == 148);
        CHECK(p01[0] == 255 && p01[1] == 255 && p01[2] == 255);
        /* Fewer is paler, on the diagonal still blue (blue channel the strongest). */
        CHECK(p11[2] > p11[0] && p11[0] > p00[0]);
        /* Mistakes are red, and a single one is still visibly coloured. */
        CHECK(p12[0] > p12[1] && p12[0] > p12[2]);
        CHECK(p20[0] > p20[1] && p20[1] < 240);
        CHECK(p20[1] > p12[1]); /* 1 mistake paler than 2 */
        /* The shade function is what was drawn. */
        uint8_t want[3];
        tfg_confusion_shade(2, 10, false, want);
        CHECK(!memcmp(p12, want, 3));
        /* Grid lines: the top-left pixel and the closing line at the far edge. */
        const uint8_t *g = pixel(px, w, 0, 0), *e = pixel(px, w, w - 1, h / 2);
        CHECK(g[0] == g[1] && g[1] == g[2] && g[0] < 255);
        CHECK(e[0] == g[0]);
        /* The count "10" is drawn in white ink in the dark cell's middle. */
        size_t white = 0;
        for (size_t y = cell / 2 - 6; y < cell / 2 + 6; y++)
            for (size_t x = cell / 2 - 10; x < cell / 2 + 10; x++)
                white += pixel(px, w, x, y)[0] == 255 && pixel(px, w, x, y)[2] == 255;
        CHECK(white > 10);
    }
    free(px);
    tfg_buf_free(&png);
    tfg_confusion_free(&c);

    /* Many classes: small cells without grid lines, still one pixel per cell at least. */
    tfg_confusion big;
    tfg_confusion_init(&big, 600);
    for (size_t i = 0; i < 600; i++)
        big.cells[i * 600 + i] = i + 1;
    tfg_buf_init(&png);
    st = tfg_confusion_png(&big, &png, &err);
    CHECK(st == TFG_OK);
    px = decode_png(&png, &w, &h);
    CHECK(px != NULL);
    CHECK_INT(w, 600);
    CHECK_INT(w, tfg_confusion_png_side(600));
    if (px && w == 600) {
        CHECK(pixel(px, w, 599, 599)[0] == 8);   /* the largest cell, full blue */
        CHECK(pixel(px, w, 1, 0)[0] == 255);     /* an empty cell */
    }
    free(px);
    tfg_buf_free(&png);
    tfg_confusion_free(&big);

    tfg_confusion none;
    tfg_confusion_init(&none, 0);
    tfg_buf_init(&png);
    CHECK(tfg_confusion_png(&none, &png, &err) != TFG_OK);
    tfg_buf_free(&png);
}

/* Text from a run reaches both renderings escaped; the document's own markup is not. */
static void test_render(void)
{
    tfg_doc d;
    tfg_doc_init(&d, "r <&> t");
    tfg_doc_para(&d, "a <b>bold</b> | claim");
    static const char *const head[] = {"class", "n", NULL};
    tfg_doc_block *t = tfg_doc_table(&d, "tbl", "cap", head);
    tfg_doc_cell *row = tfg_doc_row(t);
    tfg_doc_cell_set(&row[0], "<img src=x onerror=alert(1)>");
    tfg_doc_cell_set(&row[1], "7");
    row[1].number = true;
    tfg_doc_block *bar = tfg_doc_bar(&d, "Flash", 300, 1000, 500);
    tfg_doc_bar_part(bar, "weights", 100);
    tfg_doc_pre(&d, "spec", "```\n{\"a\": \"</pre>\"}\n");
    char *html = tfg_doc_html(&d), *md = tfg_doc_markdown(&d);
    CHECK_HAS(html, "<title>r &lt;&amp;&gt; t</title>");
    CHECK_HAS(html, "a &lt;b&gt;bold&lt;/b&gt; | claim");
    CHECK_HAS(html, "<table id=\"tbl\">");
    CHECK_HAS(html, "&lt;img src=x onerror=alert(1)&gt;");
    CHECK(strstr(html, "<img src=x") == NULL);
    CHECK_HAS(html, "<td class=\"num\">7</td>");
    CHECK_HAS(html, "300 of 1,000 bytes (30.0 %); the spec&#39;s budget is 500 bytes");
    CHECK_HAS(html, "width:10.000%"); /* weights: 100 of 1000 */
    CHECK_HAS(html, "width:20.000%"); /* the rest: 200 of 1000 */
    CHECK_HAS(html, "left:50.000%");  /* the budget mark */
    CHECK_HAS(html, "{&quot;a&quot;: &quot;&lt;/pre&gt;&quot;}");
    CHECK(strstr(html, "<script") == NULL);
    CHECK_HAS(md, "# r \\<\\&> t");
    CHECK_HAS(md, "a \\<b>bold\\</b> \\| claim");
    CHECK_HAS(md, "| class | n |\n|---|---:|\n| \\<img src=x onerror=alert(1)> | 7 |");
    CHECK_HAS(md, "`[############........|...................]`");
    CHECK_HAS(md, "````\n```\n{\"a\": \"</pre>\"}\n````"); /* the fence outgrows the text's */
    free(html);
    free(md);
    tfg_doc_free(&d);
}

TFG_TEST_MAIN(test_html_escape, test_md_escape, test_base64, test_metrics, test_png,
              test_render)
