/* io.c — whole-file reads, atomic writes, directory helpers and staging directories. */
#include "core/io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/alloc.h"

static tfg_status sys_err(tfg_err *err, const char *what, const char *path)
{
    return tfg_err_set(err, TFG_EIO, "%s: cannot %s: %s", path, what, strerror(errno));
}

static tfg_status too_large(tfg_err *err, const char *path, size_t max)
{
    return tfg_err_set(err, TFG_EINPUT, "%s: larger than the %zu MiB limit", path, max >> 20);
}

/* A plain file's size is what reading it gives; a gzip file's is known only once read. */
static bool is_gzip(const char *path)
{
    unsigned char magic[2] = {0, 0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t n = fread(magic, 1, 2, f);
    fclose(f);
    return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

/* What a path that is not a regular file is, in words; NULL for a regular file. */
static const char *not_regular(mode_t m)
{
    return S_ISREG(m)    ? NULL
           : S_ISDIR(m)  ? "a directory"
           : S_ISFIFO(m) ? "a FIFO"
           : S_ISCHR(m)  ? "a character device"
           : S_ISBLK(m)  ? "a block device"
           : S_ISSOCK(m) ? "a socket"
                         : "not a file";
}

static tfg_status kind_err(tfg_err *err, const char *path, const struct stat *sb)
{
    return tfg_err_set(err, TFG_EINPUT, "%s: cannot read %s: give a regular file (or a gzip "
                       "of one)", path, not_regular(sb->st_mode));
}

static tfg_status size_from_stat(const char *path, const struct stat *sb, size_t max,
                                 tfg_err *err)
{
    if (not_regular(sb->st_mode))
        return kind_err(err, path, sb);
    if ((uintmax_t)sb->st_size > (uintmax_t)max && !is_gzip(path))
        return too_large(err, path, max);
    return TFG_OK;
}

tfg_status tfg_check_size(const char *path, size_t max, tfg_err *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return TFG_OK; /* whoever opens it says why it cannot */
    return size_from_stat(path, &sb, max, err);
}

tfg_status tfg_open_regular(const char *path, int *fd, tfg_err *err)
{
    /* O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting, and
     * fstat on what was opened (not on the name) decides; a regular file ignores it. */
    *fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (*fd < 0)
        return sys_err(err, "open", path);
    struct stat sb;
    tfg_status st = fstat(*fd, &sb) != 0   ? sys_err(err, "stat", path)
                    : not_regular(sb.st_mode) ? kind_err(err, path, &sb)
                                              : TFG_OK;
    if (st) {
        close(*fd);
        *fd = -1;
        return st;
    }
    fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) & ~O_NONBLOCK);
    return TFG_OK;
}

tfg_status tfg_read_file(const char *path, size_t max, char **buf, size_t *len, tfg_err *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return sys_err(err, "read", path);
    tfg_status st = size_from_stat(path, &sb, max, err);
    if (st)
        return st;
    int fd;
    if ((st = tfg_open_regular(path, &fd, err)))
        return st;
    /* gzdopen reads plain files unchanged, so one path serves .csv and .csv.gz alike. */
    gzFile gz = gzdopen(fd, "rb");
    if (!gz) {
        close(fd);
        return sys_err(err, "open", path);
    }
    gzbuffer(gz, 1 << 16);
    size_t cap = 1 << 16, n = 0;
    char *data = tfg_xmalloc(cap + 1);
    for (;;) {
        if (cap - n < (1 << 15)) {
            cap *= 2;
            data = tfg_xrealloc(data, cap + 1);
        }
        size_t want = cap - n;
        if (want > (1u << 30))
            want = 1u << 30;
        int got = gzread(gz, data + n, (unsigned)want);
        if (got < 0) {
            int zerr;
            const char *msg = gzerror(gz, &zerr);
            tfg_err_set(err, TFG_EINPUT, "%s: cannot decompress: %s", path,
                        zerr == Z_ERRNO ? strerror(errno) : msg);
            gzclose(gz);
            free(data);
            return TFG_EINPUT;
        }
        if (got == 0) {
            /* gzread returns 0 both at the end and on a stream cut short; tell them apart. */
            int zerr;
            const char *msg = gzerror(gz, &zerr);
            if (zerr != Z_OK && zerr != Z_STREAM_END) {
                tfg_err_set(err, TFG_EINPUT, "%s: cannot decompress: %s", path, msg);
                gzclose(gz);
                free(data);
                return TFG_EINPUT;
            }
            break;
        }
        n += (size_t)got;
        if (n > max) {
            gzclose(gz);
            free(data);
            return too_large(err, path, max);
        }
    }
    gzclose(gz);
    data[n] = '\0';
    *buf = data;
    *len = n;
    return TFG_OK;
}

