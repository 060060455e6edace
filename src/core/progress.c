/* progress.c — a terminal progress line: label, bar, counts, rate, at most 10 redraws/s. */
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
    if (strncmp(p->label, label, sizeof p->label - 1) != 0) {
        strncpy(p->label, label, sizeof p->label - 1);
        p->label[sizeof p->label - 1] = '\0';
        p->start = now;
        p->last_draw = 0;
    }
    int last = total && done >= total;
    if (!last && now - p->last_draw < 0.1)
        return;
    p->last_draw = now;
    p->active = true;
    double el = now - p->start;
    double rate = el > 0 ? (double)done / el : 0;
    if (total) {
        int width = 24, fill = (int)((double)width * (double)done / (double)total);
        char bar[32];
        for (int i = 0; i < width; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[width] = '\0';
        fprintf(p->stream, "\r\033[K%s [%s] %3d%% %llu/%llu  %.0f/s", p->label, bar,
                (int)(100.0 * (double)done / (double)total), (unsigned long long)done,
                (unsigned long long)total, rate);
    } else {
        fprintf(p->stream, "\r\033[K%s %llu  %.0f/s", p->label, (unsigned long long)done, rate);
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
    p->label[0] = '\0';
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
