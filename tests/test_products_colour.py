"""shepcore.colour: random colour tables (reproducible, neighbours apart),
colour tables stretched from statistics, and their RAT columns as GDAL and
QGIS read them."""

import numpy as np
import pytest
from landsat_scene import landsat
from naive_stats import GT, UTM, random_labels
from osgeo import gdal
from scipy.stats import spearmanr

from shepcore import raster
from shepcore.products import colour


def adjacent_pairs(labels):
    pairs = []
    for a, b in ((labels[:, :-1], labels[:, 1:]), (labels[:-1], labels[1:])):
        sel = (a != b) & (a != 0) & (b != 0)
        pairs.append(np.stack([a[sel], b[sel]], axis=1))
    return np.unique(np.sort(np.concatenate(pairs), axis=1), axis=0)


def rgb_distance(rgba, pairs):
    d = rgba[pairs[:, 0], :3].astype(float) - rgba[pairs[:, 1], :3]
    return np.sqrt((d**2).sum(axis=1))


def test_random_colours_are_reproducible_and_transparent_at_null():
    a = colour.random_colours(500, seed=4)
    assert a.shape == (501, 4) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, colour.random_colours(500, seed=4))
    assert (a != colour.random_colours(500, seed=5)).any(axis=1).mean() > 0.95
    np.testing.assert_array_equal(a[0], [0, 0, 0, 0])
    assert (a[1:, 3] == 255).all()
    # spread over the whole cube, not a corner of it
    assert a[1:, :3].min() < 10 and a[1:, :3].max() > 245
    np.testing.assert_array_equal(colour.random_colours(0, seed=1), [[0, 0, 0, 0]])


def test_random_colours_keep_neighbours_apart(tmp_path):
    labels = random_labels(120, 140, seed=8)
    n = int(labels.max())
    pairs = adjacent_pairs(labels)
    plain = colour.random_colours(n, seed=1)
    apart = colour.random_colours(n, seed=1, labels=labels)
    assert (rgb_distance(plain, pairs) < 80).mean() > 0.05  # chance alone is not enough
    assert (rgb_distance(apart, pairs) >= 80).all()
    seg = raster.write_segments(str(tmp_path / "s.img"), labels)
    np.testing.assert_array_equal(colour.random_colours(n, seed=1, labels=seg), apart)
    np.testing.assert_array_equal(apart, colour.random_colours(n, seed=1, labels=labels))


def test_stretch_colours_maps_5th_to_95th_percentile_to_0_255():
    rng = np.random.default_rng(0)
    x = rng.normal(1000, 200, 1001)
    x[0] = 123.0  # row 0 (null) is ignored
    x[7] = -9999.0  # a segment without valid pixels
    rgba = colour.stretch_colours(x, x * 2, -x, missing_value=-9999)
    valid = np.ones(x.size, bool)
    valid[[0, 7]] = False
    lo, hi = np.percentile(x[valid], [5, 95])
    expect = np.clip(np.rint((x[valid] - lo) / (hi - lo) * 255), 0, 255)
    np.testing.assert_array_equal(rgba[valid, 0], expect)
    np.testing.assert_array_equal(rgba[valid, 1], expect)  # linear in x: the same
    np.testing.assert_array_equal(rgba[valid, 2], 255 - expect)
    np.testing.assert_array_equal(rgba[[0, 7]], 0)
    assert (rgba[valid, 3] == 255).all()
    assert (rgba[valid, 0] == 0).mean() == pytest.approx(0.05, abs=0.01)
    assert (rgba[valid, 0] == 255).mean() == pytest.approx(0.05, abs=0.01)


