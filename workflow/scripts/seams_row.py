"""Snakemake job: match segments across the seams of one tile row."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821

from shepcore.tilefiles import row_seams_to_file  # noqa: E402


def main(label_files, tiles, row, out):
    """Write the (M, 4) join table of tile row ``row`` to ``out``."""
    n = row_seams_to_file(label_files, tiles, row, out)
    print(f"{row}: {n} joins", file=sys.stderr)


main(snakemake.input, snakemake.params.tiles, snakemake.wildcards.row,  # noqa: F821
     snakemake.output[0])  # noqa: F821
