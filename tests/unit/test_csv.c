/* test_csv.c — the CSV loader: RFC 4180 quoting, line ends, BOM, missing markers,
 * column typing (numeric, categorical, the 90% typo rule, NaN/Inf), and every error
 * with the file:line:column and column name it must name. Files that must exist on
 * disk (plain and gzip'd) are made in a temp dir. */
#include <locale.h>
#include <stdint.h>
#include <unistd.h>
#include <zlib.h>

#include "../check.h"
#include "core/alloc.h"
#include "data/csv.h"

static tfg_err last_err;

/* Parses text (len bytes; 0 = strlen) as "t.csv"; last_err holds the error. */
static tfg_status parse_n(const char *text, size_t len, const tfg_csv_opts *o, tfg_table *t)
{
    tfg_err_clear(&last_err);
    return tfg_csv_parse(text, len ? len : strlen(text), "t.csv", o, t, &last_err);
}

static tfg_status parse(const char *text, tfg_table *t)
{
    return parse_n(text, 0, NULL, t);
}

/* Parses text that must fail; checks the code, that *out is left empty, and returns
 * the message. */
static const char *fail_n(const char *text, size_t len, const tfg_csv_opts *o)
{
    tfg_table t;
    tfg_status s = parse_n(text, len, o, &t);
    CHECK_INT(s, TFG_EINPUT);
    CHECK_INT(last_err.code, TFG_EINPUT);
    CHECK_INT(t.n_cols, 0);
    CHECK_INT(t.n_rows, 0);
    CHECK(t.cols == NULL);
    tfg_table_free(&t);
    return last_err.msg;
}

static const char *fail(const char *text)
{
    return fail_n(text, 0, NULL);
}

static const char *level(const tfg_table *t, size_t col, size_t row)
{
    if (col >= t->n_cols || row >= t->n_rows || t->cols[col].type != TFG_COL_CAT)
        return "<not a categorical cell>";
    const tfg_column *c = &t->cols[col];
    return c->cat[row] < 0 ? "<missing>" : c->levels[c->cat[row]];
}

static void test_basic(void)
{
    tfg_table t;
    CHECK_INT(parse("red,green,fruit\n1,2.5,apple\n-3,4e2,pear\n0.25,+7,apple\n", &t), TFG_OK);
    CHECK_INT(t.n_rows, 3);
    CHECK_INT(t.n_cols, 3);
    CHECK_STR(t.cols[0].name, "red");
    CHECK_STR(t.cols[2].name, "fruit");
    CHECK_INT(t.cols[0].type, TFG_COL_NUM);
    CHECK_INT(t.cols[1].type, TFG_COL_NUM);
    CHECK_INT(t.cols[2].type, TFG_COL_CAT);
    CHECK_NEAR(t.cols[0].num[1], -3, 0);
    CHECK_NEAR(t.cols[0].num[2], 0.25, 0);
    CHECK_NEAR(t.cols[1].num[0], 2.5, 0);
    CHECK_NEAR(t.cols[1].num[1], 400, 0);
    CHECK_NEAR(t.cols[1].num[2], 7, 0);
    CHECK_INT(t.cols[2].n_levels, 2); /* first-seen order */
    CHECK_STR(t.cols[2].levels[0], "apple");
    CHECK_STR(t.cols[2].levels[1], "pear");
    CHECK_INT(t.cols[2].cat[2], 0);
    CHECK_INT(t.cols[2].cat[1], 1);
    CHECK_INT(t.shape[0], 0);
    CHECK(t.pin == NULL);
    tfg_table_free(&t);
}

static void test_numbers(void)
{
    const char *cells[] = {"1.5", " 7 ", ".5", "5.", "1E-3", "-0.125", "3.14159265358979323846",
                           "123456789012345678", "1e-400", "+2", "0.1", "9007199254740993",
                           "99888496555878099.5"}; /* the last: no short cut is exact */
    size_t n = sizeof cells / sizeof *cells;
    tfg_buf b;
    tfg_buf_init(&b);
    tfg_buf_printf(&b, "x\n");
    for (size_t i = 0; i < n; i++)
        tfg_buf_printf(&b, "%s\n", cells[i]);
    char *text = tfg_buf_take(&b);
    tfg_table t;
    CHECK_INT(parse(text, &t), TFG_OK);
    CHECK_INT(t.cols[0].type, TFG_COL_NUM);
    for (size_t i = 0; i < n && t.n_rows == n; i++) /* must agree with strtod exactly */
        CHECK_MSG(t.cols[0].num[i] == strtod(cells[i], NULL), "cell %s", cells[i]);
    tfg_table_free(&t);
    free(text);

    /* hex, and words strtod would take, are text */
    CHECK_INT(parse("x\n0x10\n1\n", &t), TFG_OK);
    CHECK_INT(t.cols[0].type, TFG_COL_CAT);
    CHECK_STR(level(&t, 0, 0), "0x10");
    CHECK_STR(level(&t, 0, 1), "1");
    tfg_table_free(&t);
}

/* A program that set a locale with a decimal comma must still read "1.5" as 1.5. */
static void test_locale(void)
{
    const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "C.UTF-8", NULL};
    char *old = tfg_xstrdup(setlocale(LC_NUMERIC, NULL));
    for (size_t i = 0; names[i]; i++)
        if (setlocale(LC_NUMERIC, names[i]))
            break;
    tfg_table t;
    CHECK_INT(parse("x\n1.5\n123456.789012345678\n", &t), TFG_OK);
    CHECK_NEAR(t.cols[0].num[0], 1.5, 0);
    CHECK_NEAR(t.cols[0].num[1], 123456.789012345678, 1e-9);
    tfg_table_free(&t);
    setlocale(LC_NUMERIC, old);
    free(old);
}

