"""Benchmark shepcore.segment() on a synthetic scene in a fresh process.

Usage: python benchmarks/bench_segment.py [--size 8000] [--clusters 60 100]

For each setting it generates the scene, saves it as .npy, then runs
segment() in a fresh Python process (warm numba cache after the first run)
and prints wall time of the call, per-stage timings and peak RSS.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from shepcore.synthetic import voronoi_scene

CHILD = r"""
import json, sys, time
def peak_rss_mb():
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the parent.
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
t0 = time.perf_counter()
import numpy as np
import shepcore
t_import = time.perf_counter() - t0
image = np.load(sys.argv[1], mmap_mode=None)
t1 = time.perf_counter()
res = shepcore.segment(image, num_clusters=int(sys.argv[2]))
wall = time.perf_counter() - t1
print(json.dumps({"wall": wall, "import": t_import, "timings": res.timings,
                  "segments": res.num_segments,
                  "singles": res.single_pixels_eliminated,
                  "small": res.small_segments_eliminated,
                  "peak_rss_mb": peak_rss_mb()}))
"""


def run_child(path, k):
    out = subprocess.run([sys.executable, "-c", CHILD, path, str(k)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=8000)
    ap.add_argument("--clusters", type=int, nargs="+", default=[60, 100])
    ap.add_argument("--noise", type=float, default=400.0)
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    image, _ = voronoi_scene(args.size, args.size, bands=3, grid=(10, 10),
                             noise=args.noise, dtype=np.uint16, seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "scene.npy")
        np.save(path, image)
        size_mb = image.nbytes / 2**20
        del image
        print(f"scene: {args.size} x {args.size} x 3 uint16 ({size_mb:.0f} MB), "
              f"~100 Voronoi regions, noise sd {args.noise}")
        for k in args.clusters:
            run_child(path, k)  # warm the numba cache for this process type
            for _ in range(args.repeats):
                r = run_child(path, k)
                stages = " ".join(f"{s}={t:.2f}" for s, t in r["timings"].items())
                print(f"k={k}: segment() {r['wall']:.2f} s wall, peak RSS "
                      f"{r['peak_rss_mb']:.0f} MB (incl. the {size_mb:.0f} MB image); "
                      f"segments={r['segments']} singles={r['singles']} "
                      f"small={r['small']}; stages: {stages}; "
                      f"import {r['import']:.2f} s")


if __name__ == "__main__":
    main()
