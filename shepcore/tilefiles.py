"""File-level steps of the tiled workflow, one function per job.

Tile images and labels are ``.npy`` files: no GDAL in the per-tile jobs,
and labels can be memory-mapped so that seam matching reads only the
overlap strips. Tiles are dicts with the fields of :class:`tiling.Tile`.
Every file is written under a temporary name and renamed when complete.
Heavy modules (numba kernels, GDAL) are imported inside the functions that
need them, so that each job imports only what it uses.
"""

import os
import sys

import numpy as np

from .tiling import Tile


def save_array(path, array):
    """np.save to ``path`` atomically (temporary name, then rename)."""
    tmp = f"{path}.tmp{os.getpid()}.npy"
    np.save(tmp, array)
    os.replace(tmp, path)


def _tile(d):
    return d if isinstance(d, Tile) else Tile(**d)


def load_tile_image(image_path, tile, mosaic=None):
    """The tile image (bands, rows, cols) from its .npy; if that file is gone
    (deleted from its row folder, which Snakemake cannot see), cut the same
    window from ``mosaic`` again."""
    if os.path.exists(image_path) or mosaic is None:
        return np.load(image_path)
    from .io import read_raster

    t = _tile(tile)
    print(f"{image_path} missing: reading the tile from {mosaic}", file=sys.stderr)
    return read_raster(mosaic, window=(t.row, t.col, t.rows, t.cols))[0]


def segment_tile_file(image_path, model_path, tile, labels_out, core_out, *, threads=1,
                      min_segment_size=50, connectivity=4, mosaic=None):
    """Segment the tile image (bands, rows, cols) .npy with a saved model.

    Writes labels (rows, cols) uint32 to ``labels_out`` and the core flags
    of :func:`stitch.core_labels_present` to ``core_out``. Returns the
    SegmentationResult. ``mosaic``: see :func:`load_tile_image`.
    """
    import numba

    from .model import SpectralModel
    from .segmentation import segment
    from .stitch import core_labels_present

    numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    image = load_tile_image(image_path, tile, mosaic)
    model = SpectralModel.load(model_path)
    if not _has_valid_pixel(image, model.nodata):
        # An all-null tile (e.g. a collar corner) is legitimate in a mosaic.
        from .segmentation import SegmentationResult

        labels = np.zeros(image.shape[1:], np.uint32)
        res = SegmentationResult(labels, model, model.max_spectral_diff, 0, 0, 0, {})
    else:
        res = segment(image, model=model, min_segment_size=min_segment_size,
                      connectivity=connectivity)
    save_array(labels_out, res.labels)
    save_array(core_out, core_labels_present(res.labels, _tile(tile)))
    return res


def _has_valid_pixel(image, nodata):
    valid = np.ones(image.shape[1:], bool)
    for band in image:
        if band.dtype.kind == "f":
            valid &= np.isfinite(band)
        if nodata is not None:
            valid &= band != nodata
    return bool(valid.any())


def row_seams_to_file(label_files, tiles, row, out):
    """Match segments across the seams of tile row ``row`` ('r003').

    label_files : label .npy paths named ``{tile name}.npy`` (the row and
    the row below); tiles : all tile dicts of the scene. Writes an (M, 4)
    int64 table (see :func:`stitch.row_seam_pairs`); returns M.
    """
    from .stitch import row_seam_pairs

    by_name = {os.path.basename(p)[: -len(".npy")]: p for p in label_files}
    all_tiles = [_tile(t) for t in tiles]
    pairs = row_seam_pairs(all_tiles, int(row[1:]),
                           lambda t: np.load(by_name[t.name], mmap_mode="r"))
    save_array(out, pairs)
    return len(pairs)


def stitch_to_file(seam_files, core_files, out):
    """Join all seams of a scene and write the final-ID lookup table.

    core_files must be in tile index order. Writes an .npz with ``lut``
    (uint32) and ``offsets`` (int64); returns the number of segments N.
    """
    from .stitch import final_ids

    pairs = [np.load(p) for p in seam_files]
    pairs = np.concatenate(pairs) if pairs else np.zeros((0, 4), np.int64)
    cores = [np.load(p) for p in core_files]
    lut, offsets, n = final_ids(cores, pairs)
    tmp = f"{out}.tmp{os.getpid()}.npz"
    np.savez(tmp, lut=lut, offsets=offsets, num_segments=np.int64(n))
    os.replace(tmp, out)
    return n


def assemble_scene(label_files, lut_file, mosaic, tiles, out, fmt="HFA"):
    """Write the scene's stitched segment raster: each tile core relabelled
    with the final IDs, georeferenced like ``mosaic``, with the Histogram
    RAT column. Returns N."""
    from .io import SegmentRasterWriter, raster_info
    from .stitch import relabel_core

    info = raster_info(mosaic)
    table = np.load(lut_file)
    lut, offsets = table["lut"], table["offsets"]
    with SegmentRasterWriter(out, info.rows, info.cols, info.geotransform,
                             info.projection, fmt) as writer:
        for path, t in zip(label_files, tiles, strict=True):
            tile = _tile(t)
            labels = np.load(path, mmap_mode="r")
            writer.write(relabel_core(labels, tile, lut, offsets[tile.index]),
                         tile.core_row, tile.core_col)
    return int(table["num_segments"])
