"""segment(): end to end on synthetic scenes, input handling and every error
raised at the API boundary."""

import re
import subprocess
import sys

import naive
import numpy as np
import pytest
from conftest import DTYPES, FLOAT_DTYPES, REPO

import shepcore
from shepcore import SegmentationResult, SpectralModel
from shepcore.synthetic import voronoi_scene


def assert_bijection(labels, regions):
    """Every region is exactly one segment and every segment one region."""
    assert labels.min() >= 1
    nreg = int(regions.max()) + 1
    nseg = int(labels.max())
    pairs = np.unique(regions.astype(np.int64) * (nseg + 1) + labels)
    assert nseg == nreg
    assert pairs.size == nreg, "some region is split or some segment spans regions"
    np.testing.assert_array_equal(
        np.sort(np.bincount(regions.ravel())), np.sort(np.bincount(labels.ravel())[1:])
    )


def small_image(dtype=np.float64, seed=0, shape=(2, 20, 24)):
    rng = np.random.default_rng(seed)
    return rng.integers(1, 100, shape).astype(dtype)


# -- synthetic Voronoi scenes ------------------------------------------------------


@pytest.fixture(scope="module")
def big_scene():
    """2000 x 2000, 3 bands, 6 Voronoi regions of 378k to 945k pixels."""
    return voronoi_scene(2000, 2000, bands=3, grid=(2, 3), noise=0, seed=3)


@pytest.mark.parametrize("connectivity", [4, 8])
def test_voronoi_huge_regions_come_back_whole(big_scene, connectivity):
    """No cap on segment size: a region of a million pixels is one segment."""
    image, regions = big_scene
    sizes = np.bincount(regions.ravel())
    assert sizes.max() >= 900_000 and (sizes >= 500_000).sum() >= 4
    res = shepcore.segment(image, num_clusters=10, connectivity=connectivity)
    assert_bijection(res.labels, regions)
    assert res.num_segments == 6
    assert res.labels.dtype == np.uint32


@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("dtype", DTYPES)
def test_voronoi_regions_come_back_as_segments(dtype, connectivity):
    image, regions = voronoi_scene(300, 400, bands=3, grid=(6, 8), noise=0, dtype=dtype,
                                   seed=1, low=10, high=250)
    res = shepcore.segment(image, num_clusters=60, connectivity=connectivity)
    assert_bijection(res.labels, regions)


@pytest.mark.parametrize("fixed_init", [False, True])
def test_voronoi_fixed_init_and_kmeanspp(fixed_init):
    image, regions = voronoi_scene(200, 300, bands=2, grid=(4, 5), noise=0, seed=2)
    res = shepcore.segment(image, num_clusters=40, fixed_init=fixed_init)
    assert_bijection(res.labels, regions)


@pytest.mark.parametrize("connectivity", [4, 8])
def test_labels_do_not_depend_on_dtype(connectivity):
    image, _ = voronoi_scene(120, 150, bands=3, grid=(4, 4), noise=20, dtype=np.uint8,
                             seed=5, low=30, high=220)
    results = [
        shepcore.segment(image.astype(dt), num_clusters=12, connectivity=connectivity,
                         min_segment_size=10).labels
        for dt in DTYPES
    ]
    for labels in results[1:]:
        np.testing.assert_array_equal(labels, results[0])


# -- result and input handling ------------------------------------------------------


def test_result_fields():
    image = small_image()
    res = shepcore.segment(image, num_clusters=5, min_segment_size=4)
    assert isinstance(res, SegmentationResult)
    assert res.labels.dtype == np.uint32 and res.labels.shape == (20, 24)
    assert res.num_segments == res.labels.max()
    np.testing.assert_array_equal(np.unique(res.labels), np.arange(1, res.num_segments + 1))
    assert isinstance(res.model, SpectralModel) and res.model.centres.shape == (5, 2)
    assert res.max_spectral_diff == res.model.max_spectral_diff
    assert set(res.timings) == {"fit", "assign", "clump", "single_pixels", "small_segments",
                                "relabel"}
    assert all(t >= 0 for t in res.timings.values())


