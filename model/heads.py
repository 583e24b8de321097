"""One calibrated linear classifier per prediction head, over shared features.

The heads (agency, category, urgency, report type) are learned from different
subsets of the data: a Surabaya row has an agency and a category but no report
type; an urgency label exists only for the hand-annotated rows. ``fit`` takes a
2-D label array with ``""`` where a row has no label for a head, and trains each
head only on its labelled rows. Sharing the normalise → stem → vectorise steps
keeps prediction to one pass over the text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.svm import LinearSVC

MISSING = ""


def _sigmoid_calibrated(estimator: CalibratedClassifierCV, X: Any) -> tuple[np.ndarray, np.ndarray]:
    """Margins and per-class sigmoid outputs of a fitted ``ensemble=False`` calibrator.

    The same arithmetic as ``CalibratedClassifierCV.predict_proba`` before its
    normalisation, read straight from the fitted attributes: sklearn's per-call
    input validation of every per-class calibrator costs ~7 ms for a single
    complaint, the arithmetic ~0.1 ms. A test checks that both agree.
    """
    coef, intercept, a, b = _platt_parts(estimator)
    scores = np.asarray(X @ coef.T, dtype=np.float64) + intercept
    return scores, expit(-(a * scores + b))


def _platt_parts(
    estimator: CalibratedClassifierCV,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weights, intercepts and per-class sigmoid parameters (a, b) of a fitted calibrator."""
    calibrated = estimator.calibrated_classifiers_[0]
    base = calibrated.estimator
    a = np.array([c.a_ for c in calibrated.calibrators])
    b = np.array([c.b_ for c in calibrated.calibrators])
    return np.asarray(base.coef_), np.asarray(base.intercept_), a, b


def _calibrated_svc(
    C: float, class_weight: str | None, calibration: str, folds: int
) -> CalibratedClassifierCV:
    return CalibratedClassifierCV(
        LinearSVC(C=C, class_weight=class_weight),
        method=calibration,
        cv=folds,
        ensemble=False,
    )


