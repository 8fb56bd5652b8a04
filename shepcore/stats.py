"""Per-segment statistics of image bands and segment shapes, as RAT columns.

The work is a map-reduce over windows of the segment raster, so that it
runs in a fixed memory budget whatever the raster size and segment count,
and spreads over jobs:

* :func:`partial_statistics` (map, one window): per-segment aggregates that
  combine exactly (pixel and value counts, exact integer sums, minima,
  maxima, edge counts), final order statistics for the segments that lie
  wholly inside the window (known from the RAT ``Histogram`` column), and
  the sorted (segment, value) pairs of the other segments.
* :func:`combine_partials` / :func:`iter_column_chunks` (reduce): segment
  IDs are split into ranges ("partitions") sized to the budget; each range
  reads its rows from every partial, merges the aggregates and streams the
  carried value pairs of its segments in (segment, value) order, in chunks
  of bounded size, through the order-statistics kernel.
* :func:`segment_statistics` runs both in one process (partials go to a
  temporary folder) and returns the columns; :func:`write_segment_statistics`
  streams them into a new copy of the segment raster.

Every result is a function of the set of pixels only: the same numbers,
bit for bit, whatever the windows, their order or the memory budget.
See :func:`segment_statistics` for the definitions.
"""

import math
import numbers
import os
import re
import tempfile
from dataclasses import dataclass

import numpy as np

from . import _validate as v
from . import io
from ._kernels import segstats as k
from ._pairs import OrderState, merged_pairs, sort_pairs
from ._partialfile import PartialReader, save_npz

#: Band statistics; a percentile is written 'p' + number, e.g. 'p90', 'p2.5'.
STATISTICS = ("count", "min", "max", "mean", "stddev", "median", "mode")
DEFAULT_STATISTICS = ("count", "min", "max", "mean", "stddev")
#: Spatial columns (names are the RAT column names).
SPATIAL = ("pixel_count", "area", "centroid_x", "centroid_y", "bbox_xmin", "bbox_ymin",
           "bbox_xmax", "bbox_ymax", "bbox_row0", "bbox_col0", "bbox_row1", "bbox_col1",
           "edge_pixels")
#: Shorthands accepted in ``spatial``.
SPATIAL_GROUPS = {
    "centroid": ("centroid_x", "centroid_y"),
    "bbox": ("bbox_xmin", "bbox_ymin", "bbox_xmax", "bbox_ymax",
             "bbox_row0", "bbox_col0", "bbox_row1", "bbox_col1"),
}
#: Working bytes per window pixel assumed by :func:`plan_windows`, plus
#: per segment expected in the window :data:`BYTES_PER_SEGMENT` and
#: :data:`BYTES_PER_SEGMENT_BAND` per band (+ 8 per percentile).
BYTES_PER_PIXEL = 64
BYTES_PER_SEGMENT = 170
BYTES_PER_SEGMENT_BAND = 68
#: Complete segments finalised together in :func:`partial_statistics`.
DONE_GROUP = 1 << 16
#: Working bytes per carried (segment, value) pair while combining.
BYTES_PER_PAIR = 48
#: Version of the partial format; partials of another version are refused.
FORMAT_VERSION = 1

_PCT = re.compile(r"^p(\d+(?:\.\d*)?|\.\d+)$")
_INT_COLUMNS = ("bbox_row0", "bbox_col0", "bbox_row1", "bbox_col1")
_COUNT_COLUMNS = ("pixel_count", "edge_pixels")
_I64_MAX = np.iinfo(np.int64).max
_I32_MAX = np.iinfo(np.int32).max


# -- specification -------------------------------------------------------------


def _parse_statistics(statistics):
    """[(token, kind, q)] with kind in STATISTICS or 'pct' (q in 0..100)."""
    if isinstance(statistics, str):
        statistics = [statistics]
    out = []
    for token in statistics:
        if not isinstance(token, str):
            raise TypeError(f"statistics: expected names, got {token!r}")
        if token in STATISTICS:
            out.append((token, token, 50.0 if token == "median" else None))
            continue
        m = _PCT.match(token)
        if not m:
            raise ValueError(f"statistics: unknown statistic {token!r} (choose from "
                             f"{', '.join(STATISTICS)} or a percentile such as 'p90')")
        q = float(m.group(1))
        if not 0.0 <= q <= 100.0:
            raise ValueError(f"statistics: percentile {token!r} outside 0..100")
        out.append((token, "pct", q))
    return out


def _parse_spatial(spatial):
    if isinstance(spatial, str):
        spatial = [spatial]
    out = []
    for name in spatial:
        names = SPATIAL_GROUPS.get(name, (name,))
        for n in names:
            if n not in SPATIAL:
                raise ValueError(f"spatial: unknown spatial statistic {name!r} (choose from "
                                 f"{', '.join(SPATIAL)}, centroid, bbox)")
            if n not in out:
                out.append(n)
    return out


