"""One-pass per-window statistics kernels.

A window's segments are indexed by local slot (position in the window's
sorted ID list). :func:`window_ids` finds the IDs and slots; then, per
band, :func:`band_aggregates` takes counts, minima, maxima and exact
integer sums in one pass over the pixels, and :func:`band_order` groups
each segment's valid values once more, either counted into a dense
histogram over the segment's own min..max (integers whose range is at most
their count) or copied into a per-segment bucket that is sorted. Each
segment's values then come out in ascending order as (value, count) runs:

* a segment complete in the window gets its percentiles (numpy's 'linear'
  definition, the float64 operations of ``segstats.order_finish``), mode
  (smallest on ties) and, for float bands, the compensated mean and
  Welford standard deviation in ascending value order, exactly as the
  order-statistics stream of ``segstats.order_stream`` computes them;
* the other segments emit their runs (histogram entries, integer bands)
  or every sorted value (the exact path: float bands, or integers when
  histograms are switched off) for the reduce step.
"""

import numpy as np
from numba import njit

from .._config import JIT


@njit(**JIT)
def label_range(labels):
    """(min, max) of the nonzero labels, (1, 0) when there are none."""
    lo = np.uint32(0xFFFFFFFF)
    hi = np.uint32(0)
    nrows, ncols = labels.shape
    for r in range(nrows):
        for c in range(ncols):
            lab = labels[r, c]
            if lab == 0:
                continue
            if lab < lo:
                lo = lab
            if lab > hi:
                hi = lab
    if hi == 0:
        return np.int64(1), np.int64(0)
    return np.int64(lo), np.int64(hi)


@njit(**JIT)
def window_ids(labels, lo, hi, local):
    """Sorted nonzero IDs of ``labels`` (R, C) uint32, all within lo..hi,
    and ``local`` (R, C) int32 filled with each pixel's slot (-1 for 0).
    Uses a table over lo..hi: the caller keeps hi - lo small."""
    size = hi - lo + 1 if hi >= lo else 0
    slot = np.full(size, -1, np.int32)
    nrows, ncols = labels.shape
    for r in range(nrows):
        for c in range(ncols):
            lab = labels[r, c]
            if lab != 0:
                slot[np.int64(lab) - lo] = 0
    n = 0
    for j in range(size):
        if slot[j] == 0:
            slot[j] = n
            n += 1
    ids = np.empty(n, np.uint32)
    for j in range(size):
        if slot[j] >= 0:
            ids[slot[j]] = np.uint32(j + lo)
    for r in range(nrows):
        for c in range(ncols):
            lab = labels[r, c]
            local[r, c] = -1 if lab == 0 else slot[np.int64(lab) - lo]
    return ids


@njit(**JIT)
def _flush(i, n, lo_v, hi_v, t1, thi, tlo, count, vmin, vmax, s1, s2hi, s2lo, exact):
    """Add one run's count, extremes and sums into slot i."""
    count[i] += n
    if lo_v < vmin[i]:
        vmin[i] = lo_v
    if hi_v > vmax[i]:
        vmax[i] = hi_v
    if exact:
        s1[i] += t1
        s = s2lo[i] + tlo
        carry = np.uint64(1) if s < tlo else np.uint64(0)
        s2lo[i] = s
        s2hi[i] += thi + carry


@njit(**JIT)
def band_aggregates(local, values, valid, count, vmin, vmax, s1, s2hi, s2lo, exact):
    """Count, min, max (float64; -0.0 taken as 0.0) and, with ``exact``,
    the exact sum (int64) and sum of squares (128 bits as hi/lo uint64) of
    the valid values per slot (integers: |x| < 2**32). Runs of one slot
    are summed in registers and added once (the same exact numbers)."""
    nrows, ncols = local.shape
    cur = -1
    n = 0
    lo_v = np.inf
    hi_v = -np.inf
    t1 = np.int64(0)
    thi = np.uint64(0)
    tlo = np.uint64(0)
    for r in range(nrows):
        for c in range(ncols):
            i = local[r, c]
            if i < 0 or not valid[r, c]:
                continue
            if i != cur:
                if cur >= 0:
                    _flush(cur, n, lo_v, hi_v, t1, thi, tlo, count, vmin, vmax, s1, s2hi,
                           s2lo, exact)
                cur = i
                n = 0
                lo_v = np.inf
                hi_v = -np.inf
                t1 = np.int64(0)
                thi = np.uint64(0)
                tlo = np.uint64(0)
            x = np.float64(values[r, c]) + 0.0
            n += 1
            if x < lo_v:
                lo_v = x
            if x > hi_v:
                hi_v = x
            if exact:
                xi = np.int64(values[r, c])
                t1 += xi
                ax = np.uint64(abs(xi))
                sq = ax * ax
                s = tlo + sq
                if s < sq:
                    thi += np.uint64(1)
                tlo = s
    if cur >= 0:
        _flush(cur, n, lo_v, hi_v, t1, thi, tlo, count, vmin, vmax, s1, s2hi, s2lo, exact)


