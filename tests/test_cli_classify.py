"""``shepcore classify`` (issue 13, through the real CLI): segment, compute
statistics and classify a synthetic land-cover scene with training points
in half of its regions; the class raster agrees with the true classes on
the other half."""

import json

import numpy as np
import pytest
from classify_scene import classify_scene, training_points, write_points
from cliutil import one_error_line, shepcore
from wfutil import write_geotiff

from shepcore.raster import read_raster, read_rat

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    root = tmp_path_factory.mktemp("cls")
    image, truth, regions, region_class = classify_scene()
    tif = write_geotiff(root / "scene.tif", image, pixel=30.0)
    gt = (500000.0, 30.0, 0.0, 4000000.0, 0.0, -30.0)
    from wfutil import UTM18N

    points, train_regions = training_points(regions, region_class)
    pts = write_points(root / "train.gpkg", points, gt, UTM18N)
    seg = root / "seg.img"
    shepcore("segment", tif, seg, "--num-clusters", 20, "--min-segment-size", 30)
    stats = root / "stats.img"
    shepcore("stats", seg, tif, "--out", stats, "--spatial", "pixel_count",
             "--spatial", "area", "--spatial", "edge_pixels")
    return root, stats, pts, truth, regions, train_regions


def test_classify_writes_a_class_raster_that_matches_the_truth(scene):
    root, stats, pts, truth, regions, train_regions = scene
    out = root / "classes.img"
    proc = shepcore("classify", stats, pts, out, "--class-field", "class", "--folds", 3,
                    "--table", root / "classes.parquet", "--accuracy", root / "acc.json",
                    "--model", root / "clf.pkl")
    assert str(out) in proc.stdout and "cross-validated accuracy" in proc.stdout
    classes = read_raster(str(out))[0][0]  # integer classes keep their codes
    names = read_rat(str(out), ["class_name"])["class_name"]
    assert [n.decode() for n in names[1:6]] == [str(c) for c in range(1, 6)]
    held_out = ~np.isin(regions, train_regions)
    agreement = (classes[held_out] == truth[held_out]).mean()
    assert agreement >= 0.95, agreement
    acc = json.loads((root / "acc.json").read_text())["cross_validation"]
    assert abs(acc["overall_accuracy"] - agreement) < 0.08
    assert (root / "acc_confusion.tsv").exists() and (root / "clf.pkl").exists()
    import pyarrow.parquet as pq

    table = pq.read_table(root / "classes.parquet").to_pydict()
    assert list(table) == ["segment_id", "class", "class_name", "class_probability"]


def test_classify_help_and_bad_input(scene, tmp_path):
    root, stats, pts, *_ = scene
    assert "--class-field" in shepcore("classify", "--help").stdout
    missing = shepcore("classify", stats, tmp_path / "none.gpkg", tmp_path / "c.img",
                       "--class-field", "class", check=False)
    one_error_line(missing)
    wrong = shepcore("classify", stats, pts, tmp_path / "c.img", "--class-field", "nope",
                     check=False)
    one_error_line(wrong)
    assert "nope" in wrong.stderr
    assert not (tmp_path / "c.img").exists()