static void test_quoting(void)
{
    tfg_table t;
    const char *text = "name,note,n\n"
                       "\"Smith, J\",\"said \"\"hi\"\"\",1\n"
                       "\"multi\nline\",\"a\r\nb\",2\n"
                       "\"\"\"\",plain,\"3\"\n";
    CHECK_INT(parse(text, &t), TFG_OK);
    CHECK_INT(t.n_rows, 3);
    CHECK_STR(level(&t, 0, 0), "Smith, J");
    CHECK_STR(level(&t, 1, 0), "said \"hi\"");
    CHECK_STR(level(&t, 0, 1), "multi\nline");
    CHECK_STR(level(&t, 1, 1), "a\r\nb");
    CHECK_STR(level(&t, 0, 2), "\"");
    CHECK_INT(t.cols[2].type, TFG_COL_NUM); /* a quoted number is still a number */
    CHECK_NEAR(t.cols[2].num[2], 3, 0);
    tfg_table_free(&t);

    /* quoted text keeps its spaces; unquoted text is trimmed */
    CHECK_INT(parse("a,b\n\" x \", y \n", &t), TFG_OK);
    CHECK_STR(level(&t, 0, 0), " x ");
    CHECK_STR(level(&t, 1, 0), "y");
    tfg_table_free(&t);
}

static void test_line_ends(void)
{
    const char *texts[] = {
        "a,b\r\n1,x\r\n2,y\r\n",        /* CRLF */
        "a,b\r1,x\r2,y\r",              /* lone CR */
        "a,b\n1,x\n2,y",                /* no final newline */
        ("\xEF\xBB\xBF" "a,b\n1,x\n2,y\n"), /* UTF-8 BOM */
        "a,b\n1,x\n2,y\n\n\n",          /* empty lines at the end */
        "a,b\r\n1,x\r\n2,y\r\n\r\n",    /* ... in CRLF */
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        tfg_table t;
        CHECK_MSG(parse(texts[i], &t) == TFG_OK, "text %zu: %s", i, last_err.msg);
        CHECK_INT(t.n_rows, 2);
        CHECK_INT(t.n_cols, 2);
        if (t.n_cols == 2 && t.n_rows == 2) {
            CHECK_STR(t.cols[0].name, "a");
            CHECK_NEAR(t.cols[0].num[1], 2, 0);
            CHECK_STR(level(&t, 1, 1), "y");
        }
        tfg_table_free(&t);
    }
    /* line numbers count physical lines, also inside quoted fields and after CRs */
    CHECK_HAS(fail("a,b\r\n\"x\ny\",1\r\n1,2,3\r\n"),
              "t.csv:4:3: has 3 fields, the header (line 1) has 2");
    CHECK_HAS(fail("a,b\r1,2\r1\r"), "t.csv:3:1: has 1 fields, the header (line 1) has 2");
}

static void test_missing(void)
{
    tfg_table t;
    /* every marker of TFG_CSV_MISSING, bare, padded and quoted: a quoted marker is
     * missing too (a writer that quotes every cell writes "NA" for a missing one) */
    CHECK_INT(parse("n,c\n1,a\n,\nNA,NA\n N/A , N/A \nnull,null\n?,?\n\"\",\"\"\nn/a,n/a\n"
                    "None,None\nNaN,NaN\n-,-\n\"-\",\"NaN\"\n\"None\",\"n/a\"\n2,\"NA\"\n"
                    "3,b\n",
                    &t),
              TFG_OK);
    CHECK_INT(t.n_rows, 15);
    CHECK_INT(t.cols[0].type, TFG_COL_NUM);
    CHECK_INT(t.cols[1].type, TFG_COL_CAT);
    CHECK_NEAR(t.cols[0].num[0], 1, 0);
    for (size_t i = 1; i <= 12; i++) {
        CHECK_MSG(isnan(t.cols[0].num[i]), "row %zu", i);
        CHECK_MSG(t.cols[1].cat[i] == -1, "row %zu", i);
    }
    CHECK_NEAR(t.cols[0].num[13], 2, 0);
    CHECK_STR(level(&t, 1, 13), "<missing>");
    CHECK_NEAR(t.cols[0].num[14], 3, 0);
    CHECK_STR(level(&t, 1, 14), "b");
    CHECK_INT(t.cols[1].n_levels, 2);
    tfg_table_free(&t);

    /* markers are exact: "na", "NULL", "none", "nan", "--" are text */
    CHECK_INT(parse("c\nna\nNULL\nnone\nnan\n--\n", &t), TFG_OK);
    CHECK_INT(t.cols[0].type, TFG_COL_CAT);
    CHECK_INT(t.cols[0].n_levels, 5);
    tfg_table_free(&t);

    /* a column with nothing but missing cells is numeric */
    CHECK_INT(parse("a,b\n1,\n2,NA\n", &t), TFG_OK);
    CHECK_INT(t.cols[1].type, TFG_COL_NUM);
    CHECK(isnan(t.cols[1].num[0]) && isnan(t.cols[1].num[1]));
    tfg_table_free(&t);
}

