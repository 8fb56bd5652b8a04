"""Real satellite and aerial scenes (see SOURCES.md next to them): uint8,
uint16 and int16 data, nodata collars declared or not."""

import os
import subprocess
import sys

import naive
import numpy as np
import pytest
from conftest import REPO

import shepcore
from shepcore.raster import read_raster

LANDSAT_BANDS = [f"LC81070352015122LGN00_B{b}.tif" for b in (4, 3, 2)]

# (file, dtype, declared nodata, bands)
SCENES = [
    ("RGB.byte.tif", np.uint8, 0.0, 3),
    ("mosaic_cog1.tif", np.uint16, 0.0, 3),
    ("m_4709963_se_14_1_20100629.tif", np.uint8, 0.0, 4),
    ("2020.tif", np.uint8, 0.0, 4),
    ("LC08_232066_20190727.tif", np.int16, -9999.0, 6),
]


def check(image, nodata, res, connectivity=4, min_size=50):
    labels = res.labels
    null = naive.null_mask(image, nodata)
    np.testing.assert_array_equal(labels == 0, null)
    n = res.num_segments
    assert n == labels.max()
    np.testing.assert_array_equal(np.unique(labels[labels > 0]), np.arange(1, n + 1))
    assert naive.disconnected_segments(labels, connectivity) == []
    limit = None if np.isinf(res.max_spectral_diff) else res.max_spectral_diff
    assert naive.mergeable_small_segments(image, labels, min_size, limit, connectivity) == []


@pytest.fixture(scope="module")
def landsat_stack(scene):
    """The three Landsat 8 bands (4, 3, 2) stacked: uint16, 1578 x 1550,
    no nodata declared but a 0 collar."""
    layers = []
    for name in LANDSAT_BANDS:
        image, nodata = read_raster(scene(name))
        assert image.dtype == np.uint16 and image.shape == (1, 1578, 1550)
        assert nodata is None
        layers.append(image)
    return np.concatenate(layers)


@pytest.mark.parametrize(("name", "dtype", "nodata", "bands"), SCENES,
                         ids=[s[0] for s in SCENES])
def test_scene_segments_with_declared_nodata(scene, name, dtype, nodata, bands):
    image, declared = read_raster(scene(name))
    assert image.dtype == dtype and image.shape[0] == bands
    assert declared == nodata
    res = shepcore.segment(image, nodata=declared)
    check(image, declared, res)
    assert res.num_segments > 100


@pytest.mark.parametrize("name", ["RGB.byte.tif", "mosaic_cog1.tif"])
def test_scene_collar_is_null(scene, name):
    """About a third of these scenes is the 0 collar: all of it is label 0."""
    image, nodata = read_raster(scene(name))
    res = shepcore.segment(image, nodata=nodata, connectivity=8, min_segment_size=20)
    collar = (image == 0).all(axis=0)
    assert 0.3 < collar.mean() < 0.35
    assert (res.labels[collar] == 0).all()
    check(image, nodata, res, connectivity=8, min_size=20)


@pytest.mark.parametrize("connectivity", [4, 8])
def test_landsat_stack_with_undeclared_zero_collar(landsat_stack, connectivity):
    res = shepcore.segment(landsat_stack, nodata=0, connectivity=connectivity)
    null = (landsat_stack == 0).any(axis=0)
    assert 0.3 < null.mean() < 0.34
    check(landsat_stack, 0, res, connectivity=connectivity)


def test_landsat_stack_without_nodata_segments_the_collar(landsat_stack):
    """Without nodata=0 the collar is ordinary data: no pixel is null."""
    res = shepcore.segment(landsat_stack[:, ::2, ::2], min_segment_size=20)
    assert (res.labels > 0).all()


def test_int16_scene_with_negative_values(scene):
    image, nodata = read_raster(scene("LC08_232066_20190727.tif"))
    assert image.min() < 0
    res = shepcore.segment(image, nodata=nodata, num_clusters=30, min_segment_size=10,
                           connectivity=8)
    check(image, nodata, res, connectivity=8, min_size=10)
    # the same values as float64 give the same labels
    as_float = shepcore.segment(image.astype(np.float64), nodata=nodata, num_clusters=30,
                                min_segment_size=10, connectivity=8)
    np.testing.assert_array_equal(as_float.labels, res.labels)


def test_scene_window_and_band_subset(scene):
    image, nodata = read_raster(scene("mosaic_cog1.tif"), bands=[3, 1], window=(200, 100, 300, 400))
    assert image.shape == (2, 300, 400)
    res = shepcore.segment(image, nodata=nodata, min_segment_size=30)
    check(image, nodata, res, min_size=30)


def test_missing_scenes_fail_instead_of_skipping(tmp_path):
    """With SHEPCORE_SCENES pointing nowhere, scene tests error out with a
    clear message; they are never skipped."""
    missing = tmp_path / "no-scenes-here"
    env = {**os.environ, "SHEPCORE_SCENES": str(missing)}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA",
         f"{__file__}::test_scene_window_and_band_subset"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode != 0
    assert f"real test scenes not found at {missing}" in proc.stdout
    assert "skipped" not in proc.stdout and "1 error" in proc.stdout
