"""shepcore.raster.write: segment rasters (HFA and GTiff) with georeferencing,
a Histogram RAT column and overviews, written atomically."""

import os

import numpy as np
import pytest
from osgeo import gdal, osr

import shepcore
from shepcore import raster
from shepcore.raster import (
    FORMATS,
    RasterError,
    SegmentRasterWriter,
    raster_info,
    read_raster,
    write_segments,
)


def all_entries(folder):
    """Every file and folder under ``folder``, hidden ones included."""
    out = []
    for root, dirs, files in os.walk(folder):
        out += [os.path.relpath(os.path.join(root, n), folder) for n in dirs + files]
    return sorted(out)


def same_srs(wkt_a, wkt_b):
    a, b = osr.SpatialReference(), osr.SpatialReference()
    a.ImportFromWkt(wkt_a)
    b.ImportFromWkt(wkt_b)
    return bool(a.IsSame(b))


@pytest.fixture(scope="module")
def rgb_segments(scene):
    """(path of RGB.byte.tif (718 x 791), its segment labels)."""
    path = scene("RGB.byte.tif")
    image, nodata = read_raster(path)
    return path, shepcore.segment(image, nodata=nodata).labels


def open_band(path):
    ds = gdal.OpenEx(str(path))
    assert ds is not None
    return ds, ds.GetRasterBand(1)


