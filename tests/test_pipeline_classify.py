"""The classification section of the config (issue 13): defaults, scene
overrides, resolved features, and every bad input stopped while the
workflow parses, in one line naming the key."""

import re

import numpy as np
import pytest
from classify_scene import box, point, write_geojson
from conftest import REPO
from wfutil import write_geotiff

from shepcore.pipeline import classify
from shepcore.pipeline.config import ConfigError, load_scenes, load_schema

SCHEMA = load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml")
EPSG = "urn:ogc:def:crs:EPSG::32618"
X0, Y0, PX = 500000.0, 4000000.0, 30.0  # write_geotiff's default grid


def inside(row, col):
    return point(X0 + (col + 0.5) * PX, Y0 - (row + 0.5) * PX)


def samples(tmp_path, counts, name="t.geojson"):
    """A GeoJSON of ``counts[cls]`` points per class inside the 40 x 50 raster."""
    feats = [(inside(i, 3 * k), {"class": cls}) for k, (cls, n) in enumerate(counts.items())
             for i in range(n)]
    return write_geojson(tmp_path / name, feats, crs=EPSG)


@pytest.fixture()
def config(tmp_path):
    path = write_geotiff(tmp_path / "a.tif", np.ones((3, 40, 50), np.uint16))
    train = samples(tmp_path, {"water": 5, "urban": 6})
    return {"results": str(tmp_path / "results"),
            "scenes": {"a": {"inputs": [path], "classification": {"training": train}}}}


def test_defaults_and_resolved_features(config):
    settings = load_scenes(config, SCHEMA)["a"].settings
    c = settings["classification"]
    assert (c["class_field"], c["classifier"], c["n_estimators"], c["seed"], c["folds"]) == \
        ("class", "random_forest", 100, 0, 5)
    params = classify.job_params(settings, 3)
    stats = ["count", "mean", "stddev", "min", "max", "median", "p10", "p90"]
    assert params["features"] == [f"B{b}_{s}" for b in (1, 2, 3) for s in stats] + \
        ["area", "compactness"]
    del config["scenes"]["a"]["classification"]
    assert not classify.enabled(load_scenes(config, SCHEMA)["a"].settings)


def test_scene_overrides_global(config, tmp_path):
    train = config["scenes"]["a"].pop("classification")["training"]
    config["classification"] = {"training": train, "class_field": "klass", "folds": 3}
    config["scenes"]["a"]["classification"] = {"class_field": "class", "features": ["B2_mean"]}
    c = load_scenes(config, SCHEMA)["a"].settings["classification"]
    assert (c["training"], c["class_field"], c["folds"], c["features"]) == \
        (train, "class", 3, ["B2_mean"])


def bad(config, tmp_path, case):
    """Apply bad-input ``case`` to ``config``; return the expected message."""
    c = config["scenes"]["a"]["classification"]
    key = "config key scenes/a/classification"
    if case == "missing_file":
        c["training"] = str(tmp_path / "gone.gpkg")
        return f"{key}/training: {tmp_path / 'gone.gpkg'}: no such file"
    if case == "unreadable":
        (tmp_path / "bad.geojson").write_text("not json")
        c["training"] = str(tmp_path / "bad.geojson")
        return f"{key}/training: {tmp_path / 'bad.geojson'}: not a vector file OGR can read"
    if case == "class_field":
        c["class_field"] = "klass"
        return f"{key}/class_field: {c['training']}: no field 'klass' for class_field " \
               "(fields: class)"
    if case == "one_class":
        c["training"] = samples(tmp_path, {"water": 9}, "one.geojson")
        return "1 class inside the raster (water); at least 2 needed"
    if case == "few_samples":
        c["training"] = samples(tmp_path, {"water": 5, "urban": 2}, "few.geojson")
        return f"{key}/folds: class 'urban' has 2 samples inside the raster, fewer than " \
               "folds (5)"
    if case == "outside":
        far = [(point(0.0, 0.0), {"class": "a"}), (point(1.0, 1.0), {"class": "b"}),
               (box(0, 0, 10, 10), {"class": "b"})]
        c["training"] = write_geojson(tmp_path / "far.geojson", far, crs=EPSG)
        return f"{key}/training: {c['training']}: no training sample inside the raster " \
               "(3 samples, all outside its extent)"
    if case == "feature":
        c["features"] = ["B1_mean", "B1_mode"]
        return f"{key}/features: 'B1_mode' not a column of the statistics"
    if case == "compactness":
        config["stats"] = {"spatial": ["area"]}
        c["features"] = ["compactness"]
        return f"{key}/features: 'compactness' needs columns edge_pixels"
    if case == "band":
        c["features"] = ["B4_mean"]
        return f"{key}/features: 'B4_mean' not a column"
    if case == "class_names":
        c["class_names"] = {1: "x"}
        return f"{key}: class_names: only for an integer class_field"
    if case == "colours":
        c["colours"] = {"forest": [0, 1, 2]}
        return f"{key}: colours: no class named 'forest'"
    if case == "folds_1":
        c["folds"] = 1
        return "config key scenes/a/classification/folds: 1 is less than the minimum of 2"
    if case == "classifier":
        c["classifier"] = "svm"
        return "scenes/a/classification/classifier: 'svm' is not one of"
    raise KeyError(case)


CASES = ["missing_file", "unreadable", "class_field", "one_class", "few_samples", "outside",
         "feature", "compactness", "band", "class_names", "colours", "folds_1", "classifier"]


@pytest.mark.parametrize("case", CASES)
def test_bad_classification_input_is_one_line(config, tmp_path, case):
    expect = bad(config, tmp_path, case)
    with pytest.raises(ConfigError) as info:
        load_scenes(config, SCHEMA)
    msg = str(info.value)
    assert "\n" not in msg and expect in msg, msg


def test_a_class_with_a_polygon_is_left_to_the_training_table_job(config, tmp_path):
    """A polygon may label any number of segments: the parse-time check
    counts only point-only classes against folds."""
    feats = [(inside(i, 0), {"class": "water"}) for i in range(5)]
    feats += [(box(X0, Y0 - 300, X0 + 300, Y0), {"class": "urban"})]
    config["scenes"]["a"]["classification"]["training"] = write_geojson(
        tmp_path / "p.geojson", feats, crs=EPSG)
    assert classify.enabled(load_scenes(config, SCHEMA)["a"].settings)


def test_readme_documents_every_classification_key():
    readme = (REPO / "config" / "README.md").read_text()
    section = readme.split("## `classification`")[1].split("\n## ")[0]
    documented = set(re.findall(r"^\| `(\w+)` \|", section, re.M))
    assert documented == set(SCHEMA["$defs"]["classification"]["properties"])
