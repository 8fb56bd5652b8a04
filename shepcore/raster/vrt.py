"""The mosaic of a scene: several rasters side by side, or band files
stacked, laid out on one grid and written as a GDAL VRT. The layout reads
headers only, so the workflow can check inputs and compute the tile grid
while it parses."""

import math
import os
from dataclasses import dataclass
from xml.sax.saxutils import escape

import numpy as np

from .._files import write_text_atomic
from .env import RasterError
from .grid import same_crs
from .read import check_bands, raster_info


@dataclass(frozen=True)
class MosaicLayout:
    """Where each input band goes in the mosaic.

    ``sources`` is a list per output band of (path, source band, row offset,
    col offset, rows, cols); ``nodata`` the scene's null value (or None).
    """

    rows: int
    cols: int
    dtype: np.dtype
    nodata: float | None
    geotransform: tuple
    projection: str
    sources: list

    @property
    def bands(self):
        """Number of bands of the mosaic."""
        return len(self.sources)


def mosaic_layout(inputs, stack_bands=False, bands=None, nodata=None, scene="scene"):
    """Check ``inputs`` and lay out their mosaic.

    Parameters
    ----------
    inputs : list of str
        Raster paths. Side by side (``stack_bands`` False): same CRS, pixel
        size and band count, placed by their geotransforms. Stacked: same
        grid, each input adds its bands in order.
    bands : list of int or None
        1-based bands of the mosaic to keep (after stacking); None = all.
    nodata : float or None
        Overrides the inputs' nodata value.

    Raises
    ------
    RasterError
        One line naming the file and the mismatch.
    """
    if not inputs:
        raise RasterError(f"scene {scene}: no input rasters")
    infos = [raster_info(p) for p in inputs]
    first = infos[0]
    for info in infos[1:]:
        _check_same(first, info, "CRS", same_crs(first.projection, info.projection))
        _check_same(first, info, "pixel size",
                    np.allclose(first.geotransform[1:3] + first.geotransform[4:6],
                                info.geotransform[1:3] + info.geotransform[4:6]))
        if info.dtype != first.dtype:
            raise RasterError(f"{info.path}: data type {info.dtype} differs from "
                              f"{first.dtype} of {first.path}")
        if first.geotransform[2] != 0 or first.geotransform[4] != 0:
            raise RasterError(f"{first.path}: rotated geotransforms are not supported")
    if nodata is None:
        nodata = first.nodata
    if nodata is not None:
        _check_nodata_fits(nodata, first.dtype, scene)
    if stack_bands:
        for info in infos[1:]:
            _check_same(first, info, "grid (size and origin)",
                        (info.rows, info.cols) == (first.rows, first.cols)
                        and np.allclose(info.geotransform, first.geotransform))
        sources = [(i.path, b, 0, 0, i.rows, i.cols) for i in infos
                   for b in range(1, i.bands + 1)]
        rows, cols, gt = first.rows, first.cols, first.geotransform
    else:
        for info in infos[1:]:
            if info.bands != first.bands:
                raise RasterError(f"{info.path}: {info.bands} bands, but {first.path} "
                                  f"has {first.bands}; side-by-side inputs need equal "
                                  "band counts (or set stack_bands: true)")
        rows, cols, gt, offsets = _union_grid(infos)
        sources = [[(i.path, b, r, c, i.rows, i.cols)
                    for i, (r, c) in zip(infos, offsets, strict=True)]
                   for b in range(1, first.bands + 1)]
    keep = check_bands(bands, len(sources), f"scene {scene}")
    sources = [sources[b - 1] for b in keep]
    if stack_bands:
        sources = [[s] for s in sources]
    return MosaicLayout(rows=rows, cols=cols, dtype=first.dtype, nodata=nodata,
                      geotransform=gt, projection=first.projection, sources=sources)


def _check_same(first, info, what, same):
    if not same:
        raise RasterError(f"{info.path}: {what} differs from {first.path}")


def _check_nodata_fits(nodata, dtype, scene):
    if np.isnan(nodata):
        if dtype.kind != "f":
            raise RasterError(f"scene {scene}: nodata NaN is not representable in {dtype}")
        return
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if nodata != int(nodata) or not info.min <= nodata <= info.max:
            raise RasterError(f"scene {scene}: nodata {nodata} is not representable "
                              f"in {dtype} ({info.min}..{info.max})")


def _union_grid(infos):
    """Rows, cols, geotransform of the union of ``infos`` and each input's
    (row, col) offset in it. Inputs must sit on whole-pixel offsets."""
    dx, dy = infos[0].geotransform[1], infos[0].geotransform[5]
    x0 = min(i.geotransform[0] for i in infos)
    y0 = max(i.geotransform[3] for i in infos) if dy < 0 else min(
        i.geotransform[3] for i in infos)
    offsets = []
    for i in infos:
        c = (i.geotransform[0] - x0) / dx
        r = (i.geotransform[3] - y0) / dy
        if abs(c - round(c)) > 1e-6 or abs(r - round(r)) > 1e-6:
            raise RasterError(f"{i.path}: not aligned to the pixel grid of {infos[0].path}")
        offsets.append((int(round(r)), int(round(c))))
    rows = max(r + i.rows for i, (r, _) in zip(infos, offsets, strict=True))
    cols = max(c + i.cols for i, (_, c) in zip(infos, offsets, strict=True))
    gt = (x0, dx, 0.0, y0, 0.0, dy)
    return rows, cols, gt, offsets


_GDAL_TYPES = {
    "uint8": "Byte", "int8": "Int8", "uint16": "UInt16", "int16": "Int16",
    "uint32": "UInt32", "int32": "Int32", "uint64": "UInt64", "int64": "Int64",
    "float32": "Float32", "float64": "Float64",
}


def write_vrt(layout, path):
    """Write the mosaic ``layout`` as a VRT at ``path`` (atomically).
    Source paths are absolute so the VRT can move."""
    dtype = _GDAL_TYPES[np.dtype(layout.dtype).name]
    lines = [f'<VRTDataset rasterXSize="{layout.cols}" rasterYSize="{layout.rows}">']
    if layout.projection:
        lines.append(f"  <SRS>{escape(layout.projection)}</SRS>")
    lines.append("  <GeoTransform>" + ", ".join(repr(float(v)) for v in layout.geotransform)
                 + "</GeoTransform>")
    for band, sources in enumerate(layout.sources, start=1):
        lines.append(f'  <VRTRasterBand dataType="{dtype}" band="{band}">')
        if layout.nodata is not None:
            lines.append(f"    <NoDataValue>{_fmt(layout.nodata)}</NoDataValue>")
        for src, src_band, r, c, nr, nc in sources:
            lines += [
                "    <SimpleSource>",
                f'      <SourceFilename relativeToVRT="0">{escape(os.path.abspath(src))}'
                "</SourceFilename>",
                f"      <SourceBand>{src_band}</SourceBand>",
                f'      <SrcRect xOff="0" yOff="0" xSize="{nc}" ySize="{nr}"/>',
                f'      <DstRect xOff="{c}" yOff="{r}" xSize="{nc}" ySize="{nr}"/>',
                "    </SimpleSource>",
            ]
        lines.append("  </VRTRasterBand>")
    lines.append("</VRTDataset>")
    write_text_atomic(path, "\n".join(lines) + "\n")


def _fmt(x):
    return "nan" if math.isnan(x) else repr(float(x))
