"""The spectral model: fitting, the automatic merge limit, save/load."""

import json

import numpy as np
import pytest
from conftest import DTYPES
from scipy.spatial.distance import pdist

import shepcore
from shepcore import SpectralModel, fit_model
from shepcore.synthetic import voronoi_scene


@pytest.fixture(scope="module")
def scene():
    image, _ = voronoi_scene(150, 160, bands=3, grid=(4, 4), noise=300, seed=21)
    return image


def three_blobs(seed=0, n=300):
    rng = np.random.default_rng(seed)
    means = np.array([[10.0, 10.0], [100.0, 0.0], [50.0, 90.0]])
    samples = np.concatenate([m + rng.normal(0, 1, (n, 2)) for m in means])
    return samples, means


@pytest.mark.parametrize("fixed_init", [False, True])
def test_fit_recovers_well_separated_clusters(fixed_init):
    samples, means = three_blobs()
    model = fit_model(samples, num_clusters=3, fixed_init=fixed_init)
    assert model.centres.shape == (3, 2) and model.centres.dtype == np.float64
    found = model.centres[np.argsort(model.centres[:, 0])]
    np.testing.assert_allclose(found, means[np.argsort(means[:, 0])], atol=0.3)
    assert model.num_clusters == 3 and model.num_bands == 2


def test_fit_on_samples_drops_null_rows():
    samples, _ = three_blobs()
    dirty = np.concatenate([samples, [[-1.0, 5.0], [np.nan, 1.0], [3.0, np.inf]]])
    a = fit_model(samples, num_clusters=3, fixed_init=True)
    b = fit_model(dirty, num_clusters=3, fixed_init=True, nodata=-1)
    np.testing.assert_array_equal(a.centres, b.centres)
    assert b.nodata == -1.0 and b.info["num_samples"] == samples.shape[0]


def test_auto_limit_is_percentile_of_centre_distances(scene):
    for pct in (0, 25, 50, 90, 100):
        model = fit_model(scene, num_clusters=7, spectral_diff_percentile=pct, fixed_init=True)
        expected = np.percentile(pdist(model.centres), pct)
        assert model.max_spectral_diff == pytest.approx(expected, rel=1e-12)
    assert fit_model(scene, num_clusters=7, max_spectral_diff=None).max_spectral_diff == np.inf
    assert fit_model(scene, num_clusters=7, max_spectral_diff=12.5).max_spectral_diff == 12.5


def test_segment_uses_auto_limit_of_its_model(scene):
    res = shepcore.segment(scene, num_clusters=7, spectral_diff_percentile=30)
    assert res.max_spectral_diff == pytest.approx(np.percentile(pdist(res.model.centres), 30))


@pytest.mark.parametrize("dtype", DTYPES)
def test_fixed_init_is_deterministic(dtype):
    image, _ = voronoi_scene(100, 120, bands=2, grid=(3, 3), noise=20, dtype=dtype, seed=4,
                             low=10, high=240)
    a = fit_model(image, num_clusters=6, fixed_init=True)
    b = fit_model(image, num_clusters=6, fixed_init=True)
    np.testing.assert_array_equal(a.centres, b.centres)
    assert a.info["n_init"] == 1 and a.info["fixed_init"] is True
    r1 = shepcore.segment(image, num_clusters=6, fixed_init=True, min_segment_size=10)
    r2 = shepcore.segment(image, num_clusters=6, fixed_init=True, min_segment_size=10)
    np.testing.assert_array_equal(r1.labels, r2.labels)
    np.testing.assert_array_equal(r1.model.centres, a.centres)
    # fixed_init does not depend on the seed
    c = fit_model(image, num_clusters=6, fixed_init=True, seed=99)
    np.testing.assert_array_equal(c.centres, a.centres)


def test_kmeanspp_is_deterministic_for_a_seed(scene):
    a = fit_model(scene, num_clusters=8, seed=3)
    b = fit_model(scene, num_clusters=8, seed=3)
    np.testing.assert_array_equal(a.centres, b.centres)


def test_fixed_init_centres_start_on_the_diagonal():
    """With max_iter=1 the centres are one Lloyd step from the diagonal
    start; on samples that lie on the diagonal they stay ordered on it."""
    samples = np.stack([np.arange(100.0), 2 * np.arange(100.0)], axis=1)
    model = fit_model(samples, num_clusters=4, fixed_init=True, max_iter=1)
    np.testing.assert_allclose(model.centres[:, 1], 2 * model.centres[:, 0])
    assert (np.diff(model.centres[:, 0]) > 0).all()


