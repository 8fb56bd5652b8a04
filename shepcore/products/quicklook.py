"""Quicklook PNGs of a segmentation, read at display size (overviews where
the files have them), never the full raster in memory."""

import numpy as np

from ..raster.display import display_size, read_display, write_png
from ..raster.rat import read_rgba

#: Longest side of a quicklook, pixels.
QUICKLOOK_SIZE = 1024
#: Boundary colour (RGB) drawn over the scene.
BOUNDARY_RGB = (255, 255, 0)


def display_shape(rows, cols, size=QUICKLOOK_SIZE):
    """(rows, cols) of a quicklook no larger than ``size`` on its long side."""
    scale = min(1.0, size / max(rows, cols))
    return max(1, round(rows * scale)), max(1, round(cols * scale))


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


def scene_with_boundaries(image_path, segments_path, out_path, rgb_bands=(1, 2, 3)):
    """PNG of the scene (bands ``rgb_bands``, 2-98 % stretch) with segment
    boundaries drawn in yellow; null pixels transparent."""
    shape = display_shape(*display_size(segments_path))
    labels = read_display(segments_path, [1], shape, "NearestNeighbour")[0][0]
    image, _ = read_display(image_path, list(rgb_bands), shape, "Average")
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
    shape = display_shape(*display_size(segments_path))
    labels = read_display(segments_path, [1], shape, "NearestNeighbour")[0][0]
    table = read_rgba(segments_path)
    if table is None:
        n = max(int(labels.max()), 1)
        grey = (labels.astype(np.float64) / n * 255).astype(np.uint8)
        table_rgba = np.stack([grey, grey, grey, np.where(labels > 0, 255, 0).astype(np.uint8)])
        return write_png(out_path, table_rgba)
    return write_png(out_path, table[:, labels])
