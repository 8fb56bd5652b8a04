"""Snakemake job: the class of every segment, in chunks of RAT rows."""

import sys

from shepcore.pipeline.classify import classify_job
from shepcore.pipeline.errors import job_errors


def main(segments, model, out):
    """Classify every segment."""
    n = classify_job(segments, model, out)
    print(f"{n} segments classified -> {out}", file=sys.stderr)


with job_errors(snakemake.log[0], "classify"):
    main(snakemake.input.segments, snakemake.input.model, snakemake.output[0])
