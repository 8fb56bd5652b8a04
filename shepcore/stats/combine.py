"""The reduce step: partials combined into RAT columns one segment-ID range
at a time, in bounded memory, bit for bit whatever the windows."""

import math
import numbers
import os

import numpy as np

from .. import _validate as v
from .._kernels import segstats as k
from .order import OrderState, merged_entries
from .partial import BYTES_PER_PAIR, FORMAT_VERSION, StatsPartial
from .spec import COUNT_COLUMNS, StatsSpec
from .store import PartialReader

_INT_COLUMNS = ("bbox_row0", "bbox_col0", "bbox_row1", "bbox_col1")
_I64_MAX = np.iinfo(np.int64).max


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
        self.spec = StatsSpec.from_json(self.metas[0]["spec"])
        self.needs = self.spec.band_needs()
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
        npct = max([len(p["qs"]) for p in self.needs] + [0])
        per_id = 8 * (12 + len(self.needs) * (10 + 4 * npct + 8) + len(self.names)) * 3
        return max(256, self.budget // 2 // per_id)

    def chunks(self):
        """Yield (start, {column: (rows,) array}) for consecutive ID ranges."""
        width = self._width()
        bounds = np.array(list(range(0, self.num_rows, width)) + [self.num_rows], np.int64)
        offsets = []
        for src in self.sources:
            off = {"ids": np.searchsorted(src.read("ids"), bounds),
                   "done": np.searchsorted(src.read("done_ids"), bounds)}
            for bi, needs in enumerate(self.needs):
                if needs["pairs"]:
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
        nb = len(self.needs)
        cnt = [np.zeros(size, np.int64) for _ in range(nb)]
        vmin = [np.full(size, np.inf) for _ in range(nb)]
        vmax = [np.full(size, -np.inf) for _ in range(nb)]
        sums = [(np.zeros(size, np.int64), np.zeros(size, np.uint64), np.zeros(size, np.uint64))
                if needs["exact"] else None for needs in self.needs]
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
                 if needs["pairs"] else None for bi, needs in enumerate(self.needs)]
        return self._columns(lo, size, sp, cnt, vmin, vmax, sums, order)

    def _order(self, lo, size, p, offsets, bi, cnt, npix):
        """(size, P + 3) order results of band ``bi`` for IDs lo..lo+size-1."""
        needs = self.needs[bi]
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
        state = OrderState(n, needs["qs"], needs["moments"])
        names = (f"b{bi}_seg", f"b{bi}_val") + ((f"b{bi}_cnt",) if needs["hist"] else ())
        readers = [(src, names, int(off[bi][p]), int(off[bi][p + 1]))
                   for src, off in zip(self.sources, offsets, strict=True)
                   if off[bi][p + 1] > off[bi][p]]
        pairs = max(1, self.budget // 2 // BYTES_PER_PAIR)
        for entries in merged_entries(readers, pairs):
            idx = (entries[0].astype(np.int64) - lo).astype(np.int32)
            if needs["hist"]:
                state.feed_counts(idx, entries[1].astype(np.float64),
                                  entries[2].astype(np.int64))
            else:
                state.feed(idx, entries[1].astype(np.float64))
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
            if name in COUNT_COLUMNS:
                cols[name] = col
            elif name in _INT_COLUMNS and int_miss:
                cols[name] = np.where(has, col, np.int64(miss))
            else:
                cols[name] = np.where(has, col, np.float64(miss)).astype(np.float64)
        for bi, (band, needs) in enumerate(zip(spec.bands, self.needs, strict=True)):
            n = cnt[bi]
            npct = len(needs["qs"])
            res = order[bi]
            if needs["exact"]:
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
                    col = res[:, needs["qs"].index(q)]
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


class ColumnChunks:
    """Iterator of ``(start, {column: (rows,) array})`` over consecutive
    segment-ID ranges (see :func:`iter_column_chunks`), with the total row
    count ``num_rows`` (N + 1) and the column ``names`` known up front."""

    def __init__(self, combiner, for_rat=False):
        self.num_rows, self.names = combiner.num_rows, list(combiner.names)
        chunks = combiner.chunks()
        spec = combiner.spec
        if for_rat and spec.rows * spec.cols >= 2**31:  # counts may pass 32 bits
            counts = set(COUNT_COLUMNS) | {spec.band_column(b, "count") for b in spec.bands}
            chunks = ((s, {n: c.astype(np.float64) if n in counts else c
                           for n, c in ch.items()}) for s, ch in chunks)
        self._chunks = chunks

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._chunks)


def iter_column_chunks(partials, *, memory_mb=512, missing_value=-9999, for_rat=False):
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
    for_rat : bool
        Count columns as float64 when the raster has 2**31 pixels or more,
        so that streamed 32-bit RAT Integer columns never have to hold them.

    Returns
    -------
    ColumnChunks
        Yields ``(start, columns)``: the first segment ID of the chunk and
        rows start..start+rows-1 of each column (see
        :func:`segment_statistics`); ``num_rows`` is the total row count.
    """
    return ColumnChunks(_Combiner(list(partials), memory_mb, missing_value), for_rat)


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
