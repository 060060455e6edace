/* pilot.c — the loop: propose -> extract -> validate -> repair, then escalate along the
 * route. The conversation with one backend grows by the rejected reply and a repair
 * message (pilot/prompts/repair.md: the failure class and the validator's error), so a
 * model sees what was wrong; the next backend starts afresh. Backend failures that
 * asking again cannot fix (offline cache miss, unset key, budget used up) escalate at
 * once, and builtin, being deterministic, gets one attempt. Every attempt is one line
 * of <out>/llm/pilot.jsonl. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/io.h"
#include "core/json.h"
#include "pilot/pilot.h"
#include "spec/rundir.h"

struct tfg_pilot {
    tfg_pilot_opts o;
    char *prompts;                    /* the templates' directory */
    tfg_llm_run *run;
    char *log_path;                   /* <out>/llm/pilot.jsonl */
    const tfg_pilot_stage_def *cur;   /* the stage in progress (for the builtin handler) */
    void *cur_state;
};

char *tfg_pilot_log_path(const char *out)
{
    char *llm = tfg_rundir_llm(out);
    char *path = tfg_path_join(llm, "pilot.jsonl");
    free(llm);
    return path;
}

const tfg_pilot_opts *tfg_pilot_options(const tfg_pilot *p)
{
    return &p->o;
}

char *tfg_pilot_proposal_path(const tfg_pilot *p, const char *stage)
{
    char *llm = tfg_rundir_llm(p->o.out);
    char *path = tfg_xasprintf("%s/proposal-%s.json", llm, stage);
    free(llm);
    return path;
}

tfg_status tfg_pilot_load_summary(const tfg_pilot *p, json_t **out, tfg_err *err)
{
    char *path = tfg_rundir_path(p->o.out, TFG_ART_DATA_SUMMARY);
    tfg_status st = TFG_OK;
    if (!tfg_exists(path))
        st = tfg_err_set(err, TFG_EINPUT,
                         "%s: not found; the data stage must run first (tinyforge data SPEC)",
                         path);
    else
        st = tfg_json_load_file(path, out, err);
    free(path);
    return st;
}

/* The builtin backend's handler for every stage: the stage in progress answers. */
static tfg_status builtin_handler(const tfg_llm_request *req, char **reply, void *user,
                                  tfg_err *err)
{
    tfg_pilot *p = user;
    if (!p->cur || strcmp(p->cur->name, req->stage))
        return tfg_err_set(err, TFG_EINTERNAL, "builtin: stage '%s' is not in progress",
                           req->stage);
    return p->cur->builtin(p, p->cur_state, reply, err);
}

tfg_status tfg_pilot_open(tfg_pilot **out, const tfg_pilot_opts *opts, tfg_err *err)
{
    tfg_pilot *p = tfg_xcalloc(1, sizeof *p);
    p->o = *opts;
    p->prompts = tfg_xstrdup(opts->prompts_dir ? opts->prompts_dir
                                               : tfg_pilot_prompts_default_dir());
    p->log_path = tfg_pilot_log_path(opts->out);
    tfg_llm_run_opts ro = {.dir = opts->out, .config = opts->config, .prices = opts->prices,
                           .budget = opts->budget, .offline = opts->offline};
    /* per process, yet reproducible: parallel workers do not retry in lock-step */
    ro.jitter_seed = tfg_llm_jitter_seed(opts->spec ? (uint64_t)opts->spec->seed : 0,
                                         opts->worker);
    tfg_status st = tfg_mkdirs(opts->out, err);
    if (!st)
        st = tfg_llm_run_open(&p->run, &ro, err);
    if (st) {
        tfg_pilot_close(p);
        return st;
    }
    for (int i = 0; i < TFG_STAGE_COUNT; i++)
        if (tfg_pilot_stage_for((tfg_stage_id)i))
            tfg_llm_builtin_register(p->run, tfg_pilot_stage_for((tfg_stage_id)i)->name,
                                     builtin_handler, p);
    *out = p;
    return TFG_OK;
}

void tfg_pilot_close(tfg_pilot *p)
{
    if (!p)
        return;
    tfg_llm_run_close(p->run);
    free(p->prompts);
    free(p->log_path);
    free(p);
}

