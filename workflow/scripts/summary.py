"""Snakemake job: summary.json and the report tables of a scene."""

from shepcore.attributes import write_summary
from shepcore.jobs import job_errors


def main(segments, model, settings, tiles, summary, params, sizes):
    """Summarise the run: segments, tiles, parameters, model path, sizes."""
    write_summary(segments, model, settings, tiles, summary, params, sizes)


with job_errors(snakemake.log[0], "summary"):  # noqa: F821
    main(snakemake.input.segments, snakemake.input.model,  # noqa: F821
         snakemake.params.settings, snakemake.params.tiles,  # noqa: F821
         snakemake.output.summary, snakemake.output.params,  # noqa: F821
         snakemake.output.sizes)  # noqa: F821
