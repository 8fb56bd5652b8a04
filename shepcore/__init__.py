"""shepcore: Shepherd et al. (2019) segmentation of large rasters.

The in-memory core works on numpy arrays of shape (bands, rows, cols);
:mod:`shepcore.io` reads and writes rasters with GDAL, :mod:`shepcore.tiling`
and :mod:`shepcore.stitch` cut a mosaic into tiles and join them again.

Names are imported lazily (PEP 562), so a process that only needs, say,
:mod:`shepcore.io` does not pay for importing numba or scikit-learn.
"""

import importlib

_PUBLIC = {
    "SegmentationResult": "shepcore.segmentation",
    "segment": "shepcore.segmentation",
    "SpectralModel": "shepcore.model",
    "fit_model": "shepcore.model",
    "segment_statistics": "shepcore.stats",
    "partial_statistics": "shepcore.stats",
    "combine_partials": "shepcore.stats",
    "write_segment_statistics": "shepcore.stats",
    "random_colours": "shepcore.colour",
    "stretch_colours": "shepcore.colour",
    "subset_segments": "shepcore.subset",
}

__all__ = sorted(_PUBLIC)
__version__ = "0.1.0"


def __getattr__(name):
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'shepcore' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
