"""The training table: labelled points and polygons mapped onto segments,
one row per labelled segment with its features and class; saved as
Parquet with the class table and the sample counts in its metadata.

A point labels the segment under it. A polygon labels the segments whose
pixels it covers by majority: more than half of a segment's pixels lie
inside polygons of that class (pixel centres inside, burnt with
``gdal.Rasterize``). Each point is one vote for its segment, each such
polygon class one vote; the class with most votes labels the segment, and
a tie leaves it unlabelled (counted as conflicting). Samples outside the
raster or on null pixels are counted, never silently dropped.
"""

import json

import numpy as np

from .._files import atomic_path
from ..raster.rasterize import point_segments, polygon_segment_pixels
from ..raster.rat import rat_columns, read_rat_rows
from ..raster.read import raster_info
from ..raster.vectors import POINT, POLYGON, read_training_samples
from .classes import ClassTable, class_table
from .features import PIXEL_COUNT_COLUMNS, default_features, feature_matrix, needed_columns

#: Parquet metadata keys of a training table.
META_CLASSES, META_REPORT, META_FEATURES = (b"shepcore.classes", b"shepcore.samples",
                                            b"shepcore.features")


def _votes(seg, codes, weights=None):
    """(segments, codes, summed weights) of (segment, class) pairs, sorted;
    weights default to one vote per row."""
    seg, codes = np.asarray(seg, np.int64), np.asarray(codes, np.int64)
    if not seg.size:
        e = np.zeros(0, np.int64)
        return e, e, e
    span = int(codes.max()) + 1
    key, inverse = np.unique(seg * span + codes, return_inverse=True)
    w = np.ones(seg.size) if weights is None else np.asarray(weights, np.float64)
    return key // span, key % span, np.bincount(inverse, weights=w).astype(np.int64)


def _polygon_votes(segments, samples, poly_idx, codes_all, report):
    """Votes (segments, codes, ones) of polygon classes covering more than
    half of a segment's pixels; fills report['polygons'] and
    report['segments_partly_covered']."""
    wkbs = [samples.polygons[i] for i in poly_idx]
    seg, poly, pix = polygon_segment_pixels(segments, wkbs, samples.envelopes[poly_idx])
    n = len(poly_idx)
    on_seg = seg > 0
    any_px = np.bincount(poly, weights=pix, minlength=n)
    valid_px = np.bincount(poly[on_seg], weights=pix[on_seg], minlength=n)
    seg, poly, pix = seg[on_seg], poly[on_seg], pix[on_seg]
    code = codes_all[poly_idx][poly]
    s, c, covered = _votes(seg, code, pix)
    touched = np.unique(s)
    size = _pixel_counts(segments, touched)[np.searchsorted(touched, s)]
    major = 2 * covered > size
    span = 1 << 16  # codes < 65536
    hit = np.isin(seg * span + code, s[major] * span + c[major])
    report["polygons"] = {
        "total": n, "covering_no_pixel": int(np.sum(any_px == 0)),
        "only_null_pixels": int(np.sum((any_px > 0) & (valid_px == 0))),
        "labelling_segments": int(np.sum(np.bincount(poly[hit], minlength=n) > 0))}
    report["segments_partly_covered"] = int(touched.size - np.unique(s[major]).size)
    return s[major], c[major], np.ones(int(major.sum()), np.int64)


def _pixel_counts(segments, ids):
    """Pixel counts of segments ``ids`` (sorted) from the RAT."""
    if not len(ids):
        return np.zeros(0)
    names = [c.name for c in rat_columns(segments)[1]]
    column = next(c for c in PIXEL_COUNT_COLUMNS if c in names)
    return np.asarray(read_rat_rows(segments, column, ids), np.float64)


def label_segments(segments, training, class_field, *, layer=None, class_names=None):
    """Map the samples of a vector file onto the segments of a raster.

    Parameters
    ----------
    segments : str
        Segment raster with its RAT (the workflow's ``segments.img``).
    training : str
        Vector file of points and/or polygons (any OGR format); reprojected
        to the raster's CRS when they differ.
    class_field : str
        Integer or string field holding the class.
    layer : str, optional
    class_names : dict of int to str, optional
        Names of integer classes.

    Returns
    -------
    ids : (L,) ndarray of int64
        Labelled segments, ascending.
    codes : (L,) ndarray of int64
        Their class codes.
    votes : (L,) ndarray of int64
        Votes for the winning class.
    classes : ClassTable
        The classes of the labelled segments.
    report : dict
        Sample counts (JSON-ready): points outside the raster or on null
        pixels, polygons covering no pixel or only null pixels, segments
        partly covered, conflicting, labelled; per class.
    """
    info = raster_info(segments)
    samples = read_training_samples(training, class_field, info.projection, layer)
    report = {"training": str(training), "class_field": class_field,
              "field_type": samples.field_type, "reprojected": samples.reprojected,
              "crs_assumed": samples.crs_assumed, "skipped_features": samples.skipped}
    all_classes = class_table(samples.labels, class_names)
    codes_all = all_classes.code_of(samples.labels)
    pts = np.flatnonzero(samples.kinds == POINT)
    pt_seg = point_segments(segments, samples.xy[pts])
    report["points"] = {"total": int(pts.size), "outside_raster": int(np.sum(pt_seg < 0)),
                        "on_null_pixels": int(np.sum(pt_seg == 0)),
                        "on_segments": int(np.sum(pt_seg > 0))}
    on = pt_seg > 0
    s1, c1, v1 = _votes(pt_seg[on], codes_all[pts][on])
    polys = np.flatnonzero(samples.kinds == POLYGON)
    report["polygons"] = {"total": 0, "covering_no_pixel": 0, "only_null_pixels": 0,
                          "labelling_segments": 0}
    report["segments_partly_covered"] = 0
    s2, c2, v2 = (_polygon_votes(segments, samples, polys, codes_all, report) if polys.size
                  else (np.zeros(0, np.int64),) * 3)
    seg, code, votes = _votes(np.concatenate([s1, s2]), np.concatenate([c1, c2]),
                              np.concatenate([v1, v2]))
    ids, winners, top, conflicting = _winners(seg, code, votes)
    report["segments_conflicting"] = conflicting
    report["segments_labelled"] = int(ids.size)
    used = [k for k, c in enumerate(all_classes.codes) if c in set(winners.tolist())]
    classes = ClassTable(tuple(all_classes.values[k] for k in used),
                         tuple(all_classes.codes[k] for k in used),
                         tuple(all_classes.names[k] for k in used))
    report["classes"] = [
        {"class": c, "class_name": n, "value": v, "segments": int(np.sum(winners == c)),
         "point_samples": int(np.sum(codes_all[pts] == c)),
         "polygon_samples": int(np.sum(codes_all[polys] == c))}
        for v, c, n in zip(all_classes.values, all_classes.codes, all_classes.names,
                           strict=True)]
    return ids, winners, top, classes, report


