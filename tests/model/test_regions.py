from pathlib import Path

import pytest
from salur.model.classifier import Alternative, HeadPrediction, Prediction
from salur.model.decision import Decision
from salur.model.regions import Region, RegionError, load_regions, parse_region, route_agency
from salur.model.routing import route_prediction
from salur.model.taxonomy import load_taxonomy

REGIONS = Path(__file__).resolve().parents[2] / "service" / "regions"


def test_shipped_regions_load_and_cover_the_taxonomy():
    taxonomy = load_taxonomy()
    regions = load_regions(REGIONS, taxonomy)
    assert {"default", "kota-surabaya", "kab-bandung"} <= set(regions)
    assert set(regions["default"].opds) == set(taxonomy.agencies)
    assert regions["kota-surabaya"].opd_name("pupr") == "Dinas Sumber Daya Air dan Bina Marga"
    assert (
        regions["kab-bandung"].opd_name("pupr")
        == "Dinas Pekerjaan Umum Dan Tata Ruang Kab. Bandung"
    )


def test_region_with_unknown_codes_is_refused():
    with pytest.raises(RegionError, match="unknown agency"):
        parse_region(
            {"code": "x", "name": "X", "opds": {"dinas_sihir": "Dinas Sihir"}}, load_taxonomy()
        )
    with pytest.raises(RegionError, match="needs code"):
        parse_region({"name": "X"}, load_taxonomy())


def test_route_agency_override_and_missing_opd():
    region = Region("r", "R", {"pupr": "PU", "perhubungan": "Dishub"}, {"penerangan_jalan": "pupr"})
    plain = route_agency(region, "perhubungan", "lalu_lintas_parkir")
    assert (plain.agency, plain.opd_name, plain.override) == ("perhubungan", "Dishub", None)
    overridden = route_agency(region, "perhubungan", "penerangan_jalan")
    assert overridden.agency == "pupr" and overridden.opd_name == "PU" and overridden.override
    missing = route_agency(region, "pdam", "air_bersih")
    assert missing.opd_name is None


def _prediction(agency, agency_p, category="jalan_jembatan", category_p=0.9):
    def head(code, p):
        return HeadPrediction(code, p, (Alternative(code, p),))

    heads = {
        "agency": head(agency, agency_p),
        "category": head(category, category_p),
        "urgency": head("sedang", 0.7),
        "report_type": head("aspirasi", 0.8),
    }
    return Prediction(heads, Decision("auto_route"), "v")


def test_route_prediction_sends_unmapped_agency_to_review():
    region = Region("r", "R", {"pupr": "PU"})
    routed = route_prediction(_prediction("pdam", 0.99), region, {"agency": 0.5}, load_taxonomy())
    assert routed.decision.needs_review and routed.deadline_working_days == 5


def test_route_prediction_uses_category_confidence_under_override():
    region = Region(
        "r", "R", {"pupr": "PU", "perhubungan": "Dishub"}, {"jalan_jembatan": "perhubungan"}
    )
    thresholds = {"agency": 0.8, "category": 0.6}
    routed = route_prediction(
        _prediction("pupr", 0.3, category_p=0.7), region, thresholds, load_taxonomy()
    )
    assert routed.routing.agency == "perhubungan" and not routed.decision.needs_review
    unsure = route_prediction(
        _prediction("pupr", 0.99, category_p=0.5), region, thresholds, load_taxonomy()
    )
    assert unsure.decision.needs_review


def test_region_thresholds_win_over_the_models():
    strict = Region("r", "R", {"pupr": "PU"}, thresholds={"agency": 0.95})
    model_thresholds = {"agency": 0.5, "category": 0.4}
    routed = route_prediction(_prediction("pupr", 0.9), strict, model_thresholds, load_taxonomy())
    assert routed.decision.needs_review
    assert routed.thresholds == {"agency": 0.95, "category": 0.4}
    plain = route_prediction(
        _prediction("pupr", 0.9),
        Region("r", "R", {"pupr": "PU"}),
        model_thresholds,
        load_taxonomy(),
    )
    assert not plain.decision.needs_review


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        ({"agnecy": 0.9}, "unknown heads"),
        ({"agency": 1.5}, "outside"),
        ({"agency": "high"}, "must be numbers"),
        ({"agency": False}, "yes/no value"),
    ],
)
def test_region_thresholds_are_validated(thresholds, message):
    data = {"code": "r", "name": "R", "opds": {"pupr": "PU"}, "thresholds": thresholds}
    with pytest.raises(RegionError, match=message):
        parse_region(data, load_taxonomy())
    assert parse_region({**data, "thresholds": {"agency": 0.9}}, load_taxonomy()).thresholds == {
        "agency": 0.9
    }


def test_a_region_agency_threshold_also_gates_category_overrides():
    overrides = {"jalan_jembatan": "perhubungan"}
    opds = {"pupr": "PU", "perhubungan": "Dishub"}
    thresholds = {"agency": 0.8, "category": 0.6}
    confident_category = _prediction("pupr", 0.3, category_p=0.9)
    lax = route_prediction(
        confident_category, Region("r", "R", opds, overrides), thresholds, load_taxonomy()
    )
    assert not lax.decision.needs_review and lax.agency_confidence == 0.9
    strict = Region("r", "R", opds, overrides, thresholds={"agency": 1.0})
    routed = route_prediction(confident_category, strict, thresholds, load_taxonomy())
    assert routed.decision.needs_review and routed.thresholds["agency"] == 1.0


@pytest.mark.parametrize(
    "content",
    [b"code: r\nname: R\nthresholds: {agency: 0.9\n", b"\xff\xfe bad bytes", b"- a list\n"],
    ids=["yaml-syntax", "not-utf8", "not-a-mapping"],
)
def test_unreadable_region_files_name_the_file(tmp_path, content):
    (tmp_path / "r.yaml").write_bytes(content)
    with pytest.raises(RegionError, match="r.yaml"):
        load_regions(tmp_path, load_taxonomy())


def test_shipped_bandung_file_sends_street_lighting_to_public_works():
    regions = load_regions(REGIONS, load_taxonomy())
    routing = route_agency(regions["kab-bandung"], "perhubungan", "penerangan_jalan")
    assert routing.agency == "pupr" and routing.override
    assert (
        route_agency(regions["kota-surabaya"], "perhubungan", "penerangan_jalan").override is None
    )
