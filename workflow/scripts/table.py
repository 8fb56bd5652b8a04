"""Snakemake job: the per-segment table (Parquet or CSV) of the final raster."""

import sys

from shepcore.pipeline.errors import job_errors
from shepcore.products.table import write_table


def main(segments, out, kind):
    """Write the RAT of ``segments`` as a table."""
    n = write_table(segments, out, kind)
    print(f"{n} rows -> {out}", file=sys.stderr)


with job_errors(snakemake.log[0], "table"):
    main(snakemake.input[0], snakemake.output[0], snakemake.wildcards.table_ext)
