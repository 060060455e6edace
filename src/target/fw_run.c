/* fw_run.c — the one firmware run (target.h tfg_fw_run): start QEMU or the simavr
 * runner, optionally inside bubblewrap, with one deadline and one hang rule (the whole
 * run: 20 s + 0.5 s per sample; silence: TFG_FW_IDLE_S), send the samples as request
 * frames (a semihosting file or the UART), and read back either the reply frames
 * (outputs and work per inference) or the lines a sketch printed.
 *
 * Frames: every way a run can go wrong ends in one classified error: the emulator is
 * missing (TFG_EPROC before anything starts), the firmware stops answering
 * (TFG_ETIMEOUT, with how many samples it did answer), it reports a fault or a failed
 * invoke (TFG_EPROC with the sample), or its output is not a valid frame (TFG_EPROC
 * with the byte offset). Lines: what it printed and whether it was stopped, for the
 * caller to judge. The emulator is always killed at the deadline (core/proc.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "board/tfg_link.h"
#include "core/alloc.h"
#include "core/io.h"
#include "core/proc.h"
#include "core/resource.h"
#include "target/target_internal.h"

#define REQ_FILE "tfg_req.bin" /* the name fw_main.c opens over semihosting */

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* The request stream: one 'I' frame per sample, then 'Q'. */
static char *requests(const tfg_fw_run_opts *o, size_t *len)
{
    tfg_buf b;
    tfg_buf_init(&b);
    uint8_t *payload = tfg_xmalloc(4 + o->input_bytes);
    for (size_t i = 0; i < o->n; i++) {
        uint32_t k = (uint32_t)i;
        for (int j = 0; j < 4; j++)
            payload[j] = (uint8_t)(k >> (8 * j));
        memcpy(payload + 4, o->inputs + i * o->input_bytes, o->input_bytes);
        tfg_frame_put(&b, TFG_LINK_INPUT, payload, (uint16_t)(4 + o->input_bytes));
    }
    tfg_frame_put(&b, TFG_LINK_QUIT, NULL, 0);
    free(payload);
    *len = b.len;
    return tfg_buf_take(&b);
}

/* The simavr runner: $TFG_SIMAVR_RUNNER, else beside the running program, else PATH. */
char *tfg_target_simavr_runner(void)
{
    const char *env = getenv("TFG_SIMAVR_RUNNER");
    if (env && *env)
        return tfg_xstrdup(env);
    char *dir = tfg_exe_dir();
    if (dir) {
        char *p = tfg_path_join(dir, "tfg-simavr-runner");
        free(dir);
        if (access(p, X_OK) == 0)
            return p;
        free(p);
    }
    return tfg_xstrdup("tfg-simavr-runner");
}

typedef struct {
    const tfg_fw_run_opts *o;
    const char *prog;
    char *elf;          /* o->elf made absolute: the emulator runs in the work dir */
    tfg_fw_link link;
    tfg_proc_result pr;
    bool timed_out;
    double timeout;
    size_t answered;
} run_ctx;

static const char *fault_name(int32_t exc)
{
    switch (exc) {
    case 2: return "NMI";
    case 3: return "HardFault";
    case 4: return "MemManage fault";
    case 5: return "BusFault";
    case 6: return "UsageFault";
    case 7: return "SecureFault";
    default: return exc >= 16 ? "unexpected interrupt" : "exception";
    }
}

/* An 'E' frame from the firmware, as an error. */
static tfg_status firmware_error(run_ctx *c, const tfg_frame *f, tfg_err *err)
{
    if (f->len < 9)
        return tfg_err_set(err, TFG_EPROC, "error frame at byte %zu of the firmware's output "
                           "is %u bytes long, expected 9", f->offset, f->len);
    uint8_t code = f->payload[0];
    uint32_t index = get_u32(f->payload + 1);
    int32_t detail = (int32_t)get_u32(f->payload + 5);
    switch (code) {
    case TFG_LINK_ERR_INVOKE:
        return tfg_err_set(err, TFG_EPROC, "the model's invoke returned %" PRId32 " on sample %"
                           PRIu32 " (operator %" PRId32 " failed its parameter check)", detail,
                           index, detail - 1);
    case TFG_LINK_ERR_FRAME:
        return tfg_err_set(err, TFG_EPROC, "the firmware received a damaged request frame "
                           "(at request byte %" PRId32 ", after %zu answers)", detail,
                           c->answered);
    case TFG_LINK_ERR_FAULT:
        return tfg_err_set(err, TFG_EPROC, "the firmware crashed: %s (exception %" PRId32
                           ") while working on sample %" PRIu32, fault_name(detail), detail,
                           index);
    case TFG_LINK_ERR_INPUT:
        return tfg_err_set(err, TFG_EPROC, "the firmware could not open its request file "
                           "over semihosting");
    default:
        return tfg_err_set(err, TFG_EPROC, "the firmware reported error %u (detail %" PRId32
                           ") at sample %" PRIu32, code, detail, index);
    }
}

