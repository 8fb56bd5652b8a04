"""Snakemake job: cut one row of tiles (overlap included) out of the mosaic,
one .npy (bands, rows, cols) per tile."""

import os

from shepcore.io import read_raster
from shepcore.jobs import job_errors
from shepcore.tilefiles import save_array


def main(mosaic, tiles, out_dir):
    """Write ``{out_dir}/{tile}.npy`` for every tile dict in ``tiles``."""
    os.makedirs(out_dir, exist_ok=True)
    for t in tiles:
        image, _ = read_raster(mosaic, window=(t["row"], t["col"], t["rows"], t["cols"]))
        save_array(f"{out_dir}/{t['name']}.npy", image)

with job_errors(snakemake.log[0], "split_row"):  # noqa: F821
    main(snakemake.input.mosaic, snakemake.params.tiles, snakemake.output[0])  # noqa: F821
