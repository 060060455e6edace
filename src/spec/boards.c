/* boards.c — the board table: loading boards.json, finding a board by any of its
 * names, and suggesting the closest names for an unknown one. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/resource.h"
#include "core/strutil.h"
#include "spec/boards.h"

const char *tfg_boards_default_path(void)
{
    static char *found;
    return tfg_resource_default(&found, "TINYFORGE_BOARDS", "boards.json", "boards/boards.json");
}

static char *dup_or_null(const char *s)
{
    return s ? tfg_xstrdup(s) : NULL;
}

static char **strv_dup(char *const *v)
{
    if (!v)
        return NULL;
    size_t n = 0;
    while (v[n])
        n++;
    char **d = tfg_xcalloc(n + 1, sizeof *d);
    for (size_t i = 0; i < n; i++)
        d[i] = tfg_xstrdup(v[i]);
    return d;
}

void tfg_board_copy(tfg_board *d, const tfg_board *s)
{
    *d = *s;
    d->id = tfg_xstrdup(s->id);
    d->name = tfg_xstrdup(s->name);
    d->mcu = tfg_xstrdup(s->mcu);
    d->core = tfg_xstrdup(s->core);
    d->emulator = dup_or_null(s->emulator);
    d->aliases = strv_dup(s->aliases);
    d->cpu_flags = strv_dup(s->cpu_flags);
}

void tfg_board_free(tfg_board *b)
{
    free(b->id);
    free(b->name);
    free(b->mcu);
    free(b->core);
    free(b->emulator);
    tfg_strv_free(b->aliases);
    tfg_strv_free(b->cpu_flags);
    memset(b, 0, sizeof *b);
}

void tfg_boards_free(tfg_boards *b)
{
    for (size_t i = 0; i < b->n; i++)
        tfg_board_free(&b->items[i]);
    free(b->items);
    b->items = NULL;
    b->n = 0;
}

static tfg_status parse_board(const json_t *o, const tfg_jctx *c, tfg_board *b, tfg_err *err)
{
    static const char *const keys[] = {"id",        "name",    "aliases",  "mcu",
                                       "core",      "clock_hz", "flash_bytes", "ram_bytes",
                                       "fpu",       "emulator", "notes",   "cpu_flags",
                                       "emulated",  NULL};
    if (!json_is_object(o))
        return tfg_err_field(err, TFG_EINPUT, c->file, c->path, "expected an object");
    tfg_status st = tfg_jcheck_keys(o, keys, c, err);
    const char *id = NULL, *name = NULL, *mcu = NULL, *core = NULL, *emu = NULL;
    int64_t clock = 0, flash = 0, ram = 0;
    bool fpu = false;
    size_t n_alias = 0, n_flags = 0;
    if (!st) st = tfg_jget_str(o, "id", true, &id, c, err);
    if (!st) st = tfg_jget_str(o, "name", true, &name, c, err);
    if (!st) st = tfg_jget_str(o, "mcu", true, &mcu, c, err);
    if (!st) st = tfg_jget_str(o, "core", true, &core, c, err);
    if (!st) st = tfg_jget_int(o, "clock_hz", true, 1, INT64_MAX, &clock, c, err);
    if (!st) st = tfg_jget_int(o, "flash_bytes", true, 1, INT64_MAX, &flash, c, err);
    if (!st) st = tfg_jget_int(o, "ram_bytes", true, 1, INT64_MAX, &ram, c, err);
    if (!st) st = tfg_jget_bool(o, "fpu", false, &fpu, c, err);
    if (!st) st = tfg_jget_str(o, "emulator", false, &emu, c, err);
    if (!st) st = tfg_jget_strv(o, "aliases", false, &b->aliases, &n_alias, c, err);
    if (!st) st = tfg_jget_strv(o, "cpu_flags", false, &b->cpu_flags, &n_flags, c, err);
    if (!st) st = tfg_jget_bool(o, "emulated", false, &b->emulated, c, err);
    if (st)
        return st;
    b->id = tfg_xstrdup(id);
    b->name = tfg_xstrdup(name);
    b->mcu = tfg_xstrdup(mcu);
    b->core = tfg_xstrdup(core);
    b->emulator = dup_or_null(emu);
    b->clock_hz = (uint64_t)clock;
    b->flash_bytes = (uint64_t)flash;
    b->ram_bytes = (uint64_t)ram;
    b->fpu = fpu;
    return TFG_OK;
}

/* A board name as a person may type it, reduced to what tells boards apart: letters
 * (lower case) and digits. "micro:bit", "Micro Bit" and "microbit" are one name, and so
 * are "Nano 33", "nano-33" and "nano_33". */
static void name_key(const char *s, char *out, size_t n)
{
    size_t k = 0;
    for (; *s && k + 1 < n; s++)
        if (isalnum((unsigned char)*s))
            out[k++] = (char)tolower((unsigned char)*s);
    out[k] = '\0';
}

#define KEY_MAX 128

