"""Per-segment classification features: columns of the attribute table
(RAT or Parquet) plus derived ones, as float64 matrices; read from a
segment raster's RAT in row chunks so memory stays bounded."""

import re

import numpy as np

from ..raster.rat import rat_columns, rat_reader

#: Band statistic columns, e.g. B3_mean, B1_p90.
BAND_COLUMN = re.compile(r"^B\d+_\w+$")
#: Columns holding a segment's pixel count, in order of preference.
PIXEL_COUNT_COLUMNS = ("pixel_count", "Histogram")
#: Derived features: name -> the table columns it is computed from
#: (the pixel count is any of PIXEL_COUNT_COLUMNS).
DERIVED = {"compactness": ("edge_pixels",)}
#: Default spatial features besides the band statistics.
DEFAULT_SPATIAL = ("area", "compactness")


def compactness(pixel_count, edge_pixels):
    """Compactness of segments from their pixel and edge-pixel counts.

    ``4 * sqrt(pixel_count) / (edge_pixels + 4)``: exactly 1 for a square
    of s x s pixels (s >= 2: 4s - 4 edge pixels), about 1.25 for a digital
    disc, towards 0 for thin or ragged segments (a line of n pixels:
    4 sqrt(n) / (n + 4)). ``edge_pixels`` counts pixels with a 4-neighbour
    in another segment or null (not the raster border), so a segment cut by
    the raster border looks more compact than it is.

    Parameters
    ----------
    pixel_count, edge_pixels : (N,) array-like of numbers

    Returns
    -------
    (N,) ndarray of float64
    """
    n = np.asarray(pixel_count, np.float64)
    e = np.asarray(edge_pixels, np.float64)
    return 4.0 * np.sqrt(n) / (e + 4.0)


def available_features(columns):
    """The features a table with ``columns`` (names) offers: its band
    statistics, spatial and count columns, and the derived features whose
    inputs it has, in table order then derived. Colour columns are left out."""
    cols = list(columns)
    colour = {"Red", "Green", "Blue", "Alpha", "Opacity"}
    out = [c for c in cols if c not in colour and c != "segment_id"
           and not c.startswith("class")]
    has_count = any(c in cols for c in PIXEL_COUNT_COLUMNS)
    out += [name for name, needs in DERIVED.items()
            if has_count and all(c in cols for c in needs) and name not in out]
    return out


def default_features(columns):
    """Every band statistic column plus ``area`` and ``compactness`` where
    the table (column names ``columns``) has them or their inputs."""
    offered = available_features(columns)
    return ([c for c in offered if BAND_COLUMN.match(c)]
            + [c for c in DEFAULT_SPATIAL if c in offered])


def check_features(features, columns, where="features"):
    """``features`` as a list, every name a column or derived feature of a
    table with ``columns``; ValueError naming the first that is not."""
    features = list(features)
    if not features:
        raise ValueError(f"{where}: no features")
    offered = available_features(columns)
    for name in features:
        if name not in offered:
            hint = (f"needs columns {', '.join(DERIVED[name])} and a pixel count"
                    if name in DERIVED else "not a column of the statistics")
            raise ValueError(f"{where}: {name!r} {hint} (available: {', '.join(offered)})")
    if len(set(features)) != len(features):
        raise ValueError(f"{where}: a feature is listed twice")
    return features


def needed_columns(features, columns, where="features"):
    """Table columns to read for ``features`` from a table with ``columns``
    (a derived feature needs its inputs and a pixel count), in order."""
    features = check_features(features, columns, where)
    count = [c for c in PIXEL_COUNT_COLUMNS if c in columns][:1]
    needed = []
    for name in features:
        inputs = (*DERIVED[name], *count) if name in DERIVED and name not in columns \
            else (name,)
        needed += [c for c in inputs if c not in needed]
    return needed


def _pixel_count(table):
    for name in PIXEL_COUNT_COLUMNS:
        if name in table:
            return table[name]
    raise ValueError(f"no pixel count column ({' or '.join(PIXEL_COUNT_COLUMNS)})")


def feature_matrix(table, features):
    """(N, F) float64 matrix of ``features`` from ``table``.

    Parameters
    ----------
    table : mapping of str to (N,) array
        Columns of the attribute table (a dict, a pandas DataFrame, ...).
    features : list of str
        Column names and derived features (:data:`DERIVED`).

    Raises
    ------
    ValueError
        A feature the table cannot give, or a non-finite value.

    A derived feature that is a column of ``table`` (e.g. of a training
    table) is taken as it is.
    """
    features = check_features(features, list(table.keys()))
    cols = []
    for name in features:
        if name in table:
            values = np.asarray(table[name], np.float64)
        else:  # derived (check_features made sure its inputs are there)
            values = compactness(_pixel_count(table), table["edge_pixels"])
        if not np.all(np.isfinite(values)):
            raise ValueError(f"features: column {name!r} has non-finite values")
        cols.append(values)
    return np.stack(cols, axis=1)


def rat_feature_chunks(segments_path, features, chunk_rows):
    """Feature matrices of the segments of a raster, from its RAT, in chunks.

    Yields
    ------
    first : int
        Segment ID of the chunk's first row (1, 1 + chunk_rows, ...).
    matrix : (n, F) ndarray of float64
        ``features`` of segments first .. first + n - 1 (at most
        ``chunk_rows`` rows; only the columns needed are read).
    """
    nrows, columns = rat_columns(segments_path)
    names = [c.name for c in columns]
    needed = needed_columns(features, names, where=f"{segments_path}: features")
    readers = {c: rat_reader(segments_path, names.index(c), nrows) for c in needed}
    for start in range(1, nrows, chunk_rows):
        stop = min(nrows, start + chunk_rows)
        yield start, feature_matrix({c: read(start, stop) for c, read in readers.items()},
                                    features)
