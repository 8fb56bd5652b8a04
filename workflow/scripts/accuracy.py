"""Snakemake job: cross-validated accuracy (grouped by segment) of the
classifier settings, as accuracy.json and report tables."""

import sys

from shepcore.pipeline.classify import accuracy_job
from shepcore.pipeline.errors import job_errors


def main(table, report, params, out):
    """Cross-validate and write the accuracy report."""
    res = accuracy_job(table, report, params, out.json, out.summary, out.classes,
                       out.confusion)
    print(f"overall accuracy {res['overall_accuracy']:.4f}, kappa {res['kappa']:.4f} "
          f"({res['folds']} folds) -> {out.json}", file=sys.stderr)


with job_errors(snakemake.log[0], "accuracy"):
    main(snakemake.input.table, snakemake.input.report, snakemake.params.classification,
         snakemake.output)
