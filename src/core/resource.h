/* resource.h — where the files tinyforge reads at run time but does not take from the
 * user are found (the MCU runtime sources, prompt templates, the board and price tables):
 * in one override folder, else in the install beside the running program, else in the
 * source tree the program was built from. Core names no resource; callers pass both
 * the name a resource has in an install and its path in the source tree.
 *
 * An install is the layout `cmake --install` writes:
 *     <prefix>/bin/tinyforge
 *     <prefix>/share/tinyforge/<name>      (runtime/, prompts/, boards.json, prices.json)
 * $TINYFORGE_HOME names a folder of the share/tinyforge layout and wins over the other two. */
#ifndef TFG_CORE_RESOURCE_H
#define TFG_CORE_RESOURCE_H

#define TFG_RESOURCE_HOME_ENV "TINYFORGE_HOME"
/* The install's resource folder, relative to the prefix (the parent of bin/). */
#define TFG_RESOURCE_SHARE "share/tinyforge"

/* The folder of the running program (/proc/self/exe), or NULL if it cannot be read.
 * New string. */
char *tfg_exe_dir(void);

/* Where resource name is, by the first rule that applies:
 *   home/<name>                           if home is set (not NULL, not "");
 *   exe_dir/../share/tinyforge/<name>     if exe_dir is set and that folder exists: an
 *                                         installed program uses its own install only,
 *                                         so a missing file there is an error, not a
 *                                         silent fall back to some source tree;
 *   source_dir/<source_rel>               else (a program run from its build tree).
 * The path need not exist; the reader's error names it. New string. */
char *tfg_resource_find(const char *home, const char *exe_dir, const char *source_dir,
                        const char *name, const char *source_rel);

/* tfg_resource_find with $TINYFORGE_HOME, this program's folder and the source tree it
 * was built from (TFG_SOURCE_DIR). New string. */
char *tfg_resource_path(const char *name, const char *source_rel);

/* A resource with a finer override of its own: $env_var if set and not empty, else
 * tfg_resource_path(name, source_rel), found once into *found and kept there to the
 * end of the process (so the caller's static pointer owns it). */
const char *tfg_resource_default(char **found, const char *env_var, const char *name,
                                 const char *source_rel);

#endif
