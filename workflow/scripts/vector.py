"""Snakemake job: one polygon per segment, with attributes, as GeoPackage
or GeoParquet (by the output's extension)."""

import sys

from shepcore._progress import percent_printer
from shepcore.pipeline.errors import job_errors
from shepcore.products.vector import polygonize


def main(segments, out):
    """Polygonize ``segments`` into ``out``, logging the share of rows traced."""
    n = polygonize(segments, out, progress=percent_printer(f"polygonize {segments}: rows"))
    print(f"{n} features -> {out}", file=sys.stderr)


with job_errors(snakemake.log[0], "vector"):
    main(snakemake.input[0], snakemake.output[0])