static void test_types(void)
{
    tfg_table t;
    /* 8 of 10 numbers: categorical, not a typo */
    CHECK_INT(parse("x\n1\n2\n3\n4\n5\n6\n7\n8\nlow\nhigh\n", &t), TFG_OK);
    CHECK_INT(t.cols[0].type, TFG_COL_CAT);
    CHECK_INT(t.cols[0].n_levels, 10);
    CHECK_STR(level(&t, 0, 0), "1");
    CHECK_STR(level(&t, 0, 9), "high");
    tfg_table_free(&t);

    /* forced categorical keeps the digits as text */
    const char *cat[] = {"code", NULL};
    tfg_csv_opts o;
    tfg_csv_opts_default(&o);
    o.categorical = cat;
    CHECK_INT(parse_n("code,v\n3,1\n03,2\n3,3\n,4\n", 0, &o, &t), TFG_OK);
    CHECK_INT(t.cols[0].type, TFG_COL_CAT);
    CHECK_INT(t.cols[1].type, TFG_COL_NUM);
    CHECK_INT(t.cols[0].n_levels, 2);
    CHECK_STR(level(&t, 0, 1), "03");
    CHECK_INT(t.cols[0].cat[2], t.cols[0].cat[0]);
    CHECK_INT(t.cols[0].cat[3], -1);
    tfg_table_free(&t);

    /* a forced column may hold what would be errors elsewhere */
    const char *cat2[] = {"x", NULL};
    o.categorical = cat2;
    CHECK_INT(parse_n("x\n1\n2\n3\n4\n5\n6\n7\n8\n9\nnan\n", 0, &o, &t), TFG_OK);
    CHECK_INT(t.cols[0].type, TFG_COL_CAT);
    tfg_table_free(&t);
}

static void test_typo_rule(void)
{
    const char *msg = fail("id,red\n1,1\n2,2\n3,3\n4,4\n5,5\n6,6\n7,7\n8,8\n9,O.5\n10,10\n");
    CHECK_HAS(msg, "t.csv:10:2: ");
    CHECK_HAS(msg, "non-numeric value 'O.5' in numeric column 'red'");
    CHECK_HAS(msg, "9 of its 10");

    /* the earliest bad cell in the file wins across columns */
    msg = fail("a,b\n1,1\n2,2\n3,3\n4,4\n5,5\n6,6\n7,7\n8,8\n9,9\n10,x\ny,11\n");
    CHECK_HAS(msg, "t.csv:11:2: ");
    CHECK_HAS(msg, "'x' in numeric column 'b'");
    msg = fail("a,b\n1,1\n2,2\n3,3\n4,4\n5,5\n6,6\n7,7\n8,8\n9,9\nz,1\n10,x\n");
    CHECK_HAS(msg, "t.csv:11:1: non-numeric value 'z' in numeric column 'a'");

    /* a long bad value is cut in the message */
    char big[400];
    int n = snprintf(big, sizeof big, "v\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n");
    memset(big + n, 'q', 200);
    strcpy(big + n + 200, "\n");
    msg = fail(big);
    CHECK_HAS(msg, "t.csv:13:1: non-numeric value 'qqqq");
    CHECK_HAS(msg, "...' in numeric column 'v'");
}

static void test_nonfinite(void)
{
    /* NaN (as written) is a missing marker (test_missing); the other spellings are not */
    const char *bad[] = {"nan", "NAN", "inf", "-Inf", "+infinity", "1e999", "-1E400"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char text[128];
        snprintf(text, sizeof text, "a,b\n1,2\n3,%s\n", bad[i]);
        const char *msg = fail(text);
        CHECK_HAS(msg, "t.csv:3:2: ");
        CHECK_HAS(msg, bad[i]);
        CHECK_HAS(msg, "column 'b'");
        CHECK_HAS(msg, "not a finite number; leave the cell empty for a missing value");
    }
    /* in a column of words, "nan" is a word (a name, say) */
    tfg_table t;
    CHECK_INT(parse("who\nAnn\nNan\nBob\n", &t), TFG_OK);
    CHECK_INT(t.cols[0].type, TFG_COL_CAT);
    CHECK_STR(level(&t, 0, 1), "Nan");
    tfg_table_free(&t);
}

static void test_ragged_and_empty(void)
{
    /* the column is where the record runs short (its last field) or long (the first extra) */
    CHECK_HAS(fail("a,b,c,d\n1,2,3,4\n1,2,3,4\n1,2,3\n"),
              "t.csv:4:3: has 3 fields, the header (line 1) has 4");
    CHECK_HAS(fail("a,b\n1,2\n1,2,3\n"), "t.csv:3:3: has 3 fields, the header (line 1) has 2");
    CHECK_HAS(fail("a;b\n1;2\n1;2;3\n"), "check the delimiter ';'");
    CHECK_HAS(fail("a,b\n1,2\n\n3,4\n"), "t.csv:3:1: is an empty line, but the header has 2");
    tfg_csv_opts o;
    tfg_csv_opts_default(&o);
    o.header = false;
    CHECK_HAS(fail_n("1,2\n3\n", 0, &o),
              "t.csv:2:1: has 1 fields, the first row (line 1) has 2");

    CHECK_HAS(fail(""), "t.csv: the file is empty");
    CHECK_HAS(fail("\xEF\xBB\xBF"), "t.csv: the file is empty");
    CHECK_HAS(fail("\n\r\n\n"), "the file is empty");
    CHECK_HAS(fail_n("", 0, &o), "the file is empty");
    CHECK_HAS(fail("a,b,c\n"), "t.csv: no data rows");
    CHECK_HAS(fail("a,b,c"), "no data rows");
    CHECK_HAS(fail("a,b,c\r\n\r\n\r\n"), "no data rows");

    /* one column: an empty line in the middle is a missing cell */
    tfg_table t;
    CHECK_INT(parse("x\n1\n\n3\n\n\n", &t), TFG_OK);
    CHECK_INT(t.n_rows, 3);
    CHECK(isnan(t.cols[0].num[1]));
    CHECK_NEAR(t.cols[0].num[2], 3, 0);
    tfg_table_free(&t);
    /* trailing delimiter: one more (empty) field */
    CHECK_INT(parse("a,b\n1,\n", &t), TFG_OK);
    CHECK_INT(t.n_cols, 2);
    CHECK(isnan(t.cols[1].num[0]));
    tfg_table_free(&t);
}