class CumulativeOrdinalClassifier(ClassifierMixin, BaseEstimator):
    """Ordered classes as calibrated "at least this level" binary classifiers.

    Urgency is a scale (rendah < sedang < tinggi < darurat), and the classes at
    its ends are the rare ones. One-vs-rest asks ``darurat`` to be told apart
    from everything else with 244 examples; the cumulative form asks instead
    "at least tinggi?" and "at least darurat?", so every urgent complaint also
    teaches the cut below it. Each level's decision score is the sum of the cut
    margins, signed by whether the level lies above each cut: one linear
    function per class, so the driving terms can be read off as for any head.

    ``order`` lists the levels from lowest to highest; ``classes_`` follows
    scikit-learn's sorted convention like the other heads.
    """

    def __init__(
        self,
        order: Sequence[str] = (),
        C: float = 0.1,
        class_weight: str | None = "balanced",
        calibration: str = "sigmoid",
        calibration_folds: int = 3,
    ) -> None:
        self.order = order
        self.C = C
        self.class_weight = class_weight
        self.calibration = calibration
        self.calibration_folds = calibration_folds

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> CumulativeOrdinalClassifier:
        labels = np.asarray(y, dtype=object)
        seen = set(labels.tolist())
        unknown = seen - set(self.order)
        if unknown:
            raise ValueError(f"labels outside the ordinal scale: {sorted(unknown)}")
        levels = [level for level in self.order if level in seen]
        if len(levels) < 2:
            raise ValueError("an ordinal head needs at least two levels in the data")
        self.levels_ = np.array(levels, dtype=object)
        rank = np.array([levels.index(v) for v in labels.tolist()])
        fit_params = {} if sample_weight is None else {"sample_weight": sample_weight}
        self.cuts_ = [
            _calibrated_svc(
                self.C, self.class_weight, self.calibration, self.calibration_folds
            ).fit(X, rank >= cut, **fit_params)
            for cut in range(1, len(levels))
        ]
        self.classes_ = np.array(sorted(levels), dtype=object)
        # Row j says, for each cut, whether level j lies above it (+1) or not (-1).
        signs = np.array(
            [
                [1.0 if level >= cut else -1.0 for cut in range(1, len(levels))]
                for level in range(len(levels))
            ]
        )
        self.class_rank_ = np.array([levels.index(c) for c in self.classes_])
        self.signs_ = signs[self.class_rank_]
        # The cuts stacked, so that prediction takes one sparse product for all.
        # Each cut is binary: one weight row, one intercept, one sigmoid (a, b).
        parts = [_platt_parts(cut) for cut in self.cuts_]
        coef, intercept, a, b = (np.vstack(column) for column in zip(*parts, strict=True))
        self.cut_coef_ = coef
        self.cut_intercept_, self.cut_a_, self.cut_b_ = intercept[:, 0], a[:, 0], b[:, 0]
        self.coef_ = self.signs_ @ self.cut_coef_
        self.intercept_ = self.signs_ @ self.cut_intercept_
        return self

    def margins_and_proba(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Per-class decision scores and P(level), from one pass over ``X``.

        P(at least level k) is each cut's sigmoid calibration (the arithmetic of
        ``CalibratedClassifierCV.predict_proba``; a test checks they agree), and
        P(level) the difference of consecutive ones.
        """
        cut_margins = np.asarray(X @ self.cut_coef_.T, dtype=np.float64) + self.cut_intercept_
        scores = cut_margins @ self.signs_.T
        at_least = expit(-(self.cut_a_ * cut_margins + self.cut_b_))
        # Independently calibrated cuts can cross; a running minimum keeps
        # P(at least k) non-increasing in k so no level gets a negative share.
        at_least = np.minimum.accumulate(at_least, axis=1)
        n = at_least.shape[0]
        bounds = np.hstack([np.ones((n, 1)), at_least, np.zeros((n, 1))])
        by_level = bounds[:, :-1] - bounds[:, 1:]
        return scores, np.asarray(by_level[:, self.class_rank_])

    def decision_function(self, X: Any) -> np.ndarray:
        return np.asarray(X @ self.coef_.T, dtype=np.float64) + self.intercept_

    def predict_proba(self, X: Any) -> np.ndarray:
        """P(level) from the calibrated P(at least level), kept non-increasing."""
        return self.margins_and_proba(X)[1]

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(self.classes_[np.argmax(self.decision_function(X), axis=1)])


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
        ordinal_heads: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.heads = heads
        self.C = C
        self.class_weight = class_weight
        self.calibration = calibration
        self.calibration_folds = calibration_folds
        self.min_class_count = min_class_count
        self.margin_heads = margin_heads
        self.ordinal_heads = ordinal_heads

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Model folders saved before ordinal heads existed lack the parameter;
        # without it get_params (and so repr and clone) would fail on them.
        state.setdefault("ordinal_heads", None)
        super().__setstate__(state)

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
        ordinal = dict(self.ordinal_heads or {})
        self.estimators_: dict[str, CalibratedClassifierCV | CumulativeOrdinalClassifier] = {}
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
            estimator: CalibratedClassifierCV | CumulativeOrdinalClassifier
            if head in ordinal:
                estimator = CumulativeOrdinalClassifier(
                    order=tuple(ordinal[head]),
                    C=self._head_C(head),
                    class_weight=self.class_weight,
                    calibration=self.calibration,
                    calibration_folds=self.calibration_folds,
                )
            else:
                estimator = _calibrated_svc(
                    self._head_C(head), self.class_weight, self.calibration, self.calibration_folds
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
        """Margins and calibrated probabilities of one head."""
        estimator = self.estimators_[head]
        if isinstance(estimator, CumulativeOrdinalClassifier):
            return estimator.margins_and_proba(X)
        scores, sigmoid = _sigmoid_calibrated(estimator, X)
        if scores.shape[1] == 1:
            proba = np.column_stack([1.0 - sigmoid[:, 0], sigmoid[:, 0]])
            return scores[:, 0], proba
        total = sigmoid.sum(axis=1, keepdims=True)
        uniform = np.full_like(sigmoid, 1.0 / sigmoid.shape[1])
        proba = np.divide(sigmoid, total, out=uniform, where=total != 0)
        return scores, proba

    def predict_indices(self, X: Any) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per head: the chosen class index per row and the calibrated probabilities.

        For most heads the choice is the most probable class. For the heads in
        ``margin_heads`` (and every ordinal head) it is the class-balanced SVM's
        own choice: calibration pulls rare classes (``darurat``, ``aspirasi``)
        towards the majority, and a rare urgent complaint flagged with low
        confidence is more useful to an admin than one silently called ``sedang``.
        """
        result = {}
        for head, estimator in self.estimators_.items():
            scores, proba = self._head_proba(head, X)
            # Decided by the fitted estimator, not the parameter, so that model
            # folders saved before ordinal heads existed still load and predict.
            if head in self.margin_heads or isinstance(estimator, CumulativeOrdinalClassifier):
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
        estimator = self.estimators_[head]
        if isinstance(estimator, CumulativeOrdinalClassifier):
            return np.asarray(estimator.coef_)
        base = estimator.calibrated_classifiers_[0].estimator
        coef = np.asarray(base.coef_)
        if coef.shape[0] == 1:
            coef = np.vstack([-coef[0], coef[0]])
        return coef
