"""Scale: the whole default workflow on mosaics of many files, 16000 x 16000
(0.256 Gpx, 16 files) and 40000 x 40000 (1.6 Gpx, 100 files), on one 2-core
machine, with memory and time per stage, a check of the result, a SIGKILL
in the statistics stage with resume, and the SLURM requests against the
measured peaks.

Usage: python benchmarks/bench_scale.py [--sizes 16000 40000] [--cores 2]
       [--work /work/bench/scale] [--no-kill] [--keep] [--requests-only]

The mosaics (benchmarks/scale_mosaic.py) are kept in WORK/m{SIZE} for
reruns. Each run starts from a clean results folder with the default
config (segmentation, tiling 4096/1024, default statistics, colour table
from band means, Parquet table, quicklooks; polygons off).

Prints per size and stage (segmentation: mosaic .. assemble; attributes:
stats_part .. summary): wall time, summed job seconds, job count, largest
per-job peak RSS; the peak disk used under the results folder; time per
gigapixel; then the checks, the kill/resume checksum comparison and the
table of SLURM requests (from the rules' resource functions, as
``snakemake -n`` prints them) against the measured per-rule peaks.
"""

import argparse
import csv
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict

import numpy as np
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scale_mosaic import make_mosaic  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SNAKEMAKE = os.path.join(os.path.dirname(sys.executable), "snakemake")
SEGMENTATION = ("mosaic", "fit_model", "segment_tile", "seams_row", "stitch",
                "assemble")
ATTRIBUTES = ("stats_part", "attributes", "table", "vector", "colour_sidecars", "quicklook",
              "summary", "plots")


def workdir(work, size):
    """A Snakemake working directory for the size's mosaic (config written)."""
    folder = os.path.join(work, f"run{size}")
    os.makedirs(os.path.join(folder, "config"), exist_ok=True)
    inputs = sorted(glob.glob(os.path.join(work, f"m{size}", "scene_*.tif")))
    config = {"results": os.path.join(folder, "results"),
              "scenes": {"scale": {"inputs": inputs, "nodata": 0}}}
    with open(os.path.join(folder, "config", "config.yaml"), "w") as f:
        yaml.safe_dump(config, f)
    return folder, config["results"]


