"""The raster layer: every use of GDAL in shepcore lives here.

Modules: :mod:`.env` (GDAL state and errors), :mod:`.windows`, :mod:`.read`,
:mod:`.grid` (same grid, same CRS), :mod:`.write` (segment rasters),
:mod:`.rat` (the RAT writer and readers), :mod:`.copy` (copies with new
IDs or columns), :mod:`.vrt` (mosaics), :mod:`.display` (quicklook reads
and PNGs), :mod:`.polygons` (GeoPackage polygons), :mod:`.vectors`
(training vectors, OGR and OSR), :mod:`.rasterize` (samples onto a
segment grid), :mod:`.classmap` (class rasters). GDAL itself is imported
on first use, so importing this package is cheap.
"""

from .copy import add_rat_columns, copy_segment_raster
from .env import RasterError, gdal_env
from .grid import check_same_grid, same_crs
from .rat import RatColumn, rat_columns, read_rat, read_rat_rows
from .read import RasterInfo, band_details, raster_info, read_grid_sample, read_raster
from .vrt import MosaicLayout, mosaic_layout, write_vrt
from .windows import Window, window_geotransform
from .write import FORMATS, SegmentRasterWriter, output_path, overview_levels, write_segments

__all__ = [
    "FORMATS", "MosaicLayout", "RasterError", "RasterInfo", "RatColumn",
    "SegmentRasterWriter", "Window", "add_rat_columns", "band_details", "check_same_grid",
    "copy_segment_raster", "gdal_env", "mosaic_layout", "output_path", "overview_levels",
    "rat_columns",
    "raster_info", "read_grid_sample", "read_raster", "read_rat", "read_rat_rows",
    "same_crs", "window_geotransform", "write_segments", "write_vrt",
]
