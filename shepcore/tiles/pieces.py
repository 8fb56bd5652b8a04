"""Core pieces of a segmented tile: what stitching needs to keep every final
segment one connected piece (docs/algorithm.md, "Seam repair").

A tile's labels are connected inside the tile, but only the tile's core
goes into the mosaic, and a label's core part can fall apart into pieces
that were connected through pixels beyond the seam. Each such piece is
given its own local ID (the first keeps the label, the others get
n + 1, n + 2, ... in raster order), so that stitching can treat every core
piece as a node. Alongside it, a tile reports what the seam repair reads
about its pieces: pixel counts and spectral sums over the core, which
pieces lie in the overlap (may be joined) or reach outside the core (may
be cut), the in-core adjacency of those pieces, and the pieces along each
core side that faces a neighbouring tile.
"""

from dataclasses import dataclass

import numpy as np


@dataclass
class TilePieces:
    """Piece facts of one tile (arrays indexed by local piece ID, 0 = null).

    Attributes
    ----------
    num_labels : int
        n, the tile's label count; pieces 1..n carry their label's ID.
    piece_label : (P - n,) uint32
        Label of each extra piece n + 1 .. P.
    npix : (P + 1,) int64
        Core pixels of each piece (0 for labels without core pixels).
    sums : (P + 1, B) float64
        Band sums over each piece's core pixels, in raster order.
    strip : (P + 1,) bool
        The piece's label has pixels in an overlap with a neighbour tile
        (only such pieces can be matched across a seam).
    cut : (P + 1,) bool
        The piece's label has pixels outside the core.
    adjacency : (M, 2) uint32
        Unique in-core adjacent piece pairs (a < b) of which at least one is
        a strip piece (adjacency at the segmentation's connectivity).
    edges : dict of str to (L,) uint32
        Pieces along the core's outer row or column on each side ('top',
        'bottom', 'left', 'right') that faces a neighbour tile.
    small_reason : (n + 1,) uint8
        SURVIVOR_REASONS code of each label left below min_segment_size in
        the tile (0 otherwise).
    """

    num_labels: int
    piece_label: np.ndarray
    npix: np.ndarray
    sums: np.ndarray
    strip: np.ndarray
    cut: np.ndarray
    adjacency: np.ndarray
    edges: dict
    small_reason: np.ndarray

    @property
    def num_pieces(self):
        """P: the largest local piece ID."""
        return self.npix.size - 1

    def to_label(self):
        """(P + 1,) uint32: the label of every piece."""
        return np.concatenate([np.arange(self.num_labels + 1, dtype=np.uint32),
                               self.piece_label.astype(np.uint32)])

    def to_arrays(self):
        """Plain arrays for an .npz file (see :func:`pieces_from_arrays`)."""
        out = {"num_labels": np.int64(self.num_labels), "piece_label": self.piece_label,
               "npix": self.npix, "sums": self.sums, "strip": self.strip, "cut": self.cut,
               "adjacency": self.adjacency, "small_reason": self.small_reason}
        out.update({f"edge_{side}": line for side, line in self.edges.items()})
        return out


def pieces_from_arrays(arrays):
    """A :class:`TilePieces` from the mapping written by ``to_arrays``."""
    edges = {k[5:]: np.asarray(arrays[k]) for k in arrays if k.startswith("edge_")}
    return TilePieces(int(arrays["num_labels"]), np.asarray(arrays["piece_label"]),
                      np.asarray(arrays["npix"]), np.asarray(arrays["sums"]),
                      np.asarray(arrays["strip"]), np.asarray(arrays["cut"]),
                      np.asarray(arrays["adjacency"]), edges,
                      np.asarray(arrays["small_reason"]))


def _core(array, tile):
    r0, c0 = tile.core_row - tile.row, tile.core_col - tile.col
    return array[..., r0:r0 + tile.core_rows, c0:c0 + tile.core_cols]


def neighbour_sides(tile, tiles_shape):
    """Sides of ``tile`` that face a neighbour, given the grid (rows, cols)."""
    nrows, ncols = tiles_shape
    sides = []
    if tile.grid_row > 0:
        sides.append("top")
    if tile.grid_row + 1 < nrows:
        sides.append("bottom")
    if tile.grid_col > 0:
        sides.append("left")
    if tile.grid_col + 1 < ncols:
        sides.append("right")
    return sides


def _core_window(tile):
    return (tile.core_row - tile.row, tile.core_col - tile.col, tile.core_rows, tile.core_cols)


def split_core_pieces(labels, tile, eight, cut=None):
    """Give every disconnected core piece of a label its own ID, in place.

    labels : (tile.rows, tile.cols) uint32, 1..n, modified in the core only;
    eight : 8-connectivity; cut : (n + 1,) bool, labels with pixels outside
    the core (the only ones whose core part can fall apart); None = compute.
    Returns (n, piece_label (P - n,) uint32).
    """
    from .._kernels.pieces import label_flags, split_cut_labels

    n = int(labels.max(initial=0))
    if cut is None:
        cut = label_flags(labels, n, _core_window(tile), (0, 0, 0, 0))[1]
    core = _core(labels, tile)
    parent = np.empty(core.size, np.int32 if core.size < 2**31 else np.int64)
    return n, split_cut_labels(core, n, cut, eight, parent)


def tile_pieces(labels, image, tile, tiles_shape, overlap, eight, small_reason=None):
    """Split core pieces (in place) and describe them: a :class:`TilePieces`.

    labels : (R, C) uint32 of the tile (1..n, 0 = null), modified in its
    core; image : (B, R, C) the tile image; tile : its Tile; tiles_shape :
    (rows, cols) of the tile grid; overlap : pixels shared by neighbouring
    tiles; eight : 8-connectivity; small_reason : (n + 1,) uint8 from the
    segmentation, or None.
    """
    from .._kernels.pieces import label_flags, piece_sums, strip_adjacency

    n = int(labels.max(initial=0))
    sides = neighbour_sides(tile, tiles_shape)
    shared = tuple(overlap if side in sides else 0 for side in ("top", "bottom", "left", "right"))
    strip_label, cut_label = label_flags(labels, n, _core_window(tile), shared)
    n, piece_label = split_core_pieces(labels, tile, eight, cut_label)
    to_label = np.concatenate([np.arange(n + 1, dtype=np.uint32), piece_label])
    core = _core(labels, tile)
    npix, sums = piece_sums(core, _core(image, tile), to_label.size - 1)
    strip, cut = strip_label[to_label], cut_label[to_label]
    pairs = strip_adjacency(core, strip, eight)
    if pairs.size:  # unique pairs, sorted
        keys = np.unique((pairs[:, 0].astype(np.uint64) << np.uint64(32)) | pairs[:, 1])
        pairs = np.stack([keys >> np.uint64(32), keys & np.uint64(0xFFFFFFFF)], axis=1)
    adjacency = pairs.astype(np.uint32).reshape(-1, 2)
    lines = {"top": core[0], "bottom": core[-1], "left": core[:, 0], "right": core[:, -1]}
    edges = {s: np.ascontiguousarray(lines[s], np.uint32) for s in sides}
    if small_reason is None:
        small_reason = np.zeros(n + 1, np.uint8)
    return TilePieces(n, piece_label, npix, sums, strip, cut, adjacency, edges,
                      np.asarray(small_reason, np.uint8))
