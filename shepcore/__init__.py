"""shepcore: Shepherd et al. (2019) segmentation of large rasters.

The in-memory core works on numpy arrays of shape (bands, rows, cols);
:mod:`shepcore.io` reads and writes rasters with GDAL.
"""

from .model import SpectralModel, fit_model
from .segment import SegmentationResult, segment

__all__ = ["SegmentationResult", "SpectralModel", "fit_model", "segment"]
__version__ = "0.1.0"
