/* resource.c — finding the files tinyforge ships (resource.h): the override folder,
 * the install beside the running program, the source tree it was built from. */
#include "core/resource.h"

#include <stdlib.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/io.h"

#ifndef TFG_SOURCE_DIR
#define TFG_SOURCE_DIR "."
#endif

char *tfg_exe_dir(void)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return NULL;
    self[n] = '\0';
    return tfg_path_dirname(self);
}

char *tfg_resource_find(const char *home, const char *exe_dir, const char *source_dir,
                        const char *name, const char *source_rel)
{
    if (home && *home)
        return tfg_path_join(home, name);
    if (exe_dir && *exe_dir) {
        char *prefix = tfg_path_dirname(exe_dir);
        char *share = tfg_path_join(prefix, TFG_RESOURCE_SHARE);
        free(prefix);
        if (tfg_is_dir(share)) {
            char *p = tfg_path_join(share, name);
            free(share);
            return p;
        }
        free(share);
    }
    return tfg_path_join(source_dir, source_rel);
}

char *tfg_resource_path(const char *name, const char *source_rel)
{
    char *exe = tfg_exe_dir();
    char *p = tfg_resource_find(getenv(TFG_RESOURCE_HOME_ENV), exe, TFG_SOURCE_DIR, name,
                                source_rel);
    free(exe);
    return p;
}

const char *tfg_resource_default(char **found, const char *env_var, const char *name,
                                 const char *source_rel)
{
    const char *env = getenv(env_var);
    if (env && *env)
        return env;
    if (!*found)
        *found = tfg_resource_path(name, source_rel);
    return *found;
}