static void test_quote_errors(void)
{
    CHECK_HAS(fail("a,b\n1,2\n3,\"open\n4,5\n"), "t.csv:3:2: a quoted field starts here and is never closed");
    CHECK_HAS(fail("a,b\n1,2\"x\n"), "t.csv:2:2: a quote inside an unquoted field");
    CHECK_HAS(fail("a,b\n1,ab\"\n"), "t.csv:2:2: a quote inside an unquoted field");
    CHECK_HAS(fail("a,b,c\n1,\"x\"y,2\n"), "t.csv:2:2: text after the closing quote");
    CHECK_HAS(fail("a,b\n\"x\n\"\"y\"\"\n\" z,2\n"), "t.csv:2:1: text after the closing quote");
    CHECK_HAS(fail("\"a"), "t.csv:1:1: a quoted field starts here and is never closed");
}

static void test_long_record(void)
{
    /* a 1 MB line: refused at its line, in linear time */
    size_t n = (size_t)1 << 20;
    char *text = tfg_xmalloc(n + 64);
    size_t k = (size_t)snprintf(text, 64, "a,b\n1,2\n");
    for (size_t i = 0; i < n; i += 2)
        text[k + i] = '7', text[k + i + 1] = ',';
    text[k + n] = '\n';
    const char *msg = fail_n(text, k + n + 1, NULL);
    CHECK_HAS(msg, "t.csv:3: record is longer than the limit of 262144 bytes");
    /* the same in one quoted field */
    text[k] = '"';
    memset(text + k + 1, 'x', n - 2);
    text[k + n - 1] = '"';
    msg = fail_n(text, k + n + 1, NULL);
    CHECK_HAS(msg, "t.csv:3: record is longer than the limit");
    free(text);

    tfg_csv_opts o;
    tfg_csv_opts_default(&o);
    o.max_record = 8;
    tfg_table t;
    CHECK_INT(parse_n("a,b\n1234,567\n", 0, &o, &t), TFG_OK); /* exactly 8 bytes */
    tfg_table_free(&t);
    CHECK_HAS(fail_n("a,b\n1234,5678\n", 0, &o), "t.csv:2: record is longer than the limit of 8 bytes");
}

static void test_utf8(void)
{
    tfg_table t;
    CHECK_INT(parse("name\ncaf\xC3\xA9\n\xE2\x82\xAC\n\xF0\x9F\x98\x80\n\xF4\x8F\xBF\xBF\n", &t),
              TFG_OK);
    CHECK_STR(level(&t, 0, 0), "caf\xC3\xA9");
    CHECK_STR(level(&t, 0, 2), "\xF0\x9F\x98\x80");
    tfg_table_free(&t);

    struct {
        const char *text;
        size_t len;
        const char *where, *why;
    } bad[] = {
        {"a\nx\xC0\x80\n", 0, "t.csv:2:1: invalid UTF-8 (byte 2 of the line)", "overlong"},
        {"a\n\xE0\x80\x80\n", 0, "t.csv:2:1: invalid UTF-8 (byte 1 of the line)", "overlong"},
        {"a\nok\n12\xF0\x80\x80\x80\n", 0, "t.csv:3:1: invalid UTF-8 (byte 3 of the line)", "overlong"},
        {"a\n\xED\xA0\x80\n", 0, "t.csv:2:1: invalid UTF-8 (byte 1 of the line)", "surrogate"},
        {"a,b\n1,\xF4\x90\x80\x80\n", 0, "t.csv:2:2: invalid UTF-8 (byte 3 of the line)", "above U+10FFFF"},
        {"a\n\xF5\x80\x80\x80\n", 0, "t.csv:2:1: invalid UTF-8 (byte 1 of the line)", "above U+10FFFF"},
        {"a\nx\xE2\x82\n", 0, "t.csv:2:1: invalid UTF-8 (byte 2 of the line)", "truncated"},
        {"a\n\xC3" "a\n", 0, "t.csv:2:1: invalid UTF-8 (byte 1 of the line)", "truncated"},
        {"a\nx\xC3", 0, "t.csv:2:1: invalid UTF-8 (byte 2 of the line)", "truncated"},
        {"a\n\x80\n", 0, "t.csv:2:1: invalid UTF-8 (byte 1 of the line)", "continuation byte"},
        {"a\n\"x\ny\xFF\"\n", 0, "t.csv:3:1: invalid UTF-8 (byte 2 of the line)", "never appears"},
        {"a\nxy\0z\n", 7, "t.csv:2:1: invalid UTF-8 (byte 3 of the line)", "NUL byte"},
        {"a\n12345678\x80\n", 0, "t.csv:2:1: invalid UTF-8 (byte 9 of the line)", "continuation byte"},
    };
    /* read as UTF-8 only, invalid bytes are errors (detected, they are Windows-1252:
     * test_encoding); a NUL byte is an error either way */
    tfg_csv_opts o;
    tfg_csv_opts_default(&o);
    o.encoding = TFG_CSV_ENC_UTF8;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *msg = fail_n(bad[i].text, bad[i].len, &o);
        CHECK_HAS(msg, bad[i].where);
        CHECK_HAS(msg, bad[i].why);
    }
    CHECK_HAS(fail_n("a\nxy\0z\n", 7, NULL), "t.csv:2:1: invalid UTF-8 (byte 3 of the line)");
}

