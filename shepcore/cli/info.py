"""``shepcore info SEGMENTS``: what a segment raster holds."""


def add_parser(sub):
    p = sub.add_parser(
        "info", help="segments, size distribution, RAT columns, CRS of a segment raster",
        description="Print the size, grid, CRS and storage of a segment raster, its number "
                    "of segments, their size distribution (from the Histogram RAT column) and "
                    "its RAT columns.")
    p.add_argument("segments", metavar="SEGMENTS", help="segment raster")
    p.add_argument("--json", action="store_true", help="print the facts as JSON")
    p.set_defaults(run=run)


def run(args):
    import json

    from ..products.info import info_lines, segment_info

    doc = segment_info(args.segments)
    print(json.dumps(doc, indent=1) if args.json else "\n".join(info_lines(doc)))
