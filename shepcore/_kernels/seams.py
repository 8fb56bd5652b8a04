"""Seam matching kernels: which labels cross the seam line of an overlap
strip, and the pixel counts of (label, label) pairs of two strips,
gathered as runs so that only run keys need sorting."""

import numpy as np
from numba import njit

from .._config import JIT


@njit(**JIT)
def crossing_flags(strip, seam, n):
    """(n + 1,) bool: labels of ``strip`` (rows, width) uint32, all <= n,
    with pixels on both sides of column ``seam`` (0 is never set)."""
    left = np.zeros(n + 1, np.bool_)
    right = np.zeros(n + 1, np.bool_)
    rows, width = strip.shape
    for r in range(rows):
        for c in range(width):
            if c < seam:
                left[strip[r, c]] = True
            else:
                right[strip[r, c]] = True
    out = left & right
    out[0] = False
    return out


@njit(**JIT)
def pair_runs(src, dst, wanted, span):
    """(keys, counts) of runs of equal (src, dst) label pairs, row-major,
    over pixels where both are non-zero and ``wanted[src]``: key = src *
    span + dst (int64), count = run length. Keys may repeat (add them)."""
    rows, width = src.shape
    cap = 1024
    keys = np.empty(cap, np.int64)
    counts = np.empty(cap, np.int64)
    m = 0
    last = np.int64(-1)
    for r in range(rows):
        for c in range(width):
            a = src[r, c]
            b = dst[r, c]
            if a == 0 or b == 0 or not wanted[a]:
                last = -1
                continue
            key = np.int64(a) * span + np.int64(b)
            if key == last:
                counts[m - 1] += 1
                continue
            if m == cap:
                cap *= 2
                grown_k = np.empty(cap, np.int64)
                grown_c = np.empty(cap, np.int64)
                grown_k[:m] = keys[:m]
                grown_c[:m] = counts[:m]
                keys, counts = grown_k, grown_c
            keys[m] = key
            counts[m] = 1
            m += 1
            last = key
    return keys[:m], counts[:m]
