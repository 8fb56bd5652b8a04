"""Snakemake job: quicklook PNGs of the scene and of the coloured segments."""

from shepcore.pipeline.errors import job_errors
from shepcore.products.quicklook import scene_with_boundaries, segments_coloured


def main(segments, mosaic, rgb_bands, scene_png, segments_png):
    """Write both quicklooks."""
    scene_with_boundaries(mosaic, segments, scene_png, rgb_bands)
    segments_coloured(segments, segments_png)


with job_errors(snakemake.log[0], "quicklook"):
    main(snakemake.input.segments, snakemake.input.mosaic, snakemake.params.rgb_bands,
         snakemake.output.scene, snakemake.output.segments)
