/* csv.h — CSV per RFC 4180 into a tfg_table.
 *
 * Quoted fields (with "" for a quote, embedded delimiters and newlines), an optional
 * header record, CRLF or LF line ends, a UTF-8 byte-order mark, gzip'd files (undone by
 * tfg_read_file). A cell that is empty, NA, N/A, null or ? is missing. A column whose
 * non-missing cells are all finite numbers is numeric, else categorical; a column
 * where most cells are numbers and a few are not is an error at the first bad cell
 * (a typo, not a category). NaN and Inf cells are errors: write an empty cell for a
 * missing value. Every error names file:line:column (column = 1-based field number)
 * and, where known, the column's name. */
#ifndef TFG_DATA_CSV_H
#define TFG_DATA_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "data/table.h"

#define TFG_CSV_MAX_RECORD ((size_t)256 * 1024) /* bytes in one record (row) */

typedef struct {
    bool header;                     /* the first record names the columns */
    char delimiter;                  /* ',' by default */
    const char *const *names;        /* names when header is false (NULL: c0, c1, ...) */
    size_t n_names;
    const char *const *categorical;  /* NULL-terminated: read these as categories */
    size_t max_record;               /* 0: TFG_CSV_MAX_RECORD */
} tfg_csv_opts;

void tfg_csv_opts_default(tfg_csv_opts *o);
/* name is the file name used in error messages. */
tfg_status tfg_csv_parse(const char *buf, size_t len, const char *name, const tfg_csv_opts *o,
                         tfg_table *out, tfg_err *err);
tfg_status tfg_csv_read(const char *path, const tfg_csv_opts *o, tfg_table *out, tfg_err *err);

#endif
