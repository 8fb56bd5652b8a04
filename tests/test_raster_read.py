"""shepcore.raster.read: rasters and windows as (bands, rows, cols) arrays,
one-line errors, GDAL state restored; 64-bit offsets on a huge VRT."""


import numpy as np
import pytest
from osgeo import gdal

import shepcore
from shepcore import raster
from shepcore.raster import (
    RasterError,
    Window,
    raster_info,
    read_raster,
    write_segments,
)
from shepcore.tiles.grid import tile_grid

# -- reading ------------------------------------------------------------------------


def test_read_raster_whole(scene):
    image, nodata = read_raster(scene("RGB.byte.tif"))
    assert image.shape == (3, 718, 791) and image.dtype == np.uint8
    assert nodata == 0
    image, nodata = read_raster(scene("LC08_232066_20190727.tif"))
    assert image.shape == (6, 235, 318) and image.dtype == np.int16 and nodata == -9999


@pytest.mark.parametrize("window", [(0, 0, 718, 791), (100, 200, 50, 60), (717, 790, 1, 1),
                                    Window(5, 7, 300, 2)])
@pytest.mark.parametrize("bands", [None, [2], [3, 1], [1, 1, 2]])
def test_read_raster_bands_and_window(scene, bands, window):
    full, _ = read_raster(scene("RGB.byte.tif"))
    part, nodata = read_raster(scene("RGB.byte.tif"), bands=bands, window=window)
    r, c, h, w = window
    picked = [0, 1, 2] if bands is None else [b - 1 for b in bands]
    np.testing.assert_array_equal(part, full[picked, r:r + h, c:c + w])
    assert nodata == 0


def test_read_raster_window_matches_gdal_and_info(scene):
    path = scene("mosaic_cog1.tif")
    info = raster_info(path)
    assert (info.rows, info.cols, info.bands) == (790, 779, 3)
    assert info.dtype == np.uint16 and info.nodata == 0
    part, _ = read_raster(path, bands=[2], window=(300, 400, 20, 30))
    ds = gdal.Open(str(path))
    np.testing.assert_array_equal(part[0], ds.GetRasterBand(2).ReadAsArray(400, 300, 30, 20))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"bands": [0]}, r"band 0 out of range 1\.\.3"),
        ({"bands": [4]}, r"band 4 out of range 1\.\.3"),
        ({"bands": []}, r"empty band list"),
        ({"bands": [True]}, r"band True out of range"),
        ({"window": (700, 0, 20, 10)}, r"window \(700, 0, 20, 10\) outside the raster"),
        ({"window": (-1, 0, 5, 5)}, r"outside the raster"),
        ({"window": (0, 0, 0, 5)}, r"outside the raster"),
    ],
)
def test_read_raster_bad_bands_and_windows(scene, kwargs, match):
    path = scene("RGB.byte.tif")
    with pytest.raises(RasterError, match=match) as info:
        read_raster(path, **kwargs)
    assert str(info.value).startswith(str(path))
    assert "\n" not in str(info.value)


def test_missing_file_raises_one_line_raster_error(tmp_path):
    path = tmp_path / "missing.tif"
    with pytest.raises(RasterError) as info:
        read_raster(str(path))
    msg = str(info.value)
    assert msg.startswith(str(path)) and "no such file" in msg and "\n" not in msg
    assert isinstance(info.value, ValueError)
    with pytest.raises(RasterError, match="missing.tif"):
        raster_info(str(path))


@pytest.mark.parametrize("content", [b"", b"hello, not a raster\n", b"II*\x00garbage" * 10],
                         ids=["empty", "text", "bad-tiff"])
def test_non_raster_file_raises_one_line_raster_error(tmp_path, content):
    path = tmp_path / "fake.tif"
    path.write_bytes(content)
    with pytest.raises(RasterError) as info:
        read_raster(str(path))
    msg = str(info.value)
    assert msg.startswith(str(path)) and "\n" not in msg


def test_gdal_exception_setting_is_restored(tmp_path, scene):
    was_on = gdal.GetUseExceptions()
    try:
        for setting in (False, True):
            if setting:
                gdal.UseExceptions()
            else:
                gdal.DontUseExceptions()
            read_raster(scene("RGB.byte.tif"), window=(0, 0, 5, 5))
            with pytest.raises(RasterError):
                read_raster(str(tmp_path / "missing.tif"))
            (tmp_path / "junk.tif").write_bytes(b"junk")
            with pytest.raises(RasterError):
                read_raster(str(tmp_path / "junk.tif"))
            write_segments(str(tmp_path / "ok.img"), np.ones((4, 4), np.uint32))
            assert bool(gdal.GetUseExceptions()) == setting
    finally:
        if was_on:
            gdal.UseExceptions()
        else:
            gdal.DontUseExceptions()


def test_segment_then_write_then_read_round_trip(tmp_path, scene):
    path = scene("LC08_232066_20190727.tif")
    image, nodata = read_raster(path)
    labels = shepcore.segment(image, nodata=nodata, num_clusters=20).labels
    out = tmp_path / "seg.img"
    write_segments(str(out), labels, like=str(path))
    back, back_nodata = read_raster(str(out))
    assert back.dtype == np.uint32 and back_nodata == 0
    np.testing.assert_array_equal(back[0], labels)


def test_50000_square_vrt_windows_and_geotransforms(tmp_path):
    """A 50000 x 50000 VRT over one repeated small file (2.5e9 pixels):
    header, tile grid, windows read at offsets beyond 2**31 pixels, window
    geotransforms, and the stitched-raster writer's window checks."""
    small = tmp_path / "tile.tif"
    from wfutil import write_geotiff

    block = (np.arange(500 * 500, dtype=np.uint32).reshape(1, 500, 500) % 251).astype(np.uint8)
    write_geotiff(small, block)
    sources = "".join(
        f'<SimpleSource><SourceFilename relativeToVRT="0">{small}</SourceFilename>'
        f'<SourceBand>1</SourceBand><SrcRect xOff="0" yOff="0" xSize="500" ySize="500"/>'
        f'<DstRect xOff="{c * 500}" yOff="{r * 500}" xSize="500" ySize="500"/></SimpleSource>'
        for r in range(100) for c in range(100))
    vrt = tmp_path / "big.vrt"
    vrt.write_text(f'<VRTDataset rasterXSize="50000" rasterYSize="50000">'
                   f'<GeoTransform>500000, 30, 0, 4000000, 0, -30</GeoTransform>'
                   f'<VRTRasterBand dataType="Byte" band="1">{sources}</VRTRasterBand>'
                   f'</VRTDataset>')
    info = raster.raster_info(str(vrt))
    assert info.rows * info.cols == 2_500_000_000 > 2**31
    tiles = tile_grid(info.rows, info.cols, 4096, 1024)
    assert sum(t.core_rows * t.core_cols for t in tiles) == 2_500_000_000
    last = tiles[-1]
    image, _ = raster.read_raster(str(vrt), window=(last.row, last.col, 64, 64))
    np.testing.assert_array_equal(image[0], block[0][last.row % 500:last.row % 500 + 64,
                                                     last.col % 500:last.col % 500 + 64])
    gt = raster.window_geotransform(info.geotransform, (49_999, 49_999))
    assert gt[0] == 500000 + 49_999 * 30 and gt[3] == 4000000 - 49_999 * 30
