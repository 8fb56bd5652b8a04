"""Training vectors: labelled points and polygons read with OGR, in the
coordinates of a raster's CRS (reprojected with OSR). No pixels here; see
:mod:`.rasterize` for putting the samples onto a segment grid."""

import os
from dataclasses import dataclass

import numpy as np

from .env import RasterError, gdal_env

#: Sample kinds.
POINT, POLYGON = 1, 2


class FieldError(RasterError):
    """The class field is missing or of a type that cannot hold classes."""


@dataclass(frozen=True)
class TrainingSamples:
    """The labelled samples of a vector layer, in the target CRS.

    A Point is one sample, a MultiPoint one sample per point, a Polygon or
    MultiPolygon one sample.

    Attributes
    ----------
    path : str
    field_type : str
        'integer' or 'string': the OGR type of the class field.
    labels : (S,) ndarray of int64 or str
        Class value of each sample.
    kinds : (S,) ndarray of uint8
        :data:`POINT` or :data:`POLYGON`.
    features : (S,) ndarray of int64
        Index of the sample's feature in file order (0-based).
    xy : (S, 2) ndarray of float64
        Map coordinates of points (NaN for polygons), target CRS.
    envelopes : (S, 4) ndarray of float64
        xmin, ymin, xmax, ymax of each sample, target CRS.
    polygons : list of bytes or None
        WKB (target CRS) of each polygon sample, None for points.
    skipped : dict of str to int
        Features left out and why: 'no_geometry' (null or empty),
        'no_class' (null class value).
    reprojected : bool
        The layer's CRS differed from the target's and was transformed.
    crs_assumed : bool
        The layer or the raster has no CRS; coordinates taken as they are.
    """

    path: str
    field_type: str
    labels: np.ndarray
    kinds: np.ndarray
    features: np.ndarray
    xy: np.ndarray
    envelopes: np.ndarray
    polygons: list
    skipped: dict
    reprojected: bool
    crs_assumed: bool

    def __len__(self):
        return len(self.kinds)


def _open_layer(g, path, layer):
    if not str(path).startswith("/vsi") and not os.path.exists(path):
        raise RasterError(f"{path}: no such file")
    try:
        ds = g.OpenEx(str(path), g.OF_VECTOR)
    except RuntimeError:
        ds = None
    if ds is None or ds.GetLayerCount() == 0:
        raise RasterError(f"{path}: not a vector file OGR can read")
    names = [ds.GetLayerByIndex(i).GetName() for i in range(ds.GetLayerCount())]
    if layer is None:
        return ds, ds.GetLayerByIndex(0)
    if layer not in names:
        raise RasterError(f"{path}: no layer {layer!r} (layers: {', '.join(names)})")
    return ds, ds.GetLayerByName(layer)


def _field_type(ogr, defn, class_field, path):
    names = [defn.GetFieldDefn(i).GetName() for i in range(defn.GetFieldCount())]
    if class_field not in names:
        raise FieldError(f"{path}: no field {class_field!r} for class_field "
                          f"(fields: {', '.join(names) or 'none'})")
    ftype = defn.GetFieldDefn(names.index(class_field)).GetType()
    if ftype in (ogr.OFTInteger, ogr.OFTInteger64):
        return "integer"
    if ftype == ogr.OFTString:
        return "string"
    raise FieldError(f"{path}: field {class_field!r} is of type "
                      f"{ogr.GetFieldTypeName(ftype)}; class_field must be an integer or "
                      "string field")


def _transform(osr, layer_srs, target_wkt):
    """(CoordinateTransformation or None, reprojected, crs_assumed)."""
    if layer_srs is None or not target_wkt:
        return None, False, True
    target = osr.SpatialReference()
    target.ImportFromWkt(target_wkt)
    source = layer_srs.Clone()
    for srs in (source, target):
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)  # x east, y north
    if source.IsSame(target):
        return None, False, False
    return osr.CoordinateTransformation(source, target), True, False


def read_training_samples(path, class_field, target_wkt, layer=None):
    """Read the labelled samples of a vector file in the CRS ``target_wkt``.

    Parameters
    ----------
    path : str
        Any vector format OGR reads (GeoPackage, GeoJSON, Shapefile, ...).
    class_field : str
        Integer or string attribute holding each feature's class.
    target_wkt : str
        CRS of the segment raster (WKT); '' = none (no reprojection).
    layer : str or None
        Layer name; None = the first layer.

    Returns
    -------
    TrainingSamples

    Raises
    ------
    RasterError
        One line naming the file: missing or unreadable, no such layer, a
        geometry that is neither point nor polygon, a failed reprojection;
        :class:`FieldError` for a missing class field or one of another
        type than integer or string.
    """
    with gdal_env(path) as g:
        from osgeo import ogr, osr

        ds, lyr = _open_layer(g, path, layer)
        defn = lyr.GetLayerDefn()
        field_type = _field_type(ogr, defn, class_field, path)
        ct, reprojected, assumed = _transform(osr, lyr.GetSpatialRef(), target_wkt)
        labels, kinds, features, xy, env, polys = [], [], [], [], [], []
        skipped = {"no_geometry": 0, "no_class": 0}
        lyr.ResetReading()
        for i, feat in enumerate(lyr):
            geom = feat.GetGeometryRef()
            if geom is None or geom.IsEmpty():
                skipped["no_geometry"] += 1
                continue
            if not feat.IsFieldSetAndNotNull(class_field):
                skipped["no_class"] += 1
                continue
            value = (feat.GetFieldAsInteger64(class_field) if field_type == "integer"
                     else feat.GetFieldAsString(class_field))
            geom = geom.Clone()
            # OGR's own exception switch is not gdal's: check the return code.
            if ct is not None and geom.Transform(ct) != 0:
                raise RasterError(f"{path}: feature {i}: cannot reproject it to the "
                                  "raster's CRS")
            flat = ogr.GT_Flatten(geom.GetGeometryType())
            if flat == ogr.wkbPoint:
                parts = [geom]
            elif flat == ogr.wkbMultiPoint:
                parts = [geom.GetGeometryRef(k) for k in range(geom.GetGeometryCount())]
            elif flat in (ogr.wkbPolygon, ogr.wkbMultiPolygon):
                parts = None
            else:
                raise RasterError(f"{path}: feature {i}: {ogr.GeometryTypeToName(flat)} "
                                  "geometry; training samples are points or polygons")
            if parts is None:
                xmin, xmax, ymin, ymax = geom.GetEnvelope()
                labels.append(value)
                kinds.append(POLYGON)
                features.append(i)
                xy.append((np.nan, np.nan))
                env.append((xmin, ymin, xmax, ymax))
                polys.append(bytes(geom.ExportToWkb(ogr.wkbNDR)))
                continue
            for p in parts:
                x, y = p.GetX(), p.GetY()
                labels.append(value)
                kinds.append(POINT)
                features.append(i)
                xy.append((x, y))
                env.append((x, y, x, y))
                polys.append(None)
        del lyr, ds  # the layer before its dataset
    dtype = np.int64 if field_type == "integer" else str
    return TrainingSamples(
        path=str(path), field_type=field_type,
        labels=np.asarray(labels, dtype) if labels else np.zeros(0, dtype),
        kinds=np.asarray(kinds, np.uint8), features=np.asarray(features, np.int64),
        xy=np.asarray(xy, np.float64).reshape(-1, 2),
        envelopes=np.asarray(env, np.float64).reshape(-1, 4), polygons=polys,
        skipped=skipped, reprojected=reprojected, crs_assumed=assumed)
