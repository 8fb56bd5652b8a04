"""Snakemake job: cut one row of tiles (overlap included) out of the mosaic,
one .npy (bands, rows, cols) per tile."""

import os
import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821

from shepcore.io import read_raster  # noqa: E402
from shepcore.tilefiles import save_array  # noqa: E402


def main(mosaic, tiles, out_dir):
    """Write ``{out_dir}/{tile}.npy`` for every tile dict in ``tiles``."""
    os.makedirs(out_dir, exist_ok=True)
    for t in tiles:
        image, _ = read_raster(mosaic, window=(t["row"], t["col"], t["rows"], t["cols"]))
        save_array(f"{out_dir}/{t['name']}.npy", image)


main(snakemake.input.mosaic, snakemake.params.tiles, snakemake.output[0])  # noqa: F821
