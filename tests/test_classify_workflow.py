"""Classification as a workflow stage (issue 13), real snakemake runs on a
synthetic land-cover scene (Voronoi regions of five classes, per-region
variation, pixel noise; training points in half of the regions):

- acceptance: the class map agrees with the true classes on >= 95 % of the
  pixels of the other half, and the cross-validated accuracy in
  accuracy.json is within 3 points of that;
- every artefact is there; same bytes with 1 core as with 2;
- SIGKILL when train or classify starts, --unlock, rerun: same bytes;
- a change of the classification settings reruns only its rules;
- bad input: one line, before any job (or, for what only the segments can
  tell, in the training table job).
"""

import json
import subprocess

import numpy as np
import pytest
from classify_scene import NAMES, classify_scene, training_points, write_points
from wfutil import (
    UTM18N,
    kill_run_when_started,
    make_workdir,
    run_snakemake,
    snakemake_cmd,
    write_geotiff,
)

from shepcore.raster import read_raster, read_rat

pytestmark = pytest.mark.slow

#: Classification products compared byte for byte between runs.
PRODUCTS = ("classes.img", "classes.parquet", "accuracy.json", "classify/classifier.pkl",
            "classify/training.parquet", "classify/training.json", "quicklook/classes.png",
            "report/accuracy.tsv", "report/class_accuracy.tsv", "report/confusion.tsv")
GEOTRANSFORM = (500000.0, 30.0, 0.0, 4000000.0, 0.0, -30.0)  # write_geotiff's


@pytest.fixture(scope="module")
def scene_files(tmp_path_factory):
    """(scene tif, training gpkg, true classes, regions, training regions),
    shared by every run so that all runs see the same paths."""
    root = tmp_path_factory.mktemp("classify_scene")
    image, truth, regions, region_class = classify_scene()
    tif = write_geotiff(root / "scene.tif", image)
    points, train = training_points(regions, region_class)
    gpkg = write_points(root / "training.gpkg", points, GEOTRANSFORM, UTM18N)
    return tif, gpkg, truth, regions, train


def config(scene_files, **classification):
    tif, gpkg = scene_files[:2]
    return {"scenes": {"syn": {"inputs": [tif]}},
            "tiling": {"tile_size": 256, "overlap": 64},
            "classification": {"training": gpkg, "class_names": NAMES, **classification}}


def product_bytes(work):
    res = work / "results" / "syn"
    return {name: (res / name).read_bytes() for name in PRODUCTS}


@pytest.fixture(scope="module")
def reference(tmp_path_factory, scene_files):
    work = make_workdir(tmp_path_factory.mktemp("classify_ref"), config(scene_files))
    run_snakemake(work, cores=2)
    return work


def test_acceptance_holdout_pixels_and_cross_validation(reference, scene_files):
    _, _, truth, regions, train = scene_files
    res = reference / "results" / "syn"
    classes = read_raster(str(res / "classes.img"))[0][0]
    held_out = ~np.isin(regions, train)
    agreement = float(np.mean(classes[held_out] == truth[held_out]))
    acc = json.loads((res / "accuracy.json").read_text())["cross_validation"]
    print(f"held-out pixel agreement {agreement:.4f}, cross-validated accuracy "
          f"{acc['overall_accuracy']:.4f}, kappa {acc['kappa']:.4f}, "
          f"{acc['segments']} labelled segments")
    assert agreement >= 0.95
    assert abs(acc["overall_accuracy"] - agreement) <= 0.03
    assert acc["kappa"] > 0.9


def test_artefacts(reference):
    import pyarrow.parquet as pq
    from osgeo import gdal

    res = reference / "results" / "syn"
    ds = gdal.Open(str(res / "classes.img"))
    band = ds.GetRasterBand(1)
    assert band.DataType == gdal.GDT_Byte and band.GetNoDataValue() == 0
    assert band.GetColorTable() is not None and band.GetOverviewCount() >= 1
    names = [n.decode() if isinstance(n, bytes) else n
             for n in read_rat(str(res / "classes.img"))["class_name"]]
    assert names == [""] + [NAMES[c] for c in sorted(NAMES)]
    segments = pq.read_table(res / "segments.parquet", columns=["segment_id"])
    table = pq.read_table(res / "classes.parquet")
    assert table.column_names == ["segment_id", "class", "class_name", "class_probability"]
    assert table.column("segment_id").equals(segments.column("segment_id"))
    assert set(table.column("class_name").to_pylist()) <= set(NAMES.values())
    training = json.loads((res / "classify" / "training.json").read_text())
    assert training["points"]["total"] == training["points"]["on_segments"] == 100
    acc = json.loads((res / "accuracy.json").read_text())
    assert acc["samples"] == training and acc["classifier"]["classifier"] == "random_forest"
    assert len(acc["cross_validation"]["per_class"]) == 5
    assert not (res / "work" / "classify" / "predictions.parquet").exists()  # temp()
    report = reference / "report.html"
    run_snakemake(reference, "--report", str(report))
    text = report.read_text(errors="replace")
    assert "classes.png" in text and "class_accuracy.tsv" in text and "confusion.tsv" in text


