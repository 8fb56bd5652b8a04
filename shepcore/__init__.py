"""shepcore: Shepherd et al. (2019) segmentation of large rasters.

Layers (docs/architecture.md): the in-memory core (this package's own
modules and ``_kernels/``) works on numpy arrays of shape (bands, rows,
cols); :mod:`shepcore.raster` reads and writes rasters with GDAL;
:mod:`shepcore.tiles` cuts a mosaic into tiles and joins them again;
:mod:`shepcore.stats` computes per-segment statistics;
:mod:`shepcore.products` makes colour tables, pictures, polygons, subsets
and tables; :mod:`shepcore.pipeline` holds the workflow's job steps.

Names are imported lazily (PEP 562), so a process that only needs, say,
:mod:`shepcore.raster` does not pay for importing numba or scikit-learn.
"""

import importlib

_PUBLIC = {
    "SegmentationResult": "shepcore.segmentation",
    "segment": "shepcore.segmentation",
    "SpectralModel": "shepcore.model",
    "fit_model": "shepcore.model",
    "segment_statistics": "shepcore.stats.api",
    "write_segment_statistics": "shepcore.stats.api",
    "partial_statistics": "shepcore.stats.partial",
    "combine_partials": "shepcore.stats.combine",
    "random_colours": "shepcore.products.colour",
    "stretch_colours": "shepcore.products.colour",
    "subset_segments": "shepcore.products.subset",
    "training_table": "shepcore.products.training",
    "fit_classifier": "shepcore.products.classify",
    "SegmentClassifier": "shepcore.products.classify",
    "classify_segments": "shepcore.products.classify",
    "cross_validate": "shepcore.products.accuracy",
    "write_class_map": "shepcore.products.classmap",
}

__all__ = sorted(_PUBLIC)
__version__ = "0.1.0"


def __getattr__(name):
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'shepcore' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
