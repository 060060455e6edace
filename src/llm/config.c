/* config.c — the backends a run may use, read from a JSON object
 * {"NAME": {"type": "openai"|"ollama"|"builtin", "base_url", "model", "key_env", ...}}.
 *
 * The config names the environment variable that holds a key, never the key itself, so
 * a config file can be committed and shared. A base URL that carries credentials
 * (user:password@ or a query string) is refused: URLs appear in error messages, and a
 * key must not. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/io.h"
#include "core/json.h"
#include "core/strutil.h"
#include "llm/llm.h"

static const char *const type_names[] = {"openai", "ollama", "builtin", NULL};

const char *tfg_llm_type_name(tfg_llm_type t)
{
    return (unsigned)t < 3 ? type_names[t] : "?";
}

static void backend_init(tfg_llm_backend *b, const char *name, tfg_llm_type type)
{
    memset(b, 0, sizeof *b);
    b->name = tfg_xstrdup(name);
    b->type = type;
    b->timeout_connect_ms = TFG_LLM_TIMEOUT_CONNECT_MS;
    b->timeout_ms = TFG_LLM_TIMEOUT_MS;
    b->retries = TFG_LLM_RETRIES;
    b->deadline_ms = TFG_LLM_DEADLINE_MS;
}

static void backend_free(tfg_llm_backend *b)
{
    free(b->name);
    free(b->base_url);
    free(b->model);
    free(b->key_env);
}

void tfg_llm_config_default(tfg_llm_config *cfg)
{
    cfg->n = 1;
    cfg->v = tfg_xcalloc(1, sizeof *cfg->v);
    backend_init(&cfg->v[0], "builtin", TFG_LLM_BUILTIN);
    cfg->v[0].model = tfg_xstrdup("builtin");
}

void tfg_llm_config_free(tfg_llm_config *cfg)
{
    for (size_t i = 0; i < cfg->n; i++)
        backend_free(&cfg->v[i]);
    free(cfg->v);
    cfg->v = NULL;
    cfg->n = 0;
}

/* http(s)://authority[/path] with no userinfo, query or fragment. */
static tfg_status check_url(const char *url, const tfg_jctx *c, tfg_err *err)
{
    char path[256];
    tfg_jpath_key(path, sizeof path, c->path, "base_url");
    const char *rest = NULL;
    if (!strncmp(url, "http://", 7))
        rest = url + 7;
    else if (!strncmp(url, "https://", 8))
        rest = url + 8;
    if (!rest || !*rest || *rest == '/')
        return tfg_err_field(err, TFG_EINPUT, c->file, path,
                             "expected an http:// or https:// URL with a host");
    size_t auth = strcspn(rest, "/");
    if (memchr(rest, '@', auth))
        return tfg_err_field(err, TFG_EINPUT, c->file, path,
                             "the URL must not carry credentials (user@host); put the key in "
                             "the environment variable named by key_env");
    if (strpbrk(url, "?# \t\r\n"))
        return tfg_err_field(err, TFG_EINPUT, c->file, path,
                             "the URL must not have a query, fragment or spaces (a key in a "
                             "URL would leak into messages); use key_env");
    return TFG_OK;
}