/* The stream ended before the 'D' frame: why. */
static tfg_status ended_early(run_ctx *c, const char *where, tfg_err *err)
{
    if (c->timed_out && c->pr.idle)
        return tfg_err_set(err, TFG_ETIMEOUT, "the firmware stopped answering: %zu of %zu "
                           "samples answered %s(nothing for %.0f s)", c->answered, c->o->n,
                           where, TFG_FW_IDLE_S);
    if (c->timed_out)
        return tfg_err_set(err, TFG_ETIMEOUT, "the firmware stopped answering: %zu of %zu "
                           "samples answered %swithin %.1f s", c->answered, c->o->n, where,
                           c->timeout);
    if (c->pr.signal)
        return tfg_err_set(err, TFG_EPROC, "%s was killed by signal %d after %zu of %zu "
                           "samples", c->prog, c->pr.signal, c->answered, c->o->n);
    char line[200] = "";
    sscanf(c->pr.errout ? c->pr.errout : "", "%199[^\n]", line);
    return tfg_err_set(err, TFG_EPROC, "%s ended (exit status %d) after %zu of %zu samples "
                       "%s%s%s", c->prog, c->pr.exit_code, c->answered, c->o->n, where,
                       *line ? ": " : "", line);
}

static tfg_status check_ready(run_ctx *c, const tfg_frame *f, tfg_err *err)
{
    if (f->type == TFG_LINK_ERROR)
        return firmware_error(c, f, err);
    if (f->type != TFG_LINK_READY || f->len < 10)
        return tfg_err_set(err, TFG_EPROC, "the firmware's first frame is '%c' (%u bytes), not "
                           "the ready frame", f->type, f->len);
    unsigned in = get_u16(f->payload + 2), out = get_u16(f->payload + 4);
    if (f->payload[0] != TFG_LINK_VERSION)
        return tfg_err_set(err, TFG_EPROC, "the firmware speaks link protocol %u, this "
                           "tinyforge %d", f->payload[0], TFG_LINK_VERSION);
    if (in != c->o->input_bytes || out != c->o->output_bytes)
        return tfg_err_set(err, TFG_EUSAGE, "the firmware's model takes %u input and gives %u "
                           "output bytes; the samples have %zu and %zu", in, out,
                           c->o->input_bytes, c->o->output_bytes);
    return TFG_OK;
}

static tfg_status take_output(run_ctx *c, const tfg_frame *f, tfg_fw_run_result *r,
                              uint32_t per_tick, tfg_err *err)
{
    if (f->type == TFG_LINK_ERROR)
        return firmware_error(c, f, err);
    size_t k = c->answered;
    if (f->type != TFG_LINK_OUTPUT || f->len != 8 + c->o->output_bytes)
        return tfg_err_set(err, TFG_EPROC, "frame at byte %zu of the firmware's output is '%c' "
                           "with %u bytes where the answer to sample %zu (%zu bytes) belongs",
                           f->offset, f->type, f->len, k, 8 + c->o->output_bytes);
    uint32_t index = get_u32(f->payload);
    if (index != k)
        return tfg_err_set(err, TFG_EPROC, "the firmware answered sample %" PRIu32 " where "
                           "sample %zu was due (frame at byte %zu)", index, k, f->offset);
    r->work[k] = (uint64_t)get_u32(f->payload + 4) * per_tick;
    memcpy(r->outputs + k * c->o->output_bytes, f->payload + 8, c->o->output_bytes);
    c->answered++;
    return TFG_OK;
}

