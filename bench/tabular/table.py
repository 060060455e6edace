"""bench/tabular — scikit-learn beside tinyforge on the same splits; prints the table.

Usage: /usr/bin/python3 table.py OUT NAME...   (run.sh calls it)

For each NAME it reads what run.sh left in OUT/NAME: the data stage's split files
(data/{train,val,test}.bin, the layout of src/data/splitfile.h) and the JSON that
`tinyforge --json quantize` printed (quantize.json: float_accuracy, int8_accuracy).
It fits scikit-learn's LogisticRegression, MLPClassifier and RandomForestClassifier
(fixed random_state) on train.bin and scores them on test.bin: the rows tinyforge
was trained and tested on, already standardised by the data stage. val.bin is not
used by scikit-learn (tinyforge uses it to stop training and to choose a network).
Prints one row per data set and writes OUT/tabular.json. Exits 1 only if something
could not be read or fitted; a missed target is a MISS in the table, not a failure.
"""
import json
import os
import struct
import sys
import time
import warnings

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

SEED = 0
TARGET_POINTS = 1.0  # the targets: float within 1 point of best sklearn, int8 of float


def read_split(path):
    """x (rows, features) float32, y (rows,) int32 from a TFGSPLIT file."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 64 or blob[:8] != b"TFGSPLIT":
        raise ValueError(f"{path}: not a TFGSPLIT file")
    version, rows, features = struct.unpack_from("<3I", blob, 8)
    label_kind, n_classes, header = struct.unpack_from("<3I", blob, 36)
    if version != 1 or header != 64:
        raise ValueError(f"{path}: version {version}, header {header} bytes; expected 1, 64")
    if label_kind != 1:
        raise ValueError(f"{path}: label kind {label_kind}; the bench needs class indices (1)")
    want = 64 + 4 * rows * features + 4 * rows
    if len(blob) != want:
        raise ValueError(f"{path}: {len(blob)} bytes, the header says {want}")
    x = np.frombuffer(blob, "<f4", rows * features, 64).reshape(rows, features)
    y = np.frombuffer(blob, "<i4", rows, 64 + 4 * rows * features)
    return x, y, n_classes


def load(*parts):
    with open(os.path.join(*parts)) as f:
        return json.load(f)


def arch_name(t):
    """'4-128-64-3' for a dense network; the layer types otherwise (train.json)."""
    c = [c for c in t.get("candidates", []) if c.get("chosen")] or t.get("candidates", [])[:1]
    if not c:
        return "?"
    a = c[0]["arch"]
    parts = ["x".join(str(v) for v in a["input"])]
    for layer in a["layers"]:
        if layer["type"] == "dense":
            parts.append(str(layer["units"]))
        elif layer["type"] != "softmax":
            parts.append(layer["type"])
    return "-".join(parts)


def pts(v):
    """Points with a sign; 0.0 rather than -0.0."""
    return "%+.1f" % (0.0 if abs(v) < 0.05 else v)


def models():
    return {
        "lr": LogisticRegression(max_iter=5000, random_state=SEED),
        "mlp": MLPClassifier(hidden_layer_sizes=(100,), max_iter=2000, random_state=SEED),
        "rf": RandomForestClassifier(n_estimators=200, random_state=SEED, n_jobs=1),
    }


def score(run, out):
    d = os.path.join(out, run)
    meta = load(d, "bench.json")
    xtr, ytr, n_classes = read_split(os.path.join(d, "data", "train.bin"))
    xva, _, _ = read_split(os.path.join(d, "data", "val.bin"))
    xte, yte, _ = read_split(os.path.join(d, "data", "test.bin"))
    q = load(d, "quantize.json")
    t = load(d, "train.json")
    summary = load(d, "data", "summary.json")
    chosen = [c for c in t.get("candidates", []) if c.get("chosen")]
    row = {
        "name": meta["dataset"],
        "run": run,
        "seed": meta["seed"],
        "source": summary["sources"][0]["path"],
        "rows": int(summary["rows_loaded"]),
        "train_rows": int(len(xtr)), "val_rows": int(len(xva)), "test_rows": int(len(xte)),
        "data_ops": [op["did"] for op in summary["ops"]],
        "features": int(xtr.shape[1]), "classes": int(n_classes),
        "points_per_test_row": 100.0 / len(xte),
        "tinyforge_float": 100.0 * q["float_accuracy"],
        "tinyforge_int8": 100.0 * q["int8_accuracy"],
        "tinyforge_train_test_accuracy": 100.0 * t["test_accuracy"],  # train's own figure
        "tinyforge_train": {
            "arch": arch_name(t),
            "params": t["params"],
            "training": t["training"],
            "epochs_run": t["epochs_run"],
            "best_epoch": t["best_epoch"],
            "chosen_fit_seconds": t["seconds"],
            "candidates": [{"arch": arch_name({"candidates": [c]}), "params": c["params"],
                            "val_accuracy": c["val_accuracy"], "epochs": c["epochs"]}
                           for c in t.get("candidates", [])],
            "chosen_by": "the builtin chooser" if chosen else "the spec's model.arch",
        },
        "sklearn": {}, "sklearn_fit_s": {}, "sklearn_warnings": {},
    }
    for key, m in models().items():
        t0 = time.monotonic()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            m.fit(xtr, ytr)
        row["sklearn_fit_s"][key] = round(time.monotonic() - t0, 3)
        row["sklearn"][key] = 100.0 * float(np.mean(m.predict(xte) == yte))
        msgs = sorted({str(w.message).split(".")[0] for w in caught
                       if issubclass(w.category, ConvergenceWarning)})
        if msgs:
            row["sklearn_warnings"][key] = msgs
    judge(row)
    return row


def judge(row):
    """Best scikit-learn model, the two gaps and the two targets of a row."""
    best_key = max(row["sklearn"], key=lambda k: row["sklearn"][k])
    row["best_sklearn"] = best_key
    row["best_sklearn_accuracy"] = row["sklearn"][best_key]
    row["gap_float_best"] = row["tinyforge_float"] - row["best_sklearn_accuracy"]
    row["gap_int8_float"] = row["tinyforge_int8"] - row["tinyforge_float"]
    row["float_target"] = "PASS" if row["gap_float_best"] >= -TARGET_POINTS else "MISS"
    row["int8_target"] = "PASS" if row["gap_int8_float"] >= -TARGET_POINTS else "MISS"


def means(rows):
    """Per data set run with more than one seed: the mean of each accuracy, judged again."""
    out = []
    for name in dict.fromkeys(r["name"] for r in rows):
        rs = [r for r in rows if r["name"] == name]
        if len(rs) < 2:
            continue
        m = {k: rs[0][k] for k in ("name", "rows", "features", "classes")}
        m["seeds"] = [r["seed"] for r in rs]
        for k in ("train_rows", "test_rows", "tinyforge_float", "tinyforge_int8"):
            m[k] = sum(r[k] for r in rs) / len(rs)
        m["sklearn"] = {k: sum(r["sklearn"][k] for r in rs) / len(rs)
                        for k in rs[0]["sklearn"]}
        m["float_target_runs"] = sum(r["float_target"] == "PASS" for r in rs)
        m["int8_target_runs"] = sum(r["int8_target"] == "PASS" for r in rs)
        judge(m)
        out.append(m)
    return out


def print_table(title, rows, hdr_seed, seed_of, held=None):
    hdr = ("data set", hdr_seed, "rows", "feat", "cls", "train", "test", "tf float", "tf int8",
           "LR", "MLP", "RF", "best skl", "float-best", "int8-float", "float<=1", "int8<=1")
    fmt = "%-13s %5s %5s %4s %3s %5s %4s %8s %8s %6s %6s %6s %9s %10s %10s %10s %10s"
    if title:
        print(title)
    print(fmt % hdr)
    for r in rows:
        s = r["sklearn"]
        print(fmt % (r["name"], seed_of(r), r["rows"], r["features"], r["classes"],
                     "%.0f" % r["train_rows"], "%.0f" % r["test_rows"],
                     "%.1f" % r["tinyforge_float"], "%.1f" % r["tinyforge_int8"],
                     "%.1f" % s["lr"], "%.1f" % s["mlp"], "%.1f" % s["rf"],
                     "%.1f %s" % (r["best_sklearn_accuracy"], r["best_sklearn"].upper()),
                     pts(r["gap_float_best"]), pts(r["gap_int8_float"]),
                     r["float_target"] + (held(r, "float") if held else ""),
                     r["int8_target"] + (held(r, "int8") if held else "")))


def main():
    out, names = sys.argv[1], sys.argv[2:]
    rows, failed = [], []
    for name in names:
        try:
            rows.append(score(name, out))
        except Exception as e:  # one data set's failure must not hide the others
            print(f"bench/tabular: {name}: {type(e).__name__}: {e}", file=sys.stderr)
            failed.append(name)
    print_table(None, rows, "seed", lambda r: r["seed"])
    mean_rows = means(rows)
    print("rows: read from the CSV; train, test: rows of the split files (train after"
          " tinyforge's cleaning, e.g. oversampling; scikit-learn fits on the same).")
    print("Test accuracy in %, all on the same test split; gaps in points (negative: tinyforge"
          " behind).")
    print("float<=1: tinyforge float within 1 point of the best scikit-learn model; int8<=1:"
          " int8 within 1 point of float.")
    print("One test row is worth " + ", ".join(
        "%s %.2f" % (n, p) for n, p in dict((r["name"], r["points_per_test_row"])
                                             for r in rows).items()) + " points.")
    print()
    fmt2 = "%-18s %-20s %7s %7s %5s %8s  %s"
    print(fmt2 % ("tinyforge run", "network (chosen)", "params", "epochs", "best", "patience",
                  "candidates tried: params/val accuracy %"))
    for r in rows:
        tt = r["tinyforge_train"]
        print(fmt2 % (r["run"], tt["arch"], tt["params"],
                      "%d/%d" % (tt["epochs_run"], tt["training"]["epochs"]), tt["best_epoch"],
                      tt["training"].get("patience", "-"),
                      " ".join("%d/%.1f" % (c["params"], 100 * c["val_accuracy"])
                               for c in tt["candidates"])))
    if mean_rows:
        print()
        print_table("Mean over seeds (each seed its own split and training); a target is"
                    " judged on the means, (k/n): the runs that held it", mean_rows, "seeds",
                    lambda r: len(r["seeds"]),
                    lambda r, t: " %d/%d" % (r[t + "_target_runs"], len(r["seeds"])))
    print("epochs: run/allowed (training.epochs); best: the epoch kept (lowest validation"
          " loss).")
    for r in rows:
        for k, msgs in r["sklearn_warnings"].items():
            print(f"note: {r['run']} {k.upper()}: {'; '.join(msgs)}")
    import sklearn
    doc = {
        "bench": "tabular",
        "sklearn_version": sklearn.__version__,
        "random_state": SEED,
        "target_points": TARGET_POINTS,
        "sklearn_models": {k: repr(m) for k, m in models().items()},
        "datasets": rows,
        "means": mean_rows,
        "failed": failed,
    }
    path = os.path.join(out, "tabular.json")
    with open(path + ".tmp", "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.replace(path + ".tmp", path)
    print("written: " + path)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
