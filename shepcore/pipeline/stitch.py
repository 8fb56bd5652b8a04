"""Jobs of rules/stitch.smk: matching segments across the seams of a tile
row, joining all seams into final IDs, and writing the stitched raster."""

import os

import numpy as np

from .._files import save_npy, save_npz


def row_seams_to_file(label_files, tiles, row, out):
    """Match segments across the seams of tile row ``row`` ('r003').

    label_files : label .npy paths named ``{tile name}.npy`` (the row and
    the row below); tiles : every Tile of the scene. Writes an (M, 4)
    int64 table (see :func:`shepcore.tiles.seams.row_seam_pairs`); returns M.
    """
    from ..tiles.seams import row_seam_pairs

    by_name = {os.path.basename(p)[: -len(".npy")]: p for p in label_files}
    pairs = row_seam_pairs(tiles, int(row[1:]),
                           lambda t: np.load(by_name[t.name], mmap_mode="r"))
    save_npy(out, pairs)
    return len(pairs)


def stitch_to_file(seam_files, core_files, out):
    """Join all seams of a scene and write the final-ID lookup table.

    core_files must be in tile index order. Writes an .npz with ``lut``
    (uint32) and ``offsets`` (int64); returns the number of segments N.
    """
    from ..tiles.stitch import final_ids

    pairs = [np.load(p) for p in seam_files]
    pairs = np.concatenate(pairs) if pairs else np.zeros((0, 4), np.int64)
    cores = [np.load(p) for p in core_files]
    lut, offsets, n = final_ids(cores, pairs)
    save_npz(out, lut=lut, offsets=offsets, num_segments=np.int64(n))
    return n


def assemble_scene(label_files, lut_file, mosaic, tiles, out, fmt="HFA"):
    """Write the scene's stitched segment raster: each tile core relabelled
    with the final IDs, georeferenced like ``mosaic``, with the Histogram
    RAT column. tiles : the scene's Tiles, in the order of ``label_files``.
    Returns N."""
    from ..raster.read import raster_info
    from ..raster.write import SegmentRasterWriter
    from ..tiles.stitch import relabel_core

    info = raster_info(mosaic)
    table = np.load(lut_file)
    lut, offsets = table["lut"], table["offsets"]
    with SegmentRasterWriter(out, info.rows, info.cols, info.geotransform,
                             info.projection, fmt) as writer:
        for path, tile in zip(label_files, tiles, strict=True):
            labels = np.load(path, mmap_mode="r")
            writer.write(relabel_core(labels, tile, lut, offsets[tile.index]),
                         tile.core_row, tile.core_col)
    return int(table["num_segments"])
