"""End-to-end tests of the Snakemake workflow (issue 3): real snakemake runs
in temporary working directories on real and synthetic GeoTIFFs."""

import json
import os
import signal
import subprocess
import time

import numpy as np
import pytest
import yaml
from wfutil import (
    REPO,
    benchmark_files,
    best_match_agreement,
    boundary_density,
    make_workdir,
    read_labels,
    run_snakemake,
    snakemake_cmd,
    write_geotiff,
)

import shepcore
from shepcore.raster import read_raster
from shepcore.synthetic import voronoi_scene
from shepcore.tiles.grid import tile_grid

#: Real snakemake runs: the full suite (make test), not the inner loop (make check).
pytestmark = pytest.mark.slow

DEMO = [str(REPO / "data" / "demo" / f"LC81070352015122LGN00_B{b}.tif") for b in (4, 3, 2)]


def untiled(workdir, scene):
    """The scene's mosaic segmented in one piece with the workflow's model."""
    res = workdir / "results" / scene
    image, _ = read_raster(str(res / "mosaic.vrt"))
    model = shepcore.SpectralModel.load(str(res / "model.json"))
    return shepcore.segment(image, model=model).labels


def check_ids(labels):
    """IDs run 1..N with no gaps (0 = null only)."""
    ids = np.unique(labels)
    ids = ids[ids > 0]
    assert ids[0] == 1 and ids[-1] == len(ids), "segment IDs are not 1..N without gaps"


@pytest.fixture(scope="module")
def synthetic_run(tmp_path_factory):
    """1500 x 1500 noisy Voronoi scene, tile 512 / overlap 128 (9 tiles), --cores 2."""
    root = tmp_path_factory.mktemp("synthetic")
    image, _ = voronoi_scene(1500, 1500, bands=3, grid=(6, 6), noise=300.0, seed=3)
    tif = write_geotiff(root / "scene.tif", image)
    work = make_workdir(root / "w2", {"scenes": {"syn": {"inputs": [tif]}},
                                      "tiling": {"tile_size": 512, "overlap": 128}})
    run_snakemake(work, cores=2)
    return work, tif


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """The real Landsat stack of the demo config, tile 512 / overlap 128."""
    work = make_workdir(tmp_path_factory.mktemp("demo"), {
        "scenes": {"demo": {"inputs": DEMO, "stack_bands": True, "nodata": 0}},
        "tiling": {"tile_size": 512, "overlap": 128},
        "outputs": {"vector": True}})
    run_snakemake(work, cores=2)
    return work


def test_single_tile_equals_in_memory(tmp_path, scene):
    """A scene that fits one tile gives exactly shepcore.segment()'s labels."""
    work = make_workdir(tmp_path, {"scenes": {"rgb": {"inputs": [str(scene("RGB.byte.tif"))]}},
                                   "tiling": {"tile_size": 1024, "overlap": 128}})
    run_snakemake(work)
    got = read_labels(work / "results" / "rgb" / "segments.img")
    np.testing.assert_array_equal(got, untiled(work, "rgb"))
    summary = json.loads((work / "results" / "rgb" / "summary.json").read_text())
    assert summary["num_tiles"] == 1 and summary["num_segments"] == got.max()


@pytest.mark.parametrize("which", ["synthetic", "demo"])
def test_tiled_matches_untiled(which, synthetic_run, demo_run):
    """>= 99 % agreement with the untiled run, IDs 1..N, no empty IDs, and
    seam lines no denser in boundaries than 1.5x elsewhere."""
    work, scene = (synthetic_run[0], "syn") if which == "synthetic" else (demo_run, "demo")
    got = read_labels(work / "results" / scene / "segments.img")
    ref = untiled(work, scene)
    np.testing.assert_array_equal(got == 0, ref == 0)
    check_ids(got)
    assert best_match_agreement(got, ref) >= 0.99
    tiles = tile_grid(*got.shape, 512, 128)
    assert len(tiles) == 9
    on, off = boundary_density(got, tiles)
    assert on <= 1.5 * off, f"boundary density {on:.4f} on seams vs {off:.4f} elsewhere"
    # The RAT histogram agrees with the pixels.
    from osgeo import gdal

    ds = gdal.Open(str(work / "results" / scene / "segments.img"))
    band = ds.GetRasterBand(1)
    hist = band.GetDefaultRAT().ReadAsArray(0)
    counts = np.bincount(got.ravel(), minlength=got.max() + 1)
    counts[0] = 0
    np.testing.assert_array_equal(hist, counts)
    assert band.GetOverviewCount() >= 1 and band.GetNoDataValue() == 0
    # Overviews of the deleted intermediate do not outlive it.
    assert not list((work / "results" / scene / "work").glob("*.rrd"))
    assert band.GetMetadataItem("LAYER_TYPE") == "thematic"


