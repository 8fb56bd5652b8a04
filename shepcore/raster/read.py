"""Reading rasters: header facts, (bands, rows, cols) arrays and windows,
regular full-resolution samples. Errors are one-line RasterErrors naming
the file."""

import os
from dataclasses import dataclass

import numpy as np

from .._files import HFA_SIDECAR_EXTENSIONS
from .env import RasterError, gdal_env
from .windows import check_window, row_strips


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


def open_raster(g, path):
    """Open ``path`` read-only with the gdal module ``g`` (inside gdal_env)."""
    if not os.path.exists(path) and not str(path).startswith("/vsi"):
        raise RasterError(f"{path}: no such file")
    ds = g.Open(str(path))
    if ds is None:
        raise RasterError(f"{path}: not a raster GDAL can read")
    return ds


def open_segments(g, path):
    """Open a segment raster: one unsigned-integer band."""
    ds = open_raster(g, path)
    if ds.RasterCount != 1:
        raise RasterError(f"{path}: a segment raster has 1 band, this one has {ds.RasterCount}")
    dtype = numpy_dtype(g, ds.GetRasterBand(1), path)
    if dtype.kind != "u":
        raise RasterError(f"{path}: a segment raster has unsigned integer IDs, not {dtype}")
    return ds


def numpy_dtype(g, band, path):
    """numpy dtype of a GDAL band; RasterError for complex or unknown types."""
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
    with gdal_env(path) as g:
        ds = open_raster(g, path)
        band = ds.GetRasterBand(1)
        return RasterInfo(
            path=str(path),
            rows=ds.RasterYSize,
            cols=ds.RasterXSize,
            bands=ds.RasterCount,
            dtype=numpy_dtype(g, band, path),
            nodata=band.GetNoDataValue(),
            geotransform=tuple(ds.GetGeoTransform()),
            projection=ds.GetProjection(),
        )


def file_details(path):
    """How a raster is stored: {'driver', 'block' (rows, cols) of band 1,
    'overviews' [(rows, cols), ...], 'compression', 'layout' ('COG' for a
    Cloud Optimized GeoTIFF, else ''), 'files' (the file and sidecars)}."""
    with gdal_env(path) as g:
        ds = open_raster(g, path)
        band = ds.GetRasterBand(1)
        bx, by = band.GetBlockSize()
        structure = ds.GetMetadata("IMAGE_STRUCTURE") or {}
        return {
            "driver": ds.GetDriver().ShortName,
            "block": (by, bx),
            "overviews": [(band.GetOverview(i).YSize, band.GetOverview(i).XSize)
                          for i in range(band.GetOverviewCount())],
            "compression": structure.get("COMPRESSION", structure.get("COMPRESSED", "")),
            "layout": structure.get("LAYOUT", ""),
            "files": list(ds.GetFileList() or [path]),
        }


def band_details(path, segments=False):
    """Per-band facts without reading pixels.

    Returns
    -------
    bands : list of (numpy dtype, nodata or None), one per band
    block : (rows, cols) block shape of band 1

    With ``segments=True`` the raster must be a segment raster (one
    unsigned-integer band), else RasterError.
    """
    with gdal_env(path) as g:
        ds = open_segments(g, path) if segments else open_raster(g, path)
        out = []
        for b in range(1, ds.RasterCount + 1):
            band = ds.GetRasterBand(b)
            out.append((numpy_dtype(g, band, path), band.GetNoDataValue()))
        bx, by = ds.GetRasterBand(1).GetBlockSize()
        return out, (by, bx)


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
    with gdal_env(path) as g:
        ds = open_raster(g, path)
        band_list = check_bands(bands, ds.RasterCount, path)
        win = check_window(window, ds.RasterYSize, ds.RasterXSize, path)
        first = ds.GetRasterBand(band_list[0])
        dtype = numpy_dtype(g, first, path)
        image = np.empty((len(band_list), win.rows, win.cols), dtype)
        for i, b in enumerate(band_list):
            ds.GetRasterBand(b).ReadAsArray(
                win.col, win.row, win.cols, win.rows, buf_obj=image[i]
            )
        return image, first.GetNoDataValue()


#: Files of a dataset (e.g. a VRT's sources) whose block heights
#: :func:`strip_cache` looks at.
STRIP_CACHE_FILES = 32


