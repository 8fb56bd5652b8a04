"""Empty k-means clusters are relocated (acceptance tests).

With ``fixed_init`` the start centres lie on the diagonal of the samples'
bounding box. When the spectra lie on a curve far from that diagonal, most
start centres get no sample; before the fix they stayed empty and distinct
regions fell into one cluster (touching regions then became one segment).
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO

import shepcore
import shepcore.kmeans
from shepcore import fit_model


def curve_spectra(k):
    """(k, 3) spectra on a curve far from the bounding-box diagonal: band 1
    rises with the region index, band 2 falls, band 3 rises then falls."""
    t = np.arange(k) / (k - 1)
    return np.round(np.stack([2000 + 30000 * t, 32000 - 30000 * t,
                              2000 + 120000 * t * (1 - t)], axis=1))


def grid_layout(k, height=24, width=28):
    """k equal rectangles in a grid, each touching its 4 neighbours."""
    cols = int(np.ceil(np.sqrt(k)))
    while k % cols:
        cols -= 1
    rows = k // cols
    r = np.arange(rows * height)[:, None] // height
    c = np.arange(cols * width)[None, :] // width
    return (r * cols + c).astype(np.int32)


def brick_layout(k, seed, size=(300, 330)):
    """k rectangles of random sizes in staggered rows (T-junctions, every
    region touching several others; rectangles are 4-connected)."""
    rng = np.random.default_rng(seed)
    nrows = int(np.sqrt(k))
    per_row = np.full(nrows, k // nrows)
    per_row[: k - per_row.sum()] += 1
    h, w = size
    row_edges = np.sort(rng.choice(np.arange(12, h - 11), nrows - 1, replace=False))
    row_edges = np.concatenate([[0], row_edges, [h]])
    while np.diff(row_edges).min() < 12:  # redraw until every row is >= 12 px
        row_edges = np.concatenate(
            [[0], np.sort(rng.choice(np.arange(12, h - 11), nrows - 1, replace=False)), [h]])
    regions = np.empty(size, np.int32)
    next_id = 0
    for i, n in enumerate(per_row):
        col_edges = np.linspace(0, w, n + 1) + rng.uniform(-4, 4, n + 1)
        col_edges[[0, -1]] = [0, w]
        col_edges = np.round(col_edges).astype(int)
        for j in range(n):
            regions[row_edges[i]:row_edges[i + 1], col_edges[j]:col_edges[j + 1]] = next_id
            next_id += 1
    return regions


def curve_scene(k, layout, seed=0, dtype=np.uint16):
    """(image (3, R, C), regions (R, C)): k regions of constant spectrum;
    spectra are assigned to regions in random order, so touching regions
    have unrelated spectra."""
    regions = grid_layout(k) if layout == "grid" else brick_layout(k, seed)
    perm = np.random.default_rng(seed).permutation(k)
    image = curve_spectra(k)[perm[regions]].transpose(2, 0, 1).astype(dtype)
    return np.ascontiguousarray(image), regions


def assert_regions_are_segments(image, labels, regions, null=None):
    """Every region (minus null pixels) is exactly one segment, every segment
    one region, and each segment's band means equal all its pixels."""
    valid = np.ones(labels.shape, bool) if null is None else ~null
    assert (labels[~valid] == 0).all() and (labels[valid] > 0).all()
    reg = regions[valid].astype(np.int64)
    lab = labels[valid].astype(np.int64)
    nseg = int(lab.max())
    pairs = np.unique(reg * (nseg + 1) + lab)
    assert np.unique(reg).size == nseg == pairs.size, (
        f"{np.unique(reg).size} regions, {nseg} segments, {pairs.size} region-segment pairs")
    counts = np.bincount(lab, minlength=nseg + 1)
    for band in image:
        values = band[valid].astype(np.float64)
        means = np.bincount(lab, weights=values, minlength=nseg + 1)[1:] / counts[1:]
        np.testing.assert_array_equal(means[lab - 1], values)  # 100 % of pixels


LAYOUTS = [(30, "grid"), (64, "grid"), (100, "grid"), (30, "bricks"), (64, "bricks"),
           (100, "bricks")]


@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("fixed_init", [True, False])
@pytest.mark.parametrize(("k", "layout"), LAYOUTS)
def test_each_region_is_one_segment(k, layout, fixed_init, connectivity):
    image, regions = curve_scene(k, layout, seed=k)
    sample_fraction = 0.01 if layout == "grid" else 0.25
    res = shepcore.segment(image, num_clusters=k, fixed_init=fixed_init, min_segment_size=10,
                           connectivity=connectivity, sample_fraction=sample_fraction)
    assert_regions_are_segments(image, res.labels, regions)
    assert res.model.num_clusters == k
    if fixed_init:
        # Most diagonal start centres get no sample on this scene.
        assert res.model.info["relocations"] >= k // 2


