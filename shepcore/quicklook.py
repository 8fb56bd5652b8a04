"""Quicklook PNGs of a segmentation, read at display size (overviews where
the files have them), never the full raster in memory."""

import numpy as np

from .io import atomic_path, gdal_errors

#: Longest side of a quicklook, pixels.
QUICKLOOK_SIZE = 1024
#: Boundary colour (RGB) drawn over the scene.
BOUNDARY_RGB = (255, 255, 0)


def display_shape(rows, cols, size=QUICKLOOK_SIZE):
    """(rows, cols) of a quicklook no larger than ``size`` on its long side."""
    scale = min(1.0, size / max(rows, cols))
    return max(1, round(rows * scale)), max(1, round(cols * scale))


def _read_small(g, path, bands, shape, resample):
    ds = g.Open(str(path))
    out = np.stack([
        ds.GetRasterBand(b).ReadAsArray(buf_xsize=shape[1], buf_ysize=shape[0],
                                        resample_alg=getattr(g, f"GRIORA_{resample}"))
        for b in bands
    ])
    nodata = ds.GetRasterBand(bands[0]).GetNoDataValue()
    return out, nodata


def stretch_to_byte(image, valid, low=2, high=98):
    """(B, R, C) -> uint8 with a per-band low..high percentile stretch over
    ``valid`` pixels."""
    out = np.zeros(image.shape, np.uint8)
    for b, band in enumerate(image.astype(np.float64)):
        vals = band[valid]
        if vals.size == 0:
            continue
        lo, hi = np.percentile(vals, [low, high])
        scaled = (band - lo) / max(hi - lo, 1e-12) * 255.0
        out[b] = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    return out


def boundaries(labels):
    """(R, C) bool: pixels whose right or lower neighbour is in another segment."""
    edge = np.zeros(labels.shape, bool)
    edge[:, :-1] |= labels[:, :-1] != labels[:, 1:]
    edge[:-1, :] |= labels[:-1, :] != labels[1:, :]
    return edge & (labels > 0)


def write_png(path, rgba):
    """Write (3 or 4, R, C) uint8 as a PNG (atomically)."""
    with gdal_errors(path) as g:
        mem = g.GetDriverByName("MEM").Create("", rgba.shape[2], rgba.shape[1],
                                              rgba.shape[0], g.GDT_Byte)
        for b in range(rgba.shape[0]):
            mem.GetRasterBand(b + 1).WriteArray(rgba[b])
        with atomic_path(path) as tmp:
            g.GetDriverByName("PNG").CreateCopy(tmp, mem)
        return path


def scene_with_boundaries(image_path, segments_path, out_path, rgb_bands=(1, 2, 3)):
    """PNG of the scene (bands ``rgb_bands``, 2-98 % stretch) with segment
    boundaries drawn in yellow; null pixels transparent."""
    with gdal_errors(image_path) as g:
        ds = g.Open(str(segments_path))
        shape = display_shape(ds.RasterYSize, ds.RasterXSize)
        labels, _ = _read_small(g, segments_path, [1], shape, "NearestNeighbour")
        labels = labels[0]
        image, nodata = _read_small(g, image_path, list(rgb_bands), shape, "Average")
    valid = labels > 0
    rgb = stretch_to_byte(image, valid)
    edge = boundaries(labels)
    for b, value in enumerate(BOUNDARY_RGB):
        rgb[b][edge] = value
    alpha = np.where(valid, 255, 0).astype(np.uint8)
    return write_png(out_path, np.concatenate([rgb, alpha[None]]))


def segments_coloured(segments_path, out_path):
    """PNG of the segment image coloured by its RAT colour table (Red, Green,
    Blue, Alpha columns); without one, by a grey ramp of segment ID."""
    with gdal_errors(segments_path) as g:
        ds = g.Open(str(segments_path))
        shape = display_shape(ds.RasterYSize, ds.RasterXSize)
        labels = _read_small(g, segments_path, [1], shape, "NearestNeighbour")[0][0]
        table = _colour_columns(g, ds.GetRasterBand(1))
    if table is None:
        n = max(int(labels.max()), 1)
        grey = (labels.astype(np.float64) / n * 255).astype(np.uint8)
        table_rgba = np.stack([grey, grey, grey, np.where(labels > 0, 255, 0).astype(np.uint8)])
        return write_png(out_path, table_rgba)
    rgba = np.stack([col[labels] for col in table]).astype(np.uint8)
    return write_png(out_path, rgba)


def _colour_columns(g, band):
    """[red, green, blue, alpha] arrays from the RAT by usage, or None."""
    rat = band.GetDefaultRAT()
    if rat is None:
        return None
    usage = {rat.GetUsageOfCol(i): i for i in range(rat.GetColumnCount())}
    wanted = [g.GFU_Red, g.GFU_Green, g.GFU_Blue]
    if not all(u in usage for u in wanted):
        return None
    cols = [np.asarray(rat.ReadAsArray(usage[u])) for u in wanted]
    alpha = (np.asarray(rat.ReadAsArray(usage[g.GFU_Alpha])) if g.GFU_Alpha in usage
             else np.full(len(cols[0]), 255))
    return [*cols, alpha]
