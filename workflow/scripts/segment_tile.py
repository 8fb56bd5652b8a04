"""Snakemake job: segment one tile with the scene's model."""

import sys

from shepcore.jobs import job_errors
from shepcore.tilefiles import segment_tile_file


def main(tile_dir, model, mosaic, tile, labels_out, core_out, threads, min_segment_size,
         connectivity):
    """Segment ``{tile_dir}/{tile name}.npy``; write labels and core flags."""
    res = segment_tile_file(f"{tile_dir}/{tile['name']}.npy", model, tile, labels_out,
                            core_out, threads=threads, min_segment_size=min_segment_size,
                            connectivity=connectivity, mosaic=mosaic)
    print(f"{tile['name']}: {res.num_segments} segments; timings {res.timings}",
          file=sys.stderr)

with job_errors(snakemake.log[0], "segment_tile"):  # noqa: F821
    main(snakemake.input.tiles, snakemake.input.model, snakemake.input.mosaic,  # noqa: F821
         snakemake.params.tile,  # noqa: F821
         snakemake.output.labels, snakemake.output.core, snakemake.threads,  # noqa: F821
         **snakemake.params.seg)  # noqa: F821
