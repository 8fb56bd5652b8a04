"""shepcore.stats: per-segment band and spatial statistics against numpy
references, identical results for any windows / budgets / partial order,
a raster of more than a million segments within a memory budget, the demo
Landsat scene, RAT output (shepcore.raster.add_rat_columns) and every error
raised at the API boundary."""

import json
import os
import pickle
import subprocess
import sys

import naive
import numpy as np
import pytest
from conftest import REPO
from landsat_scene import BANDS, landsat
from naive_stats import (
    ALL_STATS,
    GT,
    UTM,
    band_stats,
    random_labels,
    spatial_stats,
    valid_values,
    write_image,
)
from osgeo import gdal

import shepcore
from shepcore import raster, stats
from shepcore.stats import order as _pairs

NODATA = {np.uint8: 255, np.int16: -32768, np.uint16: 0, np.float32: -9999.0}
SPATIAL = ("pixel_count", "area", "centroid", "bbox", "edge_pixels")


def random_band(rng, dtype, shape):
    """Values with ties (for the mode), extremes of the dtype and, for
    floats, NaN, inf and -0.0; about 10 % nodata (NODATA[dtype])."""
    if dtype == np.float32:
        x = rng.normal(0, 1000, shape).astype(np.float32)
        ties = rng.random(shape) < 0.4
        x[ties] = np.round(x[ties] / 250) * np.float32(0.5)
        x[rng.random(shape) < 0.03] = np.nan
        x[rng.random(shape) < 0.01] = np.inf
        x[rng.random(shape) < 0.02] = -0.0
    else:
        info = np.iinfo(dtype)
        x = rng.integers(info.min + 1, info.max, shape, endpoint=True).astype(dtype)
        ties = rng.random(shape) < 0.5
        x[ties] = rng.integers(max(info.min + 1, -3), 4, ties.sum())
        x[rng.random(shape) < 0.02] = info.max if dtype != np.uint8 else info.max - 1
    x[rng.random(shape) < 0.1] = NODATA[dtype]
    return x


@pytest.fixture(scope="module", params=[np.uint8, np.int16, np.uint16, np.float32],
                ids=lambda d: np.dtype(d).name)
def scene(request, tmp_path_factory):
    """(segments path, image path, labels, image (2, R, C), nodata, dtype)."""
    dtype = request.param
    folder = tmp_path_factory.mktemp(np.dtype(dtype).name)
    rng = np.random.default_rng(7)
    labels = random_labels(61, 83, seed=3)
    image = np.stack([random_band(rng, dtype, labels.shape) for _ in range(2)])
    image[:, labels == 2] = NODATA[dtype]  # a segment with no valid pixel
    seg = raster.write_segments(str(folder / "seg.img"), labels, geotransform=GT, projection=UTM)
    img = write_image(folder / "img.tif", image, geotransform=GT, projection=UTM,
                      nodata=NODATA[dtype])
    return seg, img, labels, image, NODATA[dtype], dtype


def assert_band_columns(cols, labels, image, nodata, dtype, bands=(1, 2), stats_=ALL_STATS):
    num_rows = int(labels.max()) + 1
    for b in bands:
        ref = band_stats(labels, image[b - 1], nodata, stats_, num_rows)
        for stat in stats_:
            got = cols[f"B{b}_{stat}"]
            assert got.shape == (num_rows,)
            if stat == "stddev":
                rtol = 1e-12 if np.dtype(dtype).kind in "iu" else 1e-9
                np.testing.assert_allclose(got, ref[stat], rtol=rtol, err_msg=stat)
            elif stat == "mean" and np.dtype(dtype).kind == "f":
                np.testing.assert_allclose(got, ref[stat], rtol=1e-14, err_msg=stat)
            else:
                np.testing.assert_array_equal(got, ref[stat], err_msg=stat)
        assert cols[f"B{b}_count"].dtype == np.int64
        assert cols[f"B{b}_count"][2] == 0 and cols[f"B{b}_mean"][2] == -9999


