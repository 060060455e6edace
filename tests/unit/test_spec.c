/* test_spec.c — the spec and the board table: what loads, and that every wrong spec
 * gets an error naming the field path and what was expected. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "core/json.h"
#include "spec/spec.h"

static tfg_boards boards;

static void load_boards(void)
{
    tfg_err err;
    const char *src = getenv("TFG_SRC");
    char path[1024];
    snprintf(path, sizeof path, "%s/boards/boards.json", src ? src : TFG_SOURCE_DIR);
    CHECK_INT(tfg_boards_load(path, &boards, &err), TFG_OK);
    CHECK(boards.n >= 4);
}

/* Parses text as a spec named "dir/spec.json"; returns the status, err filled. */
static tfg_status parse(const char *text, tfg_spec *s, tfg_err *err)
{
    json_t *j;
    tfg_status st = tfg_json_load_buf(text, strlen(text), "dir/spec.json", &j, err);
    if (st) {
        memset(s, 0, sizeof *s);
        return st;
    }
    st = tfg_spec_from_json(j, "dir/spec.json", &boards, s, err);
    json_decref(j);
    return st;
}

#define GOOD_DATA "\"data\": {\"sources\": [{\"path\": \"f.csv\"}], \"label\": \"y\"}"

static void expect_error(const char *text, const char *needle1, const char *needle2)
{
    tfg_spec s;
    tfg_err err = {0};
    tfg_status st = parse(text, &s, &err);
    CHECK_INT(st, TFG_EINPUT);
    CHECK_HAS(err.msg, "dir/spec.json");
    CHECK_HAS(err.msg, needle1);
    if (needle2)
        CHECK_HAS(err.msg, needle2);
    tfg_spec_free(&s);
}

