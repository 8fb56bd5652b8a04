"""Snakemake job: write the scene's mosaic VRT."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821

from shepcore.mosaic import plan_mosaic, write_vrt  # noqa: E402


def main(inputs, stack_bands, bands, nodata, scene, out):
    """Plan the mosaic of ``inputs`` and write it to ``out``."""
    write_vrt(plan_mosaic(inputs, stack_bands, bands, nodata, scene=scene), out)


main(**snakemake.params.mosaic, scene=snakemake.wildcards.scene,  # noqa: F821
     out=snakemake.output[0])  # noqa: F821
