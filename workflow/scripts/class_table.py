"""Snakemake job: the per-segment class table (class, class_name,
class_probability; the row order of segments.parquet)."""

from shepcore.pipeline.classify import class_table_job
from shepcore.pipeline.errors import job_errors

with job_errors(snakemake.log[0], "class_table"):
    class_table_job(snakemake.input.predictions, snakemake.input.model, snakemake.output[0])
