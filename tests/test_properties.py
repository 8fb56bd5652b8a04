"""Properties every segmentation must have, on random small inputs
(hypothesis), and independence from the numba thread count."""

import json
import os
import subprocess
import sys

import naive
import numpy as np
import pytest
from conftest import DTYPES, REPO
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import shepcore
from shepcore._kernels.clump import clump
from shepcore.synthetic import voronoi_scene

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def segment_cases(draw):
    """(image, kwargs, null mask): a small random image with nulls and the
    segment() keyword arguments to use on it."""
    rows = draw(st.integers(1, 14))
    cols = draw(st.integers(1, 14))
    bands = draw(st.integers(1, 3))
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    if draw(st.booleans()):  # few levels: big flat areas and exact ties
        values = draw(arrays(np.int64, (bands, rows, cols), elements=st.integers(1, 6)))
    else:
        values = draw(arrays(np.int64, (bands, rows, cols), elements=st.integers(1, 120)))
    image = values.astype(dtype)
    null = draw(arrays(np.bool_, (rows, cols), elements=st.sampled_from([False] * 4 + [True])))
    nodata = None
    if null.any():
        if dtype.kind == "f" and draw(st.booleans()):
            image[draw(st.integers(0, bands - 1)), null] = np.nan
        else:
            nodata = 0
            image[draw(st.integers(0, bands - 1)), null] = 0  # one band suffices
    nvalid = int((~null).sum())
    assume(nvalid >= 2)
    kwargs = {
        "num_clusters": draw(st.integers(2, min(6, nvalid))),
        "min_segment_size": draw(st.integers(1, 12)),
        "connectivity": draw(st.sampled_from([4, 8])),
        "max_spectral_diff": draw(st.one_of(st.just("auto"), st.none(),
                                             st.floats(0, 60, allow_nan=False))),
        "fixed_init": draw(st.booleans()),
        "nodata": nodata,
    }
    return image, kwargs, null


def check_segmentation(image, kwargs, null, res):
    labels = res.labels
    conn = kwargs["connectivity"]
    assert labels.dtype == np.uint32 and labels.shape == image.shape[1:]
    # IDs 1..N with no gaps
    n = res.num_segments
    np.testing.assert_array_equal(np.unique(labels[labels > 0]), np.arange(1, n + 1))
    # 0 exactly at null pixels
    np.testing.assert_array_equal(labels == 0, null)
    # every segment connected under the chosen connectivity
    assert naive.disconnected_segments(labels, conn) == []
    # no small segment left that could still merge
    limit = None if np.isinf(res.max_spectral_diff) else res.max_spectral_diff
    assert naive.mergeable_small_segments(image, labels, kwargs["min_segment_size"], limit,
                                          conn) == []


@SETTINGS
@given(segment_cases())
def test_segment_properties(case):
    image, kwargs, null = case
    res = shepcore.segment(image, **kwargs)
    check_segmentation(image, kwargs, null, res)
    # same labels when run again
    again = shepcore.segment(image, **kwargs)
    np.testing.assert_array_equal(again.labels, res.labels)
    np.testing.assert_array_equal(again.model.centres, res.model.centres)
    # same labels as the slow oracle with the fitted centres
    limit = None if np.isinf(res.max_spectral_diff) else res.max_spectral_diff
    expected, singles, merged = naive.segment(
        image, res.model.centres, nodata=kwargs["nodata"], max_diff=limit,
        min_size=kwargs["min_segment_size"], connectivity=kwargs["connectivity"],
    )
    np.testing.assert_array_equal(res.labels, expected)
    assert (res.single_pixels_eliminated, res.small_segments_eliminated) == (singles, merged)


@SETTINGS
@given(
    arrays(np.uint16, st.tuples(st.integers(1, 20), st.integers(1, 20)),
           elements=st.integers(0, 3)),
    st.sampled_from([4, 8]),
)
def test_clump_properties(clusters, connectivity):
    labels = np.empty(clusters.shape, np.uint32)
    n = clump(clusters, connectivity == 8, labels)
    expected, expected_n = naive.clump(clusters, connectivity)
    assert n == expected_n
    np.testing.assert_array_equal(labels, expected)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([4, 8]), st.integers(2, 30))
