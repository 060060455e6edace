/* sketch_scan.c — the static half of the sketch validator: what a sketch may not even
 * contain, decided before any compiler sees it.
 *
 * The source is first reduced to code (comments removed, string and character literals
 * emptied), so "system" in a comment or a printed message is no hit, and then scanned
 * token by token: calls that reach a host (system, exec*, fopen/open, sockets, ...),
 * inline assembly and anything that could smuggle it in (token pasting, #pragma,
 * __attribute__, __builtin_*, semihosting), and any #include outside the short list of
 * headers a sketch needs. Before that, whatever could hide a token from a scan of the
 * text as written (splices, trigraphs, digraphs, raw strings, universal character
 * names) is refused itself. A sketch that never names the model's invoke cannot be
 * classifying with it. Each finding names the line. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "target/sketch_internal.h"

/* Calls that would reach the host if the code ever ran there. Member calls
 * (Serial.read, Sensor.read) are not these: a '.', '->' or '::' before the name skips. */
static const char *const denied_calls[] = {
    "system", "popen", "pclose", "fork", "vfork", "execl", "execle", "execlp", "execv",
    "execve", "execvp", "execvpe", "fexecve", "fopen", "freopen", "fdopen", "fclose",
    "fread", "fwrite", "fprintf", "fscanf", "fgets", "fputs", "remove", "rename", "unlink",
    "open", "openat", "creat", "read", "write", "close", "lseek", "mmap", "socket",
    "connect", "bind", "listen", "accept", "send", "recv", "sendto", "recvfrom",
    "gethostbyname", "getaddrinfo", "dlopen", "dlsym", "syscall", "kill", "ptrace", NULL};

/* Words that are never allowed, wherever they stand. */
static const char *const denied_words[] = {"asm", "__asm", "__asm__", "__attribute__",
                                           "_Pragma", "__builtin_apply", "semihost",
                                           "semihosting", "bkpt", "svc", "__has_include",
                                           "__has_include_next", "incbin", NULL};

/* Headers a sketch may include; anything else is a compile error, and these are unsafe. */
static const char *const allowed_headers[] = {"Arduino.h", "tfg_sensor.h", "stdint.h",
                                              "stddef.h", "stdbool.h", "math.h", "string.h",
                                              "float.h", "limits.h", NULL};
static const char *const unsafe_headers[] = {"stdio.h", "stdlib.h", "unistd.h", "fcntl.h",
                                             "sys/", "netinet/", "arpa/", "netdb.h",
                                             "dlfcn.h", "spawn.h", "signal.h", "cstdio",
                                             "cstdlib", "fstream", "iostream", NULL};

static bool in_list(const char *const *list, const char *w)
{
    for (size_t i = 0; list[i]; i++)
        if (!strcmp(list[i], w))
            return true;
    return false;
}

/* Code only: comments become spaces (newlines kept for line numbers), literals "". */
static char *code_only(const char *src)
{
    size_t n = strlen(src);
    char *o = tfg_xmalloc(n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n;) {
        if (src[i] == '/' && src[i + 1] == '/') {
            while (i < n && src[i] != '\n')
                i++;
        } else if (src[i] == '/' && src[i + 1] == '*') {
            i += 2;
            while (i < n && !(src[i] == '*' && src[i + 1] == '/'))
                o[j++] = src[i++] == '\n' ? '\n' : ' ';
            i = i < n ? i + 2 : n;
        } else if (src[i] == '"' || src[i] == '\'') {
            char q = src[i];
            o[j++] = src[i++];
            while (i < n && src[i] != q && src[i] != '\n') {
                if (src[i] == '\\' && i + 1 < n)
                    i++;
                i++;
            }
            if (i < n && src[i] == q)
                o[j++] = src[i++];
        } else {
            o[j++] = src[i++];
        }
    }
    o[j] = '\0';
    return o;
}

static int line_of(const char *code, const char *p)
{
    int line = 1;
    for (const char *q = code; q < p; q++)
        line += *q == '\n';
    return line;
}

static tfg_sketch_class set(tfg_sketch_class c, char *why, size_t n, const char *fmt,
                            const char *name, int line, const char *word)
{
    char what[400];
    snprintf(what, sizeof what, fmt, word);
    snprintf(why, n, "%s:%d: %s", name, line, what);
    return c;
}

/* A preprocessor line other than #include (checked by includes()): no #pragma, no
 * #include_next or #import. */
