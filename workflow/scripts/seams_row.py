"""Snakemake job: match segments across the seams of one tile row."""

import sys

from shepcore.pipeline.errors import job_errors
from shepcore.pipeline.stitch import row_seams_to_file


def main(label_files, pieces_files, tiles, row, out):
    """Write the (M, 4) join table of tile row ``row`` to ``out``."""
    n = row_seams_to_file(label_files, pieces_files, tiles, row, out)
    print(f"{row}: {n} joins", file=sys.stderr)


with job_errors(snakemake.log[0], "seams_row"):
    main(snakemake.input.labels, snakemake.input.pieces, snakemake.params.tiles,
         snakemake.wildcards.row, snakemake.output[0])