/* Does board x answer to key (a name_key)? */
static bool board_has_key(const tfg_board *x, const char *key)
{
    char k[KEY_MAX];
    name_key(x->id, k, sizeof k);
    if (!strcmp(k, key))
        return true;
    name_key(x->name, k, sizeof k);
    if (!strcmp(k, key))
        return true;
    for (size_t a = 0; x->aliases && x->aliases[a]; a++) {
        name_key(x->aliases[a], k, sizeof k);
        if (!strcmp(k, key))
            return true;
    }
    return false;
}

/* Every name of board i (id, name, aliases) must be its own: a name two boards answer
 * to would make the first one win silently. */
static tfg_status check_names_unique(const tfg_boards *b, size_t i, const char *path,
                                     const char *p, tfg_err *err)
{
    const tfg_board *x = &b->items[i];
    const char *names[66] = {x->id, x->name};
    size_t n = 2;
    for (size_t a = 0; x->aliases && x->aliases[a] && n < 66; a++)
        names[n++] = x->aliases[a];
    for (size_t m = 0; m < n; m++) {
        char key[KEY_MAX];
        name_key(names[m], key, sizeof key);
        if (!key[0])
            return tfg_err_field(err, TFG_EINPUT, path, p,
                                 "board name '%s' has no letters or digits", names[m]);
        for (size_t k = 0; k < i; k++)
            if (board_has_key(&b->items[k], key))
                return tfg_err_field(err, TFG_EINPUT, path, p,
                                     "board name '%s' is also a name of board '%s' (names "
                                     "are compared by their letters and digits alone)",
                                     names[m], b->items[k].id);
    }
    return TFG_OK;
}

tfg_status tfg_boards_load(const char *path, tfg_boards *b, tfg_err *err)
{
    b->items = NULL;
    b->n = 0;
    json_t *j;
    tfg_status st = tfg_json_load_file(path, &j, err);
    if (st)
        return st;
    tfg_jctx root = {path, ""};
    const json_t *arr = json_object_get(j, "boards");
    if (!json_is_array(arr)) {
        json_decref(j);
        return tfg_err_field(err, TFG_EINPUT, path, "boards", "expected an array of boards");
    }
    b->items = tfg_xcalloc(json_array_size(arr) + 1, sizeof *b->items);
    for (size_t i = 0; !st && i < json_array_size(arr); i++) {
        char p[64];
        tfg_jpath_index(p, sizeof p, "boards", i);
        tfg_jctx c = {root.file, p};
        st = parse_board(json_array_get(arr, i), &c, &b->items[i], err);
        b->n = i + 1;
        if (!st)
            st = check_names_unique(b, i, path, p, err);
    }
    json_decref(j);
    if (st)
        tfg_boards_free(b);
    return st;
}

const tfg_board *tfg_boards_find(const tfg_boards *b, const char *name)
{
    char key[KEY_MAX];
    name_key(name, key, sizeof key);
    if (!key[0])
        return NULL;
    for (size_t i = 0; i < b->n; i++)
        if (board_has_key(&b->items[i], key))
            return &b->items[i];
    return NULL;
}

/* Distance of a typed name to a board name, both as name_key has them: a part of the
 * name ("nucleo") counts as a perfect match, anything else by edit distance. */
static size_t name_distance(const char *typed, const char *name)
{
    size_t lt = strlen(typed), ln = strlen(name);
    for (size_t i = 0; lt && i + lt <= ln; i++) {
        size_t k = 0;
        while (k < lt && tolower((unsigned char)name[i + k]) == tolower((unsigned char)typed[k]))
            k++;
        if (k == lt)
            return 0;
    }
    return tfg_edit_distance(typed, name);
}

void tfg_boards_suggest(const tfg_boards *b, const char *name, char *out, size_t n)
{
    /* Rank every board by its best-matching name; keep the three closest. */
    char typed[KEY_MAX];
    name_key(name, typed, sizeof typed);
    size_t best[3] = {(size_t)-1, (size_t)-1, (size_t)-1};
    size_t who[3] = {0, 0, 0};
    for (size_t i = 0; i < b->n; i++) {
        const tfg_board *x = &b->items[i];
        const char *names[66] = {x->id, x->name};
        size_t n_names = 2;
        for (size_t a = 0; x->aliases && x->aliases[a] && n_names < 66; a++)
            names[n_names++] = x->aliases[a];
        size_t d = (size_t)-1;
        for (size_t m = 0; m < n_names; m++) {
            char k[KEY_MAX];
            name_key(names[m], k, sizeof k);
            size_t dm = name_distance(typed, k);
            if (dm < d)
                d = dm;
        }
        for (int k = 0; k < 3; k++) {
            if (d < best[k]) {
                for (int m = 2; m > k; m--) {
                    best[m] = best[m - 1];
                    who[m] = who[m - 1];
                }
                best[k] = d;
                who[k] = i;
                break;
            }
        }
    }
    out[0] = '\0';
    size_t used = 0;
    for (int k = 0; k < 3 && best[k] != (size_t)-1; k++) {
        int w = snprintf(out + used, n - used, "%s'%s'", k ? ", " : "", b->items[who[k]].id);
        if (w < 0 || (size_t)w >= n - used)
            break;
        used += (size_t)w;
    }
}