# -- writing ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["HFA", "GTiff"])
def test_write_segments_pixels_type_nodata_georeferencing_overviews(tmp_path, rgb_segments,
                                                                    fmt):
    like, labels = rgb_segments
    out = tmp_path / f"seg{FORMATS[fmt][0]}"
    assert write_segments(str(out), labels, fmt=fmt, like=str(like)) == str(out)
    ds, band = open_band(out)
    assert ds.GetDriver().ShortName == fmt
    assert band.DataType == gdal.GDT_UInt32
    assert band.GetNoDataValue() == 0
    np.testing.assert_array_equal(band.ReadAsArray(), labels)
    src = raster_info(like)
    np.testing.assert_allclose(ds.GetGeoTransform(), src.geotransform, rtol=0, atol=1e-9)
    assert same_srs(ds.GetProjection(), src.projection)
    assert min(labels.shape) >= 512
    assert band.GetOverviewCount() >= 1
    ov = band.GetOverview(0)
    assert (ov.XSize, ov.YSize) == ((labels.shape[1] + 1) // 2, (labels.shape[0] + 1) // 2)
    # nearest-neighbour overviews hold real segment IDs only
    assert np.isin(np.unique(ov.ReadAsArray()), np.unique(labels)).all()
    assert not [e for e in all_entries(tmp_path) if "partial" in e or "tmp" in e]


@pytest.mark.parametrize("fmt", ["HFA", "GTiff"])
def test_write_segments_histogram_rat(tmp_path, rgb_segments, fmt):
    like, labels = rgb_segments
    out = tmp_path / f"seg{FORMATS[fmt][0]}"
    write_segments(str(out), labels, fmt=fmt, like=str(like))
    ds, band = open_band(out)
    rat = band.GetDefaultRAT()
    assert rat is not None, f"{out.name}: no RAT (files: {all_entries(tmp_path)})"
    names = [rat.GetNameOfCol(i) for i in range(rat.GetColumnCount())]
    assert "Histogram" in names
    col = names.index("Histogram")
    assert rat.GetUsageOfCol(col) == gdal.GFU_PixelCount
    expected = np.bincount(labels.ravel())
    expected[0] = 0
    assert rat.GetRowCount() == labels.max() + 1
    np.testing.assert_array_equal(rat.ReadAsArray(col), expected)


def test_small_raster_has_no_overviews(tmp_path):
    labels = np.arange(1, 301, dtype=np.uint32).reshape(15, 20)
    out = tmp_path / "small.img"
    write_segments(str(out), labels, geotransform=(1000.0, 10.0, 0.0, 5000.0, 0.0, -10.0))
    ds, band = open_band(out)
    assert band.GetOverviewCount() == 0
    assert ds.GetGeoTransform() == (1000.0, 10.0, 0.0, 5000.0, 0.0, -10.0)
    np.testing.assert_array_equal(band.ReadAsArray(), labels)


def test_writer_window_by_window(tmp_path):
    """Windows written separately add up to the same raster and histogram."""
    labels = (np.arange(40 * 30, dtype=np.uint32).reshape(40, 30) // 7) % 50
    out = tmp_path / "win.img"
    with SegmentRasterWriter(str(out), 40, 30, (0, 1, 0, 0, 0, -1), "") as w:
        w.write(labels[:25], 0, 0)
        w.write(labels[25:, :10], 25, 0)
        w.write(labels[25:, 10:], 25, 10)
    ds, band = open_band(out)
    np.testing.assert_array_equal(band.ReadAsArray(), labels)
    expected = np.bincount(labels.ravel())
    expected[0] = 0
    np.testing.assert_array_equal(band.GetDefaultRAT().ReadAsArray(0), expected)


def test_write_replaces_an_existing_file(tmp_path):
    out = tmp_path / "seg.img"
    write_segments(str(out), np.ones((10, 10), np.uint32))
    write_segments(str(out), np.full((10, 10), 2, np.uint32))
    _, band = open_band(out)
    assert (band.ReadAsArray() == 2).all()


# -- failed writes leave nothing behind ------------------------------------------------


@pytest.mark.parametrize("fmt", ["HFA", "GTiff"])
def test_no_files_left_when_the_block_fails(tmp_path, fmt):
    out = tmp_path / f"seg{FORMATS[fmt][0]}"
    with pytest.raises(KeyError), SegmentRasterWriter(str(out), 600, 600, (0, 1, 0, 0, 0, -1),
                                                     "", fmt=fmt) as w:
        w.write(np.ones((600, 600), np.uint32))
        raise KeyError("interrupted")
    assert all_entries(tmp_path) == []


@pytest.mark.parametrize("fmt", ["HFA", "GTiff"])
def test_no_files_left_when_gdal_write_fails(tmp_path, fmt):
    out = tmp_path / f"seg{FORMATS[fmt][0]}"
    with pytest.raises(ValueError), \
            SegmentRasterWriter(str(out), 20, 20, (0, 1, 0, 0, 0, -1), "", fmt=fmt) as w:
        w.write(np.ones((30, 30), np.uint32))  # larger than the raster
    assert all_entries(tmp_path) == []


def test_gdal_write_failure_is_a_raster_error_naming_the_file(tmp_path):
    out = tmp_path / "seg.img"
    with pytest.raises(RasterError, match="seg.img"), \
            SegmentRasterWriter(str(out), 20, 20, (0, 1, 0, 0, 0, -1), "") as w:
        w.write(np.ones((30, 30), np.uint32))


def test_no_files_left_when_closing_fails(tmp_path):
    """A RAT column of the wrong length fails in __exit__, after all pixels
    were written: the file must still not appear."""
    out = tmp_path / "seg.img"
    with pytest.raises(RasterError, match="RAT column short"), \
            SegmentRasterWriter(str(out), 10, 10, (0, 1, 0, 0, 0, -1), "") as w:
        w.write(np.arange(100, dtype=np.uint32).reshape(10, 10))
        w.add_column("short", np.zeros(3))
    assert all_entries(tmp_path) == []


def test_failed_write_keeps_the_previous_file(tmp_path):
    out = tmp_path / "seg.img"
    write_segments(str(out), np.full((10, 10), 3, np.uint32))
    before = all_entries(tmp_path)
    with pytest.raises(RuntimeError), SegmentRasterWriter(str(out), 10, 10, (0, 1, 0, 0, 0, -1),
                                                         "") as w:
        w.write(np.full((10, 10), 4, np.uint32))
        raise RuntimeError("killed")
    assert all_entries(tmp_path) == before
    _, band = open_band(out)
    assert (band.ReadAsArray() == 3).all()


def test_write_segments_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match=r"labels: expected \(rows, cols\)"):
        write_segments(str(tmp_path / "x.img"), np.ones((1, 4, 4), np.uint32))
    with pytest.raises(RasterError, match="output format 'PNG' not supported"):
        write_segments(str(tmp_path / "x.png"), np.ones((4, 4), np.uint32), fmt="PNG")
    with pytest.raises(RasterError, match="nope.tif: no such file"):
        write_segments(str(tmp_path / "x.img"), np.ones((4, 4), np.uint32),
                       like=str(tmp_path / "nope.tif"))
    assert all_entries(tmp_path) == []


def test_hfa_overviews_live_beside_the_file(tmp_path):
    """Regression (scale issue): a 1.6-gigapixel mosaic with 1.8 million
    segments failed in the attributes job ("GDAL error" adding the 33rd
    statistics column): HFA keeps its RAT in the .img, whose offsets are 32
    bits, and the overviews there filled it. Overviews now go to an .rrd
    beside the .img (GDAL finds them), also in copies with new columns."""
    out = tmp_path / "seg.img"
    labels = np.arange(600 * 700, dtype=np.uint32).reshape(600, 700) // 50 + 1
    write_segments(str(out), labels)
    rrd = tmp_path / "seg.rrd"
    assert rrd.exists()
    ds, band = open_band(out)
    assert band.GetOverviewCount() == 1 and str(rrd) in ds.GetFileList()
    assert band.GetOverview(0).ReadAsArray().max() > 0
    ds = band = None
    copy = raster.add_rat_columns(str(out), {"x": np.arange(labels.max() + 1.0)},
                                  str(tmp_path / "copy.img"))
    assert (tmp_path / "copy.rrd").exists()
    ds, band = open_band(copy)
    assert band.GetOverviewCount() == 1
    ds = band = None
    write_segments(str(out), labels[:100, :100])  # too small for overviews
    assert not rrd.exists(), "a stale .rrd would give the new file old overviews"


def test_other_files_of_the_same_stem_keep_the_overviews(tmp_path):
    """Regression (CI): writing segments.parquet beside segments.img deleted
    segments.rrd as if it were the parquet's stale sidecar, so the final
    raster of every workflow run had no overviews. Only an .img owns the
    .rrd of its stem; an .rrd whose .img is gone is removed on request."""
    from shepcore._files import remove_orphan_sidecars, write_text_atomic

    labels = np.arange(600 * 700, dtype=np.uint32).reshape(600, 700) // 50 + 1
    write_segments(str(tmp_path / "segments.img"), labels)
    write_segments(str(tmp_path / "stitched.img"), labels)
    for name in ("segments.parquet", "segments.csv", "segments.tif.txt"):
        write_text_atomic(str(tmp_path / name), "x")
    assert (tmp_path / "segments.rrd").exists()
    ds, band = open_band(tmp_path / "segments.img")
    assert band.GetOverviewCount() == 1 and ds.GetFileList()[1].endswith("segments.rrd")
    ds = band = None
    assert remove_orphan_sidecars(str(tmp_path)) == []
    os.remove(tmp_path / "stitched.img")
    for spill in ("stitched.ige", "stitched.rde"):  # HFA beyond 2 GB: not made here
        (tmp_path / spill).write_bytes(b"x")
    assert remove_orphan_sidecars(str(tmp_path)) == [
        str(tmp_path / f"stitched.{ext}") for ext in ("ige", "rde", "rrd")]
    assert not (tmp_path / "stitched.rrd").exists() and (tmp_path / "segments.rrd").exists()
