"""Exact nearest-centre search (squared Euclidean distance in band space).

Two exact shortcuts. (1) Neighbouring pixels usually share their nearest
centre: if x is closer to the left neighbour's centre c than half the
distance from c to any other centre, c is the nearest (triangle inequality,
as in Elkan's k-means). (2) Otherwise centres are sorted by their
projection on one axis (the centres' principal direction). For a pixel x
with projection p, a centre whose projection
differs by g is at least |g| away, so the scan outwards from p stops once
g * g exceeds the best squared distance found. The answer equals a brute
force argmin with ties going to the lowest centre index.
"""

import numpy as np
from numba import njit, prange

from .._config import JIT, JIT_PARALLEL

# Relative slack on the pruning bound, so rounding can never prune a centre
# that brute force would pick.
_SLACK = 1.0 + 1e-9


def centre_index(centres):
    """Search structure for ``centres`` (K, B) float64.

    Returns (axis (B,), proj (K,) ascending, sorted_centres (K, B), order (K,)
    int64: original index of each sorted centre).
    """
    centres = np.ascontiguousarray(centres, np.float64)
    centred = centres - centres.mean(axis=0)
    if centres.shape[0] > 1 and np.any(centred):
        axis = np.linalg.svd(centred, full_matrices=False)[2][0]
    else:
        axis = np.eye(centres.shape[1])[0]
    axis = np.ascontiguousarray(axis, np.float64)
    proj = _project_all(centres, axis)
    order = np.argsort(proj, kind="stable").astype(np.int64)
    return axis, np.ascontiguousarray(proj[order]), np.ascontiguousarray(centres[order]), order


@njit(**JIT)
def _project_all(points, axis):
    out = np.empty(points.shape[0])
    for i in range(points.shape[0]):
        out[i] = _dot(points[i], axis)
    return out


@njit(**JIT)
def _dot(x, axis):
    s = 0.0
    for b in range(x.size):
        s += x[b] * axis[b]
    return s


@njit(**JIT)
def _dist2(x, centres, j):
    d2 = 0.0
    for b in range(x.size):
        diff = x[b] - centres[j, b]
        d2 += diff * diff
    return d2


@njit(**JIT)
def nearest(x, axis, proj, centres, order):
    """(original index of the centre nearest to x (B,) float64, its squared
    distance)."""
    k = proj.size
    p = _dot(x, axis)
    start = np.searchsorted(proj, p)
    best_idx = -1
    best_d2 = np.inf
    j = start
    while j < k:
        g = proj[j] - p
        if g > 0 and g * g > best_d2 * _SLACK:
            break
        d2 = _dist2(x, centres, j)
        if d2 < best_d2 or (d2 == best_d2 and order[j] < best_idx):
            best_d2 = d2
            best_idx = order[j]
        j += 1
    j = start - 1
    while j >= 0:
        g = p - proj[j]
        if g > 0 and g * g > best_d2 * _SLACK:
            break
        d2 = _dist2(x, centres, j)
        if d2 < best_d2 or (d2 == best_d2 and order[j] < best_idx):
            best_d2 = d2
            best_idx = order[j]
        j -= 1
    return best_idx, best_d2


def half_gap2(centres):
    """(K,) float64: for each centre, a quarter of the squared distance to its
    nearest other centre, shrunk by a relative 1e-9 so that rounding can
    never make the shortcut accept a centre that is not strictly nearest.
    O(K) memory; inf for a single centre."""
    return _half_gap2(np.ascontiguousarray(centres, np.float64))


@njit(**JIT)
def _half_gap2(centres):
    k = centres.shape[0]
    out = np.full(k, np.inf)
    for i in range(k):
        for j in range(k):
            if i != j:
                d2 = _dist2(centres[i], centres, j)
                if d2 < out[i]:
                    out[i] = d2
    for i in range(k):
        out[i] = out[i] / 4.0 * (1.0 - 1e-9)
    return out


@njit(**JIT_PARALLEL)
def assign_image(image, centres, half_gap2, axis, proj, sorted_centres, order,
                 has_nodata, nodata, out):
    """Write 1 + index of the nearest centre of every pixel into ``out``.

    image : (B, R, C) any numeric dtype; centres : (K, B) float64 in
    original order with ``half_gap2`` from :func:`half_gap2`; (axis, proj,
    sorted_centres, order) from :func:`centre_index`; out : (R, C) uint16, 0
    where the pixel is null (any band equal to ``nodata`` when
    ``has_nodata``, or any band not finite).
    """
    nb, nrows, ncols = image.shape
    for r in prange(nrows):
        x = np.empty(nb, np.float64)
        prev = -1
        for c in range(ncols):
            null = False
            for b in range(nb):
                v = np.float64(image[b, r, c])
                if (has_nodata and v == nodata) or not np.isfinite(v):
                    null = True
                    break
                x[b] = v
            if null:
                out[r, c] = 0
                prev = -1
                continue
            if prev >= 0 and _dist2(x, centres, prev) < half_gap2[prev]:
                out[r, c] = prev + 1
                continue
            prev = nearest(x, axis, proj, sorted_centres, order)[0]
            out[r, c] = prev + 1
