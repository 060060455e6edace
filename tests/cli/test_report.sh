# test_report.sh — `tinyforge report` on the fixture run directory
# (tests/data/report/fruit): the files are written and named on stdout; the page is
# rendered by headless Chromium, whose DOM must hold the report's tables, a decoded
# confusion-matrix picture (non-zero natural size) and a hostile class name as text; a
# screenshot of the page is kept in the ctest binary directory (report_screenshot.png).
# Stages that have not run are "not run"; a malformed artifact exits 3 naming file and
# field and leaves the previous report as it was.
. "$(dirname "$0")/lib.sh"
SPEC=$TFG_SRC/examples/fruit/spec.json
RUN=$T/run
cp -r "$TFG_DATA_DIR/report/fruit" "$RUN"

run "$TFG_BIN" report "$SPEC" --out "$RUN"
expect_rc 0
expect_out "report: $RUN/report/report.html"
expect_out "$RUN/report/report.md"
expect_out "$RUN/report/confusion.png"
for f in report.html report.md confusion.png manifest.json; do
  ok; [ -s "$RUN/report/$f" ] || fail "missing report/$f"
done
ok; grep -qF '](confusion.png)' "$RUN/report/report.md" || fail "report.md does not show confusion.png"
ok; ! grep -qE '(src|href)="(https?:|//)' "$RUN/report/report.html" || fail "report.html loads something from elsewhere"

# Unchanged: skipped; --json says so and names the files.
run "$TFG_BIN" --json report "$SPEC" --out "$RUN"
expect_rc 0
ok; [ "$(json_get "$T/out" "j['status']")" = skipped ] || fail "an unchanged report was not skipped: $(cat "$T/out")"
ok; [ "$(json_get "$T/out" "j['html']")" = "$RUN/report/report.html" ] || fail "--json lacks the html path"
ok; [ "$(json_get "$T/out" "j['stages']['validate']")" = done ] || fail "--json: validate not done"

# A class name with markup in it, from the quantize stage's report.
python3 - "$RUN/quantize/report.json" <<'PY'
import json, sys
p = sys.argv[1]
j = json.load(open(p))
j["class_names"][2] = "<script>document.title='pwned'</script><b>orange</b>"
json.dump(j, open(p, "w"))
PY
run "$TFG_BIN" report "$SPEC" --out "$RUN"
expect_rc 0

# Chromium renders the page. A test copy gets a script that, once the page has loaded,
# writes what the DOM holds into attributes of <body>; the shipped page has no script.
if command -v chromium >/dev/null 2>&1; then
  ok; ! grep -q '<script' "$RUN/report/report.html" || fail "the report contains a script element"
  cat >"$T/probe.js" <<'JS'
addEventListener("load", function () {
  var i = document.getElementById("confusion-img"), b = document.body;
  b.setAttribute("data-img", i ? i.complete + " " + i.naturalWidth + "x" + i.naturalHeight : "none");
  var ids = []; document.querySelectorAll("table[id]").forEach(function (t) { ids.push(t.id); });
  b.setAttribute("data-tables", ids.join(","));
  b.setAttribute("data-scripts", String(document.scripts.length));
  b.setAttribute("data-title", document.title);
  var c = document.getElementById("confusion");
  b.setAttribute("data-confusion-rows", c ? String(c.tBodies[0].rows.length) : "0");
  b.setAttribute("data-class3", c ? c.tHead.rows[0].cells[3].textContent : "");
});
JS
  python3 - "$RUN/report/report.html" "$T/probe.js" "$T/probe.html" <<'PY'
