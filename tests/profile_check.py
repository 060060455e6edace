#!/usr/bin/env python3
"""profile_check.py - an independent check of a tinyforge profile.json.

Recomputes every value of the data profile from the raw file(s) with nothing but the
Python standard library and its own code (its own CSV reader typing columns as the C
loader does, its own quartiles with linear interpolation, its own outlier and
duplicate counts), then compares with the profile.json that tinyforge wrote. Exits 0
when all values agree, 1 listing every mismatch, 2 on a usage or input error.

    profile_check.py --profile P --csv FILE [--no-header] [--label NAME]
                     [--categorical NAME ...] [--delimiter C]
    profile_check.py --profile P --idx IMAGES LABELS [--idx IMAGES2 LABELS2]

IDX sources are concatenated in order (px0..px{H*W-1} then "label", as the loader
makes them). Pixel columns are profiled from byte histograms (exact integer sums), so
even Fashion-MNIST's 70000 x 785 cells take seconds, and every column is checked in
full.

Tolerance: 1e-9 relative. profile.json prints reals with a limited number of
significant digits (P, read off the file: the longest mantissa in it); a value may
also differ by half a unit in its P-th digit, which is all the file can hold.
"""

import argparse
import collections
import decimal
import gzip
import json
import math
import re
import struct
import sys

MISSING = {"", "NA", "N/A", "null", "?"}
NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
MAX_NUMERIC_CLASSES = 1000  # a numeric label with more values is a regression target
MAX_JSON_LEVELS = 20
REL_TOL = 1e-9


class InputError(Exception):
    pass


# ---- reading ---------------------------------------------------------------------

