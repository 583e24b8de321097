"""Confidence that means what it says: P(the chosen label is right).

Each head's classes are calibrated one-vs-rest and then normalised to sum to
one. The normalised confidence of the chosen label comes out too low on
complaints like the training data (held out: labels chosen at confidence 0.85
were right 94% of the time), because every other class keeps a share. A
confidence an intake system or admin reads should be the probability of being
right, so a second, one-dimensional Platt step maps the chosen label's
confidence ``p`` to ``sigmoid(slope · logit(p) + intercept)``, fitted on
out-of-fold predictions (rows the predicting model never saw).

The map is increasing, so it never reorders complaints by confidence: a
threshold chosen on the mapped confidences routes exactly the complaints the
unmapped threshold would have. The other classes' probabilities are scaled to
fill the rest (see :func:`calibrate_rows`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.special import expit, logit

# Keeps logit finite, and keeps every mapped confidence strictly below 1: a
# threshold of 1.0 means "route nothing" (the fallback of choose_threshold, and
# how a new region starts), so no confidence may ever reach it.
_EDGE = 1e-6
# Below this many out-of-fold predictions (or without both right and wrong
# ones) the map is not estimated and confidences pass through unchanged.
MIN_CALIBRATION_ROWS = 100


@dataclass(frozen=True)
class ConfidenceCalibration:
    slope: float = 1.0
    intercept: float = 0.0

    @property
    def is_identity(self) -> bool:
        return self.slope == 1.0 and self.intercept == 0.0

    def apply(self, confidence: np.ndarray) -> np.ndarray:
        if self.is_identity:
            return np.asarray(confidence, dtype=float)
        clipped = np.clip(np.asarray(confidence, dtype=float), _EDGE, 1 - _EDGE)
        mapped = expit(self.slope * logit(clipped) + self.intercept)
        # A steep map saturates to exactly 0.0 or 1.0 in float64 and would
        # merge distinct confidences; the clip keeps 1.0 out of reach.
        return np.asarray(np.clip(mapped, _EDGE, 1 - _EDGE))

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> ConfidenceCalibration:
        slope, intercept = float(values["slope"]), float(values["intercept"])
        if not (np.isfinite(slope) and np.isfinite(intercept)) or slope <= 0:
            raise ValueError(f"a confidence calibration needs a finite slope > 0, got {values}")
        return cls(slope, intercept)


IDENTITY = ConfidenceCalibration()


def fit_confidence_calibration(
    confidences: np.ndarray, correct: np.ndarray
) -> ConfidenceCalibration:
    """Platt scaling of the chosen label's confidence against whether it was right."""
    from sklearn.linear_model import LogisticRegression

    conf = np.asarray(confidences, dtype=float)
    hits = np.asarray(correct, dtype=bool)
    if conf.shape != hits.shape:
        raise ValueError("confidences and correct must have the same length")
    if conf.size < MIN_CALIBRATION_ROWS or hits.all() or not hits.any():
        return IDENTITY
    features = logit(np.clip(conf, _EDGE, 1 - _EDGE)).reshape(-1, 1)
    # The default L2 penalty is negligible against thousands of rows, but keeps
    # the slope finite when a small sample happens to be separable.
    fitted = LogisticRegression(C=1.0).fit(features, hits)
    slope, intercept = float(fitted.coef_[0, 0]), float(fitted.intercept_[0])
    if slope <= 0:
        # Confidence that does not rise with correctness cannot be repaired by a
        # monotone map; leave it visible rather than flatten it.
        return IDENTITY
    return ConfidenceCalibration(slope, intercept)


def calibrate_rows(
    proba: np.ndarray, chosen: np.ndarray, calibration: ConfidenceCalibration
) -> np.ndarray:
    """``proba`` with each row's chosen class mapped and the others rescaled to fill the rest.

    The others keep their proportions. Where the map lowers a weak confidence,
    filling the rest would lift a class past the chosen one, and an admin would
    see an alternative more probable than the answer; their scale is then
    capped so that no class that was below the chosen one rises above it, and
    such a row sums to less than one (the remainder is assigned to no class).
    """
    if calibration.is_identity:
        return proba
    rows = np.arange(proba.shape[0])
    before = proba[rows, chosen]
    after = calibration.apply(before)
    rest_before = 1.0 - before
    scale = np.divide(1.0 - after, rest_before, out=np.zeros_like(after), where=rest_before > 0)
    others = proba.copy()
    others[rows, chosen] = -np.inf
    below = np.where(others <= before[:, None], others, -np.inf).max(axis=1)
    cap = np.divide(after, below, out=np.full_like(after, np.inf), where=below > 0)
    calibrated = proba * np.minimum(scale, cap)[:, None]
    # A row whose other classes had no share cannot give them one (scale 0);
    # its chosen class keeps the mapped confidence, which stays below 1.
    calibrated[rows, chosen] = after
    return calibrated


# The metadata keys of the two kinds of map. The first is fitted on
# out-of-fold predictions of the training regions' own complaints; the second
# on predictions of each training region by a model fitted without it, for
# complaints of a region the model has no labelled history of. There the
# first map makes confidence worse, not better: a model is more often wrong
# on a region it never saw, at the same raw confidence.
IN_REGION_KEY = "confidence_calibration"
UNSEEN_REGION_KEY = "confidence_calibration_unseen_region"


def calibrations_from_metadata(
    metadata: Mapping[str, Any], key: str = IN_REGION_KEY
) -> dict[str, ConfidenceCalibration]:
    """Per-head maps stored in a model's ``metadata.json`` under ``key`` (none in older models)."""
    stored = metadata.get(key) or {}
    return {head: ConfidenceCalibration.from_dict(values) for head, values in stored.items()}
