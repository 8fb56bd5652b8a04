"""Sorted (segment, value) pairs and (segment, value, count) histogram
entries: sorting, merging sorted runs of several partials in bounded
chunks, and the per-segment state of the order-statistics stream
(percentiles, mode, moments in value order)."""

import numpy as np

from .._kernels import segstats as k


def _ordered_bits(values):
    """uint64 keys (< 2**32) ordered like ``values`` (dtype of <= 4 bytes)."""
    kind = values.dtype.kind
    if kind == "u":
        return values.astype(np.uint64)
    if kind == "i":
        return (values.astype(np.int64) + 2**31).astype(np.uint64)
    bits = values.astype(np.float32).view(np.uint32).astype(np.uint64)
    neg = (bits >> np.uint64(31)) != 0
    return np.where(neg, ~bits & np.uint64(0xFFFFFFFF), bits | np.uint64(0x80000000))


def _from_ordered_bits(keys, dtype):
    kind = dtype.kind
    if kind == "u":
        return keys.astype(dtype)
    if kind == "i":
        return (keys.astype(np.int64) - 2**31).astype(dtype)
    neg = (keys >> np.uint64(31)) == 0
    bits = np.where(neg, ~keys & np.uint64(0xFFFFFFFF), keys & np.uint64(0x7FFFFFFF))
    return bits.astype(np.uint32).view(np.float32).astype(dtype)


def sort_pairs(seg, val):
    """(seg, val) sorted by segment, then value."""
    if val.dtype.itemsize <= 4:
        key = (seg.astype(np.uint64) << np.uint64(32)) | _ordered_bits(val)
        key.sort()
        return ((key >> np.uint64(32)).astype(np.uint32),
                _from_ordered_bits(key & np.uint64(0xFFFFFFFF), val.dtype))
    order = np.lexsort((val, seg))
    return seg[order], val[order]


class OrderState:
    """Per-slot state of the order-statistics stream for ``n`` values each."""

    def __init__(self, n, qs, moments):
        self.n = n
        self.moments = bool(moments)
        size, npct = n.size, len(qs)
        q = np.true_divide(np.asarray(qs, np.float64), 100)
        nm1 = (n - 1).astype(np.float64)[:, None]
        virtual = nm1 * q[None, :]  # as numpy: (n - 1) * (q / 100)
        prev = np.floor(virtual)
        self.gamma = virtual - prev
        prev_rank = prev.astype(np.int64)
        next_rank = prev_rank + 1
        above = virtual >= nm1
        last = np.broadcast_to((n - 1)[:, None], prev_rank.shape)
        prev_rank[above] = last[above]
        next_rank[above] = last[above]
        prev_rank[n <= 0] = -1
        next_rank[n <= 0] = -1
        self.prev_rank, self.next_rank = prev_rank, next_rank
        self.x_prev = np.zeros((size, npct))
        self.x_next = np.zeros((size, npct))
        self.seen = np.zeros(size, np.int64)
        self.run_val = np.zeros(size)
        self.run_cnt = np.zeros(size, np.int64)
        self.best_val = np.zeros(size)
        self.best_cnt = np.zeros(size, np.int64)
        m = size if moments else 0
        self.acc = [np.zeros(m), np.zeros(m), np.zeros(m), np.zeros(m)]

    def feed_counts(self, idx, val, cnt):
        """Feed histogram entries: value val[j] (float64) cnt[j] (int64) times."""
        k.order_stream_counts(idx, val, cnt, self.prev_rank, self.next_rank, self.x_prev,
                              self.x_next, self.seen, self.run_val, self.run_cnt,
                              self.best_val, self.best_cnt)

    def feed(self, idx, val):
        k.order_stream(idx, val, self.prev_rank, self.next_rank, self.x_prev, self.x_next,
                       self.seen, self.run_val, self.run_cnt, self.best_val, self.best_cnt,
                       *self.acc, self.moments)

    def finish(self):
        """(S, P + 3) float64: percentiles, mode, mean, stddev (NaN if unset)."""
        size, npct = self.gamma.shape
        out = np.full((size, npct + 3), np.nan)
        k.order_finish(self.n, self.gamma, self.x_prev, self.x_next, self.run_val,
                       self.run_cnt, self.best_val, self.best_cnt, self.acc[0], self.acc[1],
                       self.acc[3], self.moments, out[:, :npct], out[:, npct],
                       out[:, npct + 1], out[:, npct + 2])
        return out


#: Fewest pairs read from one partial at a time while merging.
MIN_MERGE_READ = 256


def sort_entries(seg, val, *rest):
    """(seg, val, *rest) sorted by segment, then value (``rest``: arrays
    carried along, e.g. histogram counts)."""
    if not rest:
        return sort_pairs(seg, val)
    if val.dtype.itemsize <= 4:
        key = (seg.astype(np.uint64) << np.uint64(32)) | _ordered_bits(val)
        order = np.argsort(key, kind="stable")
    else:
        order = np.lexsort((val, seg))
    return (seg[order], val[order], *(r[order] for r in rest))


def merged_pairs(readers, budget):
    """Merge sorted (segment, value) runs of several partials in chunks of
    about ``budget`` pairs. readers: [(source, seg name, val name, start,
    stop)]. Yields (seg, val) sorted; equal pairs may straddle chunks.
    See :func:`merged_entries`."""
    return merged_entries([(r[0], (r[1], r[2]), r[3], r[4]) for r in readers], budget)


def merged_entries(readers, budget):
    """Merge runs of several partials sorted by (segment, value), in
    chunks of about ``budget`` entries. readers: [(source, names, start,
    stop)] with names (seg, val, *more): member names, the further members
    (e.g. histogram counts) carried along. Yields tuples of arrays, sorted;
    equal (segment, value) entries may straddle chunks.

    Each source keeps a buffer of up to ``budget / len(readers)`` entries
    (at least :data:`MIN_MERGE_READ`). Every round emits the entries up to
    the smallest last-buffered (segment, value) of the sources that have
    more to read, so that each entry is read once and the output stays
    sorted.
    """
    take = max(MIN_MERGE_READ, budget // max(1, len(readers)))
    pos = [r[2] for r in readers]
    bufs = [tuple(r[0].read(name, 0, 0) for name in r[1]) for r in readers]
    while True:
        bound = None
        for i, (src, names, _, stop) in enumerate(readers):
            arrays = bufs[i]
            if arrays[0].size < take // 2 and pos[i] < stop:
                end = min(stop, pos[i] + take - arrays[0].size)
                arrays = tuple(np.concatenate([x, src.read(name, pos[i], end)])
                               for x, name in zip(arrays, names, strict=True))
                bufs[i] = arrays
                pos[i] = end
            if pos[i] < stop:
                last = (int(arrays[0][-1]), arrays[1][-1])
                if bound is None or last < bound:
                    bound = last
        parts = []
        for i, arrays in enumerate(bufs):
            s, val = arrays[0], arrays[1]
            if bound is None:
                cnt = s.size
            else:
                i1 = int(np.searchsorted(s, bound[0], "left"))
                i2 = int(np.searchsorted(s, bound[0], "right"))
                cnt = i1 + int(np.searchsorted(val[i1:i2], bound[1], "right"))
            if cnt:
                parts.append(tuple(x[:cnt] for x in arrays))
                bufs[i] = tuple(x[cnt:] for x in arrays)
        if len(parts) == 1:
            yield parts[0]
        elif parts:
            yield sort_entries(*(np.concatenate(col) for col in zip(*parts, strict=True)))
        if bound is None:
            return