# -- band statistics against numpy ---------------------------------------------------


def test_band_statistics_match_numpy(scene):
    seg, img, labels, image, nodata, dtype = scene
    cols = stats.segment_statistics(seg, img, statistics=ALL_STATS)
    assert list(cols) == [f"B{b}_{s}" for b in (1, 2) for s in ALL_STATS]
    assert_band_columns(cols, labels, image, nodata, dtype)


def test_percentiles_are_numpy_linear_on_float64_bit_for_bit(tmp_path):
    """int16 values far apart: numpy's interpolation on the int16 array
    itself overflows; ours equals np.percentile of the float64 values."""
    labels = np.ones((1, 4), np.uint32)
    values = np.array([[-30000, 30000, -29999, 29999]], np.int16)
    seg = raster.write_segments(str(tmp_path / "s.img"), labels)
    img = write_image(tmp_path / "i.tif", values, geotransform=(0, 1, 0, 0, 0, -1))
    cols = stats.segment_statistics(seg, img, statistics=["median", "p10", "p37.5"])
    x = values.ravel().astype(np.float64)
    for q, name in ((50, "median"), (10, "p10"), (37.5, "p37.5")):
        assert cols[f"B1_{name}"][1] == np.percentile(x, q)
    assert cols["B1_median"][1] == 0.0


def test_mode_ties_take_the_smallest_value(tmp_path):
    # fmt: off
    labels = np.array([[1, 1, 1, 1, 2, 2],
                       [1, 1, 1, 1, 2, 2]], np.uint32)
    values = np.array([[5, 3, 5, 3, 9, 8],
                       [7, 7, 1, 2, 8, 9]], np.uint16)
    # fmt: on
    seg = raster.write_segments(str(tmp_path / "s.img"), labels)
    img = write_image(tmp_path / "i.tif", values)
    cols = stats.segment_statistics(seg, img, statistics=["mode"])
    np.testing.assert_array_equal(cols["B1_mode"], [-9999, 3, 8])


def test_band_selection_nodata_override_and_missing_value(scene):
    seg, img, labels, image, nodata, dtype = scene
    cols = stats.segment_statistics(seg, img, bands=[2], statistics=["count", "mean", "p50"],
                                    nodata=image[1, 0, 0].item(), missing_value=np.nan)
    assert list(cols) == ["B2_count", "B2_mean", "B2_p50"]
    override = image[1, 0, 0].item()
    # the file's own nodata pixels count as values now
    ref = band_stats(labels, image[1], override, ["count", "p50"], int(labels.max()) + 1,
                     missing=np.nan)
    np.testing.assert_array_equal(cols["B2_count"], ref["count"])
    np.testing.assert_array_equal(cols["B2_p50"], ref["p50"])
    assert np.isnan(cols["B2_mean"][0])


# -- spatial statistics ----------------------------------------------------------------


def test_edge_pixels_and_bbox_hand_made(tmp_path):
    # fmt: off
    labels = np.array([[1, 1, 2, 2, 2],
                       [1, 1, 2, 2, 2],
                       [1, 0, 0, 2, 2],
                       [3, 3, 3, 3, 3]], np.uint32)
    # fmt: on
    seg = raster.write_segments(str(tmp_path / "s.img"), labels)
    for windows in ([None], [(r, 0, 1, 5) for r in range(4)],
                    [(0, 0, 2, 2), (0, 2, 2, 3), (2, 0, 2, 3), (2, 3, 2, 2)]):
        parts = [stats.partial_statistics(seg, None, w, statistics=(), spatial=SPATIAL)
                 for w in windows]
        cols = stats.combine_partials(parts)
        np.testing.assert_array_equal(cols["edge_pixels"], [0, 3, 4, 5])
        np.testing.assert_array_equal(cols["pixel_count"], [0, 5, 8, 5])
        np.testing.assert_array_equal(cols["bbox_row0"], [-9999, 0, 0, 3])
        np.testing.assert_array_equal(cols["bbox_row1"], [-9999, 3, 3, 4])
        np.testing.assert_array_equal(cols["bbox_col0"], [-9999, 0, 2, 0])
        np.testing.assert_array_equal(cols["bbox_col1"], [-9999, 2, 5, 5])


