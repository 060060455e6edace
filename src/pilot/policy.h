/* policy.h — the spec's "routing" section: which backends serve which stage, the
 * attempts per backend, what data a prompt may carry (policy.c). */
#ifndef TFG_PILOT_POLICY_H
#define TFG_PILOT_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "llm/llm.h"
#include "spec/spec.h"

typedef enum { TFG_LLM_DATA_NONE, TFG_LLM_DATA_PROFILE, TFG_LLM_DATA_SAMPLE_ROWS } tfg_llm_data;

#define TFG_PILOT_ATTEMPTS 5
#define TFG_PILOT_MAX_ROUTE 8

typedef struct {
    char *stage;
    char *backends[TFG_PILOT_MAX_ROUTE]; /* ends with "builtin" (appended if absent) */
    size_t n;
} tfg_pilot_route;

typedef struct {
    tfg_pilot_route *routes; /* stages without an entry are served by builtin alone */
    size_t n_routes;
    int attempts;            /* per backend (default 5) */
    tfg_llm_data llm_data;   /* what data context prompts may carry (default profile) */
    double min_accuracy;     /* train stage floor on the validation split (0: none beyond
                                beating the most common class) */
    double builtin_margin;   /* and a proposal's floor is the builtin chooser's validation
                                accuracy minus this (default TFG_PILOT_BUILTIN_MARGIN;
                                1 turns it off) */
} tfg_pilot_policy;

/* 5 points: a proposal may be smaller or faster than the builtin's network, not much
 * worse (issue 22: 68 % was accepted where the builtin reaches 100 %). */
#define TFG_PILOT_BUILTIN_MARGIN 0.05

/* "routing": {"spec": ["cheap", "builtin"], "data": [...], "train": [...],
 * "quantize": [...], "sketch": [...], "attempts": 5, "llm_data": "profile",
 * "min_accuracy": 0.9}: a route for every stage the lifecycle table gives a pilot entry
 * ("model", the first release's name of "train", is still read as "train"). Backend
 * names are checked against config when it is given. */
tfg_status tfg_pilot_policy_parse(const json_t *routing, const char *file,
                                  const tfg_llm_config *config, tfg_pilot_policy *p,
                                  tfg_err *err);
/* From a spec (its "routing" section, or the defaults when it has none). */
tfg_status tfg_pilot_policy_from_spec(const tfg_spec *s, const tfg_llm_config *config,
                                      tfg_pilot_policy *p, tfg_err *err);
void tfg_pilot_policy_default(tfg_pilot_policy *p);
/* Routes every stage to {backend, then builtin unless only_backend}. */
void tfg_pilot_policy_route_all(tfg_pilot_policy *p, const char *backend, bool only_backend);
const tfg_pilot_route *tfg_pilot_policy_route(const tfg_pilot_policy *p, const char *stage);
void tfg_pilot_policy_free(tfg_pilot_policy *p);
const char *tfg_llm_data_name(tfg_llm_data d);

/* The backends a spec's run uses: its "backends" section when it has one, else the
 * config file (explicit path, $TINYFORGE_LLM_CONFIG, ~/.config/tinyforge/llm.json). */
tfg_status tfg_pilot_config_load(const tfg_spec *s, const char *explicit_path,
                                 tfg_llm_config *cfg, tfg_err *err);

#endif
