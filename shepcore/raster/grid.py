"""Are two rasters on the same pixel grid? One CRS comparison and one grid
check for the whole package."""

from .env import RasterError
from .read import raster_info


def same_crs(wkt_a, wkt_b):
    """True when two WKT strings name the same CRS (``osr.IsSame``); two
    rasters without a CRS match, one with and one without do not."""
    if wkt_a == wkt_b:
        return True
    if not wkt_a or not wkt_b:
        return False
    from osgeo import osr

    a, b = osr.SpatialReference(), osr.SpatialReference()
    a.ImportFromWkt(wkt_a)
    b.ImportFromWkt(wkt_b)
    return bool(a.IsSame(b))


def crs_name(wkt):
    """Short name of a CRS, e.g. 'WGS 84 / UTM zone 54N (EPSG:32654)';
    'none' without one."""
    if not wkt:
        return "none"
    from osgeo import osr

    srs = osr.SpatialReference()
    srs.ImportFromWkt(wkt)
    name = srs.GetName() or "unnamed"
    code = srs.GetAuthorityCode(None)
    return f"{name} ({srs.GetAuthorityName(None)}:{code})" if code else name


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
    if not same_crs(a.projection, b.projection):
        problems.append("CRS differ")
    if problems:
        raise RasterError(f"grids differ: {path_a} vs {path_b}: " + "; ".join(problems))
    return a, b
