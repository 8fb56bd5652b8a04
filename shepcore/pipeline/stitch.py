"""Jobs of rules/stitch.smk: matching segments across the seams of a tile
row, joining all seams into final IDs, and writing the stitched raster."""

import json
import os

import numpy as np

from .._files import save_npy, save_npz, write_text_atomic


def row_seams_to_file(label_files, pieces_files, tiles, row, out):
    """Match segments across the seams of tile row ``row`` ('r003').

    label_files, pieces_files : the tiles' label .npy and pieces .npz paths,
    named ``{tile name}.npy`` / ``{tile name}.pieces.npz`` (the row and the
    row below); tiles : every Tile of the scene. Writes an (M, 4) int64
    table (see :func:`shepcore.tiles.seams.row_seam_pairs`); returns M.
    """
    from ..tiles.seams import row_seam_pairs

    labels = {os.path.basename(p)[: -len(".npy")]: p for p in label_files}
    pieces = {os.path.basename(p)[: -len(".pieces.npz")]: p for p in pieces_files}

    def to_label(t):
        with np.load(pieces[t.name]) as z:
            n = int(z["num_labels"])
            return np.concatenate([np.arange(n + 1, dtype=np.uint32), z["piece_label"]])

    pairs = row_seam_pairs(tiles, int(row[1:]),
                           lambda t: np.load(labels[t.name], mmap_mode="r"), to_label)
    save_npy(out, pairs)
    return len(pairs)


def stitch_to_file(seam_files, pieces_files, model_path, tiles, out, report_out, *,
                   min_segment_size, connectivity):
    """Join all seams of a scene, repair the seams and write the final-ID
    lookup table (``out``, .npz with ``lut`` uint32 and ``offsets`` int64)
    and the seam report (``report_out``, JSON). pieces_files in tile index
    order. Returns the number of segments N."""
    from ..model import SpectralModel
    from ..tiles.pieces import pieces_from_arrays
    from ..tiles.stitch import stitch_tiles

    pairs = [np.load(p) for p in seam_files]
    pairs = np.concatenate(pairs) if pairs else np.zeros((0, 4), np.int64)
    limit = SpectralModel.load(model_path).max_spectral_diff

    def load(t):
        with np.load(pieces_files[t.index]) as z:
            return pieces_from_arrays(dict(z))

    lut, offsets, n, report = stitch_tiles(
        tiles, pairs, load, min_size=min_segment_size,
        limit2=np.inf if np.isinf(limit) else limit**2, eight=connectivity == 8)
    save_npz(out, lut=lut, offsets=offsets, num_segments=np.int64(n))
    write_text_atomic(report_out, json.dumps({"num_segments": n, **report}, indent=1) + "\n")
    return n


#: Core rows relabelled and written at a time by the assemble job.
ASSEMBLE_STRIP_ROWS = 512


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
            # In strips: memory follows a strip, not the largest core.
            for r in range(0, tile.core_rows, ASSEMBLE_STRIP_ROWS):
                rows = (r, min(tile.core_rows, r + ASSEMBLE_STRIP_ROWS))
                writer.write(relabel_core(labels, tile, lut, offsets[tile.index], rows),
                             tile.core_row + r, tile.core_col)
    return int(table["num_segments"])
