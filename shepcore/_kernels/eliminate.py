"""Single-pixel and iterative small-segment elimination (Shepherd et al.
2019, sections 2.3 and 2.4). Every pass decides all merges from the state
before the pass (in parallel, each decision a pure function of that state)
and then applies them serially in a fixed order, so results do not depend
on the thread count."""

import numpy as np
from numba import njit, prange

from .._config import CHUNK, JIT, JIT_PARALLEL

# Neighbour offsets (row, col): the 4-neighbours first, then the diagonals.
_DR = np.array([-1, 0, 0, 1, -1, -1, 1, 1])
_DC = np.array([0, -1, 1, 0, -1, 1, -1, 1])


@njit(**JIT)
def _list_single_pixels(labels, sizes):
    """Flat indices (int64) of pixels whose segment has exactly one pixel."""
    flat = labels.reshape(-1)
    count = 0
    for p in range(flat.size):
        if flat[p] != 0 and sizes[flat[p]] == 1:
            count += 1
    singles = np.empty(count, np.int64)
    i = 0
    for p in range(flat.size):
        if flat[p] != 0 and sizes[flat[p]] == 1:
            singles[i] = p
            i += 1
    return singles


@njit(**JIT_PARALLEL)
def _decide_single_pixels(image, labels, sizes, singles, nneigh, targets):
    """For each single pixel, the label of its spectrally nearest neighbour
    pixel among those in segments larger than one pixel (0 if none)."""
    nb, nrows, ncols = image.shape
    n = singles.size
    nchunks = (n + CHUNK - 1) // CHUNK
    for ci in prange(nchunks):
        for i in range(ci * CHUNK, min(n, (ci + 1) * CHUNK)):
            p = singles[i]
            r = p // ncols
            c = p % ncols
            best = np.uint32(0)
            best_d2 = np.inf
            for k in range(nneigh):
                rr = r + _DR[k]
                cc = c + _DC[k]
                if rr < 0 or rr >= nrows or cc < 0 or cc >= ncols:
                    continue
                lab = labels[rr, cc]
                if lab == 0 or sizes[lab] <= 1:
                    continue
                d2 = 0.0
                for b in range(nb):
                    diff = np.float64(image[b, r, c]) - np.float64(image[b, rr, cc])
                    d2 += diff * diff
                if d2 < best_d2:
                    best_d2 = d2
                    best = lab
            targets[i] = best


@njit(**JIT)
def eliminate_single_pixels(image, labels, sizes, eight):
    """Give every one-pixel segment to its spectrally nearest neighbour pixel's
    segment (segments > 1 pixel only); repeat passes until none merges.

    image : (B, R, C); labels : (R, C) uint32, modified in place;
    sizes : (N + 1,) int64 pixel counts, updated in place (0 for labels that
    vanish). Returns the number of pixels eliminated.
    """
    nneigh = 8 if eight else 4
    ncols = labels.shape[1]
    singles = _list_single_pixels(labels, sizes)
    targets = np.zeros(singles.size, np.uint32)
    total = 0
    while singles.size > 0:
        _decide_single_pixels(image, labels, sizes, singles, nneigh, targets)
        merged = 0
        for i in range(singles.size):
            t = targets[i]
            if t != 0:
                p = singles[i]
                r = p // ncols
                c = p % ncols
                sizes[labels[r, c]] = 0
                labels[r, c] = t
                sizes[t] += 1
                merged += 1
        if merged == 0:
            break
        total += merged
        keep = 0
        for i in range(singles.size):
            if targets[i] == 0:
                singles[keep] = singles[i]
                keep += 1
        singles = singles[:keep]
    return total


@njit(**JIT)
def _small_segment_pixels(labels, sizes, min_size):
    """Pixels of segments smaller than ``min_size``, grouped by label.

    Returns (offsets (N + 2,) int64, pixels (M,) int64) such that the
    pixels of label l are pixels[offsets[l]:offsets[l + 1]].
    """
    nlabels = sizes.size - 1
    offsets = np.zeros(nlabels + 2, np.int64)
    for lab in range(1, nlabels + 1):
        n = sizes[lab] if sizes[lab] < min_size else 0
        offsets[lab + 1] = offsets[lab] + n
    fill = offsets[:-1].copy()
    pixels = np.empty(offsets[-1], np.int64)
    flat = labels.reshape(-1)
    for p in range(flat.size):
        lab = flat[p]
        if lab != 0 and sizes[lab] < min_size:
            pixels[fill[lab]] = p
            fill[lab] += 1
    return offsets, pixels


@njit(**JIT_PARALLEL)
def _decide_merges(labels, sizes, sums, cands, offsets, pixels, member_next,
                   nneigh, max_diff2, targets):
    """For each candidate segment, the adjacent segment strictly larger than it
    with the nearest mean spectrum, or 0 if none lies within the limit."""
    nrows, ncols = labels.shape
    nb = sums.shape[1]
    n = cands.size
    nchunks = (n + CHUNK - 1) // CHUNK
    for ci in prange(nchunks):
        mean = np.empty(nb)
        for i in range(ci * CHUNK, min(n, (ci + 1) * CHUNK)):
            a = cands[i]
            size_a = sizes[a]
            for b in range(nb):
                mean[b] = sums[a, b] / size_a
            best = np.uint32(0)
            best_d2 = np.inf
            member = a
            while member != 0:
                for j in range(offsets[member], offsets[member + 1]):
                    p = pixels[j]
                    r = p // ncols
                    c = p % ncols
                    for k in range(nneigh):
                        rr = r + _DR[k]
                        cc = c + _DC[k]
                        if rr < 0 or rr >= nrows or cc < 0 or cc >= ncols:
                            continue
                        lab = labels[rr, cc]
                        if lab == 0 or lab == a or sizes[lab] <= size_a:
                            continue
                        d2 = 0.0
                        for b in range(nb):
                            diff = mean[b] - sums[lab, b] / sizes[lab]
                            d2 += diff * diff
                        if d2 < best_d2 or (d2 == best_d2 and lab < best):
                            best_d2 = d2
                            best = lab
                member = member_next[member]
            targets[i] = best if best_d2 <= max_diff2 else 0


