"""Slow reference versions ("oracles") of the shepcore kernels.

Plain numpy, scipy and Python loops, written from docs/algorithm.md and the
kernel docstrings rather than from the kernels, so that a test comparing the
two checks the rule and not a copy of the code. Every function here is
deterministic and follows the same tie rules as the kernels:

* nearest centre: lowest centre index among equal distances;
* single pixels: the first of the equally near neighbour pixels in the order
  up, left, right, down, then (-1, -1), (-1, +1), (+1, -1), (+1, +1);
* small segments: the lowest label among equally near neighbour segments.

Distances are summed band by band in band order, and segment sums pixel by
pixel in raster order, as the kernels do, so that the floating-point values
compared in ties are bit-identical.
"""

import numpy as np
from scipy import ndimage

#: Neighbour offsets (row, col): the 4-neighbours in tie order, then diagonals.
OFFSETS_4 = ((-1, 0), (0, -1), (0, 1), (1, 0))
OFFSETS_8 = OFFSETS_4 + ((-1, -1), (-1, 1), (1, -1), (1, 1))


def offsets(connectivity):
    """Neighbour offsets of a 4- or 8-neighbourhood, in tie order."""
    return OFFSETS_8 if connectivity == 8 else OFFSETS_4


def structure(connectivity):
    """scipy.ndimage structuring element of a 4- or 8-neighbourhood."""
    return ndimage.generate_binary_structure(2, 2 if connectivity == 8 else 1)


def canonical(labels):
    """Labels renumbered 1..N in raster order of each label's first pixel
    (0 stays 0), as uint32. Two label images describe the same partition
    exactly when their canonical forms are equal."""
    labels = np.asarray(labels)
    values, first, inverse = np.unique(labels.ravel(), return_index=True, return_inverse=True)
    new_id = np.zeros(values.size, np.uint32)
    nonzero = np.flatnonzero(values != 0)
    order = nonzero[np.argsort(first[nonzero], kind="stable")]
    new_id[order] = np.arange(1, order.size + 1, dtype=np.uint32)
    return new_id[inverse.ravel()].reshape(labels.shape)


def null_mask(image, nodata=None):
    """(R, C) bool: pixels where any band equals ``nodata`` or is not finite."""
    img = np.asarray(image, np.float64)
    if img.ndim == 2:
        img = img[np.newaxis]
    null = ~np.isfinite(img).all(axis=0)
    if nodata is not None:
        null |= (img == nodata).any(axis=0)
    return null


# -- stage 1b: nearest centre -------------------------------------------------


def squared_distance(x, y):
    """Squared Euclidean distance summed band by band in band order."""
    d2 = 0.0
    for a, b in zip(x, y, strict=True):
        diff = float(a) - float(b)
        d2 += diff * diff
    return d2


def nearest(x, centres):
    """(index, squared distance) of the centre nearest to ``x``; ties go to
    the lowest index."""
    best, best_d2 = -1, np.inf
    for j, c in enumerate(np.asarray(centres, np.float64)):
        d2 = squared_distance(x, c)
        if d2 < best_d2:
            best, best_d2 = j, d2
    return best, best_d2


def assign(image, centres, nodata=None):
    """(R, C) uint16: 1 + index of the nearest centre, 0 at null pixels."""
    img = np.asarray(image, np.float64)
    null = null_mask(img, nodata)
    out = np.zeros(img.shape[1:], np.uint16)
    for r in range(img.shape[1]):
        for c in range(img.shape[2]):
            if not null[r, c]:
                out[r, c] = nearest(img[:, r, c], centres)[0] + 1
    return out


# -- stage 2: clumping --------------------------------------------------------


def clump(clusters, connectivity):
    """(labels (R, C) uint32, N): ``scipy.ndimage.label`` of each non-zero
    cluster value on its own, then canonical numbering."""
    clusters = np.asarray(clusters)
    labels = np.zeros(clusters.shape, np.int64)
    next_id = 0
    for k in np.unique(clusters):
        if k == 0:
            continue
        comp, n = ndimage.label(clusters == k, structure=structure(connectivity))
        labels[comp > 0] = comp[comp > 0] + next_id
        next_id += n
    return canonical(labels), next_id


