"""A synthetic land-cover scene for the classification tests (issue 13):
Voronoi regions, each of one of five classes; a region's spectrum is its
class spectrum plus a per-region offset, and every pixel gets noise.
Training points lie in half of the regions (every other region of each
class), well inside them."""

import numpy as np

from shepcore.synthetic import voronoi_regions

#: Class spectra (3 bands, DN) of the five classes.
SPECTRA = np.array([[1500, 2500, 1200], [4000, 3000, 5500], [7000, 7500, 6500],
                    [2500, 6000, 3500], [6000, 3000, 2500]], np.float64)
NAMES = {1: "water", 2: "forest", 3: "urban", 4: "grass", 5: "bare"}


def classify_scene(rows=600, cols=600, grid=(10, 10), region_sd=600.0, noise=300.0, seed=7):
    """Returns (image (3, rows, cols) uint16, classes (rows, cols) uint8 of
    codes 1..5, regions (rows, cols) int32, region_class (R,) codes)."""
    rng = np.random.default_rng(seed)
    regions = voronoi_regions(rows, cols, grid, seed)
    nreg = grid[0] * grid[1]
    region_class = rng.permutation(np.arange(nreg) % len(SPECTRA)) + 1
    spectra = SPECTRA[region_class - 1] + rng.normal(0, region_sd, (nreg, 3))
    image = spectra[regions].transpose(2, 0, 1) + rng.normal(0, noise, (3, rows, cols))
    image = np.clip(np.rint(image), 1, 65535).astype(np.uint16)
    return image, region_class[regions].astype(np.uint8), regions, region_class


def training_points(regions, region_class, per_region=2, margin=6, seed=7):
    """Points (row, col, class) in every other region of each class, at
    least ``margin`` pixels inside their region; and the training regions."""
    rng = np.random.default_rng(seed)
    inner = regions.copy()
    for dr in (-margin, 0, margin):
        for dc in (-margin, 0, margin):
            shifted = np.roll(regions, (dr, dc), (0, 1))
            inner = np.where(shifted == regions, inner, -1)
    inner[:margin] = inner[-margin:] = -1
    inner[:, :margin] = inner[:, -margin:] = -1
    train = []
    for code in np.unique(region_class):
        train += list(np.flatnonzero(region_class == code)[::2])
    points = []
    for reg in sorted(train):
        r, c = np.nonzero(inner == reg)
        if not r.size:
            continue
        for k in rng.choice(r.size, min(per_region, r.size), replace=False):
            points.append((int(r[k]), int(c[k]), int(region_class[reg])))
    return points, np.array(sorted(train))


def write_points(path, points, geotransform, wkt, field="class"):
    """GeoPackage of points at pixel centres with an integer class field."""
    from osgeo import gdal, ogr, osr

    gdal.UseExceptions()
    srs = osr.SpatialReference()
    srs.ImportFromWkt(wkt)
    ds = gdal.GetDriverByName("GPKG").Create(str(path), 0, 0, 0, gdal.GDT_Unknown)
    layer = ds.CreateLayer("training", srs=srs, geom_type=ogr.wkbPoint)
    layer.CreateField(ogr.FieldDefn(field, ogr.OFTInteger))
    x0, dx, _, y0, _, dy = geotransform
    for r, c, code in points:
        feat = ogr.Feature(layer.GetLayerDefn())
        feat.SetField(field, code)
        feat.SetGeometry(ogr.CreateGeometryFromWkt(
            f"POINT ({x0 + (c + 0.5) * dx} {y0 + (r + 0.5) * dy})"))
        layer.CreateFeature(feat)
    ds = None
    return str(path)


# -- a hand-made segment raster with a RAT, for the unit tests ---------------

#: Pixel size (m) and origin of the hand-made segment raster.
PIXEL, ORIGIN = 10.0, (1000.0, 2000.0)

# fmt: off
LABELS = np.array([
    [1, 1, 1, 1, 2, 2, 2, 2],
    [1, 1, 1, 1, 2, 2, 2, 2],
    [1, 1, 1, 1, 2, 2, 2, 2],
    [3, 3, 3, 0, 0, 4, 4, 4],
    [3, 3, 3, 0, 0, 4, 4, 4],
    [3, 3, 3, 0, 0, 4, 4, 4],
], np.uint32)
# fmt: on


def centre(row, col):
    """Map coordinates (x, y) of a pixel centre of the hand-made raster."""
    return ORIGIN[0] + (col + 0.5) * PIXEL, ORIGIN[1] - (row + 0.5) * PIXEL


def hand_segments(tmp_path, labels=LABELS, name="segments.img", columns=None,
                  projection=None):
    """A segment raster of ``labels`` whose RAT has B1_mean (10 x ID),
    B1_stddev (ID), area and edge_pixels (all of a segment's pixels)."""
    from wfutil import UTM18N

    from shepcore.raster import add_rat_columns, write_segments

    n = int(labels.max())
    base = tmp_path / f"base_{name}"
    write_segments(str(base), labels, geotransform=(ORIGIN[0], PIXEL, 0, ORIGIN[1], 0, -PIXEL),
                   projection=UTM18N if projection is None else projection)
    counts = np.bincount(labels.ravel(), minlength=n + 1)
    ids = np.arange(n + 1)
    cols = {"B1_mean": 10.0 * ids, "B1_stddev": ids.astype(np.float64),
            "area": counts * PIXEL**2, "edge_pixels": counts.astype(np.int64)}
    cols.update(columns or {})
    out = tmp_path / name
    add_rat_columns(str(base), cols, str(out))
    return str(out)


def write_geojson(path, features, crs=None):
    """A GeoJSON FeatureCollection of (geometry dict, properties) pairs."""
    import json

    doc = {"type": "FeatureCollection",
           "features": [{"type": "Feature", "geometry": g, "properties": p}
                        for g, p in features]}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    with open(path, "w") as f:
        json.dump(doc, f)
    return str(path)


def point(x, y):
    return {"type": "Point", "coordinates": [x, y]}


def box(x0, y0, x1, y1):
    return {"type": "Polygon",
            "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}
