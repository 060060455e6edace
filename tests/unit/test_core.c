/* test_core.c — the core library: error formatting and prefixing (with truncation of
 * long messages), strutil, the JSON helpers (load positions, typed readers, unknown
 * keys with suggestions, canonical form), io (gzip reads, atomic writes, staging
 * directories including an interrupted swap), sha256, the rng, subprocesses, and where
 * installed resources are found (override, beside the binary, source-tree fallback). */
#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "../check.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/io.h"
#include "core/json.h"
#include "core/proc.h"
#include "core/progress.h"
#include "core/resource.h"
#include "core/rng.h"
#include "core/strmap.h"
#include "core/strutil.h"

static char tmpdir[64];

static char *tmp_path(const char *name)
{
    return tfg_path_join(tmpdir, name);
}

static void write_text(const char *path, const char *s)
{
    FILE *f = fopen(path, "wb");
    fputs(s, f);
    fclose(f);
}

static char *slurp(const char *path)
{
    char *buf = NULL;
    size_t n;
    tfg_err err;
    if (tfg_read_file(path, TFG_READ_MAX_DEFAULT, &buf, &n, &err))
        return NULL;
    return buf;
}

/* How many entries dir holds (not . or ..): a leftover temp file shows up here. */
static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* ---- error ---------------------------------------------------------------------- */

static void test_error(void)
{
    tfg_err err = {0};
    CHECK_INT(tfg_err_set(&err, TFG_EINPUT, "bad %s %d", "thing", 3), TFG_EINPUT);
    CHECK_INT(err.code, TFG_EINPUT);
    CHECK_STR(err.msg, "bad thing 3");
    tfg_err_at(&err, TFG_EINPUT, "fruit.csv", 12, 3, "not a number");
    CHECK_STR(err.msg, "fruit.csv:12:3: not a number");
    tfg_err_at(&err, TFG_EIO, "fruit.csv", 12, 0, "x");
    CHECK_STR(err.msg, "fruit.csv:12: x");
    CHECK_INT(err.code, TFG_EIO);
    tfg_err_at(&err, TFG_EIO, "fruit.csv", 0, 0, "x");
    CHECK_STR(err.msg, "fruit.csv: x");
    tfg_err_field(&err, TFG_EINPUT, "spec.json", "budget.flash_bytes", "expected %s", "int");
    CHECK_STR(err.msg, "spec.json: budget.flash_bytes: expected int");
    tfg_err_field(&err, TFG_EINPUT, "spec.json", "", "empty");
    CHECK_STR(err.msg, "spec.json: empty");
    CHECK_INT(tfg_err_prefix(&err, "data stage %d", 2), TFG_EINPUT);
    CHECK_STR(err.msg, "data stage 2: spec.json: empty");
    CHECK_INT(err.code, TFG_EINPUT);
    tfg_err_clear(&err);
    CHECK_INT(err.code, TFG_OK);
    CHECK_STR(err.msg, "");
    /* NULL err: the code still comes back, nothing crashes */
    CHECK_INT(tfg_err_set(NULL, TFG_ECHECK, "x"), TFG_ECHECK);
    CHECK_INT(tfg_err_at(NULL, TFG_EIO, "f", 1, 1, "x"), TFG_EIO);
    CHECK_INT(tfg_err_field(NULL, TFG_EIO, "f", "p", "x"), TFG_EIO);
    CHECK_STR(tfg_status_name(TFG_ETIMEOUT), "timeout");
    CHECK_STR(tfg_status_name(TFG_OK), "ok");
}

