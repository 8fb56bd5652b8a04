"""Slow reference versions of the per-segment statistics, written from the
docstring of shepcore.stats.segment_statistics with plain numpy, one
segment at a time."""

import naive
import numpy as np
from osgeo import gdal

from shepcore.synthetic import voronoi_regions

UTM = 'PROJCS["WGS 84 / UTM zone 18N",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",-75],PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1],AUTHORITY["EPSG","32618"]]'  # noqa: E501
GT = (500000.0, 30.0, 0.0, 4000000.0, 0.0, -30.0)

#: Every band statistic, with percentiles at the ends and in between.
ALL_STATS = ["count", "min", "max", "mean", "stddev", "median", "mode",
             "p0", "p2.5", "p33.3", "p90", "p100"]


def write_image(path, image, *, geotransform=(0, 1, 0, 0, 0, -1), projection="",
                nodata=None):
    """Write (B, R, C) ``image`` as a GTiff with GDAL, in its own dtype."""
    from osgeo import gdal_array

    image = np.asarray(image)
    if image.ndim == 2:
        image = image[np.newaxis]
    gtype = gdal_array.NumericTypeCodeToGDALTypeCode(image.dtype)
    ds = gdal.GetDriverByName("GTiff").Create(str(path), image.shape[2], image.shape[1],
                                              image.shape[0], gtype)
    ds.SetGeoTransform(geotransform)
    if projection:
        ds.SetProjection(projection)
    for b in range(image.shape[0]):
        band = ds.GetRasterBand(b + 1)
        band.WriteArray(image[b])
        if nodata is not None:
            band.SetNoDataValue(float(nodata))
    ds = None
    return str(path)


def valid_values(labels, band, nodata):
    """dict segment ID -> float64 values of its valid pixels (raster order)."""
    band = np.asarray(band)
    valid = np.ones(band.shape, bool)
    if band.dtype.kind == "f":
        valid = np.isfinite(band)
    if nodata is not None:
        valid &= band != nodata
    out = {}
    flat_l, flat_v, flat_ok = labels.ravel(), band.ravel(), valid.ravel()
    order = np.argsort(flat_l, kind="stable")
    ids, starts = np.unique(flat_l[order], return_index=True)
    ends = np.append(starts[1:], order.size)
    for s, a, b in zip(ids, starts, ends, strict=True):
        if s == 0:
            continue
        pix = order[a:b]
        out[int(s)] = flat_v[pix][flat_ok[pix]].astype(np.float64)
    return out


def one_stat(x, stat):
    """Statistic ``stat`` of float64 values ``x`` (non-empty)."""
    if stat == "count":
        return x.size
    if stat == "min":
        return x.min()
    if stat == "max":
        return x.max()
    if stat == "mean":
        return np.mean(x)
    if stat == "stddev":
        return np.std(x)
    if stat == "median":
        return np.percentile(x, 50)
    if stat == "mode":
        values, counts = np.unique(x, return_counts=True)
        return values[np.argmax(counts)]
    return np.percentile(x, float(stat[1:]))


def band_stats(labels, band, nodata, stats, num_rows, missing=-9999):
    """dict stat -> (num_rows,) reference column."""
    per_seg = valid_values(labels, band, nodata)
    out = {}
    for stat in stats:
        col = np.zeros(num_rows, np.int64) if stat == "count" else np.full(num_rows, missing,
                                                                         np.float64)
        for s, x in per_seg.items():
            if x.size:
                col[s] = one_stat(x, stat)
        out[stat] = col
    return out


def edge_mask(labels):
    """(R, C) bool: nonzero pixels with a 4-neighbour inside the raster that
    has another label."""
    e = np.zeros(labels.shape, bool)
    e[1:, :] |= labels[1:, :] != labels[:-1, :]
    e[:-1, :] |= labels[:-1, :] != labels[1:, :]
    e[:, 1:] |= labels[:, 1:] != labels[:, :-1]
    e[:, :-1] |= labels[:, :-1] != labels[:, 1:]
    return e & (labels != 0)


def spatial_stats(labels, geotransform, num_rows, missing=-9999):
    """dict name -> (num_rows,) reference spatial columns."""
    g = geotransform
    names = ["pixel_count", "area", "centroid_x", "centroid_y", "bbox_xmin", "bbox_ymin",
             "bbox_xmax", "bbox_ymax", "bbox_row0", "bbox_col0", "bbox_row1", "bbox_col1",
             "edge_pixels"]
    out = {n: np.full(num_rows, missing, np.float64) for n in names}
    for n in ("pixel_count", "edge_pixels"):
        out[n] = np.zeros(num_rows, np.int64)
    for n in ("bbox_row0", "bbox_col0", "bbox_row1", "bbox_col1"):
        out[n] = np.full(num_rows, missing, np.int64)
    edges = edge_mask(labels)
    for s in np.unique(labels):
        if s == 0:
            continue
        rr, cc = np.nonzero(labels == s)
        out["pixel_count"][s] = rr.size
        out["edge_pixels"][s] = edges[rr, cc].sum()
        out["area"][s] = rr.size * abs(g[1] * g[5] - g[2] * g[4])
        out["centroid_x"][s] = np.mean(g[0] + (cc + 0.5) * g[1] + (rr + 0.5) * g[2])
        out["centroid_y"][s] = np.mean(g[3] + (cc + 0.5) * g[4] + (rr + 0.5) * g[5])
        r0, r1, c0, c1 = rr.min(), rr.max() + 1, cc.min(), cc.max() + 1
        out["bbox_row0"][s], out["bbox_row1"][s] = r0, r1
        out["bbox_col0"][s], out["bbox_col1"][s] = c0, c1
        corners = [(c, r) for c in (c0, c1) for r in (r0, r1)]
        xs = [g[0] + c * g[1] + r * g[2] for c, r in corners]
        ys = [g[3] + c * g[4] + r * g[5] for c, r in corners]
        out["bbox_xmin"][s], out["bbox_xmax"][s] = min(xs), max(xs)
        out["bbox_ymin"][s], out["bbox_ymax"][s] = min(ys), max(ys)
    return out


def random_labels(rows, cols, seed):
    """Voronoi segments 1..N (raster order), a tall segment crossing every
    row strip, single-pixel segments and null pixels."""
    rng = np.random.default_rng(seed)
    lab = voronoi_regions(rows, cols, grid=(max(1, rows // 7), max(1, cols // 7)),
                          seed=seed).astype(np.int64) + 1
    lab[:, 3:7] = lab.max() + 1
    singles = rng.random(lab.shape) < 0.02
    lab[singles] = lab.max() + 1 + np.arange(singles.sum())
    lab[rng.random(lab.shape) < 0.03] = 0
    lab[-6:-3, -9:-3] = 0
    return naive.canonical(lab)
