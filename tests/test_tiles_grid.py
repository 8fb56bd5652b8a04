"""shepcore.tiles.grid: tile cores partition any mosaic exactly (hypothesis),
overlaps are the configured band, 64-bit offsets."""

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from shepcore.tiles.grid import MIN_OVERLAP, axis_spans, tile_grid


@settings(max_examples=200, deadline=None)
@given(rows=st.integers(1, 200_000), cols=st.integers(1, 200_000),
       tile=st.integers(3, 20_000), frac=st.floats(0.0, 0.99))
def test_tile_cores_partition_any_mosaic(rows, cols, tile, frac):
    """Cores partition the mosaic exactly; overlaps are the configured band."""
    overlap = min(tile - 1, max(2, int(tile * frac)))
    stride = tile - overlap
    assume((rows // stride + 1) * (cols // stride + 1) <= 20_000)  # keep lists small
    tiles = tile_grid(rows, cols, tile, overlap)
    covered = sum(t.core_rows * t.core_cols for t in tiles)
    assert covered == rows * cols
    for t in tiles:
        assert t.row <= t.core_row and t.core_row + t.core_rows <= t.row + t.rows
        assert t.col <= t.core_col and t.core_col + t.core_cols <= t.col + t.cols
        assert t.rows <= rows and t.cols <= cols
    by = {(t.grid_row, t.grid_col): t for t in tiles}
    for (i, j), t in by.items():
        if (i, j + 1) in by:
            assert t.col + t.cols - by[(i, j + 1)].col == overlap
            assert t.core_col + t.core_cols == by[(i, j + 1)].core_col
        if (i + 1, j) in by:
            assert t.row + t.rows - by[(i + 1, j)].row == overlap
            assert t.core_row + t.core_rows == by[(i + 1, j)].core_row


def test_overlap_below_the_minimum_is_refused():
    """The schema's tiling/overlap minimum is the grid's."""
    with pytest.raises(ValueError, match=r"overlap must be in \[2, tile_size\)"):
        axis_spans(100, 10, MIN_OVERLAP - 1)
