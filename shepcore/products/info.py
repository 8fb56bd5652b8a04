"""What a segment raster holds: size and grid, CRS, storage, number of
segments, their size distribution and the RAT columns, as a dict and as
lines of text (``shepcore info``)."""

import numpy as np

from ..raster.grid import crs_name
from ..raster.rat import rat_columns, read_rat, read_rgba
from ..raster.read import band_details, file_details, raster_info
from .summary import SIZE_BINS


def segment_info(path):
    """Facts of a segment raster (reads the RAT's Histogram, or counts the
    pixels when there is none).

    Returns
    -------
    dict
        path, rows, cols, pixel_size (x, y), crs, storage (see
        :func:`shepcore.raster.read.file_details`), num_segments,
        null_pixels, sizes (min, p10, median, mean, p90, max in pixels),
        size_bins [(from, below, segments)], columns [(name, type,
        usage)], colour_table (bool).
    """
    band_details(path, segments=True)  # one unsigned-integer band, else RasterError
    info = raster_info(path)
    nrows, columns = rat_columns(path)
    if any(c.name == "Histogram" for c in columns):
        counts = np.asarray(read_rat(path, ["Histogram"])["Histogram"], np.float64)
    else:
        from ..raster.read import segment_strips

        counts = np.zeros(1, np.float64)
        for _, strip in segment_strips(path):
            new = np.bincount(strip.ravel()).astype(np.float64)
            if new.size > counts.size:
                new[: counts.size] += counts
                counts = new
            else:
                counts[: new.size] += new
    sizes = counts[1:]
    sizes = sizes[sizes > 0]
    null = info.rows * info.cols - int(sizes.sum())
    stats = {}
    if sizes.size:
        stats = {"min": float(sizes.min()), "p10": float(np.percentile(sizes, 10)),
                 "median": float(np.median(sizes)), "mean": float(sizes.mean()),
                 "p90": float(np.percentile(sizes, 90)), "max": float(sizes.max())}
    hist, _ = np.histogram(sizes, bins=SIZE_BINS)
    return {
        "path": str(path), "rows": info.rows, "cols": info.cols,
        "pixel_size": (info.geotransform[1], info.geotransform[5]),
        "crs": crs_name(info.projection), "storage": file_details(path),
        "num_segments": int(sizes.size), "null_pixels": int(null), "sizes": stats,
        "size_bins": [(lo, hi, int(c)) for lo, hi, c in
                      zip(SIZE_BINS[:-1], SIZE_BINS[1:], hist, strict=True) if c],
        "columns": [(c.name, c.type, c.usage) for c in columns],
        "colour_table": read_rgba(path) is not None,
    }


def info_lines(doc):
    """``segment_info`` as lines of text."""
    st = doc["storage"]
    layout = f", layout {st['layout']}" if st["layout"] else ""
    lines = [
        f"{doc['path']}: {doc['rows']} rows x {doc['cols']} cols, pixel "
        f"{doc['pixel_size'][0]:g} x {doc['pixel_size'][1]:g}, CRS {doc['crs']}",
        f"storage: {st['driver']}{layout}, blocks {st['block'][0]} x {st['block'][1]}, "
        + (f"compression {st['compression']}, " if st["compression"] else "")
        + f"{len(st['overviews'])} overview(s) "
        + " ".join(f"{r}x{c}" for r, c in st["overviews"]),
        f"segments: {doc['num_segments']}, null pixels: {doc['null_pixels']}",
    ]
    if doc["sizes"]:
        s = doc["sizes"]
        lines.append("segment size (pixels): " + ", ".join(
            f"{k} {s[k]:g}" for k in ("min", "p10", "median", "mean", "p90", "max")))
        lines.append("size classes: " + ", ".join(f"{lo}-{hi - 1}: {n}"
                                                   for lo, hi, n in doc["size_bins"]))
    cols = doc["columns"]
    lines.append(f"RAT: {len(cols)} column(s)" + (": " if cols else "") + ", ".join(
        name + (f" ({usage})" if usage != "Generic" else "") for name, _, usage in cols))
    lines.append(f"colour table: {'yes' if doc['colour_table'] else 'no'}")
    return lines
