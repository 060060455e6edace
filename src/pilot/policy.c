/* policy.c — the spec's "routing" section: which backends serve which stage, in which
 * order (a cheap model for spec and data, a strong one for the sketch, builtin for
 * what must be exact), how many attempts each backend gets, what data context a
 * prompt may carry, and the train stage's accuracy floor. Every route ends at
 * "builtin", so a run always has a deterministic last resort. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "pilot/policy.h"
#include "pilot/stages.h"

static const char *const llm_data_names[] = {"none", "profile", "sample_rows", NULL};

const char *tfg_llm_data_name(tfg_llm_data d)
{
    return llm_data_names[d];
}

void tfg_pilot_policy_default(tfg_pilot_policy *p)
{
    memset(p, 0, sizeof *p);
    p->attempts = TFG_PILOT_ATTEMPTS;
    p->llm_data = TFG_LLM_DATA_PROFILE;
    p->builtin_margin = TFG_PILOT_BUILTIN_MARGIN;
}

void tfg_pilot_policy_free(tfg_pilot_policy *p)
{
    for (size_t i = 0; i < p->n_routes; i++) {
        free(p->routes[i].stage);
        for (size_t k = 0; k < p->routes[i].n; k++)
            free(p->routes[i].backends[k]);
    }
    free(p->routes);
    memset(p, 0, sizeof *p);
}

static tfg_pilot_route *add_route(tfg_pilot_policy *p, const char *stage)
{
    p->routes = tfg_xreallocarray(p->routes, p->n_routes + 1, sizeof *p->routes);
    tfg_pilot_route *r = &p->routes[p->n_routes++];
    memset(r, 0, sizeof *r);
    r->stage = tfg_xstrdup(stage);
    return r;
}

static void end_with_builtin(tfg_pilot_route *r)
{
    if (r->n == 0 || strcmp(r->backends[r->n - 1], "builtin"))
        r->backends[r->n++] = tfg_xstrdup("builtin");
}

/* routing[key] (key: the stage's name, or its old name) as the route of stage. */
static tfg_status parse_route(const json_t *v, const char *file, const char *key,
                              const char *stage, const tfg_llm_config *config,
                              tfg_pilot_policy *p, tfg_err *err)
{
    char path[128];
    snprintf(path, sizeof path, "routing.%s", key);
    if (json_is_string(v)) {
        json_t *a = json_pack("[O]", v);
        tfg_status st = parse_route(a, file, key, stage, config, p, err);
        json_decref(a);
        return st;
    }
    if (!json_is_array(v) || json_array_size(v) == 0)
        return tfg_err_field(err, TFG_EINPUT, file, path,
                             "expected a list of backend names, e.g. [\"cheap\", \"builtin\"]");
    if (json_array_size(v) >= TFG_PILOT_MAX_ROUTE)
        return tfg_err_field(err, TFG_EINPUT, file, path, "at most %d backends in a route",
                             TFG_PILOT_MAX_ROUTE - 1);
    tfg_pilot_route *r = add_route(p, stage);
    size_t i;
    const json_t *b;
    json_array_foreach(v, i, b) {
        char bp[160];
        tfg_jpath_index(bp, sizeof bp, path, i);
        if (!json_is_string(b))
            return tfg_err_field(err, TFG_EINPUT, file, bp, "expected a backend name");
        const char *name = json_string_value(b);
        tfg_err e2;
        if (config && !tfg_llm_config_find(config, name, &e2))
            return tfg_err_field(err, TFG_EINPUT, file, bp, "%s", e2.msg);
        r->backends[r->n++] = tfg_xstrdup(name);
    }
    end_with_builtin(r);
    return TFG_OK;
}