static tfg_sketch_class directive(const char *code, const char *p, const char *name,
                                  char *why, size_t n)
{
    int line = line_of(code, p);
    p++;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!strncmp(p, "pragma", 6))
        return set(TFG_SKETCH_UNSAFE_OUTPUT, why, n, "#pragma is not allowed in a sketch (it "
                   "could switch the compiler's checks off)%s", name, line, "");
    if (!strncmp(p, "include_next", 12) || !strncmp(p, "import", 6) || !strncmp(p, "embed", 5))
        return set(TFG_SKETCH_UNSAFE_OUTPUT, why, n, "#include_next, #import and #embed are "
                   "not allowed%s", name, line, "");
    return TFG_SKETCH_PASSED;
}

/* The header names of the #include lines of the original source, checked. */
static tfg_sketch_class includes(const char *src, const char *name, const char *lib_header,
                                 char *why, size_t n)
{
    int line = 1;
    for (const char *p = src; *p; line++) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        const char *q = p;
        while (q < p + len && (*q == ' ' || *q == '\t'))
            q++;
        if (*q == '#') {
            q++;
            while (q < p + len && (*q == ' ' || *q == '\t'))
                q++;
            if (!strncmp(q, "include", 7) && strncmp(q, "include_next", 12)) {
                q += 7;
                while (q < p + len && (*q == ' ' || *q == '\t'))
                    q++;
                char open = *q, close = open == '<' ? '>' : '"';
                const char *end = (open == '<' || open == '"')
                                      ? memchr(q + 1, close, (size_t)(p + len - q - 1))
                                      : NULL;
                if (!end)
                    return set(TFG_SKETCH_UNSAFE_OUTPUT, why, n, "#include without a plain "
                               "header name (a macro?) is not allowed%s", name, line, "");
                char hdr[128];
                snprintf(hdr, sizeof hdr, "%.*s", (int)(end - q - 1), q + 1);
                bool unsafe = false;
                for (size_t i = 0; unsafe_headers[i]; i++)
                    unsafe = unsafe || !strncmp(hdr, unsafe_headers[i],
                                                strlen(unsafe_headers[i]));
                if (unsafe)
                    return set(TFG_SKETCH_UNSAFE_OUTPUT, why, n, "#include <%s>: host I/O, "
                               "process and network headers are not allowed in a sketch",
                               name, line, hdr);
                if (!in_list(allowed_headers, hdr) && strcmp(hdr, lib_header)) {
                    char list[400];
                    snprintf(list, sizeof list, "#include <%s>: not available on the "
                             "board; a sketch may include %s, Arduino.h, tfg_sensor.h and "
                             "<stdint.h> <stddef.h> <stdbool.h> <math.h> <string.h> "
                             "<float.h> <limits.h>", hdr, lib_header);
                    snprintf(why, n, "%s:%d: %s", name, line, list);
                    return TFG_SKETCH_COMPILE_ERROR;
                }
            }
        }
        p += len + (e ? 1 : 0);
        if (!e)
            break;
    }
    return TFG_SKETCH_PASSED;
}

/* Skips back over spaces from p (exclusive) to see what precedes a name. */
static bool member_access(const char *code, const char *p)
{
    while (p > code && isspace((unsigned char)p[-1]))
        p--;
    if (p > code && p[-1] == '.')
        return true;
    if (p - code >= 2 && ((p[-2] == '-' && p[-1] == '>') || (p[-2] == ':' && p[-1] == ':')))
        return true;
    return false;
}

static bool is_call(const char *p)
{
    while (isspace((unsigned char)*p))
        p++;
    return *p == '(';
}

/* What would let a token hide from the scan below, which reads the text as written: a
 * line splice (a backslash ending a line joins it to the next, also inside a comment),
 * a trigraph (??= is #), and, in the code (comments and literals removed), digraphs
 * (%: is #, <% %> <: :>), a raw string literal (its body can span lines and hold
 * quotes, so the literal remover cannot see where it ends) and any other backslash (a
 * universal character name: \u0073ystem is system). None has a use in a sketch. */
