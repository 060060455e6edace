/* csv.h — CSV per RFC 4180 into a tfg_table, in the dialect the file is written in.
 *
 * Quoted fields (a doubled quote for a quote, embedded delimiters and newlines), CRLF,
 * LF or lone-CR line ends, a UTF-8 byte-order mark, gzip'd files (undone by
 * tfg_read_file). What the options leave open is detected from the content (the first
 * records) and reported in tfg_csv_info:
 *   delimiter  , ; tab | : the one that splits the sampled records into the same number
 *              of fields (more than one), outside quotes; ties go in that order
 *   quote      " or ' : the one that gives the more consistent field counts (" on a tie)
 *   decimal    , when the delimiter is not , and number cells are written 4,4 (and none
 *              4.4); else .
 *   encoding   UTF-8; a file that is not valid UTF-8 is read as Windows-1252 (a superset
 *              of Latin-1) and converted, which the info says
 *   skip_rows  leading lines whose field count differs from the records after them (a
 *              preamble such as a title line); and a first record with the data's
 *              field count that is not all text, when the record after it is a header
 *              (all text over numeric columns), or when it has text over numeric
 *              columns and a number that counts the records after it (scikit-learn's
 *              "150,4,setosa,versicolor,virginica" over 150 rows)
 *   header     the first record is a header when a cell of it is text over a numeric
 *              column, or when all its cells are text; a first record with numbers in
 *              it (and no text over numbers) is data
 * Missing cells (quoted or not, case as listed): empty, NA, N/A, n/a, null, None, NaN,
 * ?, - (TFG_CSV_MISSING). A column whose non-missing cells are all finite numbers is
 * numeric; one whose cells all carry the same unit suffix ("12.3 cm", "4,4 mm") is
 * numeric too and the info names the unit; else the column is categorical. A column
 * where most cells are numbers and a few are not is an error at the first bad cell (a
 * typo, not a category). Inf and other non-finite spellings are errors. Every error
 * names file:line:column (column = 1-based field number) and, where known, the column's
 * name and what to set. */
#ifndef TFG_DATA_CSV_H
#define TFG_DATA_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "data/table.h"

#define TFG_CSV_MAX_RECORD ((size_t)256 * 1024) /* bytes in one record (row) */
#define TFG_CSV_MISSING "empty, NA, N/A, n/a, null, None, NaN, ?, -"
#define TFG_CSV_DETECT (-1) /* header, skip_rows: detect from the content */

typedef enum {
    TFG_CSV_ENC_DETECT = 0, /* UTF-8, else Windows-1252 converted */
    TFG_CSV_ENC_UTF8,       /* UTF-8 only: an invalid byte is an error */
    TFG_CSV_ENC_CP1252      /* Windows-1252 / Latin-1, always converted */
} tfg_csv_encoding;

typedef struct {
    int header;                      /* 1, 0, or TFG_CSV_DETECT (the default) */
    char delimiter;                  /* 0: detect (the default) */
    char decimal;                    /* '.' or ','; 0: detect (the default) */
    char quote;                      /* '"' or '\''; 0: detect (the default) */
    long skip_rows;                  /* lines before the first record; TFG_CSV_DETECT */
    tfg_csv_encoding encoding;
    const char *const *names;        /* names when there is no header (NULL: c0, c1, ...) */
    size_t n_names;
    const char *const *categorical;  /* NULL-terminated: read these as categories */
    size_t max_record;               /* 0: TFG_CSV_MAX_RECORD */
} tfg_csv_opts;

/* What was detected bit by bit (tfg_csv_info.detected). */
enum {
    TFG_CSV_DET_DELIMITER = 1, TFG_CSV_DET_QUOTE = 2, TFG_CSV_DET_DECIMAL = 4,
    TFG_CSV_DET_HEADER = 8, TFG_CSV_DET_SKIP = 16, TFG_CSV_DET_ENCODING = 32
};

#define TFG_CSV_SAMPLE_ROWS 5

/* The dialect the file was read in and what was read; filled as far as reading got, so
 * also after an error. */
typedef struct {
    char delimiter, decimal, quote;
    bool header, bom;
    size_t skip_rows;        /* lines skipped before the first record */
    unsigned detected;       /* TFG_CSV_DET_* bits: what was detected, not given */
    const char *line_ends;   /* "LF", "CRLF", "CR", "mixed" or "none" */
    const char *encoding;    /* "UTF-8" or "Windows-1252" */
    bool converted;          /* the bytes were converted from Windows-1252 */
    size_t converted_line;   /* the first line that was not UTF-8 (0: none) */
    size_t rows_read;        /* data records read without error */
    size_t n_cols;
    char **names;            /* n_cols column names (NULL until known) */
    char **units;            /* n_cols: a numeric column's unit suffix, or NULL */
    size_t n_sample;         /* the first data records, as cell texts */
    char **sample[TFG_CSV_SAMPLE_ROWS];
    size_t sample_cols[TFG_CSV_SAMPLE_ROWS];
} tfg_csv_info;

void tfg_csv_opts_default(tfg_csv_opts *o);
void tfg_csv_info_free(tfg_csv_info *info);
/* name is the file name used in error messages. info may be NULL; when given it is
 * filled (free it with tfg_csv_info_free) whether or not the reading succeeds. */
tfg_status tfg_csv_parse_info(const char *buf, size_t len, const char *name,
                              const tfg_csv_opts *o, tfg_table *out, tfg_csv_info *info,
                              tfg_err *err);
tfg_status tfg_csv_parse(const char *buf, size_t len, const char *name, const tfg_csv_opts *o,
                         tfg_table *out, tfg_err *err);
tfg_status tfg_csv_read_info(const char *path, const tfg_csv_opts *o, tfg_table *out,
                             tfg_csv_info *info, tfg_err *err);
tfg_status tfg_csv_read(const char *path, const tfg_csv_opts *o, tfg_table *out, tfg_err *err);

/* Whether text reads as a number with decimal separator dec: 0 no, 1 a plain number,
 * 2 a number with a unit suffix; for hints in later errors ("4,4" with dec ','). */
int tfg_csv_number_kind(const char *text, char dec);

#endif
