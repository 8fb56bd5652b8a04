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
    with pytest.raises(ConfigError, match="^config key tiling: .tile_sise. was unexpected"):
        load_scenes(config, SCHEMA)


def test_scene_overrides_merge_over_globals_and_defaults(config):
    config["segmentation"] = {"num_clusters": 12}
    config["scenes"]["a"]["segmentation"] = {"min_segment_size": 7}
    seg = merged_settings(config, SCHEMA, "a")["segmentation"]
    assert seg["num_clusters"] == 12 and seg["min_segment_size"] == 7
    assert seg["connectivity"] == yaml.safe_load("4")


def test_a_key_typo_names_the_likely_key(config):
    """Issue 12: 'input' was unexpected; did you mean 'inputs'?"""
    from shepcore.pipeline.config import check_config

    config["scenes"]["a"]["input"] = config["scenes"]["a"].pop("inputs")
    with pytest.raises(ConfigError, match=r"config key scenes/a: 'input' was unexpected; "
                                          r"did you mean 'inputs'\?"):
        check_config(config, SCHEMA)
    config["scenes"]["a"]["inputs"] = config["scenes"]["a"].pop("input")
    config["segmentaton"] = {}
    with pytest.raises(ConfigError, match="did you mean 'segmentation'"):
        check_config(config, SCHEMA)


def test_broken_or_missing_config_file_is_one_line(tmp_path):
    from shepcore.pipeline.config import check_config_file, load_config_file

    bad = tmp_path / "config.yaml"
    bad.write_text("scenes:\n  a:\n    inputs: [x.tif\n  b: 1\n")
    with pytest.raises(ConfigError) as err:
        load_config_file(bad)
    msg = str(err.value)
    assert msg.startswith(f"config file {bad}, line 4 column") and "\n" not in msg
    with pytest.raises(ConfigError, match="no such file"):
        check_config_file(tmp_path / "missing.yaml")
    check_config_file(tmp_path / "missing.yaml", required=False)
    (tmp_path / "list.yaml").write_text("- 1\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config_file(tmp_path / "list.yaml")


def test_rgb_bands_error_says_which_numbering(tmp_path):
    """Issue 12: with bands [4, 3, 2], rgb_bands [4, 3, 2] is out of range of
    the 3-band mosaic; the error explains and suggests [1, 2, 3]."""
    import numpy as np

    path = write_geotiff(tmp_path / "six.tif", np.ones((6, 40, 50), np.uint16))
    config = {"results": str(tmp_path / "r"), "scenes": {"s": {
        "inputs": [path], "bands": [4, 3, 2], "colour_table": {"rgb_bands": [4, 3, 2]}}}}
    with pytest.raises(ConfigError) as err:
        load_scenes(config, SCHEMA)
    msg = str(err.value)
    assert "band 4 out of range 1..3" in msg and "selected by scenes/s/bands" in msg
    assert msg.endswith("did you mean [1, 2, 3]?")


@pytest.mark.parametrize("value, expected", [(True, "gpkg"), (False, None), ("none", None),
                                             ("gpkg", "gpkg"), ("parquet", "parquet")])
def test_vector_setting(config, value, expected):
    from shepcore.pipeline.config import vector_format

    config["outputs"] = {"vector": value}
    assert vector_format(load_scenes(config, SCHEMA)["a"].settings) == expected
