"""Stage 1b, nearest-centre assignment: the pruned search against brute force.

The image-wide assignment (with its neighbour shortcut) is checked through
segment() against tests/naive.py in test_eliminate.py and
test_properties.py."""

import naive
import numpy as np
import pytest

from shepcore._kernels.nearest import centre_index, nearest


def kernel_nearest(x, centres):
    return nearest(np.asarray(x, np.float64), *centre_index(centres))


@pytest.mark.parametrize("seed", range(8))
def test_nearest_matches_brute_force_random_floats(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 80))
    b = int(rng.integers(1, 7))
    centres = rng.normal(0, 100, (k, b))
    index = centre_index(centres)
    for x in rng.normal(0, 120, (200, b)):
        idx, d2 = nearest(x, *index)
        exp_idx, exp_d2 = naive.nearest(x, centres)
        assert idx == exp_idx
        assert d2 == exp_d2


@pytest.mark.parametrize("seed", range(8))
def test_nearest_ties_go_to_lowest_index(seed):
    """Integer centres on a small lattice, with duplicates, and integer
    pixels: many exact ties, which must go to the lowest centre index."""
    rng = np.random.default_rng(seed)
    b = int(rng.integers(1, 4))
    centres = rng.integers(0, 4, (int(rng.integers(2, 30)), b)).astype(np.float64)
    centres = np.concatenate([centres, centres[::-1]])  # duplicates in both orders
    index = centre_index(centres)
    for x in rng.integers(-1, 5, (300, b)).astype(np.float64):
        idx, d2 = nearest(x, *index)
        assert (idx, d2) == naive.nearest(x, centres)


def test_nearest_hand_made_ties():
    # fmt: off
    centres = np.array([[0.0, 0.0],
                        [2.0, 0.0],
                        [0.0, 2.0],
                        [2.0, 0.0]])
    # fmt: on
    assert kernel_nearest([1.0, 0.0], centres) == (0, 1.0)  # 0 and 1 tie
    assert kernel_nearest([2.0, 1.0], centres) == (1, 1.0)  # 1 and 3 identical
    assert kernel_nearest([1.0, 1.0], centres) == (0, 2.0)  # 0, 1, 2, 3 tie
    assert kernel_nearest([0.0, 3.0], centres) == (2, 1.0)


def test_nearest_single_centre_and_collinear_centres():
    assert kernel_nearest([5.0, -3.0], np.array([[1.0, 1.0]])) == (0, 32.0)
    centres = np.array([[float(i), 0.0, 0.0] for i in range(10)])  # all on one line
    for x in ([4.4, 7.0, -1.0], [4.5, 0.0, 0.0], [-100.0, 0.0, 0.0], [3.0, 0.0, 0.0]):
        assert kernel_nearest(x, centres) == naive.nearest(x, centres)
