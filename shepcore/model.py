"""The spectral model: k-means centres fitted once, applied to any image or
tile (Shepherd et al. 2019, section 2.1)."""

import json
import warnings
from dataclasses import dataclass, field

import numpy as np

from . import _validate as v
from . import kmeans
from ._files import write_text_atomic
from .nulls import valid_samples

MODEL_FORMAT = "shepcore-spectral-model/1"

#: Most clusters a model may have: cluster numbers are uint16, 0 = null.
MAX_CLUSTERS = 65535
#: Below this many samples per centre, an image is sampled more densely.
MIN_SAMPLES_PER_CLUSTER = 20


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
    spectral_diff_percentile : float or None
        0..100, used when ``max_spectral_diff`` is 'auto'; None means 50.
    fixed_init : bool
        One k-means run from K centres spread evenly along the diagonal of
        the samples' bounding box: no randomness, no restarts, the same
        centres for any ``seed``. Otherwise k-means++ with ``n_init``
        restarts, which usually reaches a lower inertia.
    seed : int
        Seed of the k-means++ initialisation (``numpy.random.default_rng``).
    sample_fraction : float
        (0, 1], fraction of an image's pixels to sample.
    n_init, max_iter, tol : int, int, float
        k-means++ restarts (the lowest inertia wins), Lloyd iterations per
        run (per stage, see Notes), and convergence threshold on the summed
        squared centre shift relative to the mean band variance (as in
        scikit-learn).

    Returns
    -------
    SpectralModel
        ``info`` records the fit: ``n_iter`` and ``inertia`` of the chosen
        run on all samples, ``relocations`` (empty clusters moved in that
        run), ``restart_samples`` and ``restart_inertias`` (see Notes).

    Raises
    ------
    ValueError, TypeError
        For a parameter out of range, no non-null samples, or fewer
        non-null samples than ``num_clusters``.

    Notes
    -----
    Lloyd iterations (numba, :mod:`shepcore._kernels.kmeans`) assign each
    sample to its nearest centre, with Hamerly's (2010) distance bounds to
    skip most searches; the assignment equals a brute-force argmin (ties to
    the lowest centre index). A cluster left without samples is moved, as
    in scikit-learn, to the sample farthest from its assigned centre (ties:
    lowest sample index; one sample per empty cluster, taken in descending
    distance order, skipping samples at distance 0, samples whose cluster
    would be emptied and samples equal to one already taken), and that
    sample is taken out of its old cluster's mean. An iteration that moved a
    cluster never counts as converged.

    k-means++ is the greedy variant (Arthur and Vassilvitskii 2007: 2 +
    ln K candidates per centre, the one lowering the inertia most is kept),
    run on a regular thinning of the samples to about
    ``kmeans.KMEANSPP_SAMPLES_PER_CLUSTER`` per centre. With more than
    ``kmeans.RESTART_SAMPLES_PER_CLUSTER`` samples per centre, the restarts are
    compared on a regular subsample of that size: each restart's Lloyd
    iterations run there to convergence, and only the one with the lowest
    inertia on the subsample is then iterated on all samples, starting
    from its subsample centres (a refinement of the initial points on a
    subsample, after Bradley and Fayyad 1998). The restarts only choose the
    start; the result is a k-means fixed point of all samples. Sums are
    accumulated per fixed-size chunk and reduced in chunk order, so the
    centres are identical for any thread count.

    References
    ----------
    Arthur, D. and Vassilvitskii, S. (2007). k-means++: the advantages of
    careful seeding. SODA, 1027-1035.
    Bradley, P. S. and Fayyad, U. M. (1998). Refining initial points for
    k-means clustering. ICML, 91-99.
    Hamerly, G. (2010). Making k-means even faster. SDM, 130-140.

    Examples
    --------
    >>> import numpy as np
    >>> from shepcore import fit_model
    >>> samples = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> fit_model(samples, num_clusters=2, fixed_init=True).centres
    array([[ 0.5],
           [10.5]])
    """
    num_clusters = v.check_int("num_clusters", num_clusters, 2, MAX_CLUSTERS)
    nodata = v.check_nodata(nodata)
    max_spectral_diff = v.check_max_spectral_diff(max_spectral_diff)
    if spectral_diff_percentile is None:
        spectral_diff_percentile = 50
    spectral_diff_percentile = v.check_number(
        "spectral_diff_percentile", spectral_diff_percentile, 0, 100
    )
    sample_fraction = v.check_number(
        "sample_fraction", sample_fraction, 0.0, 1.0, open_low=True
    )
    seed = v.check_int("seed", seed, 0)
    n_init = v.check_int("n_init", n_init, 1)
    max_iter = v.check_int("max_iter", max_iter, 1)
    tol = v.check_number("tol", tol, 0.0, np.inf)
    samples = _valid_samples(samples_or_image, nodata, sample_fraction, num_clusters)
    if samples.shape[0] < num_clusters:
        raise ValueError(
            f"num_clusters ({num_clusters}) exceeds the number of non-null "
            f"pixels sampled ({samples.shape[0]})"
        )
    tol_abs = tol * float(np.mean(np.var(samples, axis=0)))
    if fixed_init:
        best = kmeans.lloyd(samples, kmeans.diagonal_centres(samples, num_clusters), max_iter,
                            tol_abs)
        restarts = [best]
        restart_samples = samples.shape[0]
    else:
        best, restarts, restart_samples = kmeans.kmeanspp_restarts(
            samples, num_clusters, n_init, seed, max_iter, tol_abs
        )
    limit = _spectral_limit(best.centres, max_spectral_diff, spectral_diff_percentile)
    info = {
        "num_clusters": num_clusters,
        "fixed_init": bool(fixed_init),
        "seed": seed,
        "n_init": len(restarts),
        "n_iter": best.n_iter,
        "inertia": best.inertia,
        "relocations": best.relocations,
        "num_samples": int(samples.shape[0]),
        "restart_samples": int(restart_samples),
        "restart_inertias": [r.inertia for r in restarts],
        "max_spectral_diff_setting": max_spectral_diff,
        "spectral_diff_percentile": spectral_diff_percentile,
    }
    return SpectralModel(
        centres=best.centres, nodata=nodata, max_spectral_diff=limit, info=info
    )


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
    """Rows of (N, B) that are not null (shepcore.nulls), as float64."""
    return samples[valid_samples(samples, nodata)].astype(np.float64, copy=False)


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
