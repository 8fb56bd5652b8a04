"""Which pixels fit the k-means model: a regular grid of small patches over
the full resolution image, sized so that about ``sample_pixels`` of its
pixels are non-null.

Patches of PATCH x PATCH pixels sit on a regular grid whose step is
fractional (patch origins at floor((i + 1/2) * step) - PATCH / 2), so the
count does not jump by the square of an integer step. Patches rather than
single pixels: a compressed, tiled file decodes whole blocks, and a grid of
single pixels dense enough for a million samples touches every block of a
gigapixel mosaic (decoding it all), while patches touch about one block in
PATCH^2 / (block pixels per sample). The valid share of a scene is only
known after a first look, so the grid is refined from the share the first
grid found: within +-25 % of ``sample_pixels`` whenever the scene has more
valid pixels than that (a regular thinning of the valid samples trims any
excess). The same function serves an image in memory and a raster read
window by window, so both pick the same pixels.
"""

import math

import numpy as np

#: Accepted band around the requested number of valid samples.
TOLERANCE = 0.25
#: Grid refinements after the first look.
MAX_REFINEMENTS = 6
#: Side of a sample patch (pixels).
PATCH = 16


def grid_positions(length, step, patch=1):
    """(n,) int64 sorted positions along one axis: runs of ``patch``
    consecutive positions centred on floor((i + 1/2) * step), i = 0, 1, ...
    for a step >= ``patch`` (float), within 0..length - 1; the middle run
    when the step exceeds the length (a thin image still gets samples).
    Runs never overlap."""
    n = max(1, math.ceil(length / step))
    centres = np.floor((np.arange(n) + 0.5) * step).astype(np.int64)
    centres = centres[centres < length]
    if not centres.size:
        centres = np.array([length // 2], np.int64)
    starts = np.clip(centres - patch // 2, 0, max(0, length - patch))
    pos = (starts[:, None] + np.arange(min(patch, length))[None, :]).ravel()
    return np.unique(pos)


def sample_grid(rows, cols, sample_pixels, read, valid):
    """Samples of a rows x cols image on a regular grid.

    Parameters
    ----------
    rows, cols : int
    sample_pixels : int
        Wanted number of non-null samples (>= 1).
    read : callable (row positions, col positions) -> (N, B) samples
        N = len(rows) * len(cols), row-major; positions come sorted, in
        runs of consecutive values (the patches).
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
    # Patches only where they leave room for several per image side.
    patch = PATCH if min(rows, cols) >= 8 * PATCH else 1
    step = max(float(patch), patch * math.sqrt(rows * cols / target))
    for _ in range(MAX_REFINEMENTS + 1):
        samples = read(grid_positions(rows, step, patch), grid_positions(cols, step, patch))
        ok = valid(samples)
        found = int(ok.sum())
        if found >= (1 - TOLERANCE) * target or step <= patch:
            break
        # Denser by the valid share seen (a quarter of the step when none).
        shrink = math.sqrt(found / target) if found else 0.25
        step = max(float(patch), step * shrink * 0.98)
    samples = samples[ok]
    if samples.shape[0] > (1 + TOLERANCE) * target:
        samples = samples[grid_positions(samples.shape[0], samples.shape[0] / target)]
    return samples
