"""From a prediction and a region to a routing answer (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from salur.model.classifier import Prediction
from salur.model.decision import Decision, decide
from salur.model.regions import Region, Routing, route_agency
from salur.model.taxonomy import Taxonomy


@dataclass(frozen=True)
class RoutedPrediction:
    prediction: Prediction
    routing: Routing
    decision: Decision
    deadline_working_days: int | None
    # What the decision was taken with: the thresholds (the region's own win
    # over the model's) and the confidence that gated the agency.
    thresholds: Mapping[str, float]
    agency_confidence: float


def route_prediction(
    prediction: Prediction,
    region: Region,
    thresholds: Mapping[str, float],
    taxonomy: Taxonomy,
) -> RoutedPrediction:
    merged = region.thresholds_over(thresholds)
    labels = {head: value.code for head, value in prediction.heads.items()}
    routing = route_agency(region, labels["agency"], labels.get("category", ""))
    confidences = {head: value.probability for head, value in prediction.heads.items()}
    gate_threshold = merged.get("agency", 1.0)
    if routing.override:
        # The region's rule decides the agency, not the model, so the
        # agency's own confidence no longer gates routing: the category's does,
        # at the category threshold unless the region set its own agency
        # threshold (a region that says "review everything" means it).
        confidences["agency"] = confidences.get("category", 0.0)
        gate_threshold = region.thresholds.get("agency", merged.get("category", 1.0))
    decision_thresholds = {**merged, "agency": gate_threshold}
    decision = decide(
        confidences,
        {**labels, "agency": routing.agency},
        decision_thresholds,
        region_has_agency=routing.opd_name is not None,
    )
    report_type = taxonomy.report_types.get(labels.get("report_type", ""))
    return RoutedPrediction(
        prediction=prediction,
        routing=routing,
        decision=decision,
        deadline_working_days=report_type.deadline_working_days if report_type else None,
        thresholds=decision_thresholds,
        agency_confidence=confidences["agency"],
    )
