"""Jobs of rules/mosaic.smk: the scene's mosaic VRT and its spectral model."""

import sys

from ..model import NoValidPixelsError, fit_model
from ..raster.read import read_grid_sample
from ..raster.vrt import mosaic_layout, write_vrt


def write_mosaic(inputs, stack_bands, bands, nodata, scene, out):
    """Lay out the mosaic of ``inputs`` and write it as a VRT to ``out``."""
    layout = mosaic_layout(inputs, stack_bands, bands, nodata, scene=scene)
    write_vrt(layout, out)
    print(f"{scene}: mosaic of {len(inputs)} input(s), {layout.rows} x {layout.cols} pixels, "
          f"{layout.bands} band(s) -> {out}", file=sys.stderr)


def fit_scene_model(mosaic, out, *, num_clusters, max_spectral_diff, spectral_diff_percentile,
                    fixed_init, seed, sample_pixels, nodata):
    """Sample ``mosaic`` on a regular grid at full resolution, fit k-means,
    save the model to ``out``. Returns the SpectralModel."""
    samples = read_grid_sample(mosaic, sample_pixels, nodata=nodata)
    try:
        model = fit_model(samples, num_clusters=num_clusters, nodata=nodata,
                          max_spectral_diff=max_spectral_diff,
                          spectral_diff_percentile=spectral_diff_percentile,
                          fixed_init=fixed_init, seed=seed)
    except NoValidPixelsError:
        raise ValueError(f"{mosaic}: the scene has no non-null pixels (nodata={nodata})") from None
    model.save(out)
    print(f"fitted {model.num_clusters} centres on {model.info['num_samples']} samples, "
          f"max_spectral_diff {model.max_spectral_diff:.6g}", file=sys.stderr)
    return model