@pytest.mark.parametrize("nodata", [None, 0.0, -9999.0])
@pytest.mark.parametrize("limit", [None, "auto", 42.0])
def test_save_load_round_trip(tmp_path, scene, nodata, limit):
    model = fit_model(scene, num_clusters=9, nodata=nodata, max_spectral_diff=limit, seed=1)
    path = tmp_path / "model.json"
    model.save(path)
    loaded = SpectralModel.load(path)
    np.testing.assert_array_equal(loaded.centres, model.centres)  # bit-identical
    assert loaded.centres.dtype == np.float64
    assert loaded.nodata == model.nodata
    assert loaded.max_spectral_diff == model.max_spectral_diff
    assert loaded.info == json.loads(json.dumps(model.info))
    a = shepcore.segment(scene, model=model, min_segment_size=15)
    b = shepcore.segment(scene, model=loaded, min_segment_size=15)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.max_spectral_diff == b.max_spectral_diff
    assert list(tmp_path.iterdir()) == [path]  # no temp file left


def test_save_load_round_trip_awkward_floats(tmp_path):
    centres = np.array([[0.1, 1e-300], [np.pi, -0.0], [1 / 3, 2.0**60 + 1]])
    model = SpectralModel(centres=centres, nodata=np.nan, max_spectral_diff=np.inf)
    model.save(tmp_path / "m.json")
    loaded = SpectralModel.load(tmp_path / "m.json")
    assert loaded.centres.tobytes() == centres.tobytes()
    assert np.isnan(loaded.nodata) and loaded.max_spectral_diff == np.inf


def test_load_rejects_other_files(tmp_path):
    with pytest.raises(ValueError, match="cannot read spectral model"):
        SpectralModel.load(tmp_path / "missing.json")
    (tmp_path / "junk.json").write_text("not json")
    with pytest.raises(ValueError, match="junk.json: cannot read spectral model"):
        SpectralModel.load(tmp_path / "junk.json")
    (tmp_path / "other.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(ValueError, match="other.json: not a shepcore spectral model"):
        SpectralModel.load(tmp_path / "other.json")


def test_model_with_wrong_band_count_is_refused(scene):
    model = fit_model(scene[:2], num_clusters=5)
    with pytest.raises(ValueError, match="model has 2 bands but image has 3"):
        shepcore.segment(scene, model=model)
    shepcore.segment(scene[:2], model=model)  # the matching image passes


def test_one_model_for_two_images_agrees_on_classes():
    """A model fitted once gives every pixel of equal value the same class,
    in any image (what tiles rely on)."""
    image, _ = voronoi_scene(120, 120, bands=3, grid=(4, 4), noise=0, seed=6)
    model = fit_model(image, num_clusters=20)
    full = shepcore.segment(image, model=model, min_segment_size=1).labels
    half = shepcore.segment(image[:, :, 60:], model=model, min_segment_size=1).labels
    # the right half's partition equals the full partition restricted to it
    # wherever no segment crosses the cut
    crossing = np.unique(full[:, 59][full[:, 59] == full[:, 60]])
    keep = ~np.isin(full[:, 60:], crossing)
    pairs = np.unique(np.stack([full[:, 60:][keep], half[keep]]), axis=1)
    assert len(np.unique(pairs[0])) == len(np.unique(pairs[1])) == pairs.shape[1]


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"num_clusters": 1}, ValueError, "num_clusters"),
        ({"num_clusters": 70000}, ValueError, "num_clusters"),
        ({"num_clusters": 2.5}, TypeError, "num_clusters"),
        ({"spectral_diff_percentile": -1}, ValueError, "spectral_diff_percentile"),
        ({"sample_fraction": 1.5}, ValueError, "sample_fraction"),
        ({"n_init": 0}, ValueError, "n_init"),
        ({"max_iter": 0}, ValueError, "max_iter"),
        ({"tol": -1.0}, ValueError, "tol"),
        ({"spectral_diff_percentile": "50"}, TypeError, "spectral_diff_percentile"),
        ({"nodata": "x"}, TypeError, "nodata"),
        ({"max_spectral_diff": -2}, ValueError, "max_spectral_diff"),
    ],
)
def test_fit_model_bad_parameters(kwargs, exc, match):
    samples, _ = three_blobs()
    with pytest.raises(exc, match=match):
        fit_model(samples, **kwargs)


