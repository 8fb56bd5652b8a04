"""All GDAL raster I/O of shepcore: reading (bands, rows, cols) arrays and
windows, and writing uint32 segment rasters with a raster attribute table.

Errors are :class:`RasterError` (a ValueError) with one line naming the
file. Outputs are written under a temporary name in the destination folder
and renamed into place when complete, so an interrupted write never leaves
a file that looks finished.
"""

import contextlib
import itertools
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

_GDAL = None

#: Output formats: GDAL driver -> (file extension, creation options).
FORMATS = {
    "HFA": (".img", ["COMPRESSED=YES"]),
    "GTiff": (".tif", ["TILED=YES", "COMPRESS=DEFLATE", "BIGTIFF=IF_SAFER"]),
}
#: GDAL block cache while writing a segment raster: written blocks only need
#: to wait for their turn on disk, and the default (5 % of RAM) would let one
#: job's memory grow with the raster.
WRITE_CACHE_BYTES = 128 << 20
#: Overviews are built until the smaller side is below this many pixels.
MIN_OVERVIEW_SIZE = 256


class RasterError(ValueError):
    """A raster cannot be read or written; the message names the file."""


class Window(NamedTuple):
    """A pixel window: first row, first column, number of rows and columns."""

    row: int
    col: int
    rows: int
    cols: int


@dataclass(frozen=True)
class RasterInfo:
    """Header facts of a raster (no pixels read).

    ``dtype`` is the numpy dtype of band 1; ``nodata`` that of band 1 (None if
    unset); ``geotransform`` the GDAL 6-tuple; ``projection`` WKT.
    """

    path: str
    rows: int
    cols: int
    bands: int
    dtype: np.dtype
    nodata: float | None
    geotransform: tuple
    projection: str


def gdal():
    """The osgeo.gdal module, imported on first use."""
    global _GDAL
    if _GDAL is None:
        from osgeo import gdal as _g

        _GDAL = _g
    return _GDAL


@contextlib.contextmanager
def gdal_errors(path):
    """Turn GDAL failures into one-line RasterErrors naming ``path``; restore
    the caller's exception setting afterwards."""
    g = gdal()
    was_on = g.GetUseExceptions()
    g.UseExceptions()
    try:
        yield g
    except RuntimeError as err:
        msg = str(err).strip().splitlines()[0] if str(err).strip() else "GDAL error"
        raise RasterError(f"{path}: {msg}") from None
    finally:
        if not was_on:
            g.DontUseExceptions()


def _open(g, path):
    if not os.path.exists(path) and not str(path).startswith("/vsi"):
        raise RasterError(f"{path}: no such file")
    ds = g.Open(str(path))
    if ds is None:
        raise RasterError(f"{path}: not a raster GDAL can read")
    return ds


def _numpy_dtype(g, band, path):
    from osgeo import gdal_array

    dt = gdal_array.GDALTypeCodeToNumericTypeCode(band.DataType)
    if dt is None or np.dtype(dt).kind not in "uif":
        raise RasterError(
            f"{path}: data type {g.GetDataTypeName(band.DataType)} is not supported "
            "(integer or floating-point bands only)"
        )
    return np.dtype(dt)


def raster_info(path):
    """Read the header of ``path`` into a :class:`RasterInfo`."""
    with gdal_errors(path) as g:
        ds = _open(g, path)
        band = ds.GetRasterBand(1)
        return RasterInfo(
            path=str(path),
            rows=ds.RasterYSize,
            cols=ds.RasterXSize,
            bands=ds.RasterCount,
            dtype=_numpy_dtype(g, band, path),
            nodata=band.GetNoDataValue(),
            geotransform=tuple(ds.GetGeoTransform()),
            projection=ds.GetProjection(),
        )


def check_bands(bands, count, path):
    """1-based band list (None = all) checked against ``count``."""
    if bands is None:
        return list(range(1, count + 1))
    out = []
    for b in bands:
        if isinstance(b, bool) or not isinstance(b, int | np.integer) or not 1 <= b <= count:
            raise RasterError(f"{path}: band {b!r} out of range 1..{count}")
        out.append(int(b))
    if not out:
        raise RasterError(f"{path}: empty band list")
    return out


