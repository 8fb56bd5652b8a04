"""Jobs of rules/attributes.smk: per-strip partial statistics (map) and the
final segment raster with its statistics and colour table (reduce), with
the config's statistics and colour settings turned into library calls.
(The table, polygons, quicklooks and summary are products, called by their
scripts directly.) Heavy modules are imported where they are used."""

import os
import sys

import numpy as np

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
    return len(paths)


def _window_done(i, n, window, seconds):
    print(f"statistics window {i + 1} of {n} {tuple(window)}: {seconds:.2f} s",
          file=sys.stderr)


def partial_files(dirs):
    """Partial files of the given folders, in a fixed order."""
    return [os.path.join(d, f) for d in dirs for f in sorted(os.listdir(d))
            if f.startswith("part_") and f.endswith(".npz")]


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


def attribute_raster(stitched, part_dirs, settings, nbands, fmt, out):
    """Write the final segment raster ``out``: a copy of the stitched raster
    (its files, where the format allows: no pixel is decoded) with the
    statistics columns, streamed range by range from the partials, and the
    colour table in its RAT. Returns N."""
    from ..products.colour import rgba_to_columns
    from ..raster.copy import RatCopy
    from ..stats.combine import iter_column_chunks

    missing = settings["stats"]["missing_value"]
    chunks = iter_column_chunks(partial_files(part_dirs), memory_mb=STATS_MEMORY_MB,
                                missing_value=missing, for_rat=True)
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