static double wall(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---- the log ----------------------------------------------------------------------- */

typedef struct {
    const char *stage, *backend, *outcome;
    int attempt, try_;
    tfg_pilot_class cls;
    const char *message;
    const tfg_llm_reply *reply; /* NULL when the call failed */
    const char *llm_data;
    const json_t *sent;
} log_rec;

static tfg_status log_write(const tfg_pilot *p, const log_rec *r, tfg_err *err)
{
    json_t *j = json_pack("{s:s, s:s, s:i, s:i, s:s, s:o, s:o}", "stage", r->stage, "backend",
                          r->backend, "attempt", r->attempt, "try", r->try_, "outcome",
                          r->outcome,
                          "class", r->cls ? json_string(tfg_pilot_class_name(r->cls)) : json_null(),
                          "message", r->message ? json_string(r->message) : json_null());
    const tfg_llm_reply *y = r->reply;
    json_object_set_new(j, "tokens_in", json_integer(y ? y->tokens_in : 0));
    json_object_set_new(j, "tokens_out", json_integer(y ? y->tokens_out : 0));
    json_object_set_new(j, "cost", !y ? json_real(0) : y->cost_known ? json_real(y->cost)
                                                                     : json_null());
    json_object_set_new(j, "latency_ms", json_real(y ? y->latency_ms : 0));
    json_object_set_new(j, "cached", json_boolean(y && y->cached));
    json_object_set_new(j, "request", json_string(y ? y->hash : ""));
    json_object_set_new(j, "llm_data", json_string(r->llm_data));
    json_object_set_new(j, "sent", json_deep_copy(r->sent));
    char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    char *line = tfg_xasprintf("%s\n", text);
    free(text);
    size_t n = strlen(line) - 1;
    tfg_status st = TFG_OK;
    int fd = open(p->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, line, n + 1) != (ssize_t)(n + 1))
        st = tfg_err_set(err, TFG_EIO, "%s: cannot append the pilot log", p->log_path);
    if (fd >= 0)
        close(fd);
    free(line);
    return st;
}

/* ---- the conversation ------------------------------------------------------------- */

typedef struct {
    tfg_llm_msg *v;
    char **owned;
    size_t n;
} convo;

static void convo_add(convo *c, const char *role, char *content)
{
    c->v = tfg_xreallocarray(c->v, c->n + 1, sizeof *c->v);
    c->owned = tfg_xreallocarray(c->owned, c->n + 1, sizeof *c->owned);
    c->owned[c->n] = content;
    c->v[c->n++] = (tfg_llm_msg){role, content};
}

static void convo_free(convo *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->owned[i]);
    free(c->owned);
    free(c->v);
    memset(c, 0, sizeof *c);
}

/* Failures that asking the same backend again cannot repair. */
static bool hopeless(tfg_llm_errclass c)
{
    return c == TFG_LLM_ERR_OFFLINE_MISS || c == TFG_LLM_ERR_CONFIG ||
           c == TFG_LLM_ERR_BUDGET || c == TFG_LLM_ERR_BUILTIN;
}

typedef struct {
    tfg_pilot *p;
    const tfg_pilot_stage_def *def;
    json_t *ctx, *sent;
    const char *llm_data;
    tfg_pilot_result *res;
    tfg_err last;          /* the last rejection, for the final error */
    tfg_pilot_class last_cls;
    int attempt;
} loop;

/* One backend: up to `attempts` proposals. Returns TFG_OK with *accepted set, or an
 * error no proposal can repair. */
