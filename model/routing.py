"""From a prediction and a region to a routing answer (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from salur.model.classifier import Prediction
from salur.model.decision import Decision, decide
from salur.model.regions import Region, Routing, route_agency
from salur.model.taxonomy import Taxonomy

# The region a request that names none is routed in; its thresholds are the
# model's pooled ones, since its complaints may come from anywhere.
GENERIC_REGION = "default"
# The heads whose confidence can decide where a complaint goes: the agency,
# and the category where a region's override maps it to an agency.
ROUTING_HEADS = ("agency", "category")


def has_region_history(
    region_code: str, region_thresholds: Mapping[str, Mapping[str, float]] | None
) -> bool | None:
    """Whether a model measured routing on the region's own complaints.

    None when it cannot say: the generic region, or a model from before
    thresholds were chosen per region.
    """
    if region_thresholds is None or region_code == GENERIC_REGION:
        return None
    return region_code in region_thresholds


def why_agency_routes_nothing(
    region_code: str, region_thresholds: Mapping[str, Mapping[str, float]] | None
) -> str | None:
    """Why the model gives a region no agency threshold below 1.0, or None if it does."""
    history = has_region_history(region_code, region_thresholds)
    if history is False:
        return "the model has no labelled complaints of this region"
    measured = (region_thresholds or {}).get(region_code, {})
    if history and measured.get("agency", 1.0) >= 1.0:
        return "on this region's own complaints no agency threshold reached the target precision"
    return None


def thresholds_for_region(
    region_code: str,
    model_thresholds: Mapping[str, float],
    region_thresholds: Mapping[str, Mapping[str, float]] | None,
    overrides: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """The thresholds a region's complaints are decided with, before its own file's.

    A model that chose thresholds per region (``region_thresholds`` in its
    metadata) knows which regions it was measured on. A region it has no
    labelled history for gets no certified routing threshold: trained without
    Kab. Bandung and tested on it, the pooled agency threshold routed half of
    Bandung at 0.67 precision. Its routing heads are set to 1.0, so every
    complaint is a suggestion in the review queue until its corrections are in
    a retrained model. Operator ``overrides`` (``SALUR_THRESHOLDS``) apply to
    every region; a region file's own thresholds are merged later, by
    :func:`route_prediction`, and win over all of these.
    """
    base = dict(model_thresholds)
    if region_thresholds is not None and region_code != GENERIC_REGION:
        measured = region_thresholds.get(region_code, {})
        # Routing heads the region was not measured on route nothing by themselves.
        base.update({head: 1.0 for head in ROUTING_HEADS if head in base})
        base.update({head: float(value) for head, value in measured.items()})
    return {**base, **(overrides or {})}


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
