"""The run summary of a scene: summary.json and the parameter and
segment-size tables of the Snakemake report, as HTML tables (the report
shows HTML files inline; a TSV only gets a link that browsers download)."""

import html
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
    """summary.json, a parameter table and the segment-size distribution
    (``params_out``, ``sizes_out``: HTML pages, see :func:`html_table`).

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
    rows = [(sec, k, v) for sec, d in settings.items() for k, v in d.items()]
    write_text_atomic(params_out, html_table("Effective settings", ("section", "key", "value"),
                                             rows))
    counts, _ = np.histogram(hist, bins=SIZE_BINS)
    total = max(hist.sum(), 1)
    rows = []
    for lo, hi, c in zip(SIZE_BINS[:-1], SIZE_BINS[1:], counts, strict=True):
        px = hist[(hist >= lo) & (hist < hi)].sum()
        rows.append((lo, hi, int(c), f"{px / total:.6f}"))
    write_text_atomic(sizes_out, html_table(
        f"Segment sizes ({len(hist)} segments)",
        ("pixels from", "pixels below", "segments", "share of pixels"), rows))


def html_table(title, header, rows):
    """A small standalone HTML page holding one table (values escaped)."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>\n"
                   for row in rows)
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title>\n<style>"
            "body{font-family:sans-serif;font-size:14px}"
            "table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:3px 8px}"
            "th{background:#eee;text-align:left}td{font-family:monospace}"
            "</style></head>\n<body>\n"
            f"<h3>{html.escape(title)}</h3>\n<table>\n<tr>{head}</tr>\n{body}</table>\n"
            "</body></html>\n")
