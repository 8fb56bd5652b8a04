"""Stage 2, clumping: the union-find kernel against hand-made answers and
against scipy.ndimage.label (tests/naive.py)."""

import naive
import numpy as np
import pytest
from conftest import DTYPES

import shepcore
from shepcore import SpectralModel
from shepcore._kernels.clump import clump


def run_clump(clusters, connectivity):
    clusters = np.ascontiguousarray(clusters, np.uint16)
    labels = np.full(clusters.shape, 12345, np.uint32)  # garbage: kernel must overwrite
    n = clump(clusters, connectivity == 8, labels)
    return labels, n


def test_diagonal_line_is_one_clump_with_8_and_n_clumps_with_4():
    # fmt: off
    clusters = np.array([[1, 0, 0, 0, 0],
                         [0, 1, 0, 0, 0],
                         [0, 0, 1, 0, 0],
                         [0, 0, 0, 1, 0],
                         [0, 0, 0, 0, 1]])
    expected_4 = np.array([[1, 0, 0, 0, 0],
                           [0, 2, 0, 0, 0],
                           [0, 0, 3, 0, 0],
                           [0, 0, 0, 4, 0],
                           [0, 0, 0, 0, 5]])
    expected_8 = np.array([[1, 0, 0, 0, 0],
                           [0, 1, 0, 0, 0],
                           [0, 0, 1, 0, 0],
                           [0, 0, 0, 1, 0],
                           [0, 0, 0, 0, 1]])
    # fmt: on
    labels, n = run_clump(clusters, 4)
    assert n == 5
    np.testing.assert_array_equal(labels, expected_4)
    labels, n = run_clump(clusters, 8)
    assert n == 1
    np.testing.assert_array_equal(labels, expected_8)


def test_anti_diagonal_line_joins_up_right_with_8():
    """The up-right neighbour is the one a raster scan reaches last."""
    # fmt: off
    clusters = np.array([[0, 0, 0, 7],
                         [0, 0, 7, 0],
                         [0, 7, 0, 0],
                         [7, 0, 0, 0]])
    expected_4 = np.array([[0, 0, 0, 1],
                           [0, 0, 2, 0],
                           [0, 3, 0, 0],
                           [4, 0, 0, 0]])
    # fmt: on
    labels, n = run_clump(clusters, 4)
    assert n == 4
    np.testing.assert_array_equal(labels, expected_4)
    labels, n = run_clump(clusters, 8)
    assert n == 1
    np.testing.assert_array_equal(labels, (clusters > 0).astype(np.uint32))


def test_crossing_diagonals_two_clusters():
    """Two clusters whose diagonals cross: with 8-connectivity both connect
    (the usual 8-connected rule, no exception for crossings)."""
    # fmt: off
    clusters = np.array([[2, 2, 1, 1],
                         [1, 2, 1, 2],
                         [1, 1, 2, 2],
                         [0, 1, 0, 2]])
    expected_4 = np.array([[1, 1, 2, 2],
                           [3, 1, 2, 4],
                           [3, 3, 4, 4],
                           [0, 3, 0, 4]])
    expected_8 = np.array([[1, 1, 2, 2],
                           [2, 1, 2, 1],
                           [2, 2, 1, 1],
                           [0, 2, 0, 1]])
    # fmt: on
    labels, n = run_clump(clusters, 4)
    assert n == 4
    np.testing.assert_array_equal(labels, expected_4)
    labels, n = run_clump(clusters, 8)
    assert n == 2
    np.testing.assert_array_equal(labels, expected_8)


@pytest.mark.parametrize("connectivity", [4, 8])
def test_u_shape_arms_join_at_the_bottom(connectivity):
    """The arms of each U start as separate roots and meet only on a later
    row; each U gets the ID of its first pixel. No diagonal contact between
    equal clusters, so 4 and 8 agree."""
    # fmt: off
    clusters = np.array([[3, 5, 5, 3, 5, 3],
                         [3, 5, 5, 3, 5, 3],
                         [3, 5, 5, 3, 5, 3],
                         [3, 3, 3, 3, 5, 3],
                         [5, 5, 5, 5, 5, 3]])
    expected = np.array([[1, 2, 2, 1, 3, 4],
                         [1, 2, 2, 1, 3, 4],
                         [1, 2, 2, 1, 3, 4],
                         [1, 1, 1, 1, 3, 4],
                         [3, 3, 3, 3, 3, 4]])
    # fmt: on
    labels, n = run_clump(clusters, connectivity)
    assert n == 4
    np.testing.assert_array_equal(labels, expected)


