/* manifest.c — stage manifests: input and output hashes (see manifest.h). */
#include "core/manifest.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/hash.h"
#include "core/io.h"
#include "core/json.h"

void tfg_manifest_init(tfg_manifest *m, const char *stage)
{
    m->j = json_pack("{s:s, s:s, s:{}, s:{}, s:{}}", "stage", stage, "tinyforge", TFG_VERSION,
                     "inputs", "outputs", "notes");
}

void tfg_manifest_free(tfg_manifest *m)
{
    json_decref(m->j);
    m->j = NULL;
}

tfg_status tfg_manifest_input_file(tfg_manifest *m, const char *label, const char *path,
                                   tfg_err *err)
{
    char hex[TFG_SHA256_HEX];
    tfg_status st = tfg_sha256_file(path, hex, err);
    if (!st)
        json_object_set_new(json_object_get(m->j, "inputs"), label, json_string(hex));
    return st;
}

void tfg_manifest_input_text(tfg_manifest *m, const char *label, const char *text)
{
    char hex[TFG_SHA256_HEX];
    tfg_sha256_hex(text, strlen(text), hex);
    json_object_set_new(json_object_get(m->j, "inputs"), label, json_string(hex));
}

void tfg_manifest_note(tfg_manifest *m, const char *key, const char *value)
{
    json_object_set_new(json_object_get(m->j, "notes"), key, json_string(value));
}

tfg_status tfg_manifest_add_outputs(tfg_manifest *m, const char *dir, tfg_err *err)
{
    char **names = NULL;
    size_t n = 0;
    tfg_status st = tfg_list_files(dir, "", &names, &n, err);
    json_t *outs = json_object_get(m->j, "outputs");
    for (size_t i = 0; !st && i < n; i++) {
        if (!strcmp(names[i], "manifest.json"))
            continue;
        char *p = tfg_path_join(dir, names[i]);
        char hex[TFG_SHA256_HEX];
        st = tfg_sha256_file(p, hex, err);
        if (!st)
            json_object_set_new(outs, names[i], json_string(hex));
        free(p);
    }
    tfg_strv_free(names);
    return st;
}

tfg_status tfg_manifest_write(const tfg_manifest *m, const char *dir, tfg_err *err)
{
    char *p = tfg_path_join(dir, "manifest.json");
    tfg_status st = tfg_json_write_file(p, m->j, err);
    free(p);
    return st;
}

bool tfg_manifest_load(const char *dir, tfg_manifest *out)
{
    out->j = NULL;
    char *p = tfg_path_join(dir, "manifest.json");
    json_t *j = NULL;
    tfg_err err;
    bool ok = tfg_exists(p) && tfg_json_load_file(p, &j, &err) == TFG_OK;
    free(p);
    if (ok && (!json_is_object(json_object_get(j, "inputs")) ||
               !json_is_object(json_object_get(j, "outputs")))) {
        json_decref(j);
        ok = false;
    }
    out->j = ok ? j : NULL;
    return ok;
}

const char *tfg_manifest_get_note(const tfg_manifest *m, const char *key)
{
    return m->j ? json_string_value(json_object_get(json_object_get(m->j, "notes"), key)) : NULL;
}

const char *tfg_manifest_output_hash(const tfg_manifest *m, const char *name)
{
    return m->j ? json_string_value(json_object_get(json_object_get(m->j, "outputs"), name))
                : NULL;
}

bool tfg_manifest_up_to_date(const tfg_manifest *m, const char *dir)
{
    tfg_manifest old;
    if (!tfg_manifest_load(dir, &old))
        return false;
    bool same = json_equal(json_object_get(old.j, "inputs"), json_object_get(m->j, "inputs")) &&
                json_equal(json_object_get(old.j, "tinyforge"), json_object_get(m->j, "tinyforge"));
    const char *name;
    json_t *hash;
    json_object_foreach(json_object_get(old.j, "outputs"), name, hash) {
        if (!same)
            break;
        char *p = tfg_path_join(dir, name);
        char hex[TFG_SHA256_HEX];
        same = tfg_sha256_file(p, hex, NULL) == TFG_OK && !strcmp(hex, json_string_value(hash));
        free(p);
    }
    tfg_manifest_free(&old);
    return same;
}

tfg_status tfg_stage_finish(tfg_stagedir *sd, tfg_manifest *m, const json_t *report,
                            tfg_err *err)
{
    tfg_status st = TFG_OK;
    if (report) {
        char *p = tfg_stage_path(sd, "report.json");
        st = tfg_json_write_file(p, report, err);
        free(p);
    }
    if (!st) st = tfg_manifest_add_outputs(m, sd->dir, err);
    if (!st) st = tfg_manifest_write(m, sd->dir, err);
    if (!st)
        return tfg_stage_commit(sd, err);
    tfg_stage_abort(sd);
    return st;
}

json_t *tfg_stage_report_load(const char *dir)
{
    char *p = tfg_path_join(dir, "report.json");
    json_t *j = NULL;
    if (tfg_json_load_file(p, &j, NULL) != TFG_OK)
        j = NULL;
    free(p);
    return j;
}