import sys
page, js = open(sys.argv[1]).read(), open(sys.argv[2]).read()
assert page.count("</body>") == 1
open(sys.argv[3], "w").write(page.replace("</body>", "<script>" + js + "</script></body>"))
PY
  CHROME="chromium --headless=new --no-sandbox --disable-gpu --user-data-dir=$T/chrome"
  timeout 60 $CHROME --virtual-time-budget=5000 --dump-dom "file://$T/probe.html" >"$T/dom.html" 2>"$T/chrome.err"
  ok; [ -s "$T/dom.html" ] || fail "chromium dumped no DOM: $(tail -c 600 "$T/chrome.err")"
  attr() { python3 - "$T/dom.html" "$1" <<'PY'
import html, re, sys
m = re.search(r'<body[^>]*\s' + re.escape(sys.argv[2]) + r'="([^"]*)"', open(sys.argv[1]).read())
print(html.unescape(m.group(1)) if m else "MISSING")
PY
  }
  side=$(python3 -c "import struct,sys; d=open(sys.argv[1],'rb').read(24); print(struct.unpack('>I', d[16:20])[0])" "$RUN/report/confusion.png")
  img=$(attr data-img)
  echo "confusion image in chromium: $img (PNG side $side)"
  ok; [ "$img" = "true ${side}x${side}" ] || fail "the confusion image did not decode at ${side}x${side}: $img"
  ok; [ "$side" -gt 0 ] || fail "confusion.png has no size"
  tables=$(attr data-tables)
  for id in key-figures spec class-balance columns splits plan arch accuracy confusion per-class work stages; do
    ok; case ",$tables," in *",$id,"*) ;; *) fail "rendered DOM lacks table #$id (has: $tables)" ;; esac
  done
  ok; [ "$(attr data-confusion-rows)" = 3 ] || fail "confusion table rows: $(attr data-confusion-rows)"
  ok; [ "$(attr data-scripts)" = 1 ] || fail "scripts in the page besides the probe: $(attr data-scripts)"
  ok; [ "$(attr data-title)" = "tinyforge report: fruit" ] || fail "page title changed: $(attr data-title)"
  ok; [ "$(attr data-class3)" = "<script>document.title='pwned'</script><b>orange</b>" ] \
    || fail "the hostile class name is not shown as text: $(attr data-class3)"
  # The screenshot of the shipped page (no probe), kept beside the test's binaries.
  shot=$PWD/report_screenshot.png
  rm -f "$shot"
  timeout 60 $CHROME --hide-scrollbars --window-size=1000,3600 --screenshot="$shot" \
    "file://$RUN/report/report.html" >/dev/null 2>"$T/chrome.err"
  ok; python3 -c "import sys; d=open(sys.argv[1],'rb').read(); sys.exit(0 if d[:8]==b'\x89PNG\r\n\x1a\n' and len(d)>10000 else 1)" "$shot" \
    || fail "no screenshot at $shot: $(tail -c 600 "$T/chrome.err")"
  echo "screenshot: $shot"
else
  skip "chromium is not installed (make deps installs it), the page was not rendered"
fi

# Stages that have not run are shown as such.
rm -rf "$RUN/validate" "$RUN/build" "$RUN/sketch"
run "$TFG_BIN" report "$SPEC" --out "$RUN"
expect_rc 0
expect_out "build not run; validate not run;"
ok; grep -qF 'Not proven on a device yet. Stages not run: build, validate, sketch.' "$RUN/report/report.html" || fail "the page does not say what has not run"
ok; grep -qF '| **validate** | not run |' "$RUN/report/report.md" || fail "report.md stage table lacks 'not run'"
# A run directory where nothing has run yet still gets a report.
run "$TFG_BIN" report "$SPEC" --out "$T/empty"
expect_rc 0
ok; grep -qF 'Stages not run: data, train, quantize, build, validate, sketch.' "$T/empty/report/report.html" || fail "empty run: no 'not run'"
ok; [ ! -e "$T/empty/report/confusion.png" ] || fail "empty run has a confusion picture"

# A malformed artifact: exit 3, one error naming the file and field, the old report kept.
cp "$RUN/report/report.html" "$T/before.html"
mkdir -p "$RUN/build" && printf '{"flash_bytes": "lots", "arena_bytes": 4}\n' >"$RUN/build/report.json"
run "$TFG_BIN" report "$SPEC" --out "$RUN"
expect_rc 3
expect_one_error
expect_err "$RUN/build/report.json: flash_bytes: expected an integer, got a string"
ok; cmp -s "$T/before.html" "$RUN/report/report.html" || fail "a failed report changed the previous one"
ok; [ ! -e "$RUN/.report.tmp" ] || fail "a failed report left its staging directory"
printf '{"flash_bytes": 10,\n  "arena_bytes": 4,,}\n' >"$RUN/build/report.json"
run "$TFG_BIN" --json report "$SPEC" --out "$RUN"
expect_rc 3
expect_err "$RUN/build/report.json:2:"
ok; [ "$(json_get "$T/out" "j['error']['kind']")" = input ] || fail "--json error kind: $(cat "$T/out")"

# The command line.
run "$TFG_BIN" report
expect_rc 2
expect_err "missing SPEC"
run "$TFG_BIN" report "$SPEC" --bogus
expect_rc 2
run "$TFG_BIN" report --help
expect_rc 0
expect_out "usage: tinyforge report SPEC"
finish
