"""Snakemake job: the colour table of a GeoTIFF / COG segment raster as
.clr (gdaldem, QGIS) and .qml (QGIS default style) beside it."""

import sys

from shepcore.pipeline.errors import job_errors
from shepcore.products.colour_sidecars import write_colour_sidecars


def main(segments, clr, qml):
    """Write both sidecars."""
    write_colour_sidecars(segments, clr, qml)
    print(f"colour table of {segments} -> {clr}, {qml}", file=sys.stderr)


with job_errors(snakemake.log[0], "colour_sidecars"):
    main(snakemake.input[0], snakemake.output.clr, snakemake.output.qml)
