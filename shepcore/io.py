"""All GDAL raster I/O of shepcore: reading (bands, rows, cols) arrays and
windows, and writing uint32 segment rasters with a raster attribute table.

Errors are :class:`RasterError` (a ValueError) with one line naming the
file. Outputs are written under a temporary name in the destination folder
and renamed into place when complete, so an interrupted write never leaves
a file that looks finished.
"""

import contextlib
import os
import shutil
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

_GDAL = None

#: Output formats: GDAL driver -> (file extension, creation options).
FORMATS = {
    "HFA": (".img", ["COMPRESSED=YES"]),
    "GTiff": (".tif", ["TILED=YES", "COMPRESS=DEFLATE", "BIGTIFF=IF_SAFER"]),
}
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
            self._atomic.__exit__(type(err), err, err.__traceback__)
            raise
        self._ds = None  # closes the dataset before the rename
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
        if values.dtype.kind in "iub":
            values = values.astype(np.int32)
        elif values.dtype.kind == "f":
            values = values.astype(np.float64)
        if len(values) < nrows:
            raise RasterError(f"{path}: RAT column {columns[i][0]} has {len(values)} "
                              f"rows, expected {nrows}")
        rat.WriteArray(values, i)
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
        for i, b in enumerate(band_list):
            band = ds.GetRasterBand(b)
            for j, r in enumerate(picked_rows):
                band.ReadAsArray(0, r, cols, 1, buf_obj=line[np.newaxis])
                out[i, j] = line[picked_cols]
        return out.reshape(len(band_list), -1).T