def read_raster(path, bands=None, window=None):
    """Read bands of a raster as one array.

    Parameters
    ----------
    path : str
    bands : list of int or None
        1-based band numbers; None = all.
    window : Window or tuple (row, col, rows, cols) or None
        Pixel window; None = whole raster.

    Returns
    -------
    image : (B, rows, cols) ndarray in the file's data type
    nodata : float or None
        The first selected band's nodata value.
    """
    with gdal_errors(path) as g:
        ds = _open(g, path)
        band_list = check_bands(bands, ds.RasterCount, path)
        win = Window(0, 0, ds.RasterYSize, ds.RasterXSize) if window is None else Window(*window)
        if (win.row < 0 or win.col < 0 or win.rows <= 0 or win.cols <= 0
                or win.row + win.rows > ds.RasterYSize or win.col + win.cols > ds.RasterXSize):
            raise RasterError(
                f"{path}: window {tuple(win)} outside the raster "
                f"({ds.RasterYSize} rows x {ds.RasterXSize} cols)"
            )
        first = ds.GetRasterBand(band_list[0])
        dtype = _numpy_dtype(g, first, path)
        image = np.empty((len(band_list), win.rows, win.cols), dtype)
        for i, b in enumerate(band_list):
            ds.GetRasterBand(b).ReadAsArray(
                win.col, win.row, win.cols, win.rows, buf_obj=image[i]
            )
        return image, first.GetNoDataValue()


def window_geotransform(geotransform, window):
    """Geotransform of a window (row, col, ...) of a raster with ``geotransform``."""
    x0, dx, rx, y0, ry, dy = geotransform
    row, col = window[0], window[1]
    return (x0 + col * dx + row * rx, dx, rx, y0 + col * ry + row * dy, ry, dy)