static void test_header_names(void)
{
    const char *msg = fail("id,red,green,red,blue\n1,2,3,4,5\n");
    CHECK_HAS(msg, "t.csv:1:4: ");
    CHECK_HAS(msg, "'red'");
    CHECK_HAS(msg, "columns 2 and 4");
    CHECK_HAS(fail("a,,c\n1,2,3\n"), "t.csv:1:2: column 2 of the header has an empty name");
    CHECK_HAS(fail("a,  ,c\n1,2,3\n"), "t.csv:1:2: column 2 of the header has an empty name");

    tfg_table t;
    CHECK_INT(parse("\" a b \",\"x,y\"\n1,2\n", &t), TFG_OK);
    CHECK_STR(t.cols[0].name, " a b ");
    CHECK_STR(t.cols[1].name, "x,y");
    tfg_table_free(&t);
}

static void test_no_header(void)
{
    tfg_csv_opts o;
    tfg_csv_opts_default(&o);
    o.header = false;
    tfg_table t;
    CHECK_INT(parse_n("1,a\n2,b\n", 0, &o, &t), TFG_OK);
    CHECK_INT(t.n_rows, 2);
    CHECK_STR(t.cols[0].name, "c0");
    CHECK_STR(t.cols[1].name, "c1");
    CHECK_NEAR(t.cols[0].num[0], 1, 0);
    tfg_table_free(&t);

    const char *names[] = {"len", "kind"};
    o.names = names;
    o.n_names = 2;
    CHECK_INT(parse_n("1,a\n2,b\n", 0, &o, &t), TFG_OK);
    CHECK_STR(t.cols[0].name, "len");
    CHECK_STR(t.cols[1].name, "kind");
    CHECK_STR(level(&t, 1, 1), "b");
    tfg_table_free(&t);

    CHECK_HAS(fail_n("1,a,3\n", 0, &o), "t.csv: 2 column names were given but the file has 3 columns");
    const char *dup[] = {"k", "k"};
    o.names = dup;
    CHECK_HAS(fail_n("1,2\n", 0, &o), "'k' is given twice, as names 1 and 2");
}

static void test_delimiter(void)
{
    tfg_csv_opts o;
    tfg_csv_opts_default(&o);
    o.delimiter = ';';
    tfg_table t;
    /* with ; the comma is free: a decimal comma is detected ... */
    CHECK_INT(parse_n("a;b;c\n1,5;\"x;y\";2\n", 0, &o, &t), TFG_OK);
    CHECK_INT(t.n_cols, 3);
    CHECK_NEAR(t.cols[0].num[0], 1.5, 0);
    CHECK_STR(level(&t, 1, 0), "x;y");
    CHECK_NEAR(t.cols[2].num[0], 2, 0);
    tfg_table_free(&t);
    /* ... unless the decimal point is given: then a comma is plain text */
    o.decimal = '.';
    CHECK_INT(parse_n("a;b;c\n1,5;\"x;y\";2\n", 0, &o, &t), TFG_OK);
    CHECK_STR(level(&t, 0, 0), "1,5");
    tfg_table_free(&t);
    o.decimal = 0;
    CHECK_HAS(fail_n("a;b\n1;2;3\n", 0, &o),
              "t.csv:2:3: has 3 fields, the header (line 1) has 2");

    o.delimiter = '\t';
    CHECK_INT(parse_n("a\tb\n1\t x y \n", 0, &o, &t), TFG_OK);
    CHECK_STR(level(&t, 1, 0), "x y");
    tfg_table_free(&t);

    o.delimiter = '"';
    tfg_err e;
    CHECK_INT(tfg_csv_parse("a\n1\n", 4, "t.csv", &o, &t, &e), TFG_EUSAGE);
    CHECK_HAS(e.msg, "delimiter");
    tfg_table_free(&t);
}

static char *make_tmpdir(void)
{
    char tmpl[] = "/tmp/tfg_test_csv_XXXXXX";
    char *d = mkdtemp(tmpl);
    CHECK(d != NULL);
    return tfg_xstrdup(d ? d : "/tmp");
}

static void test_files(void)
{
    char *dir = make_tmpdir();
    char *plain = tfg_xasprintf("%s/fruit.csv", dir);
    char *gz = tfg_xasprintf("%s/fruit.csv.gz", dir);
    const char *text = "w,kind\n1.5,apple\n2.5,pear\n3,apple\n";
    FILE *fp = fopen(plain, "wb");
    CHECK(fp != NULL);
    if (fp) {
        fputs(text, fp);
        fclose(fp);
    }
    gzFile g = gzopen(gz, "wb");
    CHECK(g != NULL);
    if (g) {
        CHECK_INT(gzwrite(g, text, (unsigned)strlen(text)), strlen(text));
        gzclose(g);
    }
    const char *paths[] = {plain, gz};
    for (size_t i = 0; i < 2; i++) {
        tfg_table t;
        tfg_err e;
        CHECK_INT(tfg_csv_read(paths[i], NULL, &t, &e), TFG_OK);
        CHECK_INT(t.n_rows, 3);
        CHECK_NEAR(t.cols[0].num[1], 2.5, 0);
        CHECK_INT(t.cols[1].n_levels, 2);
        tfg_table_free(&t);
    }
    /* errors name the path given */
    fp = fopen(plain, "wb");
    if (fp) {
        fputs("a,b\n1\n", fp);
        fclose(fp);
    }
    tfg_table t;
    tfg_err e;
    CHECK_INT(tfg_csv_read(plain, NULL, &t, &e), TFG_EINPUT);
    char *want = tfg_xasprintf("%s:2:1: has 1 fields", plain);
    CHECK_HAS(e.msg, want);
    free(want);
    /* a gzip file cut short is an error, not a short table */
    g = gzopen(gz, "wb");
    if (g) {
        for (int i = 0; i < 2000; i++)
            gzprintf(g, "%d,k%d\n", i, i % 7);
        gzclose(g);
    }
    CHECK_INT(truncate(gz, 200), 0);
    CHECK(tfg_csv_read(gz, NULL, &t, &e) != TFG_OK);
    CHECK_HAS(e.msg, gz);
    CHECK_INT(t.n_cols, 0);
    unlink(gz);
    CHECK_INT(tfg_csv_read(gz, NULL, &t, &e), TFG_EIO);
    CHECK_INT(t.n_cols, 0);
    unlink(plain);
    rmdir(dir);
    free(plain);
    free(gz);
    free(dir);
}

