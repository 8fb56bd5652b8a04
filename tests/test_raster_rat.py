"""shepcore.raster.rat and .env: the one RAT writer (whole columns and
streamed chunks, in memory and in the file), integer range checks, and
GDAL's global state owned by gdal_env."""

import os

import numpy as np
import pytest
from osgeo import gdal

from shepcore import raster
from shepcore.raster import env, rat


@pytest.mark.parametrize("fmt", ["HFA", "GTiff"])
def test_streamed_columns_beyond_one_chunk_read_back_exactly(tmp_path, monkeypatch, fmt):
    """Regression (redesign issue): GDAL 3.6's WriteArray with a start row
    writes garbage into an in-memory table, which a GeoTIFF's RAT is; a
    table of more rows than one write chunk must still read back exactly."""
    monkeypatch.setattr(rat, "RAT_CHUNK_ROWS", 1000)
    n = 4321
    labels = (np.arange(70 * 70, dtype=np.uint32) % n + 1).reshape(70, 70)
    labels[0, 0] = n  # every ID up to n present
    seg = raster.write_segments(str(tmp_path / "s.img"), labels)
    # Quarters: exact in the 17-digit text of a GeoTIFF's .aux.xml RAT.
    values = {"real": np.arange(n + 1) * 0.25 - 100, "int": np.arange(n + 1, dtype=np.int64) * 7}
    chunks = [(s, {k: v[s:s + 900] for k, v in values.items()}) for s in range(0, n + 1, 900)]
    out = raster.add_rat_columns(seg, chunks, str(tmp_path / ("o" + raster.FORMATS[fmt][0])))
    table = raster.read_rat(out)
    np.testing.assert_array_equal(table["real"], values["real"])
    np.testing.assert_array_equal(table["int"], values["int"])
    whole = raster.add_rat_columns(seg, values, str(tmp_path / ("w" + raster.FORMATS[fmt][0])))
    np.testing.assert_array_equal(raster.read_rat(whole)["int"], values["int"])


def test_integer_columns_beyond_32_bits(tmp_path):
    """Whole columns that do not fit 32 bits become Real columns (both the
    writer and the copier); a streamed Integer chunk beyond 32 bits is a
    clear error, never a silent wrap."""
    labels = np.array([[1, 2], [2, 1]], np.uint32)
    big = np.array([0, 2**40, 3], np.int64)
    path = str(tmp_path / "w.img")
    with raster.SegmentRasterWriter(path, 2, 2, (0, 1, 0, 0, 0, -1), "") as w:
        w.write(labels)
        w.add_column("big", big)
    assert raster.read_rat(path)["big"].tolist() == [0.0, 2.0**40, 3.0]
    seg = raster.write_segments(str(tmp_path / "s.img"), labels)
    out = raster.add_rat_columns(seg, {"big": big}, str(tmp_path / "o.img"))
    assert raster.read_rat(out)["big"].tolist() == [0.0, 2.0**40, 3.0]
    chunks = [(0, {"c": np.array([0, 1], np.int64)}), (2, {"c": np.array([2**40], np.int64)})]
    with pytest.raises(raster.RasterError, match="c: values outside the 32-bit integer range"):
        raster.add_rat_columns(seg, chunks, str(tmp_path / "x.img"))
    assert not (tmp_path / "x.img").exists()


def test_gdal_env_sets_and_restores_gdal_state():
    gdal.DontUseExceptions()
    gdal.SetConfigOption("SHEPCORE_TEST_OPTION", None)
    cache = gdal.GetCacheMax()
    try:
        with env.gdal_env("x", cache_bytes=32 << 20, options={"SHEPCORE_TEST_OPTION": "on"}) as g:
            assert g.GetUseExceptions() and g.GetCacheMax() == 32 << 20
            assert g.GetConfigOption("SHEPCORE_TEST_OPTION") == "on"
        assert not gdal.GetUseExceptions() and gdal.GetCacheMax() == cache
        assert gdal.GetConfigOption("SHEPCORE_TEST_OPTION") is None
        with pytest.raises(raster.RasterError, match="^x: "), \
                env.gdal_env("x", cache_bytes=16 << 20, options={"SHEPCORE_TEST_OPTION": "on"}):
            gdal.Open("/nonexistent/shepcore.tif")
        assert not gdal.GetUseExceptions() and gdal.GetCacheMax() == cache
        assert gdal.GetConfigOption("SHEPCORE_TEST_OPTION") is None
        gdal.SetConfigOption("SHEPCORE_TEST_OPTION", "user")
        with env.gdal_env("x", options={"SHEPCORE_TEST_OPTION": "on"}) as g:
            assert g.GetConfigOption("SHEPCORE_TEST_OPTION") == "user"  # the user's wins
    finally:
        gdal.SetConfigOption("SHEPCORE_TEST_OPTION", None)
        gdal.UseExceptions()


def test_a_writer_lets_the_callers_errors_through(tmp_path):
    """A RuntimeError of the caller's own inside a writer block is not
    turned into a RasterError, and no file appears."""
    with pytest.raises(RuntimeError, match="^mine$"), \
            raster.SegmentRasterWriter(str(tmp_path / "s.img"), 2, 2, (0, 1, 0, 0, 0, -1), ""):
        raise RuntimeError("mine")
    assert list(tmp_path.iterdir()) == []


def test_a_rat_too_large_for_hfa_is_one_clear_line(tmp_path, monkeypatch):
    """Scale issue: HFA addresses its .img with 32-bit offsets, and GDAL
    failing to add a RAT column there said only "GDAL error". The one RAT
    writer checks the room first and names the file, the limit and the way
    out; no output appears."""
    from shepcore.raster import RasterError

    src = tmp_path / "seg.img"
    labels = (np.arange(300 * 300, dtype=np.uint32).reshape(300, 300) // 9) + 1
    raster.write_segments(str(src), labels)
    rows = int(labels.max()) + 1
    columns = {f"c{i}": np.arange(rows, dtype=np.float64) for i in range(4)}
    monkeypatch.setattr(rat, "HFA_IMG_LIMIT", os.path.getsize(src) + 3 * 8 * rows)
    with pytest.raises(RasterError, match=r"big\.img: the raster attribute table does not fit: "
                       r"an HFA \(\.img\) file holds at most .* write GeoTIFF"):
        raster.add_rat_columns(str(src), columns, str(tmp_path / "big.img"))
    assert not (tmp_path / "big.img").exists()
    three = {k: columns[k] for k in ("c0", "c1", "c2")}
    out = raster.add_rat_columns(str(src), three, str(tmp_path / "fits.img"))
    assert set(raster.read_rat(out, ["c0", "c1", "c2"])) == {"c0", "c1", "c2"}
    # GeoTIFF keeps its RAT in the .aux.xml: no such limit.
    raster.add_rat_columns(str(src), columns, str(tmp_path / "big.tif"))