/* An environment variable name: letters, digits, '_', not starting with a digit. */
static bool env_name_ok(const char *s)
{
    if (!*s || (*s >= '0' && *s <= '9'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
              (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

static tfg_status parse_strings(const json_t *o, tfg_llm_backend *b, const tfg_jctx *c,
                                tfg_err *err)
{
    const char *url = NULL, *model = NULL, *key_env = NULL;
    bool http = b->type != TFG_LLM_BUILTIN;
    tfg_status st = tfg_jget_str(o, "base_url", http, &url, c, err);
    if (!st)
        st = tfg_jget_str(o, "model", http, &model, c, err);
    if (!st)
        st = tfg_jget_str(o, "key_env", false, &key_env, c, err);
    if (st)
        return st;
    if (url && (st = check_url(url, c, err)))
        return st;
    if (key_env && !env_name_ok(key_env)) {
        char path[256];
        tfg_jpath_key(path, sizeof path, c->path, "key_env");
        return tfg_err_field(err, TFG_EINPUT, c->file, path,
                             "expected the NAME of an environment variable (letters, digits, "
                             "'_'), not the key itself");
    }
    if (url) {
        size_t n = strlen(url);
        while (n > 0 && url[n - 1] == '/')
            n--; /* "http://h:1/" and "http://h:1" name the same endpoint */
        b->base_url = tfg_xstrndup(url, n);
    }
    b->model = tfg_xstrdup(model ? model : "builtin");
    b->key_env = key_env ? tfg_xstrdup(key_env) : NULL;
    return TFG_OK;
}

static tfg_status parse_numbers(const json_t *o, tfg_llm_backend *b, const tfg_jctx *c,
                                tfg_err *err)
{
    tfg_status st = tfg_jget_int(o, "timeout_connect_ms", false, 1, 600000,
                                 &b->timeout_connect_ms, c, err);
    if (!st)
        st = tfg_jget_int(o, "timeout_ms", false, 1, 3600000, &b->timeout_ms, c, err);
    if (!st)
        st = tfg_jget_int(o, "retries", false, 0, 20, &b->retries, c, err);
    if (!st)
        st = tfg_jget_int(o, "deadline_ms", false, 1, 86400000, &b->deadline_ms, c, err);
    if (st)
        return st;
    b->has_temperature = json_object_get(o, "temperature") != NULL;
    b->has_max_tokens = json_object_get(o, "max_tokens") != NULL;
    b->has_seed = json_object_get(o, "seed") != NULL;
    st = tfg_jget_num(o, "temperature", false, 0.0, 2.0, &b->temperature, c, err);
    if (!st)
        st = tfg_jget_int(o, "max_tokens", false, 1, 10000000, &b->max_tokens, c, err);
    if (!st)
        st = tfg_jget_int(o, "seed", false, INT32_MIN, INT32_MAX, &b->seed, c, err);
    return st;
}

static tfg_status parse_backend(const json_t *o, const char *name, const tfg_jctx *c,
                                tfg_llm_backend *b, tfg_err *err)
{
    static const char *const keys[] = {"type", "base_url", "model", "key_env",
                                       "timeout_connect_ms", "timeout_ms", "retries",
                                       "deadline_ms", "temperature", "max_tokens", "seed",
                                       NULL};
    if (!json_is_object(o))
        return tfg_err_field(err, TFG_EINPUT, c->file, c->path, "expected an object, got %s",
                             tfg_json_type_name(o));
    tfg_status st = tfg_jcheck_keys(o, keys, c, err);
    int type = 0;
    if (!st)
        st = tfg_jget_enum(o, "type", true, type_names, &type, c, err);
    if (st)
        return st;
    backend_init(b, name, (tfg_llm_type)type);
    st = parse_strings(o, b, c, err);
    if (!st)
        st = parse_numbers(o, b, c, err);
    return st;
}

tfg_status tfg_llm_config_parse(const json_t *obj, const char *file, tfg_llm_config *cfg,
                                tfg_err *err)
{
    return tfg_llm_config_parse_at(obj, file, "", cfg, err);
}

tfg_status tfg_llm_config_parse_at(const json_t *obj, const char *file, const char *at,
                                   tfg_llm_config *cfg, tfg_err *err)
{
    tfg_llm_config_default(cfg);
    if (!json_is_object(obj)) {
        tfg_llm_config_free(cfg);
        return tfg_err_field(err, TFG_EINPUT, file, at,
                             "expected an object of backends {\"NAME\": {\"type\": ...}}, got %s",
                             tfg_json_type_name(obj));
    }
    cfg->v = tfg_xreallocarray(cfg->v, json_object_size(obj) + 1, sizeof *cfg->v);
    const char *name;
    const json_t *o;
    json_object_foreach((json_t *)obj, name, o) {
        char path[256];
        tfg_jpath_key(path, sizeof path, at, name);
        tfg_jctx c = {file, path};
        tfg_llm_backend b = {0};
        tfg_status st = parse_backend(o, name, &c, &b, err);
        if (st) {
            backend_free(&b);
            tfg_llm_config_free(cfg);
            return st;
        }
        if (!strcmp(name, "builtin")) { /* the config may tune the builtin entry */
            backend_free(&cfg->v[0]);
            cfg->v[0] = b;
        } else {
            cfg->v[cfg->n++] = b;
        }
    }
    return TFG_OK;
}

tfg_status tfg_llm_config_load(const char *path, tfg_llm_config *cfg, tfg_err *err)
{
    json_t *j;
    tfg_status st = tfg_json_load_file(path, &j, err);
    if (st)
        return st;
    st = tfg_llm_config_parse(j, path, cfg, err);
    json_decref(j);
    return st;
}

const tfg_llm_backend *tfg_llm_config_find(const tfg_llm_config *cfg, const char *name,
                                           tfg_err *err)
{
    for (size_t i = 0; i < cfg->n; i++)
        if (!strcmp(cfg->v[i].name, name))
            return &cfg->v[i];
    const char **names = tfg_xcalloc(cfg->n + 1, sizeof *names);
    for (size_t i = 0; i < cfg->n; i++)
        names[i] = cfg->v[i].name;
    const char *near = tfg_closest(name, names);
    char list[512];
    tfg_join(list, sizeof list, names, ", ");
    if (near)
        tfg_err_set(err, TFG_EINPUT, "no LLM backend '%s'; did you mean '%s'? (configured: %s)",
                    name, near, list);
    else
        tfg_err_set(err, TFG_EINPUT, "no LLM backend '%s' (configured: %s)", name, list);
    free(names);
    return NULL;
}

tfg_status tfg_llm_config_load_default(const char *explicit_path, tfg_llm_config *cfg,
                                       char **used, tfg_err *err)
{
    *used = NULL;
    const char *env = getenv("TINYFORGE_LLM_CONFIG");
    const char *home = getenv("HOME");
    char *path = NULL;
    if (explicit_path)
        path = tfg_xstrdup(explicit_path);
    else if (env && *env)
        path = tfg_xstrdup(env);
    else if (home && *home) {
        path = tfg_xasprintf("%s/.config/tinyforge/llm.json", home);
        if (!tfg_exists(path)) {
            free(path);
            path = NULL;
        }
    }
    if (!path) {
        tfg_llm_config_default(cfg);
        return TFG_OK;
    }
    tfg_status st = tfg_llm_config_load(path, cfg, err);
    if (st)
        free(path);
    else
        *used = path;
    return st;
}
