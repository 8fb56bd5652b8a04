"""shepcore.subset: a window of a segment raster as a new raster with IDs
1..M, the RAT rows of its segments and their original IDs."""

import os

import numpy as np
import pytest
from naive_stats import GT, UTM, random_labels, write_image
from osgeo import gdal

import shepcore
from shepcore import raster, stats
from shepcore.products import colour
from shepcore.products.subset import subset_segments


@pytest.fixture(scope="module")
def with_columns(tmp_path_factory):
    """A 300 x 310 segment raster with statistics and colour columns."""
    folder = tmp_path_factory.mktemp("subset")
    labels = random_labels(300, 310, seed=4)
    rng = np.random.default_rng(0)
    image = rng.integers(1, 1000, (1, *labels.shape)).astype(np.uint16)
    seg = raster.write_segments(str(folder / "s.img"), labels, geotransform=GT, projection=UTM)
    img = write_image(folder / "i.tif", image, geotransform=GT, projection=UTM)
    cols = stats.segment_statistics(seg, img, statistics=["mean", "p90"],
                                    spatial=["pixel_count", "centroid"])
    cols.update(colour.rgba_to_columns(colour.random_colours(int(labels.max()), seed=1)))
    out = raster.add_rat_columns(seg, cols, str(folder / "stats.img"))
    return out, labels


@pytest.mark.parametrize("window", [(17, 23, 200, 150), (0, 0, 300, 310), (299, 309, 1, 1)])
@pytest.mark.parametrize("ext", [".img", ".tif"])
def test_subset_renumbers_and_carries_columns(with_columns, tmp_path, window, ext):
    path, labels = with_columns
    out = str(tmp_path / ("sub" + ext))
    m = subset_segments(path, window, out)
    r, c, h, w = window
    orig = labels[r:r + h, c:c + w]
    new, _ = raster.read_raster(out)
    new = new[0]
    ids = np.unique(new)
    assert m == ids[-1] == len(ids[ids != 0])
    np.testing.assert_array_equal(ids[ids != 0], np.arange(1, m + 1))  # no gaps
    rat = raster.read_rat(out)
    np.testing.assert_array_equal(rat["original_id"][new], orig)  # back to the original
    assert rat["original_id"][0] == 0
    assert np.all(np.diff(rat["original_id"][1:]) > 0)  # ascending original IDs
    np.testing.assert_array_equal(rat["Histogram"], np.bincount(new.ravel(), minlength=m + 1)
                                  * (np.arange(m + 1) > 0))
    old = raster.read_rat(path)
    for name in ("pixel_count", "B1_mean", "B1_p90", "centroid_x", "Red"):
        np.testing.assert_allclose(rat[name], old[name][rat["original_id"]], rtol=1e-15,
                                   err_msg=name)
    # the input (HFA) calls its Alpha-usage column Opacity; the name is carried
    np.testing.assert_array_equal(rat["Opacity"], old["Opacity"][rat["original_id"]])
    ds = gdal.Open(out)
    assert ds.GetGeoTransform() == pytest.approx(raster.window_geotransform(GT, window))
    assert ds.GetRasterBand(1).GetNoDataValue() == 0
    assert ds.GetRasterBand(1).GetOverviewCount() == len(raster.overview_levels(h, w))
    _, columns = raster.rat_columns(out)
    usages = {c.name: c.usage for c in columns}
    assert usages["Histogram"] == "PixelCount" and usages["Red"] == "Red"


def test_subset_of_a_plain_raster_and_public_name(tmp_path):
    labels = np.array([[0, 7, 7], [3, 3, 9]], np.uint32)
    plain = str(tmp_path / "plain.tif")
    ds = gdal.GetDriverByName("GTiff").Create(plain, 3, 2, 1, gdal.GDT_UInt32)
    ds.GetRasterBand(1).WriteArray(labels)
    ds = None
    out = str(tmp_path / "s.img")
    assert shepcore.subset_segments(plain, (0, 1, 2, 2), out, id_column="from") == 3
    np.testing.assert_array_equal(raster.read_raster(out)[0][0], [[2, 2], [1, 3]])
    np.testing.assert_array_equal(raster.read_rat(out)["from"], [0, 3, 7, 9])


def test_subset_refuses_bad_requests(with_columns, tmp_path):
    path, labels = with_columns
    with pytest.raises(ValueError, match=r"window \(250, 0, 100, 10\) outside") as excinfo:
        subset_segments(path, (250, 0, 100, 10), str(tmp_path / "a.img"))
    assert path in str(excinfo.value) and "\n" not in str(excinfo.value)
    with pytest.raises(ValueError, match="already has a RAT column 'B1_mean'"):
        subset_segments(path, (0, 0, 10, 10), str(tmp_path / "b.img"), id_column="B1_mean")
    with pytest.raises(ValueError, match="would overwrite the input"):
        subset_segments(path, (0, 0, 10, 10), path)
    assert not os.path.exists(tmp_path / "a.img") and not os.path.exists(tmp_path / "b.img")
