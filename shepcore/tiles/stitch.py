"""Join per-tile segmentations into one seamless labelling.

A tile's labels are a (rows, cols) uint32 array (0 = null, 1..n) saved as
``.npy`` so that seam work can memory-map it and read only the overlap
strips. For each pair of adjacent tiles, a segment that crosses the seam
line (the middle of the overlap) is joined with the segment of the other
tile that covers most of its pixels inside the overlap, in both directions.
Joins are transitive (union-find); final IDs run 1..N, numbered in order
of each group's first (tile index, local label) that has pixels in a tile
core, so they do not depend on job order (docs/algorithm.md).
"""

import numpy as np

#: Largest segment ID a uint32 raster can hold.
MAX_SEGMENTS = 2**32 - 1


def core_labels_present(labels, tile):
    """(n + 1,) bool: which local labels have pixels in the tile's core.

    labels : (tile.rows, tile.cols) uint32 of ``tile``.
    """
    core = labels[tile.core_row - tile.row: tile.core_row - tile.row + tile.core_rows,
                  tile.core_col - tile.col: tile.core_col - tile.col + tile.core_cols]
    present = np.zeros(int(labels.max(initial=0)) + 1, bool)
    present[np.unique(core)] = True
    present[0] = False
    return present


def final_ids(core_present, seam_pairs):
    """Final segment IDs for every (tile, local label).

    core_present : list (one per tile, in tile index order) of (n_t + 1,)
    bool arrays; seam_pairs : (M, 4) int64 from
    :func:`shepcore.tiles.seams.row_seam_pairs`.
    Returns (lut (total,) uint32, offsets (tiles + 1,) int64, N): the final ID
    of local label l of tile t is lut[offsets[t] + l] (0 for label 0 and for
    segments without core pixels).
    """
    from .._kernels.unionfind import join_and_number  # numba only where needed

    sizes = np.array([len(p) for p in core_present], np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    keep = np.concatenate(core_present) if core_present else np.zeros(0, bool)
    nodes = np.empty((len(seam_pairs), 2), np.int64)
    nodes[:, 0] = offsets[seam_pairs[:, 0]] + seam_pairs[:, 1]
    nodes[:, 1] = offsets[seam_pairs[:, 2]] + seam_pairs[:, 3]
    ids = join_and_number(int(offsets[-1]), nodes, keep)
    n = int(ids.max(initial=0))
    if n > MAX_SEGMENTS:
        raise ValueError(f"{n} segments do not fit a uint32 raster (max {MAX_SEGMENTS})")
    return ids.astype(np.uint32), offsets, n


def relabel_core(labels, tile, lut, offset):
    """The tile's core with final IDs: (core_rows, core_cols) uint32."""
    core = labels[tile.core_row - tile.row: tile.core_row - tile.row + tile.core_rows,
                  tile.core_col - tile.col: tile.core_col - tile.col + tile.core_cols]
    return lut[offset + np.asarray(core, np.int64)]
