"""Snakemake job: one polygon per segment, with attributes, as GeoPackage."""

import sys

from shepcore.pipeline.errors import job_errors
from shepcore.products.vector import polygonize


def main(segments, out):
    """Polygonize ``segments`` into ``out``."""
    n = polygonize(segments, out)
    print(f"{n} features -> {out}", file=sys.stderr)


with job_errors(snakemake.log[0], "vector"):
    main(snakemake.input[0], snakemake.output[0])
