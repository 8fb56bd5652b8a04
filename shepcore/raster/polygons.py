"""Polygons of a segment raster through GDAL's Polygonize, written with
OGR to a GeoPackage."""

from .._files import atomic_path
from .env import gdal_env
from .read import open_segments

#: gpkg_contents timestamp written when the user sets no OGR_CURRENT_DATE,
#: so that reruns give byte-identical files.
FIXED_DATE = "2000-01-01T00:00:00.000Z"


def polygonize_to_gpkg(segments_path, out_path, columns, layer="segments"):
    """One (multi)polygon feature per segment of ``segments_path``.

    Pixels are traced 4-connected, so every piece is a valid polygon; the
    pieces of one segment become one MultiPolygon. Attributes:
    ``segment_id`` and ``columns`` ({name: (N + 1,) array}, row i = segment
    i). Written atomically to GeoPackage ``out_path``. Returns the number
    of features.
    """
    with gdal_env(segments_path, options={"OGR_CURRENT_DATE": FIXED_DATE}) as g:
        from osgeo import ogr

        ds = open_segments(g, segments_path)
        band = ds.GetRasterBand(1)
        mem = ogr.GetDriverByName("Memory").CreateDataSource("pieces")
        srs = ds.GetSpatialRef()
        pieces = mem.CreateLayer("pieces", srs=srs, geom_type=ogr.wkbPolygon)
        pieces.CreateField(ogr.FieldDefn("segment_id", ogr.OFTInteger64))
        g.Polygonize(band, band.GetMaskBand(), pieces, 0, [])
        geoms = {}
        for feat in pieces:
            sid = feat.GetField(0)
            geom = feat.GetGeometryRef().Clone()
            if sid in geoms:
                prev = geoms[sid]
                if prev.GetGeometryType() != ogr.wkbMultiPolygon:
                    multi = ogr.Geometry(ogr.wkbMultiPolygon)
                    multi.AddGeometry(prev)
                    prev = multi
                prev.AddGeometry(geom)
                geoms[sid] = prev
            else:
                geoms[sid] = geom
        with atomic_path(out_path) as tmp:
            out = ogr.GetDriverByName("GPKG").CreateDataSource(tmp)
            lyr = out.CreateLayer(layer, srs=srs, geom_type=ogr.wkbMultiPolygon)
            lyr.CreateField(ogr.FieldDefn("segment_id", ogr.OFTInteger64))
            for name, values in columns.items():
                kind = (ogr.OFTInteger64 if values.dtype.kind in "iu"
                        else ogr.OFTReal if values.dtype.kind == "f" else ogr.OFTString)
                lyr.CreateField(ogr.FieldDefn(name, kind))
            defn = lyr.GetLayerDefn()
            lyr.StartTransaction()
            for sid in sorted(geoms):
                feat = ogr.Feature(defn)
                feat.SetField("segment_id", int(sid))
                for name, values in columns.items():
                    v = values[sid]
                    v = v.item() if hasattr(v, "item") else v
                    feat.SetField(name, v.decode() if isinstance(v, bytes) else v)
                feat.SetGeometry(ogr.ForceToMultiPolygon(geoms[sid]))
                lyr.CreateFeature(feat)
            lyr.CommitTransaction()
            out = None
        return len(geoms)
