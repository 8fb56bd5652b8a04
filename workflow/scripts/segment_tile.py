"""Snakemake job: segment one tile with the scene's model."""

import sys

from shepcore.pipeline.errors import job_errors
from shepcore.pipeline.tiles import segment_tile_file


def main(tile_dir, model, mosaic, tile, labels_out, core_out, threads, min_segment_size,
         connectivity):
    """Segment ``{tile_dir}/{tile name}.npy``; write labels and core flags."""
    res = segment_tile_file(f"{tile_dir}/{tile.name}.npy", model, tile, labels_out, core_out,
                            threads=threads, min_segment_size=min_segment_size,
                            connectivity=connectivity, mosaic=mosaic)
    print(f"{tile.name}: {res.num_segments} segments; timings {res.timings}", file=sys.stderr)


with job_errors(snakemake.log[0], "segment_tile"):
    main(snakemake.input.tiles, snakemake.input.model, snakemake.input.mosaic,
         snakemake.params.tile, snakemake.output.labels, snakemake.output.core,
         snakemake.threads, **snakemake.params.seg)
