"""Reliability (issue 6): SIGKILL in the middle of every stage, then a rerun,
gives the same bytes and does not redo finished upstream work; bad inputs
fail with one clear line before heavy work and leave nothing that looks
complete."""

import os

import numpy as np
import pytest
from wfutil import kill_run_when_started, make_workdir, run_snakemake, write_geotiff

#: Real snakemake runs: the full suite (make test), not the inner loop (make check).
pytestmark = pytest.mark.slow

STAGES = ["mosaic", "fit_model", "segment_tile", "seams_row", "stitch",
          "assemble", "stats_part", "attributes", "table", "vector", "quicklook", "summary"]
# Rules that must have finished before each stage can start.
UPSTREAM = {
    "fit_model": ["mosaic"],
    "segment_tile": ["mosaic", "fit_model"],
    "seams_row": ["mosaic", "fit_model"],
    "stitch": ["mosaic", "fit_model", "seams_row"],
    "assemble": ["mosaic", "fit_model", "seams_row", "stitch"],
    "stats_part": ["mosaic", "fit_model", "stitch", "assemble"],
    "attributes": ["mosaic", "fit_model", "stitch", "assemble", "stats_part"],
    "table": ["mosaic", "fit_model", "assemble", "stats_part", "attributes"],
    "vector": ["mosaic", "fit_model", "assemble", "stats_part", "attributes"],
    "quicklook": ["mosaic", "fit_model", "assemble", "stats_part", "attributes"],
    "summary": ["mosaic", "fit_model", "assemble", "stats_part", "attributes"],
}


def scene_config(scene):
    # 2 x 2 tiles: every stage runs, seams included, and each case stays short.
    return {"scenes": {"rgb": {"inputs": [str(scene("RGB.byte.tif"))]}},
            "tiling": {"tile_size": 400, "overlap": 100},
            "outputs": {"vector": True, "table": "parquet"}}


def final_bytes(work):
    res = work / "results" / "rgb"
    return {name: (res / name).read_bytes()
            for name in ("segments.img", "segments.parquet", "segments.gpkg")}


def benchmark_times(work):
    """{(rule, file): mtime_ns} of every benchmark file."""
    base = work / "results" / "rgb" / "benchmarks"
    out = {}
    for root, _, files in os.walk(base):
        for f in files:
            p = os.path.join(root, f)
            rule = os.path.relpath(p, base).split(os.sep)[0].split(".")[0]
            out[(rule, p)] = os.stat(p).st_mtime_ns
    return out


@pytest.fixture(scope="module")
def reference(tmp_path_factory, scene):
    work = make_workdir(tmp_path_factory.mktemp("ref"), scene_config(scene))
    run_snakemake(work, cores=2)
    return final_bytes(work)


@pytest.mark.parametrize("stage", STAGES)
def test_sigkill_in_stage_then_rerun(stage, tmp_path, scene, reference):
    work = make_workdir(tmp_path, scene_config(scene))
    kill_run_when_started(work, "rgb", stage)
    before = benchmark_times(work)
    run_snakemake(work, "--unlock")
    run_snakemake(work, cores=2)
    assert final_bytes(work) == reference
    after = benchmark_times(work)
    for (rule, path), mtime in before.items():
        if rule in UPSTREAM.get(stage, []) and rule not in ("seams_row", "stats_part"):
            assert after[(rule, path)] == mtime, f"{rule} was redone after a kill in {stage}"


# -- bad inputs ---------------------------------------------------------------


def _tif(tmp_path, name, image, **kw):
    return write_geotiff(tmp_path / name, image, **kw)


