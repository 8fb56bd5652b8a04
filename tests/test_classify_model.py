"""Classification products (issue 13): features and compactness, class
codes and colours, fit / predict / save (deterministic, chunk
independent), grouped cross-validation and its metrics, the class raster,
class table and class quicklook."""

import numpy as np
import pytest
from classify_scene import hand_segments

from shepcore.products.accuracy import accuracy_metrics, confusion_matrix, cross_validate
from shepcore.products.classes import PALETTE, class_colours, class_table
from shepcore.products.classify import (
    SegmentClassifier,
    classify_segments,
    fit_classifier,
    load_classes,
)
from shepcore.products.classmap import write_class_map, write_class_table
from shepcore.products.features import (
    available_features,
    check_features,
    compactness,
    default_features,
    feature_matrix,
)


def test_compactness():
    """1 for squares of any size, higher for discs, low for lines."""
    s = np.arange(2, 50)
    np.testing.assert_allclose(compactness(s**2, 4 * s - 4), 1.0)
    assert compactness(100, 100) < 0.4 and compactness(1, 1) == pytest.approx(0.8)
    assert compactness(1, 0) == 1.0


def test_feature_lists():
    cols = ["Histogram", "area", "centroid_x", "edge_pixels", "B1_mean", "B1_p90", "B2_count",
            "Red", "Green", "Blue", "Opacity"]
    assert default_features(cols) == ["B1_mean", "B1_p90", "B2_count", "area", "compactness"]
    assert "Red" not in available_features(cols) and "compactness" in available_features(cols)
    assert default_features(["Histogram", "B1_mean"]) == ["B1_mean"]
    with pytest.raises(ValueError, match="'compactness' needs columns edge_pixels"):
        check_features(["compactness"], ["Histogram", "B1_mean"])
    with pytest.raises(ValueError, match="'B3_mean' not a column of the statistics"):
        check_features(["B3_mean"], cols)
    with pytest.raises(ValueError, match="listed twice"):
        check_features(["area", "area"], cols)
    m = feature_matrix({"Histogram": np.array([4.0, 9.0]), "edge_pixels": np.array([4, 8]),
                        "area": np.array([1, 2])}, ["area", "compactness"])
    np.testing.assert_allclose(m, [[1, 1], [2, 1]])
    with pytest.raises(ValueError, match="'area' has non-finite values"):
        feature_matrix({"area": np.array([1.0, np.nan])}, ["area"])


def test_class_codes():
    t = class_table(np.array(["water", "urban", "water", "forest"]))
    assert t.values == ("forest", "urban", "water") and t.codes == (1, 2, 3)
    assert t.dtype == np.uint8
    np.testing.assert_array_equal(t.code_of(np.array(["urban", "x"])), [2, 0])
    t = class_table(np.array([0, 5, 5, -3]))  # 0 and negatives cannot be pixel values
    assert t.values == (-3, 0, 5) and t.codes == (1, 2, 3) and t.names == ("-3", "0", "5")
    t = class_table(np.array([211, 111, 65535]), {111: "urban"})
    assert t.codes == (111, 211, 65535) and t.names == ("urban", "211", "65535")
    assert t.dtype == np.uint16
    with pytest.raises(ValueError, match="class_names: only for an integer class_field"):
        class_table(np.array(["a", "b"]), {1: "x"})


def test_class_colours():
    t = class_table(np.array(["a", "b", "c"]))
    rgba = class_colours(t, {"c": [1, 2, 3]})
    assert rgba.shape == (4, 4) and tuple(rgba[0]) == (0, 0, 0, 0)
    assert tuple(rgba[1, :3]) == PALETTE[0] and tuple(rgba[3]) == (1, 2, 3, 255)
    with pytest.raises(ValueError, match="colours: no class named 'd'"):
        class_colours(t, {"d": [0, 0, 0]})


