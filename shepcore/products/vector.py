"""Polygons of a segment raster: one (multi)polygon per segment, with the
segment's RAT columns as attributes, written to a GeoPackage."""

from ..raster.polygons import polygonize_to_gpkg
from ..raster.rat import read_rat


def polygonize(segments_path, out_path, layer="segments"):
    """Write one feature per segment of ``segments_path`` to GeoPackage
    ``out_path`` (atomically).

    Pixels are traced 4-connected, so every piece is a valid polygon; a
    segment made of several pieces (8-connected segments touching only at
    corners) becomes one MultiPolygon. Attributes: ``segment_id`` and every
    RAT column of the raster. Returns the number of features.
    """
    return polygonize_to_gpkg(segments_path, out_path, read_rat(segments_path), layer)
