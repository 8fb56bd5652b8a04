"""Pixel windows: the one window type, the one bounds check, and the
geotransform of a window. No GDAL."""

from typing import NamedTuple

from .env import RasterError

#: Pixels per strip when a raster is read or copied strip by strip.
STRIP_PIXELS = 1 << 22


class Window(NamedTuple):
    """A pixel window: first row, first column, number of rows and columns."""

    row: int
    col: int
    rows: int
    cols: int


def check_window(window, rows, cols, path):
    """``window`` as a :class:`Window` inside a ``rows`` x ``cols`` raster;
    None means the whole raster.

    Raises
    ------
    RasterError
        One line naming ``path``: not four integers, empty, or outside.
    """
    if window is None:
        return Window(0, 0, int(rows), int(cols))
    try:
        win = Window(*(int(x) for x in window))
    except (TypeError, ValueError):
        raise RasterError(f"{path}: window: expected (row, col, rows, cols), "
                          f"got {window!r}") from None
    if (win.row < 0 or win.col < 0 or win.rows <= 0 or win.cols <= 0
            or win.row + win.rows > rows or win.col + win.cols > cols):
        raise RasterError(f"{path}: window {tuple(win)} outside the raster "
                          f"({rows} rows x {cols} cols)")
    return win


def row_strips(window, overlap=0):
    """Consecutive full-width windows of about :data:`STRIP_PIXELS` pixels
    covering ``window`` (a Window) top to bottom, each reaching ``overlap``
    rows into the next (inside ``window``)."""
    step = max(1, STRIP_PIXELS // window.cols)
    return [Window(window.row + r, window.col, min(step + overlap, window.rows - r),
                   window.cols) for r in range(0, window.rows, step)]


def window_geotransform(geotransform, window):
    """Geotransform of a window (row, col, ...) of a raster with ``geotransform``."""
    x0, dx, rx, y0, ry, dy = geotransform
    row, col = window[0], window[1]
    return (x0 + col * dx + row * rx, dx, rx, y0 + col * ry + row * dy, ry, dy)


def bounds_window(geotransform, bounds, rows, cols, path=""):
    """The pixel window covering map ``bounds`` (xmin, ymin, xmax, ymax) of
    a north-up raster: every pixel that the box overlaps (outward to whole
    pixels; overlaps below 1e-6 pixel do not count), clipped to the raster.

    Raises
    ------
    RasterError
        A rotated raster, xmin >= xmax or ymin >= ymax, or a box that
        misses the raster (one line naming ``path``).
    """
    import math

    x0, dx, rx, y0, ry, dy = geotransform
    xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    if rx or ry:
        raise RasterError(f"{path}: bounds need a north-up raster (this one is rotated)")
    if not (xmin < xmax and ymin < ymax):
        raise RasterError(f"{path}: bounds {tuple(bounds)}: need xmin < xmax and ymin < ymax")
    c = sorted(((xmin - x0) / dx, (xmax - x0) / dx))
    r = sorted(((ymax - y0) / dy, (ymin - y0) / dy))
    eps = 1e-6  # overlaps below a millionth of a pixel are rounding, not overlap
    col0, col1 = max(0, math.floor(c[0] + eps)), min(cols, math.ceil(c[1] - eps))
    row0, row1 = max(0, math.floor(r[0] + eps)), min(rows, math.ceil(r[1] - eps))
    if col0 >= col1 or row0 >= row1:
        ext = (x0, y0 + rows * dy, x0 + cols * dx, y0) if dy < 0 else \
            (x0, y0, x0 + cols * dx, y0 + rows * dy)
        raise RasterError(f"{path}: bounds {tuple(bounds)} miss the raster (extent "
                          f"{', '.join(f'{v:g}' for v in ext)})")
    return Window(row0, col0, row1 - row0, col1 - col0)
