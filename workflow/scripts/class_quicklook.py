"""Snakemake job: quicklook PNG of the class map with a legend."""

from shepcore.pipeline.errors import job_errors
from shepcore.products.class_quicklook import class_quicklook

with job_errors(snakemake.log[0], "class_quicklook"):
    class_quicklook(snakemake.input[0], snakemake.output[0])
