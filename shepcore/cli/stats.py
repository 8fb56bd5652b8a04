"""``shepcore stats SEGMENTS IMAGE``: the attribute stage on any pair of
rasters on one grid."""

import sys
import time

from . import add_format, int_list, number, output_format

#: Defaults as the workflow's stats section.
STATISTICS = ["count", "mean", "stddev", "min", "max", "median", "p10", "p90"]
SPATIAL = ["area", "centroid", "bbox", "edge_pixels"]
SPATIAL_CHOICES = ("pixel_count", "area", "centroid", "bbox", "edge_pixels")


def add_parser(sub):
    p = sub.add_parser(
        "stats", help="per-segment statistics of an image into a RAT and/or a table",
        description="Exact per-segment statistics of IMAGE's bands over SEGMENTS (same size, "
                    "geotransform and CRS), computed in memory-bounded windows. Writes a copy "
                    "of SEGMENTS with the statistics as RAT columns (--out) and/or a table "
                    "with one row per segment (--table). Columns: B{band}_{stat}, and the "
                    "spatial ones (area, centroid_x/_y, bbox_*, edge_pixels).")
    p.add_argument("segments", metavar="SEGMENTS", help="segment raster")
    p.add_argument("image", metavar="IMAGE", help="image on the same grid")
    p.add_argument("--out", metavar="OUT", help="new segment raster with the columns in its RAT")
    p.add_argument("--table", metavar="TABLE", help="table to write (.parquet or .csv)")
    p.add_argument("--bands", type=int_list, default=None, metavar="B,B,...",
                   help="1-based image bands (default: all)")
    p.add_argument("--stat", action="append", dest="stats", metavar="STAT",
                   help="count, mean, stddev, min, max, median, mode or pNN (any percentile, "
                        f"e.g. p90, p2.5); repeat for more (default: {' '.join(STATISTICS)})")
    p.add_argument("--spatial", action="append", choices=SPATIAL_CHOICES + ("none",),
                   help=f"spatial statistic, repeat for more (default: {' '.join(SPATIAL)}; "
                        "none for none)")
    p.add_argument("--nodata", type=number, default=None,
                   help="null value of every band (default: each band's own)")
    p.add_argument("--missing-value", type=number, default=-9999,
                   help="value of a statistic for a segment without valid pixels")
    p.add_argument("--memory-mb", type=float, default=512, help="working-memory budget")
    add_format(p)
    p.set_defaults(run=run)


def run(args):
    from ..stats.api import segment_statistics, write_segment_statistics

    if not args.out and not args.table:
        raise ValueError("nothing to write: give --out OUT (raster) and/or --table TABLE")
    kind = None
    if args.table:
        from ..products.table import table_kind

        kind = table_kind(args.table)
    spatial = SPATIAL if args.spatial is None else [s for s in args.spatial if s != "none"]
    options = dict(bands=args.bands, statistics=args.stats or STATISTICS, spatial=spatial,
                   nodata=args.nodata, missing_value=args.missing_value,
                   memory_mb=args.memory_mb)
    t0 = time.perf_counter()
    print(f"statistics of {args.image} over {args.segments}", file=sys.stderr)
    from ..products.table import write_columns, write_table

    if args.out:
        fmt = output_format(args.out, args.format)
        write_segment_statistics(args.segments, args.image, args.out, fmt=fmt, **options)
        print(f"{args.out}: statistics in the RAT", file=sys.stderr)
        if args.table:
            n = write_table(args.out, args.table, kind)
    else:
        columns = segment_statistics(args.segments, args.image, **options)
        n = write_columns(columns, args.table, kind)
    written = ", ".join(p for p in (args.out, args.table) if p)
    tail = f"{n} rows, " if args.table else ""
    print(f"{written}: {tail}{time.perf_counter() - t0:.1f} s")
