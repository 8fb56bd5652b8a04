"""Workflow outputs users look at (issue 4): statistics in the RAT and the
table, colour table, polygons, quicklooks, report, subset entry point."""

import subprocess

import numpy as np
import pyarrow.parquet as pq
import pytest
from osgeo import gdal, ogr
from test_workflow import demo_run  # noqa: F401  (module fixture)
from wfutil import REPO, read_labels, run_snakemake

from shepcore.raster import read_raster, read_rat

#: Real snakemake runs: the full suite (make test), not the inner loop (make check).
pytestmark = pytest.mark.slow

SCENE = "demo"


@pytest.fixture(scope="module")
def demo(demo_run):  # noqa: F811
    """(results folder, labels, mosaic image (B, R, C), RAT columns)."""
    res = demo_run / "results" / SCENE
    labels = read_labels(res / "segments.img")
    image, _ = read_raster(str(res / "mosaic.vrt"))
    return res, labels, image, read_rat(str(res / "segments.img"))


def test_table_columns_and_values_match_numpy(demo):
    """The Parquet table has the configured columns; values equal numpy for a
    sample of segments."""
    res, labels, image, rat = demo
    table = pq.read_table(res / "segments.parquet").to_pydict()
    n = labels.max()
    assert table["segment_id"] == list(range(1, n + 1))
    for b in (1, 2, 3):
        for stat in ("count", "mean", "stddev", "min", "max", "median", "p10", "p90"):
            assert f"B{b}_{stat}" in table
    for name in ("area", "centroid_x", "centroid_y", "bbox_xmin", "edge_pixels"):
        assert name in table
    rng = np.random.default_rng(0)
    order = np.argsort(labels.ravel(), kind="stable")
    bounds = np.searchsorted(labels.ravel()[order], np.arange(n + 2))
    for sid in rng.choice(np.arange(1, n + 1), 200, replace=False):
        pix = order[bounds[sid]:bounds[sid + 1]]
        for b in (1, 2, 3):
            vals = image[b - 1].ravel()[pix].astype(np.float64)
            vals = vals[vals != 0]
            row = sid - 1
            assert table[f"B{b}_count"][row] == len(vals)
            if len(vals) == 0:
                continue
            assert table[f"B{b}_mean"][row] == pytest.approx(vals.mean(), rel=1e-12)
            assert table[f"B{b}_stddev"][row] == pytest.approx(vals.std(), rel=1e-9, abs=1e-9)
            assert table[f"B{b}_min"][row] == vals.min()
            assert table[f"B{b}_max"][row] == vals.max()
            assert table[f"B{b}_median"][row] == np.median(vals)
            assert table[f"B{b}_p10"][row] == np.percentile(vals, 10)
            assert table[f"B{b}_p90"][row] == np.percentile(vals, 90)
        assert table["Histogram"][row] == len(pix)


def test_colour_table_looks_like_the_scene(demo):
    """The segment image coloured by its colour table looks like the scene:
    per channel, Pearson r against the original band shown with the same
    5-95 % stretch is > 0.85 over non-null pixels (measured 0.87-0.89; the
    segment-mean image itself reaches only 0.89-0.91 against the raw bands
    at min_segment_size 50, which bounds any colour table from means)."""
    res, labels, image, rat = demo
    valid = labels > 0
    for chan, band in zip(("Red", "Green", "Blue"), (0, 1, 2), strict=True):
        coloured = np.asarray(rat[chan])[labels[valid]].astype(np.float64)
        pixels = image[band][valid].astype(np.float64)
        lo, hi = np.percentile(pixels, [5, 95])
        shown = np.clip(np.rint((pixels - lo) / (hi - lo) * 255), 0, 255)
        r = np.corrcoef(coloured, shown)[0, 1]
        assert r > 0.85, f"{chan}: r = {r:.3f}"
    ds = gdal.Open(str(res / "segments.img"))
    table = ds.GetRasterBand(1).GetDefaultRAT()
    usages = {table.GetUsageOfCol(i) for i in range(table.GetColumnCount())}
    assert {gdal.GFU_Red, gdal.GFU_Green, gdal.GFU_Blue, gdal.GFU_Alpha} <= usages
    alpha = [table.GetNameOfCol(i) for i in range(table.GetColumnCount())
             if table.GetUsageOfCol(i) == gdal.GFU_Alpha][0]
    assert rat[alpha][0] == 0 and np.all(np.asarray(rat[alpha])[1:] == 255)


def test_polygon_areas_equal_pixel_counts(demo):
    """Summed polygon areas per segment equal pixel count x pixel area; every
    geometry is valid; attributes come along."""
    res, labels, image, rat = demo
    gt = gdal.Open(str(res / "segments.img")).GetGeoTransform()
    px_area = abs(gt[1] * gt[5])
    ds = ogr.Open(str(res / "segments.gpkg"))
    layer = ds.GetLayer(0)
    area = np.zeros(labels.max() + 1)
    for feat in layer:
        geom = feat.GetGeometryRef()
        assert geom.IsValid()
        area[feat.GetField("segment_id")] += geom.GetArea()
        assert feat.GetField("B1_mean") is not None
    counts = np.bincount(labels.ravel(), minlength=labels.max() + 1)
    np.testing.assert_allclose(area[1:], counts[1:] * px_area, rtol=1e-9)
    assert layer.GetFeatureCount() == labels.max()


def picture(path):
    """A PNG as (4, R, C) uint8 (RGBA)."""
    return gdal.Open(str(path)).ReadAsArray()


