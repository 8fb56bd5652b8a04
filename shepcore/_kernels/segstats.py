"""Per-segment statistics kernels (the per-band window kernels are in
:mod:`.segwindow`).

Window kernels work on compact local indices (position of a segment ID in
the window's sorted ID list), so their memory follows the window, not the
number of segments in the raster. Merge kernels add partial rows into
dense per-partition arrays (index = ID - first ID of the partition); every
merged quantity is an exact integer sum, a minimum or a maximum, so the
result does not depend on the order of the partials. The order-statistics
stream walks values sorted by (segment, value) and may be fed in any number
of consecutive chunks: its state lives in per-segment arrays.
"""

import numpy as np
from numba import njit

from .._config import JIT

_LOW32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)
_TWO64 = 18446744073709551616.0


@njit(**JIT)
def local_index(labels, ids, out):
    """out[r, c] = index of labels[r, c] in ``ids`` (sorted uint32, no 0),
    or -1 where the label is 0. labels (R, C) uint32; out (R, C) int32."""
    nrows, ncols = labels.shape
    n = ids.size
    prev = np.uint32(0)
    prev_idx = -1
    for r in range(nrows):
        for c in range(ncols):
            lab = labels[r, c]
            if lab == 0:
                out[r, c] = -1
                continue
            if lab != prev:
                lo = 0
                hi = n
                while lo < hi:
                    mid = (lo + hi) >> 1
                    if ids[mid] < lab:
                        lo = mid + 1
                    else:
                        hi = mid
                prev = lab
                prev_idx = lo
            out[r, c] = prev_idx


@njit(**JIT)
def spatial_sums(padded, r_off, c_off, local, row0, col0, npix, sum_row, sum_col,
                 row_min, row_max, col_min, col_max, edges):
    """Spatial aggregates of a window, added into arrays indexed by local index.

    padded : (R + h, C + w) labels of the window plus a one-pixel halo on each
    side where the raster extends; the window starts at (r_off, c_off) in it.
    local : (R, C) int32 local indices; (row0, col0): raster position of the
    window. An edge pixel has a 4-neighbour inside ``padded`` with another
    label (another segment or null); pixels outside the raster do not count.
    A run of one segment along a row is added once (exact integer sums).
    """
    nrows, ncols = local.shape
    prows, pcols = padded.shape
    for r in range(nrows):
        pr = r + r_off
        ar = row0 + r
        c = 0
        while c < ncols:
            i = local[r, c]
            if i < 0:
                c += 1
                continue
            start = c
            lab = padded[pr, c + c_off]
            e = 0
            while c < ncols and local[r, c] == i:
                pc = c + c_off
                if ((pr > 0 and padded[pr - 1, pc] != lab)
                        or (pr + 1 < prows and padded[pr + 1, pc] != lab)
                        or (pc > 0 and padded[pr, pc - 1] != lab)
                        or (pc + 1 < pcols and padded[pr, pc + 1] != lab)):
                    e += 1
                c += 1
            n = c - start
            first = col0 + start
            npix[i] += n
            sum_row[i] += np.int64(ar) * n
            sum_col[i] += np.int64(first) * n + np.int64(n) * (n - 1) // 2
            if ar < row_min[i]:
                row_min[i] = ar
            if ar > row_max[i]:
                row_max[i] = ar
            if first < col_min[i]:
                col_min[i] = first
            if first + n - 1 > col_max[i]:
                col_max[i] = first + n - 1
            edges[i] += e


@njit(**JIT)
def merge_spatial(ids, lo, npix, sum_row, sum_col, row_min, row_max, col_min, col_max,
                  edges, o_npix, o_sum_row, o_sum_col, o_row_min, o_row_max, o_col_min,
                  o_col_max, o_edges):
    """Add partial spatial rows (segment ``ids``) into dense arrays at ids - lo."""
    for k in range(ids.size):
        j = np.int64(ids[k]) - lo
        o_npix[j] += npix[k]
        o_sum_row[j] += sum_row[k]
        o_sum_col[j] += sum_col[k]
        o_row_min[j] = min(o_row_min[j], row_min[k])
        o_row_max[j] = max(o_row_max[j], row_max[k])
        o_col_min[j] = min(o_col_min[j], col_min[k])
        o_col_max[j] = max(o_col_max[j], col_max[k])
        o_edges[j] += edges[k]


@njit(**JIT)
def merge_minmax(ids, lo, count, vmin, vmax, o_count, o_min, o_max):
    """Add partial counts and take min/max into dense arrays at ids - lo."""
    for k in range(ids.size):
        j = np.int64(ids[k]) - lo
        o_count[j] += count[k]
        if vmin[k] < o_min[j]:
            o_min[j] = vmin[k]
        if vmax[k] > o_max[j]:
            o_max[j] = vmax[k]


@njit(**JIT)
def merge_int_sums(ids, lo, s1, s2hi, s2lo, o_s1, o_s2hi, o_s2lo):
    """Add partial exact sums (128-bit sums of squares) at ids - lo."""
    for k in range(ids.size):
        j = np.int64(ids[k]) - lo
        o_s1[j] += s1[k]
        s = o_s2lo[j] + s2lo[k]
        carry = np.uint64(1) if s < s2lo[k] else np.uint64(0)
        o_s2lo[j] = s
        o_s2hi[j] += s2hi[k] + carry


