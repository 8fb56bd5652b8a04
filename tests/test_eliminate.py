"""Stages 3 and 4: single-pixel and iterative small-segment elimination.

The hand-made cases go through :func:`shepcore.segment` with a hand-built
:class:`SpectralModel`, whose centres fix the clustering, so the whole
expected label image can be written out. The oracle cases call the kernels
directly and compare them with tests/naive.py.
"""

import naive
import numpy as np
import pytest
from conftest import DTYPES, FLOAT_DTYPES

import shepcore
from shepcore import SpectralModel
from shepcore._kernels.clump import clump
from shepcore._kernels.eliminate import eliminate_single_pixels, eliminate_small_segments
from shepcore._kernels.relabel import count_pixels, spectral_sums


def model(*centres, nodata=None, limit=np.inf):
    """A SpectralModel with the given centres (scalars = one band)."""
    c = np.array(centres, np.float64)
    if c.ndim == 1:
        c = c[:, None]
    return SpectralModel(centres=c, nodata=nodata, max_spectral_diff=limit)


def run(image, centres, *, dtype=np.float64, min_size=1, limit=None, connectivity=4,
        nodata=None):
    """segment() with clustering fixed by ``centres``."""
    img = np.asarray(image, dtype)
    return shepcore.segment(img, model=model(*centres, nodata=nodata), min_segment_size=min_size,
                            max_spectral_diff=limit, connectivity=connectivity)


# -- single pixels -------------------------------------------------------------


@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("dtype", DTYPES)
def test_single_pixel_goes_to_spectrally_nearest_neighbour(dtype, connectivity):
    # fmt: off
    image = [[10, 10, 10, 50, 50, 50],
             [10, 10, 10, 50, 50, 50],
             [10, 10, 33, 50, 50, 50],
             [10, 10, 10, 50, 50, 50]]
    expected = [[1, 1, 1, 2, 2, 2],
                [1, 1, 1, 2, 2, 2],
                [1, 1, 2, 2, 2, 2],
                [1, 1, 1, 2, 2, 2]]
    # fmt: on
    res = run(image, [10, 30, 50], dtype=dtype, connectivity=connectivity)
    np.testing.assert_array_equal(res.labels, expected)
    assert res.single_pixels_eliminated == 1
    assert res.num_segments == 2


@pytest.mark.parametrize("dtype", DTYPES)
def test_single_pixel_multiband_euclidean_distance(dtype):
    """Band 0 alone ties up and left (2 away each; up would win the tie);
    over both bands left is nearer."""
    # fmt: off
    band0 = [[ 9,  9,  9],
             [ 5,  7,  5],
             [ 5,  5,  5]]
    band1 = [[20, 20, 20],
             [13, 15, 13],
             [13, 13, 13]]
    expected = [[1, 1, 1],
                [2, 2, 2],
                [2, 2, 2]]
    # fmt: on
    image = np.array([band0, band1], dtype)
    # up differs by (2, 5): d2 = 29; left by (2, 2): d2 = 8
    res = run(image, [[9, 20], [7, 15], [5, 13]], dtype=dtype)
    np.testing.assert_array_equal(res.labels, expected)
    assert res.single_pixels_eliminated == 1