static tfg_sketch_class hidden_tokens(const char *src, const char *code, const char *name,
                                      char *why, size_t n)
{
    static const char *const what = "%s could hide a token from the sketch check (line "
                                    "splices, trigraphs, digraphs, raw strings and universal "
                                    "character names are not allowed in a sketch)";
    for (const char *p = src; *p; p++) {
        if (*p == '\\' && (p[1] == '\n' || (p[1] == '\r' && p[2] == '\n')))
            return set(TFG_SKETCH_UNSAFE_OUTPUT, why, n, what, name, line_of(src, p),
                       "a backslash at the end of a line");
        if (p[0] == '?' && p[1] == '?' && p[2] && strchr("=/'()!<>-", p[2]))
            return set(TFG_SKETCH_UNSAFE_OUTPUT, why, n, what, name, line_of(src, p),
                       "a trigraph (??x)");
    }
    for (const char *p = code; *p; p++) {
        char two[3] = {p[0], p[1], 0};
        if (!strcmp(two, "%:") || !strcmp(two, "<%") || !strcmp(two, "%>") ||
            !strcmp(two, "<:") || !strcmp(two, ":>"))
            return set(TFG_SKETCH_UNSAFE_OUTPUT, why, n, what, name, line_of(code, p),
                       "a digraph (%: <% %> <: :>)");
        if (*p == '\\')
            return set(TFG_SKETCH_UNSAFE_OUTPUT, why, n, what, name, line_of(code, p),
                       "a backslash outside a literal");
        /* R"...", LR, uR, UR, u8R: an R that ends a word, just before a quote */
        if (*p == 'R' && p[1] == '"') {
            const char *w = p;
            while (w > code && (isalnum((unsigned char)w[-1]) || w[-1] == '_'))
                w--;
            size_t len = (size_t)(p - w);
            if (len == 0 || (len == 1 && strchr("LuU", *w)) ||
                (len == 2 && !strncmp(w, "u8", 2)))
                return set(TFG_SKETCH_UNSAFE_OUTPUT, why, n, what, name, line_of(code, p),
                           "a raw string literal (R\"...\")");
        }
    }
    return TFG_SKETCH_PASSED;
}

tfg_sketch_class tfg_sketch_scan(const char *src, const char *name, const char *lib_header,
                                 char *why, size_t n)
{
    char *code = code_only(src);
    tfg_sketch_class c = hidden_tokens(src, code, name, why, n);
    if (!c)
        c = includes(src, name, lib_header, why, n);
    if (c) {
        free(code);
        return c;
    }
    bool calls_model = false;
    for (const char *p = code; *p && !c;) {
        if (*p == '#' && (p == code || p[-1] == '\n' || isspace((unsigned char)p[-1]))) {
            if (p[1] == '#') {
                c = set(TFG_SKETCH_UNSAFE_OUTPUT, why, n, "token pasting (##) is not allowed "
                        "in a sketch%s", name, line_of(code, p), "");
                break;
            }
            c = directive(code, p, name, why, n);
            p++;
            continue;
        }
        if (*p == '#' && p[1] == '#') {
            c = set(TFG_SKETCH_UNSAFE_OUTPUT, why, n, "token pasting (##) is not allowed in a "
                    "sketch%s", name, line_of(code, p), "");
            break;
        }
        if (!(isalpha((unsigned char)*p) || *p == '_')) {
            p++;
            continue;
        }
        const char *s = p;
        while (isalnum((unsigned char)*p) || *p == '_')
            p++;
        char w[64];
        snprintf(w, sizeof w, "%.*s", (int)(p - s > 63 ? 63 : p - s), s);
        if (!strcmp(w, "tfg_model_invoke") || !strcmp(w, "tfg_model_invoke_f32"))
            calls_model = true;
        if (in_list(denied_words, w) || !strncmp(w, "__builtin_", 10))
            c = set(TFG_SKETCH_UNSAFE_OUTPUT, why, n, "'%s' is not allowed in a sketch (inline "
                    "assembly, compiler escapes and semihosting are denied)", name,
                    line_of(code, s), w);
        else if (in_list(denied_calls, w) && is_call(p) && !member_access(code, s))
            c = set(TFG_SKETCH_UNSAFE_OUTPUT, why, n, "calls %s(): file, process and network "
                    "calls are denied (the board's only channel is Serial)", name,
                    line_of(code, s), w);
    }
    if (!c && !calls_model) {
        snprintf(why, n, "%s: the sketch never calls tfg_model_invoke (or "
                 "tfg_model_invoke_f32): its predictions cannot come from the model", name);
        c = TFG_SKETCH_SILENT_FAILURE;
    }
    free(code);
    return c;
}
