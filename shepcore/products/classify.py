"""Object-based classification: a scikit-learn classifier fitted on
per-segment features, saved with its feature list and classes, and
applied to every segment of a raster in chunks of RAT rows (bounded
memory for millions of segments).

Deterministic: the estimators are seeded, use one thread (``n_jobs=1``:
a random forest's parallel ``predict_proba`` sums its trees in thread
order, so its last bits would depend on the core count), and each
segment's prediction depends only on its own features, not on the chunk.
"""

import pickle
from dataclasses import dataclass

import numpy as np

from .._files import atomic_path
from .classes import ClassTable
from .features import feature_matrix, rat_feature_chunks

#: Classifiers by config name.
CLASSIFIERS = ("random_forest", "gradient_boosting")
#: Segments (RAT rows) per prediction chunk.
CHUNK_ROWS = 1 << 16
#: Tag of a saved classifier file.
FILE_FORMAT = "shepcore-segment-classifier/2"


def make_estimator(classifier="random_forest", n_estimators=100, seed=0):
    """An unfitted scikit-learn estimator: RandomForestClassifier or
    GradientBoostingClassifier with ``n_estimators`` trees, seeded, one
    thread."""
    if classifier == "random_forest":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=n_estimators, random_state=seed, n_jobs=1)
    if classifier == "gradient_boosting":
        from sklearn.ensemble import GradientBoostingClassifier

        return GradientBoostingClassifier(n_estimators=n_estimators, random_state=seed)
    raise ValueError(f"classifier: {classifier!r} is not one of {', '.join(CLASSIFIERS)}")


def one_thread():
    """Context: BLAS/OpenMP pools limited to one thread (threadpoolctl)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


def predict_codes(estimator, matrix):
    """(codes (n,) int64, probability (n,) float64) of the most probable
    class of each row (ties: the lowest code)."""
    with one_thread():
        proba = estimator.predict_proba(matrix)
    best = np.argmax(proba, axis=1)
    return (np.asarray(estimator.classes_, np.int64)[best],
            proba[np.arange(len(best)), best].astype(np.float64))


@dataclass
class SegmentClassifier:
    """A fitted classifier with what it needs to be applied again.

    Attributes
    ----------
    estimator : fitted scikit-learn classifier
        Trained on class codes.
    features : list of str
        Feature names, in the order of the estimator's columns.
    classes : ClassTable
    settings : dict
        ``classifier``, ``n_estimators``, ``seed``.
    """

    estimator: object
    features: list
    classes: ClassTable
    settings: dict

    def predict(self, table):
        """Class of every row of ``table`` (a mapping of columns, e.g. a
        pandas DataFrame of ``segments.parquet``).

        Returns
        -------
        dict with ``class`` (n,) int64 codes, ``class_name`` (n,) str and
        ``class_probability`` (n,) float64 (the winning class's share of
        the votes or probability).
        """
        codes, prob = predict_codes(self.estimator, feature_matrix(table, self.features))
        names = self.classes.names_by_code()
        return {"class": codes, "class_name": np.asarray(names[codes], str),
                "class_probability": prob}

    def save(self, path):
        """Pickle to ``path`` atomically (load only files you trust): a
        header (features, classes, settings) and then the estimator, so
        that :func:`load_classes` reads the classes without scikit-learn."""
        import sklearn

        header = {"format": FILE_FORMAT, "features": list(self.features),
                  "classes": self.classes.to_dict(), "settings": dict(self.settings),
                  "sklearn_version": sklearn.__version__}
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            pickle.dump(header, f, protocol=5)
            pickle.dump(self.estimator, f, protocol=5)
        return path

    @classmethod
    def load(cls, path):
        """A classifier saved by :meth:`save`."""
        with open(path, "rb") as f:
            header = _read_header(f, path)
            estimator = pickle.load(f)  # noqa: S301 (the workflow's own file)
        return cls(estimator, header["features"], ClassTable.from_dict(header["classes"]),
                   header["settings"])


def _read_header(f, path):
    """The header dict at the start of an open classifier file."""
    try:
        header = pickle.load(f)  # noqa: S301 (the workflow's own file)
    except Exception:  # any unpickling failure: not our file
        header = None
    if not isinstance(header, dict) or header.get("format") != FILE_FORMAT:
        raise ValueError(f"{path}: not a shepcore classifier file")
    return header


def load_classes(path):
    """The ClassTable of a classifier file saved by :meth:`SegmentClassifier.save`,
    read from its header: no scikit-learn import (about 0.7 s per job)."""
    with open(path, "rb") as f:
        return ClassTable.from_dict(_read_header(f, path)["classes"])


def fit_classifier(table, features, classes, classifier="random_forest", n_estimators=100,
                   seed=0):
    """Fit a classifier on a training table.

    Parameters
    ----------
    table : mapping of str to (L,) array
        ``class`` (int codes) and the feature columns (a training table, see
        :func:`shepcore.products.training.training_table`).
    features : list of str
    classes : ClassTable
    classifier, n_estimators, seed : see :func:`make_estimator`

    Returns
    -------
    SegmentClassifier
    """
    matrix = feature_matrix(table, features)
    codes = np.asarray(table["class"], np.int64)
    unknown = sorted(set(codes.tolist()) - set(classes.codes))
    if unknown:
        raise ValueError(f"class: codes {unknown} are not in the class table")
    estimator = make_estimator(classifier, n_estimators, seed)
    with one_thread():
        estimator.fit(matrix, codes)
    return SegmentClassifier(estimator, list(features), classes,
                             {"classifier": classifier, "n_estimators": int(n_estimators),
                              "seed": int(seed)})


def classify_segments(segments_path, classifier, out_path, chunk_rows=CHUNK_ROWS):
    """Classify every segment of a raster from its RAT, chunk by chunk.

    Writes Parquet ``out_path`` (atomically, one row group per chunk):
    ``segment_id`` (int64, 1..N), ``class`` (int32 code),
    ``class_probability`` (float64). Memory: one chunk of features
    (``chunk_rows`` x features x 8 bytes) plus the estimator.

    Returns
    -------
    n : int
        Number of segments classified.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([("segment_id", pa.int64()), ("class", pa.int32()),
                        ("class_probability", pa.float64())])
    n = 0
    with atomic_path(out_path) as tmp, pq.ParquetWriter(tmp, schema) as writer:
        for first, matrix in rat_feature_chunks(segments_path, classifier.features, chunk_rows):
            codes, prob = predict_codes(classifier.estimator, matrix)
            ids = np.arange(first, first + len(codes), dtype=np.int64)
            writer.write_table(pa.table({"segment_id": ids, "class": codes.astype(np.int32),
                                         "class_probability": prob}, schema=schema))
            n += len(codes)
    return n