def test_segment_properties_on_noisy_voronoi(seed, connectivity, min_size):
    """Bigger images than above: 60 x 70 noisy Voronoi scenes, k-means++."""
    image, _ = voronoi_scene(60, 70, bands=2, grid=(3, 4), noise=900, seed=seed)
    kwargs = {"num_clusters": 8, "min_segment_size": min_size, "connectivity": connectivity,
              "max_spectral_diff": "auto", "nodata": None}
    res = shepcore.segment(image, **kwargs)
    check_segmentation(image, kwargs, np.zeros(image.shape[1:], bool), res)


# -- thread count -----------------------------------------------------------------

CHILD = r"""
import json, sys
import numba
import numpy as np
import shepcore
jobs = json.load(open(sys.argv[1]))
for job in jobs:
    res = shepcore.segment(np.load(job["input"]), **job["kwargs"])
    np.save(job["labels"], res.labels)
    np.save(job["centres"], res.model.centres)
print(json.dumps({"threads": numba.get_num_threads(),
                  "config": numba.config.NUMBA_NUM_THREADS}))
"""


def run_child(jobs, tmp_path, threads):
    """Run segment() on every job in a fresh process with NUMBA_NUM_THREADS
    set; returns {job name: (labels bytes, centres bytes)}."""
    out = {}
    spec = []
    for name, (path, kwargs) in jobs.items():
        spec.append({"input": str(path), "kwargs": kwargs,
                     "labels": str(tmp_path / f"{name}.t{threads}.labels.npy"),
                     "centres": str(tmp_path / f"{name}.t{threads}.centres.npy")})
    spec_path = tmp_path / f"jobs{threads}.json"
    spec_path.write_text(json.dumps(spec))
    env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
    proc = subprocess.run([sys.executable, "-c", CHILD, str(spec_path)], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info == {"threads": threads, "config": threads}
    for name, job in zip(jobs, spec, strict=True):
        with open(job["labels"], "rb") as f1, open(job["centres"], "rb") as f2:
            out[name] = (f1.read(), f2.read())
    return out


def test_labels_do_not_depend_on_thread_count(tmp_path, scene):
    """NUMBA_NUM_THREADS=1 and 2 give byte-identical labels and centres, on
    inputs big enough for several parallel chunks (16384 items each)."""
    from shepcore.raster import read_raster

    jobs = {}
    noisy, _ = voronoi_scene(300, 320, bands=3, grid=(6, 6), noise=1500, seed=11)
    np.save(tmp_path / "noisy.npy", noisy)
    jobs["noisy4"] = (tmp_path / "noisy.npy", {"num_clusters": 30})
    jobs["noisy8"] = (tmp_path / "noisy.npy", {"num_clusters": 30, "connectivity": 8,
                                               "fixed_init": True, "min_segment_size": 20})
    rgb, nodata = read_raster(scene("RGB.byte.tif"))
    np.save(tmp_path / "rgb.npy", rgb)
    jobs["rgb"] = (tmp_path / "rgb.npy", {"nodata": nodata, "sample_fraction": 0.1})
    one = run_child(jobs, tmp_path, 1)
    two = run_child(jobs, tmp_path, 2)
    for name in jobs:
        assert one[name][0] == two[name][0], f"{name}: labels differ between 1 and 2 threads"
        assert one[name][1] == two[name][1], f"{name}: centres differ between 1 and 2 threads"
    # and the same as in this process
    res = shepcore.segment(noisy, num_clusters=30)
    np.testing.assert_array_equal(np.load(tmp_path / "noisy4.t1.labels.npy"), res.labels)


@pytest.mark.parametrize("connectivity", [4, 8])
def test_repeated_runs_are_identical(connectivity):
    image, _ = voronoi_scene(200, 200, bands=3, grid=(5, 5), noise=700, seed=8)
    runs = [shepcore.segment(image, num_clusters=20, connectivity=connectivity)
            for _ in range(3)]
    for res in runs[1:]:
        np.testing.assert_array_equal(res.labels, runs[0].labels)
        np.testing.assert_array_equal(res.model.centres, runs[0].model.centres)
