"""bench/tabular — a derived CSV for one of scikit-learn's bundled files with a preamble.

Usage: python3 prepare.py SOURCE.csv OUT.csv

scikit-learn's iris.csv, wine_data.csv and breast_cancer.csv begin with a line of
counts and class names ("150,4,setosa,versicolor,virginica"), not a header: its
field count differs from the rows' (or, for iris, it would be read as column names).
tinyforge's CSV reader takes a header line or none, so this writes OUT.csv with that
preamble replaced by a header f0..f{n-1},class and the rows unchanged, after checking
the rows against the preamble's counts. Standard library only; nothing is committed.
"""
import csv
import sys


def main():
    src, dst = sys.argv[1], sys.argv[2]
    with open(src, newline="") as f:
        rows = list(csv.reader(f))
    n_rows, n_features = int(rows[0][0]), int(rows[0][1])
    class_names = rows[0][2:]
    body = [r for r in rows[1:] if r]
    if len(body) != n_rows:
        sys.exit(f"prepare: {src}: the preamble says {n_rows} rows, the file has {len(body)}")
    for i, r in enumerate(body, 2):
        if len(r) != n_features + 1:
            sys.exit(f"prepare: {src}:{i}: {len(r)} fields, expected {n_features + 1}")
        if not 0 <= int(r[-1]) < len(class_names):
            sys.exit(f"prepare: {src}:{i}: class {r[-1]} outside 0..{len(class_names) - 1}")
    with open(dst, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([f"f{j}" for j in range(n_features)] + ["class"])
        w.writerows(body)
    print(f"{dst}: {n_rows} rows, {n_features} features, classes {','.join(class_names)}"
          f" (preamble of {src} replaced by a header)")


if __name__ == "__main__":
    main()
