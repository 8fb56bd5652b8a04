"""Snakemake job: fit the scene's spectral model on a strided sample of the
full-resolution mosaic."""

from shepcore.pipeline.errors import job_errors
from shepcore.pipeline.mosaic import fit_scene_model

with job_errors(snakemake.log[0], f"fit_model {snakemake.wildcards.scene}"):
    fit_scene_model(snakemake.input.mosaic, snakemake.output[0], **snakemake.params.model)