def test_voronoi_regions_are_one_segment_across_tiles(tmp_path):
    """Noise-free Voronoi regions, each spanning several of 16 tiles, come back
    as exactly one segment each."""
    image, regions = voronoi_scene(900, 900, bands=3, grid=(3, 3), noise=0.0, seed=5)
    tif = write_geotiff(tmp_path / "vor.tif", image)
    work = make_workdir(tmp_path / "w", {"scenes": {"vor": {"inputs": [tif]}},
                                         "tiling": {"tile_size": 256, "overlap": 64}})
    run_snakemake(work)
    got = read_labels(work / "results" / "vor" / "segments.img")
    tiles = tile_grid(900, 900, 256, 64)
    assert len(tiles) == 16
    pairs = np.unique(np.stack([regions.ravel(), got.ravel()]), axis=1)
    assert pairs.shape[1] == 9 == got.max(), "regions and segments are not one-to-one"
    spans = [len({t.name for t in tiles
                  if (regions[t.core_row:t.core_row + t.core_rows,
                              t.core_col:t.core_col + t.core_cols] == r).any()})
             for r in range(9)]
    assert max(spans) >= 4


def test_cores_1_and_2_byte_identical(tmp_path, synthetic_run):
    """The final raster does not depend on the number of cores."""
    work2, tif = synthetic_run
    work1 = make_workdir(tmp_path, {"scenes": {"syn": {"inputs": [tif]}},
                                    "tiling": {"tile_size": 512, "overlap": 128}})
    run_snakemake(work1, cores=1)
    a = (work1 / "results" / "syn" / "segments.img").read_bytes()
    b = (work2 / "results" / "syn" / "segments.img").read_bytes()
    assert a == b


