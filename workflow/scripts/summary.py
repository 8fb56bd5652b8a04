"""Snakemake job: summary.json and the report tables (HTML) of a scene."""

import sys

from shepcore.pipeline.errors import job_errors
from shepcore.products.summary import write_summary

with job_errors(snakemake.log[0], "summary"):
    write_summary(snakemake.input.segments, snakemake.input.model, snakemake.params.settings,
                  snakemake.params.tiles, snakemake.output.summary, snakemake.output.params,
                  snakemake.output.sizes, seams_report=snakemake.input.seams)
    print(f"wrote {snakemake.output.summary}, {snakemake.output.params}, "
          f"{snakemake.output.sizes}", file=sys.stderr)
