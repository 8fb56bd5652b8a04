"""Random colours per segment, drawn again where a neighbour is too close."""

import numpy as np
from numba import njit

from .._config import JIT

_C1 = np.uint64(0x9E3779B97F4A7C15)
_C2 = np.uint64(0xBF58476D1CE4E5B9)
_C3 = np.uint64(0x94D049BB133111EB)


@njit(**JIT)
def _hash3(seed, i, t):
    """splitmix64 finaliser of a mix of (seed, i, t): 64 well-spread bits."""
    z = np.uint64(seed) * _C1 + np.uint64(i) * _C2 + np.uint64(t) * _C3 + _C1
    z = (z ^ (z >> np.uint64(30))) * _C2
    z = (z ^ (z >> np.uint64(27))) * _C3
    return z ^ (z >> np.uint64(31))


@njit(**JIT)
def assign_colours(seed, indptr, neighbours, min_d2, tries, out):
    """Colour segments 1..n in ID order into out (n + 1, 3) uint8.

    Candidate t of segment i is bytes 0-2 of _hash3(seed, i, t). The first
    candidate at squared RGB distance >= min_d2 from every already coloured
    neighbour (lower ID; neighbours of i are neighbours[indptr[i]:indptr[i+1]])
    is taken, else the candidate farthest from its nearest such neighbour.
    """
    n = out.shape[0] - 1
    for i in range(1, n + 1):
        best_d = -1.0
        best = np.uint64(0)
        for t in range(tries):
            h = _hash3(seed, i, t)
            r = np.float64(h & np.uint64(255))
            g = np.float64((h >> np.uint64(8)) & np.uint64(255))
            b = np.float64((h >> np.uint64(16)) & np.uint64(255))
            dmin = np.inf
            for e in range(indptr[i], indptr[i + 1]):
                j = neighbours[e]
                if j < i:
                    dr = r - out[j, 0]
                    dg = g - out[j, 1]
                    db = b - out[j, 2]
                    d = dr * dr + dg * dg + db * db
                    if d < dmin:
                        dmin = d
            if dmin > best_d:
                best_d = dmin
                best = h
            if dmin >= min_d2:
                break
        out[i, 0] = best & np.uint64(255)
        out[i, 1] = (best >> np.uint64(8)) & np.uint64(255)
        out[i, 2] = (best >> np.uint64(16)) & np.uint64(255)