def test_fit_model_bad_samples():
    with pytest.raises(ValueError, match="samples_or_image: expected an image"):
        fit_model(np.ones(10), num_clusters=2)
    with pytest.raises(TypeError, match="samples_or_image: dtype bool"):
        fit_model(np.ones((10, 2), bool), num_clusters=2)
    with pytest.raises(ValueError, match="no non-null pixels"):
        fit_model(np.full((10, 2), np.nan), num_clusters=2)
    with pytest.raises(ValueError, match=r"num_clusters \(5\) exceeds"):
        fit_model(np.ones((4, 2)), num_clusters=5)


# -- spectral_diff_percentile with and without a model -------------------------------


@pytest.fixture(scope="module")
def model30(scene):
    """A model whose own limit is the 30th percentile."""
    return fit_model(scene, num_clusters=9, spectral_diff_percentile=30, seed=2)


def test_percentile_none_means_50_when_fitting(scene):
    a = fit_model(scene, num_clusters=7, spectral_diff_percentile=None)
    b = fit_model(scene, num_clusters=7)
    assert a.max_spectral_diff == b.max_spectral_diff == pytest.approx(
        np.percentile(pdist(a.centres), 50), rel=1e-12)
    assert a.info["spectral_diff_percentile"] == 50
    res = shepcore.segment(scene, num_clusters=7)  # segment's default is None
    assert res.max_spectral_diff == pytest.approx(np.percentile(pdist(res.model.centres), 50),
                                                  rel=1e-12)


def test_model_auto_without_percentile_uses_the_models_own_limit(scene, model30):
    assert model30.max_spectral_diff == pytest.approx(np.percentile(pdist(model30.centres), 30))
    res = shepcore.segment(scene, model=model30, min_segment_size=15)
    assert res.max_spectral_diff == model30.max_spectral_diff


@pytest.mark.parametrize("pct", [0, 10, 50, 75.5, 100])
def test_model_auto_with_percentile_recomputes_the_limit(scene, model30, pct):
    """Regression: spectral_diff_percentile was silently ignored when a
    fitted model was passed to segment()."""
    res = shepcore.segment(scene, model=model30, spectral_diff_percentile=pct,
                           min_segment_size=15)
    expected = np.percentile(pdist(model30.centres), pct)
    assert res.max_spectral_diff == pytest.approx(expected, rel=1e-12)
    # the same limit as a model fitted with that percentile would have
    same = SpectralModel(model30.centres, model30.nodata, expected)
    np.testing.assert_array_equal(
        res.labels, shepcore.segment(scene, model=same, min_segment_size=15).labels)


def test_model_with_numeric_or_no_limit_and_no_percentile(scene, model30):
    res = shepcore.segment(scene, model=model30, max_spectral_diff=12.5, min_segment_size=15)
    assert res.max_spectral_diff == 12.5
    res = shepcore.segment(scene, model=model30, max_spectral_diff=None, min_segment_size=15)
    assert res.max_spectral_diff == np.inf


@pytest.mark.parametrize("limit", [12.5, 0, None])
def test_model_with_numeric_or_no_limit_refuses_a_percentile(scene, model30, limit):
    with pytest.raises(ValueError, match=r"spectral_diff_percentile \(40\) only applies to "
                                         r"max_spectral_diff='auto'") as info:
        shepcore.segment(scene, model=model30, max_spectral_diff=limit,
                         spectral_diff_percentile=40)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("pct", "exc"), [(-1, ValueError), (101, ValueError),
                                          (np.nan, ValueError), ("50", TypeError)])
def test_model_with_bad_percentile(scene, model30, pct, exc):
    with pytest.raises(exc, match="spectral_diff_percentile"):
        shepcore.segment(scene, model=model30, spectral_diff_percentile=pct)


def test_one_centre_model_refuses_a_percentile():
    image = np.arange(12.0).reshape(1, 3, 4)
    model = SpectralModel(centres=np.array([[5.0]]), nodata=None, max_spectral_diff=3.0)
    assert shepcore.segment(image, model=model).max_spectral_diff == 3.0
    with pytest.raises(ValueError, match="the model has one centre"):
        shepcore.segment(image, model=model, spectral_diff_percentile=50)
