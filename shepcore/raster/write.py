"""Writing uint32 segment rasters: thematic band, nodata 0, georeferencing,
``Histogram`` RAT column and nearest-neighbour overviews, written window by
window and renamed into place only when complete.

Formats (:data:`FORMATS`): HFA (.img, RAT inside the file), GTiff and COG
(.tif, RAT in the PAM .aux.xml sidecar). GDAL's COG driver only copies
whole datasets, so a COG is first written as a tiled GeoTIFF (the
"staging" file beside the temporary output, with its overviews) and then
copied into Cloud Optimized layout by :func:`finish_format`.
"""

import contextlib
import os
import sys

import numpy as np

from .._files import atomic_path
from .env import RasterError, gdal, gdal_env
from .rat import RatColumn, rat_column_type, write_rat
from .read import RasterInfo, raster_info

#: Output formats: GDAL driver -> (file extension, creation options).
FORMATS = {
    "HFA": (".img", ["COMPRESSED=YES"]),
    "GTiff": (".tif", ["TILED=YES", "COMPRESS=DEFLATE", "BIGTIFF=IF_SAFER"]),
    # 512 x 512 tiles, DEFLATE, the staging file's NEAREST overviews inside.
    # (PREDICTOR=YES made the demo's segments 28 % larger.)
    "COG": (".tif", ["COMPRESS=DEFLATE", "BIGTIFF=IF_SAFER", "OVERVIEWS=AUTO",
                     "RESAMPLING=NEAREST", "OVERVIEW_RESAMPLING=NEAREST"]),
}
#: Formats whose file cannot hold a colour table for uint32 IDs (GeoTIFF
#: allows one only for Byte and UInt16 bands); their colours go to sidecars.
NO_COLOUR_TABLE = ("GTiff", "COG")
#: GDAL block cache while writing a segment raster: written blocks only need
#: to wait for their turn on disk, and the default (5 % of RAM) would let one
#: job's memory grow with the raster.
WRITE_CACHE_BYTES = 128 << 20
#: Overviews are built until the smaller side is below this many pixels.
MIN_OVERVIEW_SIZE = 256


def output_path(stem, fmt):
    """``stem`` plus the extension of output format ``fmt``."""
    return stem + FORMATS[fmt][0]


def check_format(fmt, path):
    """``fmt`` if it is a key of :data:`FORMATS`, else RasterError."""
    if fmt not in FORMATS:
        raise RasterError(f"{path}: output format {fmt!r} not supported "
                          f"(choose from {', '.join(FORMATS)})")
    return fmt


def overview_levels(rows, cols):
    """Overview factors 2, 4, ... while the smaller side stays >= MIN_OVERVIEW_SIZE."""
    levels = []
    f = 2
    while min(rows, cols) // f >= MIN_OVERVIEW_SIZE:
        levels.append(f)
        f *= 2
    return levels


def build_overviews(ds, levels, fmt, path=""):
    """Nearest-neighbour overviews of ``ds`` at factors ``levels``. An HFA
    file keeps them in an .rrd beside it (HFA_USE_RRD): inside the .img
    they would share its 2 GB of 32-bit offsets with the RAT, and a mosaic
    of 1.6 gigapixels and 1.8 million segments ran out of them (GDAL could
    not add the 33rd statistics column)."""
    if not levels:
        return
    with gdal_env(path, options={"HFA_USE_RRD": "YES"} if fmt == "HFA" else None):
        ds.BuildOverviews("NEAREST", list(levels))


def add_counts(counts, labels):
    """``counts`` (int64, any length) plus the pixel count of every ID in
    ``labels``; returns the (possibly longer) array."""
    new = np.bincount(np.asarray(labels).ravel())
    if new.size > counts.size:
        new[: counts.size] += counts
        return new
    counts[: new.size] += new
    return counts


def staging_path(tmp):
    """Where a COG is written as a plain tiled GeoTIFF before its copy to
    ``tmp`` (beside it, in the atomic writer's hidden folder)."""
    return tmp + ".staging.tif"


