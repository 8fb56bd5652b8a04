"""The colour table of a segment raster in files beside it, for formats that
cannot hold one: a uint32 GeoTIFF (GTiff, COG) takes a colour table only
for Byte and UInt16 bands, so its colours (the RAT's Red, Green, Blue,
Alpha columns, kept in the .aux.xml) are also written as

- ``<stem>.clr``: one line ``ID R G B A`` (0-255) for null (0, transparent)
  and every segment, read by ``gdaldem color-relief SEGMENTS <stem>.clr
  OUT.tif -nearest_color_entry -alpha`` (GDAL 3.6's ``-exact_color_entry``
  matches only the first entry of a UInt32 band) and by QGIS (Paletted /
  Unique values renderer, "Load colour map from file");
- ``<stem>.qml``: a QGIS style with a paletted renderer, which QGIS loads
  by itself when it opens ``<stem>.tif`` (null is left out: transparent).
"""

import os

import numpy as np

from .._files import write_text_atomic
from ..raster.rat import read_rgba

#: QGIS version named in the style file (paletted renderers are read by 3.x).
QGIS_VERSION = "3.28"


def sidecar_paths(segments_path):
    """(``<stem>.clr``, ``<stem>.qml``) beside a segment raster."""
    stem = os.path.splitext(str(segments_path))[0]
    return stem + ".clr", stem + ".qml"


def colour_rows(segments_path):
    """(ids (N + 1,) int64, rgba (N + 1, 4) uint8) of null (0, transparent)
    and segments 1..N from the raster's RAT colour columns; ValueError (one
    line) without them."""
    table = read_rgba(segments_path)
    if table is None:
        raise ValueError(f"{segments_path}: no colour table (RAT columns with usages Red, "
                         "Green, Blue); add one with 'shepcore colour'")
    rgba = np.ascontiguousarray(table.T)
    rgba[0] = 0
    return np.arange(len(rgba), dtype=np.int64), rgba


def clr_text(ids, rgba):
    """``ID R G B A`` lines, one per segment."""
    rows = np.column_stack([ids, rgba.astype(np.int64)])
    return "".join(f"{i} {r} {g} {b} {a}\n" for i, r, g, b, a in rows.tolist())


def qml_text(ids, rgba):
    """A QGIS style (QML) drawing band 1 with a paletted renderer."""
    entries = "".join(
        f'        <paletteEntry value="{i}" color="#{r:02x}{g:02x}{b:02x}" alpha="{a}" '
        f'label="{i}"/>\n'
        for i, r, g, b, a in np.column_stack([ids, rgba.astype(np.int64)]).tolist())
    return (f"<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            f'<qgis version="{QGIS_VERSION}" styleCategories="Symbology">\n'
            "  <pipe>\n"
            '    <rasterrenderer type="paletted" band="1" opacity="1" alphaBand="-1" '
            'nodataColor="">\n'
            "      <rasterTransparency/>\n"
            "      <colorPalette>\n"
            f"{entries}"
            "      </colorPalette>\n"
            "    </rasterrenderer>\n"
            "  </pipe>\n"
            "</qgis>\n")


def write_colour_sidecars(segments_path, clr_out=None, qml_out=None):
    """Write the raster's colour table as ``.clr`` and ``.qml`` (atomically).

    Parameters
    ----------
    segments_path : str
        Segment raster with RAT colour columns (as ``shepcore colour`` or
        the workflow's colour_table writes them).
    clr_out, qml_out : str or None
        Default: :func:`sidecar_paths`.

    Returns
    -------
    (clr_out, qml_out) : paths written
    """
    default_clr, default_qml = sidecar_paths(segments_path)
    clr_out, qml_out = clr_out or default_clr, qml_out or default_qml
    ids, rgba = colour_rows(segments_path)
    write_text_atomic(clr_out, clr_text(ids, rgba))
    write_text_atomic(qml_out, qml_text(ids[1:], rgba[1:]))
    return clr_out, qml_out


def read_clr(path):
    """(ids (N,) int64, rgba (N, 4) uint8) of a ``.clr`` file as written here."""
    rows = np.loadtxt(path, dtype=np.int64, ndmin=2)
    if rows.shape[1] != 5:
        raise ValueError(f"{path}: expected lines 'ID R G B A', got {rows.shape[1]} fields")
    return rows[:, 0], rows[:, 1:].astype(np.uint8)
