"""Colour tables for segment rasters: random, or stretched from statistics.

Both return an (N + 1, 4) uint8 RGBA table, row i = segment i, row 0 (null)
transparent. :func:`rgba_to_columns` turns it into the RAT columns Red,
Green, Blue and Alpha that :func:`shepcore.raster.copy.add_rat_columns` writes with
their usages (GFU_Red, GFU_Green, GFU_Blue, GFU_Alpha), which GDAL also
exposes as the band's colour table and QGIS uses to draw the raster.
"""

import numbers

import numpy as np

from .. import _validate as v
from .._kernels.colour import assign_colours
from ..raster.read import segment_strips


def _adjacent_pairs(labels):
    """Unique (a, b), a < b, of 4-adjacent nonzero labels; (M, 2) uint64."""
    labels = np.asarray(labels)
    keys = []
    for a, b in ((labels[:, :-1], labels[:, 1:]), (labels[:-1, :], labels[1:, :])):
        a = a.ravel().astype(np.uint64)
        b = b.ravel().astype(np.uint64)
        sel = (a != b) & (a != 0) & (b != 0)
        lo, hi = np.minimum(a[sel], b[sel]), np.maximum(a[sel], b[sel])
        keys.append((lo << np.uint64(32)) | hi)
    keys = np.unique(np.concatenate(keys))
    return np.stack([keys >> np.uint64(32), keys & np.uint64(0xFFFFFFFF)], axis=1)


def _adjacency(labels, n):
    """CSR (indptr, neighbours) of the segment adjacency graph; labels an
    (R, C) array or the path of a segment raster (read in strips)."""
    if isinstance(labels, np.ndarray):
        if labels.ndim != 2 or labels.dtype.kind not in "iu":
            raise ValueError(f"labels: expected a (rows, cols) integer array, got "
                             f"{labels.dtype} shape {labels.shape}")
        if labels.size and (labels.min() < 0 or labels.max() > n):
            raise ValueError(f"labels: IDs must lie in 0..n={n}, got {labels.min()}.."
                             f"{labels.max()}")
        pairs = _adjacent_pairs(labels)
    else:
        found = []
        # One row of overlap, so pairs across strip borders are seen.
        for _, strip in segment_strips(labels, overlap=1):
            if strip.max(initial=0) > n:
                raise ValueError(f"labels: {labels} holds ID {strip.max()}, more than n={n}")
            found.append(_adjacent_pairs(strip))
        pairs = np.unique(np.concatenate(found), axis=0) if found else np.zeros((0, 2))
    src = np.concatenate([pairs[:, 0], pairs[:, 1]]).astype(np.int64)
    dst = np.concatenate([pairs[:, 1], pairs[:, 0]]).astype(np.int64)
    order = np.argsort(src, kind="stable")
    indptr = np.zeros(n + 2, np.int64)
    np.cumsum(np.bincount(src, minlength=n + 1), out=indptr[1:])
    return indptr, dst[order]


