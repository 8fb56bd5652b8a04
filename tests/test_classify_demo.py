"""The demo scene of config/config.yaml with its hand-made training file
(data/demo/training.geojson, WGS 84 points and polygons of water,
vegetation and urban; issue 13): the whole workflow runs and writes every
classification artefact."""

import json

import numpy as np
import pytest
import yaml
from wfutil import REPO, make_workdir, run_snakemake

from shepcore.raster import read_raster, read_rat

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with open(REPO / "config" / "config.yaml") as f:
        config = yaml.safe_load(f)
    scene = config["scenes"]["landsat_demo"]
    scene["inputs"] = [str(REPO / p) for p in scene["inputs"]]
    scene["classification"]["training"] = str(REPO / scene["classification"]["training"])
    config.pop("results")
    work = make_workdir(tmp_path_factory.mktemp("classify_demo"), config)
    run_snakemake(work, cores=2)
    return work / "results" / "landsat_demo"


def test_demo_classification_artefacts(demo):
    import pyarrow.parquet as pq

    for name in ("classes.img", "classes.parquet", "accuracy.json", "quicklook/classes.png",
                 "classify/classifier.pkl", "classify/training.parquet",
                 "report/accuracy.tsv", "report/class_accuracy.tsv", "report/confusion.tsv"):
        assert (demo / name).exists(), name
    training = json.loads((demo / "classify" / "training.json").read_text())
    assert training["reprojected"] and training["points"]["total"] == 40
    assert training["points"]["on_segments"] == 40 and training["polygons"]["total"] == 2
    acc = json.loads((demo / "accuracy.json").read_text())
    cv = acc["cross_validation"]
    print(f"demo: {cv['segments']} labelled segments, cross-validated accuracy "
          f"{cv['overall_accuracy']:.4f}, kappa {cv['kappa']:.4f}, per class "
          + ", ".join(f"{r['class_name']} P {r['precision']:.2f} R {r['recall']:.2f}"
                      for r in cv["per_class"]))
    assert cv["overall_accuracy"] > 0.7
    classes = read_raster(str(demo / "classes.img"))[0][0]
    segments = read_raster(str(demo / "segments.img"))[0][0]
    np.testing.assert_array_equal(classes > 0, segments > 0)
    rat = read_rat(str(demo / "classes.img"))
    names = [n.decode() if isinstance(n, bytes) else n for n in rat["class_name"]]
    assert names == ["", "urban", "vegetation", "water"]
    shares = np.asarray(rat["Histogram"])[1:] / (segments > 0).sum()
    assert np.all(shares > 0.1), shares  # every class covers a good part of the scene
    table = pq.read_table(demo / "classes.parquet").to_pydict()
    lut = np.r_[0, table["class"]]
    np.testing.assert_array_equal(lut[segments], classes)
