"""Jobs of rules/attributes.smk: per-strip partial statistics (map) and the
final segment raster with its statistics and colour table (reduce), with
the config's statistics and colour settings turned into library calls.
(The table, polygons, quicklooks and summary are products, called by their
scripts directly.) Heavy modules are imported where they are used."""

import json
import os
import sys
import tempfile

import numpy as np

from .._files import write_text_atomic

#: The file that marks a statistics folder complete (written last).
MANIFEST = "parts.json"
#: Working-memory budget of one statistics job, MB (see shepcore.stats).
STATS_MEMORY_MB = 256


def statistic_names(settings):
    """Statistic names for shepcore.stats from the config's ``statistics``
    list ({'percentile': P} -> 'pP'); 'mean' is added when the colour table
    comes from band means."""
    names = []
    for item in settings["stats"]["statistics"]:
        name = f"p{item['percentile']:g}" if isinstance(item, dict) else str(item)
        if name not in names:
            names.append(name)
    if settings["colour_table"]["mode"] == "stats" and "mean" not in names:
        names.append("mean")
    return names


def stats_band_list(settings, nbands):
    """1-based bands to compute statistics for: the configured ones plus,
    for a colour table from statistics, its three bands."""
    bands = settings["stats"]["bands"]
    bands = list(range(1, nbands + 1)) if bands == "all" else list(bands)
    for b in colour_bands(settings, nbands):
        if settings["colour_table"]["mode"] == "stats" and b not in bands:
            bands.append(b)
    return bands


def colour_bands(settings, nbands):
    """The three bands whose means colour the segments."""
    rgb = settings["colour_table"]["rgb_bands"]
    if rgb:
        return list(rgb)
    bands = settings["stats"]["bands"]
    bands = list(range(1, nbands + 1)) if bands == "all" else list(bands)
    return (bands * 3)[:3] if len(bands) < 3 else bands[:3]


def spatial_names(settings):
    """Spatial statistic names of the config (shorthands kept)."""
    return list(settings["stats"]["spatial"])


def partial_stats_to_dir(segments, mosaic, window, settings, nbands, out_dir):
    """Partial statistics of a window of the stitched raster, split into
    memory-bounded sub-windows, saved as ``out_dir/part_NNNNNN.npz``.
    Returns the number of partials."""
    from ..stats.partial import write_partials

    paths = write_partials(segments, mosaic, out_dir, window=window,
                           memory_mb=STATS_MEMORY_MB, bands=stats_band_list(settings, nbands),
                           statistics=statistic_names(settings),
                           spatial=spatial_names(settings), progress=_window_done)
    # Written last: the folder is complete when its manifest says so.
    parts = [{"name": os.path.basename(p), "bytes": os.path.getsize(p)} for p in paths]
    write_text_atomic(os.path.join(out_dir, MANIFEST),
                      json.dumps({"window": [int(x) for x in window], "parts": parts}))
    return len(paths)


def _window_done(i, n, window, seconds):
    print(f"statistics window {i + 1} of {n} {tuple(window)}: {seconds:.2f} s",
          file=sys.stderr)


def listed_partials(folder):
    """The partial files a statistics folder's manifest lists, or None when
    the manifest is missing or a listed file is gone or of another size
    (deleted or damaged after its job, which Snakemake cannot see)."""
    try:
        with open(os.path.join(folder, MANIFEST)) as f:
            parts = json.load(f)["parts"]
    except (OSError, ValueError, KeyError):
        return None
    paths = [os.path.join(folder, p["name"]) for p in parts]
    for path, part in zip(paths, parts, strict=True):
        if not os.path.exists(path) or os.path.getsize(path) != part["bytes"]:
            return None
    return paths


def usable_partials(part_dirs, windows, rebuild):
    """Partial files of every tile row, in row order. A row folder that is
    not complete (see :func:`listed_partials`) is computed again by
    ``rebuild(window, i)`` -> paths, into a folder of the caller's (never
    into the other job's output), so a rerun gives the same bytes."""
    files = []
    for i, (folder, window) in enumerate(zip(part_dirs, windows, strict=True)):
        listed = listed_partials(folder)
        if listed is None:
            print(f"{folder}: partial statistics incomplete; computing its window "
                  f"{tuple(window)} again", file=sys.stderr)
            listed = rebuild(window, i)
        files += listed
    return files


def colour_table(settings, columns, n, segments, nbands):
    """(N + 1, 4) uint8 RGBA table by colour_table.mode, or None for 'none'.
    ``columns``: at least the ``B{band}_mean`` columns of the colour bands.

    'stats': the means of the three colour bands, each stretched from its
    5th to 95th percentile to 0..255, percentiles weighted by segment pixel
    count so that the stretch matches the image's pixel distribution.
    """
    from ..products.colour import random_colours, stretch_colours
    from ..raster.rat import read_rat

    mode = settings["colour_table"]["mode"]
    if mode == "none":
        return None
    if mode == "random":
        return random_colours(n, settings["colour_table"]["seed"], labels=segments)
    red, green, blue = (columns[f"B{b}_mean"] for b in colour_bands(settings, nbands))
    weights = np.asarray(read_rat(segments, ["Histogram"])["Histogram"], np.float64)
    return stretch_colours(red, green, blue, missing_value=settings["stats"]["missing_value"],
                           weights=weights)


def attribute_raster(stitched, part_dirs, settings, nbands, fmt, out, mosaic, windows):
    """Write the final segment raster ``out``: a copy of the stitched raster
    (its files, where the format allows: no pixel is decoded) with the
    statistics columns, streamed range by range from the partials, and the
    colour table in its RAT. part_dirs and windows: the statistics folder
    and window of every tile row (an incomplete folder is computed again
    from ``stitched`` and ``mosaic``). Returns N."""
    with tempfile.TemporaryDirectory(prefix=".stats-", dir=os.path.dirname(os.path.abspath(out))
                                     ) as scratch:

        def rebuild(window, i):
            folder = os.path.join(scratch, f"row{i:04d}")
            partial_stats_to_dir(stitched, mosaic, window, settings, nbands, folder)
            return listed_partials(folder)

        files = usable_partials(part_dirs, windows, rebuild)
        return _write_attributes(stitched, files, settings, nbands, fmt, out)


def _write_attributes(stitched, files, settings, nbands, fmt, out):
    from ..products.colour import rgba_to_columns
    from ..raster.copy import RatCopy
    from ..stats.combine import iter_column_chunks

    missing = settings["stats"]["missing_value"]
    chunks = iter_column_chunks(files, memory_mb=STATS_MEMORY_MB, missing_value=missing,
                                for_rat=True)
    keep = {}
    if settings["colour_table"]["mode"] == "stats":
        keep = {f"B{b}_mean": np.empty(chunks.num_rows)
                for b in colour_bands(settings, nbands)}
    with RatCopy(stitched, out, fmt, rows=chunks.num_rows) as copy:
        copy.add(_kept(chunks, keep))
        n = copy.nrows - 1
        rgba = colour_table(settings, keep, n, stitched, nbands)
        if rgba is not None:
            copy.add(rgba_to_columns(rgba))
    return n


def _kept(chunks, keep):
    """The chunks, passed on, with the columns named in ``keep`` copied
    into its (num_rows,) arrays on the way."""
    for start, chunk in chunks:
        for name, column in keep.items():
            column[start:start + len(chunk[name])] = chunk[name]
        yield start, chunk