def snakemake(folder, *args, cores=2, **kw):
    return subprocess.Popen([SNAKEMAKE, "--snakefile", os.path.join(REPO, "workflow", "Snakefile"),
                             "--directory", folder, "--cores", str(cores), "--quiet", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, **kw)


class DiskWatch(threading.Thread):
    """Peak of the file system's used bytes above the start, every second."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path, self.base = path, shutil.disk_usage(path).used
        self.peak, self.stop = 0, threading.Event()

    def run(self):
        while not self.stop.wait(1.0):
            self.peak = max(self.peak, shutil.disk_usage(self.path).used - self.base)


def benchmarks(results):
    """[(rule, seconds, max RSS MB, benchmark-file mtime)] of every job."""
    out = []
    for tsv in glob.glob(f"{results}/*/benchmarks/**/*.tsv", recursive=True):
        rule = tsv.split(f"{os.sep}benchmarks{os.sep}", 1)[1].split(os.sep)[0].split(".")[0]
        with open(tsv) as f:
            row = next(csv.DictReader(f, delimiter="\t"))
        rss = row.get("max_rss", "NA")
        out.append((rule, float(row["s"]), float(rss) if rss not in ("NA", "-") else 0.0,
                    os.path.getmtime(tsv)))
    return out


def run_workflow(folder, results, cores):
    shutil.rmtree(results, ignore_errors=True)
    shutil.rmtree(os.path.join(folder, ".snakemake"), ignore_errors=True)
    watch = DiskWatch(folder)
    watch.start()
    t0 = time.time()
    proc = snakemake(folder, cores=cores)
    _, err = proc.communicate()
    t1 = time.time()
    watch.stop.set()
    if proc.returncode:
        raise SystemExit(f"snakemake failed:\n{err[-3000:]}")
    jobs = benchmarks(results)
    split = max(m for r, _, _, m in jobs if r == "assemble")  # segmentation done
    stages = {}
    for name, rules, start, end in (("segmentation", SEGMENTATION, t0, split),
                                    ("attributes", ATTRIBUTES, split, t1)):
        sel = [j for j in jobs if j[0] in rules]
        stages[name] = {"wall": end - start, "job_s": sum(j[1] for j in sel),
                        "jobs": len(sel), "max_rss_mb": max(j[2] for j in sel)}
    per_rule = defaultdict(lambda: {"jobs": 0, "s": 0.0, "max_s": 0.0, "max_rss": 0.0})
    for rule, s, rss, _ in jobs:
        r = per_rule[rule]
        r["jobs"] += 1
        r["s"] += s
        r["max_s"] = max(r["max_s"], s)
        r["max_rss"] = max(r["max_rss"], rss)
    return {"wall": t1 - t0, "stages": stages, "rules": dict(per_rule),
            "disk_peak_gb": watch.peak / 1e9}


def sha256(path):
    """SHA-256 of a raster's files: the file and its sidecars (an HFA file
    beyond 2 GB keeps its pixels in the .ige, its overviews in the .rrd)."""
    from shepcore._files import sidecars

    folder, name = os.path.split(path)
    h = hashlib.sha256()
    for part in [name, *sidecars(name)]:
        if not os.path.exists(os.path.join(folder, part)):
            continue
        h.update(part.encode() + b"\0")
        with open(os.path.join(folder, part), "rb") as f:
            for block in iter(lambda: f.read(1 << 24), b""):
                h.update(block)
    return h.hexdigest()


def check_result(results, inputs, size):
    """IDs 1..N with none empty, Histogram sum = valid pixels, and every
    segment whose bounding box lies in a sampled seam window one connected
    piece. Returns a dict of figures."""
    from scipy import ndimage

    from shepcore.raster import read_raster, read_rat
    from shepcore.tiles.grid import tile_grid

    seg = os.path.join(results, "scale", "segments.img")
    rat = read_rat(seg, ["Histogram", "bbox_row0", "bbox_col0", "bbox_row1", "bbox_col1"])
    hist = rat["Histogram"].astype(np.int64)
    n = hist.size - 1
    empty = int((hist[1:] == 0).sum())
    valid = 0
    for path in inputs:  # valid pixels of the inputs (all bands != 0), in strips
        from osgeo import gdal

        ds = gdal.Open(path)
        for r in range(0, ds.RasterYSize, 1000):
            rows = min(1000, ds.RasterYSize - r)
            block = ds.ReadAsArray(0, r, ds.RasterXSize, rows)
            valid += int((block != 0).all(axis=0).sum())
        ds = None
    tiles = tile_grid(size, size, 4096, 1024)
    seams = sorted({(t.core_row, t.core_col) for t in tiles if t.core_row and t.core_col})
    rng = np.random.default_rng(0)
    picks = [seams[i] for i in rng.choice(len(seams), min(6, len(seams)), replace=False)]
    checked = split = 0
    half = 768
    for r, c in picks:  # a window around a point where four tile cores meet
        win = (max(0, r - half), max(0, c - half), 2 * half, 2 * half)
        labels = read_raster(seg, window=win)[0][0]
        inside = ((rat["bbox_row0"] >= win[0]) & (rat["bbox_row1"] <= win[0] + win[2])
                  & (rat["bbox_col0"] >= win[1]) & (rat["bbox_col1"] <= win[1] + win[3]))
        for sid, box in enumerate(ndimage.find_objects(labels), start=1):
            if box is None or not inside[sid]:
                continue
            checked += 1
            split += ndimage.label(labels[box] == sid)[1] > 1
    return {"segments": n, "empty_ids": empty, "histogram_sum": int(hist[1:].sum()),
            "valid_pixels": valid, "seam_windows": len(picks),
            "segments_checked_for_connectivity": checked, "segments_in_two_pieces": int(split)}


def kill_in_stats_and_resume(folder, results, cores):
    """Run from clean, SIGKILL the snakemake process group once a statistics
    job has run for a while, --unlock, rerun. Returns (seconds into the
    statistics stage at the kill, checksum of the final raster)."""
    shutil.rmtree(results, ignore_errors=True)
    shutil.rmtree(os.path.join(folder, ".snakemake"), ignore_errors=True)
    proc = snakemake(folder, cores=cores)
    logs = os.path.join(results, "scale", "logs", "stats_part")
    while proc.poll() is None and not (os.path.isdir(logs) and os.listdir(logs)):
        time.sleep(0.5)
    started = time.time()
    while proc.poll() is None and time.time() - started < 8:
        time.sleep(0.2)
    if proc.poll() is not None:
        raise SystemExit("the statistics stage ended before the kill: nothing was tested")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    into = time.time() - started
    subprocess.run([SNAKEMAKE, "--snakefile", os.path.join(REPO, "workflow", "Snakefile"),
                    "--directory", folder, "--unlock", "--quiet"], check=True,
                   capture_output=True)
    rerun = snakemake(folder, cores=cores)
    _, err = rerun.communicate()
    if rerun.returncode:
        raise SystemExit(f"resume failed:\n{err[-3000:]}")
    return into, sha256(os.path.join(results, "scale", "segments.img"))


def slurm_requests(folder):
    """{rule: (mem_mb, runtime min)} of the largest request per rule, from a
    dry run that prints every job's resources."""
    out = subprocess.run([SNAKEMAKE, "--snakefile", os.path.join(REPO, "workflow", "Snakefile"),
                          "--directory", folder, "-n", "--forceall", "--cores", "2"],
                         capture_output=True, text=True, check=True).stdout
    req, rule = {}, None
    for line in out.splitlines():
        m = re.match(r"^(?:local)?rule (\w+):", line.strip())
        if m:
            rule = m.group(1)
        m = re.search(r"resources: (.*)", line)
        if m and rule:
            res = dict(kv.split("=", 1) for kv in m.group(1).split(", ") if "=" in kv)
            mem = float(res.get("mem_mb", 0))
            runtime = float(res.get("runtime", 0))
            old = req.get(rule, (0, 0))
            req[rule] = (max(old[0], mem), max(old[1], runtime))
    return req


