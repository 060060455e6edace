"""splits.py — reads tinyforge split files (layout: src/data/splitfile.h) for the CLI
tests, independently of the C reader, and checks cleaned fruit splits.

usage: python3 splits.py stratified DIR        class proportions per split within one row
       python3 splits.py clean DIR MANIFEST    no missing cells; injected outliers gone
       python3 splits.py replay DIR            preprocess.json on test_raw.bin gives test.bin
"""
import json
import math
import struct
import sys


def read_split(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"TFGSPLIT", path
    version, rows, features, rank, s0, s1, s2, kind, ncls, hdr = struct.unpack_from("<10I", data, 8)
    assert version == 1 and hdr == 64, path
    xs = struct.unpack_from("<%df" % (rows * features), data, 64)
    off = 64 + 4 * rows * features
    ys = []
    if kind == 1:
        ys = list(struct.unpack_from("<%di" % rows, data, off))
        off += 4 * rows
    elif kind == 2:
        ys = list(struct.unpack_from("<%df" % rows, data, off))
        off += 4 * rows
    assert off == len(data), "%s: %d bytes, expected %d" % (path, len(data), off)
    x = [xs[i * features:(i + 1) * features] for i in range(rows)]
    return x, ys, ncls


def stratified(d):
    splits = {s: read_split("%s/%s.bin" % (d, s)) for s in ("train", "val", "test")}
    ncls = splits["train"][2]
    total = sum(len(v[1]) for v in splits.values())
    whole = [sum(v[1].count(c) for v in splits.values()) for c in range(ncls)]
    bad = 0
    for name, (x, y, _) in splits.items():
        for c in range(ncls):
            expect = len(y) * whole[c] / total
            if abs(y.count(c) - expect) > 1.0:
                print("%s: class %d has %d rows, expected %.2f" % (name, c, y.count(c), expect))
                bad += 1
    print("rows %d, classes %s" % (total, whole))
    return bad


def clean(d, manifest_path):
    """Recovers raw values through preprocess.json's affine steps and checks them."""
    pp = json.load(open("%s/preprocess.json" % d))
    man = json.load(open(manifest_path))
    rows = []
    for s in ("train", "val", "test"):
        rows += read_split("%s/%s.bin" % (d, s))[0]
    bad = 0
    for r in rows:
        if any(math.isnan(v) or math.isinf(v) for v in r):
            print("a missing or infinite cell survived:", r)
            bad += 1
    # Undo the steps in reverse to get back raw values (only affine and clip steps here).
    feats = pp["features"]
    raw = [list(r) for r in rows]
    for step in reversed(pp["steps"]):
        if step["step"] == "affine":
            for c in step["columns"]:
                i = feats.index(c["column"])
                for r in raw:
                    r[i] = r[i] / c["scale"] + c["offset"] if c["scale"] != 0 else c["offset"]
    for row, col, value in man["outliers"]:
        i = feats.index(col)
        for r in raw:
            if abs(r[i] - value) < 1e-4:
                print("outlier %s=%g (data row %d) is still in the splits" % (col, value, row))
                bad += 1
                break
    print("rows %d" % len(rows))
    return bad


def f32(v):
    """v rounded to float32 (NaN stays NaN)."""
    return struct.unpack("<f", struct.pack("<f", v))[0]


def replay_row(pp, raw):
    """One raw reading through preprocess.json's row-wise steps, as the device does it.

    The C reference (src/data/preprocess.c) computes in float32: every constant is a
    float32, and each step is one float32 operation at a time ((x - offset) * scale for
    affine). A double operation on float32 operands rounded back to float32 gives the
    float32 result exactly (53 >= 2 * 24 + 2 bits), so rounding after each operation
    here reproduces the C bit for bit."""
    levels = pp.get("input_levels", {})
    vals = []  # [name, is_categorical, number or level text (None = missing)]
    for name, v in zip(pp["inputs"], raw):
        if name in levels:
            ok = not math.isnan(v) and 0 <= v < len(levels[name])
            vals.append([name, True, levels[name][int(v)] if ok else None])
        else:
            vals.append([name, False, f32(v)])
    find = lambda n: next(e for e in vals if e[0] == n)
    for step in pp["steps"]:
        kind = step["step"]
        if kind in ("impute", "clip", "affine"):
            for c in step["columns"]:
                e = find(c["column"])
                if kind == "impute":
                    if e[1] and e[2] is None:
                        e[2] = c["value"]
                    elif not e[1] and math.isnan(e[2]):
                        e[2] = f32(c["value"])
                elif kind == "clip":
                    lo, hi, x = f32(c["lo"]), f32(c["hi"]), e[2]
                    e[2] = lo if x < lo else (hi if x > hi else x)
                else:
                    e[2] = f32(f32(e[2] - f32(c["offset"])) * f32(c["scale"]))
        elif kind in ("label_encode", "one_hot"):
            e = find(step["column"])
            assert e[1], "%s is not categorical here" % step["column"]
            lv = step["levels"]
            pos = lv.index(e[2]) if e[2] in lv else -1
            if kind == "label_encode":
                e[1], e[2] = False, float(pos) if pos >= 0 else math.nan
            else:
                at = vals.index(e)
                hot = [["%s=%s" % (step["column"], l), False,
                        math.nan if e[2] is None else (1.0 if i == pos else 0.0)]
                       for i, l in enumerate(lv)]
                vals[at:at + 1] = hot
        else:
            raise ValueError("step %r does not replay on one row" % kind)
    out = []
    for f in pp["features"]:
        e = find(f)
        assert not e[1], "feature %s is not a number" % f
        out.append(e[2])
    return out


def bits(v):
    return struct.pack("<f", v)


def replay(d):
    """Applies preprocess.json to every row of test_raw.bin and compares the result with
    test.bin's features, bit for bit (NaN compares by being NaN)."""
    pp = json.load(open("%s/preprocess.json" % d))
    raw, _, _ = read_split("%s/test_raw.bin" % d)
    test, _, _ = read_split("%s/test.bin" % d)
    assert len(raw) == len(test) > 0, (len(raw), len(test))
    assert all(len(r) == len(pp["inputs"]) for r in raw), "test_raw.bin: not one value per input"
    bad = 0
    for i, (r, t) in enumerate(zip(raw, test)):
        got = replay_row(pp, r)
        assert len(got) == len(t), "row %d: %d features, test.bin has %d" % (i, len(got), len(t))
        for j, (g, w) in enumerate(zip(got, t)):
            if bits(g) != bits(w) and not (math.isnan(g) and math.isnan(w)):
                if bad < 5:
                    print("row %d feature %s: replayed %r, test.bin %r"
                          % (i, pp["features"][j], g, w))
                bad += 1
    print("rows %d, features %d, %d differ" % (len(raw), len(pp["features"]), bad))
    return bad


if __name__ == "__main__":
    if sys.argv[1] == "replay":
        sys.exit(1 if replay(sys.argv[2]) else 0)
    if sys.argv[1] == "stratified":
        sys.exit(1 if stratified(sys.argv[2]) else 0)
    if sys.argv[1] == "clean":
        sys.exit(1 if clean(sys.argv[2], sys.argv[3]) else 0)
    sys.exit(2)
