"""In-memory Shepherd segmentation of one image (all stages)."""

import time
from dataclasses import dataclass, field

import numpy as np

from . import _validate as v
from ._kernels.clump import clump
from ._kernels.eliminate import (
    eliminate_single_pixels,
    eliminate_small_segments,
    small_segment_reasons,
)
from ._kernels.nearest import assign_image, centre_index, half_gap2
from ._kernels.relabel import (
    count_pixels,
    relabel_sequential,
    relabel_sequential_ids,
    spectral_sums,
)
from .model import NoValidPixelsError, SpectralModel, _spectral_limit, check_model, fit_model
from .nulls import nodata_in
from .survivors import count_reasons

#: Bound on repeated passes for one segment size (algorithm.md, stage 4).
MAX_PASSES_PER_SIZE = 1000



@dataclass
class SegmentationResult:
    """What :func:`segment` returns.

    Attributes
    ----------
    labels : (R, C) ndarray of uint32
        Segment IDs 1..N with no gaps, 0 at null pixels.
    model : SpectralModel
        The model used (fitted here unless one was given).
    max_spectral_diff : float
        The merge limit used, in band units (``inf`` = none).
    num_segments : int
        N.
    single_pixels_eliminated : int
        One-pixel segments merged in the single-pixel stage.
    small_segments_eliminated : int
        Segments merged in the iterative small-segment stage.
    timings : dict of str to float
        Wall seconds per stage: fit, assign, clump, single_pixels,
        small_segments, relabel.
    small_reason : (N + 1,) ndarray of uint8
        Why a segment below ``min_segment_size`` survived (0 for the
        others): 1 no non-null neighbour, 2 no strictly larger neighbour,
        3 the nearest larger one beyond ``max_spectral_diff``; names in
        :data:`shepcore.survivors.SURVIVOR_REASONS`.
    """

    labels: np.ndarray
    model: SpectralModel
    max_spectral_diff: float
    num_segments: int
    single_pixels_eliminated: int
    small_segments_eliminated: int
    timings: dict = field(default_factory=dict)
    small_reason: np.ndarray = None

    def segments_below_min_size(self):
        """{reason name: number of segments} for the segments left below
        min_segment_size (see ``small_reason``)."""
        return count_reasons(self.small_reason)


def segment(
    image,
    *,
    num_clusters=60,
    min_segment_size=50,
    max_spectral_diff="auto",
    spectral_diff_percentile=None,
    connectivity=4,
    nodata=None,
    sample_fraction=0.01,
    fixed_init=False,
    seed=0,
    model=None,
):
    """Segment an image with the Shepherd et al. (2019) algorithm.

    Parameters
    ----------
    image : (B, R, C) or (R, C) ndarray
        Any integer or float dtype; 2-D means one band. Not modified.
    num_clusters : int
        K of the k-means seeding (>= 2); ignored when ``model`` is given.
    min_segment_size : int
        Segments below this many pixels are merged away where a neighbour
        allows (>= 1; 1 disables the small-segment stage).
    max_spectral_diff : 'auto', float or None
        Merge limit between mean spectra, band units. 'auto' is the
        ``spectral_diff_percentile`` percentile of the centre-to-centre
        distances (with ``model`` and no percentile given: the model's own
        limit); None means no limit.
    spectral_diff_percentile : float or None
        0..100, used by 'auto'. None: 50 when the model is fitted here, the
        model's own limit when ``model`` is given. A number with ``model``
        recomputes the limit from the model's centres; with ``model`` and a
        numeric or None ``max_spectral_diff`` it is an error.
    connectivity : {4, 8}
        Pixel neighbourhood for clumping and merging.
    nodata : float or None
        Null value: a pixel is null when any band equals it. NaN and +-inf
        are always null. Defaults to the model's nodata when a model is given.
    sample_fraction : float
        (0, 1], share of pixels sampled to fit k-means.
    fixed_init : bool
        Diagonal initial centres instead of k-means++.
    seed : int
        k-means++ seed.
    model : SpectralModel or None
        Use these centres instead of fitting (e.g. one model per mosaic).

    Returns
    -------
    SegmentationResult

    Raises
    ------
    TypeError
        Non-numeric image dtype or parameter of the wrong type.
    ValueError
        Wrong ndim, all-null image, parameter out of range, a model whose
        band count differs from the image's, or ``spectral_diff_percentile``
        given with ``model`` but without ``max_spectral_diff='auto'``.

    Notes
    -----
    Stages (Shepherd et al. 2019, section 2; docs/algorithm.md): k-means
    seeding, nearest-centre assignment, clumping, single-pixel elimination
    (2.3), iterative small-segment elimination (2.4), sequential relabel.
    The labels do not depend on the numba thread count.

    References
    ----------
    Shepherd, J., Bunting, P. and Dymond, J. (2019). Operational Large-Scale
    Segmentation of Imagery Based on Iterative Elimination. Remote Sensing
    11(6), 658.

    Examples
    --------
    >>> import numpy as np, shepcore
    >>> img = np.zeros((1, 4, 6), np.uint8); img[0, :, 3:] = 200
    >>> res = shepcore.segment(img, num_clusters=2, min_segment_size=2)
    >>> res.labels
    array([[1, 1, 1, 2, 2, 2],
           [1, 1, 1, 2, 2, 2],
           [1, 1, 1, 2, 2, 2],
           [1, 1, 1, 2, 2, 2]], dtype=uint32)
    """
    img = v.as_band_stack(image)
    min_segment_size = v.check_int("min_segment_size", min_segment_size, 1)
    connectivity = v.check_connectivity(connectivity)
    nodata = v.check_nodata(nodata)
    max_spectral_diff = v.check_max_spectral_diff(max_spectral_diff)
    timings = {}
    t0 = time.perf_counter()
    if model is None:
        model = _fit_for_image(
            img,
            num_clusters=num_clusters,
            nodata=nodata,
            max_spectral_diff=max_spectral_diff,
            spectral_diff_percentile=spectral_diff_percentile,
            fixed_init=fixed_init,
            seed=seed,
            sample_fraction=sample_fraction,
        )
        limit = model.max_spectral_diff
    else:
        check_model(model, img.shape[0])
        if nodata is None:
            nodata = model.nodata
        limit = _limit_with_model(model, max_spectral_diff, spectral_diff_percentile)
    timings["fit"] = time.perf_counter() - t0
    return _segment_with_model(
        img, model, nodata, limit, min_segment_size, connectivity == 8, timings
    )


