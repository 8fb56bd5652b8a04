"""Snakemake job: join segments across all seams and number them 1..N."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821

from shepcore.tilefiles import stitch_to_file  # noqa: E402


def main(seam_files, core_files, out):
    """Write the final-ID lookup table of the scene to ``out``."""
    n = stitch_to_file(seam_files, core_files, out)
    print(f"{n} segments", file=sys.stderr)


main(snakemake.input.seams, snakemake.input.cores, snakemake.output[0])  # noqa: F821
