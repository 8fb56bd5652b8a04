"""Segment boundaries for pictures: one pixel wide at full resolution, and
their share of each pixel of a reduced (display-size) grid, computed strip
by strip so that memory follows the picture, not the raster."""

import numpy as np

from ..raster.rat import read_rat
from ..raster.read import raster_info, read_segments
from ..raster.windows import STRIP_PIXELS


def boundaries(labels, sizes=None, min_pixels=0):
    """(R, C) bool: non-null pixels whose right or lower neighbour is in
    another segment (or null): lines one pixel wide.

    sizes : (N + 1,) pixel count of every segment, or None
    min_pixels : int
        With ``sizes``: only boundaries of a segment of at least this many
        pixels (on either side) are kept, i.e. the outlines of segments
        large enough to be seen at a given scale.
    """
    labels = np.asarray(labels)
    edge = np.zeros(labels.shape, bool)
    pairs = ((np.s_[:, :-1], np.s_[:, 1:]), (np.s_[:-1, :], np.s_[1:, :]))
    for here, there in pairs:
        a, b = labels[here], labels[there]
        differ = a != b
        if sizes is not None and min_pixels > 0:
            differ &= (sizes[a] >= min_pixels) | (sizes[b] >= min_pixels)
        edge[here] |= differ
    return edge & (labels > 0)


def zoomed_boundaries(labels, zoom):
    """(R * zoom, C * zoom) bool: the boundaries of ``labels`` as lines one
    picture pixel wide along the pixel edges of the magnified picture (on
    the left / upper pixel of each differing pair)."""
    labels = np.asarray(labels)
    rows, cols = labels.shape
    out = np.zeros((rows * zoom, cols * zoom), bool)
    valid = labels > 0
    right = np.zeros(labels.shape, bool)
    right[:, :-1] = labels[:, :-1] != labels[:, 1:]
    down = np.zeros(labels.shape, bool)
    down[:-1, :] = labels[:-1, :] != labels[1:, :]
    for edge, axis in ((right & valid, 1), (down & valid, 0)):
        big = np.repeat(np.repeat(edge, zoom, 0), zoom, 1)
        last = (np.arange(out.shape[axis]) % zoom) == zoom - 1
        out |= big & (last[None, :] if axis == 1 else last[:, None])
    return out


def bin_edges(full, reduced):
    """Start index of each of ``reduced`` bins over ``full`` pixels (the
    footprint of reduced pixel i is [edges[i], edges[i + 1]))."""
    return (np.arange(reduced + 1, dtype=np.int64) * full) // reduced


def boundary_grid(segments_path, shape, min_pixels=0):
    """Boundary and valid shares of every pixel of a reduced grid.

    Parameters
    ----------
    segments_path : str
    shape : (rows, cols) of the reduced grid, each <= the raster's.
    min_pixels : int
        Count only the boundaries of segments of at least this many pixels
        (see :func:`boundaries`; sizes from the RAT's Histogram column).

    Returns
    -------
    boundary : (rows, cols) float64
        Share (0..1) of the full-resolution pixels in each footprint that
        are boundary pixels (:func:`boundaries`).
    valid : (rows, cols) float64
        Share of non-null pixels in each footprint.
    """
    info = raster_info(segments_path)
    sizes = None
    if min_pixels > 0:
        sizes = np.asarray(read_rat(segments_path, ["Histogram"])["Histogram"], np.float64)
    from .._kernels.boundaries import count_boundaries  # numba: only where needed

    row_edges, col_edges = bin_edges(info.rows, shape[0]), bin_edges(info.cols, shape[1])
    row_bin = np.repeat(np.arange(shape[0]), np.diff(row_edges))
    col_bin = np.repeat(np.arange(shape[1]), np.diff(col_edges))
    boundary = np.zeros(shape, np.float64)
    valid = np.zeros(shape, np.float64)
    if sizes is None:
        sizes = np.zeros(1, np.float64)
    per_strip = max(1, STRIP_PIXELS // max(1, info.cols))
    for r0 in range(0, info.rows, per_strip):
        r1 = min(info.rows, r0 + per_strip)
        extra = 1 if r1 < info.rows else 0  # the row below, for vertical edges
        labels = np.ascontiguousarray(read_segments(segments_path,
                                                    (r0, 0, r1 - r0 + extra, info.cols)),
                                      np.uint32)
        if min_pixels > 0 and labels.max(initial=0) >= len(sizes):
            sizes = np.concatenate([sizes, np.zeros(int(labels.max()) + 1 - len(sizes))])
        count_boundaries(labels, r1 - r0, sizes, float(min_pixels), row_bin[r0:r1], col_bin,
                         boundary, valid)
    area = np.outer(np.diff(row_edges), np.diff(col_edges)).astype(np.float64)
    return boundary / area, valid / area


def busiest_window(boundary, full_shape, size):
    """The ``size`` x ``size`` full-resolution window (row, col, rows, cols),
    clipped to the raster, holding the most boundary pixels according to
    the reduced ``boundary`` grid (ties: the first in row-major order)."""
    rows, cols = full_shape
    h, w = min(size, rows), min(size, cols)
    sy, sx = boundary.shape[0] / rows, boundary.shape[1] / cols
    bh, bw = max(1, round(h * sy)), max(1, round(w * sx))
    sat = np.zeros((boundary.shape[0] + 1, boundary.shape[1] + 1))
    sat[1:, 1:] = boundary.cumsum(0).cumsum(1)
    sums = sat[bh:, bw:] - sat[:-bh, bw:] - sat[bh:, :-bw] + sat[:-bh, :-bw]
    i, j = np.unravel_index(int(np.argmax(sums)), sums.shape)
    row = min(max(0, round(i / sy)), rows - h)
    col = min(max(0, round(j / sx)), cols - w)
    return int(row), int(col), int(h), int(w)
