"""Training samples onto a segment raster's grid: the segment under each
point, and the segment pixels each polygon covers (burnt with
``gdal.Rasterize``, strip by strip, so memory does not grow with the
raster). Coordinates are in the raster's CRS (see :mod:`.vectors`)."""

import numpy as np

from .env import gdal_env
from .read import open_segments
from .windows import Window, row_strips, window_geotransform

#: Name of the burn-value field of the in-memory polygon layer.
_BURN_FIELD = "_polygon"


def pixel_of(geotransform, x, y):
    """(row, col) float64 arrays of map coordinates ``x``, ``y`` (arrays)
    under ``geotransform`` (any affine GDAL geotransform)."""
    x0, dx, rx, y0, ry, dy = geotransform
    det = dx * dy - rx * ry
    u, v = np.asarray(x, np.float64) - x0, np.asarray(y, np.float64) - y0
    col = (dy * u - rx * v) / det
    row = (-ry * u + dx * v) / det
    return row, col


def point_segments(segments_path, xy):
    """Segment ID under each point.

    Parameters
    ----------
    segments_path : str
        Segment raster (one unsigned-integer band, 0 = null).
    xy : (S, 2) ndarray of float64
        Map coordinates in the raster's CRS.

    Returns
    -------
    ids : (S,) ndarray of int64
        The segment ID of the pixel holding each point (0 = a null pixel),
        -1 for a point outside the raster (or with non-finite coordinates).
        A point on a pixel edge belongs to the pixel right of / below it.
    """
    xy = np.asarray(xy, np.float64).reshape(-1, 2)
    out = np.full(len(xy), -1, np.int64)
    with gdal_env(segments_path) as g:
        ds = open_segments(g, segments_path)
        band = ds.GetRasterBand(1)
        row, col = pixel_of(ds.GetGeoTransform(), xy[:, 0], xy[:, 1])
        with np.errstate(invalid="ignore"):
            inside = ((row >= 0) & (row < ds.RasterYSize) & (col >= 0)
                      & (col < ds.RasterXSize))
        idx = np.flatnonzero(inside)
        r = np.floor(row[idx]).astype(np.int64)
        c = np.floor(col[idx]).astype(np.int64)
        for rr in np.unique(r):
            on_row = r == rr
            c0, c1 = int(c[on_row].min()), int(c[on_row].max())
            line = band.ReadAsArray(c0, int(rr), c1 - c0 + 1, 1)[0]
            out[idx[on_row]] = line[c[on_row] - c0]
    return out


def _pixel_window(geotransform, envelopes, rows, cols):
    """Pixel Window covering the union of (xmin, ymin, xmax, ymax)
    envelopes, clipped to the raster, or None when it misses the raster."""
    xmin, ymin = envelopes[:, 0].min(), envelopes[:, 1].min()
    xmax, ymax = envelopes[:, 2].max(), envelopes[:, 3].max()
    r, c = pixel_of(geotransform, [xmin, xmin, xmax, xmax], [ymin, ymax, ymin, ymax])
    r0, r1 = max(0, int(np.floor(r.min()))), min(rows, int(np.ceil(r.max())) + 1)
    c0, c1 = max(0, int(np.floor(c.min()))), min(cols, int(np.ceil(c.max())) + 1)
    if r0 >= r1 or c0 >= c1:
        return None
    return Window(r0, c0, r1 - r0, c1 - c0)


def polygon_segment_pixels(segments_path, polygons, envelopes):
    """Pixels of each segment covered by each polygon.

    A pixel is covered by a polygon when its centre lies inside it
    (``gdal.Rasterize`` without ALL_TOUCHED); where polygons overlap, the
    later one in the list takes the pixel (GDAL's burn order).

    Parameters
    ----------
    segments_path : str
        Segment raster (0 = null).
    polygons : list of bytes
        WKB polygons or multipolygons in the raster's CRS.
    envelopes : (P, 4) ndarray of float64
        xmin, ymin, xmax, ymax of each polygon (only this part of the
        raster is read).

    Returns
    -------
    segment : (K,) ndarray of int64
        Segment ID (0 = null pixels covered by the polygon).
    polygon : (K,) ndarray of int64
        0-based polygon index.
    pixels : (K,) ndarray of int64
        Covered pixels; one row per (segment, polygon) pair with any,
        sorted by segment, then polygon.
    """
    empty = np.zeros(0, np.int64)
    if not polygons:
        return empty, empty, empty
    npoly = len(polygons)
    with gdal_env(segments_path) as g:
        from osgeo import ogr

        ds = open_segments(g, segments_path)
        band = ds.GetRasterBand(1)
        gt = ds.GetGeoTransform()
        win = _pixel_window(gt, np.asarray(envelopes, np.float64).reshape(-1, 4),
                            ds.RasterYSize, ds.RasterXSize)
        if win is None:
            return empty, empty, empty
        vec = g.GetDriverByName("Memory").Create("", 0, 0, 0, g.GDT_Unknown)
        layer = vec.CreateLayer("polygons", geom_type=ogr.wkbUnknown)
        layer.CreateField(ogr.FieldDefn(_BURN_FIELD, ogr.OFTInteger))
        for i, wkb in enumerate(polygons):
            feat = ogr.Feature(layer.GetLayerDefn())
            feat.SetField(_BURN_FIELD, i + 1)
            feat.SetGeometry(ogr.CreateGeometryFromWkb(wkb))
            layer.CreateFeature(feat)
        keys, counts = [], []
        for strip in row_strips(win):
            mem = g.GetDriverByName("MEM").Create("", strip.cols, strip.rows, 1, g.GDT_Int32)
            mem.SetGeoTransform(window_geotransform(gt, strip))
            g.Rasterize(mem, vec, layers=["polygons"], attribute=_BURN_FIELD)
            burnt = mem.GetRasterBand(1).ReadAsArray().ravel()
            covered = np.flatnonzero(burnt)
            if not covered.size:
                continue
            seg = band.ReadAsArray(strip.col, strip.row, strip.cols, strip.rows).ravel()
            key = seg[covered].astype(np.int64) * (npoly + 1) + burnt[covered]
            k, n = np.unique(key, return_counts=True)
            keys.append(k)
            counts.append(n)
    if not keys:
        return empty, empty, empty
    k, inverse = np.unique(np.concatenate(keys), return_inverse=True)
    n = np.bincount(inverse, weights=np.concatenate(counts)).astype(np.int64)
    return k // (npoly + 1), k % (npoly + 1) - 1, n
