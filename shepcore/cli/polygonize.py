"""``shepcore polygonize SEGMENTS OUT``: one polygon per segment."""


def add_parser(sub):
    p = sub.add_parser(
        "polygonize", help="polygons with attributes as GeoPackage or GeoParquet",
        description="Write one feature per segment: a valid (Multi)Polygon traced along "
                    "pixel edges (4-connected, as gdal_polygonize), with segment_id and "
                    "every RAT column as attributes, in ascending segment ID. OUT.gpkg: "
                    "GeoPackage with a spatial index (bounded memory); OUT.parquet: "
                    "GeoParquet (WKB, CRS in the geo metadata) through geopandas.")
    p.add_argument("segments", metavar="SEGMENTS", help="segment raster")
    p.add_argument("output", metavar="OUT", help="OUT.gpkg or OUT.parquet")
    p.add_argument("--layer", default="segments", help="layer name (GeoPackage)")
    p.set_defaults(run=run)


def run(args):
    from .._progress import percent_printer
    from ..products.vector import polygonize, vector_kind

    vector_kind(args.output)
    n = polygonize(args.segments, args.output, layer=args.layer,
                   progress=percent_printer(f"polygonize {args.segments}: rows"))
    print(f"{args.output}: {n} features")
