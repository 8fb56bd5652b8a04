"""Boundary pixels counted into a reduced grid in one pass (quicklooks of
mosaics: the full-resolution labels are read once, strip by strip)."""

from numba import njit

from .._config import JIT


@njit(**JIT)
def count_boundaries(labels, rows, sizes, min_pixels, row_bin, col_bin, boundary, valid):
    """Add the boundary and non-null pixels of the first ``rows`` rows of
    ``labels`` into reduced-grid counts.

    labels : (R, C) uint32, the strip plus (when R > rows) the row below it;
    sizes : (N + 1,) float64 pixel counts, used when ``min_pixels`` > 0;
    row_bin : (rows,) int64, col_bin : (C,) int64 reduced cell of each row
    and column; boundary, valid : (r, c) float64 counts, added to.

    A boundary pixel is non-null and its right or lower neighbour (inside
    ``labels``) is another label, with, when ``min_pixels`` > 0, a segment
    of at least ``min_pixels`` on one side (as
    shepcore.products.boundaries.boundaries).
    """
    nrows, ncols = labels.shape
    for r in range(rows):
        ri = row_bin[r]
        for c in range(ncols):
            a = labels[r, c]
            if a == 0:
                continue
            ci = col_bin[c]
            valid[ri, ci] += 1.0
            edge = False
            if c + 1 < ncols:
                b = labels[r, c + 1]
                if b != a and (min_pixels <= 0 or sizes[a] >= min_pixels
                               or sizes[b] >= min_pixels):
                    edge = True
            if not edge and r + 1 < nrows:
                b = labels[r + 1, c]
                if b != a and (min_pixels <= 0 or sizes[a] >= min_pixels
                               or sizes[b] >= min_pixels):
                    edge = True
            if edge:
                boundary[ri, ci] += 1.0
