"""``shepcore subset IN OUT``: part of a segment raster as a new one."""

import sys

from . import add_format, number, output_format


def add_parser(sub):
    p = sub.add_parser(
        "subset", help="cut a window, a map box or the segments under a mask",
        description="Write part of a segment raster as a new segment raster: segments "
                    "renumbered 1..M (in ascending original ID), their RAT columns carried "
                    "over (describing the whole original segment), an original_id column, "
                    "the Histogram recounted. Exactly one of --window, --bounds, --mask.")
    p.add_argument("input", metavar="IN", help="segment raster")
    p.add_argument("output", metavar="OUT", help="new segment raster (.img or .tif)")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--window", nargs=4, type=int, metavar=("ROW", "COL", "ROWS", "COLS"),
                     help="pixel window: first row, first column, number of rows and columns")
    how.add_argument("--bounds", nargs=4, type=number,
                     metavar=("XMIN", "YMIN", "XMAX", "YMAX"),
                     help="box in map units (the raster's CRS); every pixel it touches")
    how.add_argument("--mask", metavar="MASK",
                     help="raster on the same grid: the whole segments having a pixel where "
                          "its band 1 is non-zero (and not nodata), cut to their bounding "
                          "window; other segments there become null")
    p.add_argument("--id-column", default="original_id", help="name of the original-ID column")
    add_format(p)
    p.set_defaults(run=run)


def run(args):
    from ..products import subset

    fmt = output_format(args.output, args.format)
    options = dict(id_column=args.id_column, fmt=fmt)
    if args.window:
        m = subset.subset_segments(args.input, args.window, args.output, **options)
        what = f"window {tuple(args.window)}"
    elif args.bounds:
        m = subset.subset_by_bounds(args.input, args.bounds, args.output, **options)
        what = f"bounds {tuple(args.bounds)}"
    else:
        m = subset.subset_by_mask(args.input, args.mask, args.output, **options)
        what = f"mask {args.mask}"
    print(f"subset of {args.input} by {what}", file=sys.stderr)
    print(f"{args.output}: {m} segments")
