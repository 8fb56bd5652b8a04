"""Numba compilation options, kept in one place.

``cache=True`` writes compiled kernels next to their source (or under
``NUMBA_CACHE_DIR``) so that a new process, e.g. one Snakemake job, loads
them instead of compiling again. ``fastmath`` stays off: it would let LLVM
reorder floating-point sums and treat NaN loosely, and results must be
byte-identical whatever the thread count.
"""

import os

# OpenMP threads (numba's default threading layer, scikit-learn, OpenBLAS)
# spin while they wait. When several jobs share the cores, as Snakemake runs
# them, spinning threads starve the others: measured here, k-means took 4.3 s
# with spinning and 1.4 s with passive waiting on a loaded 2-core machine.
# Must be set before the OpenMP runtime loads; the user's setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

JIT = {"cache": True, "nogil": True, "fastmath": False}
JIT_PARALLEL = {**JIT, "parallel": True}

#: Work items per parallel chunk. A constant, never derived from the thread
#: count, so that chunked reductions add in the same order on any machine.
CHUNK = 16384