def output_path(stem, fmt):
    """``stem`` plus the extension of output format ``fmt``."""
    return stem + FORMATS[fmt][0]


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path for writing ``path``; on success move it (and
    any GDAL sidecars such as .aux.xml) onto ``path``; on failure delete it.

    The temporary file has the final file name inside a hidden folder beside
    ``path``, because formats such as HFA record their own file name inside
    the file: the bytes must not depend on the temporary name.
    """
    folder, name = os.path.split(os.path.abspath(path))
    tmp_dir = os.path.join(folder, f".{name}.partial")
    shutil.rmtree(tmp_dir, ignore_errors=True)  # left by a killed writer
    os.makedirs(tmp_dir)
    tmp = os.path.join(tmp_dir, name)
    try:
        yield tmp
        if name.lower().endswith(".img"):
            # HFA keeps everything in the file; GDAL's PAM sidecar would only
            # repeat LAYER_TYPE and COMPRESSION, and then outlive the file.
            with contextlib.suppress(OSError):
                os.remove(tmp + ".aux.xml")
        written = sorted(os.listdir(tmp_dir))
        for sidecar in (".aux.xml",):
            stale = os.path.join(folder, name + sidecar)
            if name + sidecar not in written and os.path.exists(stale):
                os.remove(stale)  # left by an earlier write of this path
        for entry in written:
            if entry != name:  # sidecars first: the main file marks completion
                os.replace(os.path.join(tmp_dir, entry), os.path.join(folder, entry))
        os.replace(tmp, os.path.join(folder, name))
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


class SegmentRasterWriter:
    """Write a uint32 segment raster window by window.

    Use as a context manager; the file appears at ``path`` only when the
    block exits without error (with any sidecar GDAL wrote, e.g. the
    .aux.xml holding a GeoTIFF's RAT). The raster is one thematic band, nodata 0,
    with a ``Histogram`` RAT column (usage PixelCount; row 0 = null, count 0)
    accumulated from the written windows, and nearest-neighbour overviews.

    Parameters
    ----------
    path : str
    rows, cols : int
    geotransform : 6-tuple; projection : str (WKT)
    fmt : str
        GDAL driver, a key of :data:`FORMATS` ("HFA" default, or "GTiff").
    overviews : bool
    """

    def __init__(self, path, rows, cols, geotransform, projection, fmt="HFA",
                 overviews=True):
        if fmt not in FORMATS:
            raise RasterError(f"{path}: output format {fmt!r} not supported "
                              f"(choose from {', '.join(FORMATS)})")
        self.path = str(path)
        self.shape = (int(rows), int(cols))
        self.geotransform = tuple(geotransform)
        self.projection = projection
        self.fmt = fmt
        self.overviews = overviews
        self.counts = np.zeros(1, np.int64)
        self._columns = []
        self._ds = None

    def __enter__(self):
        self._atomic = atomic_path(self.path)
        self._tmp = self._atomic.__enter__()
        self._old_cache = gdal().GetCacheMax()
        gdal().SetCacheMax(min(self._old_cache, WRITE_CACHE_BYTES))
        try:
            with gdal_errors(self.path) as g:
                driver = g.GetDriverByName(self.fmt)
                rows, cols = self.shape
                self._ds = driver.Create(self._tmp, cols, rows, 1, g.GDT_UInt32,
                                         options=FORMATS[self.fmt][1])
                self._ds.SetGeoTransform(self.geotransform)
                if self.projection:
                    self._ds.SetProjection(self.projection)
                band = self._ds.GetRasterBand(1)
                band.SetNoDataValue(0)
                band.SetMetadataItem("LAYER_TYPE", "thematic")
        except BaseException as err:
            self._ds = None
            gdal().SetCacheMax(self._old_cache)
            self._atomic.__exit__(type(err), err, err.__traceback__)
            raise
        return self

    def write(self, labels, row=0, col=0):
        """Write labels (rows, cols) uint32 at pixel offset (row, col)."""
        labels = np.ascontiguousarray(labels, np.uint32)
        if (labels.ndim != 2 or row < 0 or col < 0 or row + labels.shape[0] > self.shape[0]
                or col + labels.shape[1] > self.shape[1]):
            raise RasterError(f"{self.path}: window of shape {labels.shape} at ({row}, {col}) "
                              f"is outside the raster {self.shape}")
        counts = np.bincount(labels.ravel())
        if counts.size > self.counts.size:
            counts[: self.counts.size] += self.counts
            self.counts = counts
        else:
            self.counts[: counts.size] += counts
        with gdal_errors(self.path):
            self._ds.GetRasterBand(1).WriteArray(labels, int(col), int(row))

    def add_column(self, name, values, usage="Generic"):
        """Add a RAT column (row i = segment i); ``usage`` a GFU_ name suffix
        such as 'Generic', 'PixelCount', 'Red'. Integer values -> integer
        column, float -> real, str -> string."""
        self._columns.append((name, np.asarray(values), usage))

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                with gdal_errors(self.path) as g:
                    counts = self.counts.astype(np.float64)
                    counts[0] = 0
                    cols = [("Histogram", counts, "PixelCount")] + self._columns
                    write_rat(g, self._ds.GetRasterBand(1), cols, self.path)
                    if self.overviews:
                        levels = overview_levels(*self.shape)
                        if levels:
                            self._ds.BuildOverviews("NEAREST", levels)
                    self._ds.FlushCache()
        except BaseException as err:
            self._ds = None
            gdal().SetCacheMax(self._old_cache)
            self._atomic.__exit__(type(err), err, err.__traceback__)
            raise
        self._ds = None  # closes the dataset before the rename
        gdal().SetCacheMax(self._old_cache)
        return self._atomic.__exit__(exc_type, exc, tb)


def overview_levels(rows, cols):
    """Overview factors 2, 4, ... while the smaller side stays >= MIN_OVERVIEW_SIZE."""
    levels = []
    f = 2
    while min(rows, cols) // f >= MIN_OVERVIEW_SIZE:
        levels.append(f)
        f *= 2
    return levels


def write_rat(g, band, columns, path):
    """Write RAT columns [(name, values, usage)] onto ``band``."""
    nrows = max(len(v) for _, v, _ in columns)
    rat = g.RasterAttributeTable()
    rat.SetTableType(g.GRTT_THEMATIC)
    for name, values, usage in columns:
        if values.dtype.kind in "iub":
            ftype = g.GFT_Integer
        elif values.dtype.kind == "f":
            ftype = g.GFT_Real
        else:
            ftype = g.GFT_String
        rat.CreateColumn(name, ftype, getattr(g, f"GFU_{usage}"))
    rat.SetRowCount(nrows)
    for i, (_, values, _) in enumerate(columns):
        if len(values) < nrows:
            raise RasterError(f"{path}: RAT column {columns[i][0]} has {len(values)} "
                              f"rows, expected {nrows}")
        if values.dtype.kind in "iub":
            rat.WriteArray(values.astype(np.int32), i)
        elif values.dtype.kind == "f":
            rat.WriteArray(values.astype(np.float64), i)
        else:  # WriteArray of strings crashes GDAL 3.6's bindings: row by row
            for row, value in enumerate(values):
                rat.SetValueAsString(row, i, str(value))
    band.SetDefaultRAT(rat)


def write_segments(path, labels, *, geotransform=(0, 1, 0, 0, 0, -1), projection="",
                   fmt="HFA", overviews=True, like=None):
    """Write a whole segment image (rows, cols) uint32 to ``path``.

    Georeferencing comes from ``like`` (a path or RasterInfo) when given,
    else from ``geotransform`` and ``projection``.
    """
    if like is not None:
        info = like if isinstance(like, RasterInfo) else raster_info(like)
        geotransform, projection = info.geotransform, info.projection
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(f"labels: expected (rows, cols), got shape {labels.shape}")
    with SegmentRasterWriter(path, *labels.shape, geotransform, projection, fmt,
                             overviews) as w:
        w.write(labels)
    return path


def read_grid_sample(path, sample_pixels, bands=None):
    """About ``sample_pixels`` pixels of a raster on a regular grid, read at
    full resolution (never from overviews).

    Returns samples (N, B) in the file's data type. Rows are read one at a
    time from one open dataset, so only about 1/step of the raster is
    decoded (blocks shared by sampled rows come from GDAL's block cache).
    """
    with gdal_errors(path) as g:
        ds = _open(g, path)
        band_list = check_bands(bands, ds.RasterCount, path)
        rows, cols = ds.RasterYSize, ds.RasterXSize
        step = max(1, int((rows * cols / max(1, sample_pixels)) ** 0.5))
        dtype = _numpy_dtype(g, ds.GetRasterBand(band_list[0]), path)
        picked_rows = range(step // 2, rows, step)
        picked_cols = slice(step // 2, None, step)
        ncols = len(range(cols)[picked_cols])
        out = np.empty((len(band_list), len(picked_rows), ncols), dtype)
        line = np.empty(cols, dtype)
        # GDAL's block cache (5 % of RAM by default) would fill with every
        # block touched; one row of blocks of one band is all we reuse.
        block_rows = max(ds.GetRasterBand(b).GetBlockSize()[1] for b in band_list)
        old_cache = g.GetCacheMax()
        g.SetCacheMax(max(16 << 20, 2 * block_rows * cols * dtype.itemsize))
        try:
            for i, b in enumerate(band_list):
                band = ds.GetRasterBand(b)
                for j, r in enumerate(picked_rows):
                    band.ReadAsArray(0, r, cols, 1, buf_obj=line[np.newaxis])
                    out[i, j] = line[picked_cols]
        finally:
            g.SetCacheMax(old_cache)
        return out.reshape(len(band_list), -1).T


# -- Raster attribute tables: grid checks, reading rows, copying with new columns --

#: RAT rows per read or write call when columns are copied or streamed.
RAT_CHUNK_ROWS = 1 << 18
#: Pixels per strip when a segment raster is copied.
COPY_STRIP_PIXELS = 1 << 22
#: Rows read in one call by :func:`read_rat_rows` may include this many
#: unwanted rows between two wanted ones (fewer, larger reads).
RAT_READ_GAP = 4096
#: Column usage (GFU_ suffix) chosen from the column name when none is given.
DEFAULT_USAGES = {"Histogram": "PixelCount", "Red": "Red", "Green": "Green",
                  "Blue": "Blue", "Alpha": "Alpha", "Opacity": "Alpha"}


@dataclass(frozen=True)
class RatColumn:
    """One RAT column: ``type`` 'Integer', 'Real' or 'String'; ``usage`` a
    GFU_ name suffix such as 'Generic', 'PixelCount', 'Red', 'Alpha'."""

    name: str
    type: str
    usage: str


def _same_crs(wkt_a, wkt_b):
    if not wkt_a or not wkt_b:
        return not wkt_a and not wkt_b
    from osgeo import osr

    a, b = osr.SpatialReference(), osr.SpatialReference()
    a.ImportFromWkt(wkt_a)
    b.ImportFromWkt(wkt_b)
    return bool(a.IsSame(b))


def check_same_grid(path_a, path_b):
    """Refuse two rasters that are not on the same pixel grid.

    Same size, geotransform (to 1e-6 of a pixel) and CRS (``osr.IsSame``;
    two rasters without a CRS match). Returns their :class:`RasterInfo`.

    Raises
    ------
    RasterError
        One line naming both files and what differs.
    """
    a, b = raster_info(path_a), raster_info(path_b)
    problems = []
    if (a.rows, a.cols) != (b.rows, b.cols):
        problems.append(f"size {a.rows} x {a.cols} vs {b.rows} x {b.cols} (rows x cols)")
    scale = max(abs(v) for v in (*a.geotransform[1:3], *a.geotransform[4:6])) or 1.0
    if any(abs(x - y) > 1e-6 * scale for x, y in zip(a.geotransform, b.geotransform,
                                                      strict=True)):
        problems.append(f"geotransform {a.geotransform} vs {b.geotransform}")
    if not _same_crs(a.projection, b.projection):
        problems.append("CRS differ")
    if problems:
        raise RasterError(f"grids differ: {path_a} vs {path_b}: " + "; ".join(problems))
    return a, b


def _type_names(g):
    return {g.GFT_Integer: "Integer", g.GFT_Real: "Real", g.GFT_String: "String"}


def _usage_names(g):
    return {getattr(g, n): n[4:] for n in dir(g) if n.startswith("GFU_") and n != "GFU_MaxCount"}


def _segment_dataset(g, path):
    """Open a segment raster: one unsigned-integer band."""
    ds = _open(g, path)
    if ds.RasterCount != 1:
        raise RasterError(f"{path}: a segment raster has 1 band, this one has {ds.RasterCount}")
    dtype = _numpy_dtype(g, ds.GetRasterBand(1), path)
    if dtype.kind != "u":
        raise RasterError(f"{path}: a segment raster has unsigned integer IDs, not {dtype}")
    return ds


def rat_columns(path):
    """Row count and columns of the RAT of a segment raster's band 1.

    Returns
    -------
    nrows : int
        0 when the band has no RAT.
    columns : list of RatColumn
    """
    with gdal_errors(path) as g:
        ds = _open(g, path)
        rat = ds.GetRasterBand(1).GetDefaultRAT()
        if rat is None:
            return 0, []
        types, usages = _type_names(g), _usage_names(g)
        cols = [RatColumn(rat.GetNameOfCol(i), types.get(rat.GetTypeOfCol(i), "String"),
                          usages.get(rat.GetUsageOfCol(i), "Generic"))
                for i in range(rat.GetColumnCount())]
        return rat.GetRowCount(), cols


def _column_index(rat, column, path):
    names = [rat.GetNameOfCol(i) for i in range(rat.GetColumnCount())]
    if column not in names:
        raise RasterError(f"{path}: no RAT column {column!r} (columns: {', '.join(names)})")
    return names.index(column)


def read_rat(path, columns=None):
    """Whole RAT columns of band 1 as a dict name -> (nrows,) array (string
    columns as bytes). ``columns``: names to read; None = all."""
    with gdal_errors(path) as g:
        ds = _open(g, path)
        rat = ds.GetRasterBand(1).GetDefaultRAT()
        if rat is None:
            if columns:
                raise RasterError(f"{path}: no raster attribute table")
            return {}
        if columns is None:
            columns = [rat.GetNameOfCol(i) for i in range(rat.GetColumnCount())]
        return {c: np.asarray(rat.ReadAsArray(_column_index(rat, c, path))) for c in columns}


def read_rat_rows(path, column, rows):
    """Values of one RAT column at the given rows, reading only the row
    ranges needed (rows closer than :data:`RAT_READ_GAP` share one read).

    Parameters
    ----------
    path : str
    column : str
    rows : (K,) array of int
        Sorted ascending, each in 0..nrows-1.

    Returns
    -------
    values : (K,) ndarray (float64, int32 or bytes, as the column)
    """
    rows = np.asarray(rows, np.int64)
    with gdal_errors(path) as g:
        ds = _open(g, path)
        rat = ds.GetRasterBand(1).GetDefaultRAT()
        if rat is None:
            raise RasterError(f"{path}: no raster attribute table")
        col = _column_index(rat, column, path)
        nrows = rat.GetRowCount()
        if rows.size and (rows[0] < 0 or rows[-1] >= nrows or np.any(np.diff(rows) < 0)):
            raise RasterError(f"{path}: RAT rows must be sorted and within 0..{nrows - 1}")
        if not rows.size:
            return np.asarray(rat.ReadAsArray(col, 0, 1))[:0]
        cuts = np.flatnonzero(np.diff(rows) > RAT_READ_GAP) + 1
        parts = []
        for group in np.split(rows, cuts):
            start = int(group[0])
            block = np.asarray(rat.ReadAsArray(col, start, int(group[-1]) - start + 1))
            parts.append(block[group - start])
        return np.concatenate(parts)


def rat_column_type(values):
    """RAT column type for an array: Integer when it fits 32 bits."""
    if values.dtype.kind in "iub":
        if values.size == 0 or (values.min() >= -(2**31) and values.max() < 2**31):
            return "Integer"
        return "Real"
    if values.dtype.kind == "f":
        return "Real"
    return "String"


def _write_rat_values(rat, i, col, start, values, path):
    values = np.asarray(values)
    if col.type == "String":  # WriteArray of strings crashes some GDAL builds
        for k, v in enumerate(values):
            rat.SetValueAsString(start + k, i, v.decode() if isinstance(v, bytes) else str(v))
    elif col.type == "Integer":
        if values.size and (values.min() < -(2**31) or values.max() >= 2**31):
            raise RasterError(f"{path}: RAT column {col.name}: values outside the "
                              "32-bit integer range")
        rat.WriteArray(np.ascontiguousarray(values, np.int32), i, start)
    else:
        rat.WriteArray(np.ascontiguousarray(values, np.float64), i, start)


def _write_rat_streamed(g, band, path, nrows, columns, chunks, in_memory):
    """Create ``columns`` [(RatColumn, read)] on band's RAT with ``nrows``
    rows. A column with ``read(start, stop)`` is copied in row chunks; the
    others come from ``chunks``: (start, {name: values}) in row order,
    covering all rows. HFA writes straight to the file; other formats keep
    the table in memory until the band is closed."""
    rat = None if in_memory else band.GetDefaultRAT()
    if rat is None:
        rat = g.RasterAttributeTable()
        in_memory = True
        rat.SetTableType(g.GRTT_THEMATIC)
    for col, _ in columns:
        rat.CreateColumn(col.name, getattr(g, "GFT_" + col.type), getattr(g, "GFU_" + col.usage))
    rat.SetRowCount(nrows)
    streamed = {}
    for i, (col, read) in enumerate(columns):
        if read is None:
            streamed[col.name] = (i, col)
            continue
        for start in range(0, nrows, RAT_CHUNK_ROWS):
            stop = min(nrows, start + RAT_CHUNK_ROWS)
            _write_rat_values(rat, i, col, start, read(start, stop), path)
    covered = 0
    for start, chunk in chunks:
        if start != covered:
            raise RasterError(f"{path}: RAT chunk starts at row {start}, expected {covered}")
        lengths = {len(v) for v in chunk.values()}
        if len(lengths) != 1 or set(chunk) != set(streamed):
            raise RasterError(f"{path}: RAT chunk at row {start} has columns of unequal "
                              "length or a different set of columns")
        length = lengths.pop()
        if covered + length > nrows:
            raise RasterError(f"{path}: new RAT columns have more than {nrows} rows "
                              f"(the segment raster's RAT rows)")
        for name, values in chunk.items():
            i, col = streamed[name]
            _write_rat_values(rat, i, col, start, values, path)
        covered += length
    if streamed and covered != nrows:
        raise RasterError(f"{path}: new RAT columns have {covered} rows, expected {nrows} "
                          "(the segment raster's RAT rows)")
    if in_memory:
        band.SetDefaultRAT(rat)


def _output_format(out_path, fmt, src_driver):
    if fmt is None:
        ext = os.path.splitext(str(out_path))[1].lower()
        by_ext = {".img": "HFA", ".tif": "GTiff", ".tiff": "GTiff"}
        fmt = by_ext.get(ext, src_driver if src_driver in FORMATS else "HFA")
    if fmt not in FORMATS:
        raise RasterError(f"{out_path}: output format {fmt!r} not supported "
                          f"(choose from {', '.join(FORMATS)})")
    return fmt


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
        ``histogram``). ``columns``: [(RatColumn, read)] where
        ``read(start, stop)`` returns rows of the column, or None for a
        column given by ``chunks``: (start, {name: values}) in row order.
    histogram : bool
        Count pixels per ID (memory 8 bytes per ID).

    Returns
    -------
    out_path : str
    """
    if os.path.exists(out_path) and os.path.exists(src_path) \
            and os.path.samefile(out_path, src_path):
        raise RasterError(f"{out_path}: output would overwrite the input {src_path}")
    with gdal_errors(src_path) as g:
        src = _segment_dataset(g, src_path)
        sband = src.GetRasterBand(1)
        rows, cols = src.RasterYSize, src.RasterXSize
        win = Window(0, 0, rows, cols) if window is None else Window(*map(int, window))
        if (win.row < 0 or win.col < 0 or win.rows <= 0 or win.cols <= 0
                or win.row + win.rows > rows or win.col + win.cols > cols):
            raise RasterError(f"{src_path}: window {tuple(win)} outside the raster "
                              f"({rows} rows x {cols} cols)")
        fmt = _output_format(out_path, fmt, src.GetDriver().ShortName)
        if levels == "like":
            levels = sorted({max(1, round(cols / sband.GetOverview(i).XSize))
                             for i in range(sband.GetOverviewCount())} - {1})
        gt = window_geotransform(src.GetGeoTransform(), win)
        dtype = _numpy_dtype(g, sband, src_path)
        block_rows = max(1, sband.GetBlockSize()[1])
        strip = max(1, COPY_STRIP_PIXELS // win.cols)
        strip = max(block_rows, strip // block_rows * block_rows)
        with atomic_path(out_path) as tmp, gdal_errors(out_path):
            ds = g.GetDriverByName(fmt).Create(tmp, win.cols, win.rows, 1, sband.DataType,
                                               options=FORMATS[fmt][1])
            ds.SetGeoTransform(gt)
            if src.GetProjection():
                ds.SetProjection(src.GetProjection())
            ds.SetMetadata(src.GetMetadata() or {})
            band = ds.GetRasterBand(1)
            band.SetMetadata({k: val for k, val in (sband.GetMetadata() or {}).items()
                              if not k.startswith("STATISTICS_")})  # stale after relabelling
            band.SetMetadataItem("LAYER_TYPE", "thematic")
            band.SetNoDataValue(0)
            hist = np.zeros(1, np.int64) if histogram else None
            nids = 1
            for r in range(0, win.rows, strip):
                n = min(strip, win.rows - r)
                data = sband.ReadAsArray(win.col, win.row + r, win.cols, n)
                if relabel is not None:
                    data = relabel(data)
                nids = max(nids, int(data.max(initial=0)) + 1)
                if histogram:
                    counts = np.bincount(data.ravel())
                    if counts.size > hist.size:
                        counts[: hist.size] += hist
                        hist = counts
                    else:
                        hist[: counts.size] += counts
                band.WriteArray(np.ascontiguousarray(data, dtype), 0, r)
            nrows, columns, chunks = make_rat(nids, hist)
            _write_rat_streamed(g, band, out_path, nrows, columns, chunks,
                                in_memory=(fmt != "HFA"))
            if levels:
                ds.BuildOverviews("NEAREST", list(levels))
            ds.FlushCache()
            ds = band = None
    return str(out_path)


def add_rat_columns(path, columns, out_path, *, usages=None, fmt=None):
    """Write a copy of a segment raster with extra RAT columns.

    The copy keeps the pixels, georeferencing, metadata, existing RAT
    columns and overview levels (rebuilt with nearest neighbour) of
    ``path``; the input is never modified. The new file appears atomically.

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
        'HFA' or 'GTiff'; default from the extension of ``out_path`` (.img,
        .tif), else the input's format.

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
    if isinstance(columns, Mapping):
        first = (0, {str(k): np.asarray(v) for k, v in columns.items()})
        chunk_iter = iter(())
    else:
        chunk_iter = iter(columns)
        try:
            start, chunk = next(chunk_iter)
        except StopIteration:
            raise RasterError(f"{out_path}: no columns to add") from None
        first = (start, {str(k): np.asarray(v) for k, v in chunk.items()})
    usages = dict(usages or {})
    src_rows, existing = rat_columns(path)
    taken = {c.name for c in existing}
    for name in first[1]:
        if name in taken:
            raise RasterError(f"{path}: RAT already has a column {name!r}")
    if isinstance(columns, Mapping):
        types = {name: rat_column_type(v) for name, v in first[1].items()}
    else:
        types = {name: ("String" if v.dtype.kind in "SUO" else
                        "Integer" if v.dtype.kind in "iub" else "Real")
                 for name, v in first[1].items()}
    new_cols = [RatColumn(name, types[name],
                          usages.get(name, DEFAULT_USAGES.get(name, "Generic")))
                for name in first[1]]

    has_counts = any(c.usage == "PixelCount" for c in existing)

    def make_rat(nids, hist):
        nrows = max(src_rows, nids)
        cols = [(c, _rat_reader(path, i, src_rows)) for i, c in enumerate(existing)]
        if not has_counts:
            counts = np.zeros(nrows, np.float64)
            counts[: hist.size] = hist
            counts[0] = 0
            cols.insert(0, (RatColumn("Histogram", "Real", "PixelCount"),
                            lambda a, b: counts[a:b]))
        cols += [(c, None) for c in new_cols]
        return nrows, cols, itertools.chain([first], chunk_iter)

    return copy_segment_raster(path, out_path, fmt, None, None, "like", make_rat,
                               histogram=not has_counts)


def _rat_reader(path, col, nrows):
    """read(start, stop) of RAT column ``col`` of ``path``; rows past the
    table's ``nrows`` read as 0 / empty."""

    def read(start, stop):
        with gdal_errors(path) as g:
            ds = _open(g, path)
            rat = ds.GetRasterBand(1).GetDefaultRAT()
            have = max(0, min(stop, nrows) - start)
            values = np.asarray(rat.ReadAsArray(col, start, have)) if have else None
            if have == stop - start:
                return values
            pad = np.zeros(stop - start - have, values.dtype if values is not None else
                           np.float64)
            return pad if values is None else np.concatenate([values, pad])

    return read


def band_details(path, segments=False):
    """Per-band facts without reading pixels.

    Returns
    -------
    bands : list of (numpy dtype, nodata or None), one per band
    block : (rows, cols) block shape of band 1

    With ``segments=True`` the raster must be a segment raster (one
    unsigned-integer band), else RasterError.
    """
    with gdal_errors(path) as g:
        ds = _segment_dataset(g, path) if segments else _open(g, path)
        out = []
        for b in range(1, ds.RasterCount + 1):
            band = ds.GetRasterBand(b)
            out.append((_numpy_dtype(g, band, path), band.GetNoDataValue()))
        bx, by = ds.GetRasterBand(1).GetBlockSize()
        return out, (by, bx)
