"""File-level steps of the attribute stage of the workflow, one function per
job: per-strip partial statistics (map), the final segment raster with its
statistics and colour table (reduce), and the outputs users look at (table,
report tables). Heavy modules are imported where they are used."""

import json
import os

import numpy as np

from ._files import write_text_atomic

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
    memory-bounded sub-windows, saved as ``out_dir/part_XXXX.npz``."""
    from .stats import partial_statistics, plan_windows

    os.makedirs(out_dir, exist_ok=True)
    bands = stats_band_list(settings, nbands)
    stats = statistic_names(settings)
    percentiles = sum(1 for s in stats if s.startswith("p") or s in ("median", "mode"))
    windows = plan_windows(segments, STATS_MEMORY_MB, window, bands=len(bands),
                           percentiles=percentiles)
    for i, win in enumerate(windows):
        part = partial_statistics(segments, mosaic, win, bands=bands, statistics=stats,
                                  spatial=spatial_names(settings))
        tmp = os.path.join(out_dir, f".part_{i:04d}.tmp.npz")
        part.save(tmp)
        os.replace(tmp, os.path.join(out_dir, f"part_{i:04d}.npz"))
    return len(windows)


def partial_files(dirs):
    """Partial files of the given folders, in a fixed order."""
    return [os.path.join(d, f) for d in dirs for f in sorted(os.listdir(d))
            if f.startswith("part_") and f.endswith(".npz")]


def colour_table(settings, columns, n, segments, nbands):
    """(N + 1, 4) uint8 RGBA table by colour_table.mode, or None for 'none'.

    'stats': the means of the three colour bands, each stretched from its
    5th to 95th percentile to 0..255, percentiles weighted by segment pixel
    count so that the stretch matches the image's pixel distribution.
    """
    from .colour import random_colours, stretch_colours
    from .io import read_rat

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
    """Write the final segment raster ``out``: the stitched raster's pixels
    plus statistics columns and colour table in its RAT. Returns N."""
    from .colour import colour_columns
    from .io import add_rat_columns
    from .stats import combine_partials

    missing = settings["stats"]["missing_value"]
    columns = combine_partials(partial_files(part_dirs), memory_mb=STATS_MEMORY_MB,
                               missing_value=missing)
    n = len(next(iter(columns.values()))) - 1 if columns else 0
    rgba = colour_table(settings, columns, n, stitched, nbands)
    if rgba is not None:
        columns.update(colour_columns(rgba))
    add_rat_columns(stitched, columns, out, fmt=fmt)
    return n


def write_table(segments, out, kind):
    """The final raster's RAT as a table, one row per segment (row 0, null,
    left out): Parquet (``kind`` 'parquet') or CSV. Column ``segment_id``
    first."""
    from .io import read_rat

    rat = read_rat(segments)
    n = len(next(iter(rat.values()))) if rat else 0
    table = {"segment_id": np.arange(1, n, dtype=np.int64)}
    for name, values in rat.items():
        values = np.asarray(values)[1:]
        table[name] = values.astype(str) if values.dtype.kind == "S" else values
    tmp = f"{out}.tmp{os.getpid()}"
    if kind == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table(table), tmp)
    else:
        _write_csv(table, tmp)
    os.replace(tmp, out)
    return n - 1


def _write_csv(table, path):
    names = list(table)
    with open(path, "w") as f:
        f.write(",".join(names) + "\n")
        cols = [table[k] for k in names]
        for i in range(len(cols[0])):
            f.write(",".join(repr(c[i].item()) if c.dtype.kind == "f" else str(c[i])
                             for c in cols) + "\n")


def write_summary(segments, model_path, settings, tiles, summary_out, params_out, sizes_out):
    """summary.json, a parameter table and the segment-size distribution
    (TSV, for the Snakemake report)."""
    from .io import read_rat

    hist = np.asarray(read_rat(segments, ["Histogram"])["Histogram"])[1:]
    doc = {
        "segments_file": os.path.abspath(segments),
        "num_segments": int(len(hist)),
        "num_tiles": len(tiles),
        "tiles": [t["name"] for t in tiles],
        "settings": settings,
        "model": os.path.abspath(model_path),
    }
    write_text_atomic(summary_out, json.dumps(doc, indent=1, default=str))
    rows = ["section\tkey\tvalue"] + [f"{sec}\t{k}\t{v}" for sec, d in settings.items()
                                      for k, v in d.items()]
    write_text_atomic(params_out, "\n".join(rows) + "\n")
    edges = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 100000, 10**6,
             10**7, 10**9]
    counts, _ = np.histogram(hist, bins=edges)
    lines = ["pixels_from\tpixels_below\tsegments\tshare_of_pixels"]
    total = max(hist.sum(), 1)
    for lo, hi, c in zip(edges[:-1], edges[1:], counts, strict=True):
        px = hist[(hist >= lo) & (hist < hi)].sum()
        lines.append(f"{lo}\t{hi}\t{c}\t{px / total:.6f}")
    write_text_atomic(sizes_out, "\n".join(lines) + "\n")

