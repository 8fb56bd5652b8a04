"""shepcore.tiles.stitch: joins and numbering of final IDs."""

import numpy as np
import pytest

from shepcore.tiles.stitch import MAX_SEGMENTS, final_ids


def test_segment_ids_beyond_uint32_are_refused(monkeypatch):
    """A joined segment count above 2**32 - 1 is a clear error."""
    import shepcore._kernels.unionfind as uf

    monkeypatch.setattr(uf, "join_and_number",
                        lambda n, pairs, keep: np.array([0, MAX_SEGMENTS + 1], np.int64))
    with pytest.raises(ValueError, match="do not fit a uint32 raster"):
        final_ids([np.array([False, True])], np.zeros((0, 4), np.int64))


def test_stitch_joins_and_numbers_in_tile_order():
    """Node offsets are int64; joined segments share one ID; IDs follow the
    first (tile, label) with core pixels."""
    cores = [np.array([False, True, True]), np.array([False, True, True])]
    lut, offsets, n = final_ids(cores, np.array([[0, 2, 1, 1]], np.int64))
    assert offsets.dtype == np.int64 and offsets.tolist() == [0, 3, 6]
    assert n == 3 and lut.tolist() == [0, 1, 2, 0, 2, 3]
