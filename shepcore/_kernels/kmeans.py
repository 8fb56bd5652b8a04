"""K-means kernels: greedy k-means++ seeding and one bounded Lloyd pass.

The Lloyd pass keeps, per sample, its label and a lower bound on the
distance to every other centre (Hamerly 2010). When the centres move, the
bound drops by the largest shift of any other centre. A sample keeps its
label without a search when its distance to its own centre is below the
bound or below half the gap from its centre to the nearest other centre
(triangle inequality); otherwise the exact nearest and second-nearest
centres are found by the pruned search of :mod:`.nearest`. Every bound is
rounded down and the comparison is strict with a relative slack, so a
skipped sample is always one the brute-force argmin (ties to the lowest
centre index) would give the same label.

References
----------
Hamerly, G. (2010). Making k-means even faster. SIAM International
Conference on Data Mining, 130-140.
Arthur, D. and Vassilvitskii, S. (2007). k-means++: the advantages of
careful seeding. ACM-SIAM Symposium on Discrete Algorithms, 1027-1035.
"""

import numpy as np
from numba import njit, prange

from .._config import CHUNK, JIT, JIT_PARALLEL

# Relative slack on the pruning bound of the search (as in .nearest).
_SLACK = 1.0 + 1e-9
# A sample keeps its label only when its squared distance is below the
# squared bound times this: rounding can never make a skip wrong, and exact
# ties always go to the search (which gives them to the lowest index).
_KEEP = 1.0 - 1e-9


@njit(**JIT_PARALLEL)
def lloyd_pass(samples, centres, gap, drift, axis, proj, sorted_centres, order,
               labels, lower):
    """Assign every sample to its nearest centre; per-centre sums and counts.

    samples : (N, B) float64. centres : (K, B) float64, original order.
    gap : (K,) half the distance from each centre to its nearest other
    centre, rounded down. drift : (K,) for each centre, the largest shift
    (rounded up) of any other centre since the previous pass. (axis, proj,
    sorted_centres, order) from :func:`.nearest.centre_index`. labels : (N,)
    int32, -1 = none yet, and lower : (N,) float64, lower bounds on the
    distance from each sample to every centre but its own; both updated in
    place.

    Returns (sums (K, B), counts (K,) int64, labels changed, full searches,
    inertia = sum of squared distances to the assigned centres). Each chunk
    of CHUNK samples accumulates into its own row; rows are added in chunk
    order, so the result does not depend on the thread count.
    """
    n, nb = samples.shape
    k = centres.shape[0]
    nchunks = (n + CHUNK - 1) // CHUNK
    # np.empty and explicit loops only: parfors turns array expressions
    # (np.zeros, +=) into parallel regions of their own, and each region
    # costs a thread wake-up (measured: 5 to 10 ms per pass here).
    part_sums = np.empty((nchunks, k, nb))
    part_counts = np.empty((nchunks, k), np.int64)
    part_stats = np.empty((nchunks, 3))
    for ci in prange(nchunks):
        _lloyd_chunk(samples, ci * CHUNK, min(n, (ci + 1) * CHUNK), centres, gap, drift,
                     axis, proj, sorted_centres, order, labels, lower, part_sums[ci],
                     part_counts[ci], part_stats[ci])
    sums = np.empty((k, nb))
    counts = np.empty(k, np.int64)
    for j in range(k):
        counts[j] = 0
        for b in range(nb):
            sums[j, b] = 0.0
    changed = 0
    searches = 0
    inertia = 0.0
    for ci in range(nchunks):
        for j in range(k):
            counts[j] += part_counts[ci, j]
            for b in range(nb):
                sums[j, b] += part_sums[ci, j, b]
        changed += int(part_stats[ci, 0])
        searches += int(part_stats[ci, 1])
        inertia += part_stats[ci, 2]
    return sums, counts, changed, searches, inertia


