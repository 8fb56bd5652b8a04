"""Thematic rasters made from a segment raster through a lookup table (a
class per segment): written strip by strip, with the segment raster's
georeferencing, nodata 0, a RAT (``Histogram`` plus the caller's columns),
a colour table and nearest-neighbour overviews; the file appears
atomically."""

import numpy as np

from .._files import atomic_path
from .env import RasterError, gdal_env
from .rat import DEFAULT_USAGES, RatColumn, rat_column_type, write_rat
from .read import open_segments
from .windows import STRIP_PIXELS
from .write import build_overviews, check_format, create_segment_band, overview_levels

#: Output data types by lookup-table dtype.
_TYPES = {np.dtype(np.uint8): "GDT_Byte", np.dtype(np.uint16): "GDT_UInt16"}


def _colour_table(g, columns, nrows):
    """A gdal.ColorTable from Red/Green/Blue(/Alpha) columns, or None."""
    if not {"Red", "Green", "Blue"} <= set(columns):
        return None
    alpha = columns.get("Alpha", np.full(nrows, 255))
    ct = g.ColorTable()
    for i in range(nrows):
        ct.SetColorEntry(i, tuple(int(columns[c][i]) for c in ("Red", "Green", "Blue"))
                         + (int(alpha[i]),))
    return ct


def _pad(values, nrows):
    """``values`` extended to ``nrows`` rows (0, or '' for strings)."""
    values = np.asarray(values)
    if values.dtype.kind in "USO":
        out = np.full(nrows, "", object)
        out[:len(values)] = [v.decode() if isinstance(v, bytes) else str(v) for v in values]
        return out
    out = np.zeros(nrows, values.dtype)
    out[:len(values)] = values
    return out


def write_lookup_raster(segments_path, lut, out_path, fmt, columns):
    """Write ``lut[segment ID]`` of every pixel of a segment raster.

    Parameters
    ----------
    segments_path : str
        Segment raster (one unsigned-integer band, 0 = null).
    lut : (N + 1,) ndarray of uint8 or uint16
        Value of each segment ID; ``lut[0]`` must be 0 (null stays null).
        IDs beyond the table are an error.
    out_path : str
    fmt : str
        'HFA' or 'GTiff'.
    columns : dict of str to (K + 1,) array
        RAT columns, row v = value v (usages by name: 'Red', 'Green',
        'Blue', 'Alpha' make the colour table, which a GeoTIFF also gets as
        its palette).

    Returns
    -------
    counts : (K + 1,) ndarray of int64
        Pixels of each value, row 0 the null pixels (the RAT's ``Histogram``
        column has 0 there).
    """
    lut = np.asarray(lut)
    if lut.dtype not in _TYPES or lut.ndim != 1 or not lut.size or lut[0] != 0:
        raise RasterError(f"{out_path}: lookup table must be 1-D uint8 or uint16 with "
                          "lut[0] = 0")
    fmt = check_format(fmt, out_path)
    nrows = max([int(lut.max()) + 1] + [len(v) for v in columns.values()])
    counts = np.zeros(nrows, np.int64)
    with gdal_env(segments_path) as g:
        src = open_segments(g, segments_path)
        sband = src.GetRasterBand(1)
        rows, cols = src.RasterYSize, src.RasterXSize
        strip = max(1, STRIP_PIXELS // cols)
        with atomic_path(out_path) as tmp, gdal_env(out_path):
            ds, band = create_segment_band(g, tmp, rows, cols, fmt, src.GetGeoTransform(),
                                           src.GetProjection(),
                                           getattr(g, _TYPES[lut.dtype]))
            for r in range(0, rows, strip):
                n = min(strip, rows - r)
                ids = sband.ReadAsArray(0, r, cols, n)
                if int(ids.max(initial=0)) >= lut.size:
                    raise RasterError(f"{segments_path}: segment ID {int(ids.max())} beyond "
                                      f"the {lut.size - 1} classified segments")
                values = lut[ids]
                counts += np.bincount(values.ravel(), minlength=nrows)
                band.WriteArray(values, 0, r)
            hist = counts.astype(np.float64)
            hist[0] = 0
            padded = {name: _pad(values, nrows) for name, values in columns.items()}
            # Built in memory and attached whole (the table is one row per
            # class): GDAL 3.6's HFA writes an empty string straight into
            # the file with heap bytes after its terminator, so the file's
            # bytes would differ from run to run.
            write_rat(g, band, out_path, nrows,
                      [(RatColumn("Histogram", "Real", "PixelCount"), hist)]
                      + [(RatColumn(name, rat_column_type(v), DEFAULT_USAGES.get(name, "Generic")),
                          v) for name, v in padded.items()],
                      in_memory=True)
            ct = _colour_table(g, padded, nrows)
            if ct is not None and fmt == "GTiff":
                band.SetRasterColorTable(ct)
            build_overviews(ds, overview_levels(rows, cols), fmt)
            ds.FlushCache()
            ds = band = None
    return counts
