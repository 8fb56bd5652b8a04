"""Numba compilation options, kept in one place.

``cache=True`` writes compiled kernels next to their source (or under
``NUMBA_CACHE_DIR``) so that a new process, e.g. one Snakemake job, loads
them instead of compiling again. ``fastmath`` stays off: it would let LLVM
reorder floating-point sums and treat NaN loosely, and results must be
byte-identical whatever the thread count.
"""

import os
import sys

# OpenMP threads (numba's default threading layer, scikit-learn, OpenBLAS)
# spin while they wait. When several jobs share the cores, as Snakemake runs
# them, spinning threads starve the others: measured here, k-means took 4.3 s
# with spinning and 1.4 s with passive waiting on a loaded 2-core machine.
# Must be set before the OpenMP runtime loads; the user's setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _numba_without_scipy_blas():
    """Load numba's array lowering without importing scipy.linalg.

    At its first compilation or cache load numba imports numba.np.arraymath,
    which imports scipy.linalg (with numpy.f2py: ~0.2 s) only to find out
    whether BLAS is there for np.dot and np.linalg inside kernels. No
    shepcore kernel uses them, and every workflow job is a fresh process
    that would pay it (measured here: first cached kernel call 0.60 s ->
    0.40 s). So scipy.linalg is hidden while that module loads, and only if
    nothing imported it before; afterwards it imports normally (numba's own
    linear algebra stays unavailable in this process).
    """
    if "numba.np.arraymath" in sys.modules or "scipy.linalg" in sys.modules:
        return
    sys.modules["scipy.linalg"] = None
    try:
        import numba.np.arraymath  # noqa: F401
    finally:
        del sys.modules["scipy.linalg"]


_numba_without_scipy_blas()

JIT = {"cache": True, "nogil": True, "fastmath": False}
JIT_PARALLEL = {**JIT, "parallel": True}

#: Work items per parallel chunk. A constant, never derived from the thread
#: count, so that chunked reductions add in the same order on any machine.
CHUNK = 16384
