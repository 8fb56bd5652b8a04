"""Checks at the public API boundary. Each raises a one-line ValueError or
TypeError naming the parameter and what was expected."""

import numbers

import numpy as np


def as_band_stack(image, name="image"):
    """Return ``image`` as a C-contiguous (B, R, C) array without copying
    when it already is one. A 2-D array is one band."""
    arr = np.asarray(image)
    if arr.dtype.kind not in "uif":
        raise TypeError(
            f"{name}: dtype {arr.dtype} is not supported; expected an integer "
            "or floating-point array"
        )
    if arr.ndim == 2:
        arr = arr[np.newaxis]
    if arr.ndim != 3:
        raise ValueError(
            f"{name}: expected a (bands, rows, cols) or (rows, cols) array, "
            f"got shape {np.shape(image)}"
        )
    if 0 in arr.shape:
        raise ValueError(f"{name}: array is empty, shape {arr.shape}")
    if arr.shape[1] * arr.shape[2] >= 2**32 - 1:
        raise ValueError(
            f"{name}: {arr.shape[1]} x {arr.shape[2]} pixels is too many for "
            "one in-memory segmentation (limit 2**32 - 2); use the tiled workflow"
        )
    if arr.dtype == np.float16:
        arr = arr.astype(np.float32)  # numba has no float16 arithmetic
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))  # numba needs native order
    return np.ascontiguousarray(arr)


def check_int(name, value, minimum, maximum=None):
    """Integer ``value`` within [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" and <= {maximum}"
        raise ValueError(f"{name} must be >= {minimum}{upper}, got {value}")
    return int(value)


def check_number(name, value, minimum, maximum, *, open_low=False):
    """Finite real ``value`` within [minimum, maximum] (or (minimum, ...])."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    too_low = value <= minimum if open_low else value < minimum
    if not np.isfinite(value) or too_low or value > maximum:
        low = "(" if open_low else "["
        raise ValueError(f"{name} must be in {low}{minimum}, {maximum}], got {value}")
    return value


def check_connectivity(connectivity):
    """4 or 8."""
    if connectivity not in (4, 8) or isinstance(connectivity, bool):
        raise ValueError(f"connectivity must be 4 or 8, got {connectivity!r}")
    return int(connectivity)


def check_nodata(nodata):
    """None or a real number (NaN allowed: NaN pixels are null anyway)."""
    if nodata is None:
        return None
    if isinstance(nodata, bool) or not isinstance(nodata, numbers.Real):
        raise TypeError(f"nodata must be a number or None, got {nodata!r}")
    return float(nodata)


def check_max_spectral_diff(value):
    """'auto', None (no limit) or a number >= 0."""
    if value is None or (isinstance(value, str) and value == "auto"):
        return value
    if isinstance(value, str):
        raise ValueError(
            f"max_spectral_diff must be 'auto', None or a number >= 0, got {value!r}"
        )
    return check_number("max_spectral_diff", value, 0.0, np.inf)
