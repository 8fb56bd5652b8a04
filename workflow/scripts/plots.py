"""Snakemake job: the report plots of a scene (segment sizes, pixels per
tile, time per job), once every other job of the scene has finished."""

import sys

from shepcore.pipeline.errors import job_errors
from shepcore.pipeline.report import write_report_plots

with job_errors(snakemake.log[0], "plots"):
    write_report_plots(snakemake.params.segments, snakemake.params.tiles,
                       snakemake.params.benchmarks, snakemake.output.sizes,
                       snakemake.output.tiles, snakemake.output.times)
    print(f"wrote {snakemake.output.sizes}, {snakemake.output.tiles}, "
          f"{snakemake.output.times}", file=sys.stderr)
