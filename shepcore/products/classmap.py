"""The class map of a classified segmentation: a thematic raster (one class
code per pixel, colour table and class names in its RAT) and the
per-segment class table (Parquet), each from the per-segment predictions."""

import numpy as np

from .._files import atomic_path
from ..raster.classmap import write_lookup_raster
from .classes import class_colours

#: Class name of code 0 (null pixels) in the class raster's RAT.
NULL_NAME = ""


def read_predictions(path):
    """Iterate (segment_id, class, class_probability) arrays of a
    predictions Parquet file (:func:`.classify.classify_segments`), one row
    group at a time."""
    import pyarrow.parquet as pq

    f = pq.ParquetFile(path)
    for i in range(f.num_row_groups):
        t = f.read_row_group(i)
        yield (t.column("segment_id").to_numpy(), t.column("class").to_numpy(),
               t.column("class_probability").to_numpy())


def class_lookup(predictions_path, classes, nsegments):
    """(nsegments + 1,) class code of every segment ID (0 for the null ID
    0), in the class raster's dtype; every segment must be classified."""
    lut = np.zeros(nsegments + 1, classes.dtype)
    seen = 0
    for ids, codes, _ in read_predictions(predictions_path):
        lut[ids] = codes
        seen += len(ids)
    if seen != nsegments:
        raise ValueError(f"{predictions_path}: {seen} classified segments, the segment "
                         f"raster has {nsegments}")
    return lut


def write_class_table(predictions_path, classes, out_path):
    """Parquet ``out_path``: ``segment_id``, ``class``, ``class_name``,
    ``class_probability``, one row per segment (the row order of
    ``segments.parquet``), written one row group at a time, atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = classes.names_by_code()
    schema = pa.schema([("segment_id", pa.int64()), ("class", pa.int32()),
                        ("class_name", pa.string()), ("class_probability", pa.float64())])
    with atomic_path(out_path) as tmp, pq.ParquetWriter(tmp, schema) as writer:
        for ids, codes, prob in read_predictions(predictions_path):
            writer.write_table(pa.table({"segment_id": ids, "class": codes,
                                         "class_name": names[codes].tolist(),
                                         "class_probability": prob}, schema=schema))


def write_class_map(segments_path, predictions_path, classes, raster_path, fmt="HFA",
                    colours=None):
    """Write the class raster of a classified segmentation.

    Parameters
    ----------
    segments_path : str
        Segment raster (IDs 1..N).
    predictions_path : str
        Predictions of every segment (:func:`.classify.classify_segments`).
    classes : ClassTable
    raster_path : str
        Class raster: uint8 (codes up to 255) or uint16, nodata 0, the
        segment raster's grid; RAT rows = codes with ``Histogram``,
        ``class_name``, ``Red``, ``Green``, ``Blue``, ``Alpha``.
    fmt : 'HFA' or 'GTiff'
    colours : dict of str to (3,) ints, optional
        Colour by class name (default palette otherwise).

    Returns
    -------
    pixels : dict of str to int
        Pixels per class name.
    """
    from ..raster.rat import rat_columns

    rgba = class_colours(classes, colours)
    nrows, _ = rat_columns(segments_path)
    lut = class_lookup(predictions_path, classes, max(nrows - 1, 0))
    names = classes.names_by_code()
    names[0] = NULL_NAME
    columns = {"class_name": names, "Red": rgba[:, 0].astype(np.int32),
               "Green": rgba[:, 1].astype(np.int32), "Blue": rgba[:, 2].astype(np.int32),
               "Alpha": rgba[:, 3].astype(np.int32)}
    counts = write_lookup_raster(segments_path, lut, raster_path, fmt, columns)
    return {n: int(counts[c]) for c, n in zip(classes.codes, classes.names, strict=True)}
