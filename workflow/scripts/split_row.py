"""Snakemake job: cut one row of tiles (overlap included) out of the mosaic,
one .npy (bands, rows, cols) per tile."""

from shepcore.pipeline.errors import job_errors
from shepcore.pipeline.tiles import split_row

with job_errors(snakemake.log[0], "split_row"):
    split_row(snakemake.input.mosaic, snakemake.params.tiles, snakemake.output[0])
