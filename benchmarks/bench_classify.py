"""Classification of many segments in bounded memory (issue 13).

Builds a segment raster of ``--segments`` segments (one pixel each, HFA,
RAT with three band means, area and edge_pixels), fits a random forest on
2000 of them, then in fresh processes classifies every segment
(:func:`shepcore.classify_segments`, chunks of RAT rows) and writes the
class raster (:func:`shepcore.write_class_map`), printing wall time and
peak RSS of each step. Peak RSS of classify should not grow with the number
of segments beyond the estimator and one chunk; the class map holds one
class code per segment (2 bytes at most).

    python benchmarks/bench_classify.py --segments 2000000
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

STEP = r"""
import resource, sys, time
from shepcore.products.classify import SegmentClassifier, classify_segments
from shepcore.products.classmap import write_class_map
folder, step = sys.argv[1], sys.argv[2]
clf = SegmentClassifier.load(f"{folder}/clf.pkl")
t = time.perf_counter()
if step == "classify":
    classify_segments(f"{folder}/segments.img", clf, f"{folder}/pred.parquet")
else:
    write_class_map(f"{folder}/segments.img", f"{folder}/pred.parquet", clf.classes,
                    f"{folder}/classes.img")
print(f"{step}: {time.perf_counter() - t:.1f} s, peak RSS "
      f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
"""


def build(folder, n):
    from shepcore.products.classes import class_table
    from shepcore.products.classify import fit_classifier
    from shepcore.raster import add_rat_columns, write_segments

    cols = 2000
    rows = -(-n // cols)
    labels = np.arange(1, rows * cols + 1, dtype=np.uint32).reshape(rows, cols)
    labels[labels > n] = 0
    write_segments(f"{folder}/base.img", labels, geotransform=(0, 30, 0, 0, 0, -30))
    rng = np.random.default_rng(0)
    truth = rng.integers(1, 4, n + 1)
    means = {f"B{b}_mean": (1000.0 * truth + rng.normal(0, 300, n + 1)) * b for b in (1, 2, 3)}
    add_rat_columns(f"{folder}/base.img", means | {
        "area": np.full(n + 1, 900.0), "edge_pixels": np.ones(n + 1, np.int64)},
        f"{folder}/segments.img")
    pick = rng.choice(np.arange(1, n + 1), 2000, replace=False)
    table = {"class": truth[pick]} | {k: v[pick] for k, v in means.items()}
    table |= {"area": np.full(2000, 900.0), "compactness": np.full(2000, 4 / 5)}
    clf = fit_classifier(table, [*means, "area", "compactness"],
                         class_table(np.array(["a", "b", "c"])), n_estimators=100)
    clf.save(f"{folder}/clf.pkl")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--segments", type=int, default=2_000_000)
    if len(sys.argv) == 4 and sys.argv[1] == "--build":  # the set-up, in its own process
        build(sys.argv[2], int(sys.argv[3]))
        return
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        t = time.perf_counter()
        # Every step in a fresh process started from this small one: Linux
        # passes a parent's peak RSS on to its children.
        subprocess.run([sys.executable, __file__, "--build", folder, str(args.segments)],
                       check=True)
        print(f"{args.segments} segments built in {time.perf_counter() - t:.1f} s; "
              f"this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        for step in ("classify", "class_map"):
            subprocess.run([sys.executable, "-c", STEP, folder, step], check=True,
                           env=dict(os.environ))


if __name__ == "__main__":
    main()