def test_input_is_not_modified():
    image = small_image(np.float32)
    image[0, 0, 0] = np.nan
    before = image.copy()
    shepcore.segment(image, num_clusters=4, min_segment_size=5)
    np.testing.assert_array_equal(image, before)


def test_two_dimensional_input_is_one_band():
    image = small_image(np.uint16, shape=(1, 15, 17))
    a = shepcore.segment(image, num_clusters=4, min_segment_size=3).labels
    b = shepcore.segment(image[0], num_clusters=4, min_segment_size=3).labels
    np.testing.assert_array_equal(a, b)


def test_non_contiguous_input_equals_its_copy():
    base = small_image(np.float32, shape=(4, 40, 30))
    view = base[::2, ::-2, 1::2]
    assert not view.flags.c_contiguous
    a = shepcore.segment(view, num_clusters=5, min_segment_size=3).labels
    b = shepcore.segment(view.copy(), num_clusters=5, min_segment_size=3).labels
    np.testing.assert_array_equal(a, b)


def test_nested_list_input():
    res = shepcore.segment([[1, 1, 9], [1, 1, 9]], num_clusters=2, min_segment_size=1)
    np.testing.assert_array_equal(res.labels, [[1, 1, 2], [1, 1, 2]])


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_nan_and_inf_are_null(dtype):
    image = small_image(dtype, shape=(2, 12, 14))
    image[0, 2, 3] = np.nan
    image[1, 5, :] = np.nan
    image[0, 7, 7] = np.inf
    image[1, 8, 8] = -np.inf
    res = shepcore.segment(image, num_clusters=4, min_segment_size=3)
    np.testing.assert_array_equal(res.labels == 0, naive.null_mask(image))
    assert (res.labels == 0).sum() == 1 + 14 + 2


@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("dtype", DTYPES)
def test_nodata_is_null_in_any_band(dtype, connectivity):
    image = small_image(dtype, shape=(3, 16, 16))
    image[:, :3, :] = 0  # collar, all bands
    image[1, 8, 8] = 0  # one band only: still null
    res = shepcore.segment(image, num_clusters=4, min_segment_size=5, nodata=0,
                           connectivity=connectivity)
    np.testing.assert_array_equal(res.labels == 0, naive.null_mask(image, 0))
    assert res.labels[8, 8] == 0
    # without a nodata value the zeros are ordinary pixels
    res = shepcore.segment(image, num_clusters=4, min_segment_size=5,
                           connectivity=connectivity)
    assert (res.labels > 0).all()


def test_model_nodata_is_the_default_and_can_be_overridden():
    image = small_image(shape=(1, 10, 10))
    image[0, 0, :] = 500
    model = SpectralModel(centres=np.array([[20.0], [80.0]]), nodata=500.0,
                          max_spectral_diff=np.inf)
    res = shepcore.segment(image, model=model, min_segment_size=3)
    assert (res.labels[0] == 0).all() and (res.labels[1:] > 0).all()
    res = shepcore.segment(image, model=model, min_segment_size=3, nodata=-1)
    assert (res.labels > 0).all()


def test_max_spectral_diff_settings_with_a_model():
    image = small_image(shape=(1, 10, 10))
    model = SpectralModel(centres=np.array([[20.0], [80.0]]), nodata=None,
                          max_spectral_diff=7.5)
    assert shepcore.segment(image, model=model).max_spectral_diff == 7.5
    assert shepcore.segment(image, model=model, max_spectral_diff=3).max_spectral_diff == 3
    assert shepcore.segment(image, model=model, max_spectral_diff=None).max_spectral_diff == np.inf


