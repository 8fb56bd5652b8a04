"""``shepcore classify SEGMENTS TRAINING OUT``: object-based classification
of a segment raster whose RAT holds statistics, from labelled points or
polygons, into a class raster (the workflow's classification stage in one
process)."""


def add_parser(sub):
    p = sub.add_parser(
        "classify", help="classify segments from training points or polygons",
        description="Label segments from a training vector (a point labels the segment "
                    "under it, a polygon the segments it covers by majority; another CRS "
                    "is reprojected), fit a classifier on their RAT features, classify "
                    "every segment and write the class raster OUT (uint8/uint16, colour "
                    "table, class names in its RAT). SEGMENTS needs statistics in its RAT "
                    "(from the workflow or 'shepcore stats --spatial edge_pixels ...').")
    p.add_argument("segments", metavar="SEGMENTS", help="segment raster with statistics")
    p.add_argument("training", metavar="TRAINING", help="vector file of labelled samples "
                   "(any format OGR reads: GeoPackage, GeoJSON, Shapefile, ...)")
    p.add_argument("output", metavar="OUT", help="class raster (.img or .tif)")
    p.add_argument("--class-field", required=True, help="attribute holding the class "
                   "(integer code or name)")
    p.add_argument("--layer", default=None, help="layer of TRAINING (default: the first)")
    p.add_argument("--features", default="default", help="comma-separated RAT columns "
                   "(and 'area', 'compactness'); default: every band statistic plus area "
                   "and compactness")
    p.add_argument("--classifier", choices=("random_forest", "gradient_boosting"),
                   default="random_forest")
    p.add_argument("--n-estimators", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--folds", type=int, default=5,
                   help="folds of the grouped cross-validation (each class needs as many "
                        "labelled segments)")
    p.add_argument("--table", default=None, help="also write the class of every segment "
                   "(segment_id, class, class_name, class_probability) as Parquet")
    p.add_argument("--accuracy", default=None, help="also write the cross-validated "
                   "accuracy as JSON (and its tables as .tsv beside it)")
    p.add_argument("--model", default=None, help="also save the fitted classifier (.pkl)")
    from . import add_format

    add_format(p)
    p.set_defaults(run=run)


def run(args):
    import os
    import sys
    import tempfile

    from ..products.accuracy import cross_validate, write_accuracy
    from ..products.classify import classify_segments, fit_classifier
    from ..products.classmap import write_class_map, write_class_table
    from ..products.training import training_table
    from . import output_format

    fmt = output_format(args.output, args.format)
    features = None if args.features == "default" else [
        f for f in args.features.replace(" ", "").split(",") if f]
    table, classes, features, report = training_table(
        args.segments, args.training, args.class_field, features, layer=args.layer,
        min_per_class=args.folds)
    print(f"training: {len(table['segment_id'])} labelled segments, {len(classes.codes)} "
          f"classes, {len(features)} features", file=sys.stderr)
    clf = fit_classifier(table, features, classes, args.classifier, args.n_estimators,
                         args.seed)
    if args.model:
        clf.save(args.model)
    out_dir = os.path.dirname(os.path.abspath(args.output))
    with tempfile.TemporaryDirectory(prefix=".classify-", dir=out_dir) as tmp:
        predictions = os.path.join(tmp, "predictions.parquet")
        n = classify_segments(args.segments, clf, predictions)
        pixels = write_class_map(args.segments, predictions, clf.classes, args.output, fmt)
        if args.table:
            write_class_table(predictions, clf.classes, args.table)
    tail = ""
    if args.accuracy:
        result = cross_validate(table, features, classes, args.folds, args.classifier,
                                args.n_estimators, args.seed)
        stem = os.path.splitext(args.accuracy)[0]
        write_accuracy(result, args.accuracy, f"{stem}_summary.tsv", f"{stem}_classes.tsv",
                       f"{stem}_confusion.tsv",
                       {"classes": classes.to_dict(), "features": features, "samples": report})
        tail = f"; cross-validated accuracy {result['overall_accuracy']:.3f}, kappa " \
               f"{result['kappa']:.3f}"
    total = max(sum(pixels.values()), 1)
    shares = ", ".join(f"{name} {100 * px / total:.1f} %" for name, px in pixels.items())
    print(f"{args.output}: {n} segments in {len(pixels)} classes ({shares}){tail}")