def create_segment_band(g, tmp, rows, cols, fmt, geotransform, projection, data_type=None,
                        metadata=None, band_metadata=None):
    """Create a one-band thematic raster at ``tmp`` (for COG: its staging
    GeoTIFF, see :func:`finish_format`): georeferenced, nodata 0, optional
    dataset and band metadata (dicts). Returns (dataset, band)."""
    driver, path, options = fmt, tmp, FORMATS[fmt][1]
    if fmt == "COG":
        driver, path, options = "GTiff", staging_path(tmp), FORMATS["GTiff"][1]
    ds = g.GetDriverByName(driver).Create(path, cols, rows, 1,
                                          g.GDT_UInt32 if data_type is None else data_type,
                                          options=options)
    ds.SetGeoTransform(tuple(geotransform))
    if projection:
        ds.SetProjection(projection)
    if metadata is not None:
        ds.SetMetadata(metadata)
    band = ds.GetRasterBand(1)
    if band_metadata is not None:
        band.SetMetadata(band_metadata)
    band.SetMetadataItem("LAYER_TYPE", "thematic")
    band.SetNoDataValue(0)
    return ds, band


def finish_format(g, tmp, fmt):
    """Complete a raster whose dataset is closed: for COG, copy the staging
    GeoTIFF (pixels, overviews, RAT in its .aux.xml) into Cloud Optimized
    layout at ``tmp`` and delete the staging files; other formats are done."""
    if fmt != "COG":
        return
    stage = staging_path(tmp)
    src = g.Open(stage)
    out = g.GetDriverByName("COG").CreateCopy(tmp, src, options=FORMATS["COG"][1])
    del out, src  # closing writes the file and its .aux.xml
    for path in (stage, stage + ".aux.xml"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


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
        GDAL driver, a key of :data:`FORMATS` ("HFA" default, "GTiff" or "COG").
    overviews : bool
    """

    def __init__(self, path, rows, cols, geotransform, projection, fmt="HFA",
                 overviews=True):
        self.path = str(path)
        self.fmt = check_format(fmt, path)
        self.shape = (int(rows), int(cols))
        self.geotransform = tuple(geotransform)
        self.projection = projection
        self.overviews = overviews
        self.counts = np.zeros(1, np.int64)
        self._columns = []
        self._ds = None

    def __enter__(self):
        with contextlib.ExitStack() as stack:
            self._tmp = stack.enter_context(atomic_path(self.path))
            cache = min(gdal().GetCacheMax(), WRITE_CACHE_BYTES)
            stack.enter_context(gdal_env(self.path, cache_bytes=cache, map_errors=False))
            with gdal_env(self.path) as g:
                self._ds, _ = create_segment_band(g, self._tmp, *self.shape, self.fmt,
                                                  self.geotransform, self.projection)
            self._stack = stack.pop_all()
        return self

    def write(self, labels, row=0, col=0):
        """Write labels (rows, cols) uint32 at pixel offset (row, col)."""
        labels = np.ascontiguousarray(labels, np.uint32)
        if (labels.ndim != 2 or row < 0 or col < 0 or row + labels.shape[0] > self.shape[0]
                or col + labels.shape[1] > self.shape[1]):
            raise RasterError(f"{self.path}: window of shape {labels.shape} at ({row}, {col}) "
                              f"is outside the raster {self.shape}")
        self.counts = add_counts(self.counts, labels)
        with gdal_env(self.path):
            self._ds.GetRasterBand(1).WriteArray(labels, int(col), int(row))

    def add_column(self, name, values, usage="Generic"):
        """Add a RAT column (row i = segment i); ``usage`` a GFU_ name suffix
        such as 'Generic', 'PixelCount', 'Red'. Integer values -> integer
        column (real if beyond 32 bits), float -> real, str -> string."""
        values = np.asarray(values)
        self._columns.append((RatColumn(name, rat_column_type(values), usage), values))

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self._finish()
        except BaseException:
            self._ds = None
            if not self._stack.__exit__(*sys.exc_info()):
                raise
            return False
        self._ds = None  # closes the dataset before the rename
        if exc_type is None:
            try:
                with gdal_env(self.path) as g:
                    finish_format(g, self._tmp, self.fmt)
            except BaseException:
                if not self._stack.__exit__(*sys.exc_info()):
                    raise
                return False
        return self._stack.__exit__(exc_type, exc, tb)

    def _finish(self):
        with gdal_env(self.path) as g:
            counts = self.counts.astype(np.float64)
            counts[0] = 0
            cols = [(RatColumn("Histogram", "Real", "PixelCount"), counts)] + self._columns
            nrows = max(len(v) for _, v in cols)
            write_rat(g, self._ds.GetRasterBand(1), self.path, nrows, cols)
            if self.overviews:
                build_overviews(self._ds, overview_levels(*self.shape), self.fmt, self.path)
            self._ds.FlushCache()


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
