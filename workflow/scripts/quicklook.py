"""Snakemake job: quicklook PNGs of the scene and of the coloured segments."""

from shepcore.jobs import job_errors
from shepcore.quicklook import scene_with_boundaries, segments_coloured


def main(segments, mosaic, rgb_bands, scene_png, segments_png):
    """Write both quicklooks."""
    scene_with_boundaries(mosaic, segments, scene_png, rgb_bands)
    segments_coloured(segments, segments_png)


with job_errors(snakemake.log[0], "quicklook"):  # noqa: F821
    main(snakemake.input.segments, snakemake.input.mosaic,  # noqa: F821
         snakemake.params.rgb_bands, snakemake.output.scene,  # noqa: F821
         snakemake.output.segments)  # noqa: F821
