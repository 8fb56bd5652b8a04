"""Private numba kernels. They trust their inputs: validation happens in the
public wrappers of :mod:`shepcore`."""
