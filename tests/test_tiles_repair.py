"""Seam repair (fidelity issue): every stitched segment is one connected
piece, with no empty IDs, and a seam leaves nothing an untiled run would
not have. The in-memory tiled path runs the same functions as the
workflow's jobs (tests/test_workflow.py checks they give the same raster)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import ndimage

import shepcore
from shepcore.synthetic import voronoi_scene
from shepcore.tiles.grid import Tile, tile_grid
from shepcore.tiles.inmemory import segment_tiled
from shepcore.tiles.pieces import split_core_pieces, tile_pieces

STRUCTURE = {4: None, 8: np.ones((3, 3), bool)}


def split_segments(labels, connectivity):
    """IDs of segments that are more than one connected piece."""
    bad = []
    for sid, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is not None and ndimage.label(labels[box] == sid,
                                             structure=STRUCTURE[connectivity])[1] > 1:
            bad.append(sid)
    return bad


def assert_ids_sequential(labels, n):
    present = np.unique(labels)
    assert present[0] == 0 or labels.min() > 0
    np.testing.assert_array_equal(present[present > 0], np.arange(1, n + 1))


def one_tile(rows, cols):
    return Tile("r000c000", 0, 0, 0, 0, 0, rows, cols, 0, 0, rows, cols)


# fmt: off
def test_a_label_cut_by_the_core_becomes_two_pieces():
    """Label 1 is a U whose bottom lies outside the core (rows 3..4): its
    core part falls apart into two pieces; the second gets ID n + 1."""
    labels = np.array([
        [1, 2, 2, 1],
        [1, 2, 2, 1],
        [1, 2, 2, 1],
        [1, 1, 1, 1],
        [3, 3, 3, 3],
    ], np.uint32)
    tile = Tile("r000c000", 0, 0, 0, 0, 0, 5, 4, 0, 0, 3, 4)  # core = rows 0..2
    n, piece_label = split_core_pieces(labels, tile, False)
    assert n == 3 and piece_label.tolist() == [1]
    np.testing.assert_array_equal(labels, [
        [1, 2, 2, 4],
        [1, 2, 2, 4],
        [1, 2, 2, 4],
        [1, 1, 1, 1],   # outside the core: labels stay
        [3, 3, 3, 3],
    ])
# fmt: on


def test_tile_pieces_facts_hand_made():
    """Pixel counts and sums over the core, strip and cut flags, in-core
    adjacency of strip pieces, edge lines facing neighbours."""
    labels = np.zeros((6, 6), np.uint32)
    labels[:, :3] = 1
    labels[:, 3:] = 2
    labels[5, :] = 3
    image = np.arange(36, dtype=np.uint16).reshape(1, 6, 6)
    tiles = tile_grid(10, 6, 6, 2)  # two tile rows: this is the top one
    tile = tiles[0]
    assert (tile.core_rows, tile.rows) == (5, 6)
    info = tile_pieces(labels.copy(), image, tile, (2, 1), 2, False)
    assert info.num_labels == 3 and info.piece_label.size == 0
    assert info.npix.tolist() == [0, 15, 15, 0]  # label 3 only outside the core
    assert info.sums[1, 0] == sum(image[0, r, c] for r in range(5) for c in range(3))
    assert info.strip.tolist() == [False, True, True, True]  # rows 4..5 are shared
    assert info.cut.tolist() == [False, False, False, True]
    assert info.adjacency.tolist() == [[1, 2]]
    assert set(info.edges) == {"bottom"}
    assert info.edges["bottom"].tolist() == [1, 1, 1, 2, 2, 2]


def demo_like_scene():
    """A segment whose core-side part is connected only through pixels that
    the neighbouring tile labels as another segment (the demo's defect)."""
    image = np.full((1, 40, 60), 100, np.uint16)
    image[0, :, 30:] = 900          # two halves: left 100, right 900
    image[0, 10:30, 26:36] = 500    # an object astride the seam at col 30
    image[0, 18:22, 26:33] = 100    # cut into two by a left-half tongue
    return image


def test_no_segment_in_two_pieces_on_a_constructed_seam_case():
    image = demo_like_scene()
    for conn in (4, 8):
        res = segment_tiled(image, tile_size=36, overlap=12, num_clusters=3,
                            min_segment_size=5, connectivity=conn, fixed_init=True)
        assert split_segments(res.labels, conn) == []
        assert_ids_sequential(res.labels, res.num_segments)


# derandomize: the same examples on every run, so CI never flakes; the
# examples still cover both connectivities, a range of tiles and noise.
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), tile=st.integers(70, 120), frac=st.floats(0.2, 0.5),
       connectivity=st.sampled_from([4, 8]), min_size=st.integers(1, 40),
       noise=st.sampled_from([200.0, 800.0, 2000.0]))
def test_tiled_segments_are_connected_and_numbered(seed, tile, frac, connectivity, min_size,
                                                   noise):
    """Random noisy scenes (200 x 240, 4 to 12 tiles of 70-120 px with
    overlaps of 20-50 % of the tile; the default is 25 %): every segment of
    the tiled result is one connected piece (scipy.ndimage.label), IDs run
    1..N with none empty, and N is within 7 % (at least 4 segments) of the
    untiled run. (Sampled here: at most 6 % off, with segments as large as
    a fifth of a tile; tiles of 40 px with overlaps of 6 give up to 8 %
    fewer, because seam matching joins more when tiles are that small; see
    docs/algorithm.md.)"""
    overlap = max(2, int(tile * frac)) // 2 * 2
    image, _ = voronoi_scene(200, 240, bands=2, grid=(6, 6), noise=noise, seed=seed)
    res = segment_tiled(image, tile_size=tile, overlap=overlap, num_clusters=12,
                        min_segment_size=min_size, connectivity=connectivity, seed=seed)
    assert len(res.tiles) >= 4
    assert split_segments(res.labels, connectivity) == []
    assert_ids_sequential(res.labels, res.num_segments)
    whole = shepcore.segment(image, model=res.model, min_segment_size=min_size,
                             connectivity=connectivity)
    assert abs(res.num_segments - whole.num_segments) <= max(4, 0.07 * whole.num_segments)
    below = (np.bincount(res.labels.ravel())[1:] < min_size).sum()
    assert sum(res.report["segments_below_min_size"].values()) == below


