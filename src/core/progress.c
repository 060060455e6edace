/* progress.c — a terminal progress line: label, bar and counts, at most 10 redraws/s.
 * The label carries any rate in the caller's own unit (samples/s, rows/s). */
#include "core/progress.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

double tfg_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void tfg_progress_update(tfg_progress *p, const char *label, uint64_t done, uint64_t total)
{
    if (p && p->update)
        p->update(p, label, done, total);
}

void tfg_progress_finish(tfg_progress *p)
{
    if (p && p->finish)
        p->finish(p);
}

static void tty_update(tfg_progress *p, const char *label, uint64_t done, uint64_t total)
{
    double now = tfg_now();
    int last = total && done >= total;
    if (!last && now - p->last_draw < 0.1)
        return;
    p->last_draw = now;
    p->active = true;
    if (total) {
        int width = 24, fill = (int)((double)width * (double)done / (double)total);
        char bar[32];
        for (int i = 0; i < width; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[width] = '\0';
        fprintf(p->stream, "\r\033[K%s [%s] %3d%% %llu/%llu", label, bar,
                (int)(100.0 * (double)done / (double)total), (unsigned long long)done,
                (unsigned long long)total);
    } else if (done) {
        fprintf(p->stream, "\r\033[K%s %llu", label, (unsigned long long)done);
    } else {
        fprintf(p->stream, "\r\033[K%s", label);
    }
    fflush(p->stream);
}

static void tty_finish(tfg_progress *p)
{
    if (p->active) {
        fputs("\r\033[K", p->stream);
        fflush(p->stream);
    }
    p->active = false;
}

void tfg_progress_tty(tfg_progress *p, FILE *stream, bool force)
{
    memset(p, 0, sizeof *p);
    p->stream = stream;
    if (force || isatty(fileno(stream))) {
        p->update = tty_update;
        p->finish = tty_finish;
    }
}
