"""Matching segments across the seams between adjacent tiles.

For each pair of adjacent tiles, a segment that crosses the seam line (the
middle of the overlap) is matched with the segment of the other tile that
covers most of its pixels inside the overlap, in both directions
(docs/algorithm.md, "Large rasters: tiles and stitching"). Only the overlap
strips of the two tiles' labels are read.
"""

import numpy as np

from .grid import grid_shape


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
    both tiles; seam : column where the seam line lies. A label of either
    strip that crosses the seam (has pixels on both sides) is paired with
    the label of the other strip sharing most of its pixels (ties: lowest
    label). Returns (M, 2) int64, sorted, without duplicates.
    """
    from .._kernels.seams import crossing_flags  # numba only in seam jobs

    strip_a = np.ascontiguousarray(strip_a, np.uint32)
    strip_b = np.ascontiguousarray(strip_b, np.uint32)
    n = int(max(strip_a.max(initial=0), strip_b.max(initial=0)))
    out = [_best_partner(strip_a, strip_b, crossing_flags(strip_a, seam, n), n),
           _best_partner(strip_b, strip_a, crossing_flags(strip_b, seam, n), n)[:, ::-1]]
    pairs = np.concatenate(out)
    if not len(pairs):
        return pairs.reshape(0, 2)
    span = int(pairs[:, 1].max()) + 1
    keys = np.unique(pairs[:, 0] * span + pairs[:, 1])
    return np.stack([keys // span, keys % span], axis=1)


def _best_partner(src, dst, wanted, n):
    """For each label with ``wanted`` set, the ``dst`` label sharing most
    pixels with it (ties: lowest label). src, dst: (rows, width) uint32
    labels of the same pixels. Returns (M, 2) int64 (src label, dst label)."""
    from .._kernels.seams import pair_runs

    span = n + 1
    run_keys, run_counts = pair_runs(src, dst, wanted, span)
    if not run_keys.size:
        return np.zeros((0, 2), np.int64)
    keys, inverse = np.unique(run_keys, return_inverse=True)
    counts = np.bincount(inverse, weights=run_counts).astype(np.int64)
    pair_src, pair_dst = keys // span, keys % span
    # Sort by source, then count descending, then destination ascending.
    order = np.lexsort((pair_dst, -counts, pair_src))
    pair_src, pair_dst = pair_src[order], pair_dst[order]
    first = np.ones(len(order), bool)
    first[1:] = pair_src[1:] != pair_src[:-1]
    return np.stack([pair_src[first], pair_dst[first]], axis=1)


def row_seam_pairs(tiles, grid_row, load_labels, load_to_label=None):
    """All joins for the seams of one tile row, as (M, 4) int64 rows of
    (tile index a, label a, tile index b, label b).

    load_labels : callable tile -> (rows, cols) uint32 array (ideally a
    memory map, so that only the strips are read).
    load_to_label : callable tile -> (P + 1,) uint32 or None
        Label of every local ID, when core pieces carry IDs of their own
        (see :mod:`shepcore.tiles.pieces`); matching is by label.
    """
    out = []
    for a, b in seam_neighbours(tiles, grid_row):
        strip_a, strip_b, seam = overlap_strips(a, b, load_labels(a), load_labels(b))
        if load_to_label is not None:
            strip_a, strip_b = load_to_label(a)[strip_a], load_to_label(b)[strip_b]
        pairs = match_strips(strip_a, strip_b, seam)
        block = np.empty((len(pairs), 4), np.int64)
        block[:, 0] = a.index
        block[:, 1] = pairs[:, 0]
        block[:, 2] = b.index
        block[:, 3] = pairs[:, 1]
        out.append(block)
    return np.concatenate(out) if out else np.zeros((0, 4), np.int64)
