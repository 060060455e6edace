/* png.c — draws a confusion matrix into an RGB raster and encodes it with libpng into
 * memory (png.h). The raster is built first and handed to libpng whole, so libpng's
 * longjmp error path has nothing of ours to clean up but two allocations. */
#include "report/png.h"

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PICTURE_SIDE = 512, CELL_MAX = 64, GRID_MIN_CELL = 4 };

static const uint8_t grid_rgb[3] = {190, 190, 190};
static const uint8_t right_rgb[3] = {8, 69, 148}; /* full-strength diagonal */
static const uint8_t wrong_rgb[3] = {165, 15, 21}; /* full-strength mistakes */

/* 3x5 digits, one row per byte, bit 2 the leftmost pixel. */
static const uint8_t digit_font[10][5] = {
    {7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1},
    {7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7}};

size_t tfg_confusion_png_cell(size_t n)
{
    size_t s = n ? PICTURE_SIDE / n : CELL_MAX;
    return s > CELL_MAX ? CELL_MAX : s < 1 ? 1 : s;
}

size_t tfg_confusion_png_side(size_t n)
{
    size_t cell = tfg_confusion_png_cell(n);
    return n * cell + (cell >= GRID_MIN_CELL ? 1 : 0);
}

/* Faintest shade of a non-zero cell, as a fraction of full strength. */
#define SHADE_MIN 0.15

void tfg_confusion_shade(uint64_t count, uint64_t max, bool diagonal, uint8_t rgb[3])
{
    double t = count && max ? SHADE_MIN + (1 - SHADE_MIN) * (double)count / (double)max : 0;
    const uint8_t *full = diagonal ? right_rgb : wrong_rgb;
    for (int i = 0; i < 3; i++)
        rgb[i] = (uint8_t)(255.0 + t * ((double)full[i] - 255.0) + 0.5);
}

typedef struct {
    uint8_t *px; /* side * side * 3 */
    size_t side;
} raster;

static void put(raster *r, size_t x, size_t y, const uint8_t rgb[3])
{
    if (x < r->side && y < r->side)
        memcpy(r->px + (y * r->side + x) * 3, rgb, 3);
}

static void fill(raster *r, size_t x0, size_t y0, size_t w, size_t h, const uint8_t rgb[3])
{
    for (size_t y = y0; y < y0 + h; y++)
        for (size_t x = x0; x < x0 + w; x++)
            put(r, x, y, rgb);
}

/* The count centred in its cell, if it fits with a margin; scale 2 in big cells. */
static void draw_count(raster *r, size_t x0, size_t y0, size_t cell, uint64_t count,
                       const uint8_t ink[3])
{
    char text[24];
    int len = snprintf(text, sizeof text, "%llu", (unsigned long long)count);
    size_t scale = cell >= 40 ? 2 : 1;
    size_t w = (size_t)len * 4 * scale - scale, h = 5 * scale;
    if (w + 6 > cell || h + 6 > cell)
        return;
    size_t tx = x0 + (cell - w) / 2, ty = y0 + (cell - h) / 2;
    for (int i = 0; i < len; i++)
        for (size_t gy = 0; gy < 5; gy++)
            for (size_t gx = 0; gx < 3; gx++)
                if (digit_font[text[i] - '0'][gy] & (4 >> gx))
                    fill(r, tx + (size_t)i * 4 * scale + gx * scale, ty + gy * scale, scale,
                         scale, ink);
}

static void draw(const tfg_confusion *c, raster *r)
{
    size_t cell = tfg_confusion_png_cell(c->n);
    bool grid = cell >= GRID_MIN_CELL;
    uint64_t max = tfg_confusion_max(c);
    memset(r->px, 255, r->side * r->side * 3);
    for (size_t i = 0; i < c->n; i++) {
        for (size_t j = 0; j < c->n; j++) {
            uint64_t v = c->cells[i * c->n + j];
            uint8_t rgb[3];
            tfg_confusion_shade(v, max, i == j, rgb);
            size_t x0 = j * cell, y0 = i * cell;
            fill(r, x0, y0, cell, cell, rgb);
            if (grid) {
                fill(r, x0, y0, cell, 1, grid_rgb);
                fill(r, x0, y0, 1, cell, grid_rgb);
                /* Dark ink on pale cells, white on dark ones. */
                static const uint8_t dark[3] = {20, 20, 20}, light[3] = {255, 255, 255};
                int lum = (rgb[0] * 3 + rgb[1] * 6 + rgb[2]) / 10;
                draw_count(r, x0, y0, cell, v, lum < 140 ? light : dark);
            }
        }
    }
    if (grid) {
        fill(r, 0, r->side - 1, r->side, 1, grid_rgb);
        fill(r, r->side - 1, 0, 1, r->side, grid_rgb);
    }
}

static void on_write(png_structp p, png_bytep data, size_t len)
{
    tfg_buf_append(png_get_io_ptr(p), data, len);
}

static void on_flush(png_structp p)
{
    (void)p;
}

static void on_error(png_structp p, png_const_charp msg)
{
    snprintf(png_get_error_ptr(p), TFG_ERR_MSG_MAX, "%s", msg);
    png_longjmp(p, 1);
}

static void on_warning(png_structp p, png_const_charp msg)
{
    (void)p;
    (void)msg; /* nothing we write can draw a warning that matters; libraries print nothing */
}

static tfg_status encode(const raster *r, png_bytep *rows, tfg_buf *out, tfg_err *err)
{
    char msg[TFG_ERR_MSG_MAX] = "";
    png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, msg, on_error, on_warning);
    png_infop info = p ? png_create_info_struct(p) : NULL;
    if (!info) {
        png_destroy_write_struct(&p, NULL);
        return tfg_err_set(err, TFG_ENOMEM, "libpng could not start a PNG");
    }
    if (setjmp(png_jmpbuf(p))) {
        png_destroy_write_struct(&p, &info);
        return tfg_err_set(err, TFG_EINTERNAL, "writing the confusion matrix PNG: %s", msg);
    }
    png_set_write_fn(p, out, on_write, on_flush);
    png_set_IHDR(p, info, (png_uint_32)r->side, (png_uint_32)r->side, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(p, info);
    png_write_image(p, rows);
    png_write_end(p, info);
    png_destroy_write_struct(&p, &info);
    return TFG_OK;
}

tfg_status tfg_confusion_png(const tfg_confusion *c, tfg_buf *png, tfg_err *err)
{
    if (c->n == 0)
        return tfg_err_set(err, TFG_EINTERNAL, "a confusion matrix picture needs a class");
    raster r = {NULL, tfg_confusion_png_side(c->n)};
    r.px = tfg_xreallocarray(NULL, r.side * r.side, 3);
    png_bytep *rows = tfg_xreallocarray(NULL, r.side, sizeof *rows);
    for (size_t y = 0; y < r.side; y++)
        rows[y] = r.px + y * r.side * 3;
    draw(c, &r);
    tfg_status st = encode(&r, rows, png, err);
    free(rows);
    free(r.px);
    return st;
}
