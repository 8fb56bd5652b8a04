"""Seam repair: after matched segments are joined across seams, make every
final segment one connected piece (docs/algorithm.md, "Seam repair").

Nodes are the core pieces of every tile (:mod:`.pieces`), numbered
globally as ``offsets[tile] + piece``. A final segment is a set of nodes;
it is one connected piece when its nodes are connected through in-core
adjacency and adjacency across core boundaries. Only "seam nodes" can
break that: nodes of segments with more than one node, and nodes whose
label reaches outside its tile's core. For those the repair

1. finds the connected components of each segment (union-find over the
   adjacent node pairs of the same segment);
2. keeps the largest component (ties: the one with the lowest node) under
   the segment's ID and makes every other component a segment of its own;
3. eliminates the seam segments now below ``min_segment_size`` by the
   rules of the iterative elimination (Shepherd et al. 2019, section 2.4):
   sizes s = 1 .. min - 1 in turn, each merging into its adjacent strictly
   larger segment with the nearest mean spectrum within the limit, all
   decisions of a pass taken before any is applied, passes and sweeps
   repeated while anything merges.

The work and memory grow with the seam nodes (the overlap strips), not
with the mosaic.
"""

import numpy as np

#: Bound on repeated passes for one segment size (as the in-tile elimination).
MAX_PASSES_PER_SIZE = 1000


def boundary_pairs(tiles, offsets, edges, eight):
    """(M, 2) int64 global node pairs adjacent across core boundaries.

    edges : list (by tile index) of {side: (L,) uint32 pieces} as
    TilePieces.edges. Null pixels (piece 0) are left out.
    """
    from .grid import grid_shape

    nrows, ncols = grid_shape(tiles)
    by_pos = {(t.grid_row, t.grid_col): t for t in tiles}

    def line(t, side):
        pieces = edges[t.index][side].astype(np.int64)
        return np.where(pieces > 0, offsets[t.index] + pieces, -1)

    out = []
    for i in range(nrows - 1):  # boundary between tile rows i and i + 1, full width
        above = np.concatenate([line(by_pos[(i, j)], "bottom") for j in range(ncols)])
        below = np.concatenate([line(by_pos[(i + 1, j)], "top") for j in range(ncols)])
        out += _facing(above, below, eight)
    for j in range(ncols - 1):  # boundary between tile columns j and j + 1, full height
        left = np.concatenate([line(by_pos[(i, j)], "right") for i in range(nrows)])
        right = np.concatenate([line(by_pos[(i, j + 1)], "left") for i in range(nrows)])
        out += _facing(left, right, eight)
    pairs = np.concatenate(out) if out else np.zeros((0, 2), np.int64)
    return pairs[(pairs[:, 0] >= 0) & (pairs[:, 1] >= 0)]


def _facing(a, b, eight):
    """Pairs of two facing pixel lines: same position, and (8-connectivity)
    one position apart."""
    out = [np.stack([a, b], axis=1)]
    if eight:
        out += [np.stack([a[:-1], b[1:]], axis=1), np.stack([a[1:], b[:-1]], axis=1)]
    return out


class SeamGraph:
    """Segments around the seams and their adjacency, for the elimination.

    Segments are keyed by int (final segment keys); ``size`` (pixels),
    ``sums`` (band sums) and ``nbrs`` (adjacent keys) are dicts.
    """

    def __init__(self):
        self.size, self.sums, self.nbrs = {}, {}, {}

    def add(self, key, npix, sums):
        if key in self.size:
            self.size[key] += int(npix)
            self.sums[key] = self.sums[key] + sums
        else:
            self.size[key] = int(npix)
            self.sums[key] = np.array(sums, np.float64)
            self.nbrs[key] = set()

    def connect(self, a, b):
        if a != b:
            self.nbrs[a].add(b)
            self.nbrs[b].add(a)

    def _nearest_larger(self, key, limit2):
        """(target or None, reason code if None)."""
        own = self.size[key]
        mean = self.sums[key] / own
        best, best_d2, larger = None, np.inf, False
        for other in sorted(self.nbrs[key]):
            if self.size[other] <= own:
                continue
            larger = True
            diff = mean - self.sums[other] / self.size[other]
            d2 = float(diff @ diff)
            if d2 < best_d2:
                best, best_d2 = other, d2
        if best is not None and best_d2 <= limit2:
            return best, 0
        if not self.nbrs[key]:
            return None, 1
        return None, 3 if larger else 2

    def _merge(self, small, into):
        self.size[into] += self.size.pop(small)
        self.sums[into] = self.sums[into] + self.sums.pop(small)
        for other in self.nbrs.pop(small):
            self.nbrs[other].discard(small)
            self.connect(other, into)

    def eliminate(self, candidates, min_size, limit2):
        """Merge small candidate segments away; returns (merged {key: into},
        reasons {key: code} of candidates left below ``min_size``)."""
        merged = {}
        active = sorted(k for k in candidates if self.size[k] < min_size)
        sweep = 1
        while sweep:
            sweep = 0
            for s in range(1, min_size):
                for _ in range(MAX_PASSES_PER_SIZE):
                    decided = []
                    for key in active:
                        if key not in merged and self.size[key] == s:
                            target, _ = self._nearest_larger(key, limit2)
                            if target is not None:
                                decided.append((key, target))
                    for key, target in decided:
                        self._merge(key, target)
                        merged[key] = target
                    sweep += len(decided)
                    if not decided:
                        break
            active = [k for k in active if k not in merged and self.size[k] < min_size]
        reasons = {k: self._nearest_larger(k, limit2)[1] for k in active}
        return merged, reasons


