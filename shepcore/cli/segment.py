"""``shepcore segment IN OUT``: segment a raster file without Snakemake."""

import argparse
import sys
import time

from . import add_format, int_list, number, output_format

#: --tiled auto: the tiled path for rasters of more than this many tiles'
#: worth of pixels (tile_size squared each).
AUTO_TILES = 4

HELP = """Segment a raster (any GDAL format) into a segment raster: uint32 IDs
1..N (0 = null), the input's georeferencing, a Histogram RAT column (pixel
counts) and nearest-neighbour overviews.

In memory (--tiled no): shepcore.segment() on the whole image, k-means
fitted on 1 % of the pixels. Tiled (--tiled yes): the workflow's tiled path
in one process (one model fitted on about --sample-pixels pixels, tiles of
--tile-size with --overlap, seams joined and repaired), giving the same
segments as the Snakemake workflow with the same settings. Both hold the
image in memory; for larger mosaics run the workflow."""


def add_parser(sub):
    p = sub.add_parser("segment", help="segment a raster file (in memory or tiled)",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", metavar="IN", help="input raster")
    p.add_argument("output", metavar="OUT", help="segment raster to write (.img or .tif)")
    p.add_argument("--bands", type=int_list, default=None, metavar="B,B,...",
                   help="1-based bands to segment, e.g. 4,3,2 (default: all)")
    p.add_argument("--nodata", type=number, default=None,
                   help="null value (default: the input's band 1 nodata); a pixel is null "
                        "when any band equals it; NaN and infinities always are")
    p.add_argument("--num-clusters", type=int, default=60, help="k of the k-means seeding")
    p.add_argument("--min-segment-size", type=int, default=50,
                   help="segments below this many pixels merge into a neighbour")
    p.add_argument("--max-spectral-diff", default="auto", metavar="auto|none|NUMBER",
                   help="merge limit between mean spectra, band units: auto (a percentile of "
                        "the distances between k-means centres), none, or a number")
    p.add_argument("--spectral-diff-percentile", type=float, default=None, metavar="P",
                   help="percentile used by auto (default 50)")
    p.add_argument("--connectivity", type=int, choices=(4, 8), default=4)
    p.add_argument("--fixed-init", action="store_true",
                   help="diagonal initial centres, one k-means run, no randomness")
    p.add_argument("--seed", type=int, default=0, help="seed of k-means++")
    add_format(p)
    g = p.add_argument_group("tiled path")
    g.add_argument("--tiled", nargs="?", const="yes", default="auto",
                   choices=("auto", "yes", "no"),
                   help=f"yes: tiled path; no: in memory; auto (default): tiled when the "
                        f"raster has more than {AUTO_TILES} tiles of pixels")
    g.add_argument("--tile-size", type=int, default=4096, help="tile side, overlap included")
    g.add_argument("--overlap", type=int, default=1024, help="pixels shared by neighbours")
    g.add_argument("--sample-pixels", type=int, default=1_000_000,
                   help="about this many pixels fit k-means (tiled path)")
    p.set_defaults(run=run)


def _limit(text):
    if str(text).lower() in ("auto", "none", "null"):
        return None if str(text).lower() != "auto" else "auto"
    return number(text)


def run(args):
    from .. import raster

    fmt = output_format(args.output, args.format)
    limit = _limit(args.max_spectral_diff)
    info = raster.raster_info(args.input)
    tiled = args.tiled == "yes" or (
        args.tiled == "auto" and info.rows * info.cols > AUTO_TILES * args.tile_size**2)
    t0 = time.perf_counter()
    image, nodata = raster.read_raster(args.input, bands=args.bands)
    nodata = args.nodata if args.nodata is not None else nodata
    print(f"read {args.input}: {image.shape[0]} band(s), {image.shape[1]} x {image.shape[2]} "
          f"pixels, nodata {nodata}: {time.perf_counter() - t0:.2f} s", file=sys.stderr)
    fit = dict(num_clusters=args.num_clusters, max_spectral_diff=limit,
               spectral_diff_percentile=args.spectral_diff_percentile,
               fixed_init=args.fixed_init, seed=args.seed)
    t1 = time.perf_counter()
    if tiled:
        from ..tiles.inmemory import segment_tiled

        res = segment_tiled(image, tile_size=args.tile_size, overlap=args.overlap,
                            min_segment_size=args.min_segment_size,
                            connectivity=args.connectivity, nodata=nodata,
                            sample_pixels=args.sample_pixels, **fit)
        labels, n = res.labels, res.num_segments
        how = f"tiled, {len(res.tiles)} tiles of {args.tile_size} / overlap {args.overlap}"
    else:
        from ..segmentation import segment

        res = segment(image, min_segment_size=args.min_segment_size,
                      connectivity=args.connectivity, nodata=nodata, **fit)
        labels, n = res.labels, res.num_segments
        how = "in memory"
        print("stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in res.timings.items()),
              file=sys.stderr)
    print(f"segmented ({how}): {n} segments in {time.perf_counter() - t1:.2f} s",
          file=sys.stderr)
    del image
    raster.write_segments(args.output, labels, like=info, fmt=fmt)
    print(f"{args.output}: {n} segments ({how}, {fmt}), {time.perf_counter() - t0:.1f} s")
