"""From a prediction and a region to a routing answer (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from salur.model.decision import Decision, decide
from salur.model.regions import Region, Routing, route_agency
from salur.model.taxonomy import Taxonomy

if TYPE_CHECKING:
    # The classifier decides with thresholds_for_region, so it imports this module.
    from salur.model.classifier import Prediction

# The region a request that names none is routed in. Its complaints may come
# from any region, also one the model has no history of, so its routing heads
# are gated like such a region's (see thresholds_for_region).
GENERIC_REGION = "default"
# The heads whose confidence can decide where a complaint goes: the agency,
# and the category where a region's override maps it to an agency.
ROUTING_HEADS = ("agency", "category")


def has_region_history(
    region_code: str, region_thresholds: Mapping[str, Mapping[str, float]] | None
) -> bool | None:
    """Whether a model measured routing on the region's own complaints.

    None when it cannot say: a model from before thresholds were chosen per
    region. The generic region never has a history: its complaints are not
    known to come from any one region.
    """
    if region_thresholds is None:
        return None
    return region_code != GENERIC_REGION and region_code in region_thresholds


def head_has_region_history(
    region_code: str, head: str, region_thresholds: Mapping[str, Mapping[str, float]] | None
) -> bool | None:
    """Whether a model saw complaints of the region labelled for ``head``.

    Training chooses a region threshold for every routing head the region has
    labelled rows for, so the thresholds record it; for other heads (urgency,
    report type) this says whether the model measured the region at all. None
    for a model from before thresholds were chosen per region.
    """
    history = has_region_history(region_code, region_thresholds)
    if not history or head not in ROUTING_HEADS:
        return history
    return head in (region_thresholds or {}).get(region_code, {})


def why_agency_routes_nothing(
    region_code: str, region_thresholds: Mapping[str, Mapping[str, float]] | None
) -> str | None:
    """Why the model gives a region no agency threshold below 1.0, or None if it does."""
    history = has_region_history(region_code, region_thresholds)
    if history is False and region_code == GENERIC_REGION:
        return (
            "a complaint that names no region may come from one the model has no "
            "history of, and on such regions no agency threshold reached the target"
        )
    if history is False:
        return "the model has no labelled complaints of this region"
    measured = (region_thresholds or {}).get(region_code, {})
    if history and "agency" not in measured:
        return "the model has no agency-labelled complaints of this region"
    if history and measured["agency"] >= 1.0:
        return "on this region's own complaints no agency threshold reached the target precision"
    return None


def strict_routing_note(
    region: Region,
    thresholds: Mapping[str, float],
    region_thresholds: Mapping[str, Mapping[str, float]] | None,
) -> str | None:
    """What an operator should hear when the model's agency routes nothing in ``region``.

    ``thresholds`` are the region's from :func:`thresholds_for_region`. None
    when the agency can route, or when the region file chose its own agency
    threshold.
    """
    if "agency" in region.thresholds:
        return None
    reason = why_agency_routes_nothing(region.code, region_thresholds)
    if reason is None:
        return None
    category_gate = region.thresholds_over(thresholds).get("category", 1.0)
    if region.category_overrides and category_gate < 1.0:
        scope = (
            "complaints go to review unless a category override of the region decides "
            f"the agency (those are gated by the category threshold {category_gate:.2f})"
        )
    else:
        scope = "every complaint goes to review"
    return f"region {region.code}: {scope}, because {reason}"


def thresholds_for_region(
    region_code: str,
    model_thresholds: Mapping[str, float],
    region_thresholds: Mapping[str, Mapping[str, float]] | None,
    overrides: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """The thresholds a region's complaints are decided with, before its own file's.

    A model that chose thresholds per region (``region_thresholds`` in its
    metadata) knows which regions it was measured on, and for which routing
    heads. A routing head without a measured threshold in a region gets 1.0:
    trained without Kab. Bandung and tested on it, the pooled agency threshold
    routed half of Bandung at 0.67 precision. So every complaint there is a
    suggestion in the review queue until its corrections are in a retrained
    model. The generic region (a request that names none) is such a region:
    with each training region left out in turn, no agency or category
    threshold certified the target on the region left out
    (benchmarks/unseen_region.py).

    Operator ``overrides`` (``SALUR_THRESHOLDS``) replace the pooled
    thresholds, but for a region's routing heads they can only make routing
    stricter: a deployment-wide number must not quietly open a region whose own
    complaints certified nothing. Loosening one region is a deliberate edit of
    its file, whose thresholds :func:`route_prediction` merges last.
    """
    chosen = {**model_thresholds, **(overrides or {})}
    if region_thresholds is None:
        return chosen
    measured = {} if region_code == GENERIC_REGION else region_thresholds.get(region_code, {})
    for head in ROUTING_HEADS:
        if head in chosen or head in measured:
            own = float(measured.get(head, 1.0))
            chosen[head] = max(own, float((overrides or {}).get(head, own)))
    return chosen


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
    text: str = "",
) -> RoutedPrediction:
    """Route one prediction in ``region``; ``text`` (title and body) names a local office."""
    merged = region.thresholds_over(thresholds)
    labels = {head: value.code for head, value in prediction.heads.items()}
    routing = route_agency(region, labels["agency"], labels.get("category", ""), text)
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
        emergency=prediction.emergency,
        # A region that gives the category to an OPD of its own has decided.
        outside_duties=None if routing.override else taxonomy.outside_duties,
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