@njit(**JIT)
def _ranks(n, q, prev_rank, next_rank, gamma):
    """Ranks and weight of numpy's 'linear' percentile of n values, as
    ``stats.order.OrderState`` forms them."""
    nm1 = np.float64(n - 1)
    for j in range(q.size):
        virtual = nm1 * q[j]
        prev = np.floor(virtual)
        gamma[j] = virtual - prev
        pr = np.int64(prev)
        nr = pr + 1
        if virtual >= nm1:
            pr = n - 1
            nr = n - 1
        prev_rank[j] = pr
        next_rank[j] = nr


@njit(**JIT)
def _finish_runs(run_val, run_cnt, nruns, n, q, out, x_prev, x_next, prev_rank, next_rank,
                 gamma):
    """Percentiles (out[:P]) and mode (out[P]) of n values given as runs
    (ascending value, count) run_val[:nruns], run_cnt[:nruns]; the
    interpolation is ``segstats.order_finish``'s."""
    npct = q.size
    _ranks(n, q, prev_rank, next_rank, gamma)
    pos = 0
    best = 0
    best_val = 0.0
    for k in range(nruns):
        v = run_val[k]
        c = run_cnt[k]
        end = pos + c
        for j in range(npct):
            if prev_rank[j] >= pos and prev_rank[j] < end:
                x_prev[j] = v
            if next_rank[j] >= pos and next_rank[j] < end:
                x_next[j] = v
        if c > best:
            best = c
            best_val = v
        pos = end
    for j in range(npct):
        a = x_prev[j]
        b = x_next[j]
        t = gamma[j]
        diff = b - a
        if t >= 0.5:
            out[j] = b - diff * (1.0 - t)
        else:
            out[j] = a + diff * t
    out[npct] = best_val


@njit(**JIT)
def _float_moments(vals, n, out, npct):
    """Compensated (Neumaier) mean and Welford population stddev of sorted
    values, in the order and operations of ``segstats.order_stream``."""
    acc_sum = 0.0
    acc_comp = 0.0
    w_mean = 0.0
    w_m2 = 0.0
    for pos in range(vals.size):
        v = np.float64(vals[pos])
        s = acc_sum
        t = s + v
        if abs(s) >= abs(v):
            acc_comp += (s - t) + v
        else:
            acc_comp += (v - t) + s
        acc_sum = t
        d = v - w_mean
        w_mean += d / (pos + 1)
        w_m2 += d * (v - w_mean)
    out[npct + 1] = (acc_sum + acc_comp) / n
    out[npct + 2] = np.sqrt(w_m2 / n)


