"""shepcore.stats, the histogram path (issue "Speed where users spend their
time"): integer bands carry per-segment (value, count) histogram entries
between windows instead of every value. Its results are bit-identical to
the exact sort path (forced with the private ``_histograms=False``) and to
the numpy references, for integer dtypes with nodata, whatever the windows
or the memory budgets; float bands always take the exact path."""

import naive
import numpy as np
import pytest
from naive_stats import ALL_STATS, GT, UTM, band_stats, random_labels, write_image

from shepcore import raster, stats
from shepcore.stats import order as _order
from shepcore.stats.spec import band_needs

INT_DTYPES = [np.uint8, np.int16, np.uint16, np.int32, np.uint32]
NODATA = {np.uint8: 255, np.int16: -32768, np.uint16: 0, np.int32: -2**31,
          np.uint32: 2**32 - 1, np.float32: -9999.0, np.float64: -9999.0}


def scene_labels():
    """random_labels plus a large segment spanning many row strips (its
    values are counted densely), one holding a single value and a null
    strip (rows 58..60) that fills whole windows."""
    lab = random_labels(61, 83, seed=3).astype(np.int64)
    lab[12:52, 40:72] = lab.max() + 1
    lab[55:58, 60:70] = lab.max() + 1
    lab[lab == 2] = lab.max() + 1  # keep ID 2 for the all-nodata segment below
    lab[0:2, 20:24] = 2
    lab[58:, :] = 0
    return naive.canonical(lab)


def wide_band(rng, dtype, labels):
    """Values over the dtype's whole range (with its extremes) and many ties."""
    info = np.iinfo(dtype)
    x = rng.integers(info.min, info.max, labels.shape, dtype=np.int64, endpoint=True)
    ties = rng.random(labels.shape) < 0.4
    x[ties] = rng.integers(max(info.min, -3), 4, ties.sum())
    x[rng.random(labels.shape) < 0.02] = info.max - 1
    x[rng.random(labels.shape) < 0.02] = info.min + 1
    return x.astype(dtype)


def narrow_band(rng, dtype, labels):
    """Per segment a few values near a segment level: ranges below the
    counts, so that large segments take the dense histogram."""
    info = np.iinfo(dtype)
    level = rng.integers(max(info.min, -50) + 10, min(info.max, 200) - 10, labels.max() + 1)
    x = level[labels] + rng.integers(-4, 5, labels.shape)
    return np.clip(x, info.min + 1, info.max - 1).astype(dtype)


def with_nodata(rng, x, dtype, labels):
    x = x.copy()
    x[rng.random(labels.shape) < 0.1] = NODATA[dtype]
    x[labels == 2] = NODATA[dtype]  # a segment without any valid pixel
    return x


@pytest.fixture(scope="module", params=INT_DTYPES, ids=lambda d: np.dtype(d).name)
def int_scene(request, tmp_path_factory):
    """(segments path, image path, labels, image (2, R, C), nodata, dtype)."""
    dtype = request.param
    folder = tmp_path_factory.mktemp(np.dtype(dtype).name)
    rng = np.random.default_rng(11)
    labels = scene_labels()
    image = np.stack([with_nodata(rng, wide_band(rng, dtype, labels), dtype, labels),
                      with_nodata(rng, narrow_band(rng, dtype, labels), dtype, labels)])
    seg = raster.write_segments(str(folder / "seg.img"), labels, geotransform=GT,
                                projection=UTM)
    img = write_image(folder / "img.tif", image, geotransform=GT, projection=UTM,
                      nodata=NODATA[dtype])
    return seg, img, labels, image, NODATA[dtype], dtype


def block_windows(rows, cols, row_cuts, col_cuts):
    rb = [0, *row_cuts, rows]
    cb = [0, *col_cuts, cols]
    return [(r0, c0, r1 - r0, c1 - c0) for r0, r1 in zip(rb, rb[1:], strict=False)
            for c0, c1 in zip(cb, cb[1:], strict=False)]


def layouts(seg, img, labels, histograms, monkeypatch):
    """Results of one computation over several window layouts and budgets."""
    kw = dict(statistics=ALL_STATS, _histograms=histograms)
    out = {f"budget {mb}": stats.segment_statistics(seg, img, memory_mb=mb, **kw)
           for mb in (512, 0.05, 0.01)}
    assert len(stats.stats_windows(seg, 0.01, bands=2, percentiles=6)) > 10
    windows = block_windows(*labels.shape, [7, 30, 31, 44, 58], [19, 50])
    np.random.default_rng(2).shuffle(windows)
    parts = [stats.partial_statistics(seg, img, w, **kw) for w in windows]
    out["blocks"] = stats.combine_partials(parts)
    with monkeypatch.context() as m:
        m.setattr(_order, "MIN_MERGE_READ", 2)  # many small merge rounds
        out["blocks, small reduce budget"] = stats.combine_partials(parts[::-1],
                                                                    memory_mb=0.003)
    return out


def test_histogram_and_exact_paths_agree_bit_for_bit(int_scene, monkeypatch):
    seg, img, labels, image, nodata, dtype = int_scene
    hist = layouts(seg, img, labels, True, monkeypatch)
    exact = layouts(seg, img, labels, False, monkeypatch)
    reference = hist["budget 512"]
    for name, result in list(hist.items()) + [(f"exact, {k}", v) for k, v in exact.items()]:
        assert list(result) == list(reference), name
        for col in reference:
            np.testing.assert_array_equal(result[col], reference[col],
                                          err_msg=f"{name}: {col}")
            assert result[col].dtype == reference[col].dtype


