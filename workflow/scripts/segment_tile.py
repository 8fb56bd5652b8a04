"""Snakemake job: segment one tile of the mosaic with the scene's model."""

import sys

from shepcore.pipeline.errors import job_errors
from shepcore.pipeline.tiles import segment_tile_file


def main(mosaic, model, tile, grid, labels_out, pieces_out, threads, min_segment_size,
         connectivity):
    """Segment the tile's window of ``mosaic``; write labels and core pieces."""
    n, timings = segment_tile_file(mosaic, model, tile, grid, labels_out, pieces_out,
                                   threads=threads, min_segment_size=min_segment_size,
                                   connectivity=connectivity)
    stages = ", ".join(f"{k} {v:.2f} s" for k, v in timings.items())
    print(f"{tile.name}: {n} segments ({stages})", file=sys.stderr)


with job_errors(snakemake.log[0], "segment_tile"):
    main(snakemake.input.mosaic, snakemake.input.model, snakemake.params.tile,
         snakemake.params.grid, snakemake.output.labels, snakemake.output.pieces,
         snakemake.threads, **snakemake.params.seg)
