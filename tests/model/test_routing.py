from salur.model.regions import Region
from salur.model.routing import (
    GENERIC_REGION,
    has_region_history,
    head_has_region_history,
    route_prediction,
    strict_routing_note,
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


def test_a_complaint_naming_no_region_routes_as_one_from_a_region_without_history():
    # It may come from anywhere; the pooled thresholds are certified on the
    # training regions only.
    assert thresholds_for_region(GENERIC_REGION, POOLED, MEASURED) == {
        **POOLED,
        "agency": 1.0,
        "category": 1.0,
    }
    assert has_region_history(GENERIC_REGION, MEASURED) is False
    # Even when the training data carried rows under the generic region's code.
    assert thresholds_for_region(GENERIC_REGION, POOLED, {GENERIC_REGION: POOLED})["agency"] == 1.0


def test_older_models_without_region_thresholds_use_the_pooled_ones():
    assert thresholds_for_region(GENERIC_REGION, POOLED, None) == POOLED
    assert thresholds_for_region("kab-baru", POOLED, None) == POOLED
    assert has_region_history(GENERIC_REGION, None) is None
    assert has_region_history("kab-baru", None) is None
    assert has_region_history("kab-baru", MEASURED) is False
    assert has_region_history("kota-surabaya", MEASURED) is True


def test_operator_overrides_only_tighten_a_regions_routing_and_region_files_win_last():
    stricter, looser = {"agency": 0.9, "urgency": 0.5}, {"agency": 0.5, "category": 0.1}
    assert thresholds_for_region("kota-surabaya", POOLED, MEASURED, stricter)["agency"] == 0.9
    assert thresholds_for_region("kota-surabaya", POOLED, MEASURED, looser) == {
        **POOLED,
        "agency": 0.84,
        "category": 0.61,
    }
    # A deployment-wide number never opens a region whose complaints certified nothing.
    assert thresholds_for_region("kab-baru", POOLED, MEASURED, stricter)["agency"] == 1.0
    assert thresholds_for_region("kab-bandung", POOLED, MEASURED, looser)["agency"] == 1.0
    assert thresholds_for_region(GENERIC_REGION, POOLED, MEASURED, looser)["agency"] == 1.0
    # Heads that do not route, and older models, take them as given.
    assert thresholds_for_region("kab-baru", POOLED, MEASURED, stricter)["urgency"] == 0.5
    assert thresholds_for_region("kab-baru", POOLED, None, looser)["agency"] == 0.5
    base = thresholds_for_region("kab-baru", POOLED, MEASURED)
    opened = Region("kab-baru", "Baru", {"pupr": "PU"}, thresholds={"agency": 0.95})
    routed = route_prediction(_prediction("pupr", 0.97), opened, base, load_taxonomy())
    assert not routed.decision.needs_review


def test_the_reason_a_region_routes_nothing_is_named():
    assert "no labelled complaints" in why_agency_routes_nothing("kab-baru", MEASURED)
    # Bandung was measured, but its own complaints certified no agency threshold.
    assert "no agency threshold reached" in why_agency_routes_nothing("kab-bandung", MEASURED)
    # Jawa Tengah's complaints carry categories, no agencies.
    assert why_agency_routes_nothing("prov-jawa-tengah", MEASURED) == (
        "the model has no agency-labelled complaints of this region"
    )
    assert why_agency_routes_nothing("kota-surabaya", MEASURED) is None
    assert "names no region" in why_agency_routes_nothing(GENERIC_REGION, MEASURED)
    assert why_agency_routes_nothing(GENERIC_REGION, None) is None
    assert why_agency_routes_nothing("kab-baru", None) is None


def test_the_operator_hears_when_and_why_a_region_routes_nothing():
    bare = Region("kab-baru", "Baru", {"pupr": "PU"})
    unseen = thresholds_for_region("kab-baru", POOLED, MEASURED)
    assert strict_routing_note(bare, unseen, MEASURED) == (
        "region kab-baru: every complaint goes to review, "
        "because the model has no labelled complaints of this region"
    )
    # Bandung's street-lighting override still routes on its measured category threshold.
    bandung = Region("kab-bandung", "Bandung", {"pupr": "PU"}, {"penerangan_jalan": "pupr"})
    note = strict_routing_note(
        bandung, thresholds_for_region("kab-bandung", POOLED, MEASURED), MEASURED
    )
    assert note is not None
    assert "unless a category override" in note and "0.94" in note
    assert "no agency threshold reached" in note
    chosen = Region("kab-baru", "Baru", {"pupr": "PU"}, thresholds={"agency": 0.9})
    assert strict_routing_note(chosen, unseen, MEASURED) is None
    surabaya = Region("kota-surabaya", "Surabaya", {"pupr": "PU"})
    measured = thresholds_for_region("kota-surabaya", POOLED, MEASURED)
    assert strict_routing_note(surabaya, measured, MEASURED) is None


def test_a_category_no_regional_opd_holds_goes_to_review_with_why():
    taxonomy = load_taxonomy()
    assert "PLN" in taxonomy.outside_duties["listrik_energi"]
    region = Region("kota-surabaya", "Surabaya", {"perhubungan": "Dishub", "pupr": "PU"})
    # The agency head has never seen a labelled electricity complaint: its 0.97 is a guess.
    outage = route_prediction(
        _prediction("perhubungan", 0.97, "listrik_energi", 0.9), region, POOLED, taxonomy
    )
    assert outage.decision.needs_review
    assert outage.decision.reasons[0].startswith("category listrik_energi: electricity")
    road = route_prediction(_prediction("pupr", 0.97), region, POOLED, taxonomy)
    assert not road.decision.needs_review


def test_a_region_that_gives_the_category_to_its_own_opd_is_not_overruled():
    taxonomy = load_taxonomy()
    region = Region(
        "kab-energi",
        "Energi",
        {"ekonomi": "Dinas ESDM"},
        category_overrides={"listrik_energi": "ekonomi"},
    )
    routed = route_prediction(
        _prediction("perhubungan", 0.97, "listrik_energi", 0.95), region, POOLED, taxonomy
    )
    assert routed.routing.agency == "ekonomi"
    assert not any(r.startswith("category listrik_energi") for r in routed.decision.reasons)


def test_history_per_head_is_what_the_region_was_labelled_for():
    assert head_has_region_history("kota-surabaya", "agency", MEASURED) is True
    # Jawa Tengah's complaints carry a category but no agency.
    assert head_has_region_history("prov-jawa-tengah", "category", MEASURED) is True
    assert head_has_region_history("prov-jawa-tengah", "agency", MEASURED) is False
    # Heads that do not route follow the region as a whole.
    assert head_has_region_history("prov-jawa-tengah", "urgency", MEASURED) is True
    assert head_has_region_history(GENERIC_REGION, "urgency", MEASURED) is False
    assert head_has_region_history("kab-baru", "category", MEASURED) is False
    assert head_has_region_history("kota-surabaya", "agency", None) is None