def random_colours(n, seed=0, labels=None, *, min_distance=80.0, max_tries=64):
    """Random colour table, reproducible from ``seed``.

    Parameters
    ----------
    n : int
        Number of segments N (IDs 1..N).
    seed : int
        >= 0. The same (n, seed, labels) always give the same table, on
        any machine (colours come from a hash of seed, ID and attempt).
    labels : (R, C) ndarray of int, str or None
        Segment image (or segment raster path, read in strips) used to
        keep 4-adjacent segments apart; None = independent colours.
    min_distance : float
        With ``labels``: a segment's colour is drawn again (up to
        ``max_tries`` times, keeping the best) until its Euclidean RGB
        distance to each lower-ID neighbour is at least this.
    max_tries : int
        >= 1.

    Returns
    -------
    rgba : (n + 1, 4) ndarray of uint8
        Row 0 = (0, 0, 0, 0) (transparent null); alpha 255 elsewhere.

    Examples
    --------
    >>> random_colours(3, seed=1).shape
    (4, 4)
    """
    n = v.check_int("n", n, 0, 2**32 - 1)
    seed = v.check_int("seed", seed, 0, 2**63 - 1)
    min_distance = v.check_number("min_distance", min_distance, 0.0, 442.0)
    max_tries = v.check_int("max_tries", max_tries, 1)
    if labels is None:
        indptr, neighbours = np.zeros(n + 2, np.int64), np.zeros(0, np.int64)
    else:
        indptr, neighbours = _adjacency(labels, n)
    rgb = np.zeros((n + 1, 3), np.uint8)
    with np.errstate(over="ignore"):  # the hash wraps on purpose (pure-Python mode)
        assign_colours(seed, indptr, neighbours, min_distance**2, max_tries, rgb)
    rgba = np.empty((n + 1, 4), np.uint8)
    rgba[:, :3] = rgb
    rgba[:, 3] = 255
    rgba[0] = 0
    return rgba


def stretch_colours(red, green, blue, *, low=5.0, high=95.0, missing_value=None,
                    weights=None):
    """Colour table from three per-segment columns (e.g. band means).

    Each channel is mapped linearly from its ``low`` .. ``high``
    percentile (over the valid segments) to 0..255, clipped and rounded.

    Parameters
    ----------
    red, green, blue : (N + 1,) array_like
        RAT columns, row i = segment i (row 0, null, is ignored).
    low, high : float
        Percentiles, 0 <= low < high <= 100.
    missing_value : float or None
        Rows equal to it in any channel (and NaN rows) are transparent and
        left out of the percentiles.
    weights : (N + 1,) array_like or None
        Weight of each segment in the percentiles, e.g. the Histogram
        (pixel count) column to stretch like the image; None = equal.
        Weighted percentiles use numpy's 'inverted_cdf' method.

    Returns
    -------
    rgba : (N + 1, 4) ndarray of uint8
        Row 0 and missing rows (0, 0, 0, 0); alpha 255 elsewhere.
    """
    chans = [np.asarray(c, np.float64) for c in (red, green, blue)]
    if any(c.ndim != 1 for c in chans) or len({c.size for c in chans}) != 1:
        raise ValueError(f"red, green, blue: expected three 1-D columns of equal length, "
                         f"got shapes {[c.shape for c in chans]}")
    low = v.check_number("low", low, 0.0, 100.0)
    high = v.check_number("high", high, 0.0, 100.0)
    if not low < high:
        raise ValueError(f"low must be below high, got low={low}, high={high}")
    if missing_value is not None and (isinstance(missing_value, bool)
                                      or not isinstance(missing_value, numbers.Real)):
        raise TypeError(f"missing_value must be a number or None, got {missing_value!r}")
    size = chans[0].size
    valid = np.ones(size, bool)
    if size:
        valid[0] = False
    for c in chans:
        valid &= np.isfinite(c)
        if missing_value is not None:
            valid &= c != missing_value
    if weights is not None:
        weights = np.asarray(weights, np.float64)
        if weights.shape != (size,) or np.any(weights < 0) or not np.all(np.isfinite(weights)):
            raise ValueError(f"weights: expected ({size},) finite values >= 0, got shape "
                             f"{weights.shape}")
        valid &= weights > 0
    rgba = np.zeros((size, 4), np.uint8)
    if not valid.any():
        return rgba
    for i, c in enumerate(chans):
        x = c[valid]
        if weights is None:
            lo, hi = np.percentile(x, [low, high])
        else:
            lo, hi = np.percentile(x, [low, high], weights=weights[valid],
                                   method="inverted_cdf")
        span = hi - lo if hi > lo else 1.0
        rgba[valid, i] = np.clip(np.rint((x - lo) / span * 255.0), 0, 255)
    rgba[valid, 3] = 255
    return rgba