# -- stage 3: single-pixel elimination ----------------------------------------


def eliminate_single_pixels(image, labels, connectivity):
    """(labels, number of pixels eliminated), ``labels`` not modified.

    Each pass takes the pixels whose segment has exactly one pixel; each goes
    to the segment of its spectrally nearest neighbour pixel (pixel values,
    not segment means) among neighbours in segments of more than one pixel,
    decided for all pixels from the state before the pass and then applied.
    Passes repeat until one eliminates nothing.
    """
    img = np.asarray(image, np.float64)
    if img.ndim == 2:
        img = img[np.newaxis]
    labels = np.array(labels, np.int64)
    nrows, ncols = labels.shape
    total = 0
    while True:
        sizes = np.bincount(labels.ravel())
        sizes[0] = 0
        moves = []
        for r in range(nrows):
            for c in range(ncols):
                lab = labels[r, c]
                if lab == 0 or sizes[lab] != 1:
                    continue
                best, best_d2 = 0, np.inf
                for dr, dc in offsets(connectivity):
                    rr, cc = r + dr, c + dc
                    if not (0 <= rr < nrows and 0 <= cc < ncols):
                        continue
                    other = labels[rr, cc]
                    if other == 0 or sizes[other] <= 1:
                        continue
                    d2 = squared_distance(img[:, r, c], img[:, rr, cc])
                    if d2 < best_d2:
                        best, best_d2 = other, d2
                if best:
                    moves.append((r, c, best))
        if not moves:
            return labels.astype(np.uint32), total
        for r, c, target in moves:
            labels[r, c] = target
        total += len(moves)


# -- stage 4: iterative small-segment elimination -----------------------------


def segment_sums(image, labels):
    """(N + 1, B) float64 band sums per label, pixel by pixel in raster order."""
    img = np.asarray(image, np.float64)
    if img.ndim == 2:
        img = img[np.newaxis]
    labels = np.asarray(labels)
    sums = np.zeros((int(labels.max()) + 1, img.shape[0]))
    for r in range(labels.shape[0]):
        for c in range(labels.shape[1]):
            lab = labels[r, c]
            if lab:
                for b in range(img.shape[0]):
                    sums[lab, b] += img[b, r, c]
    return sums


def adjacent_labels(labels, lab, connectivity):
    """Set of non-zero labels other than ``lab`` next to a pixel of ``lab``."""
    nrows, ncols = labels.shape
    out = set()
    for r, c in zip(*np.nonzero(labels == lab), strict=True):
        for dr, dc in offsets(connectivity):
            rr, cc = r + dr, c + dc
            if 0 <= rr < nrows and 0 <= cc < ncols:
                other = labels[rr, cc]
                if other != 0 and other != lab:
                    out.add(int(other))
    return out


def eliminate_small_segments(image, labels, min_size, max_diff, connectivity,
                             max_passes=1000):
    """(labels, number of segments eliminated), ``labels`` not modified.

    ``labels`` must be 1..N. For s = 1 .. min_size - 1: every segment of
    exactly s pixels merges into the adjacent segment strictly larger than it
    whose mean spectrum is nearest to its own (ties: lowest label), unless
    that distance exceeds ``max_diff`` (None = no limit). All merges of a pass
    are decided from the state before the pass, then applied in ascending
    label order (the merged segment takes the target's label; sizes and
    sums add up). Passes for one s repeat while something merges (at most
    ``max_passes``); the whole sweep over s repeats while it merged anything.
    """
    labels = np.array(labels, np.int64)
    sums = segment_sums(image, labels)
    sizes = np.bincount(labels.ravel(), minlength=sums.shape[0])
    sizes[0] = 0
    max_d2 = np.inf if max_diff is None else float(max_diff) ** 2
    total = 0
    swept = True
    while swept:
        swept = False
        for s in range(1, min_size):
            for _ in range(max_passes):
                cands = [lab for lab in range(1, sizes.size) if sizes[lab] == s]
                targets = []
                for a in cands:
                    mean_a = sums[a] / sizes[a]
                    best, best_d2 = 0, np.inf
                    for other in sorted(adjacent_labels(labels, a, connectivity)):
                        if sizes[other] <= sizes[a]:
                            continue
                        d2 = squared_distance(mean_a, sums[other] / sizes[other])
                        if d2 < best_d2:  # ascending labels: ties keep the lowest
                            best, best_d2 = other, d2
                    targets.append(best if best_d2 <= max_d2 else 0)
                merged = 0
                for a, t in zip(cands, targets, strict=True):
                    if t:
                        labels[labels == a] = t
                        sizes[t] += sizes[a]
                        sums[t] += sums[a]
                        sizes[a] = 0
                        merged += 1
                if not merged:
                    break
                total += merged
                swept = True
    return labels.astype(np.uint32), total