/* Walks the reply stream: 'R', one 'O' per sample, 'D'. */
static tfg_status parse_replies(run_ctx *c, tfg_fw_run_result *r, uint32_t per_tick,
                                tfg_err *err)
{
    const uint8_t *buf = (const uint8_t *)c->pr.out;
    size_t len = c->pr.out_len, pos = 0;
    for (size_t step = 0;; step++) {
        tfg_frame f;
        uint16_t got = 0, want = 0;
        size_t at = pos;
        tfg_frame_status fs = tfg_frame_next(buf, len, &pos, &f, &got, &want);
        char what[64];
        if (step == 0)
            snprintf(what, sizeof what, "the ready frame");
        else if (c->answered < c->o->n)
            snprintf(what, sizeof what, "the answer to sample %zu", c->answered);
        else
            snprintf(what, sizeof what, "the done frame");
        if (fs == TFG_FRAME_END || fs == TFG_FRAME_TRUNCATED) {
            char where[96] = "";
            if (fs == TFG_FRAME_TRUNCATED)
                snprintf(where, sizeof where, "(output cut inside %s at byte %zu) ", what, at);
            return ended_early(c, where, err);
        }
        if (fs == TFG_FRAME_NOSYNC)
            return tfg_err_set(err, TFG_EPROC, "byte %zu of the firmware's output is 0x%02x "
                               "where %s should start: not a frame (garbage on the UART?)", at,
                               buf[at], what);
        if (fs == TFG_FRAME_CRC)
            return tfg_err_set(err, TFG_EPROC, "%s (frame at byte %zu of the firmware's output) "
                               "is damaged: CRC 0x%04x, expected 0x%04x", what, at, got, want);
        tfg_status st;
        if (step == 0)
            st = check_ready(c, &f, err);
        else if (c->answered < c->o->n)
            st = take_output(c, &f, r, per_tick, err);
        else if (f.type == TFG_LINK_DONE && f.len == 4 && get_u32(f.payload) == c->o->n)
            return TFG_OK;
        else
            st = f.type == TFG_LINK_ERROR
                     ? firmware_error(c, &f, err)
                     : tfg_err_set(err, TFG_EPROC, "after the last answer the firmware sent "
                                   "'%c' (byte %zu), not the done frame", f.type, f.offset);
        if (st)
            return st;
    }
}

static void summarise(const tfg_fw_run_opts *o, tfg_fw_run_result *r)
{
    const tfg_target *t = o->target;
    double sum = 0;
    r->work_min = r->n ? r->work[0] : 0;
    for (size_t i = 0; i < r->n; i++) {
        sum += (double)r->work[i];
        if (r->work[i] < r->work_min)
            r->work_min = r->work[i];
        if (r->work[i] > r->work_max)
            r->work_max = r->work[i];
    }
    r->work_mean = r->n ? sum / (double)r->n : 0;
    r->est_ms = t->clock_hz ? r->work_mean / (double)t->clock_hz * 1e3 : 0;
    r->work_unit = t->work_unit;
    if (t->emu == TFG_EMU_QEMU)
        snprintf(r->assumption, sizeof r->assumption,
                 "instructions counted on QEMU %s under -icount (exact to %u instructions); the "
                 "time assumes one instruction per cycle at the %s's %.0f MHz (a real core "
                 "stalls on loads, branches and flash wait states, so expect more)",
                 t->machine, t->work_per_tick, t->board_name, (double)t->clock_hz / 1e6);
    else
        snprintf(r->assumption, sizeof r->assumption,
                 "CPU cycles counted by simavr's %s model, at the %s's %.0f MHz", t->machine,
                 t->board_name, (double)t->clock_hz / 1e6);
}

/* bwrap's arguments: every namespace unshared (no network), the host read-only, a fresh
 * /tmp holding the firmware alone (and the emulator, when given by path: the simavr
 * runner of a build tree may itself live under /tmp). Sets *fw and *prog to the paths
 * inside. */
static void sandbox_argv(run_ctx *c, tfg_argv *a, const char **fw, const char **prog)
{
    static const char *const bw[] = {"bwrap", "--ro-bind", "/", "/", "--dev", "/dev",
                                     "--proc", "/proc", "--tmpfs", "/tmp", "--unshare-all",
                                     "--die-with-parent", "--new-session", NULL};
    for (int i = 0; bw[i]; i++)
        tfg_argv_add(a, bw[i]);
    tfg_argv_add(a, "--ro-bind");
    tfg_argv_add(a, c->elf);
    tfg_argv_add(a, "/tmp/firmware.elf");
    *fw = "/tmp/firmware.elf";
    if (strchr(c->prog, '/')) {
        tfg_argv_add(a, "--ro-bind");
        tfg_argv_add(a, c->prog);
        tfg_argv_add(a, "/tmp/emulator");
        *prog = "/tmp/emulator";
    }
    tfg_argv_add(a, "--");
}

