"""Every reason the decision rule writes reads in Indonesian on the admin page."""

import pytest
from salur.model.decision import EmergencyAlert, decide
from salur.service.indonesian import indonesian_error, indonesian_reason

OUTSIDE = {"listrik_energi": "electricity is run by PLN: choose where to forward it"}


@pytest.mark.parametrize(
    ("confidences", "labels", "thresholds", "extra", "expected"),
    [
        ({"agency": 0.59}, {}, {"agency": 0.88}, {}, "keyakinan agency 0.59 di bawah ambang 0.88"),
        ({"agency": 0.99}, {}, {"agency": 1.0}, {}, "di wilayah ini semua aduan ditinjau"),
        ({}, {}, {"agency": 0.5}, {}, "agency: tidak ada prediksi"),
        (
            {"agency": 0.9},
            {"agency": "pdam"},
            {"agency": 0.5},
            {"region_has_agency": False},
            "wilayah ini tidak punya OPD untuk 'pdam'",
        ),
        (
            {"agency": 0.9},
            {"urgency": "sedang"},
            {"agency": 0.5},
            {"emergency": EmergencyAlert(0.31, 0.05)},
            "kemungkinan darurat: model memilih urgensi 'sedang', tetapi peluang darurat 0.31",
        ),
        (
            {"agency": 0.9},
            {"category": "listrik_energi"},
            {"agency": 0.5},
            {"outside_duties": OUTSIDE},
            "kategori listrik_energi biasanya bukan tugas OPD daerah",
        ),
    ],
)
def test_each_reason_the_rule_writes_is_reworded(confidences, labels, thresholds, extra, expected):
    decision = decide(confidences, labels, thresholds, **extra)
    (reason,) = decision.reasons
    shown = indonesian_reason(reason)
    assert expected in shown
    for english in ("confidence", "threshold", "below", "region has", "possible emergency"):
        assert english not in shown


def test_an_unknown_reason_is_shown_as_written():
    assert indonesian_reason("something new happened") == "something new happened"


def test_the_admin_pages_errors_read_in_indonesian(make_client, auth):
    from salur.service.security import hash_password

    from tests.service.test_review import TEXT, classify, csrf_from, login

    client = make_client(thresholds={"agency": 1.01})
    client.app.state.store.add_admin("admin1", hash_password("rahasia-sekali-123"))
    login(client)
    assert "aduan 424242 tidak ada" in client.get("/admin/items/424242").text
    assert "nomor aduan harus 1 atau lebih" in client.get("/admin/items/0").text
    assert "nomor aduan harus berupa angka" in client.get("/admin/items/abc").text
    classify(client, auth, TEXT, region="kota-surabaya")
    item = client.get("/v1/review/queue", headers=auth).json()["items"][0]
    token = csrf_from(client, f"/admin/items/{item['id']}")
    unchanged = client.post(
        f"/admin/items/{item['id']}/review",
        data={"action": "corrected", "csrf_token": token, **item["predicted"]},
    )
    assert unchanged.status_code == 422 and "tidak ada yang diubah" in unchanged.text
    stale = client.post(
        f"/admin/items/{item['id']}/review", data={"action": "accepted", "csrf_token": "x"}
    )
    assert stale.status_code == 403 and "formulir sudah kedaluwarsa" in stale.text
    # The JSON API keeps its English messages for the systems that read them.
    assert client.get("/v1/review/items/424242", headers=auth).json()["detail"] == (
        "no complaint 424242"
    )


def test_every_review_error_form_is_reworded():
    for english, indonesian in [
        ("no complaint 7", "aduan 7 tidak ada"),
        (
            "complaint 7 was already reviewed (corrected) by siti at 2026-11-24 10:00 UTC; "
            "reload it to see the decision",
            "aduan 7 sudah ditinjau (corrected) oleh siti",
        ),
        ("you changed agency, urgency: save it as a correction, or put", "Anda mengubah agency"),
        (
            "region kab-x has no OPD for agency 'pdam': choose the responsible OPD",
            "wilayah kab-x tidak punya OPD untuk 'pdam'",
        ),
        ("'zzz' is not a valid category here; choose one of: a, b", "bukan pilihan category"),
        ("action must be one of accepted, corrected", "tindakan harus salah satu dari"),
        ("review database not configured", "basis data peninjauan belum diatur"),
    ]:
        assert indonesian in indonesian_error(english)