def hand_made_seam(connectivity, limit2):
    """Two tiles side by side (mosaic 10 x 16, tile 10, overlap 4: cores
    cols 0..7 and 8..15). Tile 0 sees an object A = one core pixel (5, 7)
    joined through (5, 8) to a body in column 9, both beyond its core; tile
    1 sees the body as B and (5, 8) as background. A is matched with B, so
    A's core pixel carries B's ID but touches only background: the demo's
    defect. Returns (final labels, report)."""
    from shepcore.tiles.seams import row_seam_pairs
    from shepcore.tiles.stitch import relabel_core, stitch_tiles

    tiles = tile_grid(10, 16, 10, 4)
    assert [(t.col, t.core_col, t.core_cols) for t in tiles] == [(0, 0, 8), (6, 8, 8)]
    mosaic = np.full((1, 10, 16), 100, np.uint16)  # background
    mosaic[0, 3:8, 9] = 500                         # the body
    mosaic[0, 5, 7:9] = 500                         # A's pixel and its link
    t0 = np.ones((10, 10), np.uint32)
    t0[3:8, 9] = 2
    t0[5, 7:9] = 2
    t1 = np.ones((10, 10), np.uint32)
    t1[3:8, 3] = 2                                  # mosaic column 9
    labels = [t0, t1]
    pieces = [tile_pieces(lab, mosaic[:, :, t.col:t.col + t.cols], t, (1, 2), 4,
                          connectivity == 8) for lab, t in zip(labels, tiles, strict=True)]
    pairs = row_seam_pairs(tiles, 0, lambda t: labels[t.index],
                           lambda t: pieces[t.index].to_label())
    assert [0, 2, 1, 2] in pairs.tolist()  # A matched with B
    lut, offsets, n, report = stitch_tiles(tiles, pairs, lambda t: pieces[t.index],
                                           min_size=3, limit2=limit2,
                                           eight=connectivity == 8)
    out = np.zeros((10, 16), np.uint32)
    for t in tiles:
        out[:, t.core_col:t.core_col + t.core_cols] = relabel_core(labels[t.index], t, lut,
                                                                   offsets[t.index])
    return out, n, report


@pytest.mark.parametrize("connectivity", [4, 8])
def test_a_piece_cut_off_at_the_seam_merges_like_a_small_segment(connectivity):
    out, n, report = hand_made_seam(connectivity, np.inf)
    assert report["pieces_split_off"] == 1 and report["split_off_merged"] == 1
    assert out[5, 7] == out[0, 0]  # into the background, its only larger neighbour
    assert n == 2 and split_segments(out, connectivity) == []
    assert_ids_sequential(out, n)


@pytest.mark.parametrize("connectivity", [4, 8])
def test_a_cut_off_piece_too_different_to_merge_is_a_segment_of_its_own(connectivity):
    """With max_spectral_diff 10 (squared 100) the 500-valued pixel may not
    join the 100-valued background: it stays, a segment of its own below
    min_segment_size, reported with its reason."""
    out, n, report = hand_made_seam(connectivity, 100.0)
    assert report["pieces_split_off"] == 1 and report["split_off_merged"] == 0
    assert n == 3 and out[5, 7] not in (out[0, 0], out[5, 9])
    assert report["segments_below_min_size"]["beyond_max_spectral_diff"] == 1
    assert split_segments(out, connectivity) == []
    assert_ids_sequential(out, n)


#: (seed, tile, overlap, num_clusters, min_segment_size) of noisy scenes
#: where seams cut pieces off (rare: a few in a hundred; found by search,
#: see the assertion below), and two where they do not.
CUT_CASES = [(2, 80, 20, 24, 30), (11, 64, 16, 30, 40), (0, 90, 20, 20, 30),
             (5, 70, 16, 24, 40)]


def test_split_off_pieces_are_eliminated_or_kept_by_the_rules():
    """On scenes where seams do cut pieces off, the report counts them, the
    small ones merge unless no neighbour may take them, and the survivors'
    reasons add up to the segments below min_segment_size; the tiled count
    stays within 2 % of the untiled one."""
    found = 0
    for seed, tile, overlap, k, min_size in CUT_CASES:
        image, _ = voronoi_scene(300, 340, bands=3, grid=(8, 8), noise=2500, seed=seed)
        res = segment_tiled(image, tile_size=tile, overlap=overlap, num_clusters=k,
                            min_segment_size=min_size, max_spectral_diff=600.0)
        assert split_segments(res.labels, 4) == []
        assert_ids_sequential(res.labels, res.num_segments)
        rep = res.report
        found += rep["pieces_split_off"]
        assert rep["split_off_merged"] <= rep["pieces_split_off"]
        below = (np.bincount(res.labels.ravel())[1:] < min_size).sum()
        assert sum(rep["segments_below_min_size"].values()) == below
        whole = shepcore.segment(image, model=res.model, min_segment_size=min_size,
                                 max_spectral_diff=600.0)
        assert abs(res.num_segments - whole.num_segments) <= 0.02 * whole.num_segments
    assert found > 0, ("no scene cut a piece off, so this test no longer tests the repair: "
                       "the segmentation changed; search for new CUT_CASES")