def _winners(seg, code, votes):
    """Per segment the class with most votes; ties are conflicts (dropped)."""
    if not seg.size:
        e = np.zeros(0, np.int64)
        return e, e, e, 0
    order = np.lexsort((-votes, seg))
    seg, code, votes = seg[order], code[order], votes[order]
    first = np.r_[True, seg[1:] != seg[:-1]]
    start = np.flatnonzero(first)
    second = start + 1
    tied = np.zeros(start.size, bool)
    has2 = second < seg.size
    tied[has2] = (seg[second[has2]] == seg[start[has2]]) & (votes[second[has2]]
                                                             == votes[start[has2]])
    keep = start[~tied]
    return seg[keep], code[keep], votes[keep], int(tied.sum())


def check_training(classes, codes, min_per_class, where):
    """ValueError unless there are >= 2 classes of >= ``min_per_class``
    labelled segments each."""
    if len(classes) < 2:
        raise ValueError(f"{where}: {len(classes)} class{'es' if len(classes) != 1 else ''} "
                         f"on labelled segments ({', '.join(classes.names) or 'none'}); "
                         "at least 2 needed")
    for code, name in zip(classes.codes, classes.names, strict=True):
        n = int(np.sum(codes == code))
        if n < min_per_class:
            raise ValueError(f"{where}: class {name!r} has {n} labelled segment"
                             f"{'s' if n != 1 else ''}, fewer than folds ({min_per_class})")


def training_table(segments, training, class_field, features=None, *, layer=None,
                   class_names=None, min_per_class=2):
    """The training table of a segment raster and a vector of labelled samples.

    Parameters as :func:`label_segments`, plus ``features`` (RAT columns and
    derived features; None = :func:`.features.default_features`) and
    ``min_per_class`` (labelled segments each class needs, e.g. the folds).

    Returns
    -------
    table : dict of str to (L,) ndarray
        ``segment_id`` (int64, ascending), ``class`` (int64 code),
        ``class_name`` (str), ``votes`` (int64), then one float64 column per
        feature.
    classes : ClassTable
    features : list of str
    report : dict
        As :func:`label_segments`.

    Raises
    ------
    ValueError
        No sample on a segment, fewer than two classes, or a class with
        fewer than ``min_per_class`` labelled segments (one line).
    """
    ids, codes, votes, classes, report = label_segments(
        segments, training, class_field, layer=layer, class_names=class_names)
    if not ids.size:
        p = report["points"]
        raise ValueError(f"{training}: no training sample falls on a segment of {segments} "
                         f"({p['outside_raster']} points outside the raster, "
                         f"{p['on_null_pixels']} on null pixels, "
                         f"{report['polygons']['total']} polygons covering no segment by "
                         "majority)")
    check_training(classes, codes, min_per_class, str(training))
    names = [c.name for c in rat_columns(segments)[1]]
    features = default_features(names) if features is None else list(features)
    needed = needed_columns(features, names, where=f"{segments}: features")
    columns = {c: read_rat_rows(segments, c, ids) for c in needed}
    matrix = feature_matrix(columns, features)
    lookup = dict(zip(classes.codes, classes.names, strict=True))
    table = {"segment_id": ids, "class": codes,
             "class_name": np.asarray([lookup[c] for c in codes.tolist()], str),
             "votes": votes}
    table.update({f: matrix[:, i] for i, f in enumerate(features)})
    return table, classes, features, report


def save_training_table(path, table, classes, features, report):
    """Write a training table as Parquet, the class table, feature list and
    report in its metadata; atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    meta = {META_CLASSES: json.dumps(classes.to_dict()).encode(),
            META_FEATURES: json.dumps(list(features)).encode(),
            META_REPORT: json.dumps(report).encode()}
    t = pa.table({k: np.asarray(v) for k, v in table.items()})
    with atomic_path(path) as tmp:
        pq.write_table(t.replace_schema_metadata(meta), tmp)


def load_training_table(path):
    """(table dict of ndarrays, ClassTable, features, report) of a saved
    training table."""
    import pyarrow.parquet as pq

    t = pq.read_table(path)
    meta = t.schema.metadata or {}
    if META_CLASSES not in meta:
        raise ValueError(f"{path}: not a shepcore training table (no class metadata)")
    table = {name: t.column(name).to_numpy() for name in t.column_names}
    return (table, ClassTable.from_dict(json.loads(meta[META_CLASSES])),
            json.loads(meta[META_FEATURES]), json.loads(meta[META_REPORT]))
