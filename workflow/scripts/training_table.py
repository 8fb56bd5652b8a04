"""Snakemake job: the training table (segments labelled by the training
samples, with their features) and the sample report."""

import sys

from shepcore.pipeline.classify import training_table_job
from shepcore.pipeline.errors import job_errors


def main(segments, params, table, report):
    """Write the training table and its report."""
    rep = training_table_job(segments, params, table, report)
    print(f"{rep['segments_labelled']} labelled segments -> {table}", file=sys.stderr)


with job_errors(snakemake.log[0], "training_table"):
    main(snakemake.input.segments, snakemake.params.classification,
         snakemake.output.table, snakemake.output.report)
