/* progress.h — progress of long work. A library reports through a tfg_progress the
 * caller gives it (or NULL for none); the CLI makes one with tfg_progress_tty, which
 * draws a one-line bar on a terminal and stays silent when stderr is not a terminal,
 * so logs and pipes stay clean. */
#ifndef TFG_CORE_PROGRESS_H
#define TFG_CORE_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct tfg_progress tfg_progress;
struct tfg_progress {
    /* done of total units of the step named label; total 0 means unknown. */
    void (*update)(tfg_progress *p, const char *label, uint64_t done, uint64_t total);
    void (*finish)(tfg_progress *p);
    /* tty drawer state */
    FILE *stream;
    bool active;
    double last_draw;
};

/* NULL-safe wrappers: libraries call these. */
void tfg_progress_update(tfg_progress *p, const char *label, uint64_t done, uint64_t total);
void tfg_progress_finish(tfg_progress *p);

/* A drawer on stream; it draws only if stream is a terminal (or force is set). */
void tfg_progress_tty(tfg_progress *p, FILE *stream, bool force);

/* Seconds from a monotonic clock. */
double tfg_now(void);

#endif
