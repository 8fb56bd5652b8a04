"""Snakemake job: fit the classifier on the training table and save it."""

import sys

from shepcore.pipeline.classify import train_job
from shepcore.pipeline.errors import job_errors


def main(table, params, out):
    """Fit and save the classifier."""
    clf = train_job(table, params, out)
    print(f"{clf.settings['classifier']} on {len(clf.features)} features, "
          f"{len(clf.classes)} classes -> {out}", file=sys.stderr)


with job_errors(snakemake.log[0], "train"):
    main(snakemake.input.table, snakemake.params.classification, snakemake.output[0])
