"""Reliability (issue 6): concurrent runs, read-only results, determinism
across core counts and partial reruns, 64-bit index arithmetic."""

import random
import subprocess
import time

import numpy as np
import pyarrow.parquet as pq  # noqa: F401  (the table output needs it)
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from wfutil import make_workdir, run_snakemake, snakemake_cmd

from shepcore import io
from shepcore.stitch import MAX_SEGMENTS, final_ids
from shepcore.tiling import tile_grid


def rgb_config(scene, **extra):
    return {"scenes": {"rgb": {"inputs": [str(scene("RGB.byte.tif"))]}},
            "tiling": {"tile_size": 256, "overlap": 64, **extra}}


def outputs(work):
    res = work / "results" / "rgb"
    return [(res / n).read_bytes() for n in ("segments.img", "segments.parquet")]


@pytest.fixture(scope="module")
def cores2(tmp_path_factory, scene):
    work = make_workdir(tmp_path_factory.mktemp("c2"), rgb_config(scene, keep_intermediate=True))
    run_snakemake(work, cores=2)
    return work


@pytest.mark.parametrize("cores", [1, 3])
def test_bytes_do_not_depend_on_cores(cores, tmp_path, scene, cores2):
    work = make_workdir(tmp_path, rgb_config(scene))
    run_snakemake(work, cores=cores)
    assert outputs(work) == outputs(cores2)


def test_rerun_after_deleting_random_intermediates(cores2):
    """Delete a random third of the intermediate files (tiles, labels, seams,
    lookup table, stitched raster, model), rerun: same bytes."""
    before = outputs(cores2)
    res = cores2 / "results" / "rgb"
    files = [p for sub in ("tiles", "labels", "seams", "stitch", "work")
             for p in (res / sub).rglob("*") if p.is_file()] + [res / "model.json"]
    rng = random.Random(6)
    for p in rng.sample(files, len(files) // 3):
        p.unlink()
    run_snakemake(cores2, cores=2)
    assert outputs(cores2) == before


def test_second_concurrent_run_is_refused(tmp_path, scene):
    """A second snakemake on the same results folder refuses with Snakemake's
    lock message; the first completes unharmed."""
    work = make_workdir(tmp_path, rgb_config(scene))
    first = subprocess.Popen(snakemake_cmd(work, cores=1), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    locks = work / ".snakemake" / "locks"
    deadline = time.time() + 60
    while time.time() < deadline and not (locks.is_dir() and any(locks.iterdir())):
        time.sleep(0.05)
    second = run_snakemake(work, cores=1, check=False)
    assert second.returncode != 0 and "cannot be locked" in second.stderr
    assert first.wait(timeout=300) == 0, first.stderr.read()[-2000:]
    assert (work / "results" / "rgb" / "segments.img").exists()


def test_read_only_results_folder_is_one_clear_line(tmp_path, scene):
    """An immutable results folder (chattr +i holds even for root)."""
    work = make_workdir(tmp_path, rgb_config(scene))
    results = work / "results"
    results.mkdir()
    if subprocess.run(["chattr", "+i", str(results)], capture_output=True).returncode:
        pytest.fail("chattr +i is not available on this file system", pytrace=False)
    try:
        proc = run_snakemake(work, check=False)
    finally:
        subprocess.run(["chattr", "-i", str(results)], check=True)
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("shepcore: error:")]
    assert proc.returncode != 0 and len(lines) == 1, proc.stderr[-2000:]
    assert "cannot write to" in lines[0] and str(results) in lines[0]


# -- 64-bit index arithmetic on mosaics of more than 2**31 pixels -----------------


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
    info = io.raster_info(str(vrt))
    assert info.rows * info.cols == 2_500_000_000 > 2**31
    tiles = tile_grid(info.rows, info.cols, 4096, 1024)
    assert sum(t.core_rows * t.core_cols for t in tiles) == 2_500_000_000
    last = tiles[-1]
    image, _ = io.read_raster(str(vrt), window=(last.row, last.col, 64, 64))
    np.testing.assert_array_equal(image[0], block[0][last.row % 500:last.row % 500 + 64,
                                                     last.col % 500:last.col % 500 + 64])
    gt = io.window_geotransform(info.geotransform, (49_999, 49_999))
    assert gt[0] == 500000 + 49_999 * 30 and gt[3] == 4000000 - 49_999 * 30


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