def strip_cache(paths, cols):
    """Context manager: GDAL's block cache sized for reading consecutive
    row strips ``cols`` wide of the rasters ``paths`` (None entries are
    skipped) through :class:`WindowReader`: two rows of the tallest blocks
    of each raster and of its first :data:`STRIP_CACHE_FILES` files (a
    VRT's sources, whose blocks are what GDAL caches), for all bands (a
    halo row and the block row that neighbouring strips share), at least
    16 MB, at most the current setting."""
    need = 0
    with gdal_env() as g:
        for path in paths:
            if path is None:
                continue
            ds = open_raster(g, path)
            rows = max(ds.GetRasterBand(b).GetBlockSize()[1]
                       for b in range(1, ds.RasterCount + 1))
            for other in (ds.GetFileList() or [])[1:STRIP_CACHE_FILES + 1]:
                if other.lower().endswith((".aux.xml", ".ovr") + HFA_SIDECAR_EXTENSIONS):
                    continue  # sidecars, not sources
                try:
                    src = g.OpenEx(other, g.OF_RASTER)
                except RuntimeError:  # not a raster
                    continue
                if src is not None and src.RasterCount:
                    rows = max(rows, src.GetRasterBand(1).GetBlockSize()[1])
                src = None
            pixel = sum(numpy_dtype(g, ds.GetRasterBand(b), path).itemsize
                        for b in range(1, ds.RasterCount + 1))
            need += rows * cols * pixel
            ds = None
        cache = min(max(16 << 20, 2 * need), g.GetCacheMax())
    return gdal_env(cache_bytes=cache)


class WindowReader:
    """Windows of one raster read through one open dataset, so that GDAL's
    block cache serves the blocks that neighbouring windows share (e.g. a
    one-row halo inside a compressed block row). Use as a context manager;
    :meth:`read` takes the arguments of :func:`read_raster` (without
    ``path``) and returns its ``image``."""

    def __init__(self, path):
        self.path = str(path)
        self._ds = None

    def __enter__(self):
        with gdal_env(self.path) as g:
            self._ds = open_raster(g, self.path)
        return self

    def read(self, bands=None, window=None):
        with gdal_env(self.path) as g:
            ds = self._ds
            band_list = check_bands(bands, ds.RasterCount, self.path)
            win = check_window(window, ds.RasterYSize, ds.RasterXSize, self.path)
            dtype = numpy_dtype(g, ds.GetRasterBand(band_list[0]), self.path)
            image = np.empty((len(band_list), win.rows, win.cols), dtype)
            for i, b in enumerate(band_list):
                ds.GetRasterBand(b).ReadAsArray(win.col, win.row, win.cols, win.rows,
                                                buf_obj=image[i])
            return image

    def __exit__(self, *exc):
        self._ds = None
        return False


def read_segments(path, window=None):
    """A window of a segment raster as (rows, cols) in its own dtype."""
    with gdal_env(path) as g:
        ds = open_segments(g, path)
        win = check_window(window, ds.RasterYSize, ds.RasterXSize, path)
        return ds.GetRasterBand(1).ReadAsArray(win.col, win.row, win.cols, win.rows)


def segment_strips(path, window=None, overlap=0):
    """Yield (window, labels) strips of a segment raster covering ``window``
    (None = all), top to bottom; see :func:`.windows.row_strips`."""
    with gdal_env(path) as g:
        ds = open_segments(g, path)
        band = ds.GetRasterBand(1)
        win = check_window(window, ds.RasterYSize, ds.RasterXSize, path)
        for strip in row_strips(win, overlap):
            yield strip, band.ReadAsArray(strip.col, strip.row, strip.cols, strip.rows)


def _runs(positions):
    """[((first position, length), (first index, length))] of the runs of
    consecutive values in sorted ``positions``."""
    cuts = np.flatnonzero(np.diff(positions) != 1) + 1
    starts = np.concatenate([[0], cuts])
    ends = np.concatenate([cuts, [positions.size]])
    return [((int(positions[a]), int(b - a)), (int(a), int(b - a)))
            for a, b in zip(starts, ends, strict=True)]


def read_grid_sample(path, sample_pixels, bands=None, nodata=None):
    """About ``sample_pixels`` non-null pixels of a raster on a regular grid,
    read at full resolution (never from overviews); see
    :func:`shepcore.sampling.sample_grid`.

    nodata : float or None
        Null value of the scene (None = no null value; NaN and infinities
        are always null).

    Returns samples (N, B) in the file's data type, all non-null. Each
    patch of the grid is one window read, so only the blocks holding
    patches are decoded.
    """
    from ..nulls import valid_samples
    from ..sampling import sample_grid

    with gdal_env(path) as g:
        ds = open_raster(g, path)
        band_list = check_bands(bands, ds.RasterCount, path)
        rows, cols = ds.RasterYSize, ds.RasterXSize
        dtype = numpy_dtype(g, ds.GetRasterBand(band_list[0]), path)

        def read(picked_rows, picked_cols):
            out = np.empty((len(band_list), picked_rows.size, picked_cols.size), dtype)
            row_runs, col_runs = _runs(picked_rows), _runs(picked_cols)
            for i, b in enumerate(band_list):
                band = ds.GetRasterBand(b)
                for (r0, nr), (i0, _) in row_runs:
                    for (c0, nc), (j0, _) in col_runs:
                        band.ReadAsArray(c0, r0, nc, nr,
                                         buf_obj=out[i, i0:i0 + nr, j0:j0 + nc])
            return out.reshape(len(band_list), -1).T

        return sample_grid(rows, cols, sample_pixels, read,
                           lambda x: valid_samples(x, nodata))