tfg_status tfg_pilot_policy_parse(const json_t *routing, const char *file,
                                  const tfg_llm_config *config, tfg_pilot_policy *p,
                                  tfg_err *err)
{
    /* the routed stages (those with a pilot entry), the old name of one, the settings */
    const char *keys[TFG_STAGE_COUNT + 6];
    size_t nk = 0;
    for (int i = 0; i < TFG_STAGE_COUNT; i++)
        if (tfg_pilot_stage_for((tfg_stage_id)i))
            keys[nk++] = tfg_stage_name((tfg_stage_id)i);
    size_t n_routed = nk;
    keys[nk++] = "model";
    keys[nk++] = "attempts";
    keys[nk++] = "llm_data";
    keys[nk++] = "min_accuracy";
    keys[nk++] = "builtin_margin";
    keys[nk] = NULL;
    tfg_pilot_policy_default(p);
    if (!routing)
        return TFG_OK;
    tfg_jctx c = {file, "routing"};
    if (!json_is_object(routing))
        return tfg_err_field(err, TFG_EINPUT, file, "routing", "expected an object");
    tfg_status st = tfg_jcheck_keys(routing, keys, &c, err);
    int64_t attempts = p->attempts;
    int llm_data = (int)p->llm_data;
    if (!st) st = tfg_jget_int(routing, "attempts", false, 1, 50, &attempts, &c, err);
    if (!st) st = tfg_jget_enum(routing, "llm_data", false, llm_data_names, &llm_data, &c, err);
    if (!st) st = tfg_jget_num(routing, "min_accuracy", false, 0, 1, &p->min_accuracy, &c, err);
    if (!st)
        st = tfg_jget_num(routing, "builtin_margin", false, 0, 1, &p->builtin_margin, &c, err);
    if (!st && json_object_get(routing, "train") && json_object_get(routing, "model"))
        st = tfg_err_field(err, TFG_EINPUT, file, "routing.model",
                           "\"model\" is the old name of \"train\"; give one of them");
    for (size_t i = 0; !st && i < n_routed; i++) {
        const char *key = keys[i];
        const json_t *v = json_object_get(routing, key);
        if (!v && !strcmp(key, "train") && (v = json_object_get(routing, "model")))
            key = "model";
        if (v)
            st = parse_route(v, file, key, keys[i], config, p, err);
    }
    p->attempts = (int)attempts;
    p->llm_data = (tfg_llm_data)llm_data;
    if (st)
        tfg_pilot_policy_free(p);
    return st;
}

tfg_status tfg_pilot_policy_from_spec(const tfg_spec *s, const tfg_llm_config *config,
                                      tfg_pilot_policy *p, tfg_err *err)
{
    return tfg_pilot_policy_parse(json_object_get(s->json, "routing"), s->path, config, p,
                                  err);
}

void tfg_pilot_policy_route_all(tfg_pilot_policy *p, const char *backend, bool only_backend)
{
    for (size_t i = 0; i < p->n_routes; i++) {
        for (size_t k = 0; k < p->routes[i].n; k++)
            free(p->routes[i].backends[k]);
        free(p->routes[i].stage);
    }
    p->n_routes = 0;
    for (int i = 0; i < TFG_STAGE_COUNT; i++) {
        if (!tfg_pilot_stage_for((tfg_stage_id)i))
            continue;
        tfg_pilot_route *r = add_route(p, tfg_stage_name((tfg_stage_id)i));
        r->backends[r->n++] = tfg_xstrdup(backend);
        if (!only_backend)
            end_with_builtin(r);
    }
}

const tfg_pilot_route *tfg_pilot_policy_route(const tfg_pilot_policy *p, const char *stage)
{
    for (size_t i = 0; i < p->n_routes; i++)
        if (!strcmp(p->routes[i].stage, stage))
            return &p->routes[i];
    return NULL;
}

tfg_status tfg_pilot_config_load(const tfg_spec *s, const char *explicit_path,
                                 tfg_llm_config *cfg, tfg_err *err)
{
    const json_t *b = s ? json_object_get(s->json, "backends") : NULL;
    if (b)
        return tfg_llm_config_parse_at(b, s->path, "backends", cfg, err);
    char *used = NULL;
    tfg_status st = tfg_llm_config_load_default(explicit_path, cfg, &used, err);
    free(used);
    return st;
}