static void test_error_truncation(void)
{
    char big[3000];
    memset(big, 'm', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    tfg_err err = {0};
    tfg_err_set(&err, TFG_EINPUT, "%s", big);
    CHECK_INT(strlen(err.msg), TFG_ERR_MSG_MAX - 1);
    tfg_err_at(&err, TFG_EINPUT, big, 5, 6, "tail");
    CHECK_INT(strlen(err.msg), TFG_ERR_MSG_MAX - 1);
    /* prefixing a full message keeps the head and drops the message's tail */
    tfg_err_set(&err, TFG_EINPUT, "%s", big);
    tfg_err_prefix(&err, "context");
    CHECK_INT(strlen(err.msg), TFG_ERR_MSG_MAX - 1);
    CHECK(strncmp(err.msg, "context: mmm", 12) == 0);
    /* a prefix longer than the buffer is cut; the result stays terminated */
    tfg_err_set(&err, TFG_EINPUT, "short");
    tfg_err_prefix(&err, "%s", big);
    CHECK(strlen(err.msg) <= TFG_ERR_MSG_MAX - 1);
    CHECK_INT(err.code, TFG_EINPUT);
}

/* ---- strutil -------------------------------------------------------------------- */

static void test_strutil(void)
{
    char n[32];
    CHECK_STR(tfg_fmt_count(n, sizeof n, 0), "0");
    CHECK_STR(tfg_fmt_count(n, sizeof n, 999), "999");
    CHECK_STR(tfg_fmt_count(n, sizeof n, 1000), "1,000");
    CHECK_STR(tfg_fmt_count(n, sizeof n, 1048576), "1,048,576");
    CHECK_STR(tfg_fmt_count(n, sizeof n, UINT64_MAX), "18,446,744,073,709,551,615");
    CHECK_STR(tfg_fmt_count(n, 6, 1048576), "1,048"); /* truncated to the buffer */
    CHECK_INT(tfg_edit_distance("kitten", "sitting"), 3);
    CHECK_INT(tfg_edit_distance("", "abc"), 3);
    CHECK_INT(tfg_edit_distance("Label", "lABEL"), 0);
    CHECK_INT(tfg_edit_distance("flaw", "lawn"), 2);
    const char *cands[] = {"label", "features", "board", NULL};
    const char *c = tfg_closest("lable", cands);
    CHECK(c && !strcmp(c, "label"));
    c = tfg_closest("feature", cands);
    CHECK(c && !strcmp(c, "features"));
    CHECK(tfg_closest("zzzzzzzz", cands) == NULL);
    CHECK(tfg_closest("x", NULL) == NULL);
    char buf[64];
    tfg_join(buf, sizeof buf, cands, ", ");
    CHECK_STR(buf, "label, features, board");
    tfg_join(buf, 12, cands, ", ");
    CHECK_STR(buf, "label"); /* "label, features" does not fit in 12: whole items only */
    const char *none[] = {NULL};
    tfg_join(buf, sizeof buf, none, ", ");
    CHECK_STR(buf, "");
    CHECK(tfg_name_eq("Arduino Nano 33", "arduino_nano-33"));
    CHECK(tfg_name_eq("", ""));
    CHECK(!tfg_name_eq("nano", "nano33"));
    CHECK(!tfg_name_eq("nano_33", "nano.33"));
    /* a name from a file reaches the terminal only with its control bytes escaped */
    CHECK_STR(tfg_escape_control(buf, sizeof buf, "a\x1b[31mb\tc\x7f"), "a\\x1b[31mb\\x09c\\x7f");
    CHECK_STR(tfg_escape_control(buf, 6, "ab\x1b"), "ab"); /* no half escape */
    CHECK_STR(tfg_escape_control(buf, sizeof buf, "é ok"), "é ok");
    /* any bytes become valid UTF-8: each stray byte one U+FFFD, valid text kept */
    static const struct { const char *in, *out; bool bad; } u8[] = {
        {"plain \x01 é €", "plain \x01 é €", false},
        {"a\xff" "b", "a\xef\xbf\xbd" "b", true},
        {"\xc3", "\xef\xbf\xbd", true},                        /* cut short at the end */
        {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd", true},         /* overlong '/' */
        {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", true}, /* surrogate */
        {"\xf4\x90\x80\x80x", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx", true},
        {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", false},       /* U+1F600 */
    };
    for (size_t i = 0; i < sizeof u8 / sizeof u8[0]; i++) {
        bool bad = !u8[i].bad;
        char *t = tfg_utf8_lossy(u8[i].in, &bad);
        CHECK_STR(t, u8[i].out);
        CHECK(bad == u8[i].bad);
        free(t);
    }
}

/* ---- json ----------------------------------------------------------------------- */

static void test_json_load(void)
{
    json_t *j = NULL;
    tfg_err err = {0};
    const char *bad = "{\n  \"a\": 1,\n  \"b\": }\n";
    CHECK_INT(tfg_json_load_buf(bad, strlen(bad), "t.json", &j, &err), TFG_EINPUT);
    CHECK(j == NULL);
    CHECK_HAS(err.msg, "t.json:3:");
    CHECK_HAS(err.msg, "invalid JSON");
    const char *dup = "{\"a\": 1, \"a\": 2}";
    CHECK_INT(tfg_json_load_buf(dup, strlen(dup), "d.json", &j, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "d.json:1:");
    const char *ok = "{\"b\": 1, \"a\": [true, null, 2.5]}";
    CHECK_INT(tfg_json_load_buf(ok, strlen(ok), "o.json", &j, &err), TFG_OK);
    char *canon = tfg_json_canonical(j);
    CHECK_STR(canon, "{\"a\":[true,null,2.5],\"b\":1}");
    free(canon);
    char *pretty = tfg_json_pretty(j);
    CHECK(pretty[strlen(pretty) - 1] == '\n');
    CHECK_HAS(pretty, "\n  \"b\": 1");
    free(pretty);
    /* written atomically, read back equal */
    char *path = tmp_path("w.json");
    CHECK_INT(tfg_json_write_file(path, j, &err), TFG_OK);
    json_t *back = NULL;
    CHECK_INT(tfg_json_load_file(path, &back, &err), TFG_OK);
    CHECK(back && json_equal(j, back));
    json_decref(back);
    json_decref(j);
    free(path);
    char *missing = tmp_path("none.json");
    CHECK_INT(tfg_json_load_file(missing, &j, &err), TFG_EIO);
    CHECK_HAS(err.msg, "none.json");
    free(missing);
    char p[64];
    tfg_jpath_key(p, sizeof p, "", "ops");
    CHECK_STR(p, "ops");
    tfg_jpath_index(p, sizeof p, "ops", 3);
    CHECK_STR(p, "ops[3]");
    tfg_jpath_key(p, sizeof p, "ops[3]", "columns");
    CHECK_STR(p, "ops[3].columns");
}

static void test_json_getters(void)
{
    const char *text = "{\"name\": \"fruit\", \"flash\": 11, \"ratio\": 0.5, \"big\": \"yes\","
                       " \"on\": true, \"none\": null, \"cols\": [\"a\", 2], \"one\": \"x\","
                       " \"task\": \"clasification\", \"mode\": \"zzz\"}";
    json_t *j = NULL;
    tfg_err err = {0};
    CHECK_INT(tfg_json_load_buf(text, strlen(text), "s.json", &j, &err), TFG_OK);
    tfg_jctx c = {"s.json", "spec"};
    const char *s = "default";
    CHECK_INT(tfg_jget_str(j, "absent", false, &s, &c, &err), TFG_OK);
    CHECK_STR(s, "default");
    CHECK_INT(tfg_jget_str(j, "none", false, &s, &c, &err), TFG_OK); /* null = absent */
    CHECK_STR(s, "default");
    CHECK_INT(tfg_jget_str(j, "absent", true, &s, &c, &err), TFG_EINPUT);
    CHECK_STR(err.msg, "s.json: spec.absent: required field is missing");
    CHECK_INT(tfg_jget_str(j, "name", true, &s, &c, &err), TFG_OK);
    CHECK_STR(s, "fruit");
    int64_t i = -1;
    CHECK_INT(tfg_jget_int(j, "name", true, 0, 10, &i, &c, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "spec.name: expected an integer, got a string");
    CHECK_INT(tfg_jget_int(j, "flash", true, 0, 10, &i, &c, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "spec.flash: expected an integer from 0 to 10, got 11");
    CHECK_INT(i, -1);
    CHECK_INT(tfg_jget_int(j, "flash", true, 0, 100, &i, &c, &err), TFG_OK);
    CHECK_INT(i, 11);
    double d = 0;
    CHECK_INT(tfg_jget_num(j, "ratio", true, 0, 0.25, &d, &c, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "spec.ratio: expected a number from 0 to 0.25, got 0.5");
    CHECK_INT(tfg_jget_num(j, "flash", true, 0, 100, &d, &c, &err), TFG_OK); /* int is a number */
    CHECK_NEAR(d, 11, 0);
    bool b = false;
    CHECK_INT(tfg_jget_bool(j, "big", true, &b, &c, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "expected true or false, got a string");
    CHECK_INT(tfg_jget_bool(j, "on", true, &b, &c, &err), TFG_OK);
    CHECK(b);
    char **v = NULL;
    size_t n = 0;
    CHECK_INT(tfg_jget_strv(j, "cols", true, &v, &n, &c, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "s.json: spec.cols[1]: expected a string, got an integer");
    CHECK_INT(tfg_jget_strv(j, "one", true, &v, &n, &c, &err), TFG_OK);
    CHECK_INT(n, 1);
    CHECK(v && v[0] && !strcmp(v[0], "x") && v[1] == NULL);
    tfg_strv_free(v);
    static const char *const tasks[] = {"classification", "regression", "anomaly", NULL};
    int idx = -1;
    CHECK_INT(tfg_jget_enum(j, "task", true, tasks, &idx, &c, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "spec.task: 'clasification' is not one of classification, regression");
    CHECK_HAS(err.msg, "did you mean 'classification'?");
    CHECK_INT(tfg_jget_enum(j, "mode", true, tasks, &idx, &c, &err), TFG_EINPUT);
    CHECK(strstr(err.msg, "did you mean") == NULL);
    CHECK_INT(idx, -1);
    json_object_set_new(j, "task", json_string("regression"));
    CHECK_INT(tfg_jget_enum(j, "task", true, tasks, &idx, &c, &err), TFG_OK);
    CHECK_INT(idx, 1);
    json_decref(j);
}

static void test_json_keys(void)
{
    const char *text = "{\"lable\": \"fruit\", \"name\": \"x\"}";
    json_t *j = NULL;
    tfg_err err = {0};
    CHECK_INT(tfg_json_load_buf(text, strlen(text), "k.json", &j, &err), TFG_OK);
    static const char *const allowed[] = {"name", "label", "features", NULL};
    tfg_jctx c = {"k.json", ""};
    CHECK_INT(tfg_jcheck_keys(j, allowed, &c, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "k.json: lable: unknown field; did you mean 'label'?");
    CHECK_HAS(err.msg, "known: name, label, features");
    json_object_del(j, "lable");
    CHECK_INT(tfg_jcheck_keys(j, allowed, &c, &err), TFG_OK);
    json_object_set_new(j, "qqqqqqq", json_true());
    tfg_jctx c2 = {"k.json", "ops[2]"};
    CHECK_INT(tfg_jcheck_keys(j, allowed, &c2, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "k.json: ops[2].qqqqqqq: unknown field (known:");
    json_decref(j);
}

/* ---- io ------------------------------------------------------------------------- */

static void test_io_read(void)
{
    char *plain = tmp_path("data.csv"), *gz = tmp_path("data.csv.gz");
    tfg_buf b;
    tfg_buf_init(&b);
    for (int i = 0; i < 20000; i++)
        tfg_buf_printf(&b, "%d,%d.5,row%d\n", i, i * 3, i);
    write_text(plain, b.data);
    gzFile g = gzopen(gz, "wb");
    gzwrite(g, b.data, (unsigned)b.len);
    gzclose(g);
    char *p1 = NULL, *p2 = NULL;
    size_t n1 = 0, n2 = 0;
    tfg_err err = {0};
    CHECK_INT(tfg_read_file(plain, TFG_READ_MAX_DEFAULT, &p1, &n1, &err), TFG_OK);
    CHECK_INT(tfg_read_file(gz, TFG_READ_MAX_DEFAULT, &p2, &n2, &err), TFG_OK);
    CHECK_INT(n1, b.len);
    CHECK_INT(n2, b.len);
    CHECK(p1 && p2 && !memcmp(p1, p2, n1) && p2[n2] == '\0');
    free(p1);
    free(p2);
    /* over the limit */
    CHECK_INT(tfg_read_file(gz, 1000, &p1, &n1, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "limit");
    /* a gzip file cut short is an error, not a short read */
    struct stat sb;
    stat(gz, &sb);
    CHECK_INT(truncate(gz, sb.st_size / 2), 0);
    CHECK_INT(tfg_read_file(gz, TFG_READ_MAX_DEFAULT, &p1, &n1, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "cannot decompress");
    char *missing = tmp_path("missing.csv");
    CHECK_INT(tfg_read_file(missing, TFG_READ_MAX_DEFAULT, &p1, &n1, &err), TFG_EIO);
    CHECK_HAS(err.msg, "missing.csv");
    CHECK_INT(tfg_read_file(tmpdir, TFG_READ_MAX_DEFAULT, &p1, &n1, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "a directory");
    /* a FIFO with no writer and endless devices are refused at once, never waited on or
     * read until the limit: by the reader, the size check and the hash */
    char *fifo = tmp_path("fifo.csv");
    CHECK_INT(mkfifo(fifo, 0600), 0);
    const char *odd[] = {fifo, "/dev/zero", "/dev/urandom"};
    for (size_t i = 0; i < 3; i++) {
        CHECK_INT(tfg_read_file(odd[i], TFG_READ_MAX_DEFAULT, &p1, &n1, &err), TFG_EINPUT);
        CHECK_HAS(err.msg, i ? "a character device" : "a FIFO");
        CHECK_INT(tfg_check_size(odd[i], TFG_READ_MAX_DEFAULT, &err), TFG_EINPUT);
        char hex[TFG_SHA256_HEX];
        CHECK_INT(tfg_sha256_file(odd[i], hex, &err), TFG_EINPUT);
        CHECK_HAS(err.msg, "regular file");
    }
    unlink(fifo);
    free(fifo);
    free(missing);
    tfg_buf_free(&b);
    free(plain);
    free(gz);
}

static void test_io_atomic(void)
{
    char *dir = tmp_path("atomic");
    tfg_err err = {0};
    CHECK_INT(tfg_mkdirs(dir, &err), TFG_OK);
    char *path = tfg_path_join(dir, "f.txt");
    CHECK_INT(tfg_write_atomic(path, "first", 5, &err), TFG_OK);
    CHECK_INT(tfg_write_atomic(path, "second!", 7, &err), TFG_OK);
    char *s = slurp(path);
    CHECK(s && !strcmp(s, "second!"));
    free(s);
    CHECK_INT(count_entries(dir), 1); /* no temp file left */
    tfg_afile f;
    char *other = tfg_path_join(dir, "g.txt");
    CHECK_INT(tfg_afile_open(&f, other, &err), TFG_OK);
    CHECK_INT(tfg_afile_write(&f, "partial", 7, &err), TFG_OK);
    CHECK_INT(count_entries(dir), 2); /* the temp file */
    tfg_afile_abort(&f);
    CHECK(!tfg_exists(other));
    CHECK_INT(count_entries(dir), 1);
    /* aborting a write over an existing file keeps the old content */
    CHECK_INT(tfg_afile_open(&f, path, &err), TFG_OK);
    CHECK_INT(tfg_afile_write(&f, "third", 5, &err), TFG_OK);
    tfg_afile_abort(&f);
    s = slurp(path);
    CHECK(s && !strcmp(s, "second!"));
    free(s);
    CHECK_INT(tfg_afile_open(&f, other, &err), TFG_OK);
    CHECK_INT(tfg_afile_write(&f, "ab", 2, &err), TFG_OK);
    CHECK_INT(tfg_afile_write(&f, "cd", 2, &err), TFG_OK);
    CHECK_INT(tfg_afile_commit(&f, &err), TFG_OK);
    s = slurp(other);
    CHECK(s && !strcmp(s, "abcd"));
    free(s);
    char *nodir = tmp_path("nodir/x.txt");
    CHECK_INT(tfg_write_atomic(nodir, "x", 1, &err), TFG_EIO);
    CHECK_HAS(err.msg, "nodir/x.txt");
    free(nodir);
    /* mkdirs of nested paths, rmtree of a tree, a missing path is fine */
    char *deep = tfg_path_join(dir, "a/b/c");
    CHECK_INT(tfg_mkdirs(deep, &err), TFG_OK);
    CHECK(tfg_is_dir(deep));
    CHECK_INT(tfg_mkdirs(deep, &err), TFG_OK);
    CHECK_INT(tfg_mkdirs(path, &err), TFG_EIO); /* a file is in the way */
    CHECK_INT(tfg_rmtree(dir, &err), TFG_OK);
    CHECK(!tfg_exists(dir));
    CHECK_INT(tfg_rmtree(dir, &err), TFG_OK);
    free(deep);
    free(other);
    free(path);
    free(dir);
}

static void test_paths(void)
{
    /* why a path cannot be read, said as what it is (issue 22: a loop was "not found") */
    char *loop = tmp_path("loop"), *dangling = tmp_path("dangling");
    char *missing = tmp_path("missing");
    CHECK(symlink("loop", loop) == 0 && symlink("missing", dangling) == 0);
    CHECK_STR(tfg_path_problem(loop), "a loop of symbolic links");
    CHECK_STR(tfg_path_problem(dangling), "a symbolic link to a missing file");
    CHECK_STR(tfg_path_problem(missing), "file not found");
    CHECK_STR(tfg_path_problem(tmpdir), "");
    free(loop);
    free(dangling);
    free(missing);

    char *s = tfg_path_join("a/", "b");
    CHECK_STR(s, "a/b");
    free(s);
    s = tfg_path_join("a", "b");
    CHECK_STR(s, "a/b");
    free(s);
    s = tfg_path_dirname("x/y/z.json");
    CHECK_STR(s, "x/y");
    free(s);
    s = tfg_path_dirname("z.json");
    CHECK_STR(s, ".");
    free(s);
    s = tfg_path_dirname("/z");
    CHECK_STR(s, "/");
    free(s);
    s = tfg_path_beside("specs/fruit.json", "fruit.csv");
    CHECK_STR(s, "specs/fruit.csv");
    free(s);
    s = tfg_path_beside("fruit.json", "fruit.csv");
    CHECK_STR(s, "fruit.csv");
    free(s);
    s = tfg_path_beside("specs/fruit.json", "/data/fruit.csv");
    CHECK_STR(s, "/data/fruit.csv");
    free(s);
}

/* Writes name with content into the staging directory. */
static void stage_file(const tfg_stagedir *s, const char *name, const char *content)
{
    char *p = tfg_stage_path(s, name);
    write_text(p, content);
    free(p);
}

static void test_stagedir(void)
{
    char *out = tmp_path("run");
    char *final = tfg_path_join(out, "data");
    char *tmp = tfg_path_join(out, ".data.tmp");
    char *old = tfg_path_join(out, ".data.old");
    char *a = tfg_path_join(final, "a.txt"), *b = tfg_path_join(final, "b.txt");
    tfg_stagedir s;
    tfg_err err = {0};
    /* a first commit publishes */
    CHECK_INT(tfg_stage_begin(&s, out, "data", &err), TFG_OK);
    CHECK(tfg_is_dir(tmp));
    stage_file(&s, "a.txt", "one");
    CHECK(!tfg_exists(final));
    CHECK_INT(tfg_stage_commit(&s, &err), TFG_OK);
    char *t = slurp(a);
    CHECK(t && !strcmp(t, "one"));
    free(t);
    CHECK(!tfg_exists(tmp) && !tfg_exists(old));
    /* abort leaves the previous directory as it was */
    CHECK_INT(tfg_stage_begin(&s, out, "data", &err), TFG_OK);
    stage_file(&s, "b.txt", "two");
    tfg_stage_abort(&s);
    CHECK(tfg_exists(a) && !tfg_exists(b) && !tfg_exists(tmp));
    /* commit replaces the whole directory: a.txt is gone, b.txt is there */
    CHECK_INT(tfg_stage_begin(&s, out, "data", &err), TFG_OK);
    stage_file(&s, "b.txt", "two");
    CHECK_INT(tfg_stage_commit(&s, &err), TFG_OK);
    CHECK(!tfg_exists(a) && tfg_exists(b));
    /* a swap interrupted after moving the old directory aside: the next begin restores it */
    CHECK_INT(rename(final, old), 0);
    CHECK_INT(tfg_stage_begin(&s, out, "data", &err), TFG_OK);
    CHECK(tfg_exists(b) && !tfg_exists(old));
    tfg_stage_abort(&s);
    CHECK(tfg_exists(b));
    /* interrupted after the new directory was published: the stale old one is dropped */
    CHECK_INT(tfg_mkdirs(old, &err), TFG_OK);
    CHECK_INT(tfg_stage_begin(&s, out, "data", &err), TFG_OK);
    CHECK(tfg_exists(b) && !tfg_exists(old));
    tfg_stage_abort(&s);
    /* a publish that fails (here: the staging directory vanished) leaves the previous
     * directory where it was, whole: commit moves it aside first, never deletes it */
    CHECK_INT(tfg_stage_begin(&s, out, "data", &err), TFG_OK);
    stage_file(&s, "c.txt", "three");
    CHECK_INT(tfg_rmtree(tmp, &err), TFG_OK);
    CHECK(tfg_stage_commit(&s, &err) != TFG_OK);
    CHECK_HAS(err.msg, "publish");
    t = slurp(b);
    CHECK_MSG(t && !strcmp(t, "two"), "the previous %s is gone", b);
    free(t);
    CHECK(!tfg_exists(old) && !tfg_exists(tmp));
    /* a stale staging directory from a killed run is cleared by begin */
    CHECK_INT(tfg_mkdirs(tmp, &err), TFG_OK);
    char *junk = tfg_path_join(tmp, "junk");
    write_text(junk, "x");
    CHECK_INT(tfg_stage_begin(&s, out, "data", &err), TFG_OK);
    CHECK(!tfg_exists(junk) && tfg_is_dir(tmp));
    tfg_stage_abort(&s);
    free(junk);
    free(a);
    free(b);
    free(old);
    free(tmp);
    free(final);
    free(out);
}

/* ---- hash ----------------------------------------------------------------------- */

static void test_hash(void)
{
    char hex[TFG_SHA256_HEX];
    tfg_sha256_hex("abc", 3, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    tfg_sha256_hex("", 0, hex);
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    char *path = tmp_path("h.bin");
    size_t n = 200000;
    char *data = tfg_xmalloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (char)(i * 7 + i / 13);
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, n, f);
    fclose(f);
    char fhex[TFG_SHA256_HEX];
    tfg_err err = {0};
    CHECK_INT(tfg_sha256_file(path, fhex, &err), TFG_OK);
    tfg_sha256_hex(data, n, hex);
    CHECK_STR(fhex, hex);
    char *missing = tmp_path("nope.bin");
    CHECK_INT(tfg_sha256_file(missing, fhex, &err), TFG_EIO);
    CHECK_HAS(err.msg, "nope.bin");
    free(missing);
    free(data);
    free(path);
}

/* ---- rng ------------------------------------------------------------------------ */

static void test_rng(void)
{
    tfg_rng a, b, c;
    tfg_rng_seed(&a, 42);
    tfg_rng_seed(&b, 42);
    tfg_rng_seed(&c, 43);
    int same = 1, differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = tfg_rng_u64(&a), y = tfg_rng_u64(&b), z = tfg_rng_u64(&c);
        same &= x == y;
        differ += x != z;
    }
    CHECK(same);
    CHECK(differ > 990);
    int in_range = 1, hit_top = 0, hit_zero = 0;
    for (int i = 0; i < 10000; i++) {
        uint64_t v = tfg_rng_below(&a, 7);
        in_range &= v < 7;
        hit_top |= v == 6;
        hit_zero |= v == 0;
        in_range &= tfg_rng_below(&a, 1) == 0;
        double u = tfg_rng_uniform(&a);
        in_range &= u >= 0 && u < 1;
    }
    CHECK(in_range && hit_top && hit_zero);
    /* huge n near 2^64: the rejection loop must still be within range */
    uint64_t big = UINT64_MAX - 5;
    CHECK(tfg_rng_below(&a, big) < big);
    double sum = 0, sq = 0;
    for (int i = 0; i < 20000; i++) {
        double z = tfg_rng_normal(&a);
        sum += z;
        sq += z * z;
    }
    CHECK_NEAR(sum / 20000, 0, 0.05);
    CHECK_NEAR(sq / 20000, 1, 0.05);
    enum { N = 1000 };
    size_t idx[N], seen[N] = {0};
    for (size_t i = 0; i < N; i++)
        idx[i] = i;
    tfg_rng_shuffle(&a, idx, N);
    size_t moved = 0;
    for (size_t i = 0; i < N; i++) {
        CHECK(idx[i] < N);
        if (idx[i] < N)
            seen[idx[i]]++;
        moved += idx[i] != i;
    }
    int perm = 1;
    for (size_t i = 0; i < N; i++)
        perm &= seen[i] == 1;
    CHECK(perm);
    CHECK(moved > N / 2);
    tfg_rng_shuffle(&a, idx, 0); /* nothing to do, no crash */
}

/* ---- proc ----------------------------------------------------------------------- */

static void test_proc_basic(void)
{
    tfg_proc_result r;
    tfg_err err = {0};
    const char *echo[] = {"echo", "hello", "world", NULL};
    tfg_proc_opts o = {.argv = echo, .timeout_s = 10};
    CHECK_INT(tfg_proc_run(&o, &r, &err), TFG_OK);
    CHECK(r.exited);
    CHECK_INT(r.exit_code, 0);
    CHECK_STR(r.out, "hello world\n");
    CHECK_INT(r.out_len, 12);
    tfg_proc_result_free(&r);

    const char *sh[] = {"sh", "-c", "echo oops >&2; exit 3", NULL};
    o.argv = sh;
    CHECK_INT(tfg_proc_run(&o, &r, &err), TFG_OK);
    CHECK(r.exited);
    CHECK_INT(r.exit_code, 3);
    CHECK_STR(r.errout, "oops\n");
    CHECK_STR(r.out, "");
    tfg_proc_result_free(&r);

    const char *cat[] = {"cat", NULL};
    o.argv = cat;
    o.stdin_data = "line one\nline two\n";
    o.stdin_len = strlen(o.stdin_data);
    CHECK_INT(tfg_proc_run(&o, &r, &err), TFG_OK);
    CHECK_STR(r.out, "line one\nline two\n");
    tfg_proc_result_free(&r);
    o.stdin_data = NULL, o.stdin_len = 0; /* empty stdin: cat ends at once */
    CHECK_INT(tfg_proc_run(&o, &r, &err), TFG_OK);
    CHECK_INT(r.out_len, 0);
    tfg_proc_result_free(&r);

    const char *pwd[] = {"pwd", NULL};
    tfg_proc_opts po = {.argv = pwd, .cwd = "/", .timeout_s = 10};
    CHECK_INT(tfg_proc_run(&po, &r, &err), TFG_OK);
    CHECK_STR(r.out, "/\n");
    tfg_proc_result_free(&r);

    const char *nothere[] = {"tfg-no-such-program-xyz", "arg", NULL};
    tfg_proc_opts no = {.argv = nothere};
    CHECK_INT(tfg_proc_run(&no, &r, &err), TFG_EPROC);
    CHECK_HAS(err.msg, "tfg-no-such-program-xyz");
    CHECK_HAS(err.msg, "not found");
    tfg_proc_result_free(&r);
}

/* Whether pid is gone (or a zombie: dead, waiting for its new parent to reap it)
 * within seconds. */
static bool process_ends(pid_t pid, double seconds)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    for (double t0 = tfg_now(); tfg_now() - t0 < seconds;
         nanosleep(&(struct timespec){0, 20000000}, NULL)) {
        char line[512] = "";
        FILE *f = fopen(path, "r");
        if (!f)
            return true;
        bool got = fgets(line, sizeof line, f) != NULL;
        fclose(f);
        /* "pid (comm) STATE ...": the state follows the last ')' */
        const char *rp = strrchr(line, ')');
        if (!got || (rp && (rp[2] == 'Z' || rp[2] == 'X')))
            return true;
    }
    return false;
}

static void test_proc_limits(void)
{
    tfg_proc_result r;
    tfg_err err = {0};
    const char *sleep5[] = {"sleep", "5", NULL};
    tfg_proc_opts o = {.argv = sleep5, .timeout_s = 0.3};
    double t0 = tfg_now();
    CHECK_INT(tfg_proc_run(&o, &r, &err), TFG_ETIMEOUT);
    double took = tfg_now() - t0;
    CHECK_MSG(took < 1.5, "took %.2f s", took);
    CHECK(r.timed_out && !r.exited);
    CHECK_HAS(err.msg, "'sleep'");
    tfg_proc_result_free(&r);

    /* The idle limit stops a silent child long before its deadline ... */
    const char *quiet[] = {"sh", "-c", "echo start; sleep 5", NULL};
    tfg_proc_opts q = {.argv = quiet, .timeout_s = 20, .idle_timeout_s = 0.4};
    t0 = tfg_now();
    CHECK_INT(tfg_proc_run(&q, &r, &err), TFG_ETIMEOUT);
    took = tfg_now() - t0;
    CHECK_MSG(took < 2.0, "took %.2f s", took);
    CHECK(r.timed_out && r.idle);
    CHECK_STR(r.out, "start\n");
    CHECK_HAS(err.msg, "printed nothing for 0.4 s");
    tfg_proc_result_free(&r);
    /* ... but not one that keeps printing for longer than the idle limit */
    const char *chatty[] = {"sh", "-c", "for i in 1 2 3 4 5 6; do echo $i; sleep 0.2; done",
                            NULL};
    tfg_proc_opts ch = {.argv = chatty, .timeout_s = 20, .idle_timeout_s = 0.9};
    CHECK_INT(tfg_proc_run(&ch, &r, &err), TFG_OK);
    CHECK(r.exited && !r.timed_out && !r.idle);
    CHECK_INT(r.out_len, 12);
    tfg_proc_result_free(&r);

    /* 1 MiB of output arrives whole */
    const char *head[] = {"head", "-c", "1048576", "/dev/zero", NULL};
    tfg_proc_opts h = {.argv = head, .timeout_s = 20};
    CHECK_INT(tfg_proc_run(&h, &r, &err), TFG_OK);
    CHECK_INT(r.out_len, 1048576);
    CHECK(!r.truncated);
    tfg_proc_result_free(&r);
    /* past max_output the rest is dropped and said so */
    h.max_output = 1000;
    CHECK_INT(tfg_proc_run(&h, &r, &err), TFG_OK);
    CHECK_INT(r.out_len, 1000);
    CHECK(r.truncated);
    tfg_proc_result_free(&r);

    /* 1 MiB in and out through cat: feeding and draining must not deadlock */
    size_t n = 1 << 20;
    char *in = tfg_xmalloc(n);
    for (size_t i = 0; i < n; i++)
        in[i] = (char)('a' + i % 26);
    const char *cat[] = {"cat", NULL};
    tfg_proc_opts c = {.argv = cat, .stdin_data = in, .stdin_len = n, .timeout_s = 20};
    CHECK_INT(tfg_proc_run(&c, &r, &err), TFG_OK);
    CHECK_INT(r.out_len, n);
    CHECK(r.out_len == n && !memcmp(r.out, in, n));
    tfg_proc_result_free(&r);
    free(in);

    /* The deadline kills the child's whole process group: a grandchild in the
     * background (it prints its pid) is gone too, not left running. */
    const char *family[] = {"sh", "-c", "sleep 30 & echo $!; sleep 30", NULL};
    tfg_proc_opts fam = {.argv = family, .timeout_s = 0.5};
    CHECK_INT(tfg_proc_run(&fam, &r, &err), TFG_ETIMEOUT);
    long grandchild = r.out ? strtol(r.out, NULL, 10) : 0;
    CHECK_MSG(grandchild > 1, "no pid printed: '%s'", r.out ? r.out : "");
    tfg_proc_result_free(&r);
    CHECK_MSG(grandchild > 1 && process_ends((pid_t)grandchild, 3.0),
              "the background sleep %ld survived the deadline", grandchild);
    if (grandchild > 1)
        kill((pid_t)grandchild, SIGKILL); /* a failed check leaves nothing behind */

    /* a child killed by a signal: ran to its end, no exit code */
    const char *kill_self[] = {"sh", "-c", "kill -9 $$", NULL};
    tfg_proc_opts k = {.argv = kill_self, .timeout_s = 10};
    CHECK_INT(tfg_proc_run(&k, &r, &err), TFG_OK);
    CHECK(!r.exited);
    CHECK_INT(r.signal, 9);
    tfg_proc_result_free(&r);
}

/* resource.h: $TINYFORGE_HOME, else <prefix>/share/tinyforge beside <prefix>/bin, else the
 * source tree; an install missing a file does not fall back to the source tree. */
static void test_resource(void)
{
    char *prefix = tmp_path("prefix"), *bin = tfg_path_join(prefix, "bin");
    char *share = tfg_path_join(prefix, "share/tinyforge"), *home = tmp_path("home");
    char *src = tmp_path("src");
    tfg_err err;
    CHECK_INT(tfg_mkdirs(bin, &err), TFG_OK);

    /* not installed: the source tree's own layout */
    char *p = tfg_resource_find(NULL, bin, src, "boards.json", "boards/boards.json");
    char *want = tfg_path_join(src, "boards/boards.json");
    CHECK_STR(p, want);
    free(p);
    p = tfg_resource_find("", NULL, src, "boards.json", "boards/boards.json");
    CHECK_STR(p, want);
    free(p);
    free(want);

    /* installed: beside the binary, for files present and absent alike */
    CHECK_INT(tfg_mkdirs(share, &err), TFG_OK);
    char *in_share = tfg_path_join(share, "boards.json");
    write_text(in_share, "{}");
    p = tfg_resource_find(NULL, bin, src, "boards.json", "boards/boards.json");
    CHECK_STR(p, in_share);
    free(p);
    p = tfg_resource_find(NULL, bin, src, "runtime", "runtime");
    want = tfg_path_join(share, "runtime");
    CHECK_STR(p, want);
    free(p);
    free(want);

    /* the override wins over the install */
    p = tfg_resource_find(home, bin, src, "boards.json", "boards/boards.json");
    want = tfg_path_join(home, "boards.json");
    CHECK_STR(p, want);
    free(p);
    free(want);

    /* the process's own: this test binary sits in the build tree, not in an install */
    char *exe = tfg_exe_dir();
    CHECK(exe != NULL);
    char *self = exe ? tfg_path_join(exe, "test_core") : NULL;
    CHECK(self && tfg_exists(self));
    free(self);
    free(exe);
    unsetenv(TFG_RESOURCE_HOME_ENV);
    p = tfg_resource_path("prices.json", "llm/prices.json");
    CHECK_STR(p, TFG_SOURCE_DIR "/llm/prices.json");
    CHECK(tfg_exists(p));
    free(p);
    setenv(TFG_RESOURCE_HOME_ENV, home, 1);
    p = tfg_resource_path("prices.json", "llm/prices.json");
    want = tfg_path_join(home, "prices.json");
    CHECK_STR(p, want);
    free(p);
    free(want);

    /* a finer override wins; without it the path is found once and kept */
    char *found = NULL;
    setenv("TFG_TEST_RESOURCE", "/elsewhere/boards.json", 1);
    CHECK_STR(tfg_resource_default(&found, "TFG_TEST_RESOURCE", "boards.json", "b.json"),
              "/elsewhere/boards.json");
    CHECK(found == NULL);
    unsetenv("TFG_TEST_RESOURCE");
    want = tfg_path_join(home, "boards.json");
    const char *got = tfg_resource_default(&found, "TFG_TEST_RESOURCE", "boards.json", "b.json");
    CHECK_STR(got, want);
    CHECK(got == found);
    unsetenv(TFG_RESOURCE_HOME_ENV);
    CHECK(tfg_resource_default(&found, "TFG_TEST_RESOURCE", "boards.json", "b.json") == got);
    free(found);
    free(want);

    free(in_share);
    free(prefix);
    free(bin);
    free(share);
    free(home);
    free(src);
}

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tfg_coreXXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        exit(1);
    }
}

/* The string map: every key found with its value after growing, the first of two equal
 * keys kept, absent keys and NULL not found, a cleared map empty and usable again. */
static void test_strmap(void)
{
    enum { N = 5000 };
    static char keys[N][16];
    tfg_strmap m;
    tfg_strmap_init(&m);
    CHECK(!tfg_strmap_get(&m, "a", NULL));
    for (size_t i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "k%zu", i);
        CHECK(tfg_strmap_put(&m, keys[i], i));
    }
    CHECK_INT((int)m.n, N);
    CHECK(!tfg_strmap_put(&m, "k17", 99)); /* a copy of a key: the first value stays */
    size_t bad = 0, v = 0;
    for (size_t i = 0; i < N; i++)
        bad += !tfg_strmap_get(&m, keys[i], &v) || v != i;
    CHECK_MSG(bad == 0, "%zu keys lost or wrong", bad);
    CHECK(!tfg_strmap_get(&m, "k5000", NULL));
    CHECK(!tfg_strmap_get(&m, NULL, NULL));
    tfg_strmap_clear(&m);
    CHECK(m.n == 0 && !tfg_strmap_get(&m, "k1", NULL));
    CHECK(tfg_strmap_put(&m, "k1", 7) && tfg_strmap_get(&m, "k1", &v) && v == 7);
    tfg_strmap_free(&m);
}

static void cleanup(void)
{
    tfg_rmtree(tmpdir, NULL);
}

TFG_TEST_MAIN(setup, test_error, test_error_truncation, test_strutil, test_json_load,
              test_json_getters, test_json_keys, test_io_read, test_io_atomic, test_paths,
              test_stagedir, test_hash, test_rng, test_proc_basic, test_proc_limits, test_resource,
              test_strmap, cleanup)