@pytest.mark.parametrize("geotransform", [GT, (1000.0, 10.0, 2.5, 5000.0, 1.5, -10.0)],
                         ids=["north-up", "rotated"])
def test_spatial_statistics_match_reference(tmp_path, geotransform):
    labels = random_labels(47, 59, seed=11)
    seg = raster.write_segments(str(tmp_path / "s.img"), labels, geotransform=geotransform)
    ref = spatial_stats(labels, geotransform, int(labels.max()) + 1)
    for memory_mb in (512, 0.01):
        cols = stats.segment_statistics(seg, statistics=(), spatial=SPATIAL,
                                        memory_mb=memory_mb)
        assert list(cols) == list(ref)
        for name in ref:
            if name in ("centroid_x", "centroid_y"):
                np.testing.assert_allclose(cols[name], ref[name], rtol=1e-13, err_msg=name)
            else:
                np.testing.assert_array_equal(cols[name], ref[name], err_msg=name)
            assert cols[name].dtype == ref[name].dtype, name


def test_window_restricts_pixels_but_not_neighbours(scene):
    seg, img, labels, image, nodata, dtype = scene
    win = (10, 20, 30, 40)
    cols = stats.segment_statistics(seg, img, statistics=["count", "median"], bands=[1],
                                    spatial=["pixel_count", "edge_pixels"], window=win)
    sub = np.zeros_like(labels)
    sub[10:40, 20:60] = labels[10:40, 20:60]
    num_rows = int(labels.max()) + 1
    ref = band_stats(sub, image[0], nodata, ["count", "median"], num_rows)
    np.testing.assert_array_equal(cols["B1_count"], ref["count"])
    np.testing.assert_array_equal(cols["B1_median"], ref["median"])
    np.testing.assert_array_equal(cols["pixel_count"], np.bincount(sub.ravel(),
                                                                   minlength=num_rows) *
                                  (np.arange(num_rows) > 0))
    edges = naive_edges_in(labels, sub)
    np.testing.assert_array_equal(cols["edge_pixels"], edges)


def naive_edges_in(labels, sub):
    from naive_stats import edge_mask

    mask = edge_mask(labels) & (sub != 0)
    return np.bincount(labels[mask], minlength=int(labels.max()) + 1)


# -- map-reduce: any windows, order, storage and budget give the same bits --------------


def block_windows(rows, cols, row_cuts, col_cuts):
    rb = [0, *row_cuts, rows]
    cb = [0, *col_cuts, cols]
    return [(r0, c0, r1 - r0, c1 - c0) for r0, r1 in zip(rb, rb[1:], strict=False)
            for c0, c1 in zip(cb, cb[1:], strict=False)]


def test_partials_combine_to_the_whole_raster_result(scene, tmp_path, monkeypatch):
    seg, img, labels, image, nodata, dtype = scene
    kw = dict(statistics=ALL_STATS, spatial=SPATIAL)
    whole = stats.segment_statistics(seg, img, **kw)
    strips = stats.segment_statistics(seg, img, memory_mb=0.02, **kw)
    assert len(stats.stats_windows(seg, 0.02)) > 10
    windows = block_windows(*labels.shape, [5, 29, 30], [17, 60])
    rng = np.random.default_rng(1)
    rng.shuffle(windows)
    parts = [stats.partial_statistics(seg, img, w, **kw) for w in windows]
    items = []
    for i, p in enumerate(parts):
        if i % 3 == 0:
            items.append(p.save(str(tmp_path / f"p{i}.npz")))
        elif i % 3 == 1:
            items.append(pickle.loads(pickle.dumps(p)))
        else:
            items.append(p)
    results = [stats.combine_partials(items)]
    monkeypatch.setattr(_pairs, "MIN_MERGE_READ", 2)  # many small merge rounds
    results.append(stats.combine_partials(items, memory_mb=0.005))
    for combined in results:
        for result in (strips, combined):
            assert list(result) == list(whole)
            for name in whole:
                np.testing.assert_array_equal(result[name], whole[name], err_msg=name)
    loaded = stats.load_partial(items[0])
    assert loaded.meta == parts[0].meta and set(loaded.arrays) == set(parts[0].arrays)
    with np.load(items[0]) as npz:  # plain numpy can read a saved partial
        np.testing.assert_array_equal(npz["ids"], parts[0].arrays["ids"])


