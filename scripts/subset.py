"""Cut a window out of a segment raster: segments renumbered 1..M, their RAT
columns carried over, and an ``original_id`` column.

Usage: python scripts/subset.py IN.img OUT.img ROW COL ROWS COLS
(pixel window: first row, first column, number of rows and columns)
"""

import argparse
import sys

from shepcore.io import RasterError
from shepcore.subset import subset_segments


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("segments", help="input segment raster")
    ap.add_argument("out", help="output segment raster (.img or .tif)")
    ap.add_argument("window", nargs=4, type=int, metavar=("ROW", "COL", "ROWS", "COLS"))
    args = ap.parse_args(argv)
    try:
        subset_segments(args.segments, tuple(args.window), args.out)
    except (RasterError, ValueError, TypeError) as err:
        sys.exit(f"subset: error: {err}")
    print(args.out)


if __name__ == "__main__":
    main()
