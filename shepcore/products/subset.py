"""Cut a part out of a segment raster, renumbering its segments 1..M: a
pixel window, a box in map units, or the segments under a mask."""

import numpy as np

from ..raster.copy import copy_segment_raster
from ..raster.grid import check_same_grid
from ..raster.rat import RatColumn, rat_column_type, rat_columns, read_rat_rows
from ..raster.read import raster_info, read_raster, segment_strips
from ..raster.windows import bounds_window
from ..raster.write import overview_levels


def window_segment_ids(path, window):
    """Sorted unique nonzero segment IDs inside ``window`` of a segment
    raster, read in strips. Returns (M,) uint32."""
    ids = np.zeros(0, np.uint32)
    for _, strip in segment_strips(path, window):
        ids = np.union1d(ids, np.unique(strip).astype(np.uint32))
    return ids[ids != 0]


def subset_segments(in_path, window, out_path, *, id_column="original_id", fmt=None,
                    keep=None):
    """Write a window of a segment raster as a new segment raster.

    Segments inside the window are renumbered 1..M with no gaps, in
    ascending order of their original IDs; 0 stays null. The new RAT has a
    ``Histogram`` column (pixel counts inside the window), every other
    column of the input's RAT for those segments (row 0 from the input's
    row 0), and ``id_column`` holding each segment's original ID (0 for
    row 0). Carried values describe the whole original segment, also for
    segments the window cuts.

    Parameters
    ----------
    in_path : str
        Segment raster (one unsigned-integer band).
    window : Window or (row, col, rows, cols)
        Pixel window inside the raster.
    out_path : str
        New raster (HFA .img or GTiff .tif by extension, or ``fmt``);
        written atomically; the input is not modified.
    id_column : str
        Name of the original-ID column; must not exist in the input's RAT.
    fmt : str, optional
        'HFA', 'GTiff' or 'COG'.
    keep : (K,) array of int, optional
        Only these segments; the window's other pixels become null (0).

    Returns
    -------
    num_segments : int
        M.

    Raises
    ------
    ValueError
        Window outside the raster, or ``id_column`` already in the RAT
        (one line naming the file).

    Examples
    --------
    >>> subset_segments("segs.img", (100, 200, 512, 512), "sub.img")  # doctest: +SKIP
    317
    """
    if not isinstance(id_column, str) or not id_column:
        raise TypeError(f"id_column must be a non-empty str, got {id_column!r}")
    ids = window_segment_ids(in_path, window)
    if keep is not None:
        ids = np.intersect1d(ids, np.asarray(keep, np.uint32))
    src_rows, columns = rat_columns(in_path)
    if any(c.name == id_column for c in columns):
        raise ValueError(f"id_column: {in_path} already has a RAT column {id_column!r}; "
                         "choose another name")
    rows = np.concatenate([[0], ids]).astype(np.int64)
    known = rows < src_rows
    carried = []
    for c in columns:
        if c.usage == "PixelCount":
            continue
        values = read_rat_rows(in_path, c.name, rows[known])
        full = np.zeros(rows.size, values.dtype)
        full[known] = values
        carried.append((c, full))
    orig = rows if rows[-1] < 2**31 else rows.astype(np.float64)

    def relabel(strip):
        pos = np.searchsorted(ids, strip)
        new = pos.astype(np.uint32) + np.uint32(1)
        inside = (strip != 0) & (pos < ids.size)
        inside[inside] = ids[pos[inside]] == strip[inside]
        new[~inside] = 0
        return new

    def make_rat(nids, hist):
        nrows = ids.size + 1
        counts = np.zeros(nrows, np.float64)
        counts[: hist.size] = hist
        counts[0] = 0
        cols = [(RatColumn("Histogram", "Real", "PixelCount"), counts)]
        cols += carried
        cols.append((RatColumn(id_column, rat_column_type(orig), "Generic"), orig))
        return nrows, cols, ()

    levels = overview_levels(int(window[2]), int(window[3]))
    copy_segment_raster(in_path, out_path, fmt, window, relabel, levels, make_rat)
    return int(ids.size)


def subset_by_bounds(in_path, bounds, out_path, **kwargs):
    """:func:`subset_segments` of the pixels that map box ``bounds`` (xmin,
    ymin, xmax, ymax, in the raster's CRS units) overlaps."""
    info = raster_info(in_path)
    window = bounds_window(info.geotransform, bounds, info.rows, info.cols, in_path)
    return subset_segments(in_path, window, out_path, **kwargs)


def mask_segments(segments_path, mask_path):
    """Segments with at least one pixel where band 1 of ``mask_path`` (same
    grid) is non-zero and not its nodata, and the window bounding all their
    pixels. Returns (ids (K,) uint32, window or None)."""
    check_same_grid(segments_path, mask_path)
    ids = np.zeros(0, np.uint32)
    for win, labels in segment_strips(segments_path):
        mask, nodata = read_raster(mask_path, [1], win)
        under = (mask[0] != 0) & np.isfinite(mask[0])
        if nodata is not None:
            under &= mask[0] != nodata
        ids = np.union1d(ids, np.unique(labels[under]).astype(np.uint32))
    ids = ids[ids != 0]
    if not ids.size:
        return ids, None
    r0 = c0 = np.iinfo(np.int64).max
    r1 = c1 = -1
    for win, labels in segment_strips(segments_path):
        rows, cols = np.nonzero(np.isin(labels, ids))
        if rows.size:
            r0, r1 = min(r0, win.row + rows.min()), max(r1, win.row + rows.max())
            c0, c1 = min(c0, cols.min()), max(c1, cols.max())
    return ids, (int(r0), int(c0), int(r1 - r0 + 1), int(c1 - c0 + 1))


def subset_by_mask(in_path, mask_path, out_path, **kwargs):
    """:func:`subset_segments` of the whole segments that have a pixel under
    a non-zero pixel of ``mask_path`` (a raster on the same grid), cut to
    the window bounding them; other segments there become null."""
    ids, window = mask_segments(in_path, mask_path)
    if window is None:
        raise ValueError(f"{mask_path}: no segment of {in_path} lies under a non-zero mask pixel")
    return subset_segments(in_path, window, out_path, keep=ids, **kwargs)