def read_bytes(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data


def csv_records(text, delim):
    """RFC 4180 records as lists of (text, quoted) fields."""
    quoted_re = re.compile(r'"((?:[^"]|"")*)"', re.S)
    plain_re = re.compile(r"[^%s\r\n]*" % re.escape(delim))
    records, fields, pos, n = [], [], 0, len(text)
    while True:
        if pos < n and text[pos] == '"':
            m = quoted_re.match(text, pos)
            if not m:
                raise InputError("unterminated quoted field at offset %d" % pos)
            fields.append((m.group(1).replace('""', '"'), True))
        else:
            m = plain_re.match(text, pos)
            fields.append((m.group(0), False))
        pos = m.end()
        if pos >= n:
            records.append(fields)
            break
        c = text[pos]
        if c == delim:
            pos += 1
            continue
        if c == "\r":
            pos += 1
            if pos < n and text[pos] == "\n":
                pos += 1
        elif c == "\n":
            pos += 1
        else:
            raise InputError("unexpected %r after a quoted field at offset %d" % (c, pos))
        records.append(fields)
        fields = []
        if pos >= n:
            break
    # completely empty lines at the end are no records
    while records and records[-1] == [("", False)]:
        records.pop()
    return records


def cell_value(field):
    """(is_missing, text) with the loader's trimming of unquoted cells."""
    s, quoted = field
    if quoted:
        return s == "", s
    s = s.strip(" \t")
    return s in MISSING, s


def load_csv(path, header, delim, categorical):
    text = read_bytes(path).decode("utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    records = csv_records(text, delim)
    if not records:
        raise InputError("%s: no records" % path)
    if header:
        names = [cell_value(f)[1] for f in records[0]]
        records = records[1:]
    else:
        names = ["c%d" % i for i in range(len(records[0]))]
    columns = []
    for j, name in enumerate(names):
        cells = [cell_value(r[j]) if j < len(r) else (True, "") for r in records]
        values = [None if miss else s for miss, s in cells]
        numeric = name not in categorical and all(
            v is None or NUMBER.fullmatch(v) for v in values)
        if numeric:
            values = [None if v is None else float(v) for v in values]
            for v in values:
                if v is not None and not math.isfinite(v):
                    raise InputError("%s: column %s has a non-finite number" % (path, name))
        columns.append((name, "numeric" if numeric else "categorical", values))
    return len(records), columns


def read_idx(images_path, labels_path):
    img, lab = read_bytes(images_path), read_bytes(labels_path)
    magic, n, h, w = struct.unpack(">IIII", img[:16])
    lmagic, ln = struct.unpack(">II", lab[:8])
    if magic != 0x803 or lmagic != 0x801 or n != ln:
        raise InputError("%s / %s: not a matching IDX images/labels pair"
                         % (images_path, labels_path))
    if len(img) != 16 + n * h * w or len(lab) != 8 + n:
        raise InputError("%s / %s: sizes do not match their headers" % (images_path, labels_path))
    return n, h, w, img[16:], lab[8:]


# ---- statistics ------------------------------------------------------------------

def quantile(sorted_vals, q):
    """numpy's default: linear interpolation at position q * (n - 1)."""
    n = len(sorted_vals)
    pos = q * (n - 1)
    lo = int(math.floor(pos))
    if lo + 1 >= n:
        return sorted_vals[n - 1]
    return sorted_vals[lo] + (pos - lo) * (sorted_vals[lo + 1] - sorted_vals[lo])


def numeric_profile(values):
    vals = sorted(v for v in values if v is not None)
    n = len(vals)
    p = {"count": n, "missing": len(values) - n, "distinct": len(set(vals))}
    if n == 0:
        for k in ("min", "max", "mean", "std", "q1", "median", "q3", "outlier_fences"):
            p[k] = None
        p["outliers"] = p["far_outliers"] = 0
        return p
    mean = math.fsum(vals) / n
    p.update(min=vals[0], max=vals[-1], mean=mean,
             std=math.sqrt(math.fsum((v - mean) ** 2 for v in vals) / (n - 1)) if n > 1 else 0.0,
             q1=quantile(vals, 0.25), median=quantile(vals, 0.5), q3=quantile(vals, 0.75))
    iqr = p["q3"] - p["q1"]
    lo, hi = p["q1"] - 1.5 * iqr, p["q3"] + 1.5 * iqr
    p["outlier_fences"] = [lo, hi]
    p["outliers"] = sum(1 for v in vals if v < lo or v > hi)
    flo, fhi = p["q1"] - 3 * iqr, p["q3"] + 3 * iqr
    p["far_outliers"] = sum(1 for v in vals if v < flo or v > fhi)
    return p


def histogram_profile(counts):
    """The numeric profile of integer values 0..255 given as {value: count}."""
    keys = sorted(counts)
    n = sum(counts.values())
    total = sum(k * c for k, c in counts.items())
    total_sq = sum(k * k * c for k, c in counts.items())
    p = {"count": n, "missing": 0, "distinct": len(keys), "min": float(keys[0]),
         "max": float(keys[-1]), "mean": total / n}
    # exact: sum of squared deviations = (n*sumsq - sum^2) / n, all integers
    p["std"] = math.sqrt((n * total_sq - total * total) / n / (n - 1)) if n > 1 else 0.0

    def kth(k):  # the k-th smallest (0-based) value
        seen = 0
        for key in keys:
            seen += counts[key]
            if k < seen:
                return float(key)
        return float(keys[-1])

    def q(frac):
        pos = frac * (n - 1)
        lo = int(math.floor(pos))
        if lo + 1 >= n:
            return kth(n - 1)
        a, b = kth(lo), kth(lo + 1)
        return a + (pos - lo) * (b - a)

    p.update(q1=q(0.25), median=q(0.5), q3=q(0.75))
    iqr = p["q3"] - p["q1"]
    lo, hi = p["q1"] - 1.5 * iqr, p["q3"] + 1.5 * iqr
    p["outlier_fences"] = [lo, hi]
    p["outliers"] = sum(c for k, c in counts.items() if k < lo or k > hi)
    flo, fhi = p["q1"] - 3 * iqr, p["q3"] + 3 * iqr
    p["far_outliers"] = sum(c for k, c in counts.items() if k < flo or k > fhi)
    return p


def categorical_profile(values):
    counts = collections.Counter(v for v in values if v is not None)
    levels = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].encode("utf-8")))
    p = {"count": sum(counts.values()), "missing": sum(1 for v in values if v is None),
         "distinct": len(counts),
         "levels": [{"value": k, "count": c} for k, c in levels[:MAX_JSON_LEVELS]]}
    if len(levels) > MAX_JSON_LEVELS:
        p["more_levels"] = len(levels) - MAX_JSON_LEVELS
    return p


