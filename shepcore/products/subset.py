"""Cut a window out of a segment raster, renumbering its segments 1..M."""

import numpy as np

from ..raster.copy import copy_segment_raster
from ..raster.rat import RatColumn, rat_column_type, rat_columns, read_rat_rows
from ..raster.read import segment_strips
from ..raster.write import overview_levels


def window_segment_ids(path, window):
    """Sorted unique nonzero segment IDs inside ``window`` of a segment
    raster, read in strips. Returns (M,) uint32."""
    ids = np.zeros(0, np.uint32)
    for _, strip in segment_strips(path, window):
        ids = np.union1d(ids, np.unique(strip).astype(np.uint32))
    return ids[ids != 0]


def subset_segments(in_path, window, out_path, *, id_column="original_id", fmt=None):
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
        'HFA' or 'GTiff'.

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
        new = np.searchsorted(ids, strip).astype(np.uint32) + np.uint32(1)
        new[strip == 0] = 0
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