static void build_argv(run_ctx *c, tfg_argv *a, char *machine_arg, size_t mlen)
{
    const tfg_target *t = c->o->target;
    const char *fw = c->elf, *prog = c->prog;
    if (c->o->sandbox)
        sandbox_argv(c, a, &fw, &prog);
    tfg_argv_add(a, prog);
    if (t->emu == TFG_EMU_QEMU) {
        const char *fixed[] = {"-M", t->machine, "-display", "none", "-monitor", "none",
                               "-serial", "stdio", "-icount", "shift=0,align=off,sleep=off",
                               NULL};
        for (int i = 0; fixed[i]; i++)
            tfg_argv_add(a, fixed[i]);
        tfg_argv_add(a, "-semihosting-config");
        if (c->link == TFG_FW_LINK_SEMIHOST) {
            tfg_argv_add(a, "enable=on,target=native");
        } else {
            tfg_argv_add(a, "enable=off");
            tfg_argv_add(a, "-no-reboot"); /* the firmware's reset request ends QEMU */
        }
        tfg_argv_add(a, "-kernel");
    } else {
        snprintf(machine_arg, mlen, "%" PRIu64, t->clock_hz);
        tfg_argv_add(a, "-m");
        tfg_argv_add(a, t->machine);
        tfg_argv_add(a, "-f");
        tfg_argv_add(a, machine_arg);
    }
    tfg_argv_add(a, fw);
}

static tfg_status check_opts(const tfg_fw_run_opts *o, tfg_err *err)
{
    if (!o || !o->target || !o->elf || (o->n && !o->inputs) || !o->input_bytes ||
        (!o->lines && !o->output_bytes))
        return tfg_err_set(err, TFG_EUSAGE, "tfg_fw_run needs a target, an ELF, the inputs and "
                           "their sizes");
    if (o->sandbox && o->link == TFG_FW_LINK_SEMIHOST)
        return tfg_err_set(err, TFG_EUSAGE, "a sandboxed run has no host file to read: use "
                           "the UART link");
    if (o->input_bytes + 4 > TFG_LINK_MAX_PAYLOAD || o->n > UINT32_MAX)
        return tfg_err_set(err, TFG_EUSAGE, "%zu samples of %zu bytes do not fit the link's "
                           "frames", o->n, o->input_bytes);
    if (!tfg_exists(o->elf))
        return tfg_err_set(err, TFG_EIO, "%s: no such firmware file", o->elf);
    return TFG_OK;
}

/* Starts the emulator and collects what it printed. */
static tfg_status launch(run_ctx *c, const char *req, size_t req_len, const char *dir,
                         tfg_err *err)
{
    tfg_argv a = {0};
    char clock[32];
    build_argv(c, &a, clock, sizeof clock);
    /* the output's cap: far above what the replies or one line per sample need */
    size_t cap = ((size_t)1 << 20) + c->o->n * (c->o->output_bytes + 16);
    tfg_proc_opts po = {.argv = a.v, .timeout_s = c->timeout, .idle_timeout_s = TFG_FW_IDLE_S,
                        .cwd = dir, .max_output = cap};
    if (c->link == TFG_FW_LINK_UART) {
        po.stdin_data = req;
        po.stdin_len = req_len;
    }
    tfg_status st = tfg_proc_run(&po, &c->pr, err);
    if (st == TFG_ETIMEOUT) {
        c->timed_out = true;
        st = TFG_OK;
    }
    tfg_argv_free(&a);
    return st;
}

