"""Polygons of a segment raster: one (multi)polygon per segment, with the
segment's RAT columns as attributes, written to a GeoPackage."""

from .io import atomic_path, gdal_errors, read_rat


def polygonize(segments_path, out_path, layer="segments"):
    """Write one feature per segment of ``segments_path`` to GeoPackage
    ``out_path`` (atomically).

    Pixels are traced 4-connected, so every piece is a valid polygon; a
    segment made of several pieces (8-connected segments touching only at
    corners) becomes one MultiPolygon. Attributes: ``segment_id`` and every
    RAT column of the raster. Returns the number of features.
    """
    with gdal_errors(segments_path) as g:
        from osgeo import ogr

        ds = g.Open(str(segments_path))
        band = ds.GetRasterBand(1)
        columns = read_rat(segments_path)
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
        # A fixed timestamp in gpkg_contents keeps reruns byte-identical.
        old_date = g.GetConfigOption("OGR_CURRENT_DATE")
        g.SetConfigOption("OGR_CURRENT_DATE", old_date or "2000-01-01T00:00:00.000Z")
        with atomic_path(out_path) as tmp:
            out = ogr.GetDriverByName("GPKG").CreateDataSource(tmp)
            lyr = out.CreateLayer(layer, srs=srs, geom_type=ogr.wkbMultiPolygon)
            lyr.CreateField(ogr.FieldDefn("segment_id", ogr.OFTInteger64))
            kinds = {}
            for name, values in columns.items():
                kind = (ogr.OFTInteger64 if values.dtype.kind in "iu"
                        else ogr.OFTReal if values.dtype.kind == "f" else ogr.OFTString)
                kinds[name] = kind
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
        g.SetConfigOption("OGR_CURRENT_DATE", old_date)
        return len(geoms)