static int fsync_dir_of(const char *path)
{
    char *dir = tfg_path_dirname(path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    free(dir);
    if (fd < 0)
        return -1;
    int r = fsync(fd);
    close(fd);
    return r;
}

tfg_status tfg_afile_open(tfg_afile *f, const char *path, tfg_err *err)
{
    f->path = tfg_xstrdup(path);
    f->tmp = tfg_xasprintf("%s.tmp.XXXXXX", path);
    int fd = mkstemp(f->tmp);
    if (fd < 0) {
        tfg_status st = sys_err(err, "create a file beside", path);
        free(f->path);
        free(f->tmp);
        f->path = f->tmp = NULL;
        f->fp = NULL;
        return st;
    }
    fchmod(fd, 0644);
    f->fp = fdopen(fd, "wb");
    if (!f->fp) {
        close(fd);
        unlink(f->tmp);
        free(f->path);
        free(f->tmp);
        f->path = f->tmp = NULL;
        return sys_err(err, "open", path);
    }
    return TFG_OK;
}

tfg_status tfg_afile_write(tfg_afile *f, const void *data, size_t len, tfg_err *err)
{
    if (len && fwrite(data, 1, len, f->fp) != len)
        return sys_err(err, "write", f->path);
    return TFG_OK;
}

void tfg_afile_abort(tfg_afile *f)
{
    if (f->fp)
        fclose(f->fp);
    if (f->tmp)
        unlink(f->tmp);
    free(f->path);
    free(f->tmp);
    f->fp = NULL;
    f->path = f->tmp = NULL;
}

tfg_status tfg_afile_commit(tfg_afile *f, tfg_err *err)
{
    tfg_status st = TFG_OK;
    if (fflush(f->fp) != 0 || fsync(fileno(f->fp)) != 0)
        st = sys_err(err, "write", f->path);
    if (fclose(f->fp) != 0 && !st)
        st = sys_err(err, "write", f->path);
    f->fp = NULL;
    if (!st && rename(f->tmp, f->path) != 0)
        st = sys_err(err, "rename into", f->path);
    if (!st)
        fsync_dir_of(f->path);
    else
        unlink(f->tmp);
    free(f->path);
    free(f->tmp);
    f->path = f->tmp = NULL;
    return st;
}

tfg_status tfg_write_atomic(const char *path, const void *data, size_t len, tfg_err *err)
{
    tfg_afile f;
    tfg_status st = tfg_afile_open(&f, path, err);
    if (st)
        return st;
    st = tfg_afile_write(&f, data, len, err);
    if (st) {
        tfg_afile_abort(&f);
        return st;
    }
    return tfg_afile_commit(&f, err);
}

tfg_status tfg_copy_file(const char *src, const char *dst, size_t max, tfg_err *err)
{
    char *data;
    size_t len;
    tfg_status st = tfg_read_file(src, max, &data, &len, err);
    if (!st) {
        st = tfg_write_atomic(dst, data, len, err);
        free(data);
    }
    return st;
}

tfg_status tfg_mkdirs(const char *path, tfg_err *err)
{
    char *p = tfg_xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            tfg_status st = sys_err(err, "create directory", p);
            free(p);
            return st;
        }
        *s = '/';
    }
    tfg_status st = TFG_OK;
    if (mkdir(p, 0755) != 0 && errno != EEXIST)
        st = sys_err(err, "create directory", p);
    else if (!tfg_is_dir(p))
        st = tfg_err_set(err, TFG_EIO, "%s: exists and is not a directory", p);
    free(p);
    return st;
}

tfg_status tfg_rmtree(const char *path, tfg_err *err)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return errno == ENOENT ? TFG_OK : sys_err(err, "inspect", path);
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        if (!d)
            return sys_err(err, "open directory", path);
        struct dirent *e;
        tfg_status st = TFG_OK;
        while (!st && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char *child = tfg_path_join(path, e->d_name);
            st = tfg_rmtree(child, err);
            free(child);
        }
        closedir(d);
        if (st)
            return st;
        if (rmdir(path) != 0)
            return sys_err(err, "remove directory", path);
        return TFG_OK;
    }
    if (unlink(path) != 0 && errno != ENOENT)
        return sys_err(err, "remove", path);
    return TFG_OK;
}

bool tfg_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

const char *tfg_path_problem(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) == 0)
        return "";
    int e = errno;
    if (e == ENOENT)
        return lstat(path, &sb) == 0 ? "a symbolic link to a missing file" : "file not found";
    if (e == ELOOP)
        return "a loop of symbolic links";
    if (e == EACCES)
        return "permission denied";
    if (e == ENOTDIR)
        return "a part of the path is not a directory";
    return strerror(e);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