def test_one_core_gives_the_same_bytes(reference, scene_files, tmp_path):
    work = make_workdir(tmp_path, config(scene_files))
    run_snakemake(work, cores=1)
    assert product_bytes(work) == product_bytes(reference)


@pytest.mark.parametrize("stage", ["train", "classify"])
def test_sigkill_in_stage_then_rerun(stage, reference, scene_files, tmp_path):
    work = make_workdir(tmp_path, config(scene_files))
    kill_run_when_started(work, "syn", stage)
    run_snakemake(work, "--unlock")
    run_snakemake(work, cores=2)
    assert product_bytes(work) == product_bytes(reference)


def test_a_classification_change_reruns_only_classification(reference, scene_files):
    """Dry run with another classifier seed: the classifier and what follows
    it, not the statistics nor the training table."""
    cfg = reference / "config" / "config.yaml"
    original = cfg.read_text()
    try:
        make_workdir(reference, config(scene_files, seed=1))
        cmd = [a for a in snakemake_cmd(reference, "-n") if a != "--quiet"]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    finally:
        cfg.write_text(original)
    out = proc.stdout + proc.stderr
    stats = out.split("Job stats:")[1].split("\n\n")[0]  # the table of jobs per rule
    jobs = {line.split()[0] for line in stats.splitlines()
            if len(line.split()) == 2 and line.split()[1].isdigit()}
    assert jobs == {"train", "classify", "class_map", "class_table",
                    "accuracy", "class_quicklook", "all", "total"}, out[-2000:]


def _one_error_line(proc):
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("shepcore: error:")]
    assert len(lines) == 1, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    return lines[0]


@pytest.mark.parametrize("case", ["missing", "class_field", "outside", "feature"])
def test_bad_input_stops_before_any_job(case, scene_files, tmp_path):
    tif, gpkg = scene_files[:2]
    extra = {"missing": {"training": str(tmp_path / "none.gpkg")},
             "class_field": {"class_field": "landcover"},
             "feature": {"features": ["B1_mean", "B9_mean"]}}.get(case, {})
    if case == "outside":
        far = [(100000 + i, 5, i % 5 + 1) for i in range(10)]  # 3000 km south
        extra = {"training": write_points(tmp_path / "far.gpkg", far, GEOTRANSFORM, UTM18N)}
    work = make_workdir(tmp_path / "w", config(scene_files, **extra))
    line = _one_error_line(run_snakemake(work, check=False))
    expect = {"missing": "classification/training: ", "class_field": "no field 'landcover'",
              "outside": "no training sample inside the raster",
              "feature": "'B9_mean' not a column of the statistics"}[case]
    assert expect in line, line
    assert not (work / "results" / "syn" / "mosaic.vrt").exists()  # no job ran


def test_points_in_one_segment_fail_in_the_training_table_job(tmp_path):
    """Five points of a class in one flat region are five samples at parse
    time but one labelled segment: the training table job says so."""
    image = np.full((3, 100, 100), 1000, np.uint16)
    image[:, :, 50:] = 5000
    tif = write_geotiff(tmp_path / "two.tif", image)
    pts = [(10 + 5 * i, 10, 1) for i in range(5)] + [(10 + 5 * i, 80, 2) for i in range(5)]
    gpkg = write_points(tmp_path / "p.gpkg", pts, GEOTRANSFORM, UTM18N)
    work = make_workdir(tmp_path / "w", {
        "scenes": {"s": {"inputs": [tif]}}, "segmentation": {"num_clusters": 4},
        "tiling": {"tile_size": 128, "overlap": 32}, "classification": {"training": gpkg}})
    line = _one_error_line(run_snakemake(work, check=False))
    assert "training_table:" in line and "has 1 labelled segment, fewer than folds (5)" in line
    assert not (work / "results" / "s" / "classify" / "training.parquet").exists()
