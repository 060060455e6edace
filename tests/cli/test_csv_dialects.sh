# test_csv_dialects.sh — CSV files as spreadsheets, instruments and sklearn write them,
# made here byte by byte: a preamble line, ; with decimal commas, quoted fields, CRLF,
# a BOM, unit suffixes, every missing marker; Windows-1252 text, tab and ' quotes, CR
# line ends; an explicit skip_rows. Each is read right (the profile's values against an
# independent computation, the dialect it reports), `new` writes a spec with the right
# label and dialect; broken variants name file:line:column and leave a profile of what
# was read.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

# eu.csv: made by Python so the expected statistics come from the same rows.
python3 - <<'PY'
import json, statistics
arts = ["setosa", "versicolor", "virginica"]
miss = ["", "NA", "N/A", "n/a", "null", "None", "NaN", "?", "-", '"NA"', '"-"', " None "]
rows, laenge, breite, gewicht = [], [], [], []
for i in range(36):
    art = arts[i % 3]
    l = 40 + i * 3 + (i % 3) * 7          # tenths of a mm
    b = 100 + (i * 17) % 50 + (i % 3) * 60  # hundredths of a cm
    g = miss[i] if i < len(miss) else "%d,%d" % (i * 2, i % 10)
    if i >= len(miss):
        gewicht.append(i * 2 + (i % 10) / 10)
    laenge.append(l / 10)
    breite.append(b / 100)
    farbe = '"grün; hell"' if i % 2 else "weiß"
    rows.append('"%s";%d,%d mm;%d,%02d cm;%s;%s' % (art, l // 10, l % 10, b // 100, b % 100,
                                                    g, farbe))
text = "Exported by LabTool 3.1 on 2026-12-07\r\n" + \
       '"Art";"Länge";Breite;Gewicht;Farbe\r\n' + "\r\n".join(rows) + "\r\n"
open("eu.csv", "wb").write(b"\xef\xbb\xbf" + text.encode("utf-8"))
def st(v):
    return {"count": len(v), "mean": statistics.fmean(v), "min": min(v), "max": max(v)}
json.dump({"Länge": st(laenge), "Breite": st(breite), "Gewicht": st(gewicht),
           "gewicht_missing": 36 - len(gewicht)}, open("eu.expect.json", "w"))
PY

cat >eu.json <<'JSON'
{"name": "eu", "task": "classification", "board": "arduino_uno",
 "data": {"sources": [{"path": "eu.csv"}], "label": "Art"}}
JSON
run "$TFG_BIN" data eu.json --out run_eu
expect_rc 0
P=run_eu/data/profile.json
ok; [ "$(json_get $P "[j['sources'][0][k] for k in ('delimiter', 'decimal', 'quote', 'header', 'skip_rows', 'bom', 'line_ends', 'encoding')]")" = "[';', ',', '\"', True, 1, True, 'CRLF', 'UTF-8']" ] ||
  fail "eu dialect: $(json_get $P "j['sources']")"
ok; [ "$(json_get $P "j['sources'][0]['units']")" = "{'Länge': 'mm', 'Breite': 'cm'}" ] ||
  fail "eu units: $(json_get $P "j['sources'][0]['units']")"
ok; [ "$(json_get $P "j['rows']")" = 36 ] || fail "eu rows: $(json_get $P "j['rows']")"
# every numeric column's count, mean, min and max as Python computed them
run python3 - "$P" eu.expect.json <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
want = json.load(open(sys.argv[2]))
cols = {c["name"]: c for c in p["columns_detail"]}
bad = []
for name in ("Länge", "Breite", "Gewicht"):
    c = cols[name]
    for k, v in want[name].items():
        if abs(c[k] - v) > 1e-9 * max(1, abs(v)):
            bad.append("%s.%s = %r, expected %r" % (name, k, c[k], v))
if cols["Gewicht"]["missing"] != want["gewicht_missing"]:
    bad.append("Gewicht missing %r" % cols["Gewicht"]["missing"])
if cols["Länge"].get("unit") != "mm" or "unit" in cols["Gewicht"]:
    bad.append("units on columns_detail")
