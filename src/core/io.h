/* io.h — files: whole-file reads (gzip undone transparently), atomic writes, and the
 * staging directory through which a stage publishes all its artifacts at once.
 *
 * Atomic write: data goes to a temporary file in the same directory, is fsync'd, then
 * renamed over the target, and the directory is fsync'd: a reader sees the old file or
 * the new one, never half of one. A stage writes every artifact into a staging
 * directory "<out>/.<stage>.tmp" and only on success swaps it for "<out>/<stage>", so a
 * failed or killed run leaves the previous artifacts as they were. */
#ifndef TFG_CORE_IO_H
#define TFG_CORE_IO_H

#include <stdbool.h>
#include <stdio.h>

#include "core/error.h"

#define TFG_READ_MAX_DEFAULT ((size_t)1 << 31) /* 2 GiB: larger inputs are refused */

/* Reads a whole file; a gzip file is decompressed. At most max bytes (after
 * decompression) are accepted. *buf is NUL-terminated (not counted in *len). */
tfg_status tfg_read_file(const char *path, size_t max, char **buf, size_t *len, tfg_err *err);
/* Refuses, from its size and kind alone, a plain file that tfg_read_file(path, max) would
 * refuse (too large, or not a regular file), before anything hashes or reads it (a gzip
 * file is judged when read). A missing path is TFG_OK here: its reader says what is
 * wrong. */
tfg_status tfg_check_size(const char *path, size_t max, tfg_err *err);
/* Opens path for reading if it is a regular file; a FIFO, a device, a socket or a
 * directory is refused at once (never waited on). *fd is the descriptor, or -1. */
tfg_status tfg_open_regular(const char *path, int *fd, tfg_err *err);

tfg_status tfg_write_atomic(const char *path, const void *data, size_t len, tfg_err *err);
/* dst = a copy of src (at most max bytes), written atomically. */
tfg_status tfg_copy_file(const char *src, const char *dst, size_t max, tfg_err *err);

/* A file written in pieces and published atomically on commit. */
typedef struct {
    FILE *fp;
    char *path, *tmp;
} tfg_afile;

tfg_status tfg_afile_open(tfg_afile *f, const char *path, tfg_err *err);
tfg_status tfg_afile_write(tfg_afile *f, const void *data, size_t len, tfg_err *err);
tfg_status tfg_afile_commit(tfg_afile *f, tfg_err *err); /* fsync + rename */
void tfg_afile_abort(tfg_afile *f);                       /* removes the temp file */

tfg_status tfg_mkdirs(const char *path, tfg_err *err);
/* Removes a file or a directory tree; a missing path is fine. */
tfg_status tfg_rmtree(const char *path, tfg_err *err);
bool tfg_exists(const char *path);
/* Why path cannot be opened, in words for a message: "file not found", "a loop of
 * symbolic links", "a symbolic link to a missing file", "permission denied", ...;
 * "" when it can be stat'ed. */
const char *tfg_path_problem(const char *path);
/* The names of the regular files in dir (not starting with '.') that end in suffix
 * ("" for all), sorted; a new NULL-terminated array of new strings (tfg_strv_free). */
tfg_status tfg_list_files(const char *dir, const char *suffix, char ***names, size_t *n,
                          tfg_err *err);
bool tfg_is_dir(const char *path);

/* New strings; the caller frees. */
char *tfg_path_join(const char *a, const char *b);
char *tfg_path_dirname(const char *path);
/* p as an absolute path (p itself when it already is; else the current directory
 * joined with it), so it survives a child process started in another directory. */
char *tfg_path_absolute(const char *p);
/* b relative to the directory of file a, unless b is absolute. */
char *tfg_path_beside(const char *a, const char *b);

typedef struct {
    char *final; /* <out>/<stage> */
    char *dir;   /* <out>/.<stage>.tmp, where the stage writes */
} tfg_stagedir;

/* Creates a fresh staging directory for stage under out (removing a stale one, and
 * restoring "<out>/<stage>" if an earlier swap was interrupted). */
tfg_status tfg_stage_begin(tfg_stagedir *s, const char *out, const char *stage, tfg_err *err);
/* What a killed run left of stage under out: finishes or undoes an interrupted swap
 * ("<out>/.<stage>.old": the old artifacts win) and removes "<out>/.<stage>.tmp" with
 * whatever scratch lives in it. A missing run directory is fine. Called at the start of
 * every stage of a run, also one skipped as up to date, and by tfg_stage_begin. */
tfg_status tfg_stage_sweep(const char *out, const char *stage, tfg_err *err);
/* A new path inside the staging directory. */
char *tfg_stage_path(const tfg_stagedir *s, const char *name);
/* Replaces <out>/<stage> with the staging directory. */
tfg_status tfg_stage_commit(tfg_stagedir *s, tfg_err *err);
/* Drops the staging directory; <out>/<stage> is untouched. */
void tfg_stage_abort(tfg_stagedir *s);

#endif