@pytest.mark.parametrize("dtype", [np.uint16, np.float32, np.float64])
def test_merged_pairs_is_a_sorted_merge_in_small_chunks(monkeypatch, dtype):
    """Sources sorted by (segment, value) with many ties, merged through
    buffers of 2 pairs: the concatenated chunks are the full sorted merge."""
    from shepcore.stats.store import PartialReader

    rng = np.random.default_rng(3)
    readers, allseg, allval = [], [], []
    for _ in range(5):
        seg, val = _pairs.sort_pairs(rng.integers(1, 4, 300).astype(np.uint32),
                                     rng.integers(-2, 3, 300).astype(dtype))
        readers.append((PartialReader({"s": seg, "v": val}), "s", "v", 20, 290))
        allseg.append(seg[20:290])
        allval.append(val[20:290])
    ref = _pairs.sort_pairs(np.concatenate(allseg), np.concatenate(allval))
    monkeypatch.setattr(_pairs, "MIN_MERGE_READ", 2)
    chunks = list(_pairs.merged_pairs(readers, 10))
    assert len(chunks) > 50 and max(len(c[0]) for c in chunks) <= 10
    np.testing.assert_array_equal(np.concatenate([c[0] for c in chunks]), ref[0])
    np.testing.assert_array_equal(np.concatenate([c[1] for c in chunks]), ref[1])


def test_segments_complete_in_a_window_are_finalised_there(scene):
    """Only segments crossing the window border carry their values."""
    seg, img, labels, image, nodata, dtype = scene
    win = (0, 0, 30, labels.shape[1])
    part = stats.partial_statistics(seg, img, win, statistics=["median"])
    inside = np.unique(labels[:30])
    outside = np.unique(labels[30:])
    crossing = np.intersect1d(inside, outside)
    crossing = crossing[crossing != 0]
    np.testing.assert_array_equal(part.arrays["done_ids"],
                                  np.setdiff1d(inside[inside != 0], crossing))
    carried = np.unique(part.arrays["b0_seg"])
    assert set(carried) <= set(crossing)


def test_without_histogram_column_results_are_the_same(scene, tmp_path):
    seg, img, labels, image, nodata, dtype = scene
    plain = str(tmp_path / "plain.tif")
    ds = gdal.GetDriverByName("GTiff").Create(plain, labels.shape[1], labels.shape[0], 1,
                                              gdal.GDT_UInt32)
    ds.SetGeoTransform(GT)
    ds.SetProjection(UTM)
    ds.GetRasterBand(1).WriteArray(labels)
    ds = None
    assert raster.rat_columns(plain) == (0, [])
    kw = dict(statistics=["mean", "median", "mode"], spatial=["edge_pixels"], memory_mb=0.02)
    a = stats.segment_statistics(seg, img, **kw)
    b = stats.segment_statistics(plain, img, **kw)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_id_gaps_get_missing_values(tmp_path):
    labels = np.array([[1, 1, 5], [5, 0, 7]], np.uint32)
    values = np.array([[1, 2, 3], [4, 5, 6]], np.uint8)
    seg = raster.write_segments(str(tmp_path / "s.img"), labels)
    img = write_image(tmp_path / "i.tif", values)
    cols = stats.segment_statistics(seg, img, statistics=["count", "mean"],
                                    spatial=["pixel_count", "bbox_row0", "area"],
                                    missing_value=-1.5)
    np.testing.assert_array_equal(cols["B1_count"], [0, 2, 0, 0, 0, 2, 0, 1])
    np.testing.assert_array_equal(cols["B1_mean"], [-1.5, 1.5, -1.5, -1.5, -1.5, 3.5, -1.5, 6])
    np.testing.assert_array_equal(cols["pixel_count"], [0, 2, 0, 0, 0, 2, 0, 1])
    assert cols["bbox_row0"].dtype == np.float64  # -1.5 does not fit an integer column
    np.testing.assert_array_equal(cols["area"], [-1.5, 2, -1.5, -1.5, -1.5, 2, -1.5, 1])