def _band_plan(dtype, stats):
    """What one band needs: exact integer sums, percentiles, mode, sorted moments."""
    dtype = np.dtype(dtype)
    exact = dtype.kind in "iu" and dtype.itemsize <= 4
    kinds = {kind for _, kind, _ in stats}
    qs = sorted({q for _, kind, q in stats if q is not None})
    moments = not exact and bool(kinds & {"mean", "stddev"})
    return {"exact": exact, "qs": qs, "mode": "mode" in kinds, "moments": moments,
            "pairs": bool(qs) or "mode" in kinds or moments}


@dataclass(frozen=True)
class _Spec:
    """Validated settings shared by every partial of one computation."""

    bands: tuple
    stats: tuple
    spatial: tuple
    template: str
    nodata: tuple
    dtypes: tuple
    rows: int
    cols: int
    geotransform: tuple
    rat_rows: int
    hist_column: str | None

    def to_json(self):
        return {"bands": list(self.bands), "stats": [list(s) for s in self.stats],
                "spatial": list(self.spatial), "template": self.template,
                "nodata": list(self.nodata), "dtypes": list(self.dtypes),
                "rows": self.rows, "cols": self.cols,
                "geotransform": list(self.geotransform), "rat_rows": self.rat_rows,
                "hist_column": self.hist_column}

    @classmethod
    def from_json(cls, d):
        return cls(tuple(d["bands"]), tuple(tuple(s) for s in d["stats"]),
                   tuple(d["spatial"]), d["template"], tuple(d["nodata"]),
                   tuple(d["dtypes"]), d["rows"], d["cols"], tuple(d["geotransform"]),
                   d["rat_rows"], d["hist_column"])

    def plans(self):
        return [_band_plan(dt, self.stats) for dt in self.dtypes]

    def band_column(self, band, token):
        return self.template.format(band=band, stat=token)

    def column_names(self):
        names = list(self.spatial)
        names += [self.band_column(b, tok) for b in self.bands for tok, _, _ in self.stats]
        return names


def _make_spec(segments_path, image_path, bands, statistics, spatial, nodata,
               column_template):
    stats = _parse_statistics(statistics)
    spatial = _parse_spatial(spatial)
    if not isinstance(column_template, str):
        raise TypeError(f"column_template must be a str, got {column_template!r}")
    nodata = v.check_nodata(nodata)
    io.band_details(segments_path, segments=True)  # one unsigned-integer band
    seg = io.raster_info(segments_path)
    if stats:
        if image_path is None:
            raise ValueError("image_path: required for band statistics "
                             f"({', '.join(t for t, _, _ in stats)})")
        io.check_same_grid(segments_path, image_path)
        image_bands, _ = io.band_details(image_path)
        band_list = io.check_bands(bands, len(image_bands), image_path)
        for b in band_list:
            dt = image_bands[b - 1][0]
            if dt.kind in "iu" and dt.itemsize > 4:
                raise TypeError(f"{image_path}: band {b} is {dt}; 64-bit integer images "
                                "are not supported")
        dtypes = tuple(image_bands[b - 1][0].str for b in band_list)
        nd = tuple(image_bands[b - 1][1] if nodata is None else nodata for b in band_list)
    else:
        band_list, dtypes, nd = [], (), ()
    if stats and "{stat}" not in column_template:
        raise ValueError(f"column_template: {column_template!r} must contain '{{stat}}'")
    try:
        names = [column_template.format(band=b, stat=t) for b in band_list for t, _, _ in stats]
    except (KeyError, IndexError, ValueError) as err:
        raise ValueError(f"column_template: {column_template!r} is not a valid template with "
                         f"fields 'band' and 'stat' ({err!r})") from None
    all_names = list(spatial) + names
    if len(set(all_names)) != len(all_names):
        raise ValueError(f"column_template: {column_template!r} gives duplicate column names "
                         "(use '{band}' when there are several bands)")
    rat_rows, cols = io.rat_columns(segments_path)
    hist = next((c.name for c in cols if c.usage == "PixelCount"), None)
    return _Spec(tuple(band_list), tuple(stats), tuple(spatial), column_template, nd, dtypes,
                 seg.rows, seg.cols, tuple(seg.geotransform), rat_rows, hist)


def _check_window(window, rows, cols, path):
    if window is None:
        return io.Window(0, 0, rows, cols)
    try:
        win = io.Window(*(int(x) for x in window))
    except (TypeError, ValueError):
        raise ValueError(f"window: expected (row, col, rows, cols), got {window!r}") from None
    if (win.row < 0 or win.col < 0 or win.rows <= 0 or win.cols <= 0
            or win.row + win.rows > rows or win.col + win.cols > cols):
        raise ValueError(f"window: {tuple(win)} outside {path} ({rows} rows x {cols} cols)")
    return win


