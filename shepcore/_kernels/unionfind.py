"""Union-find over integer node IDs, for joining segments across seams."""

import numpy as np
from numba import njit

from .._config import JIT


@njit(**JIT)
def root(parent, i):
    """Root of node ``i`` in the forest ``parent`` (roots point to
    themselves), compressing the path behind it."""
    top = i
    while parent[top] != top:
        top = parent[top]
    while parent[i] != top:
        nxt = parent[i]
        parent[i] = top
        i = nxt
    return top


@njit(**JIT)
def join(parent, a, b):
    """Join the sets of a and b; the smaller root becomes the root of both
    (so every non-root points to a smaller index)."""
    ra = root(parent, a)
    rb = root(parent, b)
    if ra < rb:
        parent[rb] = ra
    elif rb < ra:
        parent[ra] = rb


@njit(**JIT)
def join_and_number(num_nodes, pairs, keep):
    """Join node pairs and number the joined groups.

    num_nodes : int; pairs : (M, 2) int64 node IDs to join; keep : (num_nodes,)
    bool, nodes that must get an ID. Returns ids (num_nodes,) int64: groups
    numbered 1..N in order of their smallest kept node, 0 for nodes not kept.
    """
    parent = np.arange(num_nodes)
    for i in range(pairs.shape[0]):
        join(parent, pairs[i, 0], pairs[i, 1])
    group_id = np.zeros(num_nodes, np.int64)
    ids = np.zeros(num_nodes, np.int64)
    count = 0
    for n in range(num_nodes):
        if keep[n]:
            r = root(parent, n)
            if group_id[r] == 0:
                count += 1
                group_id[r] = count
            ids[n] = group_id[r]
    return ids