# -- more than a million segments within a memory budget -----------------------------------

MEMORY_SCRIPT = r"""
import json, sys
from shepcore import stats

def status(key):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024

small_seg, small_img, seg, img, out_small, out, budget = sys.argv[1:]
kw = dict(statistics=["count", "mean", "median", "p90", "mode"],
          spatial=["pixel_count", "edge_pixels", "centroid"], memory_mb=float(budget))
stats.write_segment_statistics(small_seg, small_img, out_small, **kw)  # warm-up
before = status("VmRSS")
stats.write_segment_statistics(seg, img, out, **kw)
print(json.dumps({"before": before, "peak": status("VmHWM")}))
"""


def test_more_than_a_million_segments_within_the_memory_budget(tmp_path):
    rng = np.random.default_rng(5)
    rows, cols = 1200, 1000
    lab = np.arange(1, rows * cols + 1, dtype=np.int64).reshape(rows, cols)
    lab[:300, 400:700] = 1  # one large segment across several windows
    blocks = lab[600:700, :600].reshape(50, 2, 300, 2).transpose(0, 2, 1, 3)
    blocks[...] = blocks[:, :, :1, :1]  # 2 x 2 segments
    lab[rng.random(lab.shape) < 0.01] = 0
    labels = naive.canonical(lab)
    nseg = int(labels.max())
    assert nseg > 1_000_000
    image = rng.integers(1, 4000, (rows, cols)).astype(np.uint16)
    image[rng.random(image.shape) < 0.05] = 0
    seg = raster.write_segments(str(tmp_path / "big.img"), labels)
    img = write_image(tmp_path / "big.tif", image, nodata=0)
    small_seg = raster.write_segments(str(tmp_path / "small.img"), labels[:40, :50])
    small_img = write_image(tmp_path / "small.tif", image[:40, :50], nodata=0)
    budget = 24
    env = dict(os.environ, GDAL_CACHEMAX="8", PYTHONPATH=str(REPO))
    out = str(tmp_path / "big_stats.img")
    proc = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, small_seg, small_img, seg, img,
         str(tmp_path / "small_stats.img"), out, str(budget)],
        capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    mem = json.loads(proc.stdout.strip().splitlines()[-1])
    growth_mb = (mem["peak"] - mem["before"]) / 2**20
    # The labels alone are 4.6 MB, the 10 output columns 92 MB, the whole
    # set of (segment, value) pairs 7 MB: a budget of 24 MB must hold.
    assert growth_mb < 1.5 * budget, f"peak memory grew by {growth_mb:.1f} MB"

    rat = raster.read_rat(out)
    assert len(rat["B1_mean"]) == nseg + 1
    counts = np.bincount(labels.ravel(), minlength=nseg + 1)
    counts[0] = 0
    np.testing.assert_array_equal(rat["pixel_count"], counts)
    valid = (image != 0) & (labels != 0)
    vcount = np.bincount(labels[valid], minlength=nseg + 1)
    np.testing.assert_array_equal(rat["B1_count"], vcount)
    sums = np.bincount(labels[valid], weights=image[valid], minlength=nseg + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(vcount > 0, sums / vcount, -9999)
    np.testing.assert_array_equal(rat["B1_mean"], mean)
    from naive_stats import edge_mask

    edges = np.bincount(labels[edge_mask(labels)], minlength=nseg + 1)
    np.testing.assert_array_equal(rat["edge_pixels"], edges)
    single = np.flatnonzero(vcount == 1)
    value_of = np.zeros(nseg + 1)
    value_of[labels[valid]] = image[valid]
    for name in ("B1_median", "B1_p90", "B1_mode"):
        np.testing.assert_array_equal(rat[name][single], value_of[single], err_msg=name)
    per_seg = valid_values(labels, image, 0)
    sample = [1, *rng.choice(np.flatnonzero(vcount >= 2), 300, replace=False)]
    for s in sample:
        x = per_seg[int(s)]
        assert rat["B1_median"][s] == np.percentile(x, 50)
        assert rat["B1_p90"][s] == np.percentile(x, 90)
        values, n = np.unique(x, return_counts=True)
        assert rat["B1_mode"][s] == values[np.argmax(n)]


# -- the demo Landsat scene ----------------------------------------------------------------


@pytest.fixture(scope="module")
def scene_landsat(tmp_path_factory):
    return landsat(str(tmp_path_factory.getbasetemp() / "landsat"))


def test_landsat_scene_statistics_equal_numpy(scene_landsat, tmp_path):
    d = scene_landsat
    labels, cols = d["labels"], d["columns"]
    n = int(labels.max())
    for name in ("pixel_count", "area", "centroid_x", "centroid_y", "bbox_xmin", "bbox_row1",
                 "edge_pixels", *(f"B{b}_{s}" for b in BANDS for s in
                                  ("count", "mean", "stddev", "median", "mode", "p90"))):
        assert cols[name].shape == (n + 1,), name
    counts = np.bincount(labels.ravel(), minlength=n + 1)
    counts[0] = 0
    np.testing.assert_array_equal(cols["pixel_count"], counts)
    assert np.allclose(cols["area"][1:], counts[1:] * 150.0193548387097 * 150.0190114068441)
    rng = np.random.default_rng(0)
    sample = np.unique(np.concatenate([rng.choice(np.arange(1, n + 1), 150, replace=False),
                                       np.argsort(counts)[-3:]]))
    for b in BANDS:
        per_seg = valid_values(labels, d["bands"][b], 0)
        for s in sample:
            x = per_seg[int(s)]
            got = {st: cols[f"B{b}_{st}"][s] for st in
                   ("count", "min", "max", "mean", "stddev", "median", "mode", "p10", "p90")}
            if not x.size:
                assert got["count"] == 0 and got["mean"] == -9999
                continue
            values, freq = np.unique(x, return_counts=True)
            assert got == pytest.approx({
                "count": x.size, "min": x.min(), "max": x.max(), "mean": np.mean(x),
                "stddev": np.std(x), "median": np.percentile(x, 50),
                "mode": values[np.argmax(freq)], "p10": np.percentile(x, 10),
                "p90": np.percentile(x, 90)}, rel=1e-12, abs=0)
            assert got["mean"] == np.mean(x) and got["p90"] == np.percentile(x, 90)
    out = raster.add_rat_columns(d["segments"], cols, str(tmp_path / "with_stats.img"))
    rat = raster.read_rat(out)
    for name, values in cols.items():
        np.testing.assert_array_equal(rat[name], values, err_msg=name)


# -- writing RAT columns ---------------------------------------------------------------------


@pytest.fixture()
def big_segments(tmp_path):
    """A 520 x 530 segment raster (HFA, with overviews and an extra column)."""
    labels = random_labels(520, 530, seed=2)
    path = str(tmp_path / "segs.img")
    with raster.SegmentRasterWriter(path, *labels.shape, GT, UTM) as w:
        w.write(labels)
        w.add_column("class", np.arange(labels.max() + 1) % 3)
    return path, labels


def file_bytes(path):
    with open(path, "rb") as fh:
        return fh.read()


@pytest.mark.parametrize("fmt", ["HFA", "GTiff"])
def test_add_rat_columns_copies_everything_and_adds(big_segments, tmp_path, fmt):
    path, labels = big_segments
    before = file_bytes(path)
    n = int(labels.max())
    new = {"score": np.linspace(0, 1, n + 1), "big": np.arange(n + 1) * 2**40,
           "flag": np.arange(n + 1) % 2 == 0, "Red": np.arange(n + 1) % 256}
    out = str(tmp_path / ("out" + raster.FORMATS[fmt][0]))
    assert raster.add_rat_columns(path, new, out) == out
    assert file_bytes(path) == before
    src, dst = gdal.Open(path), gdal.Open(out)
    assert dst.GetDriver().ShortName == fmt
    np.testing.assert_array_equal(dst.GetRasterBand(1).ReadAsArray(), labels)
    assert dst.GetGeoTransform() == src.GetGeoTransform()
    assert naive_same_crs(dst.GetProjection(), src.GetProjection())
    assert dst.GetRasterBand(1).GetNoDataValue() == 0
    assert dst.GetRasterBand(1).GetOverviewCount() == src.GetRasterBand(1).GetOverviewCount() > 0
    np.testing.assert_array_equal(dst.GetRasterBand(1).GetOverview(0).ReadAsArray(),
                                  src.GetRasterBand(1).GetOverview(0).ReadAsArray())
    nrows, columns = raster.rat_columns(out)
    assert nrows == n + 1
    assert [(c.name, c.type, c.usage) for c in columns] == [
        ("Histogram", "Real", "PixelCount"), ("class", "Integer", "Generic"),
        ("score", "Real", "Generic"), ("big", "Real", "Generic"),
        ("flag", "Integer", "Generic"), ("Red", "Integer", "Red")]
    rat, old = raster.read_rat(out), raster.read_rat(path)
    np.testing.assert_array_equal(rat["Histogram"], old["Histogram"])
    np.testing.assert_array_equal(rat["class"], old["class"])
    rtol = 0 if fmt == "HFA" else 1e-15  # GTiff's .aux.xml keeps 16 significant digits
    np.testing.assert_allclose(rat["score"], new["score"], rtol=rtol)
    np.testing.assert_allclose(rat["big"], new["big"], rtol=rtol)
    np.testing.assert_array_equal(rat["flag"], new["flag"])


def naive_same_crs(a, b):
    from osgeo import osr

    sa, sb = osr.SpatialReference(), osr.SpatialReference()
    sa.ImportFromWkt(a)
    sb.ImportFromWkt(b)
    return bool(sa.IsSame(sb))


def test_write_segment_statistics_streams_into_a_new_raster(scene, tmp_path):
    seg, img, labels, image, nodata, dtype = scene
    kw = dict(statistics=["mean", "p90", "count"], spatial=["pixel_count", "bbox"])
    cols = stats.segment_statistics(seg, img, **kw)
    out = stats.write_segment_statistics(seg, img, str(tmp_path / "o.img"), memory_mb=0.02,
                                         **kw)
    rat = raster.read_rat(out)
    for name, values in cols.items():
        np.testing.assert_array_equal(rat[name], values, err_msg=name)
    assert "Histogram" in rat


def test_add_rat_columns_refuses_bad_requests(big_segments, tmp_path):
    path, labels = big_segments
    n = int(labels.max())
    with pytest.raises(ValueError, match="overwrite the input"):
        raster.add_rat_columns(path, {"x": np.zeros(n + 1)}, path)
    with pytest.raises(ValueError, match="already has a column 'class'"):
        raster.add_rat_columns(path, {"class": np.zeros(n + 1)}, str(tmp_path / "a.img"))
    with pytest.raises(ValueError, match=f"3 rows, expected {n + 1}"):
        raster.add_rat_columns(path, {"x": np.zeros(3)}, str(tmp_path / "b.img"))
    assert not os.path.exists(tmp_path / "b.img")
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]


