"""The null-pixel rule, in one place: a value is null when it equals the
nodata value or is not finite (NaN, +-inf); a pixel is null when any of
its bands is. The comparison is in the band's own type, as GDAL's masks
do: a float32 band's nodata -9999.9 matches the float32 value nearest to
it. (The numba kernels apply the same rule inline, in float64, on the
nodata value that :func:`nodata_in` gives.)"""

import numpy as np


def nodata_in(dtype, nodata):
    """``nodata`` as a value of ``dtype`` holds it (None stays None): a
    float32 image's pixels equal float32(nodata), not nodata itself."""
    if nodata is None or np.dtype(dtype).kind != "f" or not np.isfinite(nodata):
        return nodata
    return float(np.dtype(dtype).type(nodata))


def valid_values(values, nodata):
    """bool array, same shape as ``values`` (any numeric dtype): True where
    the value is not null. ``nodata`` None means no null value (NaN and
    infinities are still null)."""
    if values.dtype.kind == "f":
        valid = np.isfinite(values)
        if nodata is not None and np.isfinite(nodata):
            valid &= values != nodata
        return valid
    if nodata is None:
        return np.ones(values.shape, bool)
    return values != nodata


def valid_pixels(image, nodata):
    """(R, C) bool of an image (B, R, C): True where no band is null."""
    valid = np.ones(image.shape[1:], bool)
    for band in image:
        valid &= valid_values(band, nodata)
    return valid


def valid_samples(samples, nodata):
    """(N,) bool of pixel samples (N, B): True where no band is null (in the
    samples' own type)."""
    valid = np.ones(samples.shape[0], bool)
    for b in range(samples.shape[1]):
        valid &= valid_values(samples[:, b], nodata)
    return valid