/* A wide file of small integers (the MNIST-as-CSV shape) comes out exact. */
static void test_wide(void)
{
    size_t rows = 300, cols = 785;
    tfg_buf b;
    tfg_buf_init(&b);
    for (size_t j = 0; j < cols; j++)
        tfg_buf_printf(&b, "%s%s%zu", j ? "," : "", j + 1 < cols ? "px" : "label", j);
    tfg_buf_putc(&b, '\n');
    for (size_t i = 0; i < rows; i++) {
        for (size_t j = 0; j < cols; j++)
            tfg_buf_printf(&b, "%s%zu", j ? "," : "", (i * 31 + j * 7) % 256);
        tfg_buf_printf(&b, "\r\n");
    }
    size_t len = b.len;
    char *text = tfg_buf_take(&b);
    tfg_table t;
    CHECK_INT(parse_n(text, len, NULL, &t), TFG_OK);
    CHECK_INT(t.n_rows, rows);
    CHECK_INT(t.n_cols, cols);
    size_t wrong = 0;
    for (size_t i = 0; i < rows && t.n_cols == cols; i++)
        for (size_t j = 0; j < cols; j++)
            wrong += t.cols[j].num[i] != (double)((i * 31 + j * 7) % 256);
    CHECK_INT(wrong, 0);
    tfg_table_free(&t);
    free(text);
}

/* Deterministic byte mutations of valid files: any result is fine, a crash or leak is not
 * (the fuzz target does this at scale under the sanitizers). */
static void test_mutations(void)
{
    const char *seed = "a,b,\"c\"\r\n1,\"x,\"\"y\"\"\n\",NA\n2.5,z,\xC3\xA9\n";
    size_t n = strlen(seed);
    const char alphabet[] = {',', '"', '\n', '\r', 'x', '1', '\0', (char)0xC3, (char)0x80, ';'};
    uint64_t s = 42;
    size_t ok = 0, bad = 0;
    for (int it = 0; it < 4000; it++) {
        char buf[64];
        memcpy(buf, seed, n);
        for (int m = 0; m < 3; m++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            buf[(s >> 33) % n] = alphabet[(s >> 20) % sizeof alphabet];
        }
        size_t len = (size_t)((s >> 40) % (n + 1));
        tfg_table t;
        tfg_err_clear(&last_err); /* not parse_n: len may be 0 and buf has no NUL */
        tfg_status st = tfg_csv_parse(buf, len, "t.csv", NULL, &t, &last_err);
        if (st == TFG_OK) {
            ok++;
            CHECK(t.n_cols > 0 && t.n_rows > 0);
        } else {
            bad++;
            CHECK_INT(st, TFG_EINPUT);
            CHECK(strlen(last_err.msg) > 0);
            CHECK_INT(t.n_cols, 0);
        }
        tfg_table_free(&t);
    }
    CHECK(ok > 0 && bad > 0);
}

/* ---- the dialect: detected, reported, overridden ------------------------------ */

/* Parses text with info; returns the status, last_err holds the error. */
static tfg_status parse_info(const char *text, const tfg_csv_opts *o, tfg_table *t,
                             tfg_csv_info *in)
{
    tfg_err_clear(&last_err);
    return tfg_csv_parse_info(text, strlen(text), "t.csv", o, t, in, &last_err);
}

static void test_detect_delimiter_quote(void)
{
    static const struct {
        const char *text;
        char delim, quote;
    } cases[] = {
        {"a,b,c\n1,2,3\n4,5,6\n", ',', '"'},
        {"a;b;c\n1;2;3\n4;5;6\n", ';', '"'},
        {"a\tb\tc\n1\t2\t3\n4\t5\t6\n", '\t', '"'},
        {"a|b|c\n1|2|3\n4|5|6\n", '|', '"'},
        /* commas in the cells, semicolons between them */
        {"a;b\n\"x, y\";1\n\"z, w\";2\n", ';', '"'},
        /* quoted with ': the tab inside the quotes is text */
        {"a\tb\n'x\ty'\t1\n'z'\t2\n", '\t', '\''},
        /* ' quotes fields that split the same either way: the quote that quotes wins */
        {"a\tb\n'x'\t1\n'z'\t2\n", '\t', '\''},
        /* an apostrophe inside a field does not make ' the quote */
        {"who,n\nit's,1\nO'Brien,2\n", ',', '"'},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tfg_table t;
        tfg_csv_info in;
        CHECK_MSG(parse_info(cases[i].text, NULL, &t, &in) == TFG_OK, "%zu: %s", i,
                  last_err.msg);
        CHECK_MSG(in.delimiter == cases[i].delim, "%zu: delimiter '%c'", i, in.delimiter);
        CHECK_MSG(in.quote == cases[i].quote, "%zu: quote '%c'", i, in.quote);
        CHECK(in.detected & TFG_CSV_DET_DELIMITER);
        CHECK(in.header);
        tfg_table_free(&t);
        tfg_csv_info_free(&in);
    }
    tfg_table t;
    tfg_csv_info in;
    CHECK_INT(parse_info("a\tb\n'x\ty'\t1\n'z'\t2\n", NULL, &t, &in), TFG_OK);
    CHECK_INT(t.n_cols, 2);
    CHECK_STR(level(&t, 0, 0), "x\ty");
    CHECK_NEAR(t.cols[1].num[1], 2, 0);
    tfg_table_free(&t);
    tfg_csv_info_free(&in);
    /* given, a delimiter is not detected: ; then splits nothing */
    tfg_csv_opts o;
    tfg_csv_opts_default(&o);
    o.delimiter = ',';
    CHECK_INT(parse_info("a;b\n1;2\n", &o, &t, &in), TFG_OK);
    CHECK_INT(t.n_cols, 1);
    CHECK(!(in.detected & TFG_CSV_DET_DELIMITER));
    tfg_table_free(&t);
    tfg_csv_info_free(&in);
}

