/* extract.c — getting the proposal out of a reply. Models wrap JSON in prose and code
 * fences ("Here is the plan: ```json {...} ``` I dropped ..."), so the pilot looks for
 * a fenced block first and then for the first balanced object; whatever it finds must
 * parse as JSON, or the attempt is a format error. Also the failure-class names and
 * the scan for host paths in data that must hold none. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/json.h"
#include "pilot/extract.h"

static const char *const class_names[] = {"ok",     "backend", "format", "spec",   "compile",
                                           "misuse", "budget",  "silent", "unsafe", NULL};

const char *tfg_pilot_class_name(tfg_pilot_class c)
{
    return c >= 0 && c < TFG_PILOT_CLASSES ? class_names[c] : "?";
}

int tfg_pilot_class_parse(const char *name)
{
    for (int i = 0; class_names[i]; i++)
        if (!strcmp(class_names[i], name))
            return i;
    return -1;
}

/* The text between the fence line "```lang" and the next "```" (a new string), for the
 * first fence whose language is one of langs ("" matches a bare fence); NULL if none.
 * *from is where to continue looking. */
static char *next_fence(const char *text, const char *const *langs, const char **from)
{
    for (const char *p = strstr(*from, "```"); p; p = strstr(p + 3, "```")) {
        const char *lang = p + 3, *eol = strchr(lang, '\n');
        if (!eol)
            return NULL;
        size_t n = (size_t)(eol - lang);
        while (n && isspace((unsigned char)lang[n - 1]))
            n--;
        const char *end = strstr(eol + 1, "```");
        if (!end)
            return NULL;
        bool match = false;
        for (size_t i = 0; langs[i] && !match; i++)
            match = strlen(langs[i]) == n && !strncasecmp(lang, langs[i], n);
        *from = end + 3;
        if (match)
            return tfg_xstrndup(eol + 1, (size_t)(end - eol - 1));
        p = end; /* skip this block's closing fence */
    }
    (void)text;
    return NULL;
}

/* Length of the balanced {...} starting at s (strings and escapes respected), or 0. */
static size_t balanced(const char *s)
{
    int depth = 0;
    bool str = false;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        if (str) {
            if (c == '\\' && s[i + 1])
                i++;
            else if (c == '"')
                str = false;
        } else if (c == '"') {
            str = true;
        } else if (c == '{') {
            depth++;
        } else if (c == '}' && --depth == 0) {
            return i + 1;
        }
    }
    return 0;
}

static json_t *parse_object(const char *text, size_t len)
{
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    if (j && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

tfg_status tfg_pilot_extract_json(const char *reply, json_t **out, tfg_err *err)
{
    static const char *const langs[] = {"json", "", "jsonc", NULL};
    *out = NULL;
    const char *from = reply;
    char *block;
    while ((block = next_fence(reply, langs, &from))) {
        *out = parse_object(block, strlen(block));
        free(block);
        if (*out)
            return TFG_OK;
    }
    for (const char *p = strchr(reply, '{'); p; p = strchr(p + 1, '{')) {
        size_t n = balanced(p);
        if (n && (*out = parse_object(p, n)))
            return TFG_OK;
    }
    return tfg_err_set(err, TFG_EINPUT,
                       "the reply holds no JSON object (expected one object, optionally in "
                       "a ```json code block)");
}

tfg_status tfg_pilot_extract_code(const char *reply, char **out, tfg_err *err)
{
    static const char *const langs[] = {"c", "cpp", "c++", "arduino", "ino", "", NULL};
    const char *from = reply;
    *out = next_fence(reply, langs, &from);
    if (*out)
        return TFG_OK;
    if (strchr(reply, '{') && strchr(reply, ';') && !strstr(reply, "```")) {
        *out = tfg_xstrdup(reply);
        return TFG_OK;
    }
    *out = NULL;
    return tfg_err_set(err, TFG_EINPUT,
                       "the reply holds no C source (expected one ```c code block)");
}

/* ---- unsafe content ----------------------------------------------------------------- */

static bool unsafe_key(const char *k)
{
    static const char *const keys[] = {"path",  "file",    "filename", "output", "command",
                                       "cmd",   "exec",    "shell",    "system", "url",
                                       "script", "include", NULL};
    for (size_t i = 0; keys[i]; i++)
        if (!strcasecmp(k, keys[i]))
            return true;
    return false;
}

/* An absolute host path ("/etc/passwd", "/home/x"), a parent reference, a home path or
 * a URL scheme anywhere in a string. A lone "/" in prose ("0..1 / zscore") is not. */
static const char *unsafe_text(const char *s)
{
    static const char *const marks[] = {"../", "..\\", "~/", "file:", "http://", "https://",
                                        "$(", NULL};
    for (size_t i = 0; marks[i]; i++)
        if (strstr(s, marks[i]))
            return marks[i];
    for (const char *p = strchr(s, '/'); p; p = strchr(p + 1, '/')) {
        bool start = p == s || isspace((unsigned char)p[-1]) || p[-1] == '\'' || p[-1] == '"' ||
                     p[-1] == '(';
        if (!start || !isalpha((unsigned char)p[1]))
            continue;
        const char *q = p + 1;
        while (*q && (isalnum((unsigned char)*q) || *q == '_' || *q == '-' || *q == '.'))
            q++;
        if (*q == '/')
            return "an absolute path";
    }
    return NULL;
}

static tfg_status scan(const json_t *j, const char *path, const char *what, tfg_err *err)
{
    char sub[256];
    if (json_is_object(j)) {
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)j, k, v) {
            tfg_jpath_key(sub, sizeof sub, path, k);
            if (unsafe_key(k))
                return tfg_err_field(err, TFG_ECHECK, what, sub,
                                     "a proposal may not name files, commands or URLs (plans "
                                     "and settings are data; the stages decide what is read "
                                     "and written)");
            tfg_status st = scan(v, sub, what, err);
            if (st)
                return st;
        }
    } else if (json_is_array(j)) {
        size_t i;
        const json_t *v;
        json_array_foreach(j, i, v) {
            tfg_jpath_index(sub, sizeof sub, path, i);
            tfg_status st = scan(v, sub, what, err);
            if (st)
                return st;
        }
    } else if (json_is_string(j)) {
        const char *m = unsafe_text(json_string_value(j));
        if (m)
            return tfg_err_field(err, TFG_ECHECK, what, path,
                                 "refers to the host (%s%s%s): a proposal may not point "
                                 "outside the run",
                                 m[0] == 'a' ? "" : "'", m, m[0] == 'a' ? "" : "'");
    }
    return TFG_OK;
}

tfg_status tfg_pilot_scan_unsafe(const json_t *j, const char *what, tfg_err *err)
{
    return scan(j, "", what, err);
}
