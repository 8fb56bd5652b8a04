"""k-means for the spectral model: k-means++ starts with restarts, diagonal
starts, and Lloyd iterations that relocate empty clusters (docs/algorithm.md,
stage 1). numpy drives the numba kernels of :mod:`._kernels.kmeans`;
every result is the same for any thread count."""

from typing import NamedTuple

import numpy as np

from ._kernels.kmeans import kmeanspp as _kmeanspp_kernel
from ._kernels.kmeans import lloyd_pass
from ._kernels.nearest import centre_index, half_gap2

#: k-means++ initialisation looks at about this many samples per centre.
KMEANSPP_SAMPLES_PER_CLUSTER = 500
#: k-means++ restarts are compared on a regular subsample of about this many
#: samples per centre; only the best is then iterated on all samples.
RESTART_SAMPLES_PER_CLUSTER = 1000


def kmeanspp_restarts(samples, k, n_init, seed, max_iter, tol_abs):
    """n_init k-means++ restarts compared on a subsample, the best finished
    on all samples (see fit_model's Notes).

    Returns (chosen run on all samples, restart runs, restart sample count).
    """
    rng = np.random.default_rng(seed)
    n = samples.shape[0]
    seeds_from = np.ascontiguousarray(
        samples[:: max(1, n // (KMEANSPP_SAMPLES_PER_CLUSTER * k))]
    )
    sub_step = max(1, n // (RESTART_SAMPLES_PER_CLUSTER * k))
    sub = np.ascontiguousarray(samples[::sub_step]) if sub_step > 1 else samples
    restarts = []
    for _ in range(n_init):
        init = kmeans_plusplus(seeds_from, k, rng)
        restarts.append(lloyd(sub, init, max_iter, tol_abs))
    chosen = min(restarts, key=lambda run: run.inertia)  # first of equals
    if sub_step == 1:
        return chosen, restarts, n
    final = lloyd(samples, chosen.centres, max_iter, tol_abs)
    final = final._replace(relocations=chosen.relocations + final.relocations)
    return final, restarts, sub.shape[0]


def kmeans_plusplus(samples, k, rng):
    """Greedy k-means++ centres (k, B) float64 from ``samples`` (N, B)
    float64, drawing its random numbers from ``rng`` (numpy Generator)."""
    n_trials = 2 + int(np.log(k))
    uniforms = rng.random(1 + (k - 1) * n_trials)
    out = np.empty((k, samples.shape[1]))
    _kmeanspp_kernel(samples, uniforms, n_trials, out)
    return out


def diagonal_centres(samples, k):
    """K centres evenly spaced along the diagonal of the samples' bounding box."""
    lo = samples.min(axis=0)
    hi = samples.max(axis=0)
    frac = (np.arange(k) + 0.5) / k
    return np.ascontiguousarray(lo + frac[:, None] * (hi - lo))


class LloydRun(NamedTuple):
    """Outcome of one k-means run."""

    centres: np.ndarray  #: (K, B) float64
    n_iter: int  #: Lloyd iterations done
    inertia: float  #: summed squared distance of the samples to the centres
    relocations: int  #: empty clusters moved to a far sample


def lloyd(samples, centres, max_iter, tol_abs):
    """Lloyd iterations from ``centres`` (K, B) on ``samples`` (N, B).

    Every iteration assigns the samples, moves each empty cluster to a far
    sample (:func:`_relocate_empty`), and sets each centre to its samples'
    mean. Stops when no label changed or the summed squared shift is at most
    ``tol_abs``, but never after an iteration that moved a cluster.
    """
    n = samples.shape[0]
    centres = np.array(centres, np.float64, order="C")
    labels = np.full(n, -1, np.int32)
    lower = np.zeros(n)
    drift = np.zeros(centres.shape[0])
    relocations = 0
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        sums, counts, changed, _, _ = _lloyd_pass(samples, centres, drift, labels, lower)
        moved = _relocate_empty(samples, centres, labels, sums, counts)
        relocations += moved
        new = centres.copy()
        filled = counts > 0
        new[filled] = sums[filled] / counts[filled, None]
        shift2 = ((new - centres) ** 2).sum(axis=1)
        drift = _drift(shift2)
        centres = new
        if moved == 0 and (changed == 0 or float(shift2.sum()) <= tol_abs):
            break
    # Inertia of the final centres, for choosing between restarts.
    inertia = _lloyd_pass(samples, centres, drift, labels, lower)[4]
    return LloydRun(centres, n_iter, float(inertia), relocations)


def _lloyd_pass(samples, centres, drift, labels, lower):
    """One bounded assignment pass with the search structures of ``centres``."""
    gap = np.sqrt(half_gap2(centres))  # half the gap, rounded down
    return lloyd_pass(samples, centres, gap, drift, *centre_index(centres), labels, lower)


def _drift(shift2):
    """For each centre, the largest shift of any other centre (rounded up),
    from the squared shifts (K,)."""
    shift = np.sqrt(shift2) * (1.0 + 1e-12)
    top = int(np.argmax(shift))
    drift = np.full(shift.size, shift[top])
    drift[top] = np.max(np.delete(shift, top), initial=0.0)
    return drift


def _relocate_empty(samples, centres, labels, sums, counts):
    """Move every empty cluster to a sample far from its assigned centre.

    Samples are taken in descending squared distance to their assigned
    ``centres`` (ties: lowest index), one per empty cluster in cluster
    order. A sample is skipped when it lies on its centre, when taking it
    would empty its own cluster, or when an equal sample was already taken
    (two clusters on one point would leave one empty again). The sample
    leaves its old cluster (``sums``, ``counts`` updated in place) and is
    the only member of the empty one. Returns the number of clusters moved.
    """
    empty = np.flatnonzero(counts == 0)
    if empty.size == 0:
        return 0
    dist2 = _assigned_dist2(samples, centres, labels)
    taken = set()
    moved = 0
    for block in _farthest_first(dist2, empty.size):
        # Equal samples have equal labels and distances: try the first of
        # each value only (large flat regions would make this loop long).
        first = np.unique(samples[block], axis=0, return_index=True)[1]
        for i in block[np.sort(first)].tolist():
            if not dist2[i] > 0.0:
                return moved
            old = labels[i]
            x = samples[i]
            key = tuple(x.tolist())
            if counts[old] < 2 or key in taken:
                continue
            taken.add(key)
            sums[old] -= x
            counts[old] -= 1
            sums[empty[moved]] = x
            counts[empty[moved]] = 1
            moved += 1
            if moved == empty.size:
                return moved
    return moved


def _assigned_dist2(samples, centres, labels):
    """(N,) squared distance of each sample to its assigned centre, summed
    band by band in order, as the Lloyd kernel sums it."""
    diff = samples[:, 0] - centres[labels, 0]
    dist2 = diff * diff
    for b in range(1, samples.shape[1]):
        diff = samples[:, b] - centres[labels, b]
        dist2 += diff * diff
    return dist2


def _farthest_first(dist2, want):
    """Blocks of sample indices that together run through all samples in
    descending ``dist2``, ties by ascending index: first the ``2 * want``
    farthest (and all tied with the last of them), then four times as many,
    and so on."""
    n = dist2.size
    take = min(n, 2 * want)
    done = 0
    while done < n:
        if take >= n:
            idx = np.arange(n)
        else:
            threshold = np.partition(dist2, n - take)[n - take]
            idx = np.flatnonzero(dist2 >= threshold)  # a prefix of the order
        idx = idx[np.lexsort((idx, -dist2[idx]))]
        yield idx[done:]
        done = idx.size
        take = min(n, 4 * take)
