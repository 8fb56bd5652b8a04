"""Quicklook PNGs of a segmentation, never the full raster in memory:

- ``scene_boundaries.png``: the scene at display size (at most
  :data:`QUICKLOOK_SIZE` pixels on the long side) with the segment
  boundaries drawn one pixel wide at full resolution and then reduced:
  each picture pixel is tinted towards the boundary colour by the share of
  boundary pixels in its footprint, so boundaries stay thin lines where the
  scale allows and become a light tint where segments are smaller than a
  picture pixel. A cyan frame marks the crop below.
- ``crop_boundaries.png``: a full-resolution window of
  :data:`CROP_SIZE` pixels where the scene has the most boundaries, with
  crisp one-pixel boundaries.
- ``segments_coloured.png``: the segments in their colour table.
"""

import numpy as np

from ..raster.display import display_size, read_display, write_png
from ..raster.rat import read_rgba
from ..raster.read import read_raster, read_segments
from .boundaries import boundary_grid, busiest_window, zoomed_boundaries

#: Longest side of a scene-scale quicklook, pixels.
QUICKLOOK_SIZE = 1024
#: Side of the crop picture, pixels (a window of CROP_SIZE / zoom raster
#: pixels, each drawn as zoom x zoom picture pixels).
CROP_SIZE = 1024
#: Zooms tried for the crop, smallest first: the first whose boundary share
#: is at most MAX_CROP_SHARE is used.
CROP_ZOOMS = (1, 2, 4, 8)
MAX_CROP_SHARE = 0.12
#: On the scene picture, only outlines of segments covering at least this
#: many picture pixels are drawn (smaller ones cannot be seen as areas).
MIN_VISIBLE_PIXELS = 144
#: Boundary colour (RGB) drawn over the scene.
BOUNDARY_RGB = (255, 255, 0)
#: Colour of the frame marking the crop on the scene picture.
FRAME_RGB = (0, 255, 255)


def display_shape(rows, cols, size=QUICKLOOK_SIZE):
    """(rows, cols) of a quicklook no larger than ``size`` on its long side."""
    scale = min(1.0, size / max(rows, cols))
    return max(1, round(rows * scale)), max(1, round(cols * scale))


def stretch_limits(image, valid, low=2, high=98):
    """(B, 2) per-band low..high percentiles over ``valid`` pixels."""
    out = np.zeros((image.shape[0], 2))
    for b, band in enumerate(image):
        vals = band[valid].astype(np.float64)
        out[b] = np.percentile(vals, [low, high]) if vals.size else (0.0, 1.0)
    return out


def stretch_to_byte(image, valid=None, limits=None, low=2, high=98):
    """(B, R, C) -> uint8 with a per-band linear stretch between ``limits``
    ((B, 2); default the low..high percentiles over ``valid`` pixels)."""
    if limits is None:
        limits = stretch_limits(image, valid, low, high)
    out = np.zeros(image.shape, np.uint8)
    for b, band in enumerate(image.astype(np.float64)):
        lo, hi = limits[b]
        scaled = (band - lo) / max(hi - lo, 1e-12) * 255.0
        out[b] = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    return out


def blend(rgb, weight, colour):
    """rgb (3, R, C) uint8 moved towards ``colour`` by ``weight`` (R, C) 0..1."""
    out = rgb.astype(np.float64)
    for b, value in enumerate(colour):
        out[b] += (value - out[b]) * weight
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _frame(rgb, window, scale, colour=FRAME_RGB):
    """Draw the outline of full-resolution ``window`` on the picture."""
    (sy, sx), (row, col, rows, cols) = scale, window
    r0, c0 = int(row * sy), int(col * sx)
    r1 = min(rgb.shape[1] - 1, int((row + rows) * sy))
    c1 = min(rgb.shape[2] - 1, int((col + cols) * sx))
    for b, value in enumerate(colour):
        rgb[b, [r0, r1], c0:c1 + 1] = value
        rgb[b, r0:r1 + 1, [c0, c1]] = value