def boundary_share(rgba):
    """Share of the picture's non-null pixels drawn in (mostly) boundary
    yellow."""
    yellow = (rgba[0] >= 192) & (rgba[1] >= 192) & (rgba[2] <= 64)
    valid = rgba[3] > 0
    return (yellow & valid).sum() / valid.sum()


def test_quicklooks_are_readable(demo):
    """Issue 12: the scene picture of the demo was a yellow wall (43 % of its
    pixels boundary, boundaries drawn on downsampled labels); now it draws
    the outlines of segments visible at its scale (measured 4.2 %), and the
    zoomed full-resolution crop has crisp one-pixel boundaries on at most
    an eighth of it (measured 10.7 %)."""
    res = demo[0]
    for name in ("scene_boundaries.png", "crop_boundaries.png", "segments_coloured.png"):
        ds = gdal.Open(str(res / "quicklook" / name))
        assert ds.GetDriver().ShortName == "PNG"
        assert 500 <= max(ds.RasterXSize, ds.RasterYSize) <= 1024
    assert boundary_share(picture(res / "quicklook" / "scene_boundaries.png")) < 0.08
    crop = picture(res / "quicklook" / "crop_boundaries.png")
    share = boundary_share(crop)
    assert 0.03 < share <= 0.125
    assert ((crop[0] == 255) & (crop[1] == 255) & (crop[2] == 0)).mean() == pytest.approx(
        share, abs=0.01)  # crisp: boundary pixels are pure yellow


def test_report_shows_tables_and_plots(demo, demo_run):  # noqa: F811
    """`snakemake --report`: the tables are HTML pages (shown inline, not a
    TSV link that opens nothing), the plots and quicklooks PNGs."""
    import re

    res = demo[0]
    for name in ("segment_sizes.png", "tile_pixels.png", "job_times.png"):
        assert gdal.Open(str(res / "report" / name)).RasterXSize > 500
    report = demo_run / "report.html"
    run_snakemake(demo_run, "--report", str(report))
    text = report.read_text(errors="replace")
    for name, mime in (("parameters.html", "text/html"), ("segment_sizes.html", "text/html"),
                       ("job_times.png", "image/png"), ("crop_boundaries.png", "image/png")):
        assert re.search(re.escape(name) + r'.{0,400}"mime_type": ?"' + re.escape(mime), text,
                         re.S), name


def test_subset_command_on_the_demo(demo, tmp_path):
    """`shepcore subset` (replacing scripts/subset.py): original IDs looked up
    through the new column give back the original window exactly; IDs 1..M
    without gaps."""
    from cliutil import shepcore

    res, labels, image, rat = demo
    out = tmp_path / "sub.img"
    shepcore("subset", res / "segments.img", out, "--window", 300, 400, 500, 600)
    sub = read_labels(out)
    orig = np.asarray(read_rat(str(out))["original_id"])
    np.testing.assert_array_equal(orig[sub], labels[300:800, 400:1000])
    ids = np.unique(sub[sub > 0])
    assert ids[0] == 1 and ids[-1] == len(ids)


def test_cloud_outputs_progress_and_summary_line(tmp_path):
    """A run with output.format COG and GeoParquet polygons, without --quiet:
    the raster is a COG whose colour table is in .clr / .qml beside it, the
    polygons read in geopandas, job logs hold progress lines, no 'Shell
    command' noise, and the run ends with one summary line per scene."""
    import shutil

    import geopandas
    from wfutil import SNAKEFILE, SNAKEMAKE, make_workdir

    from shepcore.products.colour_sidecars import read_clr

    shutil.copy(REPO / ".test" / "data" / "rgb_300.tif", tmp_path / "rgb.tif")
    work = make_workdir(tmp_path / "w", {
        "scenes": {"rgb": {"inputs": [str(tmp_path / "rgb.tif")]}},
        "segmentation": {"num_clusters": 30, "min_segment_size": 20},
        "tiling": {"tile_size": 128, "overlap": 32}, "output": {"format": "COG"},
        "outputs": {"vector": "parquet"}})
    proc = subprocess.run([str(SNAKEMAKE), "--snakefile", str(SNAKEFILE), "--directory",
                           str(work), "--cores", "2"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = work / "results" / "rgb"
    assert "Shell command" not in proc.stdout + proc.stderr
    lines = [x for x in proc.stderr.splitlines() if x.startswith("shepcore: rgb: ")]
    assert len(lines) == 1 and " tiles, wall time " in lines[0]
    assert f"outputs in {res}/" in lines[0] and "segments_polygons.parquet" in lines[0]
    ds = gdal.Open(str(res / "segments.tif"))
    assert ds.GetMetadata("IMAGE_STRUCTURE")["LAYOUT"] == "COG"
    labels = read_labels(res / "segments.tif")
    rat = read_rat(str(res / "segments.tif"))
    ids, rgba = read_clr(res / "segments.clr")
    np.testing.assert_array_equal(rgba[1:, 0], rat["Red"][1:])
    assert (res / "segments.qml").read_text().count("<paletteEntry") == labels.max()
    gdf = geopandas.read_parquet(res / "segments_polygons.parquet")
    assert len(gdf) == labels.max() and gdf.is_valid.all() and gdf.crs is not None
    np.testing.assert_array_equal(gdf["B1_mean"], rat["B1_mean"][1:])
    logs = res / "logs"
    assert "rows: 100 %" in (logs / "vector.segments_polygons.parquet.log").read_text()
    assert "statistics window 1 of" in (logs / "stats_part" / "r000.log").read_text()
    assert "boundaries on" in (logs / "quicklook.log").read_text()