static void test_good_spec(void)
{
    tfg_spec s;
    tfg_err err = {0};
    tfg_status st = parse("{\"name\": \"fruit\", \"task\": \"classification\", "
                          "\"board\": \"Arduino Nano 33 BLE Sense\", \"seed\": 7,"
                          "\"data\": {\"sources\": [{\"path\": \"fruit.csv\"}],"
                          " \"label\": \"fruit\", \"features\": [\"red\", \"green\"]},"
                          "\"budgets\": {\"flash_bytes\": 1000, \"latency_ms\": 5.5},"
                          "\"quantization\": {\"anything\": 1}}",
                          &s, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (st)
        return;
    CHECK_STR(s.name, "fruit");
    CHECK_INT(s.task, TFG_TASK_CLASSIFICATION);
    CHECK_STR(s.board.id, "arduino_nano_33_ble_sense");
    CHECK_INT(s.seed, 7);
    CHECK_INT(s.n_sources, 1);
    CHECK_STR(s.sources[0].path, "dir/fruit.csv"); /* beside the spec */
    /* the CSV dialect is detected unless the source says it */
    CHECK_INT(s.sources[0].header, -1);
    CHECK_INT(s.sources[0].delimiter, 0);
    CHECK_INT(s.sources[0].decimal, 0);
    CHECK_INT(s.sources[0].quote, 0);
    CHECK_INT(s.sources[0].skip_rows, -1);
    CHECK_INT(s.sources[0].encoding, 0);
    CHECK_STR(s.label, "fruit");
    CHECK_INT(s.n_features, 2);
    CHECK_INT(s.budget.flash_bytes, 1000);
    CHECK_INT(s.budget.ram_bytes, 262144); /* the board's, by default */
    CHECK_NEAR(s.budget.latency_ms, 5.5, 0);
    tfg_spec_free(&s);
}

/* Every CSV dialect key of a source, given explicitly. */
static void test_csv_dialect(void)
{
    tfg_spec s;
    tfg_err err = {0};
    tfg_status st = parse("{\"name\": \"d\", \"task\": \"classification\", "
                          "\"board\": \"uno\", \"data\": {\"sources\": [{\"path\": \"d.csv\","
                          " \"delimiter\": \"tab\", \"decimal\": \",\", \"quote\": \"'\","
                          " \"skip_rows\": 2, \"header\": false, \"encoding\": \"latin-1\","
                          " \"columns\": [\"a\"]}, {\"path\": \"e.csv\", \"delimiter\": \"|\","
                          " \"encoding\": \"utf-8\"}], \"label\": \"a\"}}",
                          &s, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (st)
        return;
    CHECK_INT(s.sources[0].delimiter, '\t');
    CHECK_INT(s.sources[0].decimal, ',');
    CHECK_INT(s.sources[0].quote, '\'');
    CHECK_INT(s.sources[0].skip_rows, 2);
    CHECK_INT(s.sources[0].header, 0);
    CHECK_INT(s.sources[0].encoding, 2);
    CHECK_INT(s.sources[1].delimiter, '|');
    CHECK_INT(s.sources[1].encoding, 1);
    CHECK_INT(s.sources[1].header, -1);
    tfg_spec_free(&s);
}

static void test_idx_and_anomaly(void)
{
    tfg_spec s;
    tfg_err err = {0};
    tfg_status st = parse("{\"name\": \"f\", \"task\": \"classification\", \"board\": \"pico\","
                          "\"data\": {\"sources\": [{\"images\": \"/a/i.gz\", \"labels\": "
                          "\"l.gz\", \"split\": \"test\"}], \"label\": \"label\"}}",
                          &s, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (!st) {
        CHECK_INT(s.sources[0].format, TFG_SRC_IDX);
        CHECK_STR(s.sources[0].path, "/a/i.gz"); /* absolute stays */
        CHECK_STR(s.sources[0].labels, "dir/l.gz");
        CHECK_INT(s.sources[0].split, TFG_SPLIT_TEST);
        CHECK_STR(s.board.id, "raspberry_pi_pico");
    }
    tfg_spec_free(&s);
    st = parse("{\"name\": \"a\", \"task\": \"anomaly_detection\", \"board\": \"uno\","
               "\"data\": {\"sources\": [{\"path\": \"x.csv\"}]}}",
               &s, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (!st)
        CHECK(s.label == NULL);
    tfg_spec_free(&s);
}

static void test_errors(void)
{
    expect_error("{\"name\": \"x\", \"task\": \"classification\", \"board\": \"uno\", "
                 "\"data\": {\"sources\": [{\"path\": \"f.csv\"}], \"label\": \"y\"}, "
                 "\"budgets\": {\"ram_bytes\": 4096}}",
                 "budgets.ram_bytes", "more than the Arduino Uno has (2048 bytes)");
    expect_error("{\"task\": \"classification\", \"board\": \"uno\", " GOOD_DATA "}", "name",
                 "required field is missing");
    expect_error("{\"name\": \"x\", \"task\": \"clasification\", \"board\": \"uno\", " GOOD_DATA
                 "}",
                 "task", "did you mean 'classification'");
    expect_error("{\"name\": \"x\", \"task\": \"regression\", \"bord\": \"uno\", " GOOD_DATA "}",
                 "bord", "did you mean 'board'");
    expect_error("{\"name\": \"x\", \"task\": \"regression\", \"board\": \"uno\", \"seed\": "
                 "\"7\", " GOOD_DATA "}",
                 "seed", "expected an integer, got a string");
    expect_error("{\"name\": \"x\", \"task\": \"regression\", \"board\": \"uno\", \"seed\": -1, "
                 GOOD_DATA "}",
                 "seed", "expected an integer from 0");
    expect_error("{\"name\": \"x\", \"task\": \"regression\", \"board\": \"uno\", "
                 "\"data\": {\"sources\": [{\"pth\": \"f.csv\"}], \"label\": \"y\"}}",
                 "data.sources[0].pth", "did you mean 'path'");
    expect_error("{\"name\": \"x\", \"task\": \"regression\", \"board\": \"uno\", "
                 "\"data\": {\"sources\": [], \"label\": \"y\"}}",
                 "data.sources", "non-empty array");
    expect_error("{\"name\": \"x\", \"task\": \"regression\", \"board\": \"uno\", "
                 "\"data\": {\"sources\": [{\"path\": \"f.csv\"}]}}",
                 "data.label", "required field is missing");
    expect_error("{\"name\": \"x\", \"task\": \"classification\", \"board\": \"uno\", "
                 "\"data\": {\"sources\": [{\"path\": \"f.csv\"}], \"label\": \"y\", "
                 "\"features\": [\"a\", \"y\"]}}",
                 "data.features[1]", "cannot also be a feature");
    expect_error("{\"name\": \"x\", \"task\": \"classification\", \"board\": \"uno\", "
                 "\"data\": {\"sources\": [{\"path\": \"f.csv\"}], \"label\": \"y\", "
                 "\"features\": [\"a\", \"a\"]}}",
                 "data.features[1]", "listed twice");
    expect_error("{\"name\": \"x\", \"task\": \"classification\", \"board\": \"uno\", "
                 "\"data\": {\"sources\": [{\"images\": \"i\"}], \"label\": \"y\"}}",
                 "data.sources[0].labels", "IDX source");
    expect_error("{\"name\": \"x\", \"task\": \"classification\", \"board\": \"uno\", "
                 "\"data\": {\"sources\": [{\"path\": \"f\", \"delimiter\": \";;\"}], "
                 "\"label\": \"y\"}}",
                 "data.sources[0].delimiter", "one character");
    expect_error("{\"name\": \"x\", \"task\": \"classification\", \"board\": \"uno\", "
                 "\"data\": {\"sources\": [{\"path\": \"f\", \"header\": true, "
                 "\"columns\": [\"a\"]}], \"label\": \"y\"}}",
                 "data.sources[0].columns", "header");
    expect_error("{\"name\": \"x\", \"task\": \"classification\", \"board\": \"uno\", "
                 "\"data\": {\"sources\": [{\"path\": \"f\", \"delimiter\": \",\", "
                 "\"decimal\": \",\"}], \"label\": \"y\"}}",
                 "data.sources[0].decimal", "another delimiter");
    expect_error("{\"name\": \"x\", \"task\": \"classification\", \"board\": \"uno\", "
                 "\"data\": {\"sources\": [{\"path\": \"f\", \"decimal\": \";\"}], "
                 "\"label\": \"y\"}}",
                 "data.sources[0].decimal", NULL);
    expect_error("{\"name\": \"x\", \"task\": \"classification\", \"board\": \"uno\", "
                 "\"data\": {\"sources\": [{\"path\": \"f\", \"skip_rows\": -2}], "
                 "\"label\": \"y\"}}",
                 "data.sources[0].skip_rows", NULL);
    expect_error("{\"name\": \"1x\", \"task\": \"classification\", \"board\": \"uno\", "
                 GOOD_DATA "}",
                 "name", "starting with a letter");
    expect_error("{\"name\": \"x\", \"task\": \"classification\", \"board\": \"uno\", "
                 "\"quantization\": 3, " GOOD_DATA "}",
                 "quantization", "expected an object");
    expect_error("[1, 2]", "expected a JSON object", NULL);
    /* JSON syntax errors carry line and column. */
    expect_error("{\n  \"name\": \"x\",\n  \"task\" \"classification\"\n}", "dir/spec.json:3:",
                 "invalid JSON");
    expect_error("{\"name\": \"x\", \"name\": \"y\"}", "invalid JSON", "duplicate");
}

static void test_unknown_board(void)
{
    tfg_spec s;
    tfg_err err = {0};
    CHECK_INT(parse("{\"name\": \"x\", \"task\": \"classification\", \"board\": "
                    "\"arduino_nano_33_ble_sens\", " GOOD_DATA "}",
                    &s, &err),
              TFG_EINPUT);
    CHECK_HAS(err.msg, "board: unknown board 'arduino_nano_33_ble_sens'");
    /* The closest name comes first. */
    CHECK_HAS(err.msg, "closest known: 'arduino_nano_33_ble_sense'");
    tfg_spec_free(&s);
    CHECK_INT(parse("{\"name\": \"x\", \"task\": \"classification\", \"board\": \"nucleo\", "
                    GOOD_DATA "}",
                    &s, &err),
              TFG_EINPUT);
    CHECK_HAS(err.msg, "'nucleo_l4r5zi'");
    tfg_spec_free(&s);
    /* A board tinyforge does not know: named, with the three nearest it knows. */
    CHECK_INT(parse("{\"name\": \"x\", \"task\": \"classification\", \"board\": \"ESP32\", "
                    GOOD_DATA "}",
                    &s, &err),
              TFG_EINPUT);
    CHECK_HAS(err.msg, "dir/spec.json: board: unknown board 'ESP32'; closest known: '");
    CHECK_MSG(strstr(err.msg, "', '") && strstr(strstr(err.msg, "', '") + 1, "', '"),
              "three nearest boards: %s", err.msg);
    tfg_spec_free(&s);
    /* The names a person types are the spec's names too. */
    CHECK_INT(parse("{\"name\": \"x\", \"task\": \"classification\", \"board\": "
                    "\"micro:bit\", " GOOD_DATA "}",
                    &s, &err),
              TFG_OK);
    CHECK_STR(s.board.id, "qemu_microbit");
    tfg_spec_free(&s);
}

static void test_board_lookup(void)
{
    CHECK(tfg_boards_find(&boards, "ARDUINO-UNO") != NULL);
    CHECK(tfg_boards_find(&boards, "Raspberry Pi Pico") != NULL);
    CHECK(tfg_boards_find(&boards, "nano33ble") != NULL);
    CHECK(tfg_boards_find(&boards, "esp32") == NULL);
    const tfg_board *uno = tfg_boards_find(&boards, "uno");
    CHECK(uno && uno->ram_bytes == 2048 && uno->flash_bytes == 32768);
    const tfg_board *nano = tfg_boards_find(&boards, "arduino_nano_33_ble_sense");
    CHECK(nano && nano->clock_hz == 64000000 && nano->fpu);
    char near[256];
    tfg_boards_suggest(&boards, "arduino_unoo", near, sizeof near);
    CHECK(strncmp(near, "'arduino_uno'", 13) == 0);
    /* Names as a person types them: case, spaces and punctuation do not matter. */
    static const char *const typed[][2] = {
        {"micro:bit", "qemu_microbit"},     {"Micro Bit", "qemu_microbit"},
        {"BBC micro:bit", "qemu_microbit"}, {"Uno", "arduino_uno"},
        {"Arduino UNO R3", "arduino_uno"},  {"Nano 33", "arduino_nano_33_ble_sense"},
        {"nano-33", "arduino_nano_33_ble_sense"},
        {"Arduino Nano 33 BLE", "arduino_nano_33_ble_sense"},
        {"Pico", "raspberry_pi_pico"},      {"RP2040", "raspberry_pi_pico"},
        {"Nucleo L4R5ZI", "nucleo_l4r5zi"}, {"mps2_an386", "qemu_mps2_an386"},
    };
    for (size_t i = 0; i < sizeof typed / sizeof typed[0]; i++) {
        const tfg_board *b = tfg_boards_find(&boards, typed[i][0]);
        CHECK_MSG(b && !strcmp(b->id, typed[i][1]), "'%s' -> %s, expected %s", typed[i][0],
                  b ? b->id : "(none)", typed[i][1]);
    }
    /* Punctuation alone is no name, and a part of a name is not the name. */
    CHECK(tfg_boards_find(&boards, ":-") == NULL);
    CHECK(tfg_boards_find(&boards, "nano") == NULL);
    tfg_boards_suggest(&boards, "Nano 33 IoT", near, sizeof near);
    CHECK_MSG(strncmp(near, "'arduino_nano_33_ble_sense'", 27) == 0, "%s", near);
}

static void test_bad_board_file(void)
{
    char dir[] = "/tmp/tfg_boards_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/b.json", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"boards\": [{\"id\": \"a\", \"name\": \"A\", \"mcu\": \"m\", \"core\": \"c\", "
          "\"clock_hz\": 1, \"flash_bytes\": 0, \"ram_bytes\": 1}]}",
          f);
    fclose(f);
    tfg_boards b;
    tfg_err err;
    CHECK_INT(tfg_boards_load(path, &b, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "boards[0].flash_bytes");
    /* Two boards answering to one name ("Uno" and "uno!" are one) is an error. */
    f = fopen(path, "w");
    fputs("{\"boards\": [{\"id\": \"a\", \"name\": \"A\", \"aliases\": [\"Uno\"], "
          "\"mcu\": \"m\", \"core\": \"c\", \"clock_hz\": 1, \"flash_bytes\": 1, "
          "\"ram_bytes\": 1}, {\"id\": \"b\", \"name\": \"uno!\", \"mcu\": \"m\", "
          "\"core\": \"c\", \"clock_hz\": 1, \"flash_bytes\": 1, \"ram_bytes\": 1}]}",
          f);
    fclose(f);
    CHECK_INT(tfg_boards_load(path, &b, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "boards[1]: board name 'uno!' is also a name of board 'a'");
    remove(path);
    rmdir(dir);
}

static void cleanup(void)
{
    tfg_boards_free(&boards);
}

TFG_TEST_MAIN(load_boards, test_good_spec, test_csv_dialect, test_idx_and_anomaly, test_errors,
              test_unknown_board, test_board_lookup, test_bad_board_file, cleanup)