def test_sigkill_during_tiles_then_rerun(tmp_path, demo_run):
    """SIGKILL while tiles are segmented; rerun completes with the same bytes
    and does not recompute finished tiles."""
    work = make_workdir(tmp_path, {
        "scenes": {"demo": {"inputs": DEMO, "stack_bands": True, "nodata": 0}},
        "tiling": {"tile_size": 512, "overlap": 128},
        "outputs": {"vector": True}})
    proc = subprocess.Popen(snakemake_cmd(work, cores=1), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    done = []
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        done = benchmark_files(work / "results", "demo", "segment_tile")
        if len(done) >= 2:
            break
        time.sleep(0.05)
    # A benchmark file appears a moment before Snakemake records the job as
    # complete; give the tiles seen so far that moment, then kill.
    time.sleep(0.5)
    now = benchmark_files(work / "results", "demo", "segment_tile")
    assert proc.poll() is None and 2 <= len(done) and len(now) < 9, "missed the tile stage"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {p: os.stat(p).st_mtime_ns for p in done}
    run_snakemake(work, "--unlock")
    run_snakemake(work)
    for p, mtime in finished.items():
        assert os.stat(p).st_mtime_ns == mtime, f"{p} was recomputed"
    a = (work / "results" / "demo" / "segments.img").read_bytes()
    assert a == (demo_run / "results" / "demo" / "segments.img").read_bytes()


def test_min_segment_size_change_reruns_only_segmentation(demo_run):
    """Editing min_segment_size reruns segmentation and what follows only."""
    cfg = demo_run / "config" / "config.yaml"
    config = yaml.safe_load(cfg.read_text())
    config["segmentation"] = {"min_segment_size": 30}
    cfg.write_text(yaml.safe_dump(config))
    try:
        rules = _planned_rules(demo_run)
        assert {"segment_tile", "seams_row", "stitch", "assemble", "summary"} <= rules
        assert not rules & {"mosaic", "fit_model"}, rules
    finally:
        del config["segmentation"]
        cfg.write_text(yaml.safe_dump(config))


def _planned_rules(workdir):
    """Rules a dry run would execute, from its "Job stats" table."""
    cmd = [c for c in snakemake_cmd(workdir, "-n") if c != "--quiet"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    text = out.stdout + out.stderr
    table = text.split("Job stats:", 1)[1].split("total", 1)[0].splitlines()[3:]
    return {line.split()[0] for line in table if line.strip()} - {"all"}


@pytest.mark.parametrize("case", ["missing", "crs", "resolution", "overlap", "bands", "key"])
def test_bad_input_one_line_before_any_job(tmp_path, scene, case):
    """Each bad input: non-zero exit, one clear line naming the problem, and
    no job started (no results folder)."""
    rgb, cog, l2020 = (str(scene(n)) for n in ("RGB.byte.tif", "mosaic_cog1.tif", "2020.tif"))
    entry = {"inputs": [rgb]}
    config = {"scenes": {"s": entry}}
    expect = {
        "missing": "nope.tif: no such file",
        "crs": "CRS differs",
        "resolution": "pixel size differs",
        "overlap": "overlap (512) must be smaller than tile_size (512)",
        "bands": "band 4 out of range 1..3",
        "key": "'tile_sise' was unexpected",
    }[case]
    if case == "missing":
        entry["inputs"] = [rgb, str(tmp_path / "nope.tif")]
    elif case == "crs":
        entry["inputs"] = [rgb, l2020]
    elif case == "resolution":
        entry["inputs"] = [rgb, cog]
    elif case == "overlap":
        config["tiling"] = {"tile_size": 512, "overlap": 512}
    elif case == "bands":
        entry["bands"] = [1, 4]
    elif case == "key":
        config["tiling"] = {"tile_sise": 512}
    work = make_workdir(tmp_path / "w", config)
    proc = run_snakemake(work, check=False)
    assert proc.returncode != 0
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("shepcore: error:")]
    assert len(errors) == 1 and expect in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (work / "results").exists()


def test_in_memory_tiled_path_equals_the_workflow(synthetic_run):
    """shepcore.tiles.inmemory.segment_tiled runs the workflow's steps on an
    array: same model (same grid sample), same raster, byte for byte."""
    from shepcore.tiles.inmemory import segment_tiled

    work, tif = synthetic_run
    image, _ = read_raster(tif)
    res = segment_tiled(image, tile_size=512, overlap=128)
    model = shepcore.SpectralModel.load(str(work / "results" / "syn" / "model.json"))
    np.testing.assert_array_equal(res.model.centres, model.centres)
    np.testing.assert_array_equal(res.labels, read_labels(work / "results" / "syn" /
                                                          "segments.img"))
    seams = json.loads((work / "results" / "syn" / "seams.json").read_text())
    assert seams["segments_crossing_seams"] == res.report["segments_crossing_seams"] > 0


def test_demo_segments_are_one_piece_and_one_polygon_each(demo_run):
    """Regression (fidelity issue): on the demo a stitched segment had a
    118-pixel body and an isolated pixel across a seam, so polygonizing gave
    one polygon more than there are IDs. Now every segment is one
    4-connected piece and GDAL's Polygonize (as gdal_polygonize) gives
    exactly one polygon per ID."""
    from osgeo import gdal, ogr
    from test_tiles_repair import split_segments

    res = demo_run / "results" / "demo"
    labels = read_labels(res / "segments.img")
    assert split_segments(labels, 4) == []
    gdal.UseExceptions()
    ds = gdal.Open(str(res / "segments.img"))
    band = ds.GetRasterBand(1)
    mem = ogr.GetDriverByName("Memory").CreateDataSource("p")
    layer = mem.CreateLayer("p")
    layer.CreateField(ogr.FieldDefn("id", ogr.OFTInteger64))
    gdal.Polygonize(band, band.GetMaskBand(), layer, 0, [])
    ids = [f.GetField(0) for f in layer]
    assert len(ids) == labels.max() == len(set(ids))
    summary = json.loads((res / "summary.json").read_text())
    seams = summary["seams"]
    assert seams["segments_crossing_seams"] > 0
    small = int((np.bincount(labels.ravel())[1:] < 50).sum())
    assert sum(seams["segments_below_min_size"].values()) == small


@pytest.mark.parametrize("fixed_init, connectivity", [(True, 4), (False, 8)])
def test_regions_on_a_spectral_curve_through_the_tiled_workflow(tmp_path, fixed_init,
                                                                connectivity):
    """Acceptance (fidelity issue): 64 touching regions whose spectra lie on
    a curve far from the bounding-box diagonal, num_clusters 64, 2 x 3
    tiles: each region comes back as exactly one segment whose band means
    equal every one of its pixels."""
    from test_kmeans_relocation import assert_regions_are_segments, curve_scene

    image, regions = curve_scene(64, "bricks", seed=64)
    tif = write_geotiff(tmp_path / "curve.tif", image)
    work = make_workdir(tmp_path / "w", {
        "scenes": {"curve": {"inputs": [tif]}},
        "segmentation": {"num_clusters": 64, "fixed_init": fixed_init, "min_segment_size": 10,
                         "connectivity": connectivity},
        "tiling": {"tile_size": 128, "overlap": 32},
        "outputs": {"quicklook": False}})
    run_snakemake(work)
    labels = read_labels(work / "results" / "curve" / "segments.img")
    summary = json.loads((work / "results" / "curve" / "summary.json").read_text())
    assert summary["num_tiles"] == 6  # 300 x 330 pixels: 2 x 3 tiles
    assert_regions_are_segments(image, labels, regions)