# -- errors at the boundary -----------------------------------------------------------------


def one_line(excinfo):
    msg = str(excinfo.value)
    assert "\n" not in msg
    return msg


@pytest.mark.parametrize("change", ["size", "geotransform", "crs"])
def test_mismatched_grids_name_both_files(scene, tmp_path, change):
    seg, img, labels, image, nodata, dtype = scene
    data, gt, crs = image, GT, UTM
    if change == "size":
        data = image[:, :-1]
    elif change == "geotransform":
        gt = (GT[0] + 15.0, *GT[1:])
    else:
        crs = crs.replace("-75", "-81").replace("32618", "32617").replace("18N", "17N")
    other = write_image(tmp_path / "other.tif", data, geotransform=gt, projection=crs)
    with pytest.raises(ValueError) as excinfo:
        stats.segment_statistics(seg, other)
    msg = one_line(excinfo)
    assert seg in msg and other in msg and "grids differ" in msg


@pytest.mark.parametrize("kwargs, match", [
    (dict(bands=[3]), r"band 3 out of range 1\.\.2"),
    (dict(bands=[0]), r"band 0 out of range"),
    (dict(statistics=["mean", "average"]), r"statistics: unknown statistic 'average'"),
    (dict(statistics=["p101"]), r"statistics: percentile 'p101' outside 0\.\.100"),
    (dict(statistics=["p-5"]), r"statistics: unknown statistic 'p-5'"),
    (dict(spatial=["perimeter"]), r"spatial: unknown spatial statistic 'perimeter'"),
    (dict(window=(50, 0, 20, 10)), r"window \(50, 0, 20, 10\) outside"),
    (dict(memory_mb=0), r"memory_mb must be in \(0"),
    (dict(column_template="B{band}"), r"column_template: .* must contain '\{stat\}'"),
    (dict(column_template="{stat}"), r"column_template: .* duplicate column names"),
    (dict(column_template="{stat}_{foo}"), r"column_template: .* not a valid template"),
])
def test_bad_arguments_raise_one_clear_line(scene, kwargs, match):
    seg, img, *_ = scene
    with pytest.raises(ValueError, match=match) as excinfo:
        stats.segment_statistics(seg, img, **kwargs)
    one_line(excinfo)