def print_requests(folder, rules):
    """Print the SLURM requests of the workflow in ``folder`` (as the rules
    compute them now) against the measured per-rule figures ``rules``
    ({rule: {"max_rss": MB, "max_s": s}}); returns the requests."""
    requests = slurm_requests(folder)
    print(f"   {'rule':13s} {'mem_mb asked':>12s} {'peak MB':>8s} {'margin':>7s} "
          f"{'runtime asked':>13s} {'max job s':>9s} {'margin':>7s}")
    for rule, r in sorted(rules.items()):
        mem, runtime = requests.get(rule, (0, 0))
        margin = mem / r["max_rss"] if r["max_rss"] else float("nan")
        t_margin = runtime * 60 / r["max_s"] if r["max_s"] else float("nan")
        print(f"   {rule:13s} {mem:12.0f} {r['max_rss']:8.0f} {margin:6.1f}x "
              f"{runtime:10.0f} min {r['max_s']:9.0f} {t_margin:6.0f}x")
    return requests


def requests_only(work, sizes):
    """The request table of every size again, from the figures of the last
    benchmark (WORK/bench_scale.json) and the rules as they are now."""
    with open(os.path.join(work, "bench_scale.json")) as f:
        report = json.load(f)
    for size in sizes:
        if str(size) not in report:
            raise SystemExit(f"{work}/bench_scale.json has no run of size {size}")
        print(f"== {size} x {size}: SLURM requests (rules now) against the measured peaks")
        print_requests(workdir(work, size)[0], report[str(size)]["run"]["rules"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[16000, 40000])
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--work", default="/work/bench/scale")
    ap.add_argument("--no-kill", action="store_true", help="skip the SIGKILL/resume run")
    ap.add_argument("--keep", action="store_true", help="keep the last results folder")
    ap.add_argument("--requests-only", action="store_true",
                    help="only the table of SLURM requests, from the figures of the last run")
    args = ap.parse_args()
    if args.requests_only:
        return requests_only(args.work, args.sizes)
    report = {}
    for size in args.sizes:
        t = time.perf_counter()
        inputs = make_mosaic(size, os.path.join(args.work, f"m{size}"))
        made = time.perf_counter() - t
        folder, results = workdir(args.work, size)
        print(f"== {size} x {size} x 3 uint16 ({size * size / 1e9:.3f} Gpx), {len(inputs)} files "
              f"(ready in {made:.0f} s), --cores {args.cores}; load {os.getloadavg()[0]:.2f}",
              flush=True)
        run = run_workflow(folder, results, args.cores)
        gpx = size * size / 1e9
        print(f"   workflow wall {run['wall']:.0f} s = {run['wall'] / gpx:.0f} s/Gpx; "
              f"peak disk under the working folder {run['disk_peak_gb']:.1f} GB "
              f"({run['disk_peak_gb'] / gpx:.1f} GB/Gpx)")
        print(f"   {'stage':13s} {'wall s':>7s} {'s/Gpx':>6s} {'job s':>7s} {'jobs':>5s} "
              f"{'max RSS MB':>10s}")
        for name, st in run["stages"].items():
            print(f"   {name:13s} {st['wall']:7.0f} {st['wall'] / gpx:6.0f} {st['job_s']:7.0f} "
                  f"{st['jobs']:5d} {st['max_rss_mb']:10.0f}")
        print(f"   {'rule':13s} {'jobs':>5s} {'sum s':>7s} {'max s':>7s} {'max RSS MB':>10s}")
        for rule, r in sorted(run["rules"].items(), key=lambda kv: -kv[1]["s"]):
            print(f"   {rule:13s} {r['jobs']:5d} {r['s']:7.1f} {r['max_s']:7.1f} "
                  f"{r['max_rss']:10.0f}")
        checks = check_result(results, inputs, size)
        print("   checks: " + ", ".join(f"{k} {v}" for k, v in checks.items()), flush=True)
        digest = sha256(os.path.join(results, "scale", "segments.img"))
        entry = {"run": run, "checks": checks, "sha256": digest}
        if not args.no_kill and size == max(args.sizes):
            into, again = kill_in_stats_and_resume(folder, results, args.cores)
            print(f"   SIGKILL {into:.0f} s into the statistics stage, --unlock, rerun: "
                  "segments.img with its .ige, .rrd, .rde "
                  f"{'identical' if again == digest else 'DIFFERENT'} "
                  f"({again[:16]} vs {digest[:16]})")
            entry["kill"] = {"seconds_into_stats": into, "identical": again == digest}
        entry["requests"] = print_requests(folder, run["rules"])
        report[size] = entry
        if not args.keep or size != args.sizes[-1]:
            shutil.rmtree(results, ignore_errors=True)
    if len(report) > 1:
        a, b = sorted(report)
        ra = report[a]["run"]["wall"] / (a * a / 1e9)
        rb = report[b]["run"]["wall"] / (b * b / 1e9)
        print(f"== time per Gpx: {a}: {ra:.0f} s, {b}: {rb:.0f} s, ratio {rb / ra:.2f}")
    with open(os.path.join(args.work, "bench_scale.json"), "w") as f:
        json.dump(report, f, indent=1, default=str)


if __name__ == "__main__":
    main()
