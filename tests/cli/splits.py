"""splits.py — reads tinyforge split files (layout: src/data/splitfile.h) for the CLI
tests, independently of the C reader, and checks cleaned fruit splits.

usage: python3 splits.py stratified DIR        class proportions per split within one row
       python3 splits.py clean DIR MANIFEST    no missing cells; injected outliers gone
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


if __name__ == "__main__":
    if sys.argv[1] == "stratified":
        sys.exit(1 if stratified(sys.argv[2]) else 0)
    if sys.argv[1] == "clean":
        sys.exit(1 if clean(sys.argv[2], sys.argv[3]) else 0)
    sys.exit(2)
