"""Snakemake job: write the scene's mosaic VRT."""

from shepcore.pipeline.errors import job_errors
from shepcore.pipeline.mosaic import write_mosaic

with job_errors(snakemake.log[0], "mosaic"):
    write_mosaic(**snakemake.params.mosaic, scene=snakemake.wildcards.scene,
                 out=snakemake.output[0])
