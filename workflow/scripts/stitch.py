"""Snakemake job: join segments across all seams, repair the seams (every
segment one connected piece) and number the segments 1..N."""

import sys

from shepcore.pipeline.errors import job_errors
from shepcore.pipeline.stitch import stitch_to_file


def main(seam_files, pieces_files, model, tiles, out, report, min_segment_size,
         connectivity):
    """Write the final-ID lookup table and the seam report of the scene."""
    n = stitch_to_file(seam_files, pieces_files, model, tiles, out, report,
                       min_segment_size=min_segment_size, connectivity=connectivity)
    print(f"{n} segments", file=sys.stderr)


with job_errors(snakemake.log[0], "stitch"):
    main(snakemake.input.seams, snakemake.input.pieces, snakemake.input.model,
         snakemake.params.tiles, snakemake.output.lut, snakemake.output.report,
         **snakemake.params.seg)