def plan_windows(segments_path, memory_mb=512, window=None, *, bands=1, percentiles=2):
    """Windows (row strips, block-aligned) covering ``window`` (default: the
    whole raster) for :func:`partial_statistics`, each sized so that its
    working memory fits ``memory_mb``. Strips are full width unless one
    row does not fit.

    Parameters
    ----------
    segments_path : str
    memory_mb : float
    window : Window or tuple or None
    bands, percentiles : int
        Number of image bands and of percentiles (median included) that
        will be computed.

    Returns
    -------
    list of Window

    Notes
    -----
    A window costs about :data:`BYTES_PER_PIXEL` per pixel plus, per
    segment in it, :data:`BYTES_PER_SEGMENT` and per band
    :data:`BYTES_PER_SEGMENT_BAND` + 8 per percentile. The segments per
    pixel are taken as twice the raster's mean (RAT rows / pixels), at
    most 1; without a RAT, 1.
    """
    memory_mb = v.check_number("memory_mb", memory_mb, 0.0, math.inf, open_low=True)
    info = io.raster_info(segments_path)
    _, (block_rows, _) = io.band_details(segments_path, segments=True)
    region = _check_window(window, info.rows, info.cols, segments_path)
    rat_rows, _ = io.rat_columns(segments_path)
    density = min(1.0, 2.0 * rat_rows / (info.rows * info.cols)) if rat_rows else 1.0
    per_pixel = BYTES_PER_PIXEL + density * (
        BYTES_PER_SEGMENT + bands * (BYTES_PER_SEGMENT_BAND + 8 * percentiles))
    pixels = max(1, int(memory_mb * 2**20 / per_pixel))
    out = []
    if region.cols <= pixels:
        strip = max(1, pixels // region.cols)
        if strip >= block_rows:
            strip = strip // block_rows * block_rows
        for r in range(0, region.rows, strip):
            out.append(io.Window(region.row + r, region.col, min(strip, region.rows - r),
                                 region.cols))
    else:
        for r in range(region.rows):
            for c in range(0, region.cols, pixels):
                out.append(io.Window(region.row + r, region.col + c, 1,
                                     min(pixels, region.cols - c)))
    return out


# -- map: one window -------------------------------------------------------------


@dataclass
class StatsPartial:
    """Per-window partial result of :func:`partial_statistics`.

    Attributes
    ----------
    meta : dict
        JSON-able: format version, settings, window, segment and image paths.
    arrays : dict of str to ndarray
        Rows keyed by segment ID (``ids``, sorted), finalised order
        statistics (``done_ids``) and carried (segment, value) pairs per band.

    Picklable; :meth:`save` writes an ``.npz`` file that
    :func:`combine_partials` reads range by range.
    """

    meta: dict
    arrays: dict

    def save(self, path):
        """Write to ``path`` (an uncompressed .npz, atomically); returns path."""
        return save_npz(path, self.meta, self.arrays)


def load_partial(path):
    """Read a partial saved with :meth:`StatsPartial.save` into memory."""
    reader = PartialReader(path)
    meta = reader.meta()
    return StatsPartial(meta, {n: reader.read(n) for n in reader.names() if n != "meta"})


def _valid_mask(values, nodata):
    if values.dtype.kind == "f":
        valid = np.isfinite(values)
        if nodata is not None and np.isfinite(nodata):
            valid &= values != nodata
        return valid
    if nodata is None:
        return np.ones(values.shape, bool)
    return values != nodata


def partial_statistics(segments_path, image_path=None, window=None, *, bands=None,
                       statistics=DEFAULT_STATISTICS, spatial=(), nodata=None,
                       column_template="B{band}_{stat}"):
    """Per-segment partial statistics of one window (the map step).

    Parameters
    ----------
    segments_path : str
        Segment raster: one unsigned-integer band, 0 = null, IDs 1..N, with
        a RAT ``Histogram`` (usage PixelCount) column as shepcore writes it.
    image_path : str or None
        Image on the same grid (None when only ``spatial`` is asked for).
    window : Window or (row, col, rows, cols) or None
        Pixels to cover; None = the whole raster. Windows of the partials
        to be combined must not overlap (e.g. from :func:`plan_windows`).
    bands, statistics, spatial, nodata, column_template
        As in :func:`segment_statistics`; the same for every partial.

    Returns
    -------
    StatsPartial
        Its working memory is what :func:`plan_windows` budgets for.

    Raises
    ------
    ValueError, TypeError
        As :func:`segment_statistics`; a window outside the raster.
    """
    spec = _make_spec(segments_path, image_path, bands, statistics, spatial, nodata,
                      column_template)
    win = _check_window(window, spec.rows, spec.cols, segments_path)
    return _partial(spec, segments_path, image_path, win)


def _partial(spec, segments_path, image_path, win):
    r0, c0 = max(0, win.row - 1), max(0, win.col - 1)
    r1 = min(spec.rows, win.row + win.rows + 1)
    c1 = min(spec.cols, win.col + win.cols + 1)
    padded = io.read_raster(segments_path, window=(r0, c0, r1 - r0, c1 - c0))[0][0]
    padded = np.ascontiguousarray(padded, np.uint32)
    r_off, c_off = win.row - r0, win.col - c0
    core = padded[r_off:r_off + win.rows, c_off:c_off + win.cols]
    uniq = np.unique(core)
    ids = np.ascontiguousarray(uniq[uniq != 0], np.uint32)
    local = np.empty(core.shape, np.int32)
    k.local_index(core, ids, local)
    n = ids.size
    a = {"ids": ids}  # per-window counts and pixel positions fit 32 bits
    a["npix"], a["edges"] = np.zeros(n, np.int32), np.zeros(n, np.int32)
    a["sum_row"], a["sum_col"] = np.zeros(n, np.int64), np.zeros(n, np.int64)
    a["row_min"], a["col_min"] = np.full(n, _I32_MAX, np.int32), np.full(n, _I32_MAX, np.int32)
    a["row_max"], a["col_max"] = np.full(n, -1, np.int32), np.full(n, -1, np.int32)
    k.spatial_sums(padded, r_off, c_off, local, win.row, win.col, a["npix"], a["sum_row"],
                   a["sum_col"], a["row_min"], a["row_max"], a["col_min"], a["col_max"],
                   a["edges"])
    del padded
    done = _complete(spec, segments_path, ids, a["npix"])
    a["done_ids"], a["done_npix"] = ids[done], a["npix"][done]
    for bi, (band, plan) in enumerate(zip(spec.bands, spec.plans(), strict=True)):
        img = io.read_raster(image_path, bands=[band], window=win)[0][0]
        valid = _valid_mask(img, spec.nodata[bi])
        count = np.zeros(n, np.int32)
        vmin, vmax = np.full(n, np.inf), np.full(n, -np.inf)
        k.band_minmax(local, img, valid, count, vmin, vmax)
        a[f"b{bi}_count"], a[f"b{bi}_min"], a[f"b{bi}_max"] = count, vmin, vmax
        if plan["exact"]:
            s1, hi, lo = np.zeros(n, np.int64), np.zeros(n, np.uint64), np.zeros(n, np.uint64)
            with np.errstate(over="ignore"):  # 128-bit carries (pure-Python mode)
                k.int_sums(local, img, valid, s1, hi, lo)
            a[f"b{bi}_s1"], a[f"b{bi}_s2hi"], a[f"b{bi}_s2lo"] = s1, hi, lo
        if plan["pairs"]:
            _partial_pairs(a, bi, plan, core, local, img, valid, done)
        del img, valid
    meta = {"format": FORMAT_VERSION, "spec": spec.to_json(), "window": list(win),
            "max_id": int(ids[-1]) if n else 0, "segments": str(segments_path),
            "image": None if image_path is None else str(image_path)}
    return StatsPartial(meta, a)


def _complete(spec, segments_path, ids, npix):
    """(K,) bool: segments whose every pixel is in the window (by the RAT's
    pixel counts). Without a PixelCount column none are."""
    done = np.zeros(ids.size, bool)
    if spec.hist_column is None or not ids.size:
        return done
    known = ids < spec.rat_rows
    hist = io.read_rat_rows(segments_path, spec.hist_column, ids[known]).astype(np.int64)
    over = npix[known] > hist
    if over.any():
        seg = int(ids[known][np.argmax(over)])
        raise ValueError(f"{segments_path}: RAT column {spec.hist_column} counts fewer pixels "
                         f"than the raster holds for segment {seg}")
    done[known] = npix[known] == hist
    return done


def _partial_pairs(a, bi, plan, core, local, img, valid, done):
    """Order statistics of complete segments now; sorted pairs of the others."""
    sel = valid & (local >= 0)
    li = local[sel]
    seg = core[sel]
    val = img[sel]
    if val.dtype.kind == "f":
        val = val + val.dtype.type(0)  # -0.0 -> +0.0: one zero, as numpy compares
    del sel
    is_done = done[li]
    del li
    dseg, dval = sort_pairs(seg[is_done], val[is_done])
    done_ids = a["done_ids"]
    counts = a[f"b{bi}_count"][done].astype(np.int64)
    out = np.empty((done_ids.size, len(plan["qs"]) + 3))
    pos = np.searchsorted(dseg, done_ids[::DONE_GROUP])
    pos = np.append(pos, dseg.size)
    for g, first in enumerate(range(0, done_ids.size, DONE_GROUP)):
        last = min(first + DONE_GROUP, done_ids.size)
        state = OrderState(counts[first:last], plan["qs"], plan["moments"])
        a0, a1 = pos[g], pos[g + 1]
        state.feed((np.searchsorted(done_ids[first:last], dseg[a0:a1])).astype(np.int32),
                   dval[a0:a1].astype(np.float64))
        out[first:last] = state.finish()
    a[f"b{bi}_done"] = out
    del dseg, dval, counts
    cseg, cval = sort_pairs(seg[~is_done], val[~is_done])
    change = np.flatnonzero(cseg[1:] != cseg[:-1]) + 1
    starts = np.concatenate([[0] if cseg.size else [], change, [cseg.size]]).astype(np.int64)
    a[f"b{bi}_seg"], a[f"b{bi}_val"] = cseg, cval
    a[f"b{bi}_pids"] = cseg[starts[:-1]]
    a[f"b{bi}_pstart"] = starts


# -- reduce: partitions of segment IDs ------------------------------------------


class _Combiner:
    """Reads partials (objects or files) and yields column chunks by ID range."""

    def __init__(self, partials, memory_mb, missing_value):
        self.budget = int(v.check_number("memory_mb", memory_mb, 0.0, math.inf,
                                         open_low=True) * 2**20)
        if isinstance(missing_value, bool) or not isinstance(missing_value, numbers.Real):
            raise TypeError(f"missing_value must be a number, got {missing_value!r}")
        self.missing = missing_value
        if isinstance(partials, (str, os.PathLike, StatsPartial)):
            partials = [partials]
        self.sources = [PartialReader(p.arrays if isinstance(p, StatsPartial) else p)
                        for p in partials]
        if not self.sources:
            raise ValueError("partials: empty list")
        metas = [p.meta if isinstance(p, StatsPartial) else None for p in partials]
        self.metas = [m if m is not None else s.meta() for m, s in zip(metas, self.sources,
                                                                         strict=True)]
        self.labels = [str(p) if not isinstance(p, StatsPartial) else f"partial {i}"
                       for i, p in enumerate(partials)]
        self._check()
        self.spec = _Spec.from_json(self.metas[0]["spec"])
        self.plans = self.spec.plans()
        self.num_rows = max(self.spec.rat_rows,
                            1 + max(m["max_id"] for m in self.metas), 1)
        self.names = self.spec.column_names()

    def _check(self):
        first = self.metas[0]
        for meta, label in zip(self.metas, self.labels, strict=True):
            if meta.get("format") != FORMAT_VERSION:
                raise ValueError(f"partials: {label} has format {meta.get('format')}, "
                                 f"expected {FORMAT_VERSION}")
            if meta["spec"] != first["spec"]:
                diff = sorted(key for key in first["spec"]
                              if first["spec"][key] != meta["spec"].get(key))
                raise ValueError(f"partials: {self.labels[0]} and {label} differ in "
                                 f"{', '.join(diff)}")
        wins = np.array([m["window"] for m in self.metas], np.int64)
        r0, c0 = wins[:, 0], wins[:, 1]
        r1, c1 = r0 + wins[:, 2], c0 + wins[:, 3]
        for i in range(len(wins)):
            hit = (r0[i + 1:] < r1[i]) & (r0[i] < r1[i + 1:]) \
                & (c0[i + 1:] < c1[i]) & (c0[i] < c1[i + 1:])
            if hit.any():
                j = i + 1 + int(np.argmax(hit))
                raise ValueError(f"partials: windows of {self.labels[i]} {tuple(wins[i])} "
                                 f"and {self.labels[j]} {tuple(wins[j])} overlap")

    def _width(self):
        npct = max([len(p["qs"]) for p in self.plans] + [0])
        per_id = 8 * (12 + len(self.plans) * (10 + 4 * npct + 8) + len(self.names)) * 3
        return max(256, self.budget // 2 // per_id)

    def chunks(self):
        """Yield (start, {column: (rows,) array}) for consecutive ID ranges."""
        width = self._width()
        bounds = np.array(list(range(0, self.num_rows, width)) + [self.num_rows], np.int64)
        offsets = []
        for src in self.sources:
            off = {"ids": np.searchsorted(src.read("ids"), bounds),
                   "done": np.searchsorted(src.read("done_ids"), bounds)}
            for bi, plan in enumerate(self.plans):
                if plan["pairs"]:
                    pids = src.read(f"b{bi}_pids")
                    pstart = src.read(f"b{bi}_pstart")
                    off[bi] = pstart[np.searchsorted(pids, bounds)]
            offsets.append(off)
        for p in range(len(bounds) - 1):
            yield int(bounds[p]), self._partition(int(bounds[p]), int(bounds[p + 1]), p,
                                                  offsets)

    def _partition(self, lo, hi, p, offsets):
        size = hi - lo
        sp = {n: np.zeros(size, np.int64) for n in ("npix", "sum_row", "sum_col", "edges")}
        sp["row_min"], sp["col_min"] = np.full(size, _I64_MAX), np.full(size, _I64_MAX)
        sp["row_max"], sp["col_max"] = np.full(size, -1, np.int64), np.full(size, -1, np.int64)
        nb = len(self.plans)
        cnt = [np.zeros(size, np.int64) for _ in range(nb)]
        vmin = [np.full(size, np.inf) for _ in range(nb)]
        vmax = [np.full(size, -np.inf) for _ in range(nb)]
        sums = [(np.zeros(size, np.int64), np.zeros(size, np.uint64), np.zeros(size, np.uint64))
                if plan["exact"] else None for plan in self.plans]
        for src, off in zip(self.sources, offsets, strict=True):
            a, b = int(off["ids"][p]), int(off["ids"][p + 1])
            if a == b:
                continue
            ids = src.read("ids", a, b)
            part = [src.read(n, a, b) for n in ("npix", "sum_row", "sum_col", "row_min",
                                                "row_max", "col_min", "col_max", "edges")]
            k.merge_spatial(ids, lo, *part, sp["npix"], sp["sum_row"], sp["sum_col"],
                            sp["row_min"], sp["row_max"], sp["col_min"], sp["col_max"],
                            sp["edges"])
            for bi in range(nb):
                k.merge_minmax(ids, lo, src.read(f"b{bi}_count", a, b),
                               src.read(f"b{bi}_min", a, b), src.read(f"b{bi}_max", a, b),
                               cnt[bi], vmin[bi], vmax[bi])
                if sums[bi] is not None:
                    with np.errstate(over="ignore"):
                        k.merge_int_sums(ids, lo, src.read(f"b{bi}_s1", a, b),
                                         src.read(f"b{bi}_s2hi", a, b),
                                         src.read(f"b{bi}_s2lo", a, b), *sums[bi])
        order = [self._order(lo, size, p, offsets, bi, cnt[bi], sp["npix"])
                 if plan["pairs"] else None for bi, plan in enumerate(self.plans)]
        return self._columns(lo, size, sp, cnt, vmin, vmax, sums, order)

    def _order(self, lo, size, p, offsets, bi, cnt, npix):
        """(size, P + 3) order results of band ``bi`` for IDs lo..lo+size-1."""
        plan = self.plans[bi]
        done_slot = np.zeros(size, bool)
        done_rows = []
        for src, off, label in zip(self.sources, offsets, self.labels, strict=True):
            a, b = int(off["done"][p]), int(off["done"][p + 1])
            if a == b:
                continue
            slots = src.read("done_ids", a, b).astype(np.int64) - lo
            if done_slot[slots].any() or np.any(src.read("done_npix", a, b) != npix[slots]):
                seg = lo + int(slots[0])
                raise ValueError(f"partials: {label} finalised segment {seg} but other "
                                 "partials hold pixels of it (overlapping windows or a "
                                 "wrong Histogram column)")
            done_slot[slots] = True
            done_rows.append((slots, src.read(f"b{bi}_done", a, b)))
        n = np.where(done_slot, 0, cnt)
        state = OrderState(n, plan["qs"], plan["moments"])
        readers = [(src, f"b{bi}_seg", f"b{bi}_val", int(off[bi][p]), int(off[bi][p + 1]))
                   for src, off in zip(self.sources, offsets, strict=True)
                   if off[bi][p + 1] > off[bi][p]]
        pairs = max(1, self.budget // 2 // BYTES_PER_PAIR)
        for seg, val in merged_pairs(readers, pairs):
            state.feed((seg.astype(np.int64) - lo).astype(np.int32), val.astype(np.float64))
        if np.any(state.seen != n):
            seg = lo + int(np.argmax(state.seen != n))
            raise ValueError(f"partials: values of segment {seg} are incomplete or repeated "
                             "(missing or overlapping windows?)")
        out = state.finish()
        for slots, rows in done_rows:
            out[slots] = rows
        return out

    def _columns(self, lo, size, sp, cnt, vmin, vmax, sums, order):
        spec, miss = self.spec, self.missing
        gt = spec.geotransform
        npix = sp["npix"]
        has = npix > 0
        cols = {}
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_r = sp["sum_row"] / npix + 0.5
            mean_c = sp["sum_col"] / npix + 0.5
        r0, r1 = sp["row_min"], sp["row_max"] + 1
        c0, c1 = sp["col_min"], sp["col_max"] + 1
        cx = [gt[0] + c * gt[1] + r * gt[2] for c, r in ((c0, r0), (c1, r0), (c0, r1), (c1, r1))]
        cy = [gt[3] + c * gt[4] + r * gt[5] for c, r in ((c0, r0), (c1, r0), (c0, r1), (c1, r1))]
        int_miss = float(miss).is_integer()
        values = {
            "pixel_count": lambda: npix.copy(),
            "edge_pixels": lambda: sp["edges"].copy(),
            "area": lambda: npix * abs(gt[1] * gt[5] - gt[2] * gt[4]),
            "centroid_x": lambda: gt[0] + mean_c * gt[1] + mean_r * gt[2],
            "centroid_y": lambda: gt[3] + mean_c * gt[4] + mean_r * gt[5],
            "bbox_xmin": lambda: np.minimum.reduce(cx), "bbox_xmax": lambda: np.maximum.reduce(cx),
            "bbox_ymin": lambda: np.minimum.reduce(cy), "bbox_ymax": lambda: np.maximum.reduce(cy),
            "bbox_row0": lambda: r0, "bbox_row1": lambda: r1,
            "bbox_col0": lambda: c0, "bbox_col1": lambda: c1,
        }
        for name in spec.spatial:
            col = values[name]()
            if name in _COUNT_COLUMNS:
                cols[name] = col
            elif name in _INT_COLUMNS and int_miss:
                cols[name] = np.where(has, col, np.int64(miss))
            else:
                cols[name] = np.where(has, col, np.float64(miss)).astype(np.float64)
        for bi, (band, plan) in enumerate(zip(spec.bands, self.plans, strict=True)):
            n = cnt[bi]
            npct = len(plan["qs"])
            res = order[bi]
            if plan["exact"]:
                mean, std = _exact_moments(n, *sums[bi])
            elif res is not None:
                mean, std = res[:, npct + 1], res[:, npct + 2]
            for token, kind, q in spec.stats:
                name = spec.band_column(band, token)
                if kind == "count":
                    cols[name] = n.copy()
                    continue
                if kind in ("min", "max"):
                    col = vmin[bi] if kind == "min" else vmax[bi]
                elif kind in ("mean", "stddev"):
                    col = mean if kind == "mean" else std
                elif kind == "mode":
                    col = res[:, npct]
                else:  # median, percentiles
                    col = res[:, plan["qs"].index(q)]
                cols[name] = np.where(n > 0, col, np.float64(miss)).astype(np.float64)
        return cols


def _exact_moments(n, s1, s2hi, s2lo):
    """Mean (correctly rounded) and population stddev from exact integer sums."""
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1.astype(np.float64) / n
    big = np.flatnonzero((np.abs(s1) >= 2**53) & (n > 0))
    for j in big:
        mean[j] = int(s1[j]) / int(n[j])
    var = np.full(n.size, np.nan)
    with np.errstate(over="ignore"):  # 128-bit arithmetic wraps on purpose
        k.int_variance(n, s1, s2hi, s2lo, var)
    return mean, np.sqrt(var)


def iter_column_chunks(partials, *, memory_mb=512, missing_value=-9999):
    """Combine partials into columns, one segment-ID range at a time.

    Parameters
    ----------
    partials : iterable of StatsPartial or str
        In-memory partials or paths of saved ones, from non-overlapping
        windows of the same segment raster with the same settings.
    memory_mb : float
        Working-memory budget of the combination.
    missing_value : float
        Value of a statistic for a segment without valid pixels.

    Yields
    ------
    start : int
        First segment ID of the chunk.
    columns : dict of str to (rows,) ndarray
        Rows start..start+rows-1 of each column (see :func:`segment_statistics`).
    """
    return _Combiner(list(partials), memory_mb, missing_value).chunks()


def combine_partials(partials, *, memory_mb=512, missing_value=-9999):
    """Combine partials into whole columns (the reduce step).

    Parameters
    ----------
    partials : iterable of StatsPartial or str
        As :func:`iter_column_chunks`.
    memory_mb, missing_value
        As :func:`iter_column_chunks`.

    Returns
    -------
    columns : dict of str to (N + 1,) ndarray
        Row i = segment i, row 0 = null; see :func:`segment_statistics`.

    Raises
    ------
    ValueError
        Partials with different settings or overlapping windows, or whose
        pixels disagree with the segment raster's Histogram column.
    """
    comb = _Combiner(list(partials), memory_mb, missing_value)
    out = None
    for start, chunk in comb.chunks():
        if out is None:
            out = {n: np.empty(comb.num_rows, c.dtype) for n, c in chunk.items()}
        for n, c in chunk.items():
            out[n][start:start + len(c)] = c
    return out


# -- whole computations ----------------------------------------------------------


def _plan(spec, segments_path, memory_mb, window):
    npct = max([len(p["qs"]) for p in spec.plans()] + [0])
    return plan_windows(segments_path, memory_mb, window, bands=len(spec.bands),
                        percentiles=npct)


def _partials_to_files(spec, segments_path, image_path, windows, folder):
    paths = []
    for i, win in enumerate(windows):
        path = os.path.join(folder, f"partial{i:06d}.npz")
        _partial(spec, segments_path, image_path, win).save(path)
        paths.append(path)
    return paths


def segment_statistics(segments_path, image_path=None, *, bands=None,
                       statistics=DEFAULT_STATISTICS, spatial=(), nodata=None,
                       missing_value=-9999, memory_mb=512, window=None,
                       column_template="B{band}_{stat}", tmp_dir=None):
    """Per-segment statistics of image bands and of the segments' shapes.

    Parameters
    ----------
    segments_path : str
        Segment raster (one unsigned-integer band, 0 = null, IDs 1..N, RAT
        with a ``Histogram`` PixelCount column as shepcore writes it).
    image_path : str or None
        Image on exactly the same grid (size, geotransform, CRS). Only
        needed for band statistics.
    bands : list of int or None
        1-based image bands; None = all.
    statistics : sequence of str
        Per band: 'count' (valid pixels), 'min', 'max', 'mean', 'stddev'
        (population, ddof=0), 'median' (= 'p50'), 'mode' (most frequent
        value, the smallest on ties), and percentiles 'pNN' for any NN in
        0..100 (e.g. 'p90', 'p2.5').
    spatial : sequence of str
        Any of :data:`SPATIAL`, or 'centroid' / 'bbox' for their columns.
    nodata : float or None
        Null value of every band; None = each band's own nodata value. NaN
        and +-inf pixels are always null.
    missing_value : float
        Value of a statistic for a segment with no valid pixel (and row 0);
        counts are 0 instead.
    memory_mb : float
        Working-memory budget (see Notes).
    window : Window or (row, col, rows, cols) or None
        Only use these pixels; None = the whole raster.
    column_template : str
        Name of band columns, formatted with ``band`` and ``stat`` (the
        statistic as given): default 'B{band}_{stat}', e.g. 'B3_p90'.
    tmp_dir : str or None
        Folder for the temporary partial files (default: the system's).

    Returns
    -------
    columns : dict of str to (N + 1,) ndarray
        Row i = segment i, row 0 = null, N = the RAT row count - 1 (or the
        largest ID). Spatial columns first, then band columns. dtypes:
        int64 for counts and pixel bounding boxes, float64 otherwise.

    Raises
    ------
    ValueError
        Grids differ (one line naming both files), band out of range,
        unknown statistic, percentile outside 0..100, bad window.
    TypeError
        Statistic names that are not strings, 64-bit integer images.

    Notes
    -----
    Band statistics use the pixels of the segment where the band is not
    null. Values are converted to float64. Percentile q is numpy's
    default 'linear' method (Hyndman & Fan type 7) on those float64 values:
    bit for bit ``np.percentile(values.astype(np.float64), q)``. (numpy on
    the integer array itself can overflow in the interpolation, e.g. for
    int16.) The mean of integer images is the exact sum divided by the
    count, correctly rounded (equal to ``np.mean`` of the float64 values);
    the variance is formed from exact integer sums. For float images the
    mean is a compensated sum and the variance Welford's, both taken in
    ascending value order, so they do not depend on the windows either.

    Spatial: ``pixel_count`` and ``area`` (pixel count x pixel area, map
    units); ``centroid_x/_y``: mean of the pixel centres in map
    coordinates; ``bbox_row0/col0/row1/col1``: pixel bounding box, row1
    and col1 exclusive (``labels[row0:row1, col0:col1]``), raster pixel
    coordinates; ``bbox_xmin/ymin/xmax/ymax``: its outer corners in map
    coordinates; ``edge_pixels``: pixels with a 4-neighbour of another
    segment or null. The raster's outer border does not make a pixel an
    edge pixel (outside the raster is unknown, not null); a ``window``
    border does not either (neighbours outside it are read).

    Memory: windows of the segment raster are processed one at a time
    (:func:`plan_windows`), then segment-ID ranges are combined one at a
    time; both stay within about ``memory_mb`` whatever the raster size and
    segment count. The returned columns (8 bytes per segment each) and
    GDAL's block cache (``GDAL_CACHEMAX``) are outside the budget; use
    :func:`write_segment_statistics` to stream the columns to a file.

    Examples
    --------
    >>> cols = segment_statistics("segs.img", "image.tif", bands=[3],
    ...                           statistics=["mean", "p90"])  # doctest: +SKIP
    >>> sorted(cols)  # doctest: +SKIP
    ['B3_mean', 'B3_p90']
    """
    spec = _make_spec(segments_path, image_path, bands, statistics, spatial, nodata,
                      column_template)
    windows = _plan(spec, segments_path, memory_mb, window)
    if len(windows) == 1:
        return combine_partials([_partial(spec, segments_path, image_path, windows[0])],
                                memory_mb=memory_mb, missing_value=missing_value)
    with tempfile.TemporaryDirectory(prefix="shepcore-stats-", dir=tmp_dir) as folder:
        paths = _partials_to_files(spec, segments_path, image_path, windows, folder)
        return combine_partials(paths, memory_mb=memory_mb, missing_value=missing_value)


def write_segment_statistics(segments_path, image_path, out_path, *, bands=None,
                             statistics=DEFAULT_STATISTICS, spatial=(), nodata=None,
                             missing_value=-9999, memory_mb=512, window=None,
                             column_template="B{band}_{stat}", tmp_dir=None, fmt=None):
    """Compute :func:`segment_statistics` and write them as RAT columns of a
    new copy of the segment raster (:func:`shepcore.io.add_rat_columns`),
    streaming the columns range by range so that they are never all in
    memory (HFA output; GTiff keeps its RAT in memory).

    Parameters are those of :func:`segment_statistics`, plus ``out_path``
    (the new raster) and ``fmt`` ('HFA' or 'GTiff', default from the
    extension). Returns ``out_path``.
    """
    spec = _make_spec(segments_path, image_path, bands, statistics, spatial, nodata,
                      column_template)
    windows = _plan(spec, segments_path, memory_mb, window)
    with tempfile.TemporaryDirectory(prefix="shepcore-stats-", dir=tmp_dir) as folder:
        paths = _partials_to_files(spec, segments_path, image_path, windows, folder)
        chunks = iter_column_chunks(paths, memory_mb=memory_mb, missing_value=missing_value)
        if spec.rows * spec.cols >= 2**31:  # counts may not fit a 32-bit RAT column
            counts = set(_COUNT_COLUMNS) | {spec.band_column(b, "count") for b in spec.bands}
            chunks = ((s, {n: c.astype(np.float64) if n in counts else c
                           for n, c in ch.items()}) for s, ch in chunks)
        return io.add_rat_columns(segments_path, chunks, out_path, fmt=fmt)
