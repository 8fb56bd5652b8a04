"""Snakemake job: partial per-segment statistics of one tile row's strip."""

import sys

from shepcore.attributes import partial_stats_to_dir
from shepcore.jobs import job_errors


def main(stitched, mosaic, window, settings, nbands, out_dir):
    """Write the strip's partial statistics into ``out_dir``."""
    n = partial_stats_to_dir(stitched, mosaic, window, settings, nbands, out_dir)
    print(f"{n} partial(s) for window {window}", file=sys.stderr)


with job_errors(snakemake.log[0], f"stats_part {snakemake.wildcards.row}"):  # noqa: F821
    main(snakemake.input.stitched, snakemake.input.mosaic,  # noqa: F821
         snakemake.params.window, snakemake.params.settings,  # noqa: F821
         snakemake.params.nbands, snakemake.output[0])  # noqa: F821
