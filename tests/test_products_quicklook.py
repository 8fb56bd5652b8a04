"""Quicklooks people can read (issue 12, item 3): boundaries drawn one raster
pixel wide and reduced, outlines only of segments visible at the scale, a
zoomed full-resolution crop; and the report plots."""

import numpy as np
import pytest
from naive_stats import GT, UTM, write_image
from osgeo import gdal

from shepcore import raster
from shepcore.products import plots
from shepcore.products.boundaries import boundaries, boundary_grid, zoomed_boundaries
from shepcore.products.quicklook import write_quicklooks


def test_boundaries_are_one_pixel_lines():
    # fmt: off
    labels = np.array([[1, 1, 2],
                       [1, 1, 2],
                       [3, 3, 0]])
    expected = np.array([[0, 1, 0],
                         [1, 1, 1],
                         [0, 1, 0]], bool)
    # fmt: on
    np.testing.assert_array_equal(boundaries(labels), expected)
    sizes = np.array([0, 4, 2, 2])
    big = boundaries(labels, sizes, min_pixels=3)  # only segment 1's outline
    np.testing.assert_array_equal(big, [[0, 1, 0], [1, 1, 0], [0, 0, 0]])
    zoomed = zoomed_boundaries(labels, 2)
    assert zoomed.shape == (6, 6) and zoomed[0, 3] and not zoomed[0, 2]


def test_boundary_grid_is_the_share_of_boundary_pixels(tmp_path):
    labels = np.repeat(np.repeat(np.arange(1, 17, dtype=np.uint32).reshape(4, 4), 10, 0), 10, 1)
    path = raster.write_segments(str(tmp_path / "s.img"), labels)
    edge, valid = boundary_grid(path, (4, 4))
    full = boundaries(labels).reshape(4, 10, 4, 10).mean(axis=(1, 3))
    np.testing.assert_allclose(edge, full)
    assert np.all(valid == 1)


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """2000 x 1800 scene of 12 x 12-pixel segments (too small to outline at
    display scale) and one large square (outlined)."""
    d = tmp_path_factory.mktemp("ql")
    rows, cols = 2000, 1800
    r, c = np.mgrid[0:rows, 0:cols]
    labels = (r // 12 * (cols // 12 + 1) + c // 12 + 1).astype(np.uint32)
    labels[500:1100, 600:1300] = labels.max() + 1
    from shepcore.products.subset import subset_segments

    seg = raster.write_segments(str(d / "raw.img"), labels, geotransform=GT, projection=UTM)
    seg = d / "s.img"
    subset_segments(str(d / "raw.img"), (0, 0, rows, cols), str(seg))  # IDs 1..N
    rng = np.random.default_rng(0)
    image = rng.integers(0, 200, (3, rows, cols)).astype(np.uint8)
    img = write_image(d / "i.tif", image, geotransform=GT, projection=UTM)
    return d, str(seg), img


def test_scene_picture_outlines_visible_segments_only(scene):
    d, seg, img = scene
    info = write_quicklooks(img, seg, str(d / "scene.png"), str(d / "crop.png"))
    pic = gdal.Open(str(d / "scene.png")).ReadAsArray()
    assert pic.shape == (4, 1024, 922)
    yellow = (pic[0] >= 192) & (pic[1] >= 192) & (pic[2] <= 64) & (pic[3] > 0)
    assert yellow.mean() < 0.02 and info["boundary_share"] < 0.02
    # The large square's outline is drawn: its top edge is a yellow line.
    top = round(500 * 1024 / 2000)
    assert yellow[top - 1:top + 1, 330:700].any(axis=0).mean() > 0.9
    crop = gdal.Open(str(d / "crop.png")).ReadAsArray()
    assert crop.shape[1:] == (1024, 1024)
    crop_yellow = (crop[0] == 255) & (crop[1] == 255) & (crop[2] == 0)
    assert 0.02 < crop_yellow.mean() <= 0.12 and info["crop_zoom"] in (1, 2, 4, 8)


def test_plots_are_pngs(tmp_path):
    plots.size_distribution(np.array([1, 5, 50, 50, 70, 4000]), str(tmp_path / "a.png"))
    plots.tile_pixels(["r000c000", "r000c001"], [10, 20], [5, 0], str(tmp_path / "b.png"))
    plots.job_times(["a", "a", "b"], [1.0, 2.0, 0.5], str(tmp_path / "c.png"))
    for name in "abc":
        ds = gdal.Open(str(tmp_path / f"{name}.png"))
        assert ds.GetDriver().ShortName == "PNG" and ds.RasterXSize > 500
