"""Writing statistics into a copy of the segment raster without decoding its
pixels (shepcore.raster.copy.RatCopy, used by add_rat_columns and the
attributes job): the copy of the files keeps pixels, overviews,
georeferencing and old columns; new columns go into the copy's RAT, in
several calls; the input is never modified; a failure leaves nothing."""

import os

import numpy as np
import pytest
from naive_stats import GT, UTM, random_labels
from osgeo import gdal

from shepcore import raster
from shepcore.raster.copy import RatCopy


@pytest.fixture(params=["HFA", "GTiff"])
def segments(request, tmp_path):
    """A 520 x 530 segment raster (overviews, an extra Integer column)."""
    fmt = request.param
    labels = random_labels(520, 530, seed=5)
    path = str(tmp_path / ("segs" + raster.FORMATS[fmt][0]))
    with raster.SegmentRasterWriter(path, *labels.shape, GT, UTM, fmt=fmt) as w:
        w.write(labels)
        w.add_column("class", np.arange(labels.max() + 1) % 3)
    return path, labels, fmt


def snapshot(folder):
    """{name: bytes} of the files (not folders) in ``folder``."""
    out = {}
    for name in sorted(os.listdir(folder)):
        if not os.path.isfile(os.path.join(folder, name)):
            continue
        with open(os.path.join(folder, name), "rb") as fh:
            out[name] = fh.read()
    return out


def test_copy_takes_streamed_then_whole_columns(segments, tmp_path):
    path, labels, fmt = segments
    n = int(labels.max())
    before = snapshot(os.path.dirname(path))
    out = str(tmp_path / "out" / ("final" + raster.FORMATS[fmt][0]))
    os.makedirs(os.path.dirname(out))
    mean = np.arange(n + 1) * 0.25
    with RatCopy(path, out, rows=n + 1) as copy:
        assert copy.nrows == n + 1
        copy.add((s, {"mean": mean[s:s + 100], "count": np.arange(s, min(n + 1, s + 100))})
                 for s in range(0, n + 1, 100))
        copy.add({"Red": np.arange(n + 1) % 256, "Green": np.zeros(n + 1, np.uint8),
                  "Blue": np.full(n + 1, 7), "Alpha": np.full(n + 1, 255)})
        assert not os.path.exists(out)  # only complete files appear
    assert snapshot(os.path.dirname(path)) == before  # input untouched
    assert [p for p in os.listdir(os.path.dirname(out)) if p.startswith(".")] == []
    src, dst = gdal.Open(path), gdal.Open(out)
    assert dst.GetDriver().ShortName == fmt
    np.testing.assert_array_equal(dst.GetRasterBand(1).ReadAsArray(), labels)
    assert dst.GetGeoTransform() == src.GetGeoTransform()
    assert dst.GetRasterBand(1).GetNoDataValue() == 0
    assert dst.GetRasterBand(1).GetOverviewCount() == src.GetRasterBand(1).GetOverviewCount() > 0
    np.testing.assert_array_equal(dst.GetRasterBand(1).GetOverview(0).ReadAsArray(),
                                  src.GetRasterBand(1).GetOverview(0).ReadAsArray())
    nrows, columns = raster.rat_columns(out)
    assert nrows == n + 1
    names = [(c.name, c.type, c.usage) for c in columns]
    assert names[:4] == [("Histogram", "Real", "PixelCount"), ("class", "Integer", "Generic"),
                         ("mean", "Real", "Generic"), ("count", "Integer", "Generic")]
    assert [c.usage for c in columns[4:]] == ["Red", "Green", "Blue", "Alpha"]
    rat, old = raster.read_rat(out), raster.read_rat(path)
    np.testing.assert_array_equal(rat["Histogram"], old["Histogram"])
    np.testing.assert_array_equal(rat["class"], old["class"])
    np.testing.assert_array_equal(rat["mean"], mean)
    np.testing.assert_array_equal(rat["count"], np.arange(n + 1))
    rgba = raster.rat.read_rgba(out)
    np.testing.assert_array_equal(rgba[0], np.arange(n + 1) % 256)
    np.testing.assert_array_equal(rgba[2], 7)


def test_reruns_give_the_same_bytes(tmp_path):
    """Two copies with the same columns are byte-identical (the workflow's
    products must not depend on the run)."""
    labels = random_labels(200, 190, seed=6)
    path = raster.write_segments(str(tmp_path / "s.img"), labels, geotransform=GT,
                                 projection=UTM)
    n = int(labels.max())
    outs = []
    for name in ("a", "b"):
        out = str(tmp_path / name / "segments.img")
        os.makedirs(os.path.dirname(out))
        raster.add_rat_columns(path, {"x": np.arange(n + 1) * 1.5}, out)
        outs.append(out)
    with open(outs[0], "rb") as a, open(outs[1], "rb") as b, open(path, "rb") as s:
        first, second, src = a.read(), b.read(), s.read()
    assert first == second
    assert len(first) > len(src)


def test_failure_leaves_no_output_and_the_input_unchanged(segments, tmp_path):
    path, labels, fmt = segments
    n = int(labels.max())
    before = snapshot(os.path.dirname(path))
    out = str(tmp_path / ("bad" + raster.FORMATS[fmt][0]))
    with pytest.raises(raster.RasterError, match="already has a column 'class'"), \
            RatCopy(path, out) as copy:
        copy.add({"ok": np.zeros(n + 1)})
        copy.add({"class": np.zeros(n + 1)})
    with pytest.raises(raster.RasterError, match="new RAT columns have 3 rows"), \
            RatCopy(path, out) as copy:
        copy.add(iter([(0, {"x": np.zeros(3)})]))
    assert not os.path.exists(out)
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]
    assert snapshot(os.path.dirname(path)) == before


def test_more_rows_than_the_table_takes_the_strip_copy(tmp_path):
    """A raster whose RAT is shorter than its largest ID + 1 (not written by
    shepcore): the copy is made strip by strip, and its table grows to the
    IDs, as before."""
    labels = np.array([[1, 2, 7], [7, 0, 1]], np.uint32)
    path = str(tmp_path / "short.img")
    ds = gdal.GetDriverByName("HFA").Create(path, 3, 2, 1, gdal.GDT_UInt32)
    ds.GetRasterBand(1).WriteArray(labels)
    table = gdal.RasterAttributeTable()
    table.CreateColumn("Histogram", gdal.GFT_Real, gdal.GFU_PixelCount)
    table.SetRowCount(3)
    for i, v in enumerate([1.0, 2.0, 1.0]):
        table.SetValueAsDouble(i, 0, v)
    ds.GetRasterBand(1).SetDefaultRAT(table)
    ds = None
    assert raster.rat_columns(path)[0] == 3
    out = raster.add_rat_columns(path, {"x": np.arange(8) * 1.0}, str(tmp_path / "o.img"))
    rat = raster.read_rat(out)
    np.testing.assert_array_equal(rat["x"], np.arange(8))
    np.testing.assert_array_equal(rat["Histogram"], [1, 2, 1, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(gdal.Open(out).ReadAsArray(), labels)
