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


def segment_runtime_min(scene: Scene):
    """Runtime limit (minutes) of a tile job: 10 + 1 per megapixel."""
    return 10 + math.ceil(largest_tile_pixels(scene) / 1e6)


def assemble_memory_mb(scene: Scene):
    """Memory (MB) of the assemble job: two tiles' labels, the lookup table
    and the histogram, plus the interpreter and GDAL's write cache."""
    return 500 + largest_tile_pixels(scene) * 16 // 2**20


#: Memory (MB) of a statistics or output job: its working budget
#: (pipeline.attributes.STATS_MEMORY_MB) plus interpreter and GDAL cache.
STATS_JOB_MB = 1200
