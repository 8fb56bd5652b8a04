"""shepcore.tiles.seams: a segment crossing the seam line is matched with
the segment of the other tile that shares most of its overlap pixels, in
both directions; checked against a plain numpy oracle and by hand."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shepcore.tiles.seams import match_strips


def naive_match(strip_a, strip_b, seam):
    """Plain numpy/Python reference of match_strips."""
    out = set()
    for src, dst, flip in ((strip_a, strip_b, False), (strip_b, strip_a, True)):
        for lab in set(np.unique(src[:, :seam])) & set(np.unique(src[:, seam:])) - {0}:
            sel = (src == lab) & (dst != 0)
            if not sel.any():
                continue
            values, counts = np.unique(dst[sel], return_counts=True)
            best = int(values[np.flatnonzero(counts == counts.max())[0]])  # lowest on ties
            out.add((best, int(lab)) if flip else (int(lab), best))
    return np.array(sorted(out), np.int64).reshape(-1, 2)


# fmt: off
def test_hand_made_strips():
    """a's 1 crosses (cols 0..3, seam at 2) and shares 4 px with b's 5, 2 with
    b's 6; b's 6 crosses and shares most with a's 2; a's 3 does not cross."""
    a = np.array([
        [1, 1, 1, 1],
        [1, 1, 1, 1],
        [2, 2, 2, 3],
    ], np.uint32)
    b = np.array([
        [5, 5, 6, 6],
        [5, 5, 0, 0],
        [6, 6, 6, 6],
    ], np.uint32)
    assert match_strips(a, b, 2).tolist() == [[1, 5], [2, 6]]
# fmt: on


def test_ties_go_to_the_lowest_label():
    a = np.ones((2, 4), np.uint32)
    b = np.array([[7, 7, 3, 3], [0, 0, 0, 0]], np.uint32)
    assert match_strips(a, b, 2).tolist() == [[1, 3]]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 100_000), rows=st.integers(1, 40), width=st.integers(2, 30),
       labels=st.integers(1, 12), null=st.floats(0, 0.5))
def test_matches_the_numpy_oracle(seed, rows, width, labels, null):
    rng = np.random.default_rng(seed)
    # Blocky strips (runs of equal labels, as real labels are) with nulls.
    a = np.repeat(rng.integers(1, labels + 1, (rows, width // 2 + 1)), 2, axis=1)[:, :width]
    b = np.repeat(rng.integers(1, labels + 1, (rows, width // 2 + 1)), 2, axis=1)[:, :width]
    a[rng.random(a.shape) < null] = 0
    b[rng.random(b.shape) < null] = 0
    seam = int(rng.integers(1, width))
    got = match_strips(a.astype(np.uint32), b.astype(np.uint32), seam)
    np.testing.assert_array_equal(got, naive_match(a, b, seam))


def test_empty_and_null_strips():
    z = np.zeros((3, 4), np.uint32)
    assert match_strips(z, z, 2).shape == (0, 2)
    assert match_strips(np.ones((3, 4), np.uint32), z, 2).shape == (0, 2)


@pytest.mark.parametrize("dtype", [np.uint32])
def test_large_ids(dtype):
    a = np.full((2, 4), 3_000_000, dtype)
    b = np.full((2, 4), 4_000_000, dtype)
    assert match_strips(a, b, 2).tolist() == [[3_000_000, 4_000_000]]
