"""Snakemake job: partial per-segment statistics of one tile row's strip."""

import sys

from shepcore.pipeline.attributes import partial_stats_to_dir
from shepcore.pipeline.errors import job_errors


def main(stitched, mosaic, window, settings, nbands, out_dir):
    """Write the strip's partial statistics into ``out_dir``."""
    n = partial_stats_to_dir(stitched, mosaic, window, settings, nbands, out_dir)
    print(f"{n} partial(s) for window {window}", file=sys.stderr)


with job_errors(snakemake.log[0], f"stats_part {snakemake.wildcards.row}"):
    main(snakemake.input.stitched, snakemake.input.mosaic, snakemake.params.window,
         snakemake.params.settings, snakemake.params.nbands, snakemake.output[0])
