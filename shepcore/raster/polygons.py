"""Polygons of a segment raster: GDAL's Polygonize traced straight into a
GeoPackage on disk (one transaction, no spatial index), read back in
ascending segment ID in batches with the pieces of each segment joined
into one MultiPolygon, and written with pyogrio's Arrow writer.

Nothing here holds more than one batch of polygons in memory, so memory
does not grow with the raster. Polygonize traces pixels 4-connected, so
every piece is a valid polygon; pieces of one segment touch at most at
corners, so their MultiPolygon is valid too. GDAL is the system's
``osgeo`` (tracing) and pyogrio's own (bulk writing); both stay here.
"""

import contextlib

import numpy as np

from .env import gdal_env
from .read import open_segments

#: gpkg_contents timestamp written when the user sets no OGR_CURRENT_DATE,
#: so that reruns give byte-identical files.
FIXED_DATE = "2000-01-01T00:00:00.000Z"
#: Polygon pieces read back per batch: peak memory follows the batch (on the
#: demo mosaic tiled 3 x 3, 16384 pieces took about 140 MB, 2048 about 20 MB).
BATCH_PIECES = 2048
#: GDAL block cache while tracing (rows are read once, top to bottom; the
#: default, 5 % of RAM, would let the cache grow with the raster).
TRACE_CACHE_BYTES = 32 << 20
#: GeoPackage version written (GDAL 3.6 warns on reading 1.4 files).
GPKG_VERSION = "1.2"
_MULTIPOLYGON = b"\x01\x06\x00\x00\x00"  # little-endian WKB MultiPolygon header


def trace_pieces(segments_path, pieces_path, progress=None):
    """Polygonize a segment raster into GeoPackage ``pieces_path``.

    Layer ``pieces``: one Polygon per 4-connected piece of a segment, field
    ``segment_id``; null pixels (mask band) are left out. An index on
    ``segment_id`` makes reading in ID order a stream.

    progress : callable(fraction) or None
        Called as GDAL works down the rows (0..1).

    Returns
    -------
    (number of pieces, CRS as WKT ('' if none))
    """
    with gdal_env(segments_path, cache_bytes=TRACE_CACHE_BYTES) as g:
        from osgeo import ogr

        ds = open_segments(g, segments_path)
        band = ds.GetRasterBand(1)
        out = ogr.GetDriverByName("GPKG").CreateDataSource(pieces_path)
        lyr = out.CreateLayer("pieces", srs=ds.GetSpatialRef(), geom_type=ogr.wkbPolygon,
                              options=["SPATIAL_INDEX=NO"])
        lyr.CreateField(ogr.FieldDefn("segment_id", ogr.OFTInteger64))
        # GDAL can report more than 1 on small rasters.
        callback = None if progress is None else (lambda f, *_: progress(min(1.0, f)) or 1)
        lyr.StartTransaction()
        g.Polygonize(band, band.GetMaskBand(), lyr, 0, [], callback=callback)
        lyr.CommitTransaction()
        count = lyr.GetFeatureCount()
        out.ExecuteSQL("CREATE INDEX pieces_segment_id ON pieces (segment_id)")
        out = None
        return count, ds.GetProjection()


def _multipolygons(ids, wkb):
    """Group consecutive equal ``ids`` (sorted) and join their polygon WKB
    into one MultiPolygon WKB each. Returns (unique ids, list of bytes)."""
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    ends = np.r_[starts[1:], len(ids)]
    geoms = [_MULTIPOLYGON + int(e - s).to_bytes(4, "little") + b"".join(wkb[s:e])
             for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]
    return ids[starts], geoms


def segment_polygons(pieces_path, batch_pieces=None):
    """Yield (ids (M,) int64 ascending, MultiPolygon WKB list of M bytes)
    batches from the pieces of :func:`trace_pieces`; every segment comes
    once, whole, with all its pieces (in tracing order)."""
    import pyogrio.raw

    batch_pieces = batch_pieces or BATCH_PIECES
    sql = "SELECT segment_id, geom FROM pieces ORDER BY segment_id, fid"
    held_ids, held_wkb = np.zeros(0, np.int64), []
    with pyogrio.raw.open_arrow(pieces_path, sql=sql, batch_size=batch_pieces,
                                use_pyarrow=True) as (_, reader):
        for batch in reader:
            ids = np.concatenate([held_ids, batch.column(0).to_numpy().astype(np.int64)])
            wkb = held_wkb + batch.column(1).to_pylist()
            if not len(ids):
                continue
            # The last segment may go on in the next batch: hold it back.
            cut = int(np.searchsorted(ids, ids[-1]))
            held_ids, held_wkb = ids[cut:], wkb[cut:]
            if cut:
                yield _multipolygons(ids[:cut], wkb[:cut])
    if len(held_ids):
        yield _multipolygons(held_ids, held_wkb)


@contextlib.contextmanager
def _pyogrio_options(options):
    import pyogrio

    old = {k: pyogrio.get_gdal_config_option(k) for k in options}
    pyogrio.set_gdal_config_options({k: old[k] or v for k, v in options.items()})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(old)


def write_gpkg(out_path, schema, batches, crs, layer="segments"):
    """Write Arrow record batches as one GeoPackage layer of MultiPolygons.

    schema : pyarrow.Schema of the batches, with a binary (WKB) column
    ``geometry``; batches : iterable of pyarrow.RecordBatch; crs : WKT.
    The timestamp in gpkg_contents is fixed (:data:`FIXED_DATE`, unless
    OGR_CURRENT_DATE is set), so equal inputs give equal bytes.
    """
    import pyarrow as pa
    import pyogrio

    reader = pa.RecordBatchReader.from_batches(schema, batches)
    with _pyogrio_options({"OGR_CURRENT_DATE": FIXED_DATE}):
        pyogrio.write_arrow(reader, out_path, layer=layer, driver="GPKG",
                            geometry_name="geometry", geometry_type="MultiPolygon",
                            crs=crs or None, dataset_options={"VERSION": GPKG_VERSION})
