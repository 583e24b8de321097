"""Routing decisions as pure functions: thresholds in, decision out."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

AUTO_ROUTE = "auto_route"
NEEDS_REVIEW = "needs_review"
# The urgency whose misses cost most: an emergency routed as "sedang" waits its turn.
EMERGENCY = "darurat"


def choose_threshold(
    confidences: Sequence[float] | np.ndarray,
    correct: Sequence[bool] | np.ndarray,
    target_precision: float,
    min_support: int = 30,
    confidence_level: float | None = None,
) -> float:
    """Lowest confidence threshold whose auto-routed predictions reach the target.

    Predictions are sorted by confidence; for each cut-off the precision of
    everything at or above it is computed, and the lowest cut-off with at
    least ``min_support`` predictions reaching ``target_precision`` wins.
    Returns 1.0 (route nothing automatically) when no cut-off qualifies, so an
    unmeasurable head always falls back to human review.

    With ``confidence_level`` (e.g. 0.95) a cut-off qualifies only when the
    one-sided Wilson lower bound of its precision reaches the target. A
    threshold set where the measured precision just touches the target misses
    it on new complaints about half of the time; the bound asks the measured
    precision to clear the target by its own sampling error, which shrinks as
    more predictions are measured.
    """
    conf = np.asarray(confidences, dtype=float)
    hits = np.asarray(correct, dtype=bool)
    if conf.shape != hits.shape:
        raise ValueError("confidences and correct must have the same length")
    if conf.size == 0:
        return 1.0
    order = np.argsort(-conf, kind="stable")
    conf, hits = conf[order], hits[order]
    support = np.arange(1, conf.size + 1)
    precision = np.cumsum(hits) / support
    if confidence_level is not None:
        precision = wilson_lower_bound(precision, support, confidence_level)
    # A cut-off must include every prediction tied at its confidence.
    last_of_tie = np.r_[conf[1:] != conf[:-1], True]
    ok = last_of_tie & (support >= min_support) & (precision >= target_precision)
    if not ok.any():
        return 1.0
    return float(conf[np.flatnonzero(ok).max()])


def wilson_lower_bound(
    proportion: np.ndarray, n: np.ndarray, confidence_level: float
) -> np.ndarray:
    """One-sided Wilson score lower bound of a proportion measured on ``n`` trials."""
    if not 0.5 <= confidence_level < 1.0:
        raise ValueError("confidence_level must be in [0.5, 1)")
    z = NormalDist().inv_cdf(confidence_level)
    p = np.asarray(proportion, dtype=float)
    n = np.asarray(n, dtype=float)
    centre = p + z * z / (2 * n)
    spread = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return np.asarray((centre - spread) / (1 + z * z / n))


def coverage_precision_curve(
    confidences: Sequence[float] | np.ndarray,
    correct: Sequence[bool] | np.ndarray,
    thresholds: Sequence[float] | None = None,
) -> list[dict[str, float]]:
    """Share auto-routed and its precision at each threshold."""
    conf = np.asarray(confidences, dtype=float)
    hits = np.asarray(correct, dtype=bool)
    grid = thresholds if thresholds is not None else np.round(np.linspace(0.0, 0.99, 100), 2)
    curve = []
    for threshold in grid:
        routed = conf >= threshold
        n = int(routed.sum())
        curve.append(
            {
                "threshold": float(threshold),
                "coverage": n / conf.size if conf.size else 0.0,
                "precision": float(hits[routed].mean()) if n else 1.0,
            }
        )
    return curve


def choose_alert_level(
    probabilities: Sequence[float] | np.ndarray,
    positive: Sequence[bool] | np.ndarray,
    target_recall: float,
    min_positives: int = 20,
) -> float | None:
    """Highest probability level that still flags ``target_recall`` of the positives.

    The emergency counterpart of :func:`choose_threshold`: there the cost is a
    wrong route, so precision is bounded; here it is a missed emergency, so
    recall is. None when there are too few positives to measure recall on.
    """
    p = np.asarray(probabilities, dtype=float)
    hits = np.asarray(positive, dtype=bool)
    if p.shape != hits.shape:
        raise ValueError("probabilities and positive must have the same length")
    if not 0 < target_recall <= 1:
        raise ValueError("target_recall must be in (0, 1]")
    ranked = np.sort(p[hits])[::-1]
    if ranked.size < max(min_positives, 1):
        return None
    return float(ranked[math.ceil(target_recall * ranked.size) - 1])


@dataclass(frozen=True)
class EmergencyAlert:
    """The model's probability of an emergency and the level that asks a human to look."""

    probability: float
    level: float

    @property
    def raised(self) -> bool:
        return self.probability >= self.level


