"""Time shepcore.segment() on each real scene, each in a fresh process with
a warm numba cache (a warm-up process runs first).

Usage: python benchmarks/bench_real_scenes.py [SCENES_DIR]

Prints per scene: process wall time (start to exit, including Python start,
imports and reading the file), the segment() call's wall time and its
per-stage breakdown, and the segment count.
"""

import json
import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# (file list, stack as bands, nodata override)
SCENES = [
    (["RGB.byte.tif"], None),
    (["m_4709963_se_14_1_20100629.tif"], None),
    (["2020.tif"], None),
    (["LC08_232066_20190727.tif"], None),
    (["mosaic_cog1.tif"], None),
    ([f"LC81070352015122LGN00_B{b}.tif" for b in (4, 3, 2)], 0),
]
CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import numpy as np
import shepcore
from shepcore.raster import read_raster
paths = sys.argv[2:]
nodata = None if sys.argv[1] == "none" else float(sys.argv[1])
parts = [read_raster(p) for p in paths]
image = np.concatenate([p[0] for p in parts])
nodata = parts[0][1] if nodata is None else nodata
t1 = time.perf_counter()
res = shepcore.segment(image, nodata=nodata)
t2 = time.perf_counter()
print(json.dumps({"segment": t2 - t1, "before": t1 - t0, "timings": res.timings,
                  "n": res.num_segments, "shape": list(image.shape),
                  "dtype": str(image.dtype)}))
"""


def main():
    scenes_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        REPO, "..", "shared", "data", "scenes")
    for files, nodata in SCENES:
        paths = [os.path.join(scenes_dir, f) for f in files]
        args = [sys.executable, "-c", CHILD, "none" if nodata is None else str(nodata), *paths]
        subprocess.run(args, check=True, capture_output=True)  # warm the cache
        t = time.perf_counter()
        out = subprocess.run(args, check=True, capture_output=True, text=True)
        wall = time.perf_counter() - t
        r = json.loads(out.stdout.strip().splitlines()[-1])
        stages = " ".join(f"{k}={v:.2f}" for k, v in r["timings"].items())
        name = files[0] if len(files) == 1 else "LC81070352015122LGN00_B4,3,2 stack"
        print(f"{name}: {r['shape']} {r['dtype']}: process {wall:.2f} s, segment() "
              f"{r['segment']:.2f} s ({stages}), {r['n']} segments")


if __name__ == "__main__":
    main()
