/* pilot.h — the pilot: LLM-assisted stages with strict validators, a repair loop and
 * routing (DESIGN.md, "Who produces what: the pilot").
 *
 * For one stage the pilot renders the stage's prompt templates (pilot/prompts/) with
 * the context the stage needs, asks the first backend of the stage's route for a
 * proposal, extracts the JSON (or C) from the reply, and hands it to the stage's
 * validator. A rejected proposal goes back to the same backend with the validator's
 * error, up to `attempts` times; then the next backend of the route is asked. Every
 * route ends at "builtin", whose deterministic handlers (the builtin planner, chooser,
 * default settings, a rule-based spec writer) answer through exactly the same
 * propose -> validate path. Every attempt is one line of <out>/llm/pilot.jsonl, next to
 * the LLM layer's trace.
 *
 * Nothing a backend writes is executed on the host: plans, architectures and settings
 * are data that the stage libraries check and run. This layer prints nothing. */
#ifndef TFG_PILOT_PILOT_H
#define TFG_PILOT_PILOT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/progress.h"
#include "llm/llm.h"
#include "spec/rundir.h"
#include "spec/spec.h"

/* ---- failure classes (issue 8, part 3) --------------------------------------------- */

typedef enum {
    TFG_PILOT_OK = 0,      /* accepted */
    TFG_PILOT_BACKEND,     /* timeout, HTTP error, malformed API reply, offline miss */
    TFG_PILOT_FORMAT,      /* no JSON / no code / not the expected schema */
    TFG_PILOT_SPEC,        /* spec or plan error: unknown op, missing column, bad args */
    TFG_PILOT_COMPILE,     /* (sketch) syntax, missing include or function, wrong API */
    TFG_PILOT_MISUSE,      /* embedded-ML misuse: shapes, arena, quantization parameters */
    TFG_PILOT_BUDGET,      /* does not fit the board's flash/RAM/latency */
    TFG_PILOT_SILENT,      /* runs, but wrong/constant results or a claim not backed */
    TFG_PILOT_UNSAFE,      /* host paths, code execution, anything outside the sandbox */
    TFG_PILOT_CLASSES
} tfg_pilot_class;

/* "ok", "backend", "format", "spec", "compile", "misuse", "budget", "silent", "unsafe". */
const char *tfg_pilot_class_name(tfg_pilot_class c);
/* -1 when name is not a class name. */
int tfg_pilot_class_parse(const char *name);

/* ---- extraction (extract.c) -------------------------------------------------------- */

/* The first JSON object in a reply: a ```json (or bare ```) fenced block that parses,
 * else the first balanced {...} that parses. NULL (err set, TFG_EINPUT) if none. */
tfg_status tfg_pilot_extract_json(const char *reply, json_t **out, tfg_err *err);
/* The C source of a reply: the first ```c / ```cpp / ``` fenced block, else the whole
 * reply when it looks like C (a brace and a semicolon). A new string, or TFG_EINPUT. */
tfg_status tfg_pilot_extract_code(const char *reply, char **out, tfg_err *err);

/* Host paths and execution in data that must hold none (plans, architectures,
 * settings): an absolute path, "..", "~/", a file:// URL, or a key such as "path",
 * "file", "command", "exec", "shell", "url". TFG_ECHECK naming the field, else OK. */
tfg_status tfg_pilot_scan_unsafe(const json_t *j, const char *what, tfg_err *err);

/* ---- prompts (prompt.c) ------------------------------------------------------------ */

/* $TINYFORGE_PROMPTS, else prompts/ found by core/resource.h ($TINYFORGE_HOME, the
 * install, the source tree's pilot/prompts). */
const char *tfg_pilot_prompts_default_dir(void);
/* Reads <dir>/<name> and replaces every {{key}} by the string ctx[key] (a missing key
 * is an error naming the template and the key: a template must not ask for context the
 * stage does not give). A new string in *out. */
tfg_status tfg_pilot_render(const char *dir, const char *name, const json_t *ctx, char **out,
                            tfg_err *err);

/* ---- policy: the spec's "routing" section (policy.c) ------------------------------- */

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
} tfg_pilot_policy;

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

/* ---- the pilot (pilot.c) ----------------------------------------------------------- */