@njit(**JIT)
def _lloyd_chunk(samples, start, stop, centres, gap, drift, axis, proj, sorted_centres,
                 order, labels, lower, sums, counts, stats):
    """:func:`lloyd_pass` on samples[start:stop]: writes its sums (K, B),
    counts (K,) and (changed, searches, inertia) into stats (3,).

    Distances and the nearest-centre search are written out here rather
    than called per sample: numba does not inline a cached callee (measured:
    a third slower), and a callee taking arrays may update their reference
    counts, atomic operations on memory that all threads share. The search
    is that of :func:`.nearest.nearest`, continued until the second-nearest
    centre is known too.
    """
    nb = samples.shape[1]
    k = proj.size
    # Local accumulators: LLVM knows they alias nothing, so it need not
    # reload the inputs after every store into them.
    c_sums = np.zeros((k, nb))
    c_counts = np.zeros(k, np.int64)
    changed = 0
    searches = 0
    inertia = 0.0
    for i in range(start, stop):
        j = labels[i]
        d2 = 0.0
        search = True
        if j >= 0:
            for b in range(nb):
                diff = samples[i, b] - centres[j, b]
                d2 += diff * diff
            low = lower[i] - drift[j]
            low -= abs(low) * 1e-15  # round the bound down
            lower[i] = low
            bound = max(gap[j], low)
            search = not d2 < bound * bound * _KEEP
        if search:
            searches += 1
            p = 0.0
            for b in range(nb):
                p += samples[i, b] * axis[b]
            lo = 0
            hi = k
            while lo < hi:  # first sorted centre whose projection is >= p
                mid = (lo + hi) >> 1
                if proj[mid] < p:
                    lo = mid + 1
                else:
                    hi = mid
            best = -1
            d2 = np.inf
            second = np.inf
            for direction in (1, -1):
                c = lo if direction == 1 else lo - 1
                while 0 <= c < k:
                    g = proj[c] - p if direction == 1 else p - proj[c]
                    # Beyond this gap no centre can be nearer than the
                    # second best: stop.
                    if g > 0 and g * g > second * _SLACK:
                        break
                    dc = 0.0
                    for b in range(nb):
                        diff = samples[i, b] - sorted_centres[c, b]
                        dc += diff * diff
                    if dc < d2 or (dc == d2 and order[c] < best):
                        second = d2
                        d2 = dc
                        best = order[c]
                    elif dc < second:
                        second = dc
                    c += direction
            lower[i] = np.sqrt(second) * (1.0 - 1e-12)
            if best != j:
                changed += 1
                labels[i] = best
            j = best
        c_counts[j] += 1
        for b in range(nb):
            c_sums[j, b] += samples[i, b]
        inertia += d2
    sums[:] = c_sums
    counts[:] = c_counts
    stats[0] = changed
    stats[1] = searches
    stats[2] = inertia


@njit(**JIT)
def kmeanspp(samples, uniforms, n_trials, out):
    """Greedy k-means++ seeding (Arthur and Vassilvitskii 2007, section 5).

    samples : (N, B) float64; out : (K, B) float64, filled with centres that
    are rows of ``samples``; uniforms : (1 + (K - 1) * n_trials,) float64 in
    [0, 1), the only source of randomness. The first centre is a sample
    drawn uniformly; every further centre is, of ``n_trials`` candidates
    drawn with probability proportional to the squared distance to the
    nearest centre chosen so far, the one that lowers the summed squared
    distance most (the first such candidate on ties). Serial, so the result
    depends on nothing but the inputs.
    """
    n, nb = samples.shape
    k = out.shape[0]
    first = min(int(uniforms[0] * n), n - 1)
    out[0] = samples[first]
    closest = np.empty(n)
    for i in range(n):
        d2 = 0.0
        for b in range(nb):
            diff = samples[i, b] - out[0, b]
            d2 += diff * diff
        closest[i] = d2
    cum = np.empty(n)
    best = np.empty(n)  # closest distances if the best candidate so far is added
    scratch = np.empty(n)
    pos = 1
    for c in range(1, k):
        total = 0.0
        for i in range(n):
            total += closest[i]
            cum[i] = total
        best_pot = np.inf
        best_cand = 0
        for _ in range(n_trials):
            cand = _weighted_pick(cum, closest, uniforms[pos])
            pos += 1
            pot = 0.0
            for i in range(n):
                d2 = 0.0
                for b in range(nb):
                    diff = samples[i, b] - samples[cand, b]
                    d2 += diff * diff
                d2 = min(d2, closest[i])
                scratch[i] = d2
                pot += d2
            if pot < best_pot:
                best_pot = pot
                best_cand = cand
                best, scratch = scratch, best
        out[c] = samples[best_cand]
        closest, best = best, closest


@njit(**JIT)
def _weighted_pick(cum, weight, u):
    """Index i with probability weight[i] / total, given the running sums
    ``cum`` of ``weight`` and u in [0, 1): the first i with cum[i] > u *
    total. A zero weight is never picked unless all weights are zero (then
    u picks uniformly)."""
    n = cum.size
    total = cum[n - 1]
    if not total > 0.0:
        return min(int(u * n), n - 1)
    r = u * total
    lo = 0
    hi = n
    while lo < hi:  # first index with cum > r
        mid = (lo + hi) // 2
        if cum[mid] > r:
            hi = mid
        else:
            lo = mid + 1
    i = min(lo, n - 1)
    while i > 0 and weight[i] == 0.0:  # only when rounding gave r == total
        i -= 1
    return i
