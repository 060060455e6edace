/* escape.h — making run text safe for the report's two formats, and base64 for the
 * picture embedded in the HTML.
 *
 * Every string the report shows comes from the run directory (class names, column
 * names, a plan's "why", file paths), and a person or an LLM may have written it: it
 * passes through these functions before it reaches a page, so "<script>" in a class
 * name is shown as text, never run, and "|" in a plan note cannot break a Markdown
 * table. The report's own markup and numbers are written without them. */
#ifndef TFG_REPORT_ESCAPE_H
#define TFG_REPORT_ESCAPE_H

#include <stddef.h>

#include "core/alloc.h"

/* Appends s with & < > " ' as entities; control characters (other than tab and
 * newline) become U+FFFD, which a page may not carry raw. Safe in text and in a
 * quoted attribute value. */
void tfg_html_escape(tfg_buf *b, const char *s);

/* Appends s as literal Markdown inline text on one line: line breaks become spaces and
 * every character CommonMark (with GitHub's tables and strikethrough) could read as
 * inline markup (\ ` * _ [ ] < | ~ &) gets a backslash, so the text renders as written,
 * also inside a table cell. */
void tfg_md_escape(tfg_buf *b, const char *s);

/* The same for text that starts a line (a paragraph), where "# x", "> x", "+ x",
 * "- x", "===" and "1. x" / "1) x" are block markup: their first mark is escaped too. */
void tfg_md_escape_line(tfg_buf *b, const char *s);

/* Appends the standard base64 (RFC 4648, with padding) of data[0..n). */
void tfg_base64(tfg_buf *b, const void *data, size_t n);

#endif
