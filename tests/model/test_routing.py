from salur.model.regions import Region
from salur.model.routing import (
    GENERIC_REGION,
    has_region_history,
    route_prediction,
    thresholds_for_region,
    why_agency_routes_nothing,
)
from salur.model.taxonomy import load_taxonomy

from tests.model.test_regions import _prediction

POOLED = {"agency": 0.88, "category": 0.6, "urgency": 0.7, "report_type": 0.85}
MEASURED = {
    "kota-surabaya": {"agency": 0.84, "category": 0.61},
    "kab-bandung": {"agency": 1.0, "category": 0.94},
    "prov-jawa-tengah": {"category": 0.45},
}


def test_a_measured_region_routes_with_its_own_thresholds():
    assert thresholds_for_region("kota-surabaya", POOLED, MEASURED) == {
        **POOLED,
        "agency": 0.84,
        "category": 0.61,
    }
    # Heads that do not route keep the pooled thresholds.
    assert thresholds_for_region("kab-bandung", POOLED, MEASURED)["urgency"] == 0.7


def test_a_region_without_history_routes_nothing_automatically():
    unseen = thresholds_for_region("kab-baru", POOLED, MEASURED)
    assert unseen == {**POOLED, "agency": 1.0, "category": 1.0}
    # A region measured for its category only has no agency threshold of its own.
    assert thresholds_for_region("prov-jawa-tengah", POOLED, MEASURED)["agency"] == 1.0
    routed = route_prediction(
        _prediction("pupr", 0.999),
        Region("kab-baru", "Baru", {"pupr": "PU"}),
        unseen,
        load_taxonomy(),
    )
    assert routed.decision.needs_review


def test_the_generic_region_and_older_models_use_the_pooled_thresholds():
    assert thresholds_for_region(GENERIC_REGION, POOLED, MEASURED) == POOLED
    assert thresholds_for_region("kab-baru", POOLED, None) == POOLED
    assert has_region_history(GENERIC_REGION, MEASURED) is None
    assert has_region_history("kab-baru", None) is None
    assert has_region_history("kab-baru", MEASURED) is False
    assert has_region_history("kota-surabaya", MEASURED) is True


def test_operator_overrides_apply_to_every_region_and_region_files_win_last():
    overrides = {"agency": 0.9}
    assert thresholds_for_region("kab-baru", POOLED, MEASURED, overrides)["agency"] == 0.9
    assert thresholds_for_region("kota-surabaya", POOLED, MEASURED, overrides)["agency"] == 0.9
    base = thresholds_for_region("kab-baru", POOLED, MEASURED)
    opened = Region("kab-baru", "Baru", {"pupr": "PU"}, thresholds={"agency": 0.95})
    routed = route_prediction(_prediction("pupr", 0.97), opened, base, load_taxonomy())
    assert not routed.decision.needs_review


def test_the_reason_a_region_routes_nothing_is_named():
    assert "no labelled complaints" in why_agency_routes_nothing("kab-baru", MEASURED)
    # Bandung was measured, but its own complaints certified no agency threshold.
    assert "no agency threshold reached" in why_agency_routes_nothing("kab-bandung", MEASURED)
    assert "no agency threshold reached" in why_agency_routes_nothing("prov-jawa-tengah", MEASURED)
    assert why_agency_routes_nothing("kota-surabaya", MEASURED) is None
    assert why_agency_routes_nothing(GENERIC_REGION, MEASURED) is None
    assert why_agency_routes_nothing("kab-baru", None) is None
