"""The spectral model: k-means centres fitted once, applied to any image or
tile (Shepherd et al. 2019, section 2.1)."""

import json
import warnings
from dataclasses import dataclass, field

import numpy as np

from . import _validate as v
from ._files import write_text_atomic
from ._kernels.nearest import centre_index, half_gap2, lloyd_step

MODEL_FORMAT = "shepcore-spectral-model/1"

#: Most clusters a model may have: cluster numbers are uint16, 0 = null.
MAX_CLUSTERS = 65535
#: Below this many samples per centre, an image is sampled more densely.
MIN_SAMPLES_PER_CLUSTER = 20
#: k-means++ initialisation looks at about this many samples per centre.
KMEANSPP_SAMPLES_PER_CLUSTER = 500


class NoValidPixelsError(ValueError):
    """There is no non-null pixel to fit a model on."""


@dataclass(frozen=True)
class SpectralModel:
    """K-means centres plus the settings needed to segment with them.

    Attributes
    ----------
    centres : (K, B) ndarray of float64
        Cluster centres in band units.
    nodata : float or None
        Null value; a pixel is null when any band equals it.
    max_spectral_diff : float
        Largest mean-spectrum distance (band units) at which a small segment
        may merge; ``inf`` means no limit.
    info : dict
        How the model was fitted (parameters, sample size, iterations).
    """

    centres: np.ndarray
    nodata: float | None
    max_spectral_diff: float
    info: dict = field(default_factory=dict)

    @property
    def num_bands(self):
        """Number of bands B the model expects."""
        return self.centres.shape[1]

    @property
    def num_clusters(self):
        """Number of centres K."""
        return self.centres.shape[0]

    def save(self, path):
        """Write the model as JSON to ``path`` (atomically: temp file, rename).

        Floats are written with ``repr`` precision, so :meth:`load` gives back
        bit-identical centres.
        """
        doc = {
            "format": MODEL_FORMAT,
            "centres": self.centres.tolist(),
            "nodata": self.nodata,
            "max_spectral_diff": _float_to_json(self.max_spectral_diff),
            "info": self.info,
        }
        write_text_atomic(path, json.dumps(doc, indent=1))

    @classmethod
    def load(cls, path):
        """Read a model written by :meth:`save`."""
        try:
            with open(path) as f:
                doc = json.load(f)
        except (OSError, ValueError) as err:
            raise ValueError(f"{path}: cannot read spectral model ({err})") from None
        if not isinstance(doc, dict) or doc.get("format") != MODEL_FORMAT:
            raise ValueError(f"{path}: not a shepcore spectral model file")
        centres = np.asarray(doc["centres"], dtype=np.float64)
        return cls(
            centres=centres,
            nodata=doc["nodata"],
            max_spectral_diff=_float_from_json(doc["max_spectral_diff"]),
            info=doc.get("info", {}),
        )


def _float_to_json(x):
    return "inf" if np.isinf(x) else float(x)


def _float_from_json(x):
    return np.inf if x == "inf" else float(x)


