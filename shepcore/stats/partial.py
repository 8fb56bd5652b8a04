"""The map step: per-segment partial statistics of one window, and the
windows that keep each within a memory budget."""

import contextlib
import math
import os
import time
from dataclasses import dataclass

import numpy as np

from .. import _validate as v
from .._kernels import segstats as k
from .._kernels import segwindow as w
from ..nulls import valid_values
from ..raster import rat, read
from ..raster.windows import Window, check_window
from .spec import DEFAULT_STATISTICS, make_spec
from .store import PartialReader, save_partial

#: Working bytes per window pixel assumed by :func:`stats_windows`: labels
#: (with halo), slots and the ordering scratch, plus per band
#: :data:`BYTES_PER_PIXEL_BAND` and twice the value size (the band itself
#: and, at worst, every value carried as an entry); plus per segment
#: expected in the window :data:`BYTES_PER_SEGMENT` and
#: :data:`BYTES_PER_SEGMENT_BAND` per band (+ 8 per percentile).
BYTES_PER_PIXEL = 24
BYTES_PER_PIXEL_BAND = 10
BYTES_PER_SEGMENT = 170
BYTES_PER_SEGMENT_BAND = 68
#: Working bytes per carried (segment, value) pair while combining.
BYTES_PER_PAIR = 48
#: A window's IDs are found with a table over their range when the range
#: is at most this many times the window's pixels (plus 65536), else by a sort.
ID_TABLE_PER_PIXEL = 4
#: Version of the partial format; partials of another version are refused.
#: 2: integer bands carry histogram entries (``b{i}_cnt``).
FORMAT_VERSION = 2
_I32_MAX = np.iinfo(np.int32).max


def stats_windows(segments_path, memory_mb=512, window=None, *, bands=1, percentiles=2,
                  itemsize=8):
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
    itemsize : int
        Bytes per image value (largest of the bands).

    Returns
    -------
    list of Window

    Notes
    -----
    A window costs about :data:`BYTES_PER_PIXEL` per pixel, per band
    :data:`BYTES_PER_PIXEL_BAND` + 2 ``itemsize`` per pixel, plus, per
    segment in it, :data:`BYTES_PER_SEGMENT` and per band
    :data:`BYTES_PER_SEGMENT_BAND` + 8 per percentile. The segments per
    pixel are taken as twice the raster's mean (RAT rows / pixels), at
    most 1; without a RAT, 1.
    """
    memory_mb = v.check_number("memory_mb", memory_mb, 0.0, math.inf, open_low=True)
    info = read.raster_info(segments_path)
    _, (block_rows, _) = read.band_details(segments_path, segments=True)
    region = check_window(window, info.rows, info.cols, segments_path)
    rat_rows, _ = rat.rat_columns(segments_path)
    density = min(1.0, 2.0 * rat_rows / (info.rows * info.cols)) if rat_rows else 1.0
    per_pixel = BYTES_PER_PIXEL + bands * (BYTES_PER_PIXEL_BAND + 2 * itemsize) + density * (
        BYTES_PER_SEGMENT + bands * (BYTES_PER_SEGMENT_BAND + 8 * percentiles))
    pixels = max(1, int(memory_mb * 2**20 / per_pixel))
    out = []
    if region.cols <= pixels:
        strip = max(1, pixels // region.cols)
        if strip >= block_rows:
            strip = strip // block_rows * block_rows
        for r in range(0, region.rows, strip):
            out.append(Window(region.row + r, region.col, min(strip, region.rows - r),
                                 region.cols))
    else:
        for r in range(region.rows):
            for c in range(0, region.cols, pixels):
                out.append(Window(region.row + r, region.col + c, 1,
                                     min(pixels, region.cols - c)))
    return out



def spec_windows(spec, segments_path, memory_mb, window):
    """:func:`stats_windows` for the bands and statistics of ``spec``."""
    npct = max([len(n["qs"]) + n["mode"] for n in spec.band_needs()] + [0])
    itemsize = max([np.dtype(dt).itemsize for dt in spec.dtypes] + [1])
    return stats_windows(segments_path, memory_mb, window, bands=len(spec.bands),
                         percentiles=npct, itemsize=itemsize)


def write_partials(segments_path, image_path, folder, *, window=None, memory_mb=512,
                   bands=None, statistics=DEFAULT_STATISTICS, spatial=(), nodata=None,
                   column_template="B{band}_{stat}", prefix="part_", progress=None,
                   _histograms=True):
    """The map step over a region: partials of the windows of
    :func:`stats_windows` covering ``window`` (None = the whole raster),
    one at a time, saved as ``folder/{prefix}NNNNNN.npz``.

    Parameters are those of :func:`partial_statistics` (validated once for
    all windows), plus the working-memory budget ``memory_mb`` and the
    output ``folder`` (created if missing), and ``progress``: None or
    ``progress(i, n, window, seconds)`` called after each window. Returns
    the paths written.
    """
    spec = make_spec(segments_path, image_path, bands, statistics, spatial, nodata,
                     column_template, _histograms)
    windows = spec_windows(spec, segments_path, memory_mb, window)
    return save_window_partials(spec, segments_path, image_path, windows, folder, prefix,
                                progress)


def save_window_partials(spec, segments_path, image_path, windows, folder, prefix="part_",
                         progress=None):
    """The partial of each window (checked Windows) saved as
    ``folder/{prefix}NNNNNN.npz``, one at a time; returns the paths.
    ``progress(i, n, window, seconds)`` is called after each, if given."""
    os.makedirs(folder, exist_ok=True)
    paths = []
    with contextlib.ExitStack() as stack:
        stack.enter_context(read.strip_cache([segments_path, image_path],
                                             max([w.cols for w in windows] + [1])))
        readers = [stack.enter_context(read.WindowReader(p)) if p is not None else None
                   for p in (segments_path, image_path)]
        for i, win in enumerate(windows):
            start = time.perf_counter()
            path = os.path.join(folder, f"{prefix}{i:06d}.npz")
            partial_in_window(spec, segments_path, image_path, win, readers).save(path)
            paths.append(path)
            if progress is not None:
                progress(i, len(windows), win, time.perf_counter() - start)
    return paths


@dataclass
class StatsPartial:
    """Per-window partial result of :func:`partial_statistics`.

    Attributes
    ----------
    meta : dict
        JSON-able: format version, settings, window, segment and image paths.
    arrays : dict of str to ndarray
        Rows keyed by segment ID (``ids``, sorted), finalised order
        statistics (``done_ids``) and, per band, the carried values of the
        other segments: (segment, value, count) histogram entries (integer
        bands) or sorted (segment, value) pairs.

    Picklable; :meth:`save` writes an ``.npz`` file that
    :func:`combine_partials` reads range by range.
    """

    meta: dict
    arrays: dict

    def save(self, path):
        """Write to ``path`` (an uncompressed .npz, atomically); returns path."""
        return save_partial(path, self.meta, self.arrays)


def load_partial(path):
    """Read a partial saved with :meth:`StatsPartial.save` into memory."""
    reader = PartialReader(path)
    meta = reader.meta()
    return StatsPartial(meta, {n: reader.read(n) for n in reader.names() if n != "meta"})


def partial_statistics(segments_path, image_path=None, window=None, *, bands=None,
                       statistics=DEFAULT_STATISTICS, spatial=(), nodata=None,
                       column_template="B{band}_{stat}", _histograms=True):
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
        to be combined must not overlap (e.g. from :func:`stats_windows`).
    bands, statistics, spatial, nodata, column_template
        As in :func:`segment_statistics`; the same for every partial.

    Returns
    -------
    StatsPartial
        Its working memory is what :func:`stats_windows` budgets for.

    Raises
    ------
    ValueError, TypeError
        As :func:`segment_statistics`; a window outside the raster.
    """
    spec = make_spec(segments_path, image_path, bands, statistics, spatial, nodata,
                     column_template, _histograms)
    win = check_window(window, spec.rows, spec.cols, segments_path)
    return partial_in_window(spec, segments_path, image_path, win)


