"""Snakemake job: write the scene's summary.json."""

from shepcore.jobs import job_errors
from shepcore.tilefiles import write_summary


def main(segments, lut, model, settings, tiles, out):
    """Summarise the run: segments, tiles, parameters, model path."""
    write_summary(segments, lut, model, settings, tiles, out)

with job_errors(snakemake.log[0], "summary"):  # noqa: F821
    main(snakemake.input.segments, snakemake.input.lut, snakemake.input.model,  # noqa: F821
         snakemake.params.settings, snakemake.params.tiles, snakemake.output[0])  # noqa: F821