tfg_status tfg_list_files(const char *dir, const char *suffix, char ***names, size_t *n,
                          tfg_err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return sys_err(err, "list the directory", dir);
    size_t count = 0, sl = strlen(suffix);
    char **v = tfg_xcalloc(1, sizeof *v);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < sl || strcmp(e->d_name + len - sl, suffix))
            continue;
        char *p = tfg_path_join(dir, e->d_name);
        bool file = tfg_exists(p) && !tfg_is_dir(p);
        free(p);
        if (!file)
            continue;
        v = tfg_xreallocarray(v, count + 2, sizeof *v);
        v[count++] = tfg_xstrdup(e->d_name);
        v[count] = NULL;
    }
    closedir(d);
    qsort(v, count, sizeof *v, cmp_name);
    *names = v;
    *n = count;
    return TFG_OK;
}

bool tfg_is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

char *tfg_path_join(const char *a, const char *b)
{
    size_t la = strlen(a);
    if (la && a[la - 1] == '/')
        return tfg_xasprintf("%s%s", a, b);
    return tfg_xasprintf("%s/%s", a, b);
}

char *tfg_path_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return tfg_xstrdup(".");
    if (slash == path)
        return tfg_xstrdup("/");
    return tfg_xstrndup(path, (size_t)(slash - path));
}

char *tfg_path_beside(const char *a, const char *b)
{
    if (b[0] == '/')
        return tfg_xstrdup(b);
    char *dir = tfg_path_dirname(a);
    char *r = strcmp(dir, ".") ? tfg_path_join(dir, b) : tfg_xstrdup(b);
    free(dir);
    return r;
}

static char *old_path(const char *out, const char *stage)
{
    char *name = tfg_xasprintf(".%s.old", stage);
    char *p = tfg_path_join(out, name);
    free(name);
    return p;
}

tfg_status tfg_stage_sweep(const char *out, const char *stage, tfg_err *err)
{
    char *final = tfg_path_join(out, stage);
    char *name = tfg_xasprintf(".%s.tmp", stage);
    char *dir = tfg_path_join(out, name);
    free(name);
    tfg_status st = TFG_OK;
    /* Finish or undo a swap that a crash interrupted: the old directory goes back when
     * the new one was not published yet, and is removed when it was. */
    char *old = old_path(out, stage);
    if (tfg_exists(old)) {
        if (!tfg_exists(final) && rename(old, final) != 0)
            st = sys_err(err, "restore", final);
        else
            st = tfg_rmtree(old, err);
    }
    if (!st)
        st = tfg_rmtree(dir, err);
    free(old);
    free(dir);
    free(final);
    return st;
}

tfg_status tfg_stage_begin(tfg_stagedir *s, const char *out, const char *stage, tfg_err *err)
{
    s->final = s->dir = NULL;
    tfg_status st = tfg_mkdirs(out, err);
    if (st)
        return st;
    s->final = tfg_path_join(out, stage);
    char *name = tfg_xasprintf(".%s.tmp", stage);
    s->dir = tfg_path_join(out, name);
    free(name);
    st = tfg_stage_sweep(out, stage, err);
    if (!st && mkdir(s->dir, 0755) != 0)
        st = sys_err(err, "create directory", s->dir);
    if (st) {
        free(s->final);
        free(s->dir);
        s->final = s->dir = NULL;
    }
    return st;
}

char *tfg_stage_path(const tfg_stagedir *s, const char *name)
{
    return tfg_path_join(s->dir, name);
}

tfg_status tfg_stage_commit(tfg_stagedir *s, tfg_err *err)
{
    char *out = tfg_path_dirname(s->final);
    const char *stage = strrchr(s->final, '/') ? strrchr(s->final, '/') + 1 : s->final;
    char *old = old_path(out, stage);
    tfg_status st = TFG_OK;
    if (tfg_exists(s->final) && rename(s->final, old) != 0)
        st = sys_err(err, "move aside", s->final);
    if (!st && rename(s->dir, s->final) != 0) {
        st = sys_err(err, "publish", s->final);
        rename(old, s->final);
    }
    if (!st) {
        fsync_dir_of(s->final);
        tfg_rmtree(old, NULL);
    }
    free(old);
    free(out);
    if (st)
        tfg_stage_abort(s);
    else {
        free(s->final);
        free(s->dir);
        s->final = s->dir = NULL;
    }
    return st;
}

void tfg_stage_abort(tfg_stagedir *s)
{
    if (s->dir)
        tfg_rmtree(s->dir, NULL);
    free(s->final);
    free(s->dir);
    s->final = s->dir = NULL;
}

char *tfg_path_absolute(const char *p)
{
    if (p[0] == '/')
        return tfg_xstrdup(p);
    char *cwd = getcwd(NULL, 0);
    char *abs = cwd ? tfg_path_join(cwd, p) : tfg_xstrdup(p);
    free(cwd);
    return abs;
}
