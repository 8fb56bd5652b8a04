"""Snakemake job: relabel every tile core and write the stitched raster."""

import sys

from shepcore.pipeline.errors import job_errors
from shepcore.pipeline.stitch import assemble_scene


def main(label_files, lut, mosaic, tiles, out):
    """Write the seamless segment raster ``out`` (HFA)."""
    n = assemble_scene(label_files, lut, mosaic, tiles, out)
    print(f"wrote {out}: {n} segments", file=sys.stderr)


with job_errors(snakemake.log[0], "assemble"):
    main(snakemake.input.labels, snakemake.input.lut, snakemake.input.mosaic,
         snakemake.params.tiles, snakemake.output[0])
