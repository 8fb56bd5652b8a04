"""Benchmark the whole Snakemake workflow on a synthetic scene.

Usage: python benchmarks/bench_workflow.py [--size 8000] [--tile 2048]
       [--overlap 512] [--cores 2] [--workdir DIR]

Writes a synthetic (size x size x 3 uint16) GeoTIFF, a config, runs
``snakemake --cores N`` from a clean results folder and prints the wall
time, then per rule: job count, summed and max seconds, max peak RSS (from
the benchmark: files of each job).
"""

import argparse
import csv
import glob
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

import numpy as np
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_scene(path, size, seed=1):
    """Synthetic Voronoi scene as a tiled GeoTIFF, written in strips."""
    from osgeo import gdal

    from shepcore.synthetic import voronoi_scene

    image, _ = voronoi_scene(size, size, bands=3, grid=(10, 10), noise=400.0,
                             dtype=np.uint16, seed=seed)
    gdal.UseExceptions()
    ds = gdal.GetDriverByName("GTiff").Create(path, size, size, 3, gdal.GDT_UInt16,
                                              options=["TILED=YES"])
    ds.SetGeoTransform((500000.0, 30.0, 0.0, 4000000.0, 0.0, -30.0))
    for b in range(3):
        ds.GetRasterBand(b + 1).WriteArray(image[b])
    ds = None


def per_rule(results):
    """{rule: [seconds...], rss: [...]} from the benchmark tsv files."""
    stats = defaultdict(lambda: {"s": [], "rss": []})
    for tsv in glob.glob(f"{results}/*/benchmarks/**/*.tsv", recursive=True):
        # benchmarks/<rule>.tsv, benchmarks/<rule>.<ext>.tsv or <rule>/<tile>.tsv
        rel = tsv.split(f"{os.sep}benchmarks{os.sep}", 1)[1]
        rule = rel.split(os.sep)[0].split(".")[0]
        with open(tsv) as f:
            row = next(csv.DictReader(f, delimiter="\t"))
        stats[rule]["s"].append(float(row["s"]))
        rss = row.get("max_rss", "NA")
        stats[rule]["rss"].append(float(rss) if rss not in ("NA", "-") else 0.0)
    return stats


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=8000)
    ap.add_argument("--tile", type=int, default=2048)
    ap.add_argument("--overlap", type=int, default=512)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    work = args.workdir or tempfile.mkdtemp(prefix="shepbench_")
    os.makedirs(work, exist_ok=True)
    scene = os.path.join(work, f"synthetic_{args.size}.tif")
    if not os.path.exists(scene):
        write_scene(scene, args.size)
    config = {
        "results": os.path.join(work, "results"),
        "scenes": {"synthetic": {"inputs": [scene]}},
        "tiling": {"tile_size": args.tile, "overlap": args.overlap},
    }
    # The Snakefile reads config/config.yaml of its working directory.
    os.makedirs(os.path.join(work, "config"), exist_ok=True)
    cfg = os.path.join(work, "config", "config.yaml")
    with open(cfg, "w") as f:
        yaml.safe_dump(config, f)
    subprocess.run(["rm", "-rf", config["results"]], check=True)
    snakemake = os.path.join(os.path.dirname(sys.executable), "snakemake")
    t0 = time.perf_counter()
    subprocess.run([snakemake, "--snakefile", os.path.join(REPO, "workflow", "Snakefile"),
                    "--directory", work, "--cores", str(args.cores),
                    "--quiet", "all"], check=True)
    wall = time.perf_counter() - t0
    print(f"scene {args.size} x {args.size} x 3 uint16, tile {args.tile} / overlap "
          f"{args.overlap}, --cores {args.cores}: workflow wall {wall:.1f} s")
    stats = per_rule(config["results"])
    print(f"{'rule':14s} {'jobs':>4s} {'sum s':>8s} {'max s':>7s} {'max RSS MB':>10s}")
    for rule, st in sorted(stats.items(), key=lambda kv: -sum(kv[1]["s"])):
        print(f"{rule:14s} {len(st['s']):4d} {sum(st['s']):8.2f} {max(st['s']):7.2f} "
              f"{max(st['rss']):10.0f}")


if __name__ == "__main__":
    main()
