"""Whole statistics computations in one process: every window mapped, the
partials combined, and optionally streamed into a new segment raster."""

import tempfile

from ..raster.copy import add_rat_columns
from .combine import combine_partials, iter_column_chunks
from .partial import partial_in_window, save_window_partials, spec_windows
from .spec import DEFAULT_STATISTICS, make_spec


def segment_statistics(segments_path, image_path=None, *, bands=None,
                       statistics=DEFAULT_STATISTICS, spatial=(), nodata=None,
                       missing_value=-9999, memory_mb=512, window=None,
                       column_template="B{band}_{stat}", tmp_dir=None, _histograms=True):
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
    _histograms : bool
        Private, for tests: False sends integer bands down the exact sort
        path (same results, more data).

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

    Values of a segment that spans windows travel to the combination as
    (value, count) histogram entries for integer bands (at most one per
    distinct value and window, so a large segment costs its value range,
    not its pixel count; they combine by adding counts) and one by one for
    float bands (the exact sort path). Both give the same numbers; 32-bit
    integers take histograms too, as entries never outnumber the values.

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
    (:func:`stats_windows`), then segment-ID ranges are combined one at a
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
    spec = make_spec(segments_path, image_path, bands, statistics, spatial, nodata,
                     column_template, _histograms)
    windows = spec_windows(spec, segments_path, memory_mb, window)
    if len(windows) == 1:
        return combine_partials([partial_in_window(spec, segments_path, image_path, windows[0])],
                                memory_mb=memory_mb, missing_value=missing_value)
    with tempfile.TemporaryDirectory(prefix="shepcore-stats-", dir=tmp_dir) as folder:
        paths = save_window_partials(spec, segments_path, image_path, windows, folder)
        return combine_partials(paths, memory_mb=memory_mb, missing_value=missing_value)


def write_segment_statistics(segments_path, image_path, out_path, *, bands=None,
                             statistics=DEFAULT_STATISTICS, spatial=(), nodata=None,
                             missing_value=-9999, memory_mb=512, window=None,
                             column_template="B{band}_{stat}", tmp_dir=None, fmt=None,
                             _histograms=True):
    """Compute :func:`segment_statistics` and write them as RAT columns of a
    new copy of the segment raster (:func:`shepcore.raster.copy.add_rat_columns`),
    streaming the columns range by range so that they are never all in
    memory (HFA output; GTiff keeps its RAT in memory).

    Parameters are those of :func:`segment_statistics`, plus ``out_path``
    (the new raster) and ``fmt`` ('HFA' or 'GTiff', default from the
    extension). Returns ``out_path``.
    """
    spec = make_spec(segments_path, image_path, bands, statistics, spatial, nodata,
                     column_template, _histograms)
    windows = spec_windows(spec, segments_path, memory_mb, window)
    with tempfile.TemporaryDirectory(prefix="shepcore-stats-", dir=tmp_dir) as folder:
        paths = save_window_partials(spec, segments_path, image_path, windows, folder)
        chunks = iter_column_chunks(paths, memory_mb=memory_mb, missing_value=missing_value,
                                    for_rat=True)
        return add_rat_columns(segments_path, chunks, out_path, fmt=fmt)
