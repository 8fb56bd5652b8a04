"""Polygons of a segment raster: one (multi)polygon per segment, with the
segment's RAT columns as attributes, as a GeoPackage or as GeoParquet.

Tracing and the GeoPackage writer are in :mod:`shepcore.raster.polygons`;
this module attaches the attributes (read from the RAT for each batch of
segment IDs, so never the whole table at once) and writes GeoParquet with
geopandas (WKB geometry, CRS as PROJJSON in the ``geo`` metadata).
"""

import contextlib
import os

import numpy as np

from .._files import atomic_path
from ..raster.polygons import segment_polygons, trace_pieces, write_gpkg
from ..raster.rat import rat_columns, rat_rows

#: Output kinds by file extension.
KINDS = {".gpkg": "gpkg", ".parquet": "parquet", ".geoparquet": "parquet"}


def vector_kind(path):
    """'gpkg' or 'parquet' from the extension of ``path``; ValueError else."""
    ext = os.path.splitext(str(path))[1].lower()
    if ext not in KINDS:
        raise ValueError(f"{path}: unknown polygon format {ext or '(no extension)'!r} "
                         f"(use {', '.join(KINDS)})")
    return KINDS[ext]


def _attribute_batches(segments_path, polygons):
    """pyarrow record batches (segment_id, RAT columns..., geometry)."""
    import pyarrow as pa

    nrows, columns = rat_columns(segments_path)
    if not columns:
        for ids, geoms in polygons:
            yield pa.record_batch({"segment_id": pa.array(ids, pa.int64()),
                                   "geometry": pa.array(geoms, pa.binary())})
        return
    with rat_rows(segments_path) as read:
        yield from _joined(read, nrows, columns, polygons)


def _joined(read, nrows, columns, polygons):
    import pyarrow as pa

    for ids, geoms in polygons:
        arrays = {"segment_id": pa.array(ids, pa.int64())}
        inside = ids < nrows
        for col in columns:
            values = read(col.name, ids[inside])
            if values.dtype.kind == "S":
                values = values.astype(str)
            full = np.zeros(len(ids), values.dtype) if values.dtype.kind != "U" else \
                np.full(len(ids), "", values.dtype)
            full[inside] = values
            arrays[col.name] = pa.array(full)
        arrays["geometry"] = pa.array(geoms, pa.binary())
        yield pa.record_batch(arrays)


def _schema(segments_path, crs):
    """Arrow schema of the batches (from an empty batch of the RAT's types)."""
    import pyarrow as pa

    _, columns = rat_columns(segments_path)
    kinds = {"Integer": pa.int32(), "Real": pa.float64(), "String": pa.string()}
    fields = [pa.field("segment_id", pa.int64())]
    fields += [pa.field(c.name, kinds[c.type]) for c in columns]
    return pa.schema(fields + [pa.field("geometry", pa.binary())])


def _write_geoparquet(out, schema, batches, crs):
    """GeoParquet through geopandas (one file; the frame is built whole)."""
    import geopandas
    import pyarrow as pa
    import shapely

    table = pa.Table.from_batches(list(batches), schema=schema)
    frame = table.drop_columns(["geometry"]).to_pandas()
    geometry = shapely.from_wkb(table.column("geometry").to_numpy(zero_copy_only=False))
    gdf = geopandas.GeoDataFrame(frame, geometry=geometry, crs=crs or None)
    gdf.to_parquet(out, index=False, compression="zstd")


def polygonize(segments_path, out_path, layer="segments", progress=None):
    """Write one feature per segment of ``segments_path`` to ``out_path``
    (atomically): a GeoPackage (``.gpkg``) or GeoParquet (``.parquet``).

    Pixels are traced 4-connected, so every piece is a valid polygon; every
    segment is one MultiPolygon of its pieces (one piece, except for
    8-connected segments touching only at corners). Features are in
    ascending segment ID. Attributes: ``segment_id`` and every RAT column
    of the raster. The GeoPackage has a spatial index and is written in
    bounded memory; GeoParquet is written by geopandas from one frame
    (about the size of the file in memory).

    progress : callable(fraction) or None
        Share of the raster's rows traced, 0..1.

    Returns the number of features.
    """
    kind = vector_kind(out_path)
    with atomic_path(out_path) as tmp:
        pieces = tmp + ".pieces.gpkg"
        try:
            _, crs = trace_pieces(segments_path, pieces, progress)
            count = [0]

            def counted(batches):
                for b in batches:
                    count[0] += b.num_rows
                    yield b

            schema = _schema(segments_path, crs)
            batches = counted(_attribute_batches(segments_path, segment_polygons(pieces)))
            if kind == "gpkg":
                write_gpkg(tmp, schema, batches, crs, layer)
            else:
                _write_geoparquet(tmp, schema, batches, crs)
        finally:
            for suffix in ("", "-journal", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(pieces + suffix)
    return count[0]
