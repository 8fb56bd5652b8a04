"""Connected-component labelling of a cluster image (union-find over pixel
indices, stored in the output label array itself)."""

from numba import njit

from .._config import JIT
from .unionfind import join as _join


@njit(**JIT)
def clump(clusters, eight, labels):
    """Label connected pixels of equal non-zero cluster number.

    clusters : (R, C) uint16, 0 = null; eight : bool, 8- instead of
    4-connectivity; labels : (R, C) uint32 output, 0 at null pixels and
    clump IDs 1..N numbered in raster order of each clump's first pixel.
    R * C must be below 2**32. Returns N. No size limit on clumps.
    """
    nrows, ncols = clusters.shape
    parent = labels.reshape(-1)
    for r in range(nrows):
        for c in range(ncols):
            p = r * ncols + c
            parent[p] = p
            k = clusters[r, c]
            if k == 0:
                continue
            if c > 0 and clusters[r, c - 1] == k:
                _join(parent, p, p - 1)
            if r > 0:
                if clusters[r - 1, c] == k:
                    _join(parent, p, p - ncols)
                if eight:
                    if c > 0 and clusters[r - 1, c - 1] == k:
                        _join(parent, p, p - ncols - 1)
                    if c + 1 < ncols and clusters[r - 1, c + 1] == k:
                        _join(parent, p, p - ncols + 1)
    # Every non-root points to a smaller index, which this raster-order pass
    # has already overwritten with its final ID.
    count = 0
    flat_clusters = clusters.reshape(-1)
    for p in range(nrows * ncols):
        if flat_clusters[p] == 0:
            parent[p] = 0
        elif parent[p] == p:
            count += 1
            parent[p] = count
        else:
            parent[p] = parent[parent[p]]
    return count