def test_interleaved_spirals_are_one_clump_each():
    """Two interleaved spirals force many late union-find joins."""
    # fmt: off
    clusters = np.array([[1, 1, 1, 1, 1, 1, 1],
                         [2, 2, 2, 2, 2, 2, 1],
                         [1, 1, 1, 1, 1, 2, 1],
                         [1, 2, 2, 2, 1, 2, 1],
                         [1, 2, 1, 1, 1, 2, 1],
                         [1, 2, 2, 2, 2, 2, 1],
                         [1, 1, 1, 1, 1, 1, 1]])
    expected = np.array([[1, 1, 1, 1, 1, 1, 1],
                         [2, 2, 2, 2, 2, 2, 1],
                         [1, 1, 1, 1, 1, 2, 1],
                         [1, 2, 2, 2, 1, 2, 1],
                         [1, 2, 1, 1, 1, 2, 1],
                         [1, 2, 2, 2, 2, 2, 1],
                         [1, 1, 1, 1, 1, 1, 1]])
    # fmt: on
    labels, n = run_clump(clusters, 4)
    assert n == 2
    np.testing.assert_array_equal(labels, expected)


@pytest.mark.parametrize("connectivity", [4, 8])
def test_nulls_stay_zero_and_split_clumps(connectivity):
    # fmt: off
    clusters = np.array([[4, 4, 0, 4, 4],
                         [4, 4, 0, 4, 4],
                         [0, 0, 0, 0, 0],
                         [4, 4, 0, 9, 9]])
    expected = np.array([[1, 1, 0, 2, 2],
                         [1, 1, 0, 2, 2],
                         [0, 0, 0, 0, 0],
                         [3, 3, 0, 4, 4]])
    # fmt: on
    labels, n = run_clump(clusters, connectivity)
    assert n == 4
    np.testing.assert_array_equal(labels, expected)


def test_all_null_gives_no_clumps():
    labels, n = run_clump(np.zeros((3, 4)), 8)
    assert n == 0
    assert not labels.any()


@pytest.mark.parametrize("connectivity", [4, 8])
def test_no_size_cap_on_clumps(connectivity):
    """A 2000 x 2000 homogeneous field stays one clump (algorithm.md,
    stage 2: no artificial cap)."""
    labels, n = run_clump(np.ones((2000, 2000)), connectivity)
    assert n == 1
    assert (labels == 1).all()


def test_one_row_and_one_column():
    labels, n = run_clump([[1, 1, 2, 2, 1]], 4)
    assert n == 3
    np.testing.assert_array_equal(labels, [[1, 1, 2, 2, 3]])
    labels, n = run_clump([[1], [2], [2], [1]], 8)
    assert n == 3
    np.testing.assert_array_equal(labels, [[1], [2], [2], [3]])


@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("seed", range(12))
def test_clump_matches_scipy_label(seed, connectivity):
    rng = np.random.default_rng(seed)
    rows, cols = rng.integers(1, 40, 2)
    nclusters = int(rng.integers(1, 5))
    clusters = rng.integers(0, nclusters + 1, (rows, cols)).astype(np.uint16)
    if seed % 3 == 0:  # large cluster ids too
        clusters[clusters > 0] += 60000
    labels, n = run_clump(clusters, connectivity)
    expected, expected_n = naive.clump(clusters, connectivity)
    assert n == expected_n
    np.testing.assert_array_equal(labels, expected)


@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("seed", range(3))
def test_clump_matches_scipy_label_on_blobby_input(seed, connectivity):
    """Smoothed noise gives large, winding clumps (many late joins)."""
    from scipy import ndimage

    rng = np.random.default_rng(100 + seed)
    field = ndimage.gaussian_filter(rng.normal(size=(300, 300)), 4)
    clusters = np.digitize(field, np.quantile(field, [0.1, 0.4, 0.7])).astype(np.uint16)
    labels, n = run_clump(clusters, connectivity)
    expected, expected_n = naive.clump(clusters, connectivity)
    assert n == expected_n
    np.testing.assert_array_equal(labels, expected)


# -- through segment(): clustering fixed by a hand-made model -------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_segment_staircase_4_vs_8(dtype):
    """Bright 1 x 2 steps touching only at corners: one segment with
    8-connectivity, three with 4 (and the background splits in two)."""
    # fmt: off
    image = np.array([[90, 90,  0,  0,  0,  0],
                      [ 0,  0, 90, 90,  0,  0],
                      [ 0,  0,  0,  0, 90, 90]], dtype)
    expected_4 = np.array([[1, 1, 2, 2, 2, 2],
                           [3, 3, 4, 4, 2, 2],
                           [3, 3, 3, 3, 5, 5]])
    expected_8 = np.array([[1, 1, 2, 2, 2, 2],
                           [2, 2, 1, 1, 2, 2],
                           [2, 2, 2, 2, 1, 1]])
    # fmt: on
    model = SpectralModel(centres=np.array([[0.0], [90.0]]), nodata=None,
                          max_spectral_diff=np.inf)
    res = shepcore.segment(image, model=model, min_segment_size=1, connectivity=4)
    np.testing.assert_array_equal(res.labels, expected_4)
    assert res.num_segments == 5
    res = shepcore.segment(image, model=model, min_segment_size=1, connectivity=8)
    np.testing.assert_array_equal(res.labels, expected_8)
    assert res.num_segments == 2
