"""Segment sizes, spectral sums and sequential relabelling."""

import numpy as np
from numba import njit

from .._config import JIT


@njit(**JIT)
def count_pixels(labels, nlabels):
    """Pixels per label: (nlabels + 1,) int64 for labels (R, C) uint32."""
    sizes = np.zeros(nlabels + 1, np.int64)
    flat = labels.reshape(-1)
    for p in range(flat.size):
        sizes[flat[p]] += 1
    sizes[0] = 0
    return sizes


@njit(**JIT)
def spectral_sums(image, labels, nlabels):
    """Per-label band sums: (nlabels + 1, B) float64, summed in raster order."""
    nb, nrows, ncols = image.shape
    sums = np.zeros((nlabels + 1, nb))
    for r in range(nrows):
        for c in range(ncols):
            lab = labels[r, c]
            if lab != 0:
                for b in range(nb):
                    sums[lab, b] += image[b, r, c]
    return sums


@njit(**JIT)
def relabel_sequential(labels, nlabels):
    """Renumber labels (R, C) uint32 in place to 1..N in raster order of each
    label's first pixel; 0 stays 0. Returns N."""
    return relabel_sequential_ids(labels, nlabels)[0]


@njit(**JIT)
def relabel_sequential_ids(labels, nlabels):
    """As :func:`relabel_sequential`; returns (N, new_id (nlabels + 1,)
    uint32: the new ID of every old label, 0 for labels that are gone)."""
    new_id = np.zeros(nlabels + 1, np.uint32)
    flat = labels.reshape(-1)
    count = 0
    for p in range(flat.size):
        lab = flat[p]
        if lab != 0:
            if new_id[lab] == 0:
                count += 1
                new_id[lab] = count
            flat[p] = new_id[lab]
    return count, new_id
