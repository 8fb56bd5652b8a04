"""Snakemake job: the final segment raster with statistics and colour table."""

import sys

from shepcore.pipeline.attributes import attribute_raster
from shepcore.pipeline.errors import job_errors


def main(stitched, mosaic, part_dirs, windows, settings, nbands, fmt, out):
    """Combine the partial statistics and write ``out``."""
    n = attribute_raster(stitched, part_dirs, settings, nbands, fmt, out, mosaic, windows)
    print(f"wrote {out}: {n} segments", file=sys.stderr)


with job_errors(snakemake.log[0], "attributes"):
    main(snakemake.input.stitched, snakemake.input.mosaic, snakemake.input.parts,
         snakemake.params.windows, snakemake.params.settings, snakemake.params.nbands,
         snakemake.params.fmt, snakemake.output[0])
