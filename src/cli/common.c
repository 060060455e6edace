/* common.c — spec loading shared by the subcommands. */
#include "cli/cli.h"

tfg_status tfg_cli_load_spec(const char *path, tfg_boards *boards, tfg_spec *spec, tfg_err *err)
{
    tfg_status st = tfg_boards_load(tfg_boards_default_path(), boards, err);
    if (st)
        return st;
    st = tfg_spec_load(path, boards, spec, err);
    if (!st)
        st = tfg_spec_check_files(spec, err);
    return st;
}
