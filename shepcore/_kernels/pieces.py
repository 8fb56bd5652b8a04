"""Core pieces of a segmented tile (see shepcore.tiles.pieces): which labels
lie in the overlap or outside the core, the split of labels whose core part
is not connected, per-piece pixel counts and band sums, and the in-core
adjacency of pieces. Each a single pass over the tile or its core."""

import numpy as np
from numba import njit

from .._config import JIT
from .unionfind import join


@njit(**JIT)
def label_flags(labels, n, core, shared):
    """(strip (n + 1,) bool, cut (n + 1,) bool) of labels (R, C) uint32.

    core : (row0, col0, rows, cols) of the core inside the tile; shared :
    (top, bottom, left, right) widths of the overlaps with neighbour tiles
    (0 where there is none). strip: the label has a pixel in an overlap;
    cut: a pixel outside the core.
    """
    nrows, ncols = labels.shape
    r0, c0, cr, cc = core
    top, bottom, left, right = shared
    strip = np.zeros(n + 1, np.bool_)
    cut = np.zeros(n + 1, np.bool_)
    for r in range(nrows):
        row_shared = r < top or r >= nrows - bottom
        row_out = r < r0 or r >= r0 + cr
        for c in range(ncols):
            lab = labels[r, c]
            if lab == 0:
                continue
            if row_shared or c < left or c >= ncols - right:
                strip[lab] = True
            if row_out or c < c0 or c >= c0 + cc:
                cut[lab] = True
    strip[0] = False
    cut[0] = False
    return strip, cut


@njit(**JIT)
def split_cut_labels(core, n, cut, eight, parent):
    """Give every disconnected part of a cut label its own ID, in place.

    core : (R, C) uint32 view of the tile's core labels; only labels with
    ``cut`` set can be disconnected (the others lie wholly in the core,
    where they are connected). A label's first part in raster order keeps
    its ID, the others get n + 1, n + 2, ... in raster order of their first
    pixel. parent : (R * C,) signed integer work array (int32 when R * C <
    2**31: half the memory of int64 on the largest tiles). Returns
    piece_label (extra pieces,) uint32: the label of each.
    """
    nrows, ncols = core.shape
    parent[:] = -1
    for r in range(nrows):
        for c in range(ncols):
            lab = core[r, c]
            if lab == 0 or not cut[lab]:
                continue
            # Written out as in clump (a helper call per pixel, even inlined,
            # measured 5x slower): equal neighbours are of the same cut label.
            p = r * ncols + c
            parent[p] = p
            if c > 0 and core[r, c - 1] == lab:
                join(parent, p, p - 1)
            if r > 0:
                if core[r - 1, c] == lab:
                    join(parent, p, p - ncols)
                if eight:
                    if c > 0 and core[r - 1, c - 1] == lab:
                        join(parent, p, p - ncols - 1)
                    if c + 1 < ncols and core[r - 1, c + 1] == lab:
                        join(parent, p, p - ncols + 1)
    # Every non-root points to a smaller index (joins keep the smaller root,
    # compression points at the root), so in raster order a pixel's parent
    # already holds its part's final ID (as in clump).
    seen = np.zeros(n + 1, np.bool_)
    extra = np.zeros(16, np.uint32)  # label of each extra piece
    count = 0
    for p in range(nrows * ncols):
        q = parent[p]
        if q < 0:
            continue
        if q == p:  # first pixel of a part: number it
            lab = core[p // ncols, p % ncols]
            if not seen[lab]:
                seen[lab] = True
                parent[p] = lab
            else:
                if count == extra.size:
                    grown = np.zeros(2 * extra.size, np.uint32)
                    grown[:count] = extra[:count]
                    extra = grown
                extra[count] = lab
                count += 1
                parent[p] = n + count
        else:
            parent[p] = parent[q]
        core[p // ncols, p % ncols] = parent[p]
    return extra[:count]


@njit(**JIT)
def piece_sums(core, image_core, npieces):
    """(npix (P + 1,) int64, sums (P + 1, B) float64) over the core, in
    raster order; image_core (B, R, C) any numeric dtype."""
    nb = image_core.shape[0]
    nrows, ncols = core.shape
    npix = np.zeros(npieces + 1, np.int64)
    sums = np.zeros((npieces + 1, nb))
    for r in range(nrows):
        for c in range(ncols):
            p = core[r, c]
            if p == 0:
                continue
            npix[p] += 1
            for b in range(nb):
                sums[p, b] += image_core[b, r, c]
    return npix, sums


@njit(**JIT)
def strip_adjacency(core, strip, eight):
    """Adjacent piece pairs (a, b) of the core, a < b, where a or b is a
    strip piece: (M, 2) uint32 with repeats thinned (consecutive equal
    pairs along a scan are emitted once); the caller makes them unique."""
    nrows, ncols = core.shape
    cap = 1024
    out = np.empty((cap, 2), np.uint32)
    m = 0
    nshift = 4 if eight else 2
    dr = (0, 1, 1, 1)
    dc = (1, 0, 1, -1)
    for k in range(nshift):
        last_a = np.uint32(0)
        last_b = np.uint32(0)
        for r in range(nrows - dr[k]):
            for c in range(ncols):
                cc = c + dc[k]
                if cc < 0 or cc >= ncols:
                    continue
                a = core[r, c]
                b = core[r + dr[k], cc]
                if a == b or a == 0 or b == 0:
                    continue
                if not (strip[a] or strip[b]):
                    continue
                if a > b:
                    a, b = b, a
                if a == last_a and b == last_b:
                    continue
                last_a = a
                last_b = b
                if m == cap:
                    cap *= 2
                    grown = np.empty((cap, 2), np.uint32)
                    grown[:m] = out[:m]
                    out = grown
                out[m, 0] = a
                out[m, 1] = b
                m += 1
    return out[:m]