def class_balance(kind, values):
    present = [v for v in values if v is not None]
    counts = collections.Counter(present)
    if kind == "numeric":
        if len(counts) > MAX_NUMERIC_CLASSES:
            return []
        keys = sorted(counts)
    else:
        keys = sorted(counts, key=lambda s: s.encode("utf-8"))
    total = len(present)
    return [{"class": k, "count": counts[k], "fraction": counts[k] / total} for k in keys]


# ---- expected profiles ------------------------------------------------------------

def expect_csv(args, label):
    n_rows, columns = load_csv(args.csv, not args.no_header, args.delimiter,
                               set(args.categorical or []))
    detail = []
    for name, kind, values in columns:
        p = numeric_profile(values) if kind == "numeric" else categorical_profile(values)
        detail.append(dict(name=name, type=kind, **p))
    rows = set()
    dups = 0
    for i in range(n_rows):
        key = tuple(values[i] for _, _, values in columns)
        if key in rows:
            dups += 1
        rows.add(key)
    exp = {"rows": n_rows, "columns": len(columns), "duplicate_rows": dups,
           "columns_detail": detail, "class_balance": []}
    if label is not None:
        found = [c for c in columns if c[0] == label]
        if not found:
            raise InputError("--label %s: no such column in %s" % (label, args.csv))
        exp["class_balance"] = class_balance(found[0][1], found[0][2])
    return exp, label


def expect_idx(args, label):
    parts = [read_idx(i, l) for i, l in args.idx]
    h, w = parts[0][1], parts[0][2]
    if any((p[1], p[2]) != (h, w) for p in parts):
        raise InputError("IDX sources have different image sizes")
    npx = h * w
    n = sum(p[0] for p in parts)
    detail = []
    for j in range(npx):
        col = b"".join(p[3][j::npx] for p in parts)
        detail.append(dict(name="px%d" % j, type="numeric",
                           **histogram_profile(collections.Counter(col))))
    labels = b"".join(p[4] for p in parts)
    detail.append(dict(name="label", type="numeric",
                       **histogram_profile(collections.Counter(labels))))
    rows = set()
    dups = 0
    for p in parts:
        img, lab = p[3], p[4]
        for i in range(p[0]):
            key = img[i * npx:(i + 1) * npx] + lab[i:i + 1]
            if key in rows:
                dups += 1
            rows.add(key)
    exp = {"rows": n, "columns": npx + 1, "duplicate_rows": dups, "shape": [h, w, 1],
           "columns_detail": detail,
           "class_balance": class_balance("numeric", [float(b) for b in labels])}
    if label not in (None, "label"):
        raise InputError("--label %s: IDX data has its label in the column 'label'" % label)
    return exp, "label"


# ---- comparing ---------------------------------------------------------------------

class PrintedFloat(float):
    """A float from the JSON text that remembers its significant digits."""

    def __new__(cls, text):
        self = float.__new__(cls, text)
        mant = text.lower().split("e")[0].lstrip("+-").replace(".", "").lstrip("0")
        self.digits = max(len(mant.rstrip("0")), 1)
        return self


class Checker:
    def __init__(self, precision):
        self.precision = precision  # significant digits the profile's reals carry
        self.checked = 0
        self.mismatches = []

    def close(self, a, b):
        if a is None or b is None:
            return a is None and b is None
        a, b = float(a), float(b)
        if a == b:
            return True
        scale = max(abs(a), abs(b))
        printed = 0.5 * 10 ** (math.floor(math.log10(scale)) - self.precision + 1)
        return abs(a - b) <= max(REL_TOL * scale, printed * 1.000001)

    def num(self, where, got, want):
        self.checked += 1
        if not self.close(got, want):
            self.mismatches.append("%s: profile has %r, recomputed %r" % (where, got, want))

    def exact(self, where, got, want):
        self.checked += 1
        if got != want:
            self.mismatches.append("%s: profile has %r, recomputed %r" % (where, got, want))


