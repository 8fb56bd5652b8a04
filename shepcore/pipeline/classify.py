"""Classification in the workflow: the ``classification`` settings of a
scene checked while Snakemake parses (one line, before any job), turned
into job parameters, and the job steps of ``rules/classify.smk``
(training table, train, classify, class map, accuracy). Heavy modules are
imported where they are used."""

import json

import numpy as np

from .._files import write_text_atomic


def enabled(settings):
    """True when the scene's settings name a training file."""
    return settings["classification"]["training"] is not None


def produced_columns(settings, nbands):
    """RAT columns the statistics of these settings give ``segments.img``
    (besides the colour table): ``Histogram``, ``B{band}_{stat}`` and the
    spatial columns."""
    from ..stats.spec import SPATIAL_GROUPS
    from .attributes import spatial_names, statistic_names, stats_band_list

    stats = statistic_names(settings)
    cols = ["Histogram"]
    cols += [name for s in spatial_names(settings) for name in SPATIAL_GROUPS.get(s, (s,))]
    cols += [f"B{b}_{s}" for b in stats_band_list(settings, nbands) for s in stats]
    return cols


def feature_list(settings, nbands):
    """The scene's features: the configured list, or for ``default`` every
    band statistic plus area and compactness (where the statistics give
    them)."""
    from ..products.features import default_features

    features = settings["classification"]["features"]
    if features == "default":
        return default_features(produced_columns(settings, nbands))
    return list(features)


#: The classification settings each rule uses (so that, say, a new seed
#: does not redo the training table, nor a new colour the classifier).
RULE_KEYS = {
    "training_table": ("training", "layer", "class_field", "class_names", "features", "folds"),
    "train": ("classifier", "n_estimators", "seed"),
    "class_map": ("colours",),
    "accuracy": ("classifier", "n_estimators", "seed", "folds"),
}


def rule_params(settings, nbands, rule):
    """The job parameters :data:`RULE_KEYS` gives ``rule``."""
    params = job_params(settings, nbands)
    return {k: params[k] for k in RULE_KEYS[rule]}


def job_params(settings, nbands):
    """All parameters of the classification jobs (plain values)."""
    c = settings["classification"]
    return {"training": c["training"], "layer": c["layer"], "class_field": c["class_field"],
            "class_names": {int(k): str(v) for k, v in (c["class_names"] or {}).items()},
            "colours": {str(k): list(v) for k, v in (c["colours"] or {}).items()},
            "features": feature_list(settings, nbands), "classifier": c["classifier"],
            "n_estimators": c["n_estimators"], "seed": c["seed"], "folds": c["folds"]}


def check_settings(scene, settings, mosaic):
    """Check a scene's classification settings against its training file
    and mosaic, reading the vector file only (no pixels).

    Raises ValueError with one line naming the config key: the training
    file missing or unreadable, ``class_field`` missing, a feature the
    statistics do not produce, no sample inside the raster, fewer than two
    classes inside it, a class with only points and fewer of them than
    ``folds`` (polygons may label any number of segments; the training
    table job checks segments per class), class names or colours that do
    not fit the classes.
    """
    from ..products.classes import class_colours, class_table
    from ..products.features import check_features
    from ..raster.env import RasterError
    from ..raster.rasterize import pixel_of
    from ..raster.vectors import POINT, FieldError, read_training_samples

    key = f"config key scenes/{scene}/classification"
    params = job_params(settings, mosaic.bands)
    check_features(params["features"], produced_columns(settings, mosaic.bands),
                   where=f"{key}/features")
    try:
        samples = read_training_samples(params["training"], params["class_field"],
                                        mosaic.projection, params["layer"])
    except FieldError as err:
        raise ValueError(f"{key}/class_field: {err}") from None
    except RasterError as err:
        raise ValueError(f"{key}/training: {err}") from None
    path = params["training"]
    if not len(samples):
        raise ValueError(f"{key}/training: {path}: no feature with a geometry and a class "
                         f"({samples.skipped['no_geometry']} without geometry, "
                         f"{samples.skipped['no_class']} without class)")
    inside = _inside(samples, mosaic, pixel_of, POINT)
    if not inside.any():
        raise ValueError(f"{key}/training: {path}: no training sample inside the raster "
                         f"({len(samples)} samples, all outside its extent"
                         f"{', reprojected' if samples.reprojected else ''})")
    labels = samples.labels[inside]
    try:
        classes = class_table(labels, params["class_names"])
        class_colours(classes, params["colours"])
    except ValueError as err:
        raise ValueError(f"{key}: {err}") from None
    if len(classes) < 2:
        raise ValueError(f"{key}/training: {path}: {len(classes)} class inside the raster "
                         f"({', '.join(classes.names)}); at least 2 needed")
    points_only = samples.kinds[inside] == POINT
    for value, name in zip(classes.values, classes.names, strict=True):
        mine = labels == value
        if points_only[mine].all() and mine.sum() < params["folds"]:
            raise ValueError(f"{key}/folds: class {name!r} has {int(mine.sum())} samples "
                             f"inside the raster, fewer than folds ({params['folds']})")


