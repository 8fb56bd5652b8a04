"""Snakemake job: fit the scene's spectral model on a strided sample of the
full-resolution mosaic."""

import sys

from shepcore import fit_model
from shepcore.io import read_grid_sample
from shepcore.jobs import job_errors
from shepcore.model import NoValidPixelsError


def main(mosaic, out, num_clusters, max_spectral_diff, spectral_diff_percentile,
         fixed_init, seed, sample_pixels, nodata):
    """Sample ``mosaic`` on a regular grid, fit k-means, save to ``out``."""
    samples = read_grid_sample(mosaic, sample_pixels)
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

with job_errors(snakemake.log[0], f"fit_model {snakemake.wildcards.scene}"):  # noqa: F821
    main(snakemake.input.mosaic, snakemake.output[0], **snakemake.params.model)  # noqa: F821
