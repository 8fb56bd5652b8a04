"""Snakemake job: join segments across all seams and number them 1..N."""

import sys

from shepcore.pipeline.errors import job_errors
from shepcore.pipeline.stitch import stitch_to_file


def main(seam_files, core_files, out):
    """Write the final-ID lookup table of the scene to ``out``."""
    n = stitch_to_file(seam_files, core_files, out)
    print(f"{n} segments", file=sys.stderr)


with job_errors(snakemake.log[0], "stitch"):
    main(snakemake.input.seams, snakemake.input.cores, snakemake.output[0])
