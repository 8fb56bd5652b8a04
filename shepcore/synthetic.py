"""Synthetic test scenes: Voronoi regions with distinct spectra."""

import numpy as np
from numba import njit, prange

from ._config import JIT_PARALLEL


@njit(**JIT_PARALLEL)
def _voronoi_regions(seed_rows, seed_cols, cell_h, cell_w, out, row0=0, col0=0):
    """Index of the nearest seed for each pixel of ``out`` (R, C) int32, a
    window at (row0, col0) of the seeds' image.

    Seed (i, j) lies inside grid cell (i, j), so the nearest seed of a pixel
    is among the 5 x 5 cells around its own (enough for seeds jittered
    anywhere inside their cell).
    """
    gy, gx = seed_rows.shape
    nrows, ncols = out.shape
    for rr in prange(nrows):
        r = rr + row0
        ci = min(r // cell_h, gy - 1)
        for cc in range(ncols):
            c = cc + col0
            cj = min(c // cell_w, gx - 1)
            best = -1
            best_d2 = np.inf
            for i in range(max(0, ci - 2), min(gy, ci + 3)):
                for j in range(max(0, cj - 2), min(gx, cj + 3)):
                    dr = seed_rows[i, j] - r
                    dc = seed_cols[i, j] - c
                    d2 = dr * dr + dc * dc
                    if d2 < best_d2:
                        best_d2 = d2
                        best = i * gx + j
            out[rr, cc] = best


def voronoi_regions(rows, cols, grid=(10, 10), seed=0, window=None):
    """Region index map (rows, cols) int32 of grid[0] * grid[1] Voronoi cells
    with one randomly jittered seed per grid cell; ``window`` (row, col,
    rows, cols) returns only that part of it (for mosaics made piece by
    piece: every window agrees with the whole)."""
    rng = np.random.default_rng(seed)
    gy, gx = grid
    cell_h = -(-rows // gy)
    cell_w = -(-cols // gx)
    base_r = np.arange(gy)[:, None] * cell_h
    base_c = np.arange(gx)[None, :] * cell_w
    seed_rows = (base_r + rng.uniform(0, cell_h, (gy, gx))).astype(np.float64)
    seed_cols = (base_c + rng.uniform(0, cell_w, (gy, gx))).astype(np.float64)
    row0, col0, nrows, ncols = (0, 0, rows, cols) if window is None else window
    out = np.empty((nrows, ncols), np.int32)
    _voronoi_regions(seed_rows, seed_cols, cell_h, cell_w, out, row0, col0)
    return out


def voronoi_scene(rows, cols, bands=3, grid=(10, 10), noise=0.0, dtype=np.uint16,
                  seed=0, low=1000, high=20000):
    """A (bands, rows, cols) image of Voronoi regions.

    Each region gets a random spectrum in [low, high) per band, drawn so that
    any two regions differ by at least (high - low) / (4 * regions) in some
    band; Gaussian noise of standard deviation ``noise`` (band units) is
    added and values are clipped to the dtype. Returns (image, regions),
    regions being (rows, cols) int32 region indices.
    """
    rng = np.random.default_rng(seed)
    regions = voronoi_regions(rows, cols, grid, seed)
    nreg = grid[0] * grid[1]
    # Distinct spectra: band 0 takes evenly spaced, shuffled levels.
    spectra = rng.uniform(low, high, (nreg, bands))
    spectra[:, 0] = rng.permutation(np.linspace(low, high, nreg, endpoint=False))
    image = np.empty((bands, rows, cols), dtype)
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
    for b in range(bands):
        band = spectra[regions, b]
        if noise > 0:
            band += rng.normal(0.0, noise, (rows, cols))
        if info is not None:
            band = np.clip(np.rint(band), info.min, info.max)
        image[b] = band
        del band
    return image, regions