def partial_in_window(spec, segments_path, image_path, win, readers=None):
    """The partial of window ``win`` (a checked Window) for ``spec``: the
    segment window (with a one-pixel halo) and every band of the image
    window are read once each; every statistic of a band comes from one
    aggregate pass and one ordering pass over its pixels. ``readers``:
    open (segments, image) :class:`~shepcore.raster.read.WindowReader`,
    to read consecutive windows through one dataset each."""
    if readers is None:
        with contextlib.ExitStack() as stack:
            readers = [stack.enter_context(read.WindowReader(p)) if p is not None else None
                       for p in (segments_path, image_path)]
            return partial_in_window(spec, segments_path, image_path, win, readers)
    r0, c0 = max(0, win.row - 1), max(0, win.col - 1)
    r1 = min(spec.rows, win.row + win.rows + 1)
    c1 = min(spec.cols, win.col + win.cols + 1)
    padded = readers[0].read(window=(r0, c0, r1 - r0, c1 - c0))[0]
    padded = np.ascontiguousarray(padded, np.uint32)
    r_off, c_off = win.row - r0, win.col - c0
    core = padded[r_off:r_off + win.rows, c_off:c_off + win.cols]
    ids, local = _window_ids(core)
    n = ids.size
    a = {"ids": ids}  # per-window counts and pixel positions fit 32 bits
    a["npix"], a["edges"] = np.zeros(n, np.int32), np.zeros(n, np.int32)
    a["sum_row"], a["sum_col"] = np.zeros(n, np.int64), np.zeros(n, np.int64)
    a["row_min"], a["col_min"] = np.full(n, _I32_MAX, np.int32), np.full(n, _I32_MAX, np.int32)
    a["row_max"], a["col_max"] = np.full(n, -1, np.int32), np.full(n, -1, np.int32)
    k.spatial_sums(padded, r_off, c_off, local, win.row, win.col, a["npix"], a["sum_row"],
                   a["sum_col"], a["row_min"], a["row_max"], a["col_min"], a["col_max"],
                   a["edges"])
    del padded, core
    done = _complete(spec, segments_path, ids, a["npix"])
    a["done_ids"], a["done_npix"] = ids[done], a["npix"][done]
    done_row = np.where(done, np.cumsum(done) - 1, -1).astype(np.int64)
    images = _read_bands(spec, readers[1], win)
    for bi, needs in enumerate(spec.band_needs()):
        img = images.pop(bi)
        valid = valid_values(img, spec.nodata[bi])
        count = np.zeros(n, np.int32)
        vmin, vmax = np.full(n, np.inf), np.full(n, -np.inf)
        size = n if needs["exact"] else 0
        s1, hi, lo = np.zeros(size, np.int64), np.zeros(size, np.uint64), np.zeros(size, np.uint64)
        with np.errstate(over="ignore"):  # 128-bit carries (pure-Python mode)
            w.band_aggregates(local, img, valid, count, vmin, vmax, s1, hi, lo, needs["exact"])
        a[f"b{bi}_count"], a[f"b{bi}_min"], a[f"b{bi}_max"] = count, vmin, vmax
        if needs["exact"]:
            a[f"b{bi}_s1"], a[f"b{bi}_s2hi"], a[f"b{bi}_s2lo"] = s1, hi, lo
        if needs["pairs"]:
            _band_order(a, bi, needs, ids, local, img, valid, done, done_row)
        del img, valid
    meta = {"format": FORMAT_VERSION, "spec": spec.to_json(), "window": list(win),
            "max_id": int(ids[-1]) if n else 0, "segments": str(segments_path),
            "image": None if image_path is None else str(image_path)}
    return StatsPartial(meta, a)


