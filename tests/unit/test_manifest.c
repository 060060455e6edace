/* test_manifest.c — stage manifests: a stage with the same inputs and intact outputs is
 * up to date; a changed input, a changed or missing output, or no manifest is not. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../check.h"
#include "core/alloc.h"
#include "core/io.h"
#include "core/manifest.h"

static char dir[] = "/tmp/tfg_manifest_XXXXXX";

static void put(const char *name, const char *text)
{
    char *p = tfg_path_join(dir, name);
    tfg_err err;
    CHECK_INT(tfg_write_atomic(p, text, strlen(text), &err), TFG_OK);
    free(p);
}

static void inputs(tfg_manifest *m, const char *spec, const char *input_path)
{
    tfg_err err;
    tfg_manifest_init(m, "data");
    tfg_manifest_input_text(m, "spec", spec);
    CHECK_INT(tfg_manifest_input_file(m, "source0", input_path, &err), TFG_OK);
}

static void test_up_to_date(void)
{
    CHECK(mkdtemp(dir) != NULL);
    char *in = tfg_path_join(dir, "input.csv");
    tfg_err err;
    CHECK_INT(tfg_write_atomic(in, "a,b\n1,2\n", 8, &err), TFG_OK);
    char *stage = tfg_path_join(dir, "stage");
    CHECK_INT(tfg_mkdirs(stage, &err), TFG_OK);

    tfg_manifest m;
    inputs(&m, "{spec}", in);
    CHECK(!tfg_manifest_up_to_date(&m, stage)); /* no manifest yet */
    char *out = tfg_path_join(stage, "out.bin");
    CHECK_INT(tfg_write_atomic(out, "xyz", 3, &err), TFG_OK);
    CHECK_INT(tfg_manifest_add_outputs(&m, stage, &err), TFG_OK);
    tfg_manifest_note(&m, "plan_origin", "builtin");
    CHECK_INT(tfg_manifest_write(&m, stage, &err), TFG_OK);
    tfg_manifest_free(&m);

    inputs(&m, "{spec}", in);
    CHECK(tfg_manifest_up_to_date(&m, stage));
    tfg_manifest_free(&m);

    tfg_manifest loaded;
    CHECK(tfg_manifest_load(stage, &loaded));
    CHECK_STR(tfg_manifest_get_note(&loaded, "plan_origin"), "builtin");
    CHECK(tfg_manifest_output_hash(&loaded, "out.bin") != NULL);
    CHECK(tfg_manifest_output_hash(&loaded, "manifest.json") == NULL);
    tfg_manifest_free(&loaded);

    inputs(&m, "{spec changed}", in); /* a changed spec section */
    CHECK(!tfg_manifest_up_to_date(&m, stage));
    tfg_manifest_free(&m);

    CHECK_INT(tfg_write_atomic(in, "a,b\n1,3\n", 8, &err), TFG_OK); /* changed data */
    inputs(&m, "{spec}", in);
    CHECK(!tfg_manifest_up_to_date(&m, stage));
    tfg_manifest_free(&m);
    CHECK_INT(tfg_write_atomic(in, "a,b\n1,2\n", 8, &err), TFG_OK);

    CHECK_INT(tfg_write_atomic(out, "xyZ", 3, &err), TFG_OK); /* an edited output */
    inputs(&m, "{spec}", in);
    CHECK(!tfg_manifest_up_to_date(&m, stage));
    CHECK_INT(tfg_write_atomic(out, "xyz", 3, &err), TFG_OK);
    CHECK(tfg_manifest_up_to_date(&m, stage));
    unlink(out); /* a missing output */
    CHECK(!tfg_manifest_up_to_date(&m, stage));
    tfg_manifest_free(&m);

    put("stage/manifest.json", "{not json"); /* a broken manifest is no manifest */
    inputs(&m, "{spec}", in);
    CHECK(!tfg_manifest_up_to_date(&m, stage));
    tfg_manifest_free(&m);

    CHECK_INT(tfg_rmtree(dir, &err), TFG_OK);
    free(in);
    free(stage);
    free(out);
}

TFG_TEST_MAIN(test_up_to_date)