if sorted(x["value"] for x in cols["Farbe"]["levels"]) != ["grün; hell", "weiß"]:
    bad.append("Farbe levels %r" % cols["Farbe"]["levels"])
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
expect_rc 0
ok; [ "$(json_get run_eu/data/summary.json "j['classes']")" = "['setosa', 'versicolor', 'virginica']" ] ||
  fail "eu classes: $(json_get run_eu/data/summary.json "j['classes']")"
ok; [ "$(json_get run_eu/data/summary.json "j['units']")" = "{'Länge': 'mm', 'Breite': 'cm'}" ] ||
  fail "eu summary units"
# The report says how the file was read and which units its numbers carried.
run "$TFG_BIN" report eu.json --out run_eu
expect_rc 0
read_as="eu.csv was read with delimiter ';', decimal ',', a header line, CRLF line ends, \
UTF-8, 1 line(s) before the data skipped"
ok; grep -qF "$read_as" run_eu/report/report.md ||
  fail "report dialect: $(grep -F 'eu.csv was read' run_eu/report/report.md)"
ok; grep -qF "numbers with a unit, read as numbers: Länge (mm), Breite (cm)." \
  run_eu/report/report.md ||
  fail "report units: $(grep -F 'eu.csv was read' run_eu/report/report.md)"

# new: the label among the columns the dialect gives, and the dialect in the source
run "$TFG_BIN" new "tell setosa, versicolor and virginica apart by size on an Arduino Uno" \
  --data eu.csv --out eu_new.json --run newrun
expect_rc 0
ok; [ "$(json_get eu_new.json "j['data']['label']")" = Art ] || fail "eu label: $(cat eu_new.json)"
ok; [ "$(json_get eu_new.json "[j['data']['sources'][0].get(k) for k in ('delimiter', 'decimal', 'skip_rows', 'header')]")" = "[';', ',', 1, True]" ] ||
  fail "eu source: $(json_get eu_new.json "j['data']['sources']")"
run "$TFG_BIN" data eu_new.json --out run_eu_new
expect_rc 0
ok; [ "$(json_get run_eu_new/data/profile.json "j['rows']")" = 36 ] || fail "eu_new rows"

# cp.csv: Windows-1252 bytes, tab delimiter, ' quotes, lone CR line ends.
python3 - <<'PY'
rows = ["größe\tsüße\t'sorte'"]
for i in range(24):
    sorte = ["'Äpfel'", "'Birnen, grün'", "'Kürbis'"][i % 3]
    rows.append("%d\t%d.%d\t%s" % (10 + i, i % 4, i % 10, sorte))
open("cp.csv", "wb").write(("\r".join(rows) + "\r").encode("cp1252"))
PY
run "$TFG_BIN" new "sort Äpfel, Kürbis and Birnen apart on an Arduino Uno" --data cp.csv \
  --out cp.json --run newrun
expect_rc 0
ok; [ "$(json_get cp.json "j['data']['label']")" = sorte ] || fail "cp label: $(cat cp.json)"
ok; [ "$(json_get cp.json "[j['data']['sources'][0].get(k) for k in ('delimiter', 'quote', 'encoding')]")" = "['\t', \"'\", 'windows-1252']" ] ||
  fail "cp source: $(json_get cp.json "j['data']['sources']")"
run "$TFG_BIN" data cp.json --out run_cp
expect_rc 0
P=run_cp/data/profile.json
ok; [ "$(json_get $P "[j['sources'][0][k] for k in ('line_ends', 'encoding')]")" = "['CR', 'Windows-1252']" ] ||
  fail "cp dialect: $(json_get $P "j['sources']")"
ok; [ "$(json_get run_cp/data/summary.json "j['classes']")" = "['Birnen, grün', 'Kürbis', 'Äpfel']" ] ||
  fail "cp classes: $(json_get run_cp/data/summary.json "j['classes']")"
ok; [ "$(json_get $P "[(c['name'], c['count'], round(c['mean'], 6)) for c in j['columns_detail'][:2]]")" = "[('größe', 24, 21.5), ('süße', 24, 1.9)]" ] ||
  fail "cp columns: $(json_get $P "j['columns_detail'][:2]")"
# detected (the source says nothing), the file is converted and the profile says so;
# given as UTF-8 it is an error
cat >cpd.json <<'JSON'
{"name": "cp", "task": "classification", "board": "arduino_uno",
 "data": {"sources": [{"path": "cp.csv"}], "label": "sorte"}}