def test_stretch_colours_nan_rows_weights_and_errors():
    x = np.array([0.0, 1, 2, np.nan, 4])
    rgba = colour.stretch_colours(x, x, x, low=0, high=100)
    np.testing.assert_array_equal(rgba[:, 0], [0, 0, 85, 0, 255])
    np.testing.assert_array_equal(rgba[:, 3], [0, 255, 255, 0, 255])
    plain = colour.stretch_colours(x, x, x, low=50, high=100)
    np.testing.assert_array_equal(plain[:, 0], [0, 0, 0, 0, 255])
    weighted = colour.stretch_colours(x, x, x, low=50, high=100, weights=[0, 100, 1, 1, 1])
    np.testing.assert_array_equal(weighted[:, 0], [0, 0, 85, 0, 255])
    with pytest.raises(ValueError, match="low must be below high"):
        colour.stretch_colours(x, x, x, low=50, high=50)
    with pytest.raises(ValueError, match="three 1-D columns of equal length"):
        colour.stretch_colours(x, x, x[:3])
    with pytest.raises(ValueError, match=r"high must be in \[0.0, 100.0\]"):
        colour.stretch_colours(x, x, x, high=101)
    with pytest.raises(ValueError, match=r"seed must be >= 0"):
        colour.random_colours(3, seed=-1)
    with pytest.raises(ValueError, match="labels: IDs must lie in 0..n=3"):
        colour.random_colours(3, labels=np.array([[1, 4]]))


@pytest.mark.parametrize("fmt", ["HFA", "GTiff"])
def test_colour_columns_are_written_with_colour_usages(tmp_path, fmt):
    labels = random_labels(40, 50, seed=1)
    seg = raster.write_segments(str(tmp_path / "s.img"), labels, geotransform=GT, projection=UTM)
    rgba = colour.random_colours(int(labels.max()), seed=2, labels=labels)
    out = raster.add_rat_columns(seg, colour.rgba_to_columns(rgba),
                             str(tmp_path / ("c" + raster.FORMATS[fmt][0])))
    ds = gdal.Open(out)
    rat = ds.GetRasterBand(1).GetDefaultRAT()
    usage = {rat.GetUsageOfCol(i): i for i in range(rat.GetColumnCount())}
    for i, u in enumerate((gdal.GFU_Red, gdal.GFU_Green, gdal.GFU_Blue, gdal.GFU_Alpha)):
        assert u in usage
        np.testing.assert_array_equal(rat.ReadAsArray(usage[u]), rgba[:, i])
    if fmt == "HFA":  # HFA also shows it as the band's colour table
        table = ds.GetRasterBand(1).GetColorTable()
        assert table.GetColorEntry(0)[3] == 0
        assert table.GetColorEntry(5) == tuple(int(c) for c in rgba[5])


@pytest.fixture(scope="module")
def scene_landsat(tmp_path_factory):
    return landsat(str(tmp_path_factory.getbasetemp() / "landsat"))


def test_landsat_colour_table_from_band_means_looks_like_the_image(scene_landsat, tmp_path):
    """Colours stretched from the band means, written to the RAT and looked
    up per pixel, follow the original bands. No per-segment colouring can
    correlate with the pixels better than the per-segment mean image does
    (it is the projection onto segment-constant images); on this scene that
    bound is r = 0.89 / 0.90 / 0.91, so the pixel-level check is relative to
    it; over segments, colours rank like the means (the stretch is monotone,
clipped at the 5th and 95th percentiles)."""
    d = scene_landsat
    labels, cols = d["labels"], d["columns"]
    rgba = colour.stretch_colours(cols["B4_mean"], cols["B3_mean"], cols["B2_mean"],
                                  missing_value=-9999)
    out = raster.add_rat_columns(d["segments"], colour.rgba_to_columns(rgba),
                             str(tmp_path / "coloured.img"))
    table = raster.read_rat(out, ["Red", "Green", "Blue", "Opacity"])
    coloured = np.stack([table[c][labels] for c in ("Red", "Green", "Blue")])
    valid = (labels != 0) & (d["bands"][4] != 0)
    assert (table["Opacity"][labels][valid] == 255).all()
    assert (table["Opacity"][labels][labels == 0] == 0).all()
    segs = np.flatnonzero(cols["B4_count"] > 0)
    for i, b in enumerate((4, 3, 2)):
        x = d["bands"][b][valid]
        r = np.corrcoef(coloured[i][valid], x)[0, 1]
        bound = np.corrcoef(cols[f"B{b}_mean"][labels][valid], x)[0, 1]
        assert r > 0.8 and r > 0.9 * bound, f"band {b}: r = {r:.3f}, bound {bound:.3f}"
        rho = spearmanr(table[("Red", "Green", "Blue")[i]][segs],
                        cols[f"B{b}_mean"][segs]).statistic
        assert rho > 0.95, f"band {b}: rank correlation over segments = {rho:.3f}"