def _window_ids(core):
    """Sorted nonzero IDs of a label window and its (R, C) int32 slots: a
    table over the window's ID range when that is small, else a sort."""
    local = np.empty(core.shape, np.int32)
    lo, hi = w.label_range(core)
    if hi - lo <= ID_TABLE_PER_PIXEL * core.size + 65536:
        return w.window_ids(core, lo, hi, local), local
    uniq = np.unique(core)
    ids = np.ascontiguousarray(uniq[uniq != 0], np.uint32)
    k.local_index(core, ids, local)
    return ids, local


def _read_bands(spec, reader, win):
    """{band index: (rows, cols) window}: bands of one dtype in one read."""
    if not spec.bands:
        return {}
    groups = {}
    for bi, dt in enumerate(spec.dtypes):
        groups.setdefault(dt, []).append(bi)
    out = {}
    for group in groups.values():
        image = reader.read(bands=[spec.bands[bi] for bi in group], window=win)
        out.update({bi: image[j] for j, bi in enumerate(group)})
    return out


def _complete(spec, segments_path, ids, npix):
    """(K,) bool: segments whose every pixel is in the window (by the RAT's
    pixel counts). Without a PixelCount column none are."""
    done = np.zeros(ids.size, bool)
    if spec.hist_column is None or not ids.size:
        return done
    known = ids < spec.rat_rows
    hist = rat.read_rat_rows(segments_path, spec.hist_column, ids[known]).astype(np.int64)
    over = npix[known] > hist
    if over.any():
        seg = int(ids[known][np.argmax(over)])
        raise ValueError(f"{segments_path}: RAT column {spec.hist_column} counts fewer pixels "
                         f"than the raster holds for segment {seg}")
    done[known] = npix[known] == hist
    return done


def _band_order(a, bi, needs, ids, local, img, valid, done, done_row):
    """Order statistics of the complete segments; the values of the others
    as histogram entries (integer bands) or sorted pairs (exact path)."""
    count, vmin, vmax = a[f"b{bi}_count"], a[f"b{bi}_min"], a[f"b{bi}_max"]
    carried = ~done & (count > 0)
    bound = count[carried].astype(np.int64)
    if needs["hist"]:
        bound = np.minimum(bound, (vmax[carried] - vmin[carried]).astype(np.int64) + 1)
    size = int(bound.sum())
    q = np.true_divide(np.asarray(needs["qs"], np.float64), 100)
    out = np.full((int(done.sum()), len(needs["qs"]) + 3), np.nan)
    seg, val, cnt = np.empty(size, np.uint32), np.empty(size, img.dtype), np.empty(size, np.int32)
    nent = w.band_order(local, ids, img, valid, count, vmin, vmax, done_row, needs["hist"],
                        needs["moments"], q, out, seg, val, cnt)
    a[f"b{bi}_done"] = out
    seg, val, cnt = (x[:nent] if nent == size else x[:nent].copy() for x in (seg, val, cnt))
    change = np.flatnonzero(seg[1:] != seg[:-1]) + 1
    starts = np.concatenate([[0] if nent else [], change, [nent]]).astype(np.int64)
    a[f"b{bi}_seg"], a[f"b{bi}_val"] = seg, val
    if needs["hist"]:
        a[f"b{bi}_cnt"] = cnt
    a[f"b{bi}_pids"] = seg[starts[:-1]]
    a[f"b{bi}_pstart"] = starts