def test_ids_found_by_sorting_give_the_same_results(int_scene, monkeypatch):
    """Windows whose ID range is too wide for a table find their IDs by a
    sort: same results."""
    seg, img, labels, *_ = int_scene
    kw = dict(statistics=ALL_STATS, spatial=("pixel_count", "edge_pixels", "bbox"),
              memory_mb=0.02)
    table = stats.segment_statistics(seg, img, **kw)
    monkeypatch.setattr(stats.partial, "ID_TABLE_PER_PIXEL", -10**9)
    sort = stats.segment_statistics(seg, img, **kw)
    for name in table:
        np.testing.assert_array_equal(sort[name], table[name], err_msg=name)


def test_histogram_path_matches_numpy(int_scene):
    seg, img, labels, image, nodata, dtype = int_scene
    cols = stats.segment_statistics(seg, img, statistics=ALL_STATS, memory_mb=0.02)
    num_rows = int(labels.max()) + 1
    for b in (1, 2):
        ref = band_stats(labels, image[b - 1], nodata, ALL_STATS, num_rows)
        for stat in ALL_STATS:
            if stat == "stddev":
                np.testing.assert_allclose(cols[f"B{b}_{stat}"], ref[stat], rtol=1e-12)
            else:
                np.testing.assert_array_equal(cols[f"B{b}_{stat}"], ref[stat],
                                              err_msg=f"B{b}_{stat}")
        assert cols[f"B{b}_count"][2] == 0 and cols[f"B{b}_median"][2] == -9999


def test_segments_spanning_windows_travel_as_histogram_entries(int_scene):
    """A window's carried segments hold (value, count) entries, one per
    distinct value, in (segment, value) order; the exact path holds every
    value. The large narrow-valued segment needs far fewer entries."""
    seg, img, labels, image, nodata, dtype = int_scene
    win = (0, 0, 30, labels.shape[1])
    hist = stats.partial_statistics(seg, img, win, statistics=["median", "mode"]).arrays
    exact = stats.partial_statistics(seg, img, win, statistics=["median", "mode"],
                                     _histograms=False).arrays
    for bi in (0, 1):
        s, v, c = hist[f"b{bi}_seg"], hist[f"b{bi}_val"], hist[f"b{bi}_cnt"]
        assert f"b{bi}_cnt" not in exact and v.dtype == np.dtype(dtype)
        key = s.astype(np.int64) * 2**33 + (v.astype(np.int64) + 2**32)
        assert np.all(np.diff(key) > 0)  # sorted, one entry per (segment, value)
        es, ev = exact[f"b{bi}_seg"], exact[f"b{bi}_val"]
        assert c.sum() == es.size and np.all(c > 0)
        np.testing.assert_array_equal(np.repeat(s, c), es)
        np.testing.assert_array_equal(np.repeat(v, c), ev)
    big = labels[20, 50]
    assert (exact["b1_seg"] == big).sum() > 5 * (hist["b1_seg"] == big).sum()


def test_mode_tie_split_across_windows_takes_the_smallest(tmp_path):
    """Counts of one value added from several windows: 3 occurs twice (once
    per window), 5 twice in one window; the mode is 3."""
    labels = np.array([[1, 1, 1], [1, 2, 2]], np.uint32)
    values = np.array([[5, 3, 5], [3, 9, 9]], np.int16)
    seg = raster.write_segments(str(tmp_path / "s.img"), labels)
    img = write_image(tmp_path / "i.tif", values)
    for histograms in (True, False):
        parts = [stats.partial_statistics(seg, img, w, statistics=["mode", "median", "p25"],
                                          _histograms=histograms)
                 for w in [(0, 0, 1, 3), (1, 0, 1, 3)]]
        cols = stats.combine_partials(parts)
        np.testing.assert_array_equal(cols["B1_mode"], [-9999, 3, 9])
        np.testing.assert_array_equal(cols["B1_median"], [-9999, 4, 9])
        np.testing.assert_array_equal(cols["B1_p25"], [-9999, 3, 9])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_images_take_the_exact_path(tmp_path, dtype):
    labels = scene_labels()
    rng = np.random.default_rng(4)
    x = np.round(rng.normal(0, 100, labels.shape)).astype(dtype)  # ties
    x[rng.random(labels.shape) < 0.05] = np.nan
    seg = raster.write_segments(str(tmp_path / "s.img"), labels)
    img = write_image(tmp_path / "i.tif", x, nodata=NODATA[dtype])
    assert not band_needs(dtype, [("median", "median", 50.0)])["hist"]
    assert band_needs(np.int32, [("median", "median", 50.0)])["hist"]
    win = (0, 0, 25, labels.shape[1])
    part = stats.partial_statistics(seg, img, win, statistics=["median", "mean"])
    assert "b0_cnt" not in part.arrays and part.arrays["b0_val"].dtype == np.dtype(dtype)
    a = stats.segment_statistics(seg, img, statistics=ALL_STATS, memory_mb=0.02)
    b = stats.segment_statistics(seg, img, statistics=ALL_STATS, memory_mb=0.02,
                                 _histograms=False)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    ref = band_stats(labels, x, NODATA[dtype], ["median", "p90", "mode", "min"],
                     int(labels.max()) + 1)
    for stat in ref:
        np.testing.assert_array_equal(a[f"B1_{stat}"], ref[stat], err_msg=stat)


def test_partials_of_both_paths_are_not_mixed(int_scene):
    seg, img, labels, *_ = int_scene
    a = stats.partial_statistics(seg, img, (0, 0, 20, 83), statistics=["median"])
    b = stats.partial_statistics(seg, img, (20, 0, 41, 83), statistics=["median"],
                                 _histograms=False)
    with pytest.raises(ValueError, match="differ in histograms"):
        stats.combine_partials([a, b])
