"""Every reason the decision rule writes reads in Indonesian on the admin page."""

import pytest
from salur.model.decision import EmergencyAlert, decide
from salur.service.reasons_id import indonesian_reason

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
