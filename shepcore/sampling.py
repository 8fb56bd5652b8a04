"""Which pixels fit the k-means model: a regular grid over the full
resolution image, sized so that about ``sample_pixels`` of its pixels are
non-null.

The grid step is fractional (rows and columns at floor((i + 1/2) * step)),
so the count does not jump by the square of an integer step. The valid
share of a scene is only known after a first look, so the grid is refined
from the share the first grid found: within +-25 % of ``sample_pixels``
whenever the scene has more valid pixels than that (a regular thinning of
the valid samples trims any excess). The same function serves an image in
memory and a raster read row by row, so both pick the same pixels.
"""

import math

import numpy as np

#: Accepted band around the requested number of valid samples.
TOLERANCE = 0.25
#: Grid refinements after the first look.
MAX_REFINEMENTS = 6


def grid_positions(length, step):
    """(n,) int64 positions floor((i + 1/2) * step) < length, i = 0, 1, ...
    for a step >= 1 (float); the middle position when the step exceeds the
    length (a thin image still gets a row or column of samples)."""
    n = max(1, math.ceil(length / step))
    pos = np.floor((np.arange(n) + 0.5) * step).astype(np.int64)
    pos = pos[pos < length]
    return pos if pos.size else np.array([length // 2], np.int64)


def sample_grid(rows, cols, sample_pixels, read, valid):
    """Samples of a rows x cols image on a regular grid.

    Parameters
    ----------
    rows, cols : int
    sample_pixels : int
        Wanted number of non-null samples (>= 1).
    read : callable (row positions, col positions) -> (N, B) samples
        N = len(rows) * len(cols), row-major.
    valid : callable (N, B) samples -> (N,) bool
        The null rule (see :mod:`shepcore.nulls`).

    Returns
    -------
    (M, B) samples, all of them valid; M within +-TOLERANCE of
    ``sample_pixels`` when the image has that many valid pixels and the
    grid can reach them (otherwise every valid pixel of the densest grid
    tried, at most the whole image).
    """
    target = max(1, int(sample_pixels))
    step = max(1.0, math.sqrt(rows * cols / target))
    for _ in range(MAX_REFINEMENTS + 1):
        samples = read(grid_positions(rows, step), grid_positions(cols, step))
        ok = valid(samples)
        found = int(ok.sum())
        if found >= (1 - TOLERANCE) * target or step == 1.0:
            break
        # Denser by the valid share seen (a quarter of the step when none).
        shrink = math.sqrt(found / target) if found else 0.25
        step = max(1.0, step * shrink * 0.98)
    samples = samples[ok]
    if samples.shape[0] > (1 + TOLERANCE) * target:
        samples = samples[grid_positions(samples.shape[0], samples.shape[0] / target)]
    return samples
