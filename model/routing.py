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
    # The thresholds this decision was taken with (the region's own win).
    thresholds: Mapping[str, float]


def route_prediction(
    prediction: Prediction,
    region: Region,
    thresholds: Mapping[str, float],
    taxonomy: Taxonomy,
) -> RoutedPrediction:
    thresholds = {**thresholds, **region.thresholds}
    labels = {head: value.code for head, value in prediction.heads.items()}
    routing = route_agency(region, labels["agency"], labels.get("category", ""))
    confidences = {head: value.probability for head, value in prediction.heads.items()}
    if routing.override:
        # The region's rule decides the agency, not the model, so the
        # agency's own confidence no longer gates routing: the category's does.
        confidences["agency"] = confidences.get("category", 0.0)
    decision = decide(
        confidences,
        {**labels, "agency": routing.agency},
        {**thresholds, "agency": thresholds.get("category", 1.0)}
        if routing.override
        else thresholds,
        region_has_agency=routing.opd_name is not None,
    )
    report_type = taxonomy.report_types.get(labels.get("report_type", ""))
    return RoutedPrediction(
        prediction=prediction,
        routing=routing,
        decision=decision,
        deadline_working_days=report_type.deadline_working_days if report_type else None,
        thresholds=thresholds,
    )
