"""Numba compilation options, kept in one place.

``cache=True`` writes compiled kernels next to their source (or under
``NUMBA_CACHE_DIR``) so that a new process, e.g. one Snakemake job, loads
them instead of compiling again. ``fastmath`` stays off: it would let LLVM
reorder floating-point sums and treat NaN loosely, and results must be
byte-identical whatever the thread count.
"""

JIT = {"cache": True, "nogil": True, "fastmath": False}
JIT_PARALLEL = {**JIT, "parallel": True}

#: Work items per parallel chunk. A constant, never derived from the thread
#: count, so that chunked reductions add in the same order on any machine.
CHUNK = 16384
