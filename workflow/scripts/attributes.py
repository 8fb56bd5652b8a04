"""Snakemake job: the final segment raster with statistics and colour table."""

import sys

from shepcore.attributes import attribute_raster
from shepcore.jobs import job_errors


def main(stitched, part_dirs, settings, nbands, fmt, out):
    """Combine the partial statistics and write ``out``."""
    n = attribute_raster(stitched, part_dirs, settings, nbands, fmt, out)
    print(f"wrote {out}: {n} segments", file=sys.stderr)


with job_errors(snakemake.log[0], "attributes"):  # noqa: F821
    main(snakemake.input.stitched, snakemake.input.parts,  # noqa: F821
         snakemake.params.settings, snakemake.params.nbands,  # noqa: F821
         snakemake.params.fmt, snakemake.output[0])  # noqa: F821
