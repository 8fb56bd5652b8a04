"""Cut a window out of a segment raster: segments renumbered 1..M, their RAT
columns carried over, and an ``original_id`` column.

Usage: python scripts/subset.py IN.img OUT.img ROW COL ROWS COLS
(pixel window: first row, first column, number of rows and columns)
"""

import argparse
import sys

from shepcore.products.subset import subset_segments
from shepcore.raster import RasterError


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 prog="scripts/subset.py")
    ap.add_argument("segments", help="input segment raster")
    ap.add_argument("out", help="output segment raster (.img or .tif)")
    # One positional per window value: argparse cannot format a tuple
    # metavar for a positional argument (the old --help crashed on it).
    for name, what in (("row", "first row"), ("col", "first column"),
                       ("rows", "number of rows"), ("cols", "number of columns")):
        ap.add_argument(name, type=int, metavar=name.upper(), help=f"window: {what}")
    args = ap.parse_args(argv)
    try:
        subset_segments(args.segments, (args.row, args.col, args.rows, args.cols), args.out)
    except (RasterError, ValueError, TypeError) as err:
        sys.exit(f"subset: error: {err}")
    print(args.out)


if __name__ == "__main__":
    main()
