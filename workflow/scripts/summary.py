"""Snakemake job: write the scene's summary.json."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821

from shepcore.tilefiles import write_summary  # noqa: E402


def main(segments, lut, model, settings, tiles, out):
    """Summarise the run: segments, tiles, parameters, model path."""
    write_summary(segments, lut, model, settings, tiles, out)


main(snakemake.input.segments, snakemake.input.lut, snakemake.input.model,  # noqa: F821
     snakemake.params.settings, snakemake.params.tiles, snakemake.output[0])  # noqa: F821