@njit(**JIT)
def eliminate_small_segments(labels, sizes, sums, min_size, max_diff2, eight,
                             max_passes):
    """Iteratively merge segments below ``min_size`` pixels into neighbours.

    For s = 1 .. min_size - 1, every segment of exactly s pixels merges into
    the adjacent strictly larger segment with the nearest mean spectrum,
    unless that squared distance exceeds ``max_diff2``; passes for one s
    repeat while merges happen (at most ``max_passes``). The whole sweep
    repeats while it merges anything, because a refused segment may gain an
    eligible neighbour when neighbours merge later in the sweep.

    labels : (R, C) uint32, every pixel of a merged segment is rewritten to
    its new label; sizes : (N + 1,) int64; sums : (N + 1, B) float64, both
    updated in place. Returns the number of segments eliminated.
    """
    nneigh = 8 if eight else 4
    flat = labels.reshape(-1)
    nlabels = sizes.size - 1
    offsets, pixels = _small_segment_pixels(labels, sizes, min_size)
    # Member lists: label -> next label whose pixels belong to the same
    # segment (0 ends a list), so a merge concatenates in O(1).
    member_next = np.zeros(nlabels + 1, np.uint32)
    member_tail = np.arange(nlabels + 1).astype(np.uint32)
    active = _small_labels(sizes, min_size)
    cands = np.empty(active.size, np.uint32)
    targets = np.empty(active.size, np.uint32)
    total = 0
    sweep_merged = 1
    while sweep_merged > 0:
        sweep_merged = 0
        for s in range(1, min_size):
            for _ in range(max_passes):
                ncand = 0
                for lab in active:
                    if sizes[lab] == s:
                        cands[ncand] = lab
                        ncand += 1
                if ncand == 0:
                    break
                _decide_merges(labels, sizes, sums, cands[:ncand], offsets,
                               pixels, member_next, nneigh, max_diff2,
                               targets[:ncand])
                merged = 0
                for i in range(ncand):
                    t = targets[i]
                    if t == 0:
                        continue
                    a = cands[i]
                    member = a
                    while member != 0:
                        for j in range(offsets[member], offsets[member + 1]):
                            flat[pixels[j]] = t
                        member = member_next[member]
                    member_next[member_tail[t]] = a
                    member_tail[t] = member_tail[a]
                    sizes[t] += sizes[a]
                    sums[t] += sums[a]
                    sizes[a] = 0
                    merged += 1
                if merged == 0:
                    break
                sweep_merged += merged
            # Segments of s pixels or fewer that are still here cannot merge
            # in this sweep any more: drop them from the scan.
            keep = 0
            for lab in active:
                if s < sizes[lab] < min_size:
                    active[keep] = lab
                    keep += 1
            active = active[:keep]
        total += sweep_merged
        active = _small_labels(sizes, min_size)
    return total


@njit(**JIT)
def _small_labels(sizes, min_size):
    """Labels (uint32, ascending) of live segments below ``min_size``."""
    count = 0
    for lab in range(1, sizes.size):
        if 0 < sizes[lab] < min_size:
            count += 1
    labs = np.empty(count, np.uint32)
    i = 0
    for lab in range(1, sizes.size):
        if 0 < sizes[lab] < min_size:
            labs[i] = lab
            i += 1
    return labs


@njit(**JIT)
def small_segment_reasons(labels, sizes, sums, min_size, max_diff2, eight):
    """Why each segment below ``min_size`` survived the elimination.

    labels : (R, C) uint32; sizes : (N + 1,) int64; sums : (N + 1, B)
    float64 (the state after :func:`eliminate_small_segments`). Returns
    (N + 1,) uint8: 0 for segments of ``min_size`` or more (and for 0);
    1 when no neighbour pixel belongs to another non-null segment; 2 when
    none of its neighbours is strictly larger; 3 when the spectrally
    nearest strictly larger neighbour is beyond ``max_diff2`` (squared).
    """
    nneigh = 8 if eight else 4
    nrows, ncols = labels.shape
    nb = sums.shape[1]
    out = np.zeros(sizes.size, np.uint8)
    offsets, pixels = _small_segment_pixels(labels, sizes, min_size)
    mean = np.empty(nb)
    for a in range(1, sizes.size):
        size_a = sizes[a]
        if size_a == 0 or size_a >= min_size:
            continue
        for b in range(nb):
            mean[b] = sums[a, b] / size_a
        other = False
        best_d2 = np.inf
        for j in range(offsets[a], offsets[a + 1]):
            p = pixels[j]
            r = p // ncols
            c = p % ncols
            for k in range(nneigh):
                rr = r + _DR[k]
                cc = c + _DC[k]
                if rr < 0 or rr >= nrows or cc < 0 or cc >= ncols:
                    continue
                lab = labels[rr, cc]
                if lab == 0 or lab == a:
                    continue
                other = True
                if sizes[lab] <= size_a:
                    continue
                d2 = 0.0
                for b in range(nb):
                    diff = mean[b] - sums[lab, b] / sizes[lab]
                    d2 += diff * diff
                if d2 < best_d2:
                    best_d2 = d2
        out[a] = 1 if not other else (2 if best_d2 == np.inf else 3)
    return out