@njit(**JIT)
def _mul64(a, b):
    """Full 128-bit product of two uint64 as (hi, lo)."""
    a0 = a & _LOW32
    a1 = a >> _SHIFT32
    b0 = b & _LOW32
    b1 = b >> _SHIFT32
    p00 = a0 * b0
    p01 = a0 * b1
    p10 = a1 * b0
    p11 = a1 * b1
    mid = (p00 >> _SHIFT32) + (p01 & _LOW32) + (p10 & _LOW32)
    lo = (p00 & _LOW32) | (mid << _SHIFT32)
    hi = p11 + (p01 >> _SHIFT32) + (p10 >> _SHIFT32) + (mid >> _SHIFT32)
    return hi, lo


@njit(**JIT)
def int_variance(n, s1, s2hi, s2lo, out):
    """Population variance from exact sums: (n * S2 - S1**2) / n**2, with the
    numerator formed exactly in 128 bits (n < 2**32), then rounded.
    Entries with n == 0 are left alone."""
    for j in range(n.size):
        if n[j] <= 0:
            continue
        nn = np.uint64(n[j])
        h1, l1 = _mul64(nn, s2lo[j])
        hi = h1 + nn * s2hi[j]
        a = np.uint64(abs(s1[j]))
        h2, l2 = _mul64(a, a)
        borrow = np.uint64(1) if l1 < l2 else np.uint64(0)
        lo = l1 - l2
        hi = hi - h2 - borrow
        num = np.float64(hi) * _TWO64 + np.float64(lo)
        nf = np.float64(n[j])
        out[j] = num / (nf * nf)


@njit(**JIT)
def order_stream(idx, val, prev_rank, next_rank, x_prev, x_next, seen, run_val, run_cnt,
                 best_val, best_cnt, acc_sum, acc_comp, w_mean, w_m2, moments):
    """Consume values sorted by (segment, value): idx (M,) int32 segment
    slots, val (M,) float64. A slot's values may arrive over several calls,
    in ascending order; equal values may be split between calls.

    Records the values at ranks prev_rank/next_rank (S, P) into x_prev/x_next,
    tracks runs of equal values for the mode (longest run, first = smallest
    on ties), and with ``moments`` a compensated (Neumaier) sum and Welford's
    M2, both in ascending value order.
    """
    npct = prev_rank.shape[1]
    for k in range(idx.size):
        i = idx[k]
        v = val[k]
        pos = seen[i]
        for j in range(npct):
            if prev_rank[i, j] == pos:
                x_prev[i, j] = v
            if next_rank[i, j] == pos:
                x_next[i, j] = v
        if run_cnt[i] > 0 and v == run_val[i]:
            run_cnt[i] += 1
        else:
            if run_cnt[i] > best_cnt[i]:
                best_cnt[i] = run_cnt[i]
                best_val[i] = run_val[i]
            run_val[i] = v
            run_cnt[i] = 1
        if moments:
            s = acc_sum[i]
            t = s + v
            if abs(s) >= abs(v):
                acc_comp[i] += (s - t) + v
            else:
                acc_comp[i] += (v - t) + s
            acc_sum[i] = t
            d = v - w_mean[i]
            w_mean[i] += d / (pos + 1)
            w_m2[i] += d * (v - w_mean[i])
        seen[i] = pos + 1


@njit(**JIT)
def order_stream_counts(idx, val, cnt, prev_rank, next_rank, x_prev, x_next, seen, run_val,
                        run_cnt, best_val, best_cnt):
    """:func:`order_stream` for histogram entries: value ``val[k]`` occurs
    ``cnt[k]`` times (the entries of one slot in ascending value order, the
    same value possibly in several consecutive entries, e.g. from several
    windows). No moments: histogram bands are integers, whose moments come
    from exact sums."""
    npct = prev_rank.shape[1]
    for k in range(idx.size):
        i = idx[k]
        v = val[k]
        c = cnt[k]
        pos = seen[i]
        end = pos + c
        for j in range(npct):
            if prev_rank[i, j] >= pos and prev_rank[i, j] < end:
                x_prev[i, j] = v
            if next_rank[i, j] >= pos and next_rank[i, j] < end:
                x_next[i, j] = v
        if run_cnt[i] > 0 and v == run_val[i]:
            run_cnt[i] += c
        else:
            if run_cnt[i] > best_cnt[i]:
                best_cnt[i] = run_cnt[i]
                best_val[i] = run_val[i]
            run_val[i] = v
            run_cnt[i] = c
        seen[i] = end


@njit(**JIT)
def order_finish(n, gamma, x_prev, x_next, run_val, run_cnt, best_val, best_cnt, acc_sum,
                 acc_comp, w_m2, moments, pct_out, mode_out, mean_out, std_out):
    """Final values for slots with n > 0: percentiles by numpy's 'linear'
    interpolation (same float64 operations as numpy's ``_lerp``), the mode,
    and with ``moments`` mean = compensated sum / n and population stddev."""
    npct = gamma.shape[1]
    for i in range(n.size):
        if n[i] <= 0:
            continue
        for j in range(npct):
            a = x_prev[i, j]
            b = x_next[i, j]
            t = gamma[i, j]
            diff = b - a
            if t >= 0.5:
                pct_out[i, j] = b - diff * (1.0 - t)
            else:
                pct_out[i, j] = a + diff * t
        if run_cnt[i] > best_cnt[i]:
            mode_out[i] = run_val[i]
        else:
            mode_out[i] = best_val[i]
        if moments:
            mean_out[i] = (acc_sum[i] + acc_comp[i]) / n[i]
            std_out[i] = np.sqrt(w_m2[i] / n[i])
