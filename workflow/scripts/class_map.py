"""Snakemake job: the class raster (colour table, class names in its RAT)."""

import sys

from shepcore.pipeline.classify import class_map_job
from shepcore.pipeline.errors import job_errors


def main(segments, predictions, model, params, fmt, out):
    """Write the class map."""
    pixels = class_map_job(segments, predictions, model, params, fmt, out)
    print(f"pixels per class: {pixels} -> {out}", file=sys.stderr)


with job_errors(snakemake.log[0], "class_map"):
    main(snakemake.input.segments, snakemake.input.predictions, snakemake.input.model,
         snakemake.params.classification, snakemake.params.fmt, snakemake.output[0])