@pytest.mark.parametrize("dtype", DTYPES)
def test_single_pixel_tie_goes_up_before_left(dtype):
    # fmt: off
    image = [[20, 20, 20],
             [40, 30, 60],
             [40, 60, 60]]
    expected = [[1, 1, 1],
                [2, 1, 3],
                [2, 3, 3]]
    # fmt: on
    res = run(image, [20, 30, 40, 60], dtype=dtype)
    np.testing.assert_array_equal(res.labels, expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_single_pixel_tie_goes_left_before_right_before_down(dtype):
    # fmt: off
    image = [[ 0, 90, 90],
             [40, 30, 20],
             [40, 20, 20]]
    expected = [[0, 1, 1],
                [2, 2, 3],
                [2, 3, 3]]
    # fmt: on
    # up is null; left (40) and right/down (20) are all 10 away: left wins
    res = run(image, [20, 30, 40, 90], dtype=dtype, nodata=0)
    np.testing.assert_array_equal(res.labels, expected)
    # fmt: off
    image = [[ 0, 90, 90],
             [ 0, 30, 20],
             [40, 40, 20]]
    expected = [[0, 1, 1],
                [0, 2, 2],
                [3, 3, 2]]
    # fmt: on
    # up is 90 (60 away), left null; right (20) and down (40) tie: right wins
    res = run(image, [20, 30, 40, 90], dtype=dtype, nodata=0)
    np.testing.assert_array_equal(res.labels, expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_single_pixel_uses_neighbour_pixel_value_not_segment_mean(dtype):
    """algorithm.md stage 3: the nearest neighbouring *pixel*. Up (44) is
    nearer than left (57) although left's segment mean (59.4) is nearer
    than up's (32.3)."""
    # fmt: off
    image = [[30, 30, 44, 30],
             [60, 57, 50, 30],
             [60, 60, 60, 30]]
    expected = [[1, 1, 1, 1],
                [2, 2, 1, 1],
                [2, 2, 2, 1]]
    # fmt: on
    res = run(image, [40, 50, 60], dtype=dtype)
    np.testing.assert_array_equal(res.labels, expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_single_pixel_decisions_use_the_state_before_the_pass(dtype):
    """(0, 1) may not use (0, 0), which is itself a single pixel before the
    pass, even though (0, 0) joins the 90 segment in the same pass (a
    sequential scan would then put (0, 1) there too, 1 away)."""
    # fmt: off
    image = [[51, 50, 10, 10],
             [90, 10, 10, 10],
             [90, 90, 10, 10]]
    expected = [[1, 2, 2, 2],
                [1, 2, 2, 2],
                [1, 1, 2, 2]]
    # fmt: on
    res = run(image, [10, 50, 51, 90], dtype=dtype)
    np.testing.assert_array_equal(res.labels, expected)
    assert res.single_pixels_eliminated == 2


@pytest.mark.parametrize("dtype", DTYPES)
def test_single_pixel_passes_repeat_along_a_chain(dtype):
    """Each pass frees the next pixel of a chain of single pixels."""
    res = run([[10, 10, 10, 20, 30, 40]], [10, 20, 30, 40], dtype=dtype)
    np.testing.assert_array_equal(res.labels, [[1, 1, 1, 1, 1, 1]])
    assert res.single_pixels_eliminated == 3


@pytest.mark.parametrize("dtype", DTYPES)
def test_single_pixel_with_only_null_4_neighbours(dtype):
    """Stays with 4-connectivity; with 8 it joins its diagonal neighbour."""
    # fmt: off
    image = [[0, 0, 5, 5],
             [0, 7, 0, 0],
             [0, 0, 0, 0]]
    expected_4 = [[0, 0, 1, 1],
                  [0, 2, 0, 0],
                  [0, 0, 0, 0]]
    expected_8 = [[0, 0, 1, 1],
                  [0, 1, 0, 0],
                  [0, 0, 0, 0]]
    # fmt: on
    res = run(image, [5, 7], dtype=dtype, nodata=0, connectivity=4)
    np.testing.assert_array_equal(res.labels, expected_4)
    assert res.single_pixels_eliminated == 0
    res = run(image, [5, 7], dtype=dtype, nodata=0, connectivity=8)
    np.testing.assert_array_equal(res.labels, expected_8)
    assert res.single_pixels_eliminated == 1


@pytest.mark.parametrize("dtype", DTYPES)
def test_single_pixel_diagonal_tie_goes_up_left_first(dtype):
    """All four diagonals are 3 away: (-1, -1) wins."""
    # fmt: off
    image = [[3, 3, 0, 9, 9],
             [0, 0, 6, 0, 0],
             [9, 9, 0, 3, 3]]
    expected_8 = [[1, 1, 0, 2, 2],
                  [0, 0, 1, 0, 0],
                  [3, 3, 0, 4, 4]]
    expected_4 = [[1, 1, 0, 2, 2],
                  [0, 0, 3, 0, 0],
                  [4, 4, 0, 5, 5]]
    # fmt: on
    res = run(image, [3, 6, 9], dtype=dtype, nodata=0, connectivity=8)
    np.testing.assert_array_equal(res.labels, expected_8)
    res = run(image, [3, 6, 9], dtype=dtype, nodata=0, connectivity=4)
    np.testing.assert_array_equal(res.labels, expected_4)


def test_single_pixel_diagonal_order_up_right_then_down_left_then_down_right():
    # fmt: off
    image = [[1, 1, 0, 9, 9],
             [0, 0, 6, 0, 0],
             [3, 3, 0, 1, 1]]
    expected = [[1, 1, 0, 2, 2],
                [0, 0, 2, 0, 0],
                [3, 3, 0, 4, 4]]
    # fmt: on
    # up-left and down-right (1) are 5 away; up-right (9) and down-left (3)
    # both 3: (-1, +1) wins
    res = run(image, [1, 3, 6, 9], connectivity=8, nodata=0)
    np.testing.assert_array_equal(res.labels, expected)
    # fmt: off
    image = [[1, 1, 0, 1, 1],
             [0, 0, 6, 0, 0],
             [9, 9, 0, 3, 3]]
    expected = [[1, 1, 0, 2, 2],
                [0, 0, 3, 0, 0],
                [3, 3, 0, 4, 4]]
    # fmt: on
    # the upper diagonals are 5 away, down-left (9) and down-right (3) both
    # 3: (+1, -1) wins
    res = run(image, [1, 3, 6, 9], connectivity=8, nodata=0)
    np.testing.assert_array_equal(res.labels, expected)


@pytest.mark.parametrize("connectivity", [4, 8])
def test_single_pixels_without_larger_neighbour_stay(connectivity):
    """A 4-connected checkerboard is all single pixels: none may merge, and
    none may merge in the small-segment stage either (no larger neighbour)."""
    # fmt: off
    image = [[1, 2, 1],
             [2, 1, 2]]
    expected_4 = [[1, 2, 3],
                  [4, 5, 6]]
    expected_8 = [[1, 2, 1],
                  [2, 1, 2]]
    # fmt: on
    res = run(image, [1, 2], connectivity=connectivity, min_size=10)
    if connectivity == 4:
        np.testing.assert_array_equal(res.labels, expected_4)
        assert res.single_pixels_eliminated == 0
        assert res.small_segments_eliminated == 0
    else:
        np.testing.assert_array_equal(res.labels, expected_8)
        # 3 vs 3 pixels: equal sizes, neither is strictly larger
        assert res.small_segments_eliminated == 0


# -- small segments ------------------------------------------------------------


@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("dtype", DTYPES)
def test_small_segment_merges_into_spectrally_nearest_neighbour(dtype, connectivity):
    # fmt: off
    image = [[10, 10, 10, 90, 90, 90],
             [10, 10, 60, 60, 90, 90],
             [10, 10, 10, 90, 90, 90]]
    expected = [[1, 1, 1, 2, 2, 2],
                [1, 1, 2, 2, 2, 2],
                [1, 1, 1, 2, 2, 2]]
    # fmt: on
    res = run(image, [10, 60, 90], dtype=dtype, min_size=3, connectivity=connectivity)
    np.testing.assert_array_equal(res.labels, expected)
    assert res.small_segments_eliminated == 1
    assert res.single_pixels_eliminated == 0


@pytest.mark.parametrize("dtype", DTYPES)
def test_small_segment_merges_only_into_strictly_larger(dtype):
    """40 and 45 are nearest to each other but equally large (2 pixels), so
    each must go to the 10 segment instead."""
    # fmt: off
    image = [[10, 10, 10, 10, 10, 10],
             [10, 40, 40, 45, 45, 10],
             [10, 10, 10, 10, 10, 10],
             [90, 90, 90, 90, 90, 90]]
    expected = [[1, 1, 1, 1, 1, 1],
                [1, 1, 1, 1, 1, 1],
                [1, 1, 1, 1, 1, 1],
                [2, 2, 2, 2, 2, 2]]
    # fmt: on
    res = run(image, [10, 40, 45, 90], dtype=dtype, min_size=3)
    np.testing.assert_array_equal(res.labels, expected)
    assert res.small_segments_eliminated == 2


@pytest.mark.parametrize("dtype", DTYPES)
def test_small_segment_uses_segment_means_not_touching_pixels(dtype):
    """The 50 segment touches the left segment only at 38s (12 away) and the
    right one at 66s (16 away), but the left mean is 20.5 (29.5 away) and the
    right mean 66 (16 away): it joins the right segment."""
    # fmt: off
    image = [[10, 10, 38, 66, 66, 66],
             [10, 38, 50, 50, 66, 66],
             [10, 10, 38, 66, 66, 66]]
    expected = [[1, 1, 1, 2, 2, 2],
                [1, 1, 2, 2, 2, 2],
                [1, 1, 1, 2, 2, 2]]
    # fmt: on
    res = run(image, [30, 50, 70], dtype=dtype, min_size=3)
    np.testing.assert_array_equal(res.labels, expected)
    assert res.small_segments_eliminated == 1


@pytest.mark.parametrize("dtype", DTYPES)
def test_spectral_limit_refuses_merge(dtype):
    # fmt: off
    image = [[10, 10, 10, 90, 90, 90],
             [10, 10, 60, 60, 90, 90],
             [10, 10, 10, 90, 90, 90]]
    refused = [[1, 1, 1, 2, 2, 2],
               [1, 1, 3, 3, 2, 2],
               [1, 1, 1, 2, 2, 2]]
    merged = [[1, 1, 1, 2, 2, 2],
              [1, 1, 2, 2, 2, 2],
              [1, 1, 1, 2, 2, 2]]
    # fmt: on
    centres = [10, 60, 90]
    res = run(image, centres, dtype=dtype, min_size=3, limit=29.5)
    np.testing.assert_array_equal(res.labels, refused)
    assert res.small_segments_eliminated == 0
    assert res.max_spectral_diff == 29.5
    # the limit is inclusive: a merge is refused only when the distance exceeds it
    res = run(image, centres, dtype=dtype, min_size=3, limit=30)
    np.testing.assert_array_equal(res.labels, merged)
    # the model's own limit is used for 'auto'
    img = np.asarray(image, dtype)
    res = shepcore.segment(img, model=model(*centres, limit=29.0), min_segment_size=3)
    np.testing.assert_array_equal(res.labels, refused)
    assert res.max_spectral_diff == 29.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_small_segment_tie_goes_to_lowest_label(dtype):
    """60 is 30 away from both sides: the lower label wins, whichever value
    it has."""
    # fmt: off
    image_a = [[30, 30, 30, 90, 90, 90],
               [30, 30, 60, 60, 90, 90],
               [30, 30, 30, 90, 90, 90]]
    image_b = [[90, 90, 90, 30, 30, 30],
               [90, 90, 60, 60, 30, 30],
               [90, 90, 90, 30, 30, 30]]
    expected = [[1, 1, 1, 2, 2, 2],
                [1, 1, 1, 1, 2, 2],
                [1, 1, 1, 2, 2, 2]]
    # fmt: on
    for image in (image_a, image_b):
        res = run(image, [30, 60, 90], dtype=dtype, min_size=3)
        np.testing.assert_array_equal(res.labels, expected)


@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("dtype", DTYPES)
def test_nulls_never_merge_and_stay_zero(dtype, connectivity):
    """The 50 segment touches only nulls: it survives below the minimum
    size. The 20 segment merges across to the 80 segment, never into null."""
    # fmt: off
    image = [[ 0,  0,  0,  0,  0,  0],
             [ 0, 50, 50,  0, 20,  0],
             [ 0,  0,  0,  0, 20,  0],
             [ 0, 80, 80, 80, 80, 80]]
    expected = [[0, 0, 0, 0, 0, 0],
                [0, 1, 1, 0, 2, 0],
                [0, 0, 0, 0, 2, 0],
                [0, 2, 2, 2, 2, 2]]
    # fmt: on
    res = run(image, [20, 50, 80], dtype=dtype, min_size=4, nodata=0,
              connectivity=connectivity)
    np.testing.assert_array_equal(res.labels, expected)
    assert res.small_segments_eliminated == 1


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_nan_nulls_never_merge_and_stay_zero(dtype):
    """Same as above with NaN as the null (no nodata value given)."""
    nan = np.nan
    # fmt: off
    image = [[nan, nan, nan, nan, nan, nan],
             [nan,  50,  50, nan,  20, nan],
             [nan, nan, nan, nan,  20, nan],
             [nan,  80,  80,  80,  80,  80]]
    expected = [[0, 0, 0, 0, 0, 0],
                [0, 1, 1, 0, 2, 0],
                [0, 0, 0, 0, 2, 0],
                [0, 2, 2, 2, 2, 2]]
    # fmt: on
    res = run(image, [20, 50, 80], dtype=dtype, min_size=4)
    np.testing.assert_array_equal(res.labels, expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_passes_repeat_for_the_same_size(dtype):
    """A (2 px) sees only B (2 px, not larger). B joins C in pass 1; in pass 2
    A sees B+C (7 px) and joins it."""
    res = run([[10, 10, 12, 12, 14, 14, 14, 14, 14]], [10, 12, 14], dtype=dtype, min_size=3)
    np.testing.assert_array_equal(res.labels, [[1] * 9])
    assert res.small_segments_eliminated == 2


@pytest.mark.parametrize("dtype", DTYPES)
def test_sweep_repeats_when_a_neighbour_mean_moves(dtype):
    """A = 50 (2 px) is refused by B = 62 (3 px, 12 > 10 away). At s = 3, B
    joins C = 55 (5 px, 7 away): the new mean 57.625 is 7.6 from A, so the
    second sweep merges A."""
    image = [[50, 50, 62, 62, 62, 55, 55, 55, 55, 55]]
    res = run(image, [50, 55, 62], dtype=dtype, min_size=4, limit=10)
    np.testing.assert_array_equal(res.labels, [[1] * 10])
    assert res.small_segments_eliminated == 2
    # with a tighter limit B may not join C, so A stays too
    res = run(image, [50, 55, 62], dtype=dtype, min_size=4, limit=6.5)
    np.testing.assert_array_equal(res.labels, [[1, 1, 2, 2, 2, 3, 3, 3, 3, 3]])
    assert res.small_segments_eliminated == 0


def test_min_segment_size_one_disables_small_segment_stage():
    # fmt: off
    image = [[10, 10, 10, 90, 90, 90],
             [10, 10, 60, 60, 90, 90],
             [10, 10, 10, 90, 90, 90]]
    expected = [[1, 1, 1, 2, 2, 2],
                [1, 1, 3, 3, 2, 2],
                [1, 1, 1, 2, 2, 2]]
    # fmt: on
    res = run(image, [10, 60, 90], min_size=1)
    np.testing.assert_array_equal(res.labels, expected)
    assert res.small_segments_eliminated == 0
    res = run(image, [10, 60, 90], min_size=2)  # size 2 is not below 2
    np.testing.assert_array_equal(res.labels, expected)


def test_docstring_example():
    img = np.zeros((1, 4, 6), np.uint8)
    img[0, :, 3:] = 200
    res = shepcore.segment(img, num_clusters=2, min_segment_size=2)
    # fmt: off
    expected = [[1, 1, 1, 2, 2, 2],
                [1, 1, 1, 2, 2, 2],
                [1, 1, 1, 2, 2, 2],
                [1, 1, 1, 2, 2, 2]]
    # fmt: on
    np.testing.assert_array_equal(res.labels, expected)


# -- kernels against the oracles -------------------------------------------------


def random_case(seed, connectivity):
    """(image (B, R, C) float64, clump labels uint32, N) with many small clumps."""
    rng = np.random.default_rng(seed)
    rows, cols = (int(x) for x in rng.integers(3, 28, 2))
    bands = int(rng.integers(1, 4))
    if seed % 2:
        image = rng.integers(0, 6, (bands, rows, cols)).astype(np.float64)  # many ties
    else:
        image = rng.normal(0, 2, (bands, rows, cols))
    clusters = rng.integers(1, int(rng.integers(2, 6)), (rows, cols)).astype(np.uint16)
    clusters[rng.random((rows, cols)) < 0.1] = 0  # nulls
    labels = np.empty((rows, cols), np.uint32)
    n = clump(clusters, connectivity == 8, labels)
    return image, labels, n


@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("seed", range(15))
def test_eliminate_single_pixels_matches_oracle(seed, connectivity):
    image, labels, n = random_case(seed, connectivity)
    expected, expected_count = naive.eliminate_single_pixels(image, labels, connectivity)
    sizes = count_pixels(labels, n)
    count = eliminate_single_pixels(image, labels, sizes, connectivity == 8)
    assert count == expected_count
    np.testing.assert_array_equal(labels, expected)
    # sizes were kept up to date, vanished labels at 0
    np.testing.assert_array_equal(sizes, count_pixels(labels, n))


@pytest.mark.parametrize("max_diff", [None, 0.5, 1.5])
@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("seed", range(10))
def test_eliminate_small_segments_matches_oracle(seed, connectivity, max_diff):
    image, labels, n = random_case(seed, connectivity)
    eight = connectivity == 8
    eliminate_single_pixels(image, labels, count_pixels(labels, n), eight)
    labels = naive.canonical(labels)  # 1..N, as the kernel requires
    n = int(labels.max())
    min_size = 2 + seed % 9
    expected, expected_count = naive.eliminate_small_segments(
        image, labels, min_size, max_diff, connectivity
    )
    sizes = count_pixels(labels, n)
    sums = spectral_sums(image, labels, n)
    max_diff2 = np.inf if max_diff is None else max_diff**2
    count = eliminate_small_segments(labels, sizes, sums, min_size, max_diff2, eight, 1000)
    assert count == expected_count
    np.testing.assert_array_equal(labels, expected)
    np.testing.assert_array_equal(sizes, count_pixels(labels, n))
    live = sizes > 0  # sums of merged-away labels are left stale
    np.testing.assert_allclose(sums[live], spectral_sums(image, labels, n)[live], atol=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_eliminate_small_segments_pass_bound(seed):
    """max_passes bounds the passes per size; the oracle takes the same bound."""
    image, labels, n = random_case(seed, 4)
    expected, expected_count = naive.eliminate_small_segments(image, labels, 6, None, 4,
                                                              max_passes=1)
    sizes = count_pixels(labels, n)
    sums = spectral_sums(image, labels, n)
    count = eliminate_small_segments(labels, sizes, sums, 6, np.inf, False, 1)
    assert count == expected_count
    np.testing.assert_array_equal(labels, expected)


@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("seed", range(30))
def test_segment_with_model_matches_oracle(seed, connectivity):
    """All stages after k-means, through the public API."""
    rng = np.random.default_rng(500 + seed)
    rows, cols = (int(x) for x in rng.integers(4, 30, 2))
    bands = int(rng.integers(1, 4))
    image = (rng.integers(0, 6, (bands, rows, cols)) if seed % 2
             else rng.normal(0, 2, (bands, rows, cols)))
    nodata = None
    if seed % 3 == 0:
        image = image.astype(np.float64)
        image[:, rng.random((rows, cols)) < 0.15] = -7
        nodata = -7
    centres = rng.uniform(0, 5, (int(rng.integers(2, 7)), bands))
    max_diff = [None, 0.5, 1.0, 2.5][seed % 4]
    min_size = int(rng.integers(2, 15))
    expected, singles, merged = naive.segment(
        image, centres, nodata=nodata, max_diff=max_diff, min_size=min_size,
        connectivity=connectivity,
    )
    m = SpectralModel(centres=centres, nodata=nodata,
                      max_spectral_diff=np.inf if max_diff is None else max_diff)
    res = shepcore.segment(image, model=m, min_segment_size=min_size, connectivity=connectivity)
    np.testing.assert_array_equal(res.labels, expected)
    assert res.single_pixels_eliminated == singles
    assert res.small_segments_eliminated == merged
    assert res.num_segments == expected.max()
