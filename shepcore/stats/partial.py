"""The map step: per-segment partial statistics of one window, and the
windows that keep each within a memory budget."""

import math
from dataclasses import dataclass

import numpy as np

from .. import _validate as v
from .._kernels import segstats as k
from ..nulls import valid_values
from ..raster import rat, read
from ..raster.windows import Window, check_window
from .order import OrderState, sort_pairs
from .spec import DEFAULT_STATISTICS, make_spec
from .store import PartialReader, save_partial

#: Working bytes per window pixel assumed by :func:`stats_windows`, plus
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
_I32_MAX = np.iinfo(np.int32).max


def stats_windows(segments_path, memory_mb=512, window=None, *, bands=1, percentiles=2):
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
    info = read.raster_info(segments_path)
    _, (block_rows, _) = read.band_details(segments_path, segments=True)
    region = check_window(window, info.rows, info.cols, segments_path)
    rat_rows, _ = rat.rat_columns(segments_path)
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
            out.append(Window(region.row + r, region.col, min(strip, region.rows - r),
                                 region.cols))
    else:
        for r in range(region.rows):
            for c in range(0, region.cols, pixels):
                out.append(Window(region.row + r, region.col + c, 1,
                                     min(pixels, region.cols - c)))
    return out



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
        return save_partial(path, self.meta, self.arrays)


def load_partial(path):
    """Read a partial saved with :meth:`StatsPartial.save` into memory."""
    reader = PartialReader(path)
    meta = reader.meta()
    return StatsPartial(meta, {n: reader.read(n) for n in reader.names() if n != "meta"})


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
                     column_template)
    win = check_window(window, spec.rows, spec.cols, segments_path)
    return partial_in_window(spec, segments_path, image_path, win)


def partial_in_window(spec, segments_path, image_path, win):
    """The partial of window ``win`` (a checked Window) for ``spec``."""
    r0, c0 = max(0, win.row - 1), max(0, win.col - 1)
    r1 = min(spec.rows, win.row + win.rows + 1)
    c1 = min(spec.cols, win.col + win.cols + 1)
    padded = read.read_raster(segments_path, window=(r0, c0, r1 - r0, c1 - c0))[0][0]
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
    for bi, (band, needs) in enumerate(zip(spec.bands, spec.band_needs(), strict=True)):
        img = read.read_raster(image_path, bands=[band], window=win)[0][0]
        valid = valid_values(img, spec.nodata[bi])
        count = np.zeros(n, np.int32)
        vmin, vmax = np.full(n, np.inf), np.full(n, -np.inf)
        k.band_minmax(local, img, valid, count, vmin, vmax)
        a[f"b{bi}_count"], a[f"b{bi}_min"], a[f"b{bi}_max"] = count, vmin, vmax
        if needs["exact"]:
            s1, hi, lo = np.zeros(n, np.int64), np.zeros(n, np.uint64), np.zeros(n, np.uint64)
            with np.errstate(over="ignore"):  # 128-bit carries (pure-Python mode)
                k.int_sums(local, img, valid, s1, hi, lo)
            a[f"b{bi}_s1"], a[f"b{bi}_s2hi"], a[f"b{bi}_s2lo"] = s1, hi, lo
        if needs["pairs"]:
            _partial_pairs(a, bi, needs, core, local, img, valid, done)
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
    hist = rat.read_rat_rows(segments_path, spec.hist_column, ids[known]).astype(np.int64)
    over = npix[known] > hist
    if over.any():
        seg = int(ids[known][np.argmax(over)])
        raise ValueError(f"{segments_path}: RAT column {spec.hist_column} counts fewer pixels "
                         f"than the raster holds for segment {seg}")
    done[known] = npix[known] == hist
    return done


def _partial_pairs(a, bi, needs, core, local, img, valid, done):
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
    out = np.empty((done_ids.size, len(needs["qs"]) + 3))
    pos = np.searchsorted(dseg, done_ids[::DONE_GROUP])
    pos = np.append(pos, dseg.size)
    for g, first in enumerate(range(0, done_ids.size, DONE_GROUP)):
        last = min(first + DONE_GROUP, done_ids.size)
        state = OrderState(counts[first:last], needs["qs"], needs["moments"])
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