JSON
run "$TFG_BIN" data cpd.json --out run_cpd
expect_rc 0
ok; json_get run_cpd/data/profile.json "j['sources'][0]['encoding_note']" | grep -q "line 1" ||
  fail "no encoding note: $(json_get run_cpd/data/profile.json "j['sources']")"
sed -i 's/"windows-1252"/"utf-8"/' cp.json
run "$TFG_BIN" data cp.json --out run_cp2
expect_rc 3
expect_err "cp.csv:1:1: invalid UTF-8"

# sk.csv: sklearn's iris.csv layout, a first line of counts and class names with as many
# fields as the data; skip_rows (--skip-rows) says it is not the header.
{ printf '12,4,setosa,versicolor,virginica\n'
  for i in 0 1 2 3 4 5 6 7 8 9 10 11; do printf '5.%d,3.%d,1.4,0.2,%d\n' "$i" "$i" $((i % 3)); done
} >sk.csv
run "$TFG_BIN" new "tell the three iris kinds apart on an Arduino Uno" --data sk.csv \
  --skip-rows 1 --no-header --out sk.json --run newrun
expect_rc 0
ok; [ "$(json_get sk.json "[j['data']['sources'][0].get(k) for k in ('skip_rows', 'header')]")" = "[1, False]" ] ||
  fail "sk source: $(json_get sk.json "j['data']['sources']")"
run "$TFG_BIN" data sk.json --out run_sk
expect_rc 0
ok; [ "$(json_get run_sk/data/profile.json "(j['rows'], j['columns_detail'][0]['min'], j['columns_detail'][0]['max'])")" = "(12, 5.0, 5.9)" ] ||
  fail "sk: $(json_get run_sk/data/profile.json "(j['rows'], j['columns_detail'][0])")"

# Broken variants: file:line:column, one error, and a profile of what was read.
broken() { # NAME [end]: eu.csv with line 6 (the 4th data row) replaced by stdin, or stdin
  # appended at the end
  if [ $# -gt 1 ]; then { cat eu.csv; cat; } >"$1.csv"
  else { head -n 5 eu.csv; cat; tail -n +7 eu.csv; } >"$1.csv"; fi
  sed "s/eu.csv/$1.csv/" eu.json >"$1.json"
  run "$TFG_BIN" data "$1.json" --out "run_$1"
  expect_rc 3
  expect_one_error
  F="run_$1/data.failed/profile.json"
  ok; [ -s "$F" ] || { fail "$1: no failed profile"; return; }
  ok; [ "$(json_get "$F" "(j['status'], j['sources'][0]['delimiter'], j['sources'][0]['decimal'])")" = "('failed', ';', ',')" ] ||
    fail "$1 failed profile: $(head -c 600 "$F")"
  ok; [ "$(json_get "$F" "j['sources'][0]['first_rows'][0][:2]")" = "['setosa', '4,0 mm']" ] ||
    fail "$1 first rows: $(json_get "$F" "j['sources'][0].get('first_rows')")"
  ok; [ ! -e "run_$1/data" ] || fail "$1: data artifacts written"
}
printf '"versicolor";5,2 mm;1,71 cm;4,0;"open\r\n' | broken quote end
expect_err "quote.csv:39:5: a quoted field starts here and is never closed"
expect_err "data.failed/profile.json"
printf '"versicolor";5,2 mm;1,71 cm;4,0\r\n' | broken ragged
expect_err "ragged.csv:6:4: has 4 fields, the header (line 2) has 5"
ok; [ "$(json_get run_ragged/data.failed/profile.json "j['sources'][0]['rows_read']")" = 3 ] ||
  fail "ragged rows_read"
printf '"versicolor";5,2 mm;1,71 mm;4,0;weiß\r\n' | broken unit
expect_err "unit.csv:6:3: '1,71 mm' in column 'Breite' is in another unit"
# a cell in the other decimal notation: the hint says what to set
{ printf 'a;b;y\n'; for i in 1 2 3 4 5 6 7 8 9; do printf '1.%d;%d;x\n' $i $i; done
  printf '2,5;3;z\n'; } >dec.csv
sed 's/eu.csv/dec.csv/; s/"Art"/"y"/' eu.json >dec.json
run "$TFG_BIN" data dec.json --out run_dec
expect_rc 3
expect_err "dec.csv:11:1: non-numeric value '2,5'"
expect_err "--decimal ,"
finish
