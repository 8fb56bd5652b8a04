"""shepcore.pipeline.config: the config is validated once with one-line
errors; contradictions between the schema, the code and config/README.md
are gone (redesign issue)."""

import re

import pytest
import yaml
from conftest import REPO
from wfutil import write_geotiff

from shepcore.pipeline.config import ConfigError, load_scenes, load_schema, merged_settings
from shepcore.stats.spec import SPATIAL, SPATIAL_GROUPS
from shepcore.tiles.grid import MIN_OVERLAP

SCHEMA = load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml")


@pytest.fixture()
def config(tmp_path):
    import numpy as np

    path = write_geotiff(tmp_path / "a.tif", np.ones((1, 40, 50), np.uint8))
    return {"results": str(tmp_path / "results"), "scenes": {"a": {"inputs": [path]}}}


def test_keep_intermediate_only_in_the_global_section(config):
    config["scenes"]["a"]["tiling"] = {"keep_intermediate": True}
    with pytest.raises(ConfigError, match="scenes/a/tiling/keep_intermediate: only the global"):
        load_scenes(config, SCHEMA)
    config["scenes"]["a"]["tiling"] = {"tile_size": 30, "overlap": 10}
    config["tiling"] = {"keep_intermediate": True}
    scene = load_scenes(config, SCHEMA)["a"]
    assert scene.settings["tiling"]["tile_size"] == 30 and len(scene.tiles) == 2


def test_every_spatial_statistic_the_readme_names_is_accepted(config):
    readme = (REPO / "config" / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| `spatial`"))
    named = set(re.findall(r"`(\w+)` \(", row)) | set(re.findall(r"Also `(\w+)`", row))
    assert named, row
    enum = SCHEMA["$defs"]["stats"]["properties"]["spatial"]["items"]["enum"]
    assert named <= set(enum)
    assert set(enum) <= set(SPATIAL) | set(SPATIAL_GROUPS)
    config["stats"] = {"spatial": sorted(enum)}
    assert load_scenes(config, SCHEMA)["a"].settings["stats"]["spatial"] == sorted(enum)


def test_schema_overlap_minimum_is_the_tile_grids():
    assert SCHEMA["$defs"]["tiling"]["properties"]["overlap"]["minimum"] == MIN_OVERLAP


def test_one_validation_pass(config):
    """common.smk validates through load_scenes only (no second
    snakemake.utils.validate pass with a different message)."""
    common = (REPO / "workflow" / "rules" / "common.smk").read_text()
    assert "validate(" not in common and "load_scenes(" in common
    config["tiling"] = {"tile_sise": 5}
    with pytest.raises(ConfigError, match="^config key tiling: Additional properties"):
        load_scenes(config, SCHEMA)


def test_scene_overrides_merge_over_globals_and_defaults(config):
    config["segmentation"] = {"num_clusters": 12}
    config["scenes"]["a"]["segmentation"] = {"min_segment_size": 7}
    seg = merged_settings(config, SCHEMA, "a")["segmentation"]
    assert seg["num_clusters"] == 12 and seg["min_segment_size"] == 7
    assert seg["connectivity"] == yaml.safe_load("4")
