"""Reliability (issue 6): concurrent runs, read-only results, determinism
across core counts and partial reruns, 64-bit index arithmetic."""

import random
import subprocess
import time

import pyarrow.parquet as pq  # noqa: F401  (the table output needs it)
import pytest
from wfutil import make_workdir, run_snakemake, snakemake_cmd

#: Real snakemake runs: the full suite (make test), not the inner loop (make check).
pytestmark = pytest.mark.slow


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
    files = [p for sub in ("labels", "seams", "stitch", "work")
             for p in (res / sub).rglob("*") if p.is_file()] + [res / "model.json"]
    rng = random.Random(6)
    for p in rng.sample(files, len(files) // 3):
        p.unlink()
    run_snakemake(cores2, cores=2)
    assert outputs(cores2) == before


def test_a_statistics_partial_lost_from_its_folder_is_computed_again(cores2):
    """Regression (redesign issue, found by the test above): a partial file
    deleted from a statistics folder (a directory output: Snakemake cannot
    see it) made the attributes job combine what was left, silently. The
    folder's manifest tells, and the job computes that row again in a
    folder of its own: same bytes."""
    before = outputs(cores2)
    res = cores2 / "results" / "rgb"
    (res / "work" / "stats" / "r001" / "part_000000.npz").unlink()
    (res / "work" / "stats" / "r001" / ".snakemake_timestamp").unlink()  # rerun attributes
    run_snakemake(cores2, cores=2)
    assert outputs(cores2) == before
    log = (res / "logs" / "attributes.img.log").read_text()
    assert "r001: partial statistics incomplete; computing its window" in log
    assert (res / "work" / "stats" / "r001").is_dir()
    assert not (res / "work" / "stats" / "r001" / "part_000000.npz").exists()  # not touched


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