static void test_detect_decimal_units(void)
{
    tfg_table t;
    tfg_csv_info in;
    CHECK_INT(parse_info("len;w;n\r\n\"4,4 mm\";1,5;-2\r\n5,25 mm;-0,5;3\r\n", NULL, &t, &in),
              TFG_OK);
    CHECK_INT(in.decimal, ',');
    CHECK_STR(in.line_ends, "CRLF");
    CHECK_INT(t.cols[0].type, TFG_COL_NUM);
    CHECK_NEAR(t.cols[0].num[0], 4.4, 1e-12);
    CHECK_NEAR(t.cols[0].num[1], 5.25, 1e-12);
    CHECK_NEAR(t.cols[1].num[1], -0.5, 1e-12);
    CHECK_NEAR(t.cols[2].num[0], -2, 0);
    CHECK_STR(in.units[0] ? in.units[0] : "(none)", "mm");
    CHECK(in.units[1] == NULL && in.units[2] == NULL);
    tfg_table_free(&t);
    tfg_csv_info_free(&in);
    /* a point anywhere keeps the decimal point; units without a space, °C */
    CHECK_INT(parse_info("a;b\n1,5;2.5\n", NULL, &t, &in), TFG_OK);
    CHECK_INT(in.decimal, '.');
    CHECK_STR(level(&t, 0, 0), "1,5");
    tfg_table_free(&t);
    tfg_csv_info_free(&in);
    CHECK_INT(parse_info("t,v\n21.5\xC2\xB0" "C,12cm\n-3\xC2\xB0" "C,1e2cm\n", NULL, &t, &in),
              TFG_OK);
    CHECK_NEAR(t.cols[0].num[1], -3, 0);
    CHECK_NEAR(t.cols[1].num[1], 100, 0);
    CHECK_STR(in.units[0] ? in.units[0] : "(none)", "\xC2\xB0" "C");
    CHECK_STR(in.units[1] ? in.units[1] : "(none)", "cm");
    tfg_table_free(&t);
    tfg_csv_info_free(&in);
    /* units that differ are words: a category, not numbers */
    CHECK_INT(parse("size\n3a\n3b\n4c\n", &t), TFG_OK);
    CHECK_INT(t.cols[0].type, TFG_COL_CAT);
    tfg_table_free(&t);
    /* a few cells off the column's unit are errors at their line and column */
    const char *msg = fail("x,len\n1,1 cm\n2,2 cm\n3,3 cm\n4,4 cm\n5,5 cm\n6,6 cm\n7,7 cm\n"
                           "8,8 cm\n9,9 cm\n10,10 mm\n");
    CHECK_HAS(msg, "t.csv:11:2: '10 mm' in column 'len' is in another unit");
    msg = fail("x,len\n1,1 cm\n2,2 cm\n3,3 cm\n4,4 cm\n5,5 cm\n6,6 cm\n7,7 cm\n8,8 cm\n"
               "9,9 cm\n10,10\n");
    CHECK_HAS(msg, "t.csv:11:2: '10' in column 'len' has no unit");
    msg = fail("x\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11 kg\n");
    CHECK_HAS(msg, "t.csv:12:1: '11 kg' in numeric column 'x' carries a unit");
    /* the other decimal notation: the error says what to set */
    msg = fail("x;y\n1.1;a\n1.2;a\n1.3;a\n1.4;a\n1.5;a\n1.6;a\n1.7;a\n1.8;a\n1.9;a\n2,5;b\n");
    CHECK_HAS(msg, "t.csv:11:1: non-numeric value '2,5' in numeric column 'x'");
    CHECK_HAS(msg, "--decimal ,");
    /* a decimal comma needs another delimiter */
    tfg_csv_opts o;
    tfg_csv_opts_default(&o);
    o.decimal = ',';
    CHECK_INT(parse_info("a;b\n1,5;2\n", &o, &t, &in), TFG_OK);
    CHECK_NEAR(t.cols[0].num[0], 1.5, 0);
    tfg_table_free(&t);
    tfg_csv_info_free(&in);
    o.delimiter = ',';
    CHECK_INT(parse_info("a;b\n1,5;2\n", &o, &t, &in), TFG_EUSAGE);
    CHECK_HAS(last_err.msg, "a decimal comma needs another delimiter");
    tfg_csv_info_free(&in);
}

