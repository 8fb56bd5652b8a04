"""shepcore.sampling (fidelity issue): ``sample_pixels`` means what it
says: the model is fitted on a number of valid samples within +-25 % of
it whenever the scene has more valid pixels, also with null collars; the
raster reader and the in-memory path pick the same pixels."""

import numpy as np
import pytest
from wfutil import REPO, write_geotiff

from shepcore.nulls import valid_samples
from shepcore.raster import read_grid_sample
from shepcore.raster.vrt import mosaic_layout, write_vrt
from shepcore.sampling import TOLERANCE, grid_positions, sample_grid


def collar_scene(rows, cols, valid_share, seed=0):
    """(3, rows, cols) uint16 with a null (0) collar around a rotated-looking
    valid diamond covering about ``valid_share`` of the pixels."""
    rng = np.random.default_rng(seed)
    image = rng.integers(1, 5000, (3, rows, cols)).astype(np.uint16)
    r, c = np.mgrid[:rows, :cols]
    dist = np.abs(r - rows / 2) / rows + np.abs(c - cols / 2) / cols
    inside = dist <= np.quantile(dist, valid_share)
    image[:, ~inside] = 0
    return image


def in_memory(image, n, nodata):
    def read(rows, cols):
        return image[:, rows][:, :, cols].reshape(image.shape[0], -1).T

    return sample_grid(image.shape[1], image.shape[2], n, read,
                       lambda x: valid_samples(x, nodata))


@pytest.mark.parametrize("valid_share", [1.0, 0.68, 0.3, 0.05])
@pytest.mark.parametrize("sample_pixels", [100, 5000, 60_000, 250_000])
def test_valid_samples_within_a_quarter_of_sample_pixels(tmp_path, valid_share,
                                                          sample_pixels):
    image = collar_scene(700, 900, valid_share)
    valid = int((image[0] != 0).sum())
    path = write_geotiff(tmp_path / "s.tif", image, nodata=0)
    got = read_grid_sample(path, sample_pixels, nodata=0)
    assert (got != 0).all(axis=1).all()
    if valid > sample_pixels:
        assert abs(got.shape[0] - sample_pixels) <= TOLERANCE * sample_pixels, (
            f"{got.shape[0]} samples for sample_pixels {sample_pixels}")
    else:
        assert got.shape[0] == valid  # every valid pixel
    np.testing.assert_array_equal(got, in_memory(image, sample_pixels, 0))


def test_demo_scene_samples_about_a_million_not_every_pixel(tmp_path):
    """Regression: the demo (2.45 Mpx, 1.66 M valid) was fitted on every
    valid pixel for sample_pixels 1000000 (the step rounded down to 1)."""
    bands = [str(REPO / "data" / "demo" / f"LC81070352015122LGN00_B{b}.tif") for b in (4, 3, 2)]
    vrt = str(tmp_path / "demo.vrt")
    write_vrt(mosaic_layout(bands, True, None, 0), vrt)
    got = read_grid_sample(vrt, 1_000_000, nodata=0)
    assert 750_000 <= got.shape[0] <= 1_250_000 and got.shape[0] < 1_600_000


def test_grid_positions_are_regular_and_inside():
    pos = grid_positions(10, 2.5)
    assert pos.tolist() == [1, 3, 6, 8]
    assert grid_positions(5, 1.0).tolist() == [0, 1, 2, 3, 4]
    assert grid_positions(3, 10.0).tolist() == [1]
