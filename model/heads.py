"""One calibrated linear classifier per prediction head, over shared features.

The heads (agency, category, urgency, report type) are learned from different
subsets of the data: a Surabaya row has an agency and a category but no report
type; an urgency label exists only for the hand-annotated rows. ``fit`` takes a
2-D label array with ``""`` where a row has no label for a head, and trains each
head only on its labelled rows. Sharing the normalise → stem → vectorise steps
keeps prediction to one pass over the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.svm import LinearSVC

MISSING = ""


class MultiHeadClassifier(ClassifierMixin, BaseEstimator):
    """Calibrated LinearSVC per head; ``predict_proba`` returns a dict of arrays.

    Classes with fewer than ``min_class_count`` labelled rows are left out of a
    head (listed in ``dropped_classes_``): calibration needs a few examples of
    each class in every fold, and a class seen twice cannot be measured anyway.
    """

    def __init__(
        self,
        heads: Sequence[str] = ("agency", "category", "urgency", "report_type"),
        C: float | dict[str, float] = 0.5,
        class_weight: str | None = "balanced",
        calibration: str = "sigmoid",
        calibration_folds: int = 3,
        min_class_count: int = 8,
        margin_heads: Sequence[str] = ("urgency", "report_type"),
    ) -> None:
        self.heads = heads
        self.C = C
        self.class_weight = class_weight
        self.calibration = calibration
        self.calibration_folds = calibration_folds
        self.min_class_count = min_class_count
        self.margin_heads = margin_heads

    def _head_C(self, head: str) -> float:
        if isinstance(self.C, dict):
            return float(self.C.get(head, self.C.get("default", 0.5)))
        return float(self.C)

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MultiHeadClassifier:
        labels = np.asarray(y, dtype=object)
        if labels.ndim == 1:
            labels = labels.reshape(-1, 1)
        if labels.shape[1] != len(self.heads):
            raise ValueError(f"expected {len(self.heads)} label columns, got {labels.shape[1]}")
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        self.estimators_: dict[str, CalibratedClassifierCV] = {}
        self.dropped_classes_: dict[str, list[str]] = {}
        self.n_train_: dict[str, int] = {}
        for index, head in enumerate(self.heads):
            column = np.array(["" if v is None else str(v) for v in labels[:, index]], dtype=object)
            present = column != MISSING
            values, counts = np.unique(column[present], return_counts=True)
            kept = {v for v, c in zip(values, counts, strict=True) if c >= self.min_class_count}
            self.dropped_classes_[head] = sorted(set(values) - kept)
            rows = present & np.isin(column, sorted(kept))
            if len(kept) < 2:
                raise ValueError(f"head {head!r} has fewer than two classes with enough rows")
            base = LinearSVC(C=self._head_C(head), class_weight=self.class_weight)
            estimator = CalibratedClassifierCV(
                clone(base),
                method=self.calibration,
                cv=self.calibration_folds,
                ensemble=False,
            )
            fit_params = {} if weights is None else {"sample_weight": weights[rows]}
            estimator.fit(X[rows], column[rows], **fit_params)
            self.estimators_[head] = estimator
            self.n_train_[head] = int(rows.sum())
        self.classes_ = {head: est.classes_ for head, est in self.estimators_.items()}
        return self

    def predict_proba(self, X: Any) -> dict[str, np.ndarray]:
        return {head: self._head_proba(head, X)[1] for head in self.estimators_}

    def _head_proba(self, head: str, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Margins and sigmoid-calibrated probabilities of one head.

        The same arithmetic as ``CalibratedClassifierCV.predict_proba`` for
        ``ensemble=False`` sigmoid calibration, read straight from the fitted
        attributes: sklearn's per-call input validation of every per-class
        calibrator costs ~7 ms for a single complaint, the arithmetic ~0.1 ms.
        A test checks that both give the same numbers.
        """
        calibrated = self.estimators_[head].calibrated_classifiers_[0]
        base = calibrated.estimator
        scores = np.asarray(X @ base.coef_.T, dtype=np.float64) + base.intercept_
        a = np.array([c.a_ for c in calibrated.calibrators])
        b = np.array([c.b_ for c in calibrated.calibrators])
        sigmoid = expit(-(a * scores + b))
        if len(base.classes_) == 2:
            proba = np.column_stack([1.0 - sigmoid[:, 0], sigmoid[:, 0]])
            return scores[:, 0], proba
        total = sigmoid.sum(axis=1, keepdims=True)
        uniform = np.full_like(sigmoid, 1.0 / sigmoid.shape[1])
        proba = np.divide(sigmoid, total, out=uniform, where=total != 0)
        return scores, proba

    def predict_indices(self, X: Any) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per head: the chosen class index per row and the calibrated probabilities.

        For most heads the choice is the most probable class. For the heads in
        ``margin_heads`` it is the class-balanced SVM's own choice: calibration
        pulls rare classes (``darurat``, ``aspirasi``) towards the majority, and
        a rare urgent complaint flagged with low confidence is more useful to
        an admin than one silently called ``sedang``.
        """
        result = {}
        for head in self.estimators_:
            scores, proba = self._head_proba(head, X)
            if head in self.margin_heads:
                chosen = (scores > 0).astype(int) if scores.ndim == 1 else np.argmax(scores, axis=1)
            else:
                chosen = np.argmax(proba, axis=1)
            result[head] = (chosen, proba)
        return result

    def predict(self, X: Any) -> np.ndarray:
        chosen = self.predict_indices(X)
        columns = [self.classes_[h][chosen[h][0]] for h in self.heads]
        return np.column_stack(columns)

    def coefficients(self, head: str) -> np.ndarray:
        """Linear weights (n_classes × n_features) of a head's base classifier.

        With ``ensemble=False`` calibration wraps a single LinearSVC fitted on
        all rows, so these are the weights that made the decision. For a
        binary head they are expanded to one row per class.
        """
        base = self.estimators_[head].calibrated_classifiers_[0].estimator
        coef = np.asarray(base.coef_)
        if coef.shape[0] == 1:
            coef = np.vstack([-coef[0], coef[0]])
        return coef