def _shown_below(value: float) -> float:
    # Rounded down to two decimals, so a 0.996 in review never reads "1.00" and
    # a confidence below its threshold never reads as equal to it.
    return math.floor(value * 100 + 1e-9) / 100


def _shown_above(value: float) -> float:
    return math.ceil(value * 100 - 1e-9) / 100


@dataclass(frozen=True)
class Decision:
    outcome: str
    reasons: tuple[str, ...] = field(default=())
    confident_heads: tuple[str, ...] = field(default=())
    # darurat was likely enough to check, whatever urgency was chosen.
    possible_emergency: bool = False

    @property
    def needs_review(self) -> bool:
        return self.outcome == NEEDS_REVIEW


def decide(
    confidences: Mapping[str, float],
    labels: Mapping[str, str],
    thresholds: Mapping[str, float],
    routing_heads: Sequence[str] = ("agency",),
    region_has_agency: bool = True,
    emergency: EmergencyAlert | None = None,
    outside_duties: Mapping[str, str] | None = None,
) -> Decision:
    """Route automatically only when every routing head clears its threshold.

    Only the agency decides where a complaint goes, so by default only it
    gates auto-routing; the other heads are reported as confident or not so a
    caller can act on them. One exception: a complaint whose ``darurat``
    probability reaches the model's alert level but that was given a lower
    urgency goes to review, since routed as it is it would wait in the
    agency's ordinary queue. And a complaint whose category is in
    ``outside_duties`` (no regional OPD holds it, e.g. PLN outages) goes to
    review whatever the agency's confidence.
    """
    reasons = []
    possible_emergency = emergency is not None and emergency.raised
    if possible_emergency and emergency is not None and labels.get("urgency") != EMERGENCY:
        reasons.append(
            f"possible emergency: urgency {labels.get('urgency', '')!r} was chosen, but "
            f"{EMERGENCY} has probability {_shown_below(emergency.probability):.2f} "
            f"(alert level {_shown_below(emergency.level):.2f}); check the urgency first"
        )
    confident = tuple(
        head for head, value in confidences.items() if value >= thresholds.get(head, 1.0)
    )
    for head in routing_heads:
        value = confidences.get(head)
        threshold = thresholds.get(head, 1.0)
        if value is None:
            reasons.append(f"{head}: no prediction")
        elif threshold >= 1.0:
            # Confidences stay below 1, so no answer could clear it: say why an
            # admin sees a 0.99 in the queue.
            reasons.append(
                f"{head}: review-only here (threshold {threshold:.2f}: no threshold was "
                f"certified for this region or for complaints naming none, or one was set to "
                f"send everything to review); "
                f"confidence {_shown_below(value):.2f}"
            )
        elif value < threshold:
            reasons.append(
                f"{head} confidence {_shown_below(value):.2f} "
                f"below threshold {_shown_above(threshold):.2f}"
            )
    category = labels.get("category", "")
    if outside_duties and category in outside_duties:
        reasons.append(f"category {category}: {outside_duties[category]}")
    if not region_has_agency:
        reasons.append(f"region has no OPD for agency {labels.get('agency', '')!r}")
    if reasons:
        return Decision(NEEDS_REVIEW, tuple(reasons), confident, possible_emergency)
    return Decision(
        AUTO_ROUTE, ("all routing heads above their thresholds",), confident, possible_emergency
    )