static void test_detect_header_preamble(void)
{
    static const struct {
        const char *text;
        bool header;
        size_t skip, rows;
    } cases[] = {
        {"1,2\n3,4\n", false, 0, 2},
        {"a,b\nx,y\n", true, 0, 1},
        {"id,2019\n1,2\n", true, 0, 1},   /* text over a numeric column */
        {"a,b\n1,x\n2,y\n", true, 0, 2},
        {"1,x\n2,y\n", false, 0, 2}, /* a number first, and no text over numbers */
        {"Exported 2026-12-07\nx;y\n1;2\n3;4\n", true, 1, 2},
        {"# logger v2\n# units: SI\n\na,b,c\n1,2,3\n4,5,6\n", true, 3, 2},
        /* a short last line is a ragged row, not a preamble (the error test below) */
        /* a preamble with the data's field count: counts and class names (scikit-learn's
         * iris: 150,4,setosa,...), or numbers over a header (its boston file) */
        {"3,2,setosa,versicolor\n5.1,3.5,1.4,0\n4.9,3.0,1.4,1\n6.3,3.3,6.0,2\n", false, 1, 3},
        {"3,2,,\n\"a\",\"b\",\"c\",\"d\"\n1,2,3,4\n5,6,7,8\n9,1,2,3\n", true, 1, 3},
        {"n,5\n1,2\n3,4\n", true, 0, 2},  /* 5 does not count the 2 records: a header */
        {"2,5\n1,2\n3,4\n", false, 0, 3}, /* all numbers: data, whatever they count */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tfg_table t;
        tfg_csv_info in;
        CHECK_MSG(parse_info(cases[i].text, NULL, &t, &in) == TFG_OK, "%zu: %s", i,
                  last_err.msg);
        CHECK_MSG(in.header == cases[i].header, "%zu: header %d", i, in.header);
        CHECK_MSG(in.skip_rows == cases[i].skip, "%zu: skip_rows %zu", i, in.skip_rows);
        CHECK_MSG(t.n_rows == cases[i].rows, "%zu: rows %zu", i, t.n_rows);
        tfg_table_free(&t);
        tfg_csv_info_free(&in);
    }
    /* the header after a preamble keeps its line number in errors */
    CHECK_HAS(fail("title\nx;y\n1;2\n3;4\n5\n"),
              "t.csv:5:1: has 1 fields, the header (line 2)");
    /* skip_rows given: sklearn's iris first line has as many fields as the data */
    tfg_csv_opts o;
    tfg_csv_opts_default(&o);
    o.skip_rows = 1;
    o.header = 0;
    tfg_table t;
    tfg_csv_info in;
    CHECK_INT(parse_info("3,2,setosa,versicolor\n5.1,3.5,1.4,0\n4.9,3.0,1.4,1\n"
                         "6.3,3.3,6.0,2\n",
                         &o, &t, &in),
              TFG_OK);
    CHECK_INT(t.n_rows, 3);
    CHECK_INT(t.cols[2].type, TFG_COL_NUM);
    CHECK_NEAR(t.cols[0].num[2], 6.3, 0);
    CHECK_INT(in.skip_rows, 1);
    CHECK(!(in.detected & (TFG_CSV_DET_SKIP | TFG_CSV_DET_HEADER)));
    tfg_table_free(&t);
    tfg_csv_info_free(&in);
}

static void test_encoding(void)
{
    tfg_table t;
    tfg_csv_info in;
    /* Windows-1252: é, the euro sign (0x80), ß; the BOM is seen and dropped */
    CHECK_INT(parse_info("\xEF\xBB\xBFname,n\r\ncaf\xE9,1\r\n\x80,2\r\nStra\xDF" "e,3\r\n",
                         NULL, &t, &in),
              TFG_OK);
    CHECK(in.converted);
    CHECK(in.bom);
    CHECK_STR(in.encoding, "Windows-1252");
    CHECK_INT(in.converted_line, 2);
    CHECK_STR(level(&t, 0, 0), "caf\xC3\xA9");
    CHECK_STR(level(&t, 0, 1), "\xE2\x82\xAC");
    CHECK_STR(level(&t, 0, 2), "Stra\xC3\x9F" "e");
    tfg_table_free(&t);
    tfg_csv_info_free(&in);
    /* UTF-8 stays as it is; lone CRs are reported */
    CHECK_INT(parse_info("n\rcaf\xC3\xA9\r", NULL, &t, &in), TFG_OK);
    CHECK(!in.converted);
    CHECK_STR(in.line_ends, "CR");
    CHECK_STR(level(&t, 0, 0), "caf\xC3\xA9");
    tfg_table_free(&t);
    tfg_csv_info_free(&in);
    CHECK_INT(parse_info("a\nb\r\nc\n", NULL, &t, &in), TFG_OK);
    CHECK_STR(in.line_ends, "mixed");
    tfg_table_free(&t);
    tfg_csv_info_free(&in);
}

/* After an error the info still says the dialect and what was read before it. */
static void test_info_on_error(void)
{
    tfg_table t;
    tfg_csv_info in;
    CHECK_INT(parse_info("a;b\n1,5;x\n2,5;y\n3,5;\"open\n", NULL, &t, &in), TFG_EINPUT);
    CHECK_HAS(last_err.msg, "t.csv:4:2: a quoted field starts here and is never closed");
    CHECK_INT(t.n_cols, 0);
    CHECK_INT(in.delimiter, ';');
    CHECK_INT(in.decimal, ',');
    CHECK_INT(in.rows_read, 2);
    CHECK_INT(in.n_cols, 2);
    CHECK_STR(in.names[1], "b");
    CHECK_INT(in.n_sample, 2);
    CHECK_STR(in.sample[1][0], "2,5");
    CHECK_STR(in.sample[1][1], "y");
    tfg_csv_info_free(&in);
}

TFG_TEST_MAIN(test_basic, test_numbers, test_locale, test_quoting, test_line_ends, test_missing,
              test_types, test_typo_rule, test_nonfinite, test_ragged_and_empty,
              test_quote_errors, test_long_record, test_utf8, test_header_names, test_no_header,
              test_delimiter, test_files, test_wide, test_mutations,
              test_detect_delimiter_quote, test_detect_decimal_units, test_detect_header_preamble, test_encoding,
              test_info_on_error)