typedef struct {
    const char *out;                /* run directory: stage artifacts, <out>/llm/ */
    const tfg_spec *spec;           /* NULL only when the spec stage alone is run */
    const tfg_boards *boards;       /* the board table (spec stage, quantize spec copy) */
    const tfg_llm_config *config;   /* borrowed */
    const tfg_llm_prices *prices;   /* borrowed; NULL: costs unknown */
    const tfg_pilot_policy *policy; /* borrowed */
    tfg_llm_budget budget;
    bool offline;                   /* answer only from the LLM cache (builtin still runs) */
    const char *prompts_dir;        /* NULL: tfg_pilot_prompts_default_dir() */
    /* spec stage */
    const char *request;            /* the request in plain words */
    const char *data_file;          /* the data the spec must read: a CSV or IDX images */
    const char *labels_file;        /* IDX images: their labels file (NULL for a CSV) */
    const char *test_file;          /* optional: data kept whole as the test split */
    const char *test_labels_file;   /* IDX test images: their labels file */
    const char *spec_out;           /* where the accepted spec is written */
    /* train stage */
    uint32_t epochs;                /* overrides training.epochs when > 0 */
    const char *train_cache;        /* NULL, or a directory of finished trainings keyed by
                                       their inputs (nn/stage.h): repeated validations of
                                       one architecture on one data set train once */
    /* sketch stage */
    size_t sketch_samples;          /* test samples streamed per pass (0: every one) */
    tfg_progress *progress;         /* may be NULL */
} tfg_pilot_opts;

typedef struct tfg_pilot tfg_pilot;

/* What one stage's loop did. */
typedef struct {
    bool ok;                       /* a proposal was accepted */
    char backend[64];              /* the backend whose proposal was accepted */
    int attempts;                  /* proposals asked for, over the whole route */
    int escalations;               /* backends given up on */
    int classes[TFG_PILOT_CLASSES];/* rejected attempts per class */
    int64_t tokens_in, tokens_out;
    double cost;
    double llm_ms;                 /* sum of the calls' latencies */
    double seconds;                /* wall time of the stage: proposals and validation */
} tfg_pilot_result;

tfg_status tfg_pilot_open(tfg_pilot **out, const tfg_pilot_opts *opts, tfg_err *err);
void tfg_pilot_close(tfg_pilot *p);

/* Runs one stage ("spec", "data", "train", "quantize", "sketch") until
 * a proposal is accepted and its artifacts are published. TFG_ECHECK when every backend
 * of the route failed (the last validator error is in err); other codes for errors that
 * no proposal can repair (I/O, a bad route). res is filled either way. */
tfg_status tfg_pilot_run_stage(tfg_pilot *p, const char *stage, tfg_pilot_result *res,
                               tfg_err *err);

/* <out>/llm/pilot.jsonl (a new string). */
char *tfg_pilot_log_path(const char *out);

/* ---- stages: the hook a new stage plugs into (stages.c) ---------------------------- */

/* A stage the pilot can serve: the `pilot` field of its entry in the lifecycle table
 * (lifecycle.h), in a file of its own (stage_sketch.c: context from the build stage,
 * builtin = the sketch template, validate = compile + run on the emulated board, with
 * tfg_pilot_extract_code). */
typedef struct tfg_pilot_stage_def {
    const char *name;        /* route key, prompt stem (<name>.system.md, <name>.user.md),
                                LLM stage label */
    tfg_llm_format format;   /* what the request asks for (JSON, or TEXT for code) */
    /* Fills ctx (an object of strings, the prompt placeholders) and prepares whatever
     * the builtin and the validator need (kept in *state, freed by done). sent gets
     * the names of the data-derived fields that went into ctx under the llm_data
     * policy (recorded in the log). */
    tfg_status (*prepare)(tfg_pilot *p, void **state, json_t *ctx, json_t *sent,
                          tfg_err *err);
    /* The builtin backend's reply (deterministic). */
    tfg_status (*builtin)(tfg_pilot *p, void *state, char **reply, tfg_err *err);
    /* Checks a reply. TFG_OK with *cls == TFG_PILOT_OK: accepted and published. TFG_OK
     * with another class: rejected, err holds the validator's message (sent back to the
     * backend). Another status: an error no proposal can repair. */
    tfg_status (*validate)(tfg_pilot *p, void *state, const char *reply,
                           tfg_pilot_class *cls, tfg_err *err);
    void (*done)(void *state);
} tfg_pilot_stage_def;

/* The pilot entry of a stage, or NULL when nothing of that stage is proposed; by its id
 * or its name (or an old name: spec/rundir.h). */
const tfg_pilot_stage_def *tfg_pilot_stage_for(tfg_stage_id id);
const tfg_pilot_stage_def *tfg_pilot_stage_find(const char *name);

/* What a stage implementation may read of the pilot. */
const tfg_pilot_opts *tfg_pilot_options(const tfg_pilot *p);

#endif