def choose_crop(edge, full_shape, size=CROP_SIZE):
    """(window, zoom) of the crop: the busiest window of ``size / zoom``
    raster pixels for the smallest zoom in :data:`CROP_ZOOMS` whose
    expected boundary share (the reduced grid's, divided by the zoom) is
    at most :data:`MAX_CROP_SHARE`."""
    for zoom in CROP_ZOOMS:
        window = busiest_window(edge, full_shape, max(1, size // zoom))
        sy, sx = edge.shape[0] / full_shape[0], edge.shape[1] / full_shape[1]
        r0, c0 = int(window[0] * sy), int(window[1] * sx)
        part = edge[r0:max(r0 + 1, int((window[0] + window[2]) * sy)),
                    c0:max(c0 + 1, int((window[1] + window[3]) * sx))]
        if part.mean() / zoom <= MAX_CROP_SHARE:
            break
    return window, zoom


def write_quicklooks(image_path, segments_path, scene_png, crop_png, rgb_bands=(1, 2, 3)):
    """Write the scene-scale and the crop pictures.

    Parameters
    ----------
    image_path : str
        The scene (same grid as the segments).
    segments_path : str
        Segment raster with a Histogram RAT column (pixel counts).
    scene_png, crop_png : str
    rgb_bands : three 1-based bands of ``image_path`` shown as R, G, B.

    Returns
    -------
    dict
        ``boundary_share``: share of the scene picture's non-null pixels
        drawn at least half in boundary colour; ``crop_window`` (row, col,
        rows, cols) and ``crop_zoom``; ``crop_boundary_share``.
    """
    rows, cols = display_size(segments_path)
    shape = display_shape(rows, cols)
    scale = min(shape[0] / rows, shape[1] / cols)
    min_pixels = int(np.ceil(MIN_VISIBLE_PIXELS / scale**2))
    edge, valid_share = boundary_grid(segments_path, shape, min_pixels)
    valid = valid_share >= 0.5
    weight = np.minimum(1.0, edge / scale)  # a line one raster pixel wide -> 1
    image, _ = read_display(image_path, list(rgb_bands), shape, "Average")
    limits = stretch_limits(image, valid)
    rgb = blend(stretch_to_byte(image, limits=limits), weight, BOUNDARY_RGB)
    all_edges, _ = boundary_grid(segments_path, shape)
    window, zoom = choose_crop(all_edges, (rows, cols))
    if window[2] < rows or window[3] < cols:
        _frame(rgb, window, (shape[0] / rows, shape[1] / cols))
    alpha = np.where(valid, 255, 0).astype(np.uint8)
    write_png(scene_png, np.concatenate([rgb, alpha[None]]))

    labels = read_segments(segments_path, window)
    crop, _ = read_raster(image_path, list(rgb_bands), window)
    crop_rgb = np.repeat(np.repeat(stretch_to_byte(crop, limits=limits), zoom, 1), zoom, 2)
    crop_edge = zoomed_boundaries(labels, zoom)
    for b, value in enumerate(BOUNDARY_RGB):
        crop_rgb[b][crop_edge] = value
    crop_valid = np.repeat(np.repeat(labels > 0, zoom, 0), zoom, 1)
    write_png(crop_png, np.concatenate([crop_rgb, np.where(crop_valid, 255, 0).astype(
        np.uint8)[None]]))
    return {"boundary_share": float((weight[valid] >= 0.5).mean()) if valid.any() else 0.0,
            "crop_window": window, "crop_zoom": zoom,
            "crop_boundary_share": float(crop_edge[crop_valid].mean()) if crop_valid.any()
            else 0.0}


def segments_coloured(segments_path, out_path):
    """PNG of the segment image coloured by its RAT colour table (Red, Green,
    Blue, Alpha columns); without one, by a grey ramp of segment ID."""
    shape = display_shape(*display_size(segments_path))
    labels = read_display(segments_path, [1], shape, "NearestNeighbour")[0][0]
    table = read_rgba(segments_path)
    if table is None:
        n = max(int(labels.max()), 1)
        grey = (labels.astype(np.float64) / n * 255).astype(np.uint8)
        table_rgba = np.stack([grey, grey, grey, np.where(labels > 0, 255, 0).astype(np.uint8)])
        return write_png(out_path, table_rgba)
    return write_png(out_path, table[:, labels])
