"""Accuracy of a segment classifier: k-fold cross-validation grouped by
segment (no segment in both the training and the test part of a fold),
stratified by class; confusion matrix, overall accuracy, Cohen's kappa and
per-class precision, recall and F1 of the pooled out-of-fold predictions.
"""

import json

import numpy as np

from .._files import write_text_atomic
from .classify import make_estimator, one_thread, predict_codes
from .features import feature_matrix


def confusion_matrix(true, predicted, codes):
    """(K, K) int64 counts: row = true class, column = predicted class, in
    the order of ``codes``."""
    index = {c: i for i, c in enumerate(codes)}
    k = len(codes)
    t = np.fromiter((index[c] for c in np.asarray(true).tolist()), np.int64)
    p = np.fromiter((index[c] for c in np.asarray(predicted).tolist()), np.int64)
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k)


def accuracy_metrics(matrix):
    """Overall accuracy, Cohen's kappa and per-class precision, recall, F1
    and support of a confusion matrix (rows true, columns predicted).

    Precision, recall or F1 of a class without any prediction or sample is
    0.0 (scikit-learn's ``zero_division=0``).
    """
    m = np.asarray(matrix, np.float64)
    total = m.sum()
    diag = np.diag(m)
    overall = diag.sum() / total
    expected = (m.sum(0) * m.sum(1)).sum() / total**2
    kappa = (overall - expected) / (1 - expected) if expected < 1 else 1.0
    pred, true = m.sum(0), m.sum(1)
    precision = np.divide(diag, pred, out=np.zeros_like(diag), where=pred > 0)
    recall = np.divide(diag, true, out=np.zeros_like(diag), where=true > 0)
    s = precision + recall
    f1 = np.divide(2 * precision * recall, s, out=np.zeros_like(diag), where=s > 0)
    return {"overall_accuracy": float(overall), "kappa": float(kappa),
            "precision": precision.tolist(), "recall": recall.tolist(), "f1": f1.tolist(),
            "support": true.astype(np.int64).tolist()}


def cross_validate(table, features, classes, folds=5, classifier="random_forest",
                   n_estimators=100, seed=0):
    """Grouped, stratified k-fold cross-validation of a training table.

    Parameters
    ----------
    table : mapping of str to (L,) array
        ``segment_id``, ``class`` (codes) and the feature columns.
    features : list of str
    classes : ClassTable
    folds : int >= 2
        Every class needs at least ``folds`` segments.
    classifier, n_estimators, seed
        As :func:`shepcore.products.classify.make_estimator`; ``seed`` also
        shuffles the folds (``StratifiedGroupKFold``).

    Returns
    -------
    dict (JSON-ready): ``folds``, ``grouping``, ``overall_accuracy``,
    ``kappa``, ``fold_accuracy``, ``confusion_matrix`` ({classes, counts}),
    ``per_class`` (class, class_name, precision, recall, f1, support).
    """
    from sklearn.model_selection import StratifiedGroupKFold

    matrix = feature_matrix(table, features)
    y = np.asarray(table["class"], np.int64)
    groups = np.asarray(table["segment_id"], np.int64)
    predicted = np.zeros_like(y)
    fold_accuracy = []
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(matrix, y, groups):
        if np.intersect1d(groups[train], groups[test]).size:
            raise AssertionError("a segment is in both the training and the test fold")
        est = make_estimator(classifier, n_estimators, seed)
        with one_thread():
            est.fit(matrix[train], y[train])
        predicted[test] = predict_codes(est, matrix[test])[0]
        fold_accuracy.append(float(np.mean(predicted[test] == y[test])))
    conf = confusion_matrix(y, predicted, classes.codes)
    metrics = accuracy_metrics(conf)
    per_class = [{"class": c, "class_name": n, "precision": metrics["precision"][i],
                  "recall": metrics["recall"][i], "f1": metrics["f1"][i],
                  "support": metrics["support"][i]}
                 for i, (c, n) in enumerate(zip(classes.codes, classes.names, strict=True))]
    return {"folds": int(folds), "grouping": "segment", "segments": int(len(y)),
            "overall_accuracy": metrics["overall_accuracy"], "kappa": metrics["kappa"],
            "fold_accuracy": fold_accuracy,
            "confusion_matrix": {"classes": list(classes.names), "rows": "true",
                                 "columns": "predicted", "counts": conf.tolist()},
            "per_class": per_class}


def write_accuracy(result, json_path, summary_path, classes_path, confusion_path,
                   extra=None):
    """Write ``accuracy.json`` (``extra`` plus ``result`` under
    ``cross_validation``) and three report tables (TSV): the overall
    figures, per-class precision/recall/F1, the confusion matrix; each
    atomically."""
    doc = dict(extra or {}) | {"cross_validation": result}
    write_text_atomic(json_path, json.dumps(doc, indent=1) + "\n")
    summary = ["measure\tvalue", f"overall accuracy\t{result['overall_accuracy']:.4f}",
               f"kappa\t{result['kappa']:.4f}", f"folds\t{result['folds']}",
               f"labelled segments\t{result['segments']}",
               "fold accuracy\t" + ", ".join(f"{a:.4f}" for a in result["fold_accuracy"])]
    write_text_atomic(summary_path, "\n".join(summary) + "\n")
    lines = ["class\tclass_name\tprecision\trecall\tf1\tsupport"]
    lines += [f"{r['class']}\t{r['class_name']}\t{r['precision']:.4f}\t{r['recall']:.4f}\t"
              f"{r['f1']:.4f}\t{r['support']}" for r in result["per_class"]]
    write_text_atomic(classes_path, "\n".join(lines) + "\n")
    names = result["confusion_matrix"]["classes"]
    rows = ["true \\ predicted\t" + "\t".join(names)]
    rows += [f"{n}\t" + "\t".join(str(v) for v in counts)
             for n, counts in zip(names, result["confusion_matrix"]["counts"], strict=True)]
    write_text_atomic(confusion_path, "\n".join(rows) + "\n")