def fit_model(
    samples_or_image,
    *,
    num_clusters=60,
    nodata=None,
    max_spectral_diff="auto",
    spectral_diff_percentile=50,
    fixed_init=False,
    seed=0,
    sample_fraction=0.01,
    n_init=3,
    max_iter=300,
    tol=1e-4,
):
    """Fit k-means centres to an image or to pixel samples.

    Parameters
    ----------
    samples_or_image : (B, R, C) ndarray or (N, B) ndarray
        A 3-D array is an image, subsampled on a regular grid to about
        ``sample_fraction`` of its pixels; a 2-D array is N pixel samples of
        B bands, used as they are. Any integer or float dtype. Null samples
        (any band equal to ``nodata``, or not finite) are dropped.
    num_clusters : int
        K, at least 2 and at most the number of non-null samples.
    nodata : float or None
        Null value, stored in the model.
    max_spectral_diff : 'auto', float or None
        Merge limit in band units; 'auto' takes the
        ``spectral_diff_percentile`` percentile of the distances between all
        pairs of centres; None means no limit.
    spectral_diff_percentile : float
        0..100, used when ``max_spectral_diff`` is 'auto'.
    fixed_init : bool
        Start from K centres spread evenly along the diagonal of the samples'
        bounding box (one run) instead of k-means++ with ``n_init`` runs.
    seed : int
        Seed of the k-means++ initialisation.
    sample_fraction : float
        (0, 1], fraction of an image's pixels to sample.
    n_init, max_iter, tol : int, int, float
        k-means++ restarts (the lowest inertia wins), Lloyd iterations per
        run, and convergence threshold on the summed squared centre shift
        relative to the mean band variance (as in scikit-learn).

    Returns
    -------
    SpectralModel

    Raises
    ------
    ValueError, TypeError
        For a parameter out of range, no non-null samples, or fewer
        non-null samples than ``num_clusters``.

    Notes
    -----
    Initial centres come from :func:`sklearn.cluster.kmeans_plusplus`
    (seeded); the Lloyd iterations run in numba with a chunked, ordered
    reduction, so centres are identical for any thread count.
    """
    num_clusters = v.check_int("num_clusters", num_clusters, 2, MAX_CLUSTERS)
    nodata = v.check_nodata(nodata)
    max_spectral_diff = v.check_max_spectral_diff(max_spectral_diff)
    spectral_diff_percentile = v.check_number(
        "spectral_diff_percentile", spectral_diff_percentile, 0, 100
    )
    sample_fraction = v.check_number(
        "sample_fraction", sample_fraction, 0.0, 1.0, open_low=True
    )
    seed = v.check_int("seed", seed, 0)
    n_init = v.check_int("n_init", n_init, 1)
    samples = _valid_samples(samples_or_image, nodata, sample_fraction, num_clusters)
    if samples.shape[0] < num_clusters:
        raise ValueError(
            f"num_clusters ({num_clusters}) exceeds the number of non-null "
            f"pixels sampled ({samples.shape[0]})"
        )
    if fixed_init:
        inits = [_diagonal_centres(samples, num_clusters)]
    else:
        # Slow imports (about 1 s): only when k-means++ is asked for.
        from sklearn.cluster import kmeans_plusplus
        from threadpoolctl import threadpool_limits

        rng = np.random.RandomState(seed)
        # k-means++ costs O(N K log K); seeding from a regular thinning of
        # the samples is as good a start and several times cheaper.
        step = max(1, samples.shape[0] // (KMEANSPP_SAMPLES_PER_CLUSTER * num_clusters))
        seeds_from = samples[::step]
        with threadpool_limits(1):  # BLAS thread count must not change centres
            inits = [
                kmeans_plusplus(seeds_from, num_clusters, random_state=rng)[0]
                for _ in range(n_init)
            ]
    tol_abs = tol * float(np.mean(np.var(samples, axis=0)))
    best = None
    for init in inits:
        run = _lloyd(samples, np.ascontiguousarray(init, np.float64), max_iter, tol_abs)
        if best is None or run[2] < best[2]:
            best = run
    centres, n_iter, inertia = best
    limit = _spectral_limit(centres, max_spectral_diff, spectral_diff_percentile)
    info = {
        "num_clusters": num_clusters,
        "fixed_init": bool(fixed_init),
        "seed": seed,
        "n_init": len(inits),
        "n_iter": n_iter,
        "inertia": inertia,
        "num_samples": int(samples.shape[0]),
        "max_spectral_diff_setting": max_spectral_diff,
        "spectral_diff_percentile": spectral_diff_percentile,
    }
    return SpectralModel(centres=centres, nodata=nodata, max_spectral_diff=limit, info=info)


def _valid_samples(data, nodata, sample_fraction, num_clusters):
    """Non-null samples (N, B) float64 from an image or a sample array."""
    arr = np.asarray(data)
    if arr.ndim == 3:
        image = v.as_band_stack(arr, "samples_or_image")
        step = max(1, int(round(1.0 / np.sqrt(sample_fraction))))
        while True:
            samples = image[:, ::step, ::step].reshape(image.shape[0], -1).T
            samples = _drop_null(samples, nodata)
            # Small or mostly null images: densify the grid until k-means
            # has enough samples (MIN_SAMPLES_PER_CLUSTER per centre).
            if step == 1 or samples.shape[0] >= MIN_SAMPLES_PER_CLUSTER * num_clusters:
                break
            step //= 2
    elif arr.ndim == 2:
        if arr.dtype.kind not in "uif":
            raise TypeError(
                f"samples_or_image: dtype {arr.dtype} is not supported; expected "
                "an integer or floating-point array"
            )
        samples = _drop_null(arr, nodata)
    else:
        raise ValueError(
            "samples_or_image: expected an image (bands, rows, cols) or samples "
            f"(n, bands), got shape {arr.shape}"
        )
    if samples.shape[0] == 0:
        raise NoValidPixelsError("samples_or_image: no non-null pixels to fit the model on")
    return np.ascontiguousarray(samples, dtype=np.float64)


def _drop_null(samples, nodata):
    """Rows of (N, B) with every band finite and none equal to ``nodata``."""
    x = samples.astype(np.float64, copy=False)
    ok = np.isfinite(x).all(axis=1)
    if nodata is not None:
        ok &= ~(x == nodata).any(axis=1)
    return x[ok]


def _diagonal_centres(samples, k):
    """K centres evenly spaced along the diagonal of the samples' bounding box."""
    lo = samples.min(axis=0)
    hi = samples.max(axis=0)
    frac = (np.arange(k) + 0.5) / k
    return lo + frac[:, None] * (hi - lo)


def _lloyd(samples, centres, max_iter, tol_abs):
    """Lloyd iterations from ``centres``; returns (centres, iterations, inertia).

    A centre that loses all its samples stays where it was.
    """
    labels = np.full(samples.shape[0], -1, np.int32)
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        sums, counts, changed, _ = _lloyd_step(samples, centres, labels)
        new = centres.copy()
        filled = counts > 0
        new[filled] = sums[filled] / counts[filled, None]
        shift = float(((new - centres) ** 2).sum())
        centres = new
        if changed == 0 or shift <= tol_abs:
            break
    # Inertia of the final centres, for choosing between restarts.
    _, _, _, inertia = _lloyd_step(samples, centres, labels)
    return centres, n_iter, float(inertia)


def _lloyd_step(samples, centres, labels):
    """One Lloyd iteration with the search structures of ``centres``."""
    return lloyd_step(samples, centres, half_gap2(centres), *centre_index(centres), labels)


def _spectral_limit(centres, setting, percentile):
    """maxSpectralDiff in band units from the setting ('auto', None, number)."""
    if setting is None:
        return np.inf
    if setting != "auto":
        return float(setting)
    diff = centres[:, None, :] - centres[None, :, :]
    dist = np.sqrt((diff**2).sum(axis=2))
    pairs = dist[np.triu_indices(centres.shape[0], k=1)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(np.percentile(pairs, percentile))


def check_model(model, bands):
    """A SpectralModel usable on an image with ``bands`` bands."""
    if not isinstance(model, SpectralModel):
        raise TypeError(f"model must be a SpectralModel, got {type(model).__name__}")
    centres = np.asarray(model.centres)
    if centres.ndim != 2 or not 1 <= centres.shape[0] <= MAX_CLUSTERS:
        raise ValueError(f"model: centres must be (K, B) with 1 <= K <= {MAX_CLUSTERS}, "
                         f"got shape {centres.shape}")
    if not np.isfinite(centres).all():
        raise ValueError("model: centres contain NaN or infinite values")
    if centres.shape[1] != bands:
        raise ValueError(f"model has {centres.shape[1]} bands but image has {bands}")
    return model
