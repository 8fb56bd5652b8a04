"""Snakemake job: quicklook PNGs of the scene (scene scale and a
full-resolution crop, with boundaries) and of the coloured segments."""

import sys

from shepcore.pipeline.errors import job_errors
from shepcore.products.quicklook import segments_coloured, write_quicklooks


def main(segments, mosaic, rgb_bands, scene_png, crop_png, segments_png):
    """Write the three quicklooks."""
    info = write_quicklooks(mosaic, segments, scene_png, crop_png, rgb_bands)
    print(f"{scene_png}: boundaries on {info['boundary_share']:.1%} of the picture",
          file=sys.stderr)
    print(f"{crop_png}: window {info['crop_window']} x{info['crop_zoom']}, boundaries on "
          f"{info['crop_boundary_share']:.1%}", file=sys.stderr)
    segments_coloured(segments, segments_png)
    print(f"{segments_png}: written", file=sys.stderr)


with job_errors(snakemake.log[0], "quicklook"):
    main(snakemake.input.segments, snakemake.input.mosaic, snakemake.params.rgb_bands,
         snakemake.output.scene, snakemake.output.crop, snakemake.output.segments)