def bad_case(case, tmp_path, scene):
    """(config, expected text in the error line) for a bad-input case."""
    rgb = str(scene("RGB.byte.tif"))
    ok = {"inputs": [rgb]}
    img = np.random.default_rng(0).integers(1, 200, (2, 60, 60)).astype(np.uint8)
    cases = {
        "unknown_key": ({"scenes": {"s": ok}, "segmentaton": {}}, "'segmentaton' was unexpected"),
        "wrong_type": ({"scenes": {"s": ok}, "tiling": {"tile_size": "big"}},
                       "tiling/tile_size: 'big' is not of type 'integer'"),
        "tile_size_0": ({"scenes": {"s": ok}, "tiling": {"tile_size": 0}},
                        "tiling/tile_size: 0 is less than the minimum of 1"),
        "overlap_ge_tile": ({"scenes": {"s": ok}, "tiling": {"tile_size": 256, "overlap": 300}},
                            "overlap (300) must be smaller than tile_size (256)"),
        "min_segment_size_0": ({"scenes": {"s": ok}, "segmentation": {"min_segment_size": 0}},
                               "segmentation/min_segment_size: 0 is less than the minimum"),
        "num_clusters_1": ({"scenes": {"s": ok}, "segmentation": {"num_clusters": 1}},
                           "segmentation/num_clusters: 1 is less than the minimum of 2"),
        "percentile_101": ({"scenes": {"s": ok},
                            "stats": {"statistics": [{"percentile": 101}]}},
                           "stats/statistics/0/percentile: 101 is greater than the maximum"),
        "no_inputs": ({"scenes": {"s": {"inputs": []}}}, "scenes/s/inputs: [] should be non-empty"),
        "bad_format": ({"scenes": {"s": ok}, "output": {"format": "KEA"}},
                       "output/format: 'KEA' is not one of"),
        "missing_file": ({"scenes": {"s": {"inputs": [str(tmp_path / "gone.tif")]}}},
                         "gone.tif: no such file"),
        "corrupt_file": ({"scenes": {"s": {"inputs": [_corrupt(tmp_path)]}}}, "corrupt.tif"),
        "band_count": ({"scenes": {"s": {"inputs": [
            _tif(tmp_path, "a.tif", img), _tif(tmp_path, "b.tif", img[:1],
                                               origin=(500000.0 + 60 * 30, 4000000.0))]}}},
            "1 bands, but"),
        "bands_out_of_range": ({"scenes": {"s": {"inputs": [rgb], "bands": [1, 7]}}},
                               "band 7 out of range 1..3"),
        "complex_type": ({"scenes": {"s": {"inputs": [_tif(
            tmp_path, "c.tif", img.astype(np.complex64))]}}}, "not supported"),
        "nodata_unrepresentable": ({"scenes": {"s": {"inputs": [rgb], "nodata": -5}}},
                                   "nodata -5 is not representable in uint8"),
        "all_null": ({"scenes": {"s": {"inputs": [_tif(tmp_path, "z.tif", img * 0, nodata=0)]}}},
                     "no non-null pixels"),
    }
    return cases[case]


def _corrupt(tmp_path):
    """A TIFF cut off after its header."""
    path = tmp_path / "corrupt.tif"
    path.write_bytes(b"II*\x00" + b"\x00" * 50)
    return str(path)


@pytest.mark.parametrize("case", [
    "unknown_key", "wrong_type", "tile_size_0", "overlap_ge_tile", "min_segment_size_0",
    "num_clusters_1", "percentile_101", "no_inputs", "bad_format", "missing_file",
    "corrupt_file", "band_count", "bands_out_of_range", "complex_type",
    "nodata_unrepresentable", "all_null"])
def test_bad_input_is_one_clear_line(case, tmp_path, scene):
    config, expect = bad_case(case, tmp_path, scene)
    work = make_workdir(tmp_path / "w", config)
    proc = run_snakemake(work, check=False)
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("shepcore: error:")]
    assert len(lines) == 1, proc.stderr[-3000:]
    assert expect in lines[0], lines[0]
    assert "Traceback" not in proc.stderr
    res = work / "results" / "s"
    assert not (res / "segments.img").exists() and not (res / "summary.json").exists()
    assert not (res / "model.json").exists()


@pytest.mark.parametrize("shape", [(2, 40, 50), (2, 1, 300)], ids=["below_overlap", "1px_wide"])
def test_small_scenes_work(shape, tmp_path):
    """A scene smaller than the overlap, and a 1-pixel-wide scene, segment."""
    rng = np.random.default_rng(1)
    img = rng.integers(1, 200, shape).astype(np.uint8)
    tif = _tif(tmp_path, "small.tif", img)
    work = make_workdir(tmp_path / "w", {
        "scenes": {"s": {"inputs": [tif]}},
        "segmentation": {"num_clusters": 4, "min_segment_size": 3},
        "tiling": {"tile_size": 256, "overlap": 64}})
    run_snakemake(work)
    assert (work / "results" / "s" / "segments.img").exists()


def test_float_scene_with_nan_and_inf(tmp_path):
    """NaN and +-inf pixels are null (0) in the result; the rest segments."""
    rng = np.random.default_rng(2)
    img = rng.normal(100, 10, (2, 80, 90)).astype(np.float32)
    img[0, :10] = np.nan
    img[1, 10:20] = np.inf
    img[0, 20:25] = -np.inf
    tif = _tif(tmp_path, "f.tif", img)
    work = make_workdir(tmp_path / "w", {"scenes": {"s": {"inputs": [tif]}},
                                         "segmentation": {"num_clusters": 6}})
    run_snakemake(work)
    from wfutil import read_labels

    labels = read_labels(work / "results" / "s" / "segments.img")
    assert (labels[:25] == 0).all() and (labels[25:] > 0).all()