def test_single_valid_pixel_and_one_cluster_per_pixel():
    image = np.full((1, 3, 3), np.nan)
    image[0, 1, 1] = 4.0
    model = SpectralModel(centres=np.array([[0.0], [9.0]]), nodata=None,
                          max_spectral_diff=np.inf)
    res = shepcore.segment(image, model=model)
    np.testing.assert_array_equal(res.labels, [[0, 0, 0], [0, 1, 0], [0, 0, 0]])
    # exactly as many non-null pixels as clusters is allowed
    res = shepcore.segment(np.array([[[1, 2, 3, 4]]]), num_clusters=4, min_segment_size=1)
    np.testing.assert_array_equal(res.labels, [[1, 2, 3, 4]])


def test_numpy_scalar_parameters_are_accepted():
    image = small_image(np.uint8)
    image[:, :2] = 0
    kwargs = {"nodata": np.uint8(0), "num_clusters": np.int64(3),
              "min_segment_size": np.int32(5), "connectivity": np.int64(8),
              "max_spectral_diff": np.float32(30), "spectral_diff_percentile": np.float64(40),
              "sample_fraction": np.float32(0.5), "seed": np.uint8(3)}
    res = shepcore.segment(image, **kwargs)
    plain = shepcore.segment(image, nodata=0, num_clusters=3, min_segment_size=5,
                             connectivity=8, max_spectral_diff=30.0,
                             spectral_diff_percentile=40, sample_fraction=0.5, seed=3)
    np.testing.assert_array_equal(res.labels, plain.labels)
    assert (res.labels[:2] == 0).all()


@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("seed", range(4))
def test_many_centres_assignment_matches_oracle(seed, connectivity):
    """Many centres and smooth images: the nearest-centre search (pruning and
    neighbour shortcuts) must still give exactly the brute-force answer."""
    from scipy import ndimage

    rng = np.random.default_rng(900 + seed)
    image = np.stack([ndimage.gaussian_filter(rng.normal(0, 40, (40, 50)), 2)
                      for _ in range(3)])
    centres = rng.normal(0, 8, (int(rng.integers(30, 80)), 3))
    if seed % 2:
        centres = np.round(centres)  # ties between centres at equal distance
        image = np.round(image)
    model = SpectralModel(centres=centres, nodata=None, max_spectral_diff=np.inf)
    res = shepcore.segment(image, model=model, min_segment_size=1, connectivity=connectivity)
    expected, singles, _ = naive.segment(image, centres, min_size=1,
                                         connectivity=connectivity)
    np.testing.assert_array_equal(res.labels, expected)
    assert res.single_pixels_eliminated == singles


def test_constant_image_is_one_segment():
    res = shepcore.segment(np.full((2, 8, 9), 7, np.uint8), num_clusters=3)
    assert res.num_segments == 1 and (res.labels == 1).all()


# -- errors at the boundary ------------------------------------------------------


GOOD = small_image()