NUM_FIELDS = ("min", "max", "mean", "std", "q1", "median", "q3")


def compare_column(ck, i, got, want):
    where = "columns_detail[%d] (%s)" % (i, want["name"])
    for k in ("name", "type", "count", "missing", "distinct"):
        ck.exact("%s.%s" % (where, k), got.get(k), want[k])
    if want["type"] == "numeric":
        for k in NUM_FIELDS:
            ck.num("%s.%s" % (where, k), got.get(k), want[k])
        gf, wf = got.get("outlier_fences"), want["outlier_fences"]
        if wf is None or gf is None:
            ck.exact(where + ".outlier_fences", gf, wf)
        else:
            ck.num(where + ".outlier_fences[0]", gf[0], wf[0])
            ck.num(where + ".outlier_fences[1]", gf[1], wf[1])
        ck.exact(where + ".outliers", got.get("outliers"), want["outliers"])
        ck.exact(where + ".far_outliers", got.get("far_outliers"), want["far_outliers"])
    else:
        ck.exact(where + ".levels", got.get("levels"), want["levels"])
        ck.exact(where + ".more_levels", got.get("more_levels"), want.get("more_levels"))


def compare_balance(ck, got, want, numeric):
    ck.exact("class_balance (number of classes)", len(got), len(want))
    for i, (g, w) in enumerate(zip(got, want)):
        where = "class_balance[%d]" % i
        if numeric:
            try:
                ck.num(where + ".class", float(g["class"]), w["class"])
            except (TypeError, ValueError):
                ck.exact(where + ".class", g["class"], w["class"])
        else:
            ck.exact(where + ".class", g["class"], w["class"])
        ck.exact(where + ".count", g["count"], w["count"])
        ck.num(where + ".fraction", g["fraction"], w["fraction"])


def compare(profile, exp, label):
    digits = [0]

    def note(text):
        f = PrintedFloat(text)
        digits[0] = max(digits[0], f.digits)
        return f

    got = json.loads(profile, parse_float=note)
    ck = Checker(max(digits[0], 1))
    for k in ("rows", "columns", "duplicate_rows"):
        ck.exact(k, got.get(k), exp[k])
    ck.exact("shape", got.get("shape"), exp.get("shape"))
    ck.exact("label", got.get("label"), label)
    gcols, wcols = got.get("columns_detail", []), exp["columns_detail"]
    ck.exact("columns_detail (number of columns)", len(gcols), len(wcols))
    for i, (g, w) in enumerate(zip(gcols, wcols)):
        compare_column(ck, i, g, w)
    numeric_label = any(c["name"] == label and c["type"] == "numeric" for c in wcols)
    compare_balance(ck, got.get("class_balance", []), exp["class_balance"], numeric_label)
    return ck


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", required=True)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--csv")
    src.add_argument("--idx", nargs=2, action="append", metavar=("IMAGES", "LABELS"))
    ap.add_argument("--no-header", action="store_true")
    ap.add_argument("--label")
    ap.add_argument("--categorical", action="append", help="a column read as categories")
    ap.add_argument("--delimiter", default=",")
    args = ap.parse_args(argv)
    try:
        with open(args.profile, encoding="utf-8") as f:
            text = f.read()
        # without --label, the profile's own label is the one whose balance is checked
        label = args.label if args.label is not None else json.loads(text).get("label")
        exp, label = expect_csv(args, label) if args.csv else expect_idx(args, label)
    except (OSError, InputError, UnicodeDecodeError, struct.error, ValueError) as e:
        print("profile_check: %s" % e, file=sys.stderr)
        return 2
    ck = compare(text, exp, label)
    if ck.mismatches:
        for m in ck.mismatches:
            print("profile_check: %s: %s" % (args.profile, m), file=sys.stderr)
        print("profile_check: %d of %d values differ" % (len(ck.mismatches), ck.checked),
              file=sys.stderr)
        return 1
    print("profile_check: %d values agree (reals to %d significant digits)"
          % (ck.checked, ck.precision))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