@njit(**JIT)
def band_order(local, ids, values, valid, count, vmin, vmax, done_row, histograms, moments, q,
               done_out, ent_seg, ent_val, ent_cnt):
    """Order statistics of one band of a window (see the module docstring).

    Parameters
    ----------
    local : (R, C) int32 slots; ids : (K,) uint32 the slots' segment IDs
    values : (R, C); valid : (R, C) bool
    count : (K,) valid values per slot; vmin, vmax : (K,) float64 their
        extremes (from :func:`band_aggregates`)
    done_row : (K,) int64
        Row of ``done_out`` for a segment complete in the window, else -1.
    histograms : bool
        Integer band: dense counting where a segment's range is at most its
        count, and carried segments emit (value, count) runs; False: every
        segment is sorted and carried segments emit every value (count 1).
    moments : bool
        Float band: mean and stddev of complete segments.
    q : (P,) float64 percentiles / 100
    done_out : (Kd, P + 3) float64
        Filled per complete segment: [:P] percentiles, [P] mode and, with
        ``moments``, [P + 1] mean and [P + 2] stddev.
    ent_seg, ent_val, ent_cnt : (M,) uint32, values' dtype, int32
        Carried entries (segment ID, value, count) in (ID, value) order; M
        at least the number of entries (for each carried segment, its
        valid values, or with ``histograms`` at most its value range).

    Returns
    -------
    nent : int
        Entries written.
    """
    nslots = count.size
    npct = q.size
    dense_off = np.zeros(nslots + 1, np.int64)
    buck_off = np.zeros(nslots + 1, np.int64)
    span = np.zeros(nslots, np.int64)
    maxn = 0
    for i in range(nslots):
        n = np.int64(count[i])
        d = 0
        b = 0
        if n > 0:
            maxn = max(maxn, n)
            width = np.int64(vmax[i] - vmin[i]) + 1 if histograms else n + 1
            if width <= n:
                d = width
                span[i] = width
            else:
                b = n
        dense_off[i + 1] = dense_off[i] + d
        buck_off[i + 1] = buck_off[i] + b
    dense = np.zeros(dense_off[nslots], np.int32)
    bucket = np.empty(buck_off[nslots], values.dtype)
    cursor = buck_off[:nslots].copy()
    nrows, ncols = local.shape
    cur = -1  # the slot of the current run of pixels, its state in registers
    is_dense = False
    base = np.int64(0)
    low = 0.0
    pos = np.int64(0)
    for r in range(nrows):
        for c in range(ncols):
            i = local[r, c]
            if i < 0 or not valid[r, c]:
                continue
            if i != cur:
                if cur >= 0 and not is_dense:
                    cursor[cur] = pos
                cur = i
                is_dense = span[i] > 0
                base = dense_off[i]
                low = vmin[i]
                pos = cursor[i]
            if is_dense:
                dense[base + np.int64(np.float64(values[r, c]) - low)] += 1
            else:
                bucket[pos] = values[r, c] + 0  # -0.0 -> 0.0: one zero
                pos += 1
    if cur >= 0 and not is_dense:
        cursor[cur] = pos
    run_val = np.empty(maxn, np.float64)
    run_cnt = np.empty(maxn, np.int64)
    x_prev = np.empty(npct, np.float64)
    x_next = np.empty(npct, np.float64)
    prev_rank = np.empty(npct, np.int64)
    next_rank = np.empty(npct, np.int64)
    gamma = np.empty(npct, np.float64)
    nent = 0
    for i in range(nslots):
        n = np.int64(count[i])
        if n == 0:
            continue
        nruns = 0
        sorted_vals = bucket[buck_off[i]:buck_off[i + 1]]
        if span[i] > 0:
            base = vmin[i]
            for k in range(span[i]):
                cnt = dense[dense_off[i] + k]
                if cnt > 0:
                    run_val[nruns] = base + np.float64(k)
                    run_cnt[nruns] = cnt
                    nruns += 1
        else:
            sorted_vals.sort()
            for k in range(sorted_vals.size):
                v = np.float64(sorted_vals[k])
                if nruns > 0 and v == run_val[nruns - 1]:
                    run_cnt[nruns - 1] += 1
                else:
                    run_val[nruns] = v
                    run_cnt[nruns] = 1
                    nruns += 1
        row = done_row[i]
        if row >= 0:
            out = done_out[row]
            _finish_runs(run_val, run_cnt, nruns, n, q, out, x_prev, x_next, prev_rank,
                         next_rank, gamma)
            if moments:
                _float_moments(sorted_vals, n, out, npct)
        elif histograms:
            for k in range(nruns):
                ent_seg[nent] = ids[i]
                ent_val[nent] = run_val[k]
                ent_cnt[nent] = run_cnt[k]
                nent += 1
        else:
            for k in range(sorted_vals.size):
                ent_seg[nent] = ids[i]
                ent_val[nent] = sorted_vals[k]
                ent_cnt[nent] = 1
                nent += 1
    return nent