def _resolve(key, merged):
    while key in merged:
        key = merged[key]
    return key


def repair(tiles, offsets, ids, keep, seam_nodes, node_stats, pairs, *, min_size, limit2):
    """Split disconnected segments and eliminate the small seam segments.

    Parameters
    ----------
    tiles : list of Tile; offsets : (T + 1,) int64 node offsets per tile
    ids : (nodes,) int64 segment ID of every node after joining (0 = none)
    keep : (nodes,) bool, nodes with core pixels
    seam_nodes : (S,) int64 sorted global nodes to check (see module doc)
    node_stats : dict node -> (npix, sums) for seam nodes and their neighbours
    pairs : (M, 2) int64 adjacent global node pairs (in-core and across
        boundaries) with at least one seam node
    min_size : int; limit2 : squared merge limit (inf = none)

    Returns
    -------
    keys : (nodes,) int64 final segment key of every node (0 = none); keys
        are the joined IDs, and IDs above ``ids.max()`` for split-off pieces
    report : dict of counts
    reasons : dict key -> SURVIVOR_REASONS code of seam segments left small
    """
    from .._kernels.unionfind import join_and_number  # numba: only where needed

    keys = ids.copy()
    is_seam = np.zeros(ids.size, bool)
    is_seam[seam_nodes] = True
    # 1. components of each segment among its seam nodes
    same = pairs[(ids[pairs[:, 0]] == ids[pairs[:, 1]]) & is_seam[pairs[:, 0]]
                 & is_seam[pairs[:, 1]]]
    local = np.searchsorted(seam_nodes, same)
    comp = join_and_number(seam_nodes.size, local, np.ones(seam_nodes.size, bool))
    npix = np.array([node_stats[int(n)][0] for n in seam_nodes], np.int64)
    comp_size = np.bincount(comp, weights=npix, minlength=comp.max(initial=0) + 1)
    # 2. the largest component keeps the ID (ties: lowest node, i.e. lowest comp)
    seg_of_comp = np.zeros(comp_size.size, np.int64)
    seg_of_comp[comp] = ids[seam_nodes]
    order = np.lexsort((np.arange(comp_size.size), -comp_size, seg_of_comp))
    first = np.ones(order.size, bool)
    first[1:] = seg_of_comp[order][1:] != seg_of_comp[order][:-1]
    keeper = np.zeros(comp_size.size, bool)
    keeper[order[first]] = True
    keeper[0] = False
    split = np.flatnonzero(~keeper)[1:]  # comp 0 is unused
    next_key = int(ids.max(initial=0)) + 1
    new_key = np.zeros(comp_size.size, np.int64)
    new_key[split] = next_key + np.arange(split.size)
    node_comp_key = np.where(keeper[comp], ids[seam_nodes], new_key[comp])
    keys[seam_nodes] = node_comp_key
    # 3. eliminate small seam segments on the segment graph
    graph = SeamGraph()
    for node, key in zip(seam_nodes.tolist(), node_comp_key.tolist(), strict=True):
        graph.add(key, *node_stats[node])
    for node, (n_px, sums) in node_stats.items():
        if not is_seam[node] and keep[node]:
            graph.add(int(keys[node]), n_px, sums)
    for u, v in keys[pairs].tolist():
        if u and v:
            graph.connect(u, v)
    candidates = sorted(set(node_comp_key.tolist()))
    merged, reasons = graph.eliminate(candidates, min_size, limit2)
    if merged:
        keys[seam_nodes] = [_resolve(k, merged) for k in keys[seam_nodes].tolist()]
    crossing = _segments_in_several_tiles(tiles, offsets, keys, keep, seam_nodes)
    report = {
        "segments_crossing_seams": crossing,
        "pieces_split_off": int(split.size),
        "split_off_merged": int(sum(1 for k in merged if k >= next_key)),
        "seam_segments_merged": len(merged),
    }
    return keys, report, reasons


def _segments_in_several_tiles(tiles, offsets, keys, keep, seam_nodes):
    """How many final segments have core pixels in two or more tiles."""
    nodes = seam_nodes[keep[seam_nodes]]
    tile_of = np.searchsorted(offsets, nodes, side="right") - 1
    pairs = np.unique(np.stack([keys[nodes], tile_of], axis=1), axis=0)
    segs, counts = np.unique(pairs[:, 0], return_counts=True)
    return int((counts >= 2).sum())
