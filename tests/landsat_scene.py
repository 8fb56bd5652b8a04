"""The demo Landsat scene (data/demo, bands 4, 3, 2; nodata 0), segmented
once per test session, with per-segment statistics of each band."""

import functools
from pathlib import Path

import numpy as np

import shepcore
from shepcore import raster, stats

REPO = Path(__file__).resolve().parents[1]
BANDS = (4, 3, 2)
STATS = ["count", "min", "max", "mean", "stddev", "median", "mode", "p10", "p90"]


def band_path(b):
    return REPO / "data" / "demo" / f"LC81070352015122LGN00_B{b}.tif"


@functools.lru_cache(maxsize=2)
def landsat(folder):
    """dict: segments (path), labels (R, C), bands {b: (R, C)}, columns
    (statistics of every band and all spatial columns, 'B{b}_{stat}')."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    bands = {b: raster.read_raster(band_path(b))[0][0] for b in BANDS}
    result = shepcore.segment(np.stack([bands[b] for b in BANDS]), nodata=0)
    seg = str(folder / "landsat_segments.img")
    raster.write_segments(seg, result.labels, like=str(band_path(4)))
    columns = {}
    for b in BANDS:
        columns.update(stats.segment_statistics(
            seg, str(band_path(b)), statistics=STATS, nodata=0,
            spatial=("pixel_count", "area", "centroid", "bbox", "edge_pixels")
            if b == BANDS[0] else (), column_template=f"B{b}_{{stat}}"))
    return {"segments": seg, "labels": result.labels, "bands": bands, "columns": columns}