def _inside(samples, mosaic, pixel_of, point_kind):
    """(S,) bool: points inside the mosaic, polygons whose envelope meets it."""
    rows, cols = mosaic.rows, mosaic.cols
    is_point = samples.kinds == point_kind
    env = samples.envelopes
    xs = np.stack([env[:, 0], env[:, 0], env[:, 2], env[:, 2]], 1)
    ys = np.stack([env[:, 1], env[:, 3], env[:, 1], env[:, 3]], 1)
    r, c = pixel_of(mosaic.geotransform, xs, ys)
    with np.errstate(invalid="ignore"):
        point_in = (r[:, 0] >= 0) & (r[:, 0] < rows) & (c[:, 0] >= 0) & (c[:, 0] < cols)
        box_in = ((r.max(1) >= 0) & (r.min(1) < rows) & (c.max(1) >= 0)
                  & (c.min(1) < cols))
    return np.where(is_point, point_in, box_in)


# -- job steps ------------------------------------------------------------


def training_table_job(segments, params, out_table, out_report):
    """Training table (Parquet) and sample report (JSON) of a scene."""
    from ..products.training import save_training_table, training_table

    table, classes, features, report = training_table(
        segments, params["training"], params["class_field"], params["features"],
        layer=params["layer"], class_names=params["class_names"],
        min_per_class=params["folds"])
    save_training_table(out_table, table, classes, features, report)
    write_text_atomic(out_report, json.dumps(report, indent=1) + "\n")
    return report


def train_job(table_path, params, out_model):
    """Fit the scene's classifier on its training table and save it."""
    from ..products.classify import fit_classifier
    from ..products.training import load_training_table

    table, classes, features, _ = load_training_table(table_path)
    clf = fit_classifier(table, features, classes, params["classifier"],
                         params["n_estimators"], params["seed"])
    clf.save(out_model)
    return clf


def classify_job(segments, model_path, out):
    """Predict the class of every segment (chunked); returns the count."""
    from ..products.classify import SegmentClassifier, classify_segments

    return classify_segments(segments, SegmentClassifier.load(model_path), out)


def class_map_job(segments, predictions, model_path, params, fmt, out):
    """Class raster; returns pixels per class name."""
    from ..products.classify import load_classes
    from ..products.classmap import write_class_map

    return write_class_map(segments, predictions, load_classes(model_path), out, fmt,
                           params["colours"])


def class_table_job(predictions, model_path, out):
    """Per-segment class table (Parquet)."""
    from ..products.classify import load_classes
    from ..products.classmap import write_class_table

    write_class_table(predictions, load_classes(model_path), out)


def accuracy_job(table_path, report_path, params, out_json, out_summary, out_classes,
                 out_confusion):
    """Cross-validated accuracy of the scene's classifier settings."""
    from ..products.accuracy import cross_validate, write_accuracy
    from ..products.training import load_training_table

    table, classes, features, _ = load_training_table(table_path)
    result = cross_validate(table, features, classes, params["folds"],
                            params["classifier"], params["n_estimators"], params["seed"])
    with open(report_path) as f:
        samples = json.load(f)
    extra = {"classifier": {k: params[k] for k in ("classifier", "n_estimators", "seed")},
             "features": features, "classes": classes.to_dict(), "samples": samples}
    write_accuracy(result, out_json, out_summary, out_classes, out_confusion, extra)
    return result
