"""GDAL's process-wide state, owned in one place.

GDAL keeps global settings: whether errors raise, the block-cache size and
configuration options such as ``OGR_CURRENT_DATE``. Every use of GDAL in
shepcore goes through :func:`gdal_env`, which sets what a block needs and
restores the caller's settings afterwards, even when the block fails
(rasterio's ``Env`` is the model). GDAL failures inside it become one-line
:class:`RasterError` messages naming the file.
"""

import contextlib
import os

_GDAL = None

#: Block cache of a workflow job, MB: GDAL's default (5 % of RAM) would let
#: a job's memory grow with the raster.
JOB_CACHE_MB = 128


class RasterError(ValueError):
    """A raster cannot be read or written; the message names the file."""


def gdal():
    """The osgeo.gdal module, imported on first use (it costs ~0.1 s)."""
    global _GDAL
    if _GDAL is None:
        from osgeo import gdal as _g

        _GDAL = _g
    return _GDAL


@contextlib.contextmanager
def gdal_env(path="", *, cache_bytes=None, options=None, map_errors=True):
    """GDAL with exceptions on, for one block.

    Parameters
    ----------
    path : str
        Named in the RasterError that a GDAL failure becomes.
    cache_bytes : int or None
        GDAL block-cache size for the block, bytes.
    options : dict of str to str, optional
        GDAL configuration options for the block; a value the caller already
        set is kept.
    map_errors : bool
        Turn RuntimeErrors (GDAL failures) raised in the block into
        RasterErrors. False for a long-lived block that runs the caller's
        code (e.g. a writer's lifetime), whose own errors must pass unchanged.

    Yields
    ------
    the osgeo.gdal module
    """
    g = gdal()
    was_on = g.GetUseExceptions()
    old_cache = g.GetCacheMax()
    old_options = {k: g.GetConfigOption(k) for k in (options or {})}
    g.UseExceptions()
    try:
        if cache_bytes is not None:
            g.SetCacheMax(int(cache_bytes))
        for key, value in (options or {}).items():
            g.SetConfigOption(key, old_options[key] or value)
        yield g
    except RuntimeError as err:
        if not map_errors:
            raise
        msg = str(err).strip().splitlines()[0] if str(err).strip() else "GDAL error"
        raise RasterError(f"{path}: {msg}") from None
    finally:
        for key, value in old_options.items():
            g.SetConfigOption(key, value)
        if cache_bytes is not None:
            g.SetCacheMax(old_cache)
        if not was_on:
            g.DontUseExceptions()


def limit_job_cache(mb=JOB_CACHE_MB):
    """Cap GDAL's block cache of this process at ``mb`` MB unless the user
    set ``GDAL_CACHEMAX``. Call before GDAL is first used: GDAL reads the
    setting when it allocates its cache; no GDAL import here."""
    os.environ.setdefault("GDAL_CACHEMAX", str(int(mb)))
