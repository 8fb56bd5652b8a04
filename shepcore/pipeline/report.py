"""What a finished run reports: the plots of the Snakemake report (from the
final raster, the tile grid and the jobs' benchmark files) and the one
summary line per scene printed when the workflow ends."""

import csv
import glob
import json
import os

import numpy as np

from .._files import sidecars


def benchmark_times(bench_dir):
    """(rules, seconds) of every job that wrote a benchmark file under
    ``bench_dir`` (``<rule>.tsv``, ``<rule>.<x>.tsv`` or ``<rule>/<job>.tsv``),
    in sorted path order."""
    rules, seconds = [], []
    for path in sorted(glob.glob(os.path.join(bench_dir, "**", "*.tsv"), recursive=True)):
        rel = os.path.relpath(path, bench_dir)
        rule = rel.split(os.sep)[0].split(".")[0]
        with open(path) as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
        for row in rows:
            try:
                seconds.append(float(row["s"]))
            except (KeyError, ValueError):
                continue
            rules.append(rule)
    return rules, np.asarray(seconds, np.float64)


def tile_core_pixels(segments, tiles):
    """(names, segmented, null) pixel counts of every tile's core in the
    final raster (one core window read at a time)."""
    from ..raster.read import read_segments

    names, seg, null = [], [], []
    for t in tiles:
        labels = read_segments(segments, (t.core_row, t.core_col, t.core_rows, t.core_cols))
        names.append(t.name)
        seg.append(int(np.count_nonzero(labels)))
        null.append(int(labels.size - seg[-1]))
    return names, np.asarray(seg), np.asarray(null)


def write_report_plots(segments, tiles, bench_dir, sizes_png, tiles_png, times_png):
    """The three plots of a scene: segment sizes (from the RAT's Histogram),
    pixels per tile and time per job."""
    from ..products import plots
    from ..raster.rat import read_rat

    hist = np.asarray(read_rat(segments, ["Histogram"])["Histogram"])[1:]
    plots.size_distribution(hist, sizes_png)
    plots.tile_pixels(*tile_core_pixels(segments, tiles), tiles_png)
    rules, seconds = benchmark_times(bench_dir)
    plots.job_times(rules, seconds, times_png)


def format_seconds(s):
    """'42.1 s', '3 min 05 s' or '2 h 04 min'."""
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60):02d} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min"


def scene_summary_line(scene, scene_dir, wall_seconds):
    """One line on a finished scene: segments, tiles, the run's wall time,
    the jobs' summed time and where the outputs are; None when the scene has
    no summary.json (yet)."""
    path = os.path.join(scene_dir, "summary.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        doc = json.load(f)
    _, seconds = benchmark_times(os.path.join(scene_dir, "benchmarks"))
    names = [f for f in os.listdir(scene_dir) if f.startswith("segments")]
    side = {c for f in names for c in sidecars(f)}  # GDAL's, not outputs of their own
    outputs = sorted(f for f in names if f not in side and not f.endswith(".aux.xml"))
    return (f"shepcore: {scene}: {doc['num_segments']} segments in {doc['num_tiles']} tiles, "
            f"wall time {format_seconds(wall_seconds)} (jobs {format_seconds(seconds.sum())}); "
            f"outputs in {scene_dir}/: {', '.join(outputs)}")