@pytest.mark.parametrize(("k", "layout"), [(30, "grid"), (64, "bricks")])
def test_without_relocation_regions_merge(monkeypatch, k, layout):
    """The scene really needs the fix: with relocation switched off (the old
    behaviour), fixed-init k-means leaves clusters empty and touching
    regions come back as one segment."""
    image, regions = curve_scene(k, layout, seed=k)
    monkeypatch.setattr(shepcore.kmeans, "_relocate_empty", lambda *args: 0)
    res = shepcore.segment(image, num_clusters=k, fixed_init=True, min_segment_size=10,
                           sample_fraction=0.25)
    assert res.num_segments < k
    with pytest.raises(AssertionError):
        assert_regions_are_segments(image, res.labels, regions)


def test_relocating_iteration_never_counts_as_converged():
    """With a tolerance every shift meets, the old loop stopped after one
    iteration; an iteration that relocated must not end the run."""
    image, regions = curve_scene(40, "grid", seed=3)
    model = fit_model(image, num_clusters=40, fixed_init=True, tol=1e9)
    assert model.info["relocations"] > 0 and model.info["n_iter"] >= 2
    res = shepcore.segment(image, model=model, min_segment_size=10)
    assert_regions_are_segments(image, res.labels, regions)


@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("kind", ["nodata", "nan"])
def test_nodata_pixels(kind, connectivity):
    """Null pixels (a border ring, scattered pixels and one whole region)
    are left out of the fit and get label 0; the other regions still come
    back one segment each."""
    k = 50
    dtype = np.uint16 if kind == "nodata" else np.float32
    image, regions = curve_scene(k, "bricks", seed=7, dtype=dtype)
    rng = np.random.default_rng(7)
    null = rng.random(regions.shape) < 0.01
    null[:3] = null[-3:] = True
    null[:, :3] = null[:, -3:] = True
    null |= regions == regions[150, 160]
    image[int(rng.integers(0, 3)), null] = 0 if kind == "nodata" else np.nan
    nodata = 0 if kind == "nodata" else None
    for fixed_init in (True, False):
        res = shepcore.segment(image, num_clusters=k - 1, fixed_init=fixed_init, nodata=nodata,
                               min_segment_size=1, connectivity=connectivity,
                               sample_fraction=0.25)
        assert_regions_are_segments(image, res.labels, regions, null)
        assert res.model.info["num_samples"] < image[0, ::2, ::2].size


# -- thread count -----------------------------------------------------------------

CHILD = r"""
import json, sys
import numba
import numpy as np
from shepcore import fit_model
jobs = json.load(open(sys.argv[1]))
for job in jobs:
    model = fit_model(np.load(job["input"]), **job["kwargs"])
    np.save(job["out"], model.centres)
    job["info"] = model.info
print(json.dumps({"threads": numba.get_num_threads(), "infos": [j["info"] for j in jobs]}))
"""


def fit_in_child(jobs, tmp_path, threads):
    """fit_model on every job in a fresh process with NUMBA_NUM_THREADS set;
    returns ({job name: centres bytes}, {job name: info})."""
    spec = [{"input": str(path), "kwargs": kwargs, "out": str(tmp_path / f"{name}.t{threads}.npy")}
            for name, (path, kwargs) in jobs.items()]
    spec_path = tmp_path / f"fit{threads}.json"
    spec_path.write_text(json.dumps(spec))
    env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
    proc = subprocess.run([sys.executable, "-c", CHILD, str(spec_path)], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["threads"] == threads
    centres = {name: np.load(job["out"]).tobytes() for name, job in zip(jobs, spec, strict=True)}
    return centres, dict(zip(jobs, report["infos"], strict=True))


def test_fit_does_not_depend_on_thread_count(tmp_path):
    """NUMBA_NUM_THREADS=1 and 2 give bit-identical centres, on sample sets
    of many 16384-sample chunks, with relocations (fixed init on the curve
    scene) and with k-means++ restarts on a subsample."""
    image, _ = curve_scene(100, "bricks", seed=5)
    samples = image.reshape(3, -1).T.astype(np.float64)
    rng = np.random.default_rng(5)
    noisy = samples + rng.normal(0, 400, samples.shape)
    np.save(tmp_path / "curve.npy", samples)
    np.save(tmp_path / "noisy.npy", np.concatenate([noisy, noisy[::-1] + 50]))
    jobs = {
        "fixed": (tmp_path / "curve.npy", {"num_clusters": 100, "fixed_init": True}),
        "fixed_noisy": (tmp_path / "noisy.npy", {"num_clusters": 60, "fixed_init": True}),
        "kpp_noisy": (tmp_path / "noisy.npy", {"num_clusters": 60, "seed": 2}),
    }
    one, info1 = fit_in_child(jobs, tmp_path, 1)
    two, info2 = fit_in_child(jobs, tmp_path, 2)
    for name in jobs:
        assert one[name] == two[name], f"{name}: centres differ between 1 and 2 threads"
        assert info1[name] == info2[name]
    assert info1["fixed"]["relocations"] > 0 and info1["fixed_noisy"]["relocations"] > 0
    assert info1["kpp_noisy"]["restart_samples"] < info1["kpp_noisy"]["num_samples"]
    # and the same as in this process
    here = fit_model(np.load(tmp_path / "noisy.npy"), num_clusters=60, seed=2)
    assert here.centres.tobytes() == one["kpp_noisy"]