static tfg_status run(run_ctx *c, tfg_fw_run_result *r, tfg_err *err)
{
    const tfg_fw_run_opts *o = c->o;
    size_t req_len;
    char *req = requests(o, &req_len);
    char *dir = o->work_dir ? tfg_xstrdup(o->work_dir) : NULL;
    tfg_status st = TFG_OK;
    if (!dir) {
        const char *tmp = getenv("TMPDIR");
        dir = tfg_xasprintf("%s/tfg-run-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir))
            st = tfg_err_set(err, TFG_EIO, "cannot create a temporary directory %s", dir);
    }
    char *req_path = tfg_path_join(dir, REQ_FILE);
    if (!st && c->link == TFG_FW_LINK_SEMIHOST)
        st = tfg_write_atomic(req_path, req, req_len, err);
    if (!st)
        st = launch(c, req, req_len, dir, err);
    if (!st && o->lines) {
        r->seconds = c->pr.seconds;
        r->timed_out = c->timed_out;
        r->idle = c->pr.idle;
        r->text = c->pr.out;
        r->text_len = c->pr.out_len;
        c->pr.out = NULL;
    } else if (!st) {
        r->outputs = tfg_xcalloc(o->n ? o->n : 1, o->output_bytes);
        r->work = tfg_xcalloc(o->n ? o->n : 1, sizeof *r->work);
        r->n = o->n;
        r->seconds = c->pr.seconds;
        st = parse_replies(c, r, o->target->work_per_tick, err);
    }
    if (o->work_dir)
        unlink(req_path);
    else
        tfg_rmtree(dir, NULL);
    free(req_path);
    free(dir);
    free(req);
    return st;
}

tfg_status tfg_fw_run(const tfg_fw_run_opts *o, tfg_fw_run_result *r, tfg_err *err)
{
    memset(r, 0, sizeof *r);
    tfg_status st = check_opts(o, err);
    if (st)
        return st;
    const tfg_target *t = o->target;
    run_ctx c = {.o = o, .timeout = o->timeout_s > 0 ? o->timeout_s : 20 + 0.5 * (double)o->n};
    c.link = o->link != TFG_FW_LINK_DEFAULT ? o->link
             : t->semihosting             ? TFG_FW_LINK_SEMIHOST
                                          : TFG_FW_LINK_UART;
    char *prog = o->emulator         ? tfg_xstrdup(o->emulator)
                 : t->emu == TFG_EMU_QEMU ? tfg_xstrdup("qemu-system-arm")
                                          : tfg_target_simavr_runner();
    c.prog = prog;
    c.elf = tfg_path_absolute(o->elf);
    if (c.link == TFG_FW_LINK_SEMIHOST && !t->semihosting)
        st = tfg_err_set(err, TFG_EUSAGE, "%s has no semihosting: use the UART link", t->machine);
    else if (!tfg_tool_on_path(prog))
        st = tfg_err_set(err, TFG_EPROC, "%s not found%s (%s); it runs the %s stand-in for "
                         "the %s", prog, strchr(prog, '/') ? "" : " on PATH",
                         t->emu == TFG_EMU_QEMU ? "Debian package qemu-system-arm"
                                                : "built with tinyforge, or set "
                                                  "TFG_SIMAVR_RUNNER",
                         t->machine, t->board_name);
    if (!st)
        st = run(&c, r, err);
    if (!st && !o->lines)
        summarise(o, r);
    tfg_proc_result_free(&c.pr);
    if (st) {
        tfg_fw_run_result_free(r);
        tfg_err_prefix(err, "%s on %s", t->board_id, t->machine);
    }
    free(prog);
    free(c.elf);
    return st;
}

void tfg_fw_run_result_free(tfg_fw_run_result *r)
{
    free(r->outputs);
    free(r->work);
    free(r->text);
    memset(r, 0, sizeof *r);
}

bool tfg_fw_sandbox_works(char *note, size_t n)
{
    if (!tfg_tool_on_path("bwrap")) {
        snprintf(note, n, "none: bwrap (Debian package bubblewrap) is not on PATH");
        return false;
    }
    const char *argv[] = {"bwrap", "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent",
                          "--", "/bin/true", NULL};
    tfg_proc_opts po = {.argv = argv, .timeout_s = 10};
    tfg_proc_result r;
    tfg_err e;
    bool ok = tfg_proc_run(&po, &r, &e) == TFG_OK && r.exited && r.exit_code == 0;
    if (ok)
        snprintf(note, n, "bubblewrap: all namespaces unshared (no network), host file system "
                 "read-only, the firmware bound in alone");
    else
        snprintf(note, n, "none: bwrap cannot create a sandbox here (%.120s)",
                 r.errout && *r.errout ? r.errout : "no user namespaces?");
    tfg_proc_result_free(&r);
    return ok;
}