static tfg_status ask_backend(loop *L, const char *backend, bool *accepted, tfg_err *err)
{
    tfg_pilot *p = L->p;
    int attempts = strcmp(backend, "builtin") ? p->o.policy->attempts : 1;
    convo c = {0};
    char *sys = NULL, *user = NULL;
    char name[96];
    snprintf(name, sizeof name, "%s.system.md", L->def->name);
    tfg_status st = tfg_pilot_render(p->prompts, name, L->ctx, &sys, err);
    snprintf(name, sizeof name, "%s.user.md", L->def->name);
    if (!st) st = tfg_pilot_render(p->prompts, name, L->ctx, &user, err);
    if (st) {
        free(sys);
        return st;
    }
    convo_add(&c, "system", sys);
    convo_add(&c, "user", user);
    *accepted = false;
    for (int t = 1; t <= attempts && !st && !*accepted; t++) {
        L->attempt++;
        L->res->attempts++;
        tfg_llm_request req = {.stage = L->def->name, .msgs = c.v, .n_msgs = c.n,
                               .format = L->def->format};
        tfg_llm_reply y;
        memset(&y, 0, sizeof y);
        tfg_err e;
        log_rec rec = {L->def->name, backend, NULL, L->attempt, t, TFG_PILOT_OK, NULL, NULL,
                       L->llm_data, L->sent};
        if (tfg_llm_call(p->run, backend, &req, &y, &e)) {
            rec.outcome = "backend_error";
            rec.cls = TFG_PILOT_BACKEND;
            rec.message = e.msg;
            L->res->classes[TFG_PILOT_BACKEND]++;
            L->last = e;
            L->last_cls = TFG_PILOT_BACKEND;
            st = log_write(p, &rec, err);
            tfg_llm_errclass why = y.error_class;
            tfg_llm_reply_free(&y);
            if (hopeless(why))
                break;
            continue;
        }
        L->res->tokens_in += y.tokens_in;
        L->res->tokens_out += y.tokens_out;
        L->res->cost += y.cost;
        L->res->llm_ms += y.latency_ms;
        tfg_pilot_class cls = TFG_PILOT_OK;
        tfg_err_clear(&e);
        st = L->def->validate(p, p->cur_state, y.content, &cls, &e);
        rec.reply = &y;
        if (st) {
            *err = e;
            rec.outcome = "error";
            rec.message = e.msg;
            log_write(p, &rec, NULL);
        } else if (cls == TFG_PILOT_OK) {
            *accepted = true;
            rec.outcome = "accepted";
            st = log_write(p, &rec, err);
        } else {
            rec.outcome = "rejected";
            rec.cls = cls;
            rec.message = e.msg;
            L->res->classes[cls]++;
            L->last = e;
            L->last_cls = cls;
            st = log_write(p, &rec, err);
            json_t *rc = json_deep_copy(L->ctx);
            tfg_pilot_ctx_set(rc, "class", "%s", tfg_pilot_class_name(cls));
            tfg_pilot_ctx_set(rc, "error", "%s", e.msg);
            tfg_pilot_ctx_set(rc, "attempt", "%d", t);
            tfg_pilot_ctx_set(rc, "attempts", "%d", attempts);
            char *repair = NULL;
            if (!st)
                st = tfg_pilot_render(p->prompts, "repair.md", rc, &repair, err);
            json_decref(rc);
            if (!st) {
                convo_add(&c, "assistant", tfg_xstrdup(y.content));
                convo_add(&c, "user", repair);
            }
        }
        tfg_llm_reply_free(&y);
    }
    convo_free(&c);
    return st;
}

tfg_status tfg_pilot_run_stage(tfg_pilot *p, const char *stage, tfg_pilot_result *res,
                               tfg_err *err)
{
    memset(res, 0, sizeof *res);
    const tfg_pilot_stage_def *def = tfg_pilot_stage_find(stage);
    if (!def)
        return tfg_err_set(err, TFG_EUSAGE, "the pilot serves no stage '%s'", stage);
    stage = def->name; /* an old name ("model") means the stage of today's name */
    static const tfg_pilot_route builtin_only = {"builtin", {"builtin"}, 1};
    const tfg_pilot_route *route = tfg_pilot_policy_route(p->o.policy, stage);
    if (!route)
        route = &builtin_only;
    double t0 = wall();
    loop L = {.p = p, .def = def, .res = res, .ctx = json_object(), .sent = json_array(),
              .llm_data = tfg_llm_data_name(p->o.policy->llm_data)};
    tfg_pilot_ctx_set(L.ctx, "stage", "%s", stage);
    tfg_pilot_ctx_set(L.ctx, "llm_data", "%s", L.llm_data);
    void *state = NULL;
    tfg_status st = def->prepare(p, &state, L.ctx, L.sent, err);
    p->cur = def;
    p->cur_state = state;
    bool accepted = false;
    for (size_t i = 0; !st && !accepted && i < route->n; i++) {
        if (i > 0)
            res->escalations++;
        st = ask_backend(&L, route->backends[i], &accepted, err);
        if (accepted)
            snprintf(res->backend, sizeof res->backend, "%s", route->backends[i]);
    }
    p->cur = NULL;
    p->cur_state = NULL;
    if (def->done)
        def->done(state);
    res->ok = accepted;
    res->seconds = wall() - t0;
    if (!st && !accepted) {
        char backends[256] = "";
        for (size_t i = 0; i < route->n; i++) {
            size_t u = strlen(backends);
            snprintf(backends + u, sizeof backends - u, "%s%s", i ? ", " : "",
                     route->backends[i]);
        }
        st = tfg_err_set(err, TFG_ECHECK,
                         "stage '%s': no proposal accepted in %d attempts (backends: %s); the "
                         "last was rejected as %s: %s",
                         stage, res->attempts, backends, tfg_pilot_class_name(L.last_cls),
                         L.last.msg);
    }
    json_decref(L.ctx);
    json_decref(L.sent);
    return st;
}
