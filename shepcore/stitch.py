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

from .tiling import grid_shape

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


def seam_neighbours(tiles, grid_row):
    """Adjacent tile pairs (a, b) whose seams belong to tile row ``grid_row``:
    left-right pairs inside the row and top-bottom pairs to the next row."""
    by_pos = {(t.grid_row, t.grid_col): t for t in tiles}
    nrows, ncols = grid_shape(tiles)
    pairs = []
    for j in range(ncols):
        a = by_pos[(grid_row, j)]
        if j + 1 < ncols:
            pairs.append((a, by_pos[(grid_row, j + 1)]))
        if grid_row + 1 < nrows:
            pairs.append((a, by_pos[(grid_row + 1, j)]))
    return pairs


def overlap_strips(a, b, labels_a, labels_b):
    """The overlap of adjacent tiles a (left/top) and b (right/bottom) in both
    tiles' labels, transposed if needed so the seam runs between columns.

    Returns (strip_a, strip_b, seam): equal-shape (rows, width) arrays and
    the strip column where b's core starts.
    """
    if a.grid_row == b.grid_row:  # left-right: columns [b.col, a.col + a.cols)
        rows = slice(0, a.rows)
        ca = slice(b.col - a.col, a.cols)
        cb = slice(0, a.col + a.cols - b.col)
        strip_a = np.asarray(labels_a[rows, ca])
        strip_b = np.asarray(labels_b[rows, cb])
        seam = b.core_col - b.col
    else:  # top-bottom: rows [b.row, a.row + a.rows)
        cols = slice(0, a.cols)
        strip_a = np.asarray(labels_a[b.row - a.row: a.rows, cols]).T
        strip_b = np.asarray(labels_b[0: a.row + a.rows - b.row, cols]).T
        seam = b.core_row - b.row
    return strip_a, strip_b, seam


def match_strips(strip_a, strip_b, seam):
    """Pairs (label in a, label in b) to join across one seam.

    strip_a, strip_b : (rows, width) uint32 labels of the same overlap from
    both tiles; seam : column where the seam line lies. Returns (M, 2)
    int64, sorted, without duplicates.
    """
    a_cross = _crossing(strip_a, seam)
    b_cross = _crossing(strip_b, seam)
    both = (strip_a != 0) & (strip_b != 0)
    la = strip_a[both].astype(np.int64)
    lb = strip_b[both].astype(np.int64)
    out = [_best_partner(la, lb, a_cross), _best_partner(lb, la, b_cross)[:, ::-1]]
    pairs = np.concatenate(out)
    if not len(pairs):
        return pairs.reshape(0, 2)
    span = int(pairs[:, 1].max()) + 1
    keys = np.unique(pairs[:, 0] * span + pairs[:, 1])
    return np.stack([keys // span, keys % span], axis=1)


def _crossing(strip, seam):
    """Labels present on both sides of the seam column within the strip."""
    left = np.unique(strip[:, :seam])
    right = np.unique(strip[:, seam:])
    both = np.intersect1d(left, right, assume_unique=True)
    return both[both != 0]


def _best_partner(src, dst, wanted):
    """For each label in ``wanted``, the ``dst`` label sharing most pixels
    with it (ties: lowest label). src, dst: (P,) int64 paired labels of the
    overlap pixels. Returns (M, 2) int64 (src label, dst label)."""
    sel = np.isin(src, wanted)
    if not sel.any():
        return np.zeros((0, 2), np.int64)
    # One int64 key per (src, dst) pair: 1-D unique is far faster than rows.
    span = int(dst.max()) + 1
    keys, counts = np.unique(src[sel] * span + dst[sel], return_counts=True)
    pair_src, pair_dst = keys // span, keys % span
    # Sort by source, then count descending, then destination ascending.
    order = np.lexsort((pair_dst, -counts, pair_src))
    pair_src, pair_dst = pair_src[order], pair_dst[order]
    first = np.ones(len(order), bool)
    first[1:] = pair_src[1:] != pair_src[:-1]
    return np.stack([pair_src[first], pair_dst[first]], axis=1)


def row_seam_pairs(tiles, grid_row, load_labels):
    """All joins for the seams of one tile row, as (M, 4) int64 rows of
    (tile index a, label a, tile index b, label b).

    load_labels : callable tile -> (rows, cols) uint32 array (ideally a
    memory map, so that only the strips are read).
    """
    out = []
    for a, b in seam_neighbours(tiles, grid_row):
        strip_a, strip_b, seam = overlap_strips(a, b, load_labels(a), load_labels(b))
        pairs = match_strips(strip_a, strip_b, seam)
        block = np.empty((len(pairs), 4), np.int64)
        block[:, 0] = a.index
        block[:, 1] = pairs[:, 0]
        block[:, 2] = b.index
        block[:, 3] = pairs[:, 1]
        out.append(block)
    return np.concatenate(out) if out else np.zeros((0, 4), np.int64)


def final_ids(core_present, seam_pairs):
    """Final segment IDs for every (tile, local label).

    core_present : list (one per tile, in tile index order) of (n_t + 1,)
    bool arrays; seam_pairs : (M, 4) int64 from :func:`row_seam_pairs`.
    Returns (lut (total,) uint32, offsets (tiles + 1,) int64, N): the final ID
    of local label l of tile t is lut[offsets[t] + l] (0 for label 0 and for
    segments without core pixels).
    """
    from ._kernels.unionfind import join_and_number

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
