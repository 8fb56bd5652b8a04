"""Resources (memory, threads, time limit) that workflow jobs request, as
functions of a scene's largest tile and band count. The rules call these
through common.smk; the SLURM profile passes them to sbatch."""

import math

from ..tiles.grid import Tile
from .config import Scene


def tile_pixels(tile: Tile):
    """Pixels in a tile window (overlap included)."""
    return tile.rows * tile.cols


def largest_tile_pixels(scene: Scene):
    """Pixels of the scene's largest tile (edge tiles are the largest)."""
    return max(tile_pixels(t) for t in scene.tiles)


def segment_memory_mb(scene: Scene):
    """Memory (MB) one tile segmentation job needs, from the largest tile.

    Per pixel: the tile image (bands x item size), the cluster image
    (2 bytes), the labels (4), pixel lists of small segments (up to 8), and
    numpy/numba working space (~10); plus 400 MB for the interpreter,
    numba and the model.
    """
    per_pixel = scene.mosaic.bands * scene.mosaic.dtype.itemsize + 24
    return 400 + math.ceil(largest_tile_pixels(scene) * per_pixel / 2**20)


def segment_threads(scene: Scene):
    """Threads of a tile job: 1 up to 64 Mpixel per tile (the default 4096
    tiles, edge tiles included), 2 up to 256 Mpixel, else 4. Clumping and
    elimination are serial, so tiles gain more from running as several jobs
    at once than from threads inside one job."""
    px = largest_tile_pixels(scene)
    return 1 if px <= 2**26 else 2 if px <= 2**28 else 4


#: Most seconds per gigapixel handled that a job of each rule took in
#: ``benchmarks/bench_scale.py`` (2-core machine, --cores 2, mosaics of
#: 0.256 and 1.6 Gpx; README "Scale"). fit_model reads a fixed number of
#: samples, its figure is per gigapixel of mosaic all the same (opening and
#: seeking more files takes longer).
SECONDS_PER_GPX = {
    "mosaic": 4, "fit_model": 45, "segment_tile": 300, "seams_row": 25, "stitch": 6,
    "assemble": 30, "stats_part": 200, "attributes": 80, "table": 4, "vector": 600,
    "colour_sidecars": 4, "quicklook": 90, "summary": 1, "plots": 4,
}
#: Pixels a job handles, by rule: its tile window, its tile row, else the mosaic.
TILE_RULES = ("segment_tile",)
ROW_RULES = ("seams_row", "stats_part")
#: Time limit = RUNTIME_BASE_MIN + RUNTIME_MARGIN x the measured time: a
#: slower or busier node, or a slow shared file system, must not hit it
#: (a job killed at its limit is lost work and a resubmission).
RUNTIME_BASE_MIN = 5
RUNTIME_MARGIN = 5


def job_gigapixels(scene: Scene, rule):
    """Gigapixels one job of ``rule`` handles: the largest tile window (tile
    jobs), the largest tile row of cores (row jobs), else the mosaic."""
    if rule in TILE_RULES:
        px = largest_tile_pixels(scene)
    elif rule in ROW_RULES:
        px = scene.mosaic.cols * max(t.rows for t in scene.tiles)
    else:
        px = scene.mosaic.rows * scene.mosaic.cols
    return px / 1e9


def runtime_min(scene: Scene, rule):
    """Time limit (minutes) of a job of ``rule`` on ``scene``:
    RUNTIME_BASE_MIN + RUNTIME_MARGIN x SECONDS_PER_GPX[rule] x its
    gigapixels (:func:`job_gigapixels`), rounded up."""
    seconds = SECONDS_PER_GPX[rule] * job_gigapixels(scene, rule)
    return RUNTIME_BASE_MIN + math.ceil(RUNTIME_MARGIN * seconds / 60)


def assemble_memory_mb(scene: Scene):
    """Memory (MB) of the assemble job: two tiles' labels, the lookup table
    and the histogram, plus the interpreter and GDAL's write cache."""
    return 500 + largest_tile_pixels(scene) * 16 // 2**20


def seams_memory_mb(scene: Scene):
    """Memory (MB) of a seams_row job: the seam bands of a tile row grow
    with the mosaic's width (measured 270 MB for rows of 0.11 Gpx, 385 MB
    for 0.25 Gpx): 400 + 1500 per gigapixel of the row."""
    return 400 + math.ceil(1500 * job_gigapixels(scene, "seams_row"))


def stitch_memory_mb(scene: Scene):
    """Memory (MB) of the stitch job: the label table and the seam pieces of
    every tile grow with the mosaic (measured 218 MB at 0.256 Gpx and 217 k
    segments, 1092 MB at 1.6 Gpx and 1.8 M segments, about 650 MB per Gpx):
    400 + 1000 per gigapixel."""
    return 400 + math.ceil(1000 * job_gigapixels(scene, "stitch"))


#: Memory (MB) of a statistics or output job: its working budget
#: (pipeline.attributes.STATS_MEMORY_MB) plus interpreter and GDAL cache.
STATS_JOB_MB = 1200