def rgba_to_columns(rgba):
    """RAT columns {'Red', 'Green', 'Blue', 'Alpha'} (int) of an (N + 1, 4)
    RGBA table, for :func:`shepcore.raster.copy.add_rat_columns` (whose default
    usages for these names are GFU_Red, GFU_Green, GFU_Blue, GFU_Alpha)."""
    rgba = np.asarray(rgba)
    if rgba.ndim != 2 or rgba.shape[1] != 4:
        raise ValueError(f"rgba: expected an (N + 1, 4) table, got shape {rgba.shape}")
    return {name: rgba[:, i].astype(np.int32)
            for i, name in enumerate(("Red", "Green", "Blue", "Alpha"))}


#: Column usages of a colour table held in a RAT.
COLOUR_USAGES = ("Red", "Green", "Blue", "Alpha")


def colour_raster(segments, out, mode="stats", *, image=None, rgb_bands=None, seed=0,
                  missing_value=-9999, fmt=None):
    """Write a copy of a segment raster with a new colour table in its RAT.

    Parameters
    ----------
    segments : str
        Segment raster (a colour table it has already is replaced).
    out : str
        New raster (format by extension or ``fmt``: 'HFA', 'GTiff', 'COG').
    mode : {'stats', 'random'}
        'stats': the per-segment means of ``rgb_bands``, each stretched from
        its 5th to 95th percentile (weighted by pixel count), as the
        workflow does; the means come from the RAT's ``B{band}_mean``
        columns, or are computed from ``image``. 'random': reproducible
        random colours from ``seed``, 4-adjacent segments kept apart.
    image : str or None
        Image on the segments' grid (for 'stats' without mean columns).
    rgb_bands : three 1-based bands or None
        Default: bands 1, 2, 3 (or the one band three times).

    Returns
    -------
    int
        N, the number of segments coloured.
    """
    from ..raster.copy import add_rat_columns
    from ..raster.rat import rat_columns

    nrows, columns = rat_columns(segments)
    n = max(nrows - 1, 0)
    drop = [c.name for c in columns if c.usage in COLOUR_USAGES]
    if mode == "random":
        rgba = random_colours(n, seed, labels=segments)
    elif mode == "stats":
        rgba = _stats_colours(segments, columns, image, rgb_bands, missing_value)
    else:
        raise ValueError(f"colour mode {mode!r}: choose stats or random")
    add_rat_columns(segments, rgba_to_columns(rgba), out, fmt=fmt, drop=drop)
    return n


def _stats_colours(segments, columns, image, rgb_bands, missing_value):
    """Stretched colour table from band means (RAT columns or ``image``)."""
    from ..raster.rat import read_rat
    from ..stats.api import segment_statistics

    names = {c.name for c in columns}
    if rgb_bands is None:
        found = sorted(int(c[1:-5]) for c in names if c.startswith("B") and c.endswith("_mean")
                       and c[1:-5].isdigit())
        rgb_bands = ((found or [1, 2, 3]) * 3)[:3] if len(found) < 3 else found[:3]
    rgb_bands = [int(b) for b in rgb_bands]
    if len(rgb_bands) != 3:
        raise ValueError(f"rgb bands: expected three bands, got {rgb_bands}")
    wanted = [f"B{b}_mean" for b in rgb_bands]
    if all(w in names for w in wanted):
        means = read_rat(segments, wanted)
    elif image is None:
        raise ValueError(f"{segments}: no RAT columns {', '.join(wanted)}; give the image "
                         "(--image) to compute the band means")
    else:
        means = segment_statistics(segments, image, bands=sorted(set(rgb_bands)),
                                   statistics=["mean"], missing_value=missing_value)
    weights = read_rat(segments, ["Histogram"])["Histogram"] if "Histogram" in names else None
    return stretch_colours(*(means[w] for w in wanted), missing_value=missing_value,
                           weights=weights)
