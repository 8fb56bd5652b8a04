"""Job of rules/tiles.smk: segmenting one tile of the mosaic.

Labels are ``.npy`` files, so that seam matching can memory-map them and
read only the overlap strips. Every file is written atomically. Heavy
modules (numba kernels, GDAL) are imported inside the function, so that
the job imports only what it uses.
"""

from .._files import save_npy, save_npz


def segment_tile_file(mosaic, model_path, tile, grid, labels_out, pieces_out, *,
                      threads=1, min_segment_size=50, connectivity=4):
    """Segment one tile of the mosaic with a saved model.

    The tile's window (overlap included) is read from ``mosaic`` (the VRT);
    grid : {"shape": (tile rows, tile cols), "overlap": pixels} of the
    scene's tile grid. Writes labels (rows, cols) uint32 to ``labels_out``
    (core pieces split, see :mod:`shepcore.tiles.pieces`) and their
    TilePieces to ``pieces_out`` (.npz). Returns (number of labels, timings
    {stage: seconds}, with the read as 'read').
    """
    import time

    import numba

    from ..model import SpectralModel
    from ..raster.read import read_raster
    from ..tiles.inmemory import segment_tile

    numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    t = time.perf_counter()
    image = read_raster(mosaic, window=(tile.row, tile.col, tile.rows, tile.cols))[0]
    read = time.perf_counter() - t
    model = SpectralModel.load(model_path)
    labels, pieces, timings = segment_tile(image, model, tile, tuple(grid["shape"]),
                                           grid["overlap"], min_segment_size, connectivity)
    save_npy(labels_out, labels)
    save_npz(pieces_out, **pieces.to_arrays())
    return pieces.num_labels, {"read": read, **timings}