def _fit_for_image(img, *, nodata, **kwargs):
    """fit_model on the image, naming the image in the all-null error."""
    try:
        return fit_model(img, nodata=nodata, **kwargs)
    except NoValidPixelsError:
        raise ValueError(f"image has no non-null pixels (nodata={nodata})") from None


def _limit_with_model(model, setting, percentile):
    """The merge limit when a model is given.

    'auto' is the model's own limit, or with a ``percentile`` that
    percentile of the model's centre-to-centre distances; a number or None
    is used as it is, and then a percentile is refused (it would be
    ignored).
    """
    if percentile is not None:
        percentile = v.check_number("spectral_diff_percentile", percentile, 0, 100)
        if setting != "auto":
            raise ValueError(
                f"spectral_diff_percentile ({percentile:g}) only applies to "
                f"max_spectral_diff='auto', got max_spectral_diff={setting!r}"
            )
        if model.num_clusters < 2:
            raise ValueError(
                "spectral_diff_percentile: the model has one centre, so no "
                "centre-to-centre distances to take a percentile of"
            )
        return _spectral_limit(model.centres, "auto", percentile)
    if setting == "auto":
        return model.max_spectral_diff
    return np.inf if setting is None else float(setting)


def _segment_with_model(img, model, nodata, limit, min_size, eight, timings):
    """Stages 1b-6 on a validated (B, R, C) array."""
    t = time.perf_counter()
    clusters = np.empty(img.shape[1:], np.uint16)
    centres = np.ascontiguousarray(model.centres, np.float64)
    assign_image(
        img,
        centres,
        half_gap2(centres),
        *centre_index(centres),
        nodata is not None,
        np.nan if nodata is None else nodata_in(img.dtype, nodata),
        clusters,
    )
    if not clusters.any():
        raise ValueError(f"image has no non-null pixels (nodata={nodata})")
    t = _lap(timings, "assign", t)

    labels = np.empty(img.shape[1:], np.uint32)
    nclumps = clump(clusters, eight, labels)
    del clusters
    sizes = count_pixels(labels, nclumps)
    t = _lap(timings, "clump", t)

    singles = eliminate_single_pixels(img, labels, sizes, eight)
    nlabels = relabel_sequential(labels, nclumps)
    t = _lap(timings, "single_pixels", t)

    merged = 0
    reasons = np.zeros(nlabels + 1, np.uint8)
    if min_size > 1:
        sizes = count_pixels(labels, nlabels)
        sums = spectral_sums(img, labels, nlabels)
        max_diff2 = np.inf if np.isinf(limit) else float(limit) ** 2
        merged = eliminate_small_segments(
            labels, sizes, sums, min_size, max_diff2, eight, MAX_PASSES_PER_SIZE
        )
        reasons = small_segment_reasons(labels, sizes, sums, min_size, max_diff2, eight)
        del sums
    t = _lap(timings, "small_segments", t)

    nsegments, new_id = relabel_sequential_ids(labels, nlabels)
    small_reason = np.zeros(nsegments + 1, np.uint8)
    small_reason[new_id] = reasons  # labels gone map to 0, whose reason is 0
    small_reason[0] = 0
    _lap(timings, "relabel", t)
    return SegmentationResult(
        labels=labels,
        model=model,
        max_spectral_diff=float(limit),
        num_segments=int(nsegments),
        single_pixels_eliminated=int(singles),
        small_segments_eliminated=int(merged),
        timings=timings,
        small_reason=small_reason,
    )


def _lap(timings, stage, start):
    now = time.perf_counter()
    timings[stage] = now - start
    return now
