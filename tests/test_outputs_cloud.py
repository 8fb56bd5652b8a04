"""Outputs that cloud-native tools read (issue 12, item 2): COG segment
rasters, colour-table sidecars, GeoPackage and GeoParquet polygons."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest
from naive_stats import GT, UTM
from osgeo import gdal

from shepcore import raster
from shepcore.products import colour
from shepcore.products.colour_sidecars import read_clr, write_colour_sidecars
from shepcore.products.vector import polygonize
from shepcore.raster.rat import read_rat_rows

VALIDATE = "osgeo_utils.samples.validate_cloud_optimized_geotiff"


# fmt: off
#: Segments 1 and 2 are two pieces each, touching only at corners (8-connected
#: segments): MultiPolygons of two polygons; 0 is null.
LABELS = np.array([
    [1, 1, 2, 3, 3],
    [1, 2, 1, 3, 0],
    [4, 4, 4, 4, 0],
], np.uint32)
# fmt: on


def segments(tmp_path, fmt, labels=LABELS, name="s"):
    ext = ".img" if fmt == "HFA" else ".tif"
    path = raster.write_segments(str(tmp_path / f"{name}{ext}"), labels, geotransform=GT,
                                 projection=UTM, fmt="HFA" if fmt == "HFA" else "GTiff")
    n = int(labels.max())
    cols = {"score": np.arange(n + 1) * 1.5, "name": np.array([f"s{i}" for i in range(n + 1)])}
    cols.update(colour.rgba_to_columns(colour.random_colours(n, seed=2)))
    return raster.add_rat_columns(path, cols, str(tmp_path / f"{name}_cols{ext}"), fmt=fmt)


def test_cog_is_cloud_optimized_with_overviews_and_rat(tmp_path):
    from importlib import import_module

    labels = np.repeat(np.repeat(np.arange(1, 65, dtype=np.uint32).reshape(8, 8), 80, 0), 80, 1)
    path = raster.write_segments(str(tmp_path / "c.tif"), labels, geotransform=GT,
                                 projection=UTM, fmt="COG")
    ds = gdal.Open(path)
    assert ds.GetMetadata("IMAGE_STRUCTURE")["LAYOUT"] == "COG"
    assert ds.GetRasterBand(1).GetOverviewCount() == 1
    assert ds.GetRasterBand(1).GetBlockSize() == [512, 512]
    warnings, errors, _ = import_module(VALIDATE).validate(path, full_check=True)
    assert errors == [] and warnings == []
    np.testing.assert_array_equal(raster.read_rat(path)["Histogram"][1:], np.full(64, 6400))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.tif", "c.tif.aux.xml"]
    copy = raster.add_rat_columns(path, {"x": np.arange(65)}, str(tmp_path / "d.tif"),
                                  fmt="COG")
    assert gdal.Open(copy).GetMetadata("IMAGE_STRUCTURE")["LAYOUT"] == "COG"
    np.testing.assert_array_equal(raster.read_raster(copy)[0][0], labels)


def test_a_geotiff_cannot_hold_the_colour_table_so_sidecars_do(tmp_path):
    path = segments(tmp_path, "COG")
    assert gdal.Open(path).GetRasterBand(1).GetColorTable() is None
    clr, qml = write_colour_sidecars(path)
    ids, rgba = read_clr(clr)
    rat = raster.read_rat(path)
    table = np.stack([rat[c] for c in ("Red", "Green", "Blue", "Alpha")], 1)
    table[0] = 0
    np.testing.assert_array_equal(ids, np.arange(5))
    np.testing.assert_array_equal(rgba, table)
    entries = list(ET.parse(qml).getroot().iter("paletteEntry"))
    assert [e.get("value") for e in entries] == ["1", "2", "3", "4"]
    assert entries[3].get("color") == "#{:02x}{:02x}{:02x}".format(*table[4, :3])


def test_sidecars_refuse_a_raster_without_colours(tmp_path):
    path = raster.write_segments(str(tmp_path / "p.tif"), LABELS, fmt="GTiff")
    with pytest.raises(ValueError, match="no colour table"):
        write_colour_sidecars(path)


def test_geotiff_rat_rows_read_right(tmp_path):
    """Regression: GDAL 3.6 reads an in-memory (GeoTIFF .aux.xml) RAT wrongly
    at a start row > 0; rows are read from the whole column."""
    path = segments(tmp_path, "GTiff")
    np.testing.assert_array_equal(read_rat_rows(path, "score", [1, 3, 4]), [1.5, 4.5, 6.0])


@pytest.mark.parametrize("fmt", ["HFA", "GTiff", "COG"])
@pytest.mark.parametrize("ext", ["gpkg", "parquet"])
def test_polygons_one_valid_multipolygon_per_segment(tmp_path, fmt, ext):
    import geopandas

    path = segments(tmp_path, fmt)
    out = tmp_path / f"p.{ext}"
    seen = []
    assert polygonize(path, str(out), progress=seen.append) == 4
    assert seen[-1] == pytest.approx(1.0)
    gdf = geopandas.read_parquet(out) if ext == "parquet" else geopandas.read_file(out)
    assert list(gdf["segment_id"]) == [1, 2, 3, 4]
    assert set(gdf.geom_type) == {"MultiPolygon"} and gdf.is_valid.all()
    assert [len(g.geoms) for g in gdf.geometry] == [2, 2, 1, 1]
    np.testing.assert_allclose(gdf.area, np.bincount(LABELS.ravel())[1:] * 900.0)
    assert list(gdf["score"]) == [1.5, 3.0, 4.5, 6.0]
    assert list(gdf["name"]) == ["s1", "s2", "s3", "s4"]
    assert gdf.crs.to_epsg() == 32618
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("p.")) == [out.name]


def test_polygons_are_byte_identical_and_batched(tmp_path, monkeypatch):
    """Many segments over several read batches: every segment once, whole;
    two writes give the same bytes."""
    import geopandas

    from shepcore.raster import polygons

    rng = np.random.default_rng(1)
    labels = np.repeat(np.repeat(rng.permutation(400).reshape(20, 20).astype(np.uint32) + 1,
                                 3, 0), 3, 1)
    labels[0, 0] = labels[5, 5]  # one segment in two pieces
    path = segments(tmp_path, "HFA", labels)
    monkeypatch.setattr(polygons, "BATCH_PIECES", 37)
    polygonize(path, str(tmp_path / "a.gpkg"))
    polygonize(path, str(tmp_path / "b.gpkg"))
    assert (tmp_path / "a.gpkg").read_bytes() == (tmp_path / "b.gpkg").read_bytes()
    gdf = geopandas.read_file(tmp_path / "a.gpkg")
    assert list(gdf["segment_id"]) == list(range(1, 401))
    np.testing.assert_allclose(gdf.area, np.bincount(labels.ravel())[1:] * 900.0)
