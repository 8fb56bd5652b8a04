"""Every .test/ case (tiny real runs, see .test/README.md) dry-runs and
runs to completion with the real workflow, as the snakemake-workflows
catalog's CI does; each case runs in a copy so the checkout stays clean."""

import json
import shutil

import pytest
from conftest import REPO
from wfutil import run_snakemake

pytestmark = pytest.mark.slow
CASES = sorted(p.name for p in (REPO / ".test").glob("config_*"))


@pytest.mark.parametrize("case", CASES)
def test_case_dry_runs_and_runs(tmp_path, case):
    shutil.copytree(REPO / ".test" / "data", tmp_path / "data")
    work = tmp_path / case
    shutil.copytree(REPO / ".test" / case / "config", work / "config")
    run_snakemake(work, "-n")  # exits non-zero on any problem of the DAG
    assert not list(work.glob("results/*/segments.*"))
    run_snakemake(work)
    for summary in (work / "results").glob("*/summary.json"):
        doc = json.loads(summary.read_text())
        assert doc["num_segments"] > 0 and doc["num_tiles"] > 1
        scene = summary.parent
        assert (scene / "quicklook" / "segments_coloured.png").exists()
        assert (scene / "segments.gpkg").exists()
        assert list(scene.glob("segments.parquet")) + list(scene.glob("segments.csv"))


def test_there_are_four_cases():
    assert CASES == ["config_8conn", "config_basic", "config_mosaic", "config_nodata"]
