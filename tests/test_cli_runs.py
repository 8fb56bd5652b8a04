"""Every ``shepcore`` subcommand on real files through its real entry point
(issue 12): the results equal the library's, and open in GDAL, geopandas
and gdaldem."""

import json
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from cliutil import shepcore
from conftest import REPO
from osgeo import gdal

import shepcore as lib
from shepcore.products.colour_sidecars import read_clr
from shepcore.raster import raster_info, read_raster, read_rat
from shepcore.tiles.inmemory import segment_tiled

#: Real subprocess runs of a few seconds each.
pytestmark = pytest.mark.slow

SCENE = REPO / ".test" / "data" / "rgb_300.tif"
SEG = ["--num-clusters", "30", "--min-segment-size", "20"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """segment (in memory, HFA) and segment --tiled (COG), then stats."""
    d = tmp_path_factory.mktemp("cliruns")
    shepcore("segment", SCENE, d / "seg.img", *SEG)
    shepcore("segment", SCENE, d / "tiled.tif", *SEG, "--tiled", "--tile-size", "128",
             "--overlap", "32", "--format", "COG", entry="console_script")
    out = shepcore("stats", d / "seg.img", SCENE, "--out", d / "stats.img", "--table",
                   d / "stats.parquet", "--stat", "mean", "--stat", "p90")
    assert "stats.img, " in out.stdout
    return d


def test_segment_in_memory_equals_the_library(run):
    image, nodata = read_raster(str(SCENE))
    expected = lib.segment(image, nodata=nodata, num_clusters=30, min_segment_size=20).labels
    got = read_raster(str(run / "seg.img"))[0][0]
    np.testing.assert_array_equal(got, expected)
    hist = read_rat(str(run / "seg.img"))["Histogram"]
    np.testing.assert_array_equal(hist[1:], np.bincount(got.ravel())[1:])


def test_segment_tiled_equals_the_tiled_path_and_is_a_cog(run):
    image, nodata = read_raster(str(SCENE))
    expected = segment_tiled(image, tile_size=128, overlap=32, min_segment_size=20,
                             nodata=nodata, num_clusters=30).labels
    np.testing.assert_array_equal(read_raster(str(run / "tiled.tif"))[0][0], expected)
    ds = gdal.Open(str(run / "tiled.tif"))
    assert ds.GetMetadata("IMAGE_STRUCTURE")["LAYOUT"] == "COG"
    assert ds.GetMetadata("IMAGE_STRUCTURE")["COMPRESSION"] == "DEFLATE"


def test_stats_columns_equal_numpy(run):
    import pyarrow.parquet as pq

    labels = read_raster(str(run / "seg.img"))[0][0]
    image, _ = read_raster(str(SCENE))
    rat = read_rat(str(run / "stats.img"))
    table = pq.read_table(run / "stats.parquet").to_pydict()
    for sid in (1, 7, int(labels.max())):
        for b in (1, 2, 3):
            vals = image[b - 1][labels == sid].astype(np.float64)
            assert rat[f"B{b}_mean"][sid] == pytest.approx(vals.mean(), rel=1e-12)
            assert rat[f"B{b}_p90"][sid] == np.percentile(vals, 90)
            assert table[f"B{b}_p90"][sid - 1] == np.percentile(vals, 90)
    assert "area" in table and table["segment_id"][0] == 1


def test_subset_by_window_bounds_and_mask(run, tmp_path):
    src = str(run / "stats.img")
    labels = read_raster(src)[0][0]
    shepcore("subset", src, tmp_path / "w.img", "--window", 40, 60, 100, 120)
    gt = raster_info(src).geotransform
    x0, y1 = gt[0] + 60 * gt[1], gt[3] + 40 * gt[5]
    shepcore("subset", src, tmp_path / "b.tif", "--bounds", x0, y1 + 100 * gt[5],
             x0 + 120 * gt[1], y1, entry="console_script")
    w, b = read_raster(str(tmp_path / "w.img"))[0][0], read_raster(str(tmp_path / "b.tif"))[0][0]
    np.testing.assert_array_equal(w, b)
    orig = read_rat(str(tmp_path / "b.tif"))["original_id"]
    np.testing.assert_array_equal(orig[b], labels[40:140, 60:180])
    # Mask: two pixels inside two segments; both segments come whole.
    mask = np.zeros((1, *labels.shape), np.uint8)
    mask[0, 150, 150] = mask[0, 20, 30] = 1
    from naive_stats import write_image

    mpath = write_image(tmp_path / "m.tif", mask, geotransform=gt,
                        projection=raster_info(src).projection)
    shepcore("subset", src, tmp_path / "m.img", "--mask", mpath)
    sub = read_raster(str(tmp_path / "m.img"))[0][0]
    orig = read_rat(str(tmp_path / "m.img"))["original_id"]
    wanted = sorted({int(labels[150, 150]), int(labels[20, 30])})
    assert list(orig[1:]) == wanted
    for new, old in enumerate(wanted, start=1):
        assert (sub == new).sum() == (labels == old).sum()


def test_colour_random_cog_sidecars_read_back(run, tmp_path):
    out = tmp_path / "col.tif"
    proc = shepcore("colour", run / "stats.img", out, "--mode", "random", "--format", "COG")
    assert "col.clr" in proc.stdout and "col.qml" in proc.stdout
    labels = read_raster(str(out))[0][0]
    rat = read_rat(str(out))
    table = np.stack([rat[c] for c in ("Red", "Green", "Blue", "Alpha")], 1)
    ids, rgba = read_clr(tmp_path / "col.clr")
    np.testing.assert_array_equal(ids, np.arange(labels.max() + 1))
    np.testing.assert_array_equal(rgba, table)
    entries = ET.parse(tmp_path / "col.qml").getroot().iter("paletteEntry")
    first = next(entries)
    assert first.get("value") == "1" and first.get("color") == "#{:02x}{:02x}{:02x}".format(
        *table[1, :3])
    # GDAL reads the .clr: gdaldem paints every pixel in its segment's colour.
    painted = tmp_path / "painted.tif"
    subprocess.run(["gdaldem", "color-relief", "-q", "-nearest_color_entry", "-alpha", str(out),
                    str(tmp_path / "col.clr"), str(painted)], check=True)
    rgba_px = gdal.Open(str(painted)).ReadAsArray()
    np.testing.assert_array_equal(np.moveaxis(rgba_px, 0, -1), table[labels])


def test_colour_stats_replaces_the_table_and_looks_like_the_scene(run, tmp_path):
    shepcore("colour", run / "stats.img", tmp_path / "a.img", "--mode", "random")
    shepcore("colour", tmp_path / "a.img", tmp_path / "b.img", "--image", SCENE)
    rat = read_rat(str(tmp_path / "b.img"))
    labels = read_raster(str(tmp_path / "b.img"))[0][0]
    image, _ = read_raster(str(SCENE))
    red = np.asarray(rat["Red"])[labels].astype(float)
    assert np.corrcoef(red.ravel(), image[0].ravel().astype(float))[0, 1] > 0.8
    assert sum(1 for c in rat if c in ("Red", "Green", "Blue")) == 3


@pytest.mark.parametrize("name", ["p.gpkg", "p.parquet"])
def test_polygonize_reads_in_geopandas(run, tmp_path, name):
    import geopandas

    proc = shepcore("polygonize", run / "stats.img", tmp_path / name)
    assert "100 %" in proc.stderr
    gdf = (geopandas.read_parquet if name.endswith("parquet") else geopandas.read_file)(
        tmp_path / name)
    labels = read_raster(str(run / "stats.img"))[0][0]
    rat = read_rat(str(run / "stats.img"))
    assert list(gdf["segment_id"]) == list(range(1, labels.max() + 1))
    assert set(gdf.geom_type) == {"MultiPolygon"} and gdf.is_valid.all()
    info = raster_info(str(run / "stats.img"))
    assert gdf.crs is not None and gdf.crs.equals(info.projection)
    px = abs(info.geotransform[1] * info.geotransform[5])
    np.testing.assert_allclose(gdf.area, np.bincount(labels.ravel())[1:] * px, rtol=1e-9)
    np.testing.assert_array_equal(gdf["B1_mean"], rat["B1_mean"][1:])


def test_info_text_and_json(run):
    text = shepcore("info", run / "stats.img").stdout
    labels = read_raster(str(run / "stats.img"))[0][0]
    assert f"segments: {labels.max()}" in text and "B1_p90" in text and "CRS " in text
    doc = json.loads(shepcore("info", run / "tiled.tif", "--json").stdout)
    assert doc["storage"]["layout"] == "COG" and doc["num_segments"] > 0
