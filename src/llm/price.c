/* price.c — the price table: what a model's tokens cost, per 1 M input and output
 * tokens. The table is data (llm/prices.json, user-editable), never code: prices change
 * more often than tinyforge does. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/resource.h"
#include "llm/llm.h"

const char *tfg_llm_prices_default_path(void)
{
    static char *found;
    return tfg_resource_default(&found, "TINYFORGE_LLM_PRICES", "prices.json", "llm/prices.json");
}

void tfg_llm_prices_free(tfg_llm_prices *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i].model);
    free(p->v);
    free(p->currency);
    memset(p, 0, sizeof *p);
}

static tfg_status parse_model(const json_t *o, const char *model, const char *file,
                              tfg_llm_price *pr, tfg_err *err)
{
    static const char *const keys[] = {"input_per_1m", "output_per_1m", "note", NULL};
    char path[256];
    tfg_jpath_key(path, sizeof path, "models", model);
    tfg_jctx c = {file, path};
    if (!json_is_object(o))
        return tfg_err_field(err, TFG_EINPUT, file, path, "expected an object, got %s",
                             tfg_json_type_name(o));
    tfg_status st = tfg_jcheck_keys(o, keys, &c, err);
    if (!st)
        st = tfg_jget_num(o, "input_per_1m", true, 0.0, 1e6, &pr->in_per_1m, &c, err);
    if (!st)
        st = tfg_jget_num(o, "output_per_1m", true, 0.0, 1e6, &pr->out_per_1m, &c, err);
    return st;
}

tfg_status tfg_llm_prices_parse(const json_t *j, const char *file, tfg_llm_prices *p,
                                tfg_err *err)
{
    static const char *const keys[] = {"currency", "note", "source", "date", "models", NULL};
    memset(p, 0, sizeof *p);
    tfg_jctx c = {file, ""};
    if (!json_is_object(j))
        return tfg_err_field(err, TFG_EINPUT, file, "", "expected an object, got %s",
                             tfg_json_type_name(j));
    const char *cur = "USD";
    tfg_status st = tfg_jcheck_keys(j, keys, &c, err);
    if (!st)
        st = tfg_jget_str(j, "currency", false, &cur, &c, err);
    if (st)
        return st;
    const json_t *models = json_object_get(j, "models");
    if (!json_is_object(models))
        return tfg_err_field(err, TFG_EINPUT, file, "models",
                             "expected an object {\"MODEL\": {\"input_per_1m\": ..., "
                             "\"output_per_1m\": ...}}");
    p->currency = tfg_xstrdup(cur);
    p->v = tfg_xcalloc(json_object_size(models) + 1, sizeof *p->v);
    const char *model;
    const json_t *o;
    json_object_foreach((json_t *)models, model, o) {
        tfg_llm_price *pr = &p->v[p->n];
        if ((st = parse_model(o, model, file, pr, err))) {
            tfg_llm_prices_free(p);
            return st;
        }
        pr->model = tfg_xstrdup(model);
        p->n++;
    }
    return TFG_OK;
}

tfg_status tfg_llm_prices_load(const char *path, tfg_llm_prices *p, tfg_err *err)
{
    json_t *j;
    memset(p, 0, sizeof *p);
    tfg_status st = tfg_json_load_file(path, &j, err);
    if (st)
        return st;
    st = tfg_llm_prices_parse(j, path, p, err);
    json_decref(j);
    return st;
}

const tfg_llm_price *tfg_llm_price_find(const tfg_llm_prices *p, const char *model)
{
    for (size_t i = 0; p && i < p->n; i++)
        if (!strcmp(p->v[i].model, model))
            return &p->v[i];
    return NULL;
}

double tfg_llm_price_cost(const tfg_llm_price *pr, int64_t tokens_in, int64_t tokens_out)
{
    return (double)tokens_in * pr->in_per_1m / 1e6 + (double)tokens_out * pr->out_per_1m / 1e6;
}