def two_class_table(n=120, seed=0, shift=1.2):
    """Two Gaussian classes (codes 1, 2) ``shift`` apart in features f1, f2."""
    rng = np.random.default_rng(seed)
    y = np.repeat([1, 2], n // 2)
    x = rng.normal(0, 1, (n, 2)) + shift * (y[:, None] - 1)
    return {"segment_id": np.arange(1, n + 1), "class": y, "f1": x[:, 0], "f2": x[:, 1]}


@pytest.mark.parametrize("kind", ["random_forest", "gradient_boosting"])
def test_fit_is_deterministic_and_round_trips(tmp_path, kind):
    table = two_class_table()
    classes = class_table(np.array([1, 2]), {1: "a", 2: "b"})
    a = fit_classifier(table, ["f1", "f2"], classes, kind, 20, seed=3)
    b = fit_classifier(table, ["f1", "f2"], classes, kind, 20, seed=3)
    a.save(tmp_path / "a.pkl")
    b.save(tmp_path / "b.pkl")
    assert (tmp_path / "a.pkl").read_bytes() == (tmp_path / "b.pkl").read_bytes()
    loaded = SegmentClassifier.load(tmp_path / "a.pkl")
    assert loaded.features == ["f1", "f2"] and loaded.classes == classes
    assert loaded.settings == {"classifier": kind, "n_estimators": 20, "seed": 3}
    p, q = a.predict(table), loaded.predict(table)
    np.testing.assert_array_equal(p["class"], q["class"])
    assert set(p["class_name"]) <= {"a", "b"} and np.all(p["class_probability"] >= 0.5)
    assert np.mean(p["class"] == table["class"]) > 0.8


def test_classes_read_without_scikit_learn(tmp_path):
    """The class map and class table jobs need only the classes: they read
    the file's header and do not import scikit-learn (0.7 s per job)."""
    import subprocess
    import sys

    classes = class_table(np.array([1, 2]), {1: "a", 2: "b"})
    clf = fit_classifier(two_class_table(), ["f1", "f2"], classes, n_estimators=5, seed=0)
    clf.save(tmp_path / "m.pkl")
    code = ("import sys; from shepcore.products.classify import load_classes; "
            f"c = load_classes({str(tmp_path / 'm.pkl')!r}); "
            "print(c == c, 'sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["True", "False"]
    assert load_classes(tmp_path / "m.pkl") == classes == SegmentClassifier.load(
        tmp_path / "m.pkl").classes


def test_load_refuses_other_files(tmp_path):
    import pickle

    (tmp_path / "x.pkl").write_bytes(pickle.dumps({"format": "other"}))
    with pytest.raises(ValueError, match="not a shepcore classifier file"):
        SegmentClassifier.load(tmp_path / "x.pkl")


def grid_segments(tmp_path, n_side=15, seed=1):
    """A segment raster of n_side x n_side square segments of 2 x 2 pixels
    with random B1_mean; returns (path, labels)."""
    ids = np.arange(1, n_side * n_side + 1, dtype=np.uint32).reshape(n_side, n_side)
    labels = np.kron(ids, np.ones((2, 2), np.uint32))
    rng = np.random.default_rng(seed)
    mean = np.r_[0, rng.normal(0, 1, ids.size)]
    path = hand_segments(tmp_path, labels, columns={"B1_mean": mean})
    return path, labels


def test_classify_segments_is_chunk_independent(tmp_path):
    import pyarrow.parquet as pq

    from shepcore.raster import read_rat

    path, _ = grid_segments(tmp_path)
    table = two_class_table()
    table["B1_mean"], table["compactness"] = table["f1"], np.ones(len(table["f1"]))
    classes = class_table(np.array(["a", "b"]))
    clf = fit_classifier(table, ["B1_mean", "compactness"], classes, n_estimators=15)
    n = classify_segments(path, clf, tmp_path / "p1.parquet", chunk_rows=7)
    classify_segments(path, clf, tmp_path / "p2.parquet", chunk_rows=10**6)
    t1, t2 = pq.read_table(tmp_path / "p1.parquet"), pq.read_table(tmp_path / "p2.parquet")
    assert n == 225 and t1.equals(t2) and pq.ParquetFile(tmp_path / "p1.parquet") \
        .num_row_groups == 33
    assert t1.column("segment_id").to_pylist() == list(range(1, 226))
    rat = {k: v[1:] for k, v in read_rat(path).items()}
    direct = clf.predict(rat)  # the same from the table in memory (e.g. segments.parquet)
    np.testing.assert_array_equal(t1.column("class").to_numpy(), direct["class"])
    np.testing.assert_array_equal(t1.column("class_probability").to_numpy(),
                                  direct["class_probability"])


def test_metrics_match_scikit_learn():
    from sklearn.metrics import cohen_kappa_score, precision_recall_fscore_support

    rng = np.random.default_rng(4)
    true = rng.integers(1, 5, 300)
    pred = np.where(rng.random(300) < 0.7, true, rng.integers(1, 5, 300))
    pred[pred == 4] = 3  # class 4 never predicted: precision 0 by convention
    m = accuracy_metrics(confusion_matrix(true, pred, (1, 2, 3, 4)))
    p, r, f, s = precision_recall_fscore_support(true, pred, labels=[1, 2, 3, 4],
                                                 zero_division=0)
    np.testing.assert_allclose(m["precision"], p)
    np.testing.assert_allclose(m["recall"], r)
    np.testing.assert_allclose(m["f1"], f)
    assert m["support"] == s.tolist()
    assert m["overall_accuracy"] == pytest.approx(np.mean(true == pred))
    assert m["kappa"] == pytest.approx(cohen_kappa_score(true, pred))


def test_cross_validation_is_grouped_and_deterministic(monkeypatch):
    """No segment in both parts of a fold, even with repeated rows of a
    segment; the same figures for the same seed."""
    from sklearn import model_selection

    table = two_class_table(90, shift=3.0)
    for k in table:  # every segment twice
        table[k] = np.repeat(table[k], 2)
    classes = class_table(np.array([1, 2]))
    seen = []
    real = model_selection.StratifiedGroupKFold.split

    def spy(self, x, y, groups):
        for train, test in real(self, x, y, groups):
            seen.append(np.intersect1d(groups[train], groups[test]).size)
            yield train, test

    monkeypatch.setattr(model_selection.StratifiedGroupKFold, "split", spy)
    a = cross_validate(table, ["f1", "f2"], classes, folds=4, n_estimators=10, seed=2)
    b = cross_validate(table, ["f1", "f2"], classes, folds=4, n_estimators=10, seed=2)
    assert seen == [0] * 8 and a == b
    assert a["grouping"] == "segment" and len(a["fold_accuracy"]) == 4
    assert np.sum(a["confusion_matrix"]["counts"]) == 180
    assert 0.85 < a["overall_accuracy"] < 1.0


@pytest.mark.parametrize("fmt, codes", [("HFA", ("a", "b")), ("GTiff", (7, 400))])
def test_class_map_raster_and_table(tmp_path, fmt, codes):
    import pyarrow as pa
    import pyarrow.parquet as pq
    from osgeo import gdal

    from shepcore.raster import read_raster, read_rat

    path, labels = grid_segments(tmp_path, 4)
    classes = class_table(np.array(codes))
    pred = np.where(np.arange(1, 17) % 3 == 0, classes.codes[1], classes.codes[0])
    pq.write_table(pa.table({"segment_id": np.arange(1, 17), "class": pred.astype(np.int32),
                             "class_probability": np.linspace(0.5, 1, 16)}),
                   tmp_path / "pred.parquet")
    out = tmp_path / ("classes.img" if fmt == "HFA" else "classes.tif")
    pixels = write_class_map(path, tmp_path / "pred.parquet", classes, str(out), fmt,
                             {classes.names[0]: [9, 8, 7]})
    image, _ = read_raster(str(out))
    lut = np.r_[0, pred]
    np.testing.assert_array_equal(image[0], lut[labels])
    assert image.dtype == classes.dtype
    assert pixels == {classes.names[0]: 4 * 11, classes.names[1]: 4 * 5}
    rat = read_rat(str(out))
    names = [n.decode() if isinstance(n, bytes) else n for n in rat["class_name"]]
    assert names[classes.codes[0]] == classes.names[0] and names[0] == ""
    ds = gdal.Open(str(out))
    band = ds.GetRasterBand(1)
    assert band.GetNoDataValue() == 0
    assert band.GetColorTable().GetColorEntry(classes.codes[0]) == (9, 8, 7, 255)
    assert band.GetColorTable().GetColorEntry(0)[3] == 0
    write_class_table(tmp_path / "pred.parquet", classes, tmp_path / "classes.parquet")
    t = pq.read_table(tmp_path / "classes.parquet").to_pydict()
    assert list(t) == ["segment_id", "class", "class_name", "class_probability"]
    assert t["class_name"][2] == classes.names[1] and t["class"][0] == classes.codes[0]


def test_class_quicklook_has_a_legend(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    from osgeo import gdal

    from shepcore.products.class_quicklook import class_quicklook

    path, labels = grid_segments(tmp_path, 15)
    classes = class_table(np.array(["water", "vegetation"]))
    pred = (np.arange(225) % 2 + 1).astype(np.int32)
    pq.write_table(pa.table({"segment_id": np.arange(1, 226), "class": pred,
                             "class_probability": np.ones(225)}), tmp_path / "p.parquet")
    write_class_map(path, tmp_path / "p.parquet", classes, str(tmp_path / "c.img"))
    class_quicklook(str(tmp_path / "c.img"), str(tmp_path / "c.png"))
    ds = gdal.Open(str(tmp_path / "c.png"))
    assert ds.RasterCount == 4 and ds.RasterXSize > labels.shape[1] + 100
    png = ds.ReadAsArray()
    legend = png[:3, :, labels.shape[1]:]
    assert (legend == 0).any() and (legend == 255).any()  # black text on white
