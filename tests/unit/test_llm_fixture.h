/* test_llm_fixture.h — what the LLM tests share: a scratch directory, the scripted
 * server (tests/llmserver/server.py) started on a free port and stopped again, a fake
 * clock whose sleeps only record, and small helpers to read files back. */
#ifndef TFG_TEST_LLM_FIXTURE_H
#define TFG_TEST_LLM_FIXTURE_H

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/io.h"
#include "llm/internal.h"

static inline char *fx_tmpdir(void)
{
    char tmpl[] = "/tmp/tfg_llm_XXXXXX";
    char *d = mkdtemp(tmpl);
    if (!d) {
        perror("mkdtemp");
        exit(2);
    }
    return tfg_xstrdup(d);
}

static inline void fx_write(const char *path, const char *text)
{
    tfg_err err;
    if (tfg_write_atomic(path, text, strlen(text), &err)) {
        fprintf(stderr, "%s\n", err.msg);
        exit(2);
    }
}

static inline char *fx_read(const char *path)
{
    char *buf;
    size_t len;
    tfg_err err;
    if (tfg_read_file(path, TFG_READ_MAX_DEFAULT, &buf, &len, &err))
        return tfg_xstrdup("");
    return buf;
}

typedef struct {
    pid_t pid;
    int port;
    char *log;
} fx_server;

/* Starts the server on script (JSON text), logging to <dir>/server-N.log. */
static inline int fx_server_start(fx_server *s, const char *dir, const char *script)
{
    static int serial;
    const char *src = getenv("TFG_SRC");
    char *spath = tfg_xasprintf("%s/script-%d.json", dir, ++serial);
    char *server = tfg_xasprintf("%s/tests/llmserver/server.py", src ? src : TFG_SOURCE_DIR);
    s->log = tfg_xasprintf("%s/server-%d.log", dir, serial);
    fx_write(spath, script);
    int fd[2];
    if (pipe(fd) != 0)
        exit(2);
    s->pid = fork();
    if (s->pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execlp("python3", "python3", server, spath, s->log, "--max-seconds", "90", (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    char line[32] = "";
    size_t n = 0;
    struct pollfd p = {fd[0], POLLIN, 0};
    while (n < sizeof line - 1 && poll(&p, 1, 10000) > 0) {
        ssize_t k = read(fd[0], line + n, 1);
        if (k <= 0 || line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    close(fd[0]);
    free(spath);
    free(server);
    s->port = atoi(line);
    return s->port > 0 ? 0 : -1;
}

static inline void fx_server_stop(fx_server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
    free(s->log);
    s->log = NULL;
}

/* A clock for retry tests: now = real time + everything "slept"; sleeps are recorded. */
typedef struct {
    uint64_t slept;
    uint64_t sleeps[32];
    int n;
} fx_clock;

static inline uint64_t fx_real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline uint64_t fx_now(void *user)
{
    return fx_real_ms() + ((fx_clock *)user)->slept;
}

static inline void fx_sleep(void *user, uint64_t ms)
{
    fx_clock *c = user;
    if (c->n < 32)
        c->sleeps[c->n++] = ms;
    c->slept += ms;
}

/* Counts the lines of a file that contain needle. */
static inline int fx_count_lines(const char *path, const char *needle)
{
    char *text = fx_read(path);
    int n = 0;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (strstr(line, needle))
            n++;
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    return n;
}

/* Every "key" in text replaced by value (a new string). */
static inline char *fx_replace_all(const char *text, const char *key, const char *value)
{
    tfg_buf b;
    tfg_buf_init(&b);
    size_t k = strlen(key);
    for (const char *p = text, *q; *p; p = q + k) {
        q = strstr(p, key);
        if (!q) {
            tfg_buf_printf(&b, "%s", p);
            break;
        }
        tfg_buf_append(&b, p, (size_t)(q - p));
        tfg_buf_printf(&b, "%s", value);
    }
    return tfg_buf_take(&b);
}

static inline void fx_rmtree(const char *dir)
{
    tfg_err err;
    tfg_rmtree(dir, &err);
}

#endif