# -- all stages with given centres --------------------------------------------


def segment(image, centres, *, nodata=None, max_diff=None, min_size=50, connectivity=4):
    """(labels (R, C) uint32 1..N, singles eliminated, segments eliminated):
    stages 1b-6 of the algorithm with fixed k-means ``centres``."""
    clusters = assign(image, centres, nodata)
    labels, _ = clump(clusters, connectivity)
    labels, singles = eliminate_single_pixels(image, labels, connectivity)
    labels = canonical(labels)
    merged = 0
    if min_size > 1 and labels.any():
        labels, merged = eliminate_small_segments(
            image, labels, min_size, max_diff, connectivity
        )
    return canonical(labels), singles, merged


# -- checks on a finished segmentation ----------------------------------------


def disconnected_segments(labels, connectivity):
    """Labels whose pixels form more than one connected piece."""
    labels = np.asarray(labels)
    bad = []
    for lab, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is None:
            continue
        _, n = ndimage.label(labels[box] == lab, structure=structure(connectivity))
        if n != 1:
            bad.append(lab)
    return bad


def adjacent_pairs(labels, connectivity):
    """(P, 2) array of distinct (a, b), a != b, both non-zero, of labels that
    touch under ``connectivity`` (both orders present)."""
    labels = np.asarray(labels)
    pairs = []
    shifts = [(0, 1), (1, 0)] + ([(1, 1), (1, -1)] if connectivity == 8 else [])
    nrows, ncols = labels.shape
    for dr, dc in shifts:
        if dc >= 0:
            a = labels[0 : nrows - dr, 0 : ncols - dc]
            b = labels[dr:nrows, dc:ncols]
        else:
            a = labels[0 : nrows - dr, -dc:ncols]
            b = labels[dr:nrows, 0 : ncols + dc]
        keep = (a != b) & (a != 0) & (b != 0)
        pairs.append(np.stack([a[keep], b[keep]], axis=1))
    p = np.concatenate(pairs + [np.empty((0, 2), labels.dtype)]).astype(np.int64)
    p = np.concatenate([p, p[:, ::-1]])
    return np.unique(p, axis=0)


def mergeable_small_segments(image, labels, min_size, max_diff, connectivity, rtol=1e-9):
    """Segments below ``min_size`` that still touch a strictly larger segment
    whose mean spectrum is within ``max_diff`` (None = no limit), computed
    from the finished labels alone: [(label, neighbour, distance)]. A
    segmentation that follows the algorithm has none. ``rtol`` absorbs the
    rounding of sums added in a different order."""
    img = np.asarray(image, np.float64)
    if img.ndim == 2:
        img = img[np.newaxis]
    labels = np.asarray(labels)
    n = int(labels.max())
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    valid = labels.ravel() != 0
    means = np.zeros((n + 1, img.shape[0]))
    for b in range(img.shape[0]):
        sums = np.bincount(labels.ravel()[valid], weights=img[b].ravel()[valid], minlength=n + 1)
        means[1:, b] = sums[1:] / np.maximum(sizes[1:], 1)
    pairs = adjacent_pairs(labels, connectivity)
    if pairs.size == 0:
        return []
    a, b = pairs[:, 0], pairs[:, 1]
    cand = (sizes[a] < min_size) & (sizes[b] > sizes[a])
    dist = np.sqrt(((means[a] - means[b]) ** 2).sum(axis=1))
    limit = np.inf if max_diff is None else float(max_diff)
    bad = cand & (dist < limit * (1 - rtol))
    return [(int(x), int(y), float(d)) for x, y, d in zip(a[bad], b[bad], dist[bad],
                                                            strict=True)]
