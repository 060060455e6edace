/* proc.c — fork/exec with pipes, poll for I/O and the deadline, kill the process group. */
#include "core/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/progress.h"

typedef struct {
    tfg_buf buf;
    size_t max;
    bool truncated;
} sink;

static void take(sink *s, const char *data, size_t n)
{
    size_t room = s->buf.len < s->max ? s->max - s->buf.len : 0;
    if (n > room) {
        s->truncated = true;
        n = room;
    }
    if (n)
        tfg_buf_append(&s->buf, data, n);
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Milliseconds until the deadline or the idle limit, whichever comes first (-1: none);
 * sets *timed_out (and *idle for the idle limit) when one has passed. */
static int wait_left(const tfg_proc_opts *o, double t0, double last_output, bool *timed_out,
                     bool *idle)
{
    double now = tfg_now(), left = -1;
    if (o->timeout_s > 0)
        left = o->timeout_s - (now - t0);
    if (o->idle_timeout_s > 0) {
        double quiet = o->idle_timeout_s - (now - last_output);
        if (o->timeout_s <= 0 || quiet < left) { /* a passed deadline stays the nearer one */
            left = quiet;
            *idle = quiet <= 0;
        }
    }
    if (left < 0 && o->timeout_s <= 0 && o->idle_timeout_s <= 0)
        return -1;
    if (left <= 0) {
        *timed_out = true;
        return 0;
    }
    return (int)(left * 1000) + 1;
}

tfg_status tfg_proc_run(const tfg_proc_opts *o, tfg_proc_result *r, tfg_err *err)
{
    memset(r, 0, sizeof *r);
    int in[2], out[2], errp[2], exe[2];
    if (pipe(in) || pipe(out) || pipe(errp) || pipe(exe))
        return tfg_err_set(err, TFG_EPROC, "cannot create pipes: %s", strerror(errno));
    fcntl(exe[1], F_SETFD, FD_CLOEXEC);
    double t0 = tfg_now();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        close(errp[0]), close(errp[1]), close(exe[0]), close(exe[1]);
        return tfg_err_set(err, TFG_EPROC, "cannot start '%s': %s", o->argv[0], strerror(e));
    }
    if (pid == 0) {
        setpgid(0, 0);
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(errp[1], 2);
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        close(errp[0]), close(errp[1]), close(exe[0]);
        signal(SIGPIPE, SIG_DFL);
        if (o->cwd && chdir(o->cwd) != 0) {
            int e = errno;
            if (write(exe[1], &e, sizeof e) < 0)
                _exit(127);
            _exit(127);
        }
        execvp(o->argv[0], (char *const *)o->argv);
        int e = errno;
        if (write(exe[1], &e, sizeof e) < 0)
            _exit(127);
        _exit(127);
    }
    setpgid(pid, pid); /* also here, so the group exists before we might kill it */
    close(in[0]), close(out[1]), close(errp[1]), close(exe[1]);

    int child_errno = 0;
    ssize_t got = read(exe[0], &child_errno, sizeof child_errno);
    close(exe[0]);
    if (got == (ssize_t)sizeof child_errno) {
        close(in[1]), close(out[0]), close(errp[0]);
        waitpid(pid, NULL, 0);
        if (o->cwd && child_errno != ENOENT)
            return tfg_err_set(err, TFG_EPROC, "cannot run '%s' in %s: %s", o->argv[0],
                               o->cwd, strerror(child_errno));
        if (child_errno == ENOENT)
            return tfg_err_set(err, TFG_EPROC, "cannot run '%s': not found on PATH",
                               o->argv[0]);
        return tfg_err_set(err, TFG_EPROC, "cannot run '%s': %s", o->argv[0],
                           strerror(child_errno));
    }

    size_t max = o->max_output ? o->max_output : (size_t)64 << 20;
    sink so = {.max = max}, se = {.max = max};
    tfg_buf_init(&so.buf);
    tfg_buf_init(&se.buf);
    int fin = in[1], fout = out[0], ferr = errp[0];
    fcntl(fin, F_SETFL, O_NONBLOCK);
    size_t fed = 0;
    if (!o->stdin_data || o->stdin_len == 0)
        close_fd(&fin);
    bool timed_out = false, idle = false;
    double last_output = t0;
    void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
    while (fout >= 0 || ferr >= 0) {
        struct pollfd p[3];
        int n = 0, iin = -1, iout = -1, ierr = -1;
        if (fin >= 0)
            iin = n, p[n++] = (struct pollfd){.fd = fin, .events = POLLOUT};
        if (fout >= 0)
            iout = n, p[n++] = (struct pollfd){.fd = fout, .events = POLLIN};
        if (ferr >= 0)
            ierr = n, p[n++] = (struct pollfd){.fd = ferr, .events = POLLIN};
        int wait_ms = wait_left(o, t0, last_output, &timed_out, &idle);
        if (timed_out)
            break;
        int rc = poll(p, (nfds_t)n, wait_ms);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0)
            break;
        char chunk[1 << 15];
        if (iin >= 0 && p[iin].revents) {
            ssize_t w = write(fin, o->stdin_data + fed, o->stdin_len - fed);
            if (w > 0)
                fed += (size_t)w;
            if (w < 0 && errno != EAGAIN)
                close_fd(&fin); /* the child closed its stdin */
            if (fed == o->stdin_len)
                close_fd(&fin);
        }
        if (iout >= 0 && p[iout].revents) {
            ssize_t k = read(fout, chunk, sizeof chunk);
            if (k > 0)
                take(&so, chunk, (size_t)k), last_output = tfg_now();
            else if (k == 0 || errno != EINTR)
                close_fd(&fout);
        }
        if (ierr >= 0 && p[ierr].revents) {
            ssize_t k = read(ferr, chunk, sizeof chunk);
            if (k > 0)
                take(&se, chunk, (size_t)k), last_output = tfg_now();
            else if (k == 0 || errno != EINTR)
                close_fd(&ferr);
        }
    }
    signal(SIGPIPE, old_pipe);
    close_fd(&fin);
    close_fd(&fout);
    close_fd(&ferr);

    int status = 0;
    if (!timed_out && (o->timeout_s > 0 || o->idle_timeout_s > 0)) {
        /* Output is closed but the child may still run (it closed its stdout). */
        for (;;) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid)
                break;
            wait_left(o, t0, last_output, &timed_out, &idle);
            if (timed_out)
                break;
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
        }
        if (!timed_out)
            goto reaped;
    }
    if (timed_out) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
reaped:
    r->seconds = tfg_now() - t0;
    r->timed_out = timed_out;
    r->idle = idle;
    r->truncated = so.truncated || se.truncated;
    r->exited = WIFEXITED(status) && !timed_out;
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    r->out_len = so.buf.len;
    r->out = tfg_buf_take(&so.buf);
    r->err_len = se.buf.len;
    r->errout = tfg_buf_take(&se.buf);
    if (idle)
        return tfg_err_set(err, TFG_ETIMEOUT, "'%s' printed nothing for %.1f s and was stopped",
                           o->argv[0], o->idle_timeout_s);
    if (timed_out)
        return tfg_err_set(err, TFG_ETIMEOUT, "'%s' did not finish within %.1f s and was stopped",
                           o->argv[0], o->timeout_s);
    return TFG_OK;
}

void tfg_proc_result_free(tfg_proc_result *r)
{
    free(r->out);
    free(r->errout);
    r->out = r->errout = NULL;
}
