"""``shepcore colour SEGMENTS OUT``: a new colour table for a segment raster."""

from . import add_format, int_list, output_format


def add_parser(sub):
    p = sub.add_parser(
        "colour", help="colour a segment raster (from band means, or random)",
        description="Write a copy of SEGMENTS with a colour table in its RAT (Red, Green, "
                    "Blue, Alpha columns; an existing one is replaced; row 0 transparent). "
                    "stats: the segments' mean colours of three bands, each stretched from "
                    "its 5th to 95th percentile, so the segments look like the scene (means "
                    "from the RAT's B{band}_mean columns, else computed from --image). "
                    "random: reproducible random colours, neighbours kept apart. A GeoTIFF "
                    "or COG cannot hold a colour table for uint32 IDs: OUT.clr (gdaldem "
                    "color-relief, QGIS) and OUT.qml (QGIS style) are written beside it.")
    p.add_argument("segments", metavar="SEGMENTS", help="segment raster")
    p.add_argument("output", metavar="OUT", help="new segment raster (.img or .tif)")
    p.add_argument("--mode", choices=("stats", "random"), default="stats")
    p.add_argument("--image", metavar="IMAGE", help="image on the same grid (stats mode, when "
                   "SEGMENTS has no mean columns)")
    p.add_argument("--rgb-bands", type=int_list, default=None, metavar="R,G,B",
                   help="three 1-based bands of IMAGE (or B{band}_mean columns) shown as red, "
                        "green, blue (default: the first three)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random colours")
    add_format(p)
    p.set_defaults(run=run)


def run(args):
    from ..products.colour import colour_raster
    from ..raster.write import NO_COLOUR_TABLE

    fmt = output_format(args.output, args.format)
    n = colour_raster(args.segments, args.output, args.mode, image=args.image,
                      rgb_bands=args.rgb_bands, seed=args.seed, fmt=fmt)
    extra = ""
    if fmt in NO_COLOUR_TABLE:
        from ..products.colour_sidecars import write_colour_sidecars

        extra = " (colour table also in " + ", ".join(write_colour_sidecars(args.output)) + ")"
    print(f"{args.output}: {n} segments coloured ({args.mode}){extra}")
