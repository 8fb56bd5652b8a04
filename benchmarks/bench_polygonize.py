"""Polygons of a segment raster: ``shepcore polygonize`` (GeoPackage and
GeoParquet, with every RAT column) against ``gdal_polygonize.py`` alone
(GeoPackage, IDs only), each in a fresh process, interleaved, median wall
seconds and peak RSS.

Usage: python benchmarks/bench_polygonize.py SEGMENTS [--runs 3]

Figures on this project's 2-core machine (other jobs running), demo scene
(1578 x 1550, 14676 segments, 41 RAT columns), median of 5:
gdal_polygonize.py 1.46 s / 82 MB; shepcore polygonize .gpkg 1.36 s
(0.93x; 1.10x in an earlier series of 3) / 252 MB, of which about 200 MB
is importing pyogrio's GDAL and pyarrow; .parquet 1.59 s (1.09x) / 369 MB.
The writer before issue 12 (Memory layer, attributes set feature by
feature), median of 3: 5.48 s (4.0x) / 140 MB. On the demo tiled 3 x 3 (4734 x 4650,
132084 segments): 276 MB (before: 502 MB; gdal_polygonize.py 192 MB).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def measure(cmd):
    """(wall seconds, peak RSS MB) of one fresh process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return time.perf_counter() - t0, usage.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("segments")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    bindir = os.path.dirname(sys.executable)
    with tempfile.TemporaryDirectory() as tmp:
        cases = {
            "gdal_polygonize.py": lambda i: [
                sys.executable, os.path.join(bindir, "gdal_polygonize.py"), "-q", args.segments,
                "-f", "GPKG", f"{tmp}/g{i}.gpkg", "segments", "segment_id"],
            "shepcore .gpkg": lambda i: [sys.executable, "-m", "shepcore", "polygonize",
                                         args.segments, f"{tmp}/s{i}.gpkg"],
            "shepcore .parquet": lambda i: [sys.executable, "-m", "shepcore", "polygonize",
                                            args.segments, f"{tmp}/s{i}.parquet"],
        }
        results = {name: [] for name in cases}
        for i in range(args.runs):
            for name, cmd in cases.items():
                results[name].append(measure(cmd(i)))
    base = statistics.median(t for t, _ in results["gdal_polygonize.py"])
    for name, runs in results.items():
        t = statistics.median(r[0] for r in runs)
        mb = max(r[1] for r in runs)
        print(f"{name:20s} {t:6.2f} s ({t / base:.2f}x)  peak {mb:5.0f} MB")


if __name__ == "__main__":
    main()
