"""Reading rasters at display size (from overviews where the file has
them) and writing PNG pictures, for quicklooks."""

import numpy as np

from .._files import atomic_path
from .env import gdal_env
from .read import open_raster


def display_size(path):
    """(rows, cols) of a raster, read from its header."""
    with gdal_env(path) as g:
        ds = open_raster(g, path)
        return ds.RasterYSize, ds.RasterXSize


def read_display(path, bands, shape, resample):
    """Bands of ``path`` resampled to ``shape`` (rows, cols).

    resample : str
        A GDAL resampling name ('NearestNeighbour', 'Average', ...).

    Returns (image (B, rows, cols) in the file's dtype, nodata of the first
    band or None).
    """
    with gdal_env(path) as g:
        ds = open_raster(g, path)
        out = np.stack([
            ds.GetRasterBand(b).ReadAsArray(buf_xsize=shape[1], buf_ysize=shape[0],
                                            resample_alg=getattr(g, f"GRIORA_{resample}"))
            for b in bands
        ])
        return out, ds.GetRasterBand(bands[0]).GetNoDataValue()


def write_png(path, rgba):
    """Write (3 or 4, R, C) uint8 as a PNG (atomically)."""
    with gdal_env(path) as g:
        mem = g.GetDriverByName("MEM").Create("", rgba.shape[2], rgba.shape[1],
                                              rgba.shape[0], g.GDT_Byte)
        for b in range(rgba.shape[0]):
            mem.GetRasterBand(b + 1).WriteArray(rgba[b])
        with atomic_path(path) as tmp:
            g.GetDriverByName("PNG").CreateCopy(tmp, mem)
        return path
