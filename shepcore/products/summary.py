"""The run summary of a scene: summary.json and the parameter and
segment-size tables of the Snakemake report (TSV)."""

import json
import os

import numpy as np

from .._files import write_text_atomic
from ..raster.rat import read_rat

#: Bin edges (pixels) of the segment-size table.
SIZE_BINS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 100000, 10**6,
             10**7, 10**9]


def write_summary(segments, model_path, settings, tiles, summary_out, params_out, sizes_out,
                  seams_report=None):
    """summary.json, a parameter table and the segment-size distribution.

    tiles : list of shepcore.tiles.grid.Tile; settings : the scene's
    effective settings {section: {key: value}}; seams_report : path of the
    stitch job's seams.json (segments crossing seams, pieces split off at
    seams and what became of them, segments left below min_segment_size
    and why), or None.
    """
    hist = np.asarray(read_rat(segments, ["Histogram"])["Histogram"])[1:]
    doc = {
        "segments_file": os.path.abspath(segments),
        "num_segments": int(len(hist)),
        "num_tiles": len(tiles),
        "tiles": [t.name for t in tiles],
        "settings": settings,
        "model": os.path.abspath(model_path),
    }
    if seams_report is not None:
        with open(seams_report) as f:
            seams = json.load(f)
        seams.pop("num_segments", None)
        doc["seams"] = seams
    write_text_atomic(summary_out, json.dumps(doc, indent=1, default=str))
    rows = ["section\tkey\tvalue"] + [f"{sec}\t{k}\t{v}" for sec, d in settings.items()
                                      for k, v in d.items()]
    write_text_atomic(params_out, "\n".join(rows) + "\n")
    counts, _ = np.histogram(hist, bins=SIZE_BINS)
    lines = ["pixels_from\tpixels_below\tsegments\tshare_of_pixels"]
    total = max(hist.sum(), 1)
    for lo, hi, c in zip(SIZE_BINS[:-1], SIZE_BINS[1:], counts, strict=True):
        px = hist[(hist >= lo) & (hist < hi)].sum()
        lines.append(f"{lo}\t{hi}\t{c}\t{px / total:.6f}")
    write_text_atomic(sizes_out, "\n".join(lines) + "\n")
