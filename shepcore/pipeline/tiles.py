"""Jobs of rules/tiles.smk: cutting tile rows out of the mosaic and
segmenting one tile.

Tile images and labels are ``.npy`` files: no GDAL in the per-tile jobs,
and labels can be memory-mapped so that seam matching reads only the
overlap strips. Every file is written atomically. Heavy modules (numba
kernels, GDAL) are imported inside the functions that need them, so that
each job imports only what it uses.
"""

import os
import sys

import numpy as np

from .._files import save_npy, save_npz


def split_row(mosaic, tiles, out_dir):
    """Write ``{out_dir}/{tile name}.npy`` (bands, rows, cols) for every Tile
    in ``tiles`` (one tile row), overlap included."""
    from ..raster.read import read_raster

    os.makedirs(out_dir, exist_ok=True)
    for t in tiles:
        image, _ = read_raster(mosaic, window=(t.row, t.col, t.rows, t.cols))
        save_npy(f"{out_dir}/{t.name}.npy", image)


def load_tile_image(image_path, tile, mosaic=None):
    """The tile image (bands, rows, cols) from its .npy; if that file is gone
    (deleted from its row folder, which Snakemake cannot see), cut the same
    window from ``mosaic`` again."""
    if os.path.exists(image_path) or mosaic is None:
        return np.load(image_path)
    from ..raster.read import read_raster

    print(f"{image_path} missing: reading the tile from {mosaic}", file=sys.stderr)
    return read_raster(mosaic, window=(tile.row, tile.col, tile.rows, tile.cols))[0]


def segment_tile_file(image_path, model_path, tile, grid, labels_out, pieces_out, *,
                      threads=1, min_segment_size=50, connectivity=4, mosaic=None):
    """Segment the tile image (bands, rows, cols) .npy with a saved model.

    grid : {"shape": (tile rows, tile cols), "overlap": pixels} of the
    scene's tile grid. Writes labels (rows, cols) uint32 to ``labels_out``
    (core pieces split, see :mod:`shepcore.tiles.pieces`) and their
    TilePieces to ``pieces_out`` (.npz). Returns (number of labels,
    timings). ``mosaic``: see :func:`load_tile_image`.
    """
    import numba

    from ..model import SpectralModel
    from ..tiles.inmemory import segment_tile

    numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    image = load_tile_image(image_path, tile, mosaic)
    model = SpectralModel.load(model_path)
    labels, pieces, timings = segment_tile(image, model, tile, tuple(grid["shape"]),
                                           grid["overlap"], min_segment_size, connectivity)
    save_npy(labels_out, labels)
    save_npz(pieces_out, **pieces.to_arrays())
    return pieces.num_labels, timings
