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


def relabel_core(labels, tile, lut, offset, rows=None):
    """The tile's core with final IDs: (core_rows, core_cols) uint32; with
    ``rows`` (start, stop) only those rows of the core."""
    r0 = tile.core_row - tile.row
    start, stop = (0, tile.core_rows) if rows is None else rows
    core = labels[r0 + start:r0 + stop,
                  tile.core_col - tile.col: tile.core_col - tile.col + tile.core_cols]
    return lut[offset + np.asarray(core, np.int64)]


def stitch_tiles(tiles, seam_pairs, load_pieces, *, min_size, limit2, eight):
    """Final IDs for every core piece of every tile, with the seam repair.

    Parameters
    ----------
    tiles : list of Tile, in tile index order
    seam_pairs : (M, 4) int64 label matches from
        :func:`shepcore.tiles.seams.row_seam_pairs` (all tile rows)
    load_pieces : callable tile -> TilePieces (called twice per tile, so
        that only one tile's pieces need be in memory at a time)
    min_size : int
        min_segment_size of the segmentation.
    limit2 : float
        Squared max_spectral_diff (inf = no limit).
    eight : bool
        8-connectivity.

    Returns
    -------
    lut : (nodes,) uint32
        Final ID of piece p of tile t at ``lut[offsets[t] + p]``; IDs run
        1..N with none empty, numbered in order of each segment's first
        (tile, piece) with core pixels; every segment is one connected piece.
    offsets : (T + 1,) int64
    n : int
        N.
    report : dict
        Counts for summary.json: segments crossing seams, pieces split off
        and merged, segments left below ``min_size`` by reason.
    """
    from .._kernels.unionfind import join_and_number  # numba only where needed
    from ..survivors import count_reasons
    from .repair import boundary_pairs, repair

    # Pass 1: join matched labels (and the pieces of each label) into segments.
    counts, keep, cut, links = [], [], [], []
    for t in tiles:
        p = load_pieces(t)
        counts.append(p.num_pieces + 1)
        keep.append(p.npix > 0)
        cut.append(p.cut)
        links.append((t.index, p.num_labels, p.piece_label))
    offsets = np.concatenate([[0], np.cumsum(np.array(counts, np.int64))])
    keep, cut = np.concatenate(keep), np.concatenate(cut)
    nodes = [offsets[seam_pairs[:, [0, 2]]] + seam_pairs[:, [1, 3]]]
    for index, n_labels, piece_label in links:
        extra = offsets[index] + n_labels + 1 + np.arange(piece_label.size)
        nodes.append(np.stack([extra, offsets[index] + piece_label.astype(np.int64)], axis=1))
    ids = join_and_number(int(offsets[-1]), np.concatenate(nodes).astype(np.int64), keep)
    members = np.bincount(ids[keep], minlength=int(ids.max(initial=0)) + 1)
    seam = keep & ((members[ids] >= 2) | cut)
    seam_nodes = np.flatnonzero(seam)
    # Pass 2: facts of the seam nodes and of their neighbours.
    node_stats, pairs, edges, tile_reasons = {}, [], [], []
    for t in tiles:
        p = load_pieces(t)
        base = offsets[t.index]
        local = seam[base:base + p.num_pieces + 1]
        adj = p.adjacency.astype(np.int64)
        adj = adj[local[adj[:, 0]] | local[adj[:, 1]]]
        pairs.append(adj + base)
        edges.append(p.edges)
        wanted = np.union1d(np.flatnonzero(local), adj.ravel())
        wanted = np.union1d(wanted, np.concatenate([e for e in p.edges.values()] + [[]]))
        for piece in wanted.astype(np.int64):
            if piece and p.npix[piece]:
                node_stats[int(base + piece)] = (int(p.npix[piece]), p.sums[piece])
        small = np.flatnonzero(p.small_reason[: p.num_labels + 1])
        small = small[keep[base + small] & ~seam[base + small]]
        tile_reasons.append(p.small_reason[small])
    across = boundary_pairs(tiles, offsets, edges, eight)
    across = across[seam[across[:, 0]] | seam[across[:, 1]]]
    pairs = np.concatenate(pairs + [across]) if pairs else across
    keys, report, reasons = repair(tiles, offsets, ids, keep, seam_nodes, node_stats, pairs,
                                   min_size=min_size, limit2=limit2)
    lut, n = number_segments(keys, keep)
    left = list(reasons.values()) + np.concatenate(tile_reasons + [[]]).astype(int).tolist()
    report["segments_below_min_size"] = count_reasons(left)
    return lut, offsets, n, report


def number_segments(keys, keep):
    """IDs 1..N for segment keys (nodes,) int64, in order of each key's first
    kept node; (lut (nodes,) uint32 with 0 for nodes not kept, N)."""
    kept = np.flatnonzero(keep)
    uniq, first = np.unique(keys[kept], return_index=True)
    rank = np.empty(uniq.size, np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(1, uniq.size + 1)
    n = int(uniq.size)
    if n > MAX_SEGMENTS:
        raise ValueError(f"{n} segments do not fit a uint32 raster (max {MAX_SEGMENTS})")
    lut = np.zeros(keys.size, np.uint32)
    lut[kept] = rank[np.searchsorted(uniq, keys[kept])]
    return lut, n
