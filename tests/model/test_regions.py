from pathlib import Path

import pytest
from salur.model.classifier import Alternative, HeadPrediction, Prediction
from salur.model.decision import Decision
from salur.model.regions import (
    Region,
    RegionError,
    load_regions,
    locate_local_office,
    parse_region,
    route_agency,
)
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


OFFICES = (
    "Kelurahan Ploso",
    "Kelurahan Kapas Madya",
    "Kelurahan Kapas Madya Baru",
    "Kecamatan Gubeng",
    "Kecamatan Tambaksari",
    "Kecamatan Amatan",
    "Desa Sukamaju",
    "Kelurahan Sumur Welut",
    "Kelurahan dr. Soetomo",
    "Kecamatan Solokanjeruk",
    "Kecamatan Benowo",
    "Desa 1 Ulu",
    "Desa 2 Ulu",
)


@pytest.mark.parametrize(
    ("text", "office"),
    [
        ("Petugas Kel. Ploso tidak ada di tempat", "Kelurahan Ploso"),
        ("pelayanan kelurahan ploso lambat", "Kelurahan Ploso"),
        ("kel.ploso", "Kelurahan Ploso"),
        ("KEC. GUBENG, surat belum jadi", "Kecamatan Gubeng"),
        ("jalan di ds.sukamaju rusak", "Desa Sukamaju"),
        ("kel. sumurwelut", "Kelurahan Sumur Welut"),
        # Listed as one word, written as two; a name with a dot, written with it.
        ("Kecamatan Solokan Jeruk banjir", "Kecamatan Solokanjeruk"),
        ("jalan rusak di Kelurahan Dr. Soetomo", "Kelurahan dr. Soetomo"),
        ("Kel.. Ploso", "Kelurahan Ploso"),
        ("ds 2 ulu", "Desa 2 Ulu"),
        # Line breaks as exports write them: escaped, glued, or HTML.
        ("Mohon dibantu.\\nKelurahan Ploso jalan rusak", "Kelurahan Ploso"),
        ("jalan rusak di Kecamatan GubengMohon segera", "Kecamatan Gubeng"),
        ("jalan rusak di Kec.&nbsp;Gubeng", "Kecamatan Gubeng"),
        ("jalan rusak di Kec.<br>Gubeng", "Kecamatan Gubeng"),
        # Another institution named after its district is not the district office.
        ("daftar nikah di KUA Kecamatan Benowo tidak dilayani", None),
        # One ward but two districts: which one the complaint is about is unclear.
        ("warga kel. Ploso kec. Tambaksari, mengurus surat di Kecamatan Gubeng", None),
        ("Kelurahan Sumur  Welut", "Kelurahan Sumur Welut"),
        # The longest name wins over a name it contains.
        ("RT di kelurahan kapas  madya baru minta iuran", "Kelurahan Kapas Madya Baru"),
        # A ward and its district: the ward is the more precise office.
        ("warga kel ploso kec tambaksari", "Kelurahan Ploso"),
        # Two wards: naming none beats forwarding to the wrong one.
        ("saya warga kel ploso, masalahnya di kelurahan kapas madya", None),
        ("kecamatan gubeng dan kecamatan tambaksari saling lempar", None),
        # A name without its kind is a street, a station or a market as often.
        ("macet di depan Stasiun Gubeng", None),
        # "kecamatan" is not "kec" + an office called Amatan.
        ("pihak kecamatan tidak peduli", None),
        ("kelurahan tidak peduli", None),
        ("", None),
    ],
)
def test_locate_local_office(text, office):
    assert locate_local_office(text, OFFICES) == office


def test_only_a_complaint_for_the_local_office_is_sent_to_a_named_office():
    region = Region(
        "r", "R", {"kewilayahan": "Kelurahan setempat", "pupr": "PU"}, local_offices=OFFICES
    )
    named = route_agency(region, "kewilayahan", "kewilayahan", "loket kel. ploso tutup")
    assert (named.opd_name, named.local_office) == ("Kelurahan Ploso", "Kelurahan Ploso")
    unnamed = route_agency(region, "kewilayahan", "kewilayahan", "loket kelurahan tutup")
    assert (unnamed.opd_name, unnamed.local_office) == ("Kelurahan setempat", None)
    sectoral = route_agency(region, "pupr", "jalan_jembatan", "jalan rusak di kel. ploso")
    assert (sectoral.opd_name, sectoral.local_office) == ("PU", None)
    # A region without a local office: the agency has no OPD here, named office or not.
    no_local = Region("r", "R", {"pupr": "PU"}, local_offices=OFFICES)
    assert route_agency(no_local, "kewilayahan", "", "loket kel. ploso tutup").opd_name is None


@pytest.mark.parametrize(
    ("offices", "message"),
    [
        ("Kelurahan Ploso", "must be a list"),
        (["Kantor Ploso"], "must start with one of"),
        (["Kelurahan"], "must start with one of"),
        (["Kelurahan ---"], "must start with one of"),
        (["Desa 3-4 Ulu", "Desa 34 Ulu"], "read the same"),
    ],
)
def test_local_offices_are_validated(offices, message):
    data = {"code": "x", "name": "X", "opds": {}, "local_offices": offices}
    with pytest.raises(RegionError, match=message):
        parse_region(data, load_taxonomy())


def test_shipped_regions_name_their_local_offices():
    regions = load_regions(REGIONS, load_taxonomy())
    surabaya, bandung = regions["kota-surabaya"], regions["kab-bandung"]
    assert {"Kelurahan Ploso", "Kecamatan Gubeng", "Kecamatan Asemrowo"} <= set(
        surabaya.local_offices
    )
    # Spelled once: the history's "Asemrowo" and Kepmendagri's "Asem Rowo" are one office.
    assert "Kecamatan Asem Rowo" not in surabaya.local_offices
    assert "Kecamatan Pangalengan" in bandung.local_offices
    assert (surabaya.name, bandung.name) == ("Kota Surabaya", "Kabupaten Bandung")
    assert len(bandung.local_offices) == 31
