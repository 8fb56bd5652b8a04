"""Snakemake job: write the scene's mosaic VRT."""

from shepcore.jobs import job_errors
from shepcore.mosaic import plan_mosaic, write_vrt


def main(inputs, stack_bands, bands, nodata, scene, out):
    """Plan the mosaic of ``inputs`` and write it to ``out``."""
    write_vrt(plan_mosaic(inputs, stack_bands, bands, nodata, scene=scene), out)

with job_errors(snakemake.log[0], "mosaic"):  # noqa: F821
    main(**snakemake.params.mosaic, scene=snakemake.wildcards.scene,  # noqa: F821
         out=snakemake.output[0])  # noqa: F821
