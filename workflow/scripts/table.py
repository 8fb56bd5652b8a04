"""Snakemake job: the per-segment table (Parquet or CSV) of the final raster."""

import sys

from shepcore.attributes import write_table
from shepcore.jobs import job_errors


def main(segments, out, kind):
    """Write the RAT of ``segments`` as a table."""
    n = write_table(segments, out, kind)
    print(f"{n} rows -> {out}", file=sys.stderr)


with job_errors(snakemake.log[0], "table"):  # noqa: F821
    main(snakemake.input[0], snakemake.output[0],  # noqa: F821
         snakemake.wildcards.table_ext)  # noqa: F821