def test_bad_types_and_missing_image(scene):
    seg, img, *_ = scene
    with pytest.raises(TypeError, match="statistics: expected names"):
        stats.segment_statistics(seg, img, statistics=[90])
    with pytest.raises(ValueError, match="image_path: required"):
        stats.segment_statistics(seg, None, statistics=["mean"])
    with pytest.raises(ValueError, match="no such file"):
        stats.segment_statistics(seg + ".missing", img)
    with pytest.raises(ValueError, match="a segment raster has 1 band"):
        stats.segment_statistics(img, img)


def test_partials_that_do_not_fit_together_are_refused(scene):
    seg, img, *_ = scene
    a = stats.partial_statistics(seg, img, (0, 0, 20, 30))
    b = stats.partial_statistics(seg, img, (10, 20, 20, 30))
    c = stats.partial_statistics(seg, img, (40, 0, 10, 10), statistics=["mean"])
    with pytest.raises(ValueError, match=r"windows of .* overlap") as excinfo:
        stats.combine_partials([a, b])
    one_line(excinfo)
    with pytest.raises(ValueError, match="differ in stats") as excinfo:
        stats.combine_partials([a, c])
    with pytest.raises(ValueError, match="partials: empty"):
        stats.combine_partials([])


def test_public_names():
    for name in ("segment_statistics", "partial_statistics", "combine_partials",
                 "write_segment_statistics", "random_colours", "stretch_colours",
                 "subset_segments"):
        assert callable(getattr(shepcore, name)) and name in shepcore.__all__