BAD_CALLS = [
    # (id, image, kwargs, exception, message pattern)
    ("ndim1", np.ones(5), {}, ValueError, r"image: expected a \(bands, rows, cols\).*\(5,\)"),
    ("ndim4", np.ones((1, 2, 3, 4)), {}, ValueError, r"image: expected.*\(1, 2, 3, 4\)"),
    ("empty", np.ones((1, 0, 3)), {}, ValueError, r"image: array is empty"),
    # a zero-memory broadcast view of 2**32 pixels: over the uint32 label limit
    ("too_big", np.broadcast_to(np.zeros((1, 1, 1), np.uint8), (1, 65536, 65536)), {},
     ValueError, r"image: 65536 x 65536 pixels is too many"),
    ("bool", np.ones((1, 4, 4), bool), {}, TypeError, r"image: dtype bool is not supported"),
    ("complex", np.ones((1, 4, 4), complex), {}, TypeError, r"image: dtype complex128"),
    ("object", np.ones((1, 4, 4), object), {}, TypeError, r"image: dtype object"),
    ("str", np.full((1, 4, 4), "a"), {}, TypeError, r"image: dtype <U1"),
    ("min0", GOOD, {"min_segment_size": 0}, ValueError, r"min_segment_size must be >= 1, got 0"),
    ("min-3", GOOD, {"min_segment_size": -3}, ValueError, r"min_segment_size"),
    ("min_float", GOOD, {"min_segment_size": 2.0}, TypeError, r"min_segment_size must be an int"),
    ("k1", GOOD, {"num_clusters": 1}, ValueError, r"num_clusters must be >= 2"),
    ("k_float", GOOD, {"num_clusters": 3.0}, TypeError, r"num_clusters must be an integer"),
    ("k_too_many", GOOD, {"num_clusters": 20 * 24 + 1}, ValueError,
     r"num_clusters \(481\) exceeds the number of non-null pixels"),
    ("conn6", GOOD, {"connectivity": 6}, ValueError, r"connectivity must be 4 or 8, got 6"),
    ("conn0", GOOD, {"connectivity": 0}, ValueError, r"connectivity must be 4 or 8"),
    ("conn_true", GOOD, {"connectivity": True}, ValueError, r"connectivity must be 4 or 8"),
    ("conn_str", GOOD, {"connectivity": "8"}, ValueError, r"connectivity must be 4 or 8"),
    ("msd_neg", GOOD, {"max_spectral_diff": -1}, ValueError, r"max_spectral_diff"),
    ("msd_nan", GOOD, {"max_spectral_diff": np.nan}, ValueError, r"max_spectral_diff"),
    ("msd_str", GOOD, {"max_spectral_diff": "none"}, ValueError, r"max_spectral_diff"),
    ("pct", GOOD, {"spectral_diff_percentile": 101}, ValueError, r"spectral_diff_percentile"),
    ("sample0", GOOD, {"sample_fraction": 0}, ValueError, r"sample_fraction"),
    ("sample2", GOOD, {"sample_fraction": 2}, ValueError, r"sample_fraction"),
    ("nodata_str", GOOD, {"nodata": "0"}, TypeError, r"nodata must be a number or None"),
    ("seed_neg", GOOD, {"seed": -1}, ValueError, r"seed must be >= 0"),
    ("model_type", GOOD, {"model": np.ones((2, 2))}, TypeError, r"model must be a SpectralModel"),
    ("model_bands", GOOD,
     {"model": SpectralModel(np.ones((3, 5)), None, np.inf)}, ValueError,
     r"model has 5 bands but image has 2"),
]


@pytest.mark.parametrize(("image", "kwargs", "exc", "match"),
                         [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS])
def test_bad_input_raises_clear_error(image, kwargs, exc, match):
    with pytest.raises(exc, match=match) as info:
        shepcore.segment(image, **kwargs)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_all_nan_image_raises_and_one_valid_pixel_passes(dtype):
    image = np.full((2, 4, 5), np.nan, dtype)
    with pytest.raises(ValueError, match="no non-null pixels"):
        shepcore.segment(image, num_clusters=2)
    image[:, 0, :2] = [[1, 2], [3, 4]]
    res = shepcore.segment(image, num_clusters=2, min_segment_size=1)
    np.testing.assert_array_equal(res.labels[0, :2], [1, 2])
    assert (res.labels.ravel()[2:] == 0).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_all_nodata_image_raises_and_partial_nodata_passes(dtype):
    image = np.full((3, 6, 6), 9, dtype)
    with pytest.raises(ValueError, match="no non-null pixels"):
        shepcore.segment(image, nodata=9, num_clusters=2)
    model = SpectralModel(np.array([[1.0, 2, 3], [4, 5, 6]]), 9.0, np.inf)
    with pytest.raises(ValueError, match="image has no non-null pixels"):
        shepcore.segment(image, model=model)
    image[:, 3:, :] = 20  # the nodata variant: half the image is valid
    image[0, 5, 5] = 30
    res = shepcore.segment(image, nodata=9, num_clusters=2, min_segment_size=2)
    np.testing.assert_array_equal(res.labels == 0, naive.null_mask(image, 9))
    assert res.num_segments == 1


