"""Copying segment rasters into new files: strip by strip (a window,
relabelled IDs, another format), or file by file with new RAT columns. The
input is never modified; the output appears atomically."""

import contextlib
import itertools
import os
from collections.abc import Mapping

import numpy as np

from .._files import atomic_path
from .env import RasterError, gdal_env
from .rat import (
    DEFAULT_USAGES,
    RatColumn,
    rat_column_type,
    rat_columns,
    rat_reader,
    read_rat,
    write_rat,
)
from .read import numpy_dtype, open_segments
from .windows import STRIP_PIXELS, check_window, window_geotransform
from .write import (
    FORMATS,
    add_counts,
    build_overviews,
    check_format,
    create_segment_band,
    finish_format,
)


def _output_format(out_path, fmt, src_driver):
    if fmt is None:
        ext = os.path.splitext(str(out_path))[1].lower()
        by_ext = {".img": "HFA", ".tif": "GTiff", ".tiff": "GTiff"}
        fmt = by_ext.get(ext, src_driver if src_driver in FORMATS else "HFA")
    return check_format(fmt, out_path)


def copy_segment_raster(src_path, out_path, fmt, window, relabel, levels, make_rat,
                        histogram=True):
    """Copy a window of a segment raster into a new one, strip by strip,
    atomically, keeping georeferencing (of the window) and metadata.

    Parameters
    ----------
    src_path, out_path : str
    fmt : str or None
        'HFA' or 'GTiff'; None = by the extension of out_path.
    window : Window or tuple or None
        None = the whole raster.
    relabel : callable or None
        ``relabel(strip) -> strip`` maps the IDs of each (rows, cols) strip.
    levels : list of int or 'like'
        Overview factors (nearest neighbour), or 'like' for the source's.
    make_rat : callable
        ``make_rat(nids, hist) -> (nrows, columns, chunks)``, called after
        the pixels are written with nids = max output ID + 1 and ``hist``
        the pixel count of each output ID (int64, (nids,); None unless
        ``histogram``); ``columns`` and ``chunks`` as
        :func:`shepcore.raster.rat.write_rat` takes them.
    histogram : bool
        Count pixels per ID (memory 8 bytes per ID).

    Returns
    -------
    out_path : str
    """
    if os.path.exists(out_path) and os.path.exists(src_path) \
            and os.path.samefile(out_path, src_path):
        raise RasterError(f"{out_path}: output would overwrite the input {src_path}")
    with gdal_env(src_path) as g:
        src = open_segments(g, src_path)
        sband = src.GetRasterBand(1)
        rows, cols = src.RasterYSize, src.RasterXSize
        win = check_window(window, rows, cols, src_path)
        fmt = _output_format(out_path, fmt, src.GetDriver().ShortName)
        if levels == "like":
            levels = sorted({max(1, round(cols / sband.GetOverview(i).XSize))
                             for i in range(sband.GetOverviewCount())} - {1})
        dtype = numpy_dtype(g, sband, src_path)
        block_rows = max(1, sband.GetBlockSize()[1])
        strip = max(1, STRIP_PIXELS // win.cols)
        strip = max(block_rows, strip // block_rows * block_rows)
        with atomic_path(out_path) as tmp, gdal_env(out_path):
            ds, band = create_segment_band(
                g, tmp, win.rows, win.cols, fmt, window_geotransform(src.GetGeoTransform(), win),
                src.GetProjection(), sband.DataType, metadata=src.GetMetadata() or {},
                band_metadata={k: val for k, val in (sband.GetMetadata() or {}).items()
                               if not k.startswith("STATISTICS_")})  # stale after relabelling
            hist = np.zeros(1, np.int64) if histogram else None
            nids = 1
            for r in range(0, win.rows, strip):
                n = min(strip, win.rows - r)
                data = sband.ReadAsArray(win.col, win.row + r, win.cols, n)
                if relabel is not None:
                    data = relabel(data)
                nids = max(nids, int(data.max(initial=0)) + 1)
                if histogram:
                    hist = add_counts(hist, data)
                band.WriteArray(np.ascontiguousarray(data, dtype), 0, r)
            nrows, columns, chunks = make_rat(nids, hist)
            write_rat(g, band, out_path, nrows, columns, chunks, in_memory=(fmt != "HFA"))
            build_overviews(ds, levels, fmt, out_path)
            ds.FlushCache()
            ds = band = None
            finish_format(g, tmp, fmt)  # COG: staging GeoTIFF -> Cloud Optimized copy
    return str(out_path)


class RatCopy:
    """A new copy of a segment raster whose RAT takes new columns; use as a
    context manager. The input is never modified; the copy appears at
    ``out_path`` (atomically) when the block exits without error.

    On entry the input is copied. Where it allows (same format as the
    output, a PixelCount column, enough RAT rows for ``rows``) the copy is
    of the files themselves (``GDALDriver::CopyFiles``): pixels, overviews,
    georeferencing, metadata and RAT as they are, without decoding a pixel.
    Otherwise the pixels are copied strip by strip into the output format
    (:func:`copy_segment_raster`, overviews rebuilt with nearest neighbour,
    a ``Histogram`` column computed where the input has no PixelCount
    column). :meth:`add` then appends columns to the copy's RAT: in place
    in an HFA file (streamed chunks never all in memory), or, for GTiff,
    as a new table of the old and new columns in the .aux.xml.

    Parameters
    ----------
    path, out_path : str
        Segment raster (one unsigned-integer band) and its new copy.
    fmt : str, optional
        'HFA' or 'GTiff'; default from the extension of ``out_path`` (.img,
        .tif), else the input's format.
    usages : dict of str to str, optional
        GFU_ usage suffix per new column; default by name from
        :data:`DEFAULT_USAGES`, else 'Generic'.
    rows : int, optional
        Rows the new columns will have, when known; more than the input's
        RAT rows takes the strip copy (which sizes the table by the IDs).
    drop : iterable of str
        Columns of the input left out of the copy (e.g. an old colour
        table being replaced); any takes the strip copy.

    Attributes
    ----------
    nrows : int
        Rows of the copy's RAT (set on entry); every new column has them.
    """

    def __init__(self, path, out_path, fmt=None, *, usages=None, rows=None, drop=()):
        self.path, self.out_path = str(path), str(out_path)
        self.fmt, self.usages, self.rows = fmt, dict(usages or {}), rows
        self.drop = set(drop)
        self.nrows = None

    def __enter__(self):
        if os.path.exists(self.out_path) and os.path.exists(self.path) \
                and os.path.samefile(self.out_path, self.path):
            raise RasterError(f"{self.out_path}: output would overwrite the input {self.path}")
        with gdal_env(self.path) as g:
            src = open_segments(g, self.path)
            driver = src.GetDriver().ShortName
            src = None
        self.fmt = _output_format(self.out_path, self.fmt, driver)
        src_rows, existing = rat_columns(self.path)
        kept = [(i, c) for i, c in enumerate(existing) if c.name not in self.drop]
        self.taken = {c.name for _, c in kept}
        has_counts = any(c.usage == "PixelCount" for _, c in kept)
        self._stack = contextlib.ExitStack()
        with self._stack as stack:
            self.tmp = stack.enter_context(atomic_path(self.out_path))
            if (driver == self.fmt and has_counts and not self.drop
                    and (self.rows is None or self.rows <= src_rows)):
                _copy_files(self.fmt, self.path, self.tmp)
            else:
                _strip_copy(self.path, self.tmp, self.fmt, src_rows, kept, has_counts)
            self.nrows, _ = rat_columns(self.tmp)
            self._stack = stack.pop_all()
        return self

    def add(self, columns):
        """Append columns to the copy's RAT.

        ``columns``: a mapping of name to (nrows,) array, or an iterable of
        ``(start, {name: chunk})`` in row order covering all rows (as
        :func:`shepcore.stats.iter_column_chunks` yields them). Integer
        columns are 32-bit Integer columns when their values fit, else
        Real (a streamed integer column must fit: only its first chunk is
        seen when the column is made); float Real; str/bytes String.
        """
        if isinstance(columns, Mapping):
            first = (0, {str(k): np.asarray(v) for k, v in columns.items()})
            chunk_iter = iter(())
        else:
            chunk_iter = iter(columns)
            try:
                start, chunk = next(chunk_iter)
            except StopIteration:
                raise RasterError(f"{self.out_path}: no columns to add") from None
            first = (start, {str(k): np.asarray(v) for k, v in chunk.items()})
        for name in first[1]:
            if name in self.taken:
                raise RasterError(f"{self.path}: RAT already has a column {name!r}")
        if isinstance(columns, Mapping):
            types = {name: rat_column_type(v) for name, v in first[1].items()}
        else:  # only the first chunk is known: integer columns must fit 32 bits
            types = {name: ("String" if v.dtype.kind in "SUO" else
                            "Integer" if v.dtype.kind in "iub" else "Real")
                     for name, v in first[1].items()}
        new_cols = [RatColumn(name, types[name],
                              self.usages.get(name, DEFAULT_USAGES.get(name, "Generic")))
                    for name in first[1]]
        chunks = itertools.chain([first], chunk_iter)
        in_file = self.fmt == "HFA"
        cols = [(c, None) for c in new_cols]
        if not in_file:  # GTiff: a new table of the old and the new columns
            _, existing = rat_columns(self.tmp)
            old = read_rat(self.tmp, [c.name for c in existing])
            cols = [(c, old[c.name]) for c in existing] + cols
        with gdal_env(self.out_path) as g:
            ds = g.Open(self.tmp, g.GA_Update if in_file else g.GA_ReadOnly)
            band = ds.GetRasterBand(1)
            write_rat(g, band, self.out_path, self.nrows, cols, chunks, in_memory=not in_file)
            ds.FlushCache()
            ds = band = None
        self.taken |= {c.name for c in new_cols}

    def __exit__(self, exc_type, exc, tb):
        return self._stack.__exit__(exc_type, exc, tb)


def _copy_files(fmt, path, tmp):
    """``GDALDriver::CopyFiles``: every file of dataset ``path`` copied to
    ``tmp``, with the references between them renamed (an HFA spill file).
    Opening the dataset can report a harmless error (HFA: "Unreasonably
    large histogram" for more than a million IDs), so GDAL's exceptions
    are suspended for the call and only its return code counts."""
    with gdal_env(path) as g:
        g.DontUseExceptions()
        g.PushErrorHandler("CPLQuietErrorHandler")
        try:
            g.ErrorReset()
            err = g.GetDriverByName(fmt).CopyFiles(tmp, path)
            msg = g.GetLastErrorMsg()
        finally:
            g.PopErrorHandler()
            g.UseExceptions()
    if err != 0 or not os.path.exists(tmp):
        raise RasterError(f"{path}: copying the raster failed ({msg or 'GDAL error'})")


def _strip_copy(path, tmp, fmt, src_rows, kept, has_counts):
    """Pixels and the ``kept`` RAT columns [(index, RatColumn)] of ``path``
    into a new ``tmp`` of format ``fmt``, strip by strip (see
    :func:`copy_segment_raster`)."""

    def make_rat(nids, hist):
        nrows = max(src_rows, nids)
        cols = [(c, rat_reader(path, i, src_rows)) for i, c in kept]
        if not has_counts:
            counts = np.zeros(nrows, np.float64)
            counts[: hist.size] = hist
            counts[0] = 0
            cols.insert(0, (RatColumn("Histogram", "Real", "PixelCount"), counts))
        return nrows, cols, ()

    copy_segment_raster(path, tmp, fmt, None, None, "like", make_rat, histogram=not has_counts)


def add_rat_columns(path, columns, out_path, *, usages=None, fmt=None, drop=()):
    """Write a copy of a segment raster with extra RAT columns.

    The copy keeps the pixels, georeferencing, metadata, existing RAT
    columns and overview levels of ``path`` (the files themselves are
    copied where the format allows, see :class:`RatCopy`); the input is
    never modified. The new file appears atomically.

    Parameters
    ----------
    path : str
        Segment raster (one unsigned-integer band).
    columns : mapping of str to (nrows,) array, or iterable of (start, mapping)
        New columns, row i = segment i, row 0 = null; ``nrows`` is the
        input's RAT row count (max ID + 1 when it has none). An iterable of
        ``(start, {name: chunk})`` in row order streams the columns (as
        :func:`shepcore.stats.iter_column_chunks` yields them), so they
        never need to be in memory at once (HFA output).
    out_path : str
        New raster; must differ from ``path``.
    usages : dict of str to str, optional
        GFU_ usage suffix per column ('Red', 'Green', 'Blue', 'Alpha',
        'PixelCount', 'Generic', ...). Default: by name from
        :data:`DEFAULT_USAGES`, else 'Generic'.
    fmt : str, optional
        'HFA', 'GTiff' or 'COG'; default from the extension of ``out_path``
        (.img, .tif), else the input's format.
    drop : iterable of str
        Existing RAT columns left out of the copy (e.g. an old colour table).

    Returns
    -------
    out_path : str

    Raises
    ------
    RasterError
        A column already in the RAT, a column of the wrong length,
        out_path equal to path, or a GDAL failure (one line naming the file).

    Notes
    -----
    Integer columns are written as 32-bit GDAL Integer columns when their
    values fit, else as Real; float as Real; str/bytes as String. A source
    without a PixelCount column gets a ``Histogram`` column computed from
    its pixels. HFA stores an 'Alpha' usage column under the name 'Opacity'.
    """
    rows = None
    if isinstance(columns, Mapping):
        rows = max((len(v) for v in columns.values()), default=None)
    else:
        rows = getattr(columns, "num_rows", None)
    with RatCopy(path, out_path, fmt, usages=usages, rows=rows, drop=drop) as copy:
        copy.add(columns)
    return str(out_path)