def test_too_many_clusters_counts_only_non_null_pixels():
    image = small_image(shape=(1, 5, 5))
    image[0, :4] = np.nan  # 5 valid pixels left
    with pytest.raises(ValueError, match=r"num_clusters \(6\) exceeds"):
        shepcore.segment(image, num_clusters=6)
    assert shepcore.segment(image, num_clusters=5, min_segment_size=1).num_segments >= 1


def test_model_band_count_mismatch_then_match():
    image = small_image(shape=(3, 8, 8))
    with pytest.raises(ValueError, match="model has 2 bands but image has 3"):
        shepcore.segment(image, model=SpectralModel(np.ones((4, 2)), None, np.inf))
    shepcore.segment(image, model=SpectralModel(np.ones((4, 3)), None, np.inf))


# -- known bugs (see the report) ------------------------------------------------------


def test_float16_image_segments_like_float32():
    image = small_image(np.float32, shape=(2, 10, 12))
    expected = shepcore.segment(image, num_clusters=3, min_segment_size=3).labels
    res = shepcore.segment(image.astype(np.float16), num_clusters=3, min_segment_size=3)
    np.testing.assert_array_equal(res.labels, expected)


@pytest.mark.parametrize("dtype", [">u2", ">i2", ">f8"])
def test_big_endian_image_segments_like_native(dtype):
    image = small_image(np.dtype(dtype).newbyteorder("="), shape=(2, 10, 12))
    expected = shepcore.segment(image, num_clusters=3, min_segment_size=3).labels
    res = shepcore.segment(image.astype(dtype), num_clusters=3, min_segment_size=3)
    np.testing.assert_array_equal(res.labels, expected)


TOO_MANY_CENTRES_CHILD = r"""
import resource
resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))  # fail fast, never swap
import numpy as np
import shepcore
from shepcore import SpectralModel
image = np.array([[[0.0, 65535.0, 65535.0, 3.0]]])
model = SpectralModel(np.arange(70000.0)[:, None], None, np.inf)
try:
    res = shepcore.segment(image, model=model, min_segment_size=1)
except ValueError as err:
    print("REFUSED", err)
else:
    print("LABELS", res.labels.tolist())
"""


def test_model_with_more_than_65535_centres_is_refused_or_correct():
    """Run in a child with an 8 GiB address-space limit, so the K x K
    allocation fails at once instead of swapping."""
    proc = subprocess.run([sys.executable, "-c", TOO_MANY_CENTRES_CHILD], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.strip().splitlines()[-1]
    out = proc.stdout.strip()
    if out.startswith("REFUSED"):
        assert re.search(r"model|centres|clusters", out)
    else:
        assert out == "LABELS [[1, 2, 2, 3]]", f"valid pixels labelled null: {out}"


@pytest.mark.parametrize("centres", [np.full((2, 2), np.nan), np.zeros((0, 2))],
                         ids=["nan", "empty"])
def test_malformed_model_raises_clear_error(centres):
    with pytest.raises(ValueError, match=r"model|centres"):
        shepcore.segment(small_image(), model=SpectralModel(centres, None, np.inf))


def test_float32_nodata_is_compared_in_the_bands_type():
    """A float32 band's nodata -9999.9 is the float32 value nearest to it
    (as GDAL's masks and the statistics compare): those pixels are null in
    the segmentation and the model fit too (redesign issue: one null rule)."""
    image = np.full((1, 20, 30), 5.0, np.float32)
    image[0, :, 15:] = 50.0
    image[0, 5:10, 5:10] = np.float32(-9999.9)
    res = shepcore.segment(image, nodata=-9999.9, num_clusters=2, min_segment_size=1)
    assert (res.labels[5:10, 5:10] == 0).all() and (res.labels > 0).sum() == 600 - 25
    model = shepcore.fit_model(image, nodata=-9999.9, num_clusters=2, sample_fraction=1.0)
    assert model.info["num_samples"] == 600 - 25
