import numpy as np
import pytest
from salur.model.calibration import ConfidenceCalibration
from salur.model.classifier import Classifier
from salur.model.pii import personal_words
from salur.model.text import compose_document


def test_personal_words_are_the_masked_names():
    assert personal_words("nama saya Siti Aminah, warga RT 3. Kata Bapak Joko begitu") == [
        "Joko",
        "Siti Aminah",
    ]
    assert personal_words("jalan rusak di depan sekolah") == []


def test_explanations_never_show_a_masked_name(fitted_small):
    classifier = Classifier(fitted_small, {"version": "test"})
    # A surname that is also the complaint's strongest word: without a title
    # of address it is an ordinary word and explains the decision ...
    plain = classifier.predict(["sampah menumpuk tidak diangkut, tolong sampah"])[0]
    assert any("sampah" in term.split() for term in plain.heads["agency"].terms)
    # ... after one it is a name, masked in the stored text, so it must not
    # come back as a "deciding word" in the admin page.
    named = classifier.predict(["menumpuk tidak diangkut, lapor Bapak Sampah Menumpuk"])[0]
    for head in named.heads.values():
        assert not {"sampah", "tumpuk", "menumpuk"} & {w for t in head.terms for w in t.split()}


def test_every_class_probability_and_the_emergency_alert(fitted_small):
    quiet = Classifier(fitted_small, {"version": "no-alert"})
    (prediction,) = quiet.predict(["rumah terbakar, api membesar, tolong segera"])
    urgency = prediction.heads["urgency"]
    assert set(urgency.probabilities) == {str(c) for c in fitted_small[-1].classes_["urgency"]}
    assert urgency.probabilities[urgency.code] == urgency.probability
    assert sum(urgency.probabilities.values()) <= 1.0 + 1e-9
    assert prediction.emergency is None and not prediction.decision.possible_emergency
    alerting = Classifier(
        fitted_small, {"version": "alert", "emergency_alert": {"probability": 0.0}}
    )
    (alerted,) = alerting.predict(["rumah terbakar, api membesar, tolong segera"])
    assert alerted.emergency is not None and alerted.emergency.raised
    assert alerted.emergency.probability == urgency.probabilities.get("darurat", 0.0)
    assert alerted.decision.possible_emergency
    assert alerted.decision.needs_review or alerted.label("urgency") == "darurat"


def test_composed_documents_predict_as_title_and_text(fitted_small):
    classifier = Classifier(fitted_small, {"version": "test"})
    texts = ["jalan rusak berlubang di depan sekolah", "lampu jalan mati sudah seminggu"]
    titles = ["Jalan Rusak", None]
    documents = [compose_document(title, text) for title, text in zip(titles, texts, strict=True)]
    assert classifier.predict(texts, titles) == classifier.predict_composed(documents)


def test_its_own_decision_routes_as_for_a_complaint_that_names_no_region(fitted_small):
    text = ["jalan rusak berlubang di depan sekolah"]
    open_to_all = {"agency": 0.0, "category": 0.0, "urgency": 0.0, "report_type": 0.0}
    older = Classifier(fitted_small, {"version": "older", "thresholds": open_to_all})
    assert older.predict(text)[0].decision.outcome == "auto_route"
    # A model that measured its regions knows the pooled thresholds hold only there.
    measured = Classifier(
        fitted_small,
        {
            "version": "measured",
            "thresholds": open_to_all,
            "region_thresholds": {"kota-surabaya": {"agency": 0.0, "category": 0.0}},
        },
    )
    (decided,) = measured.predict(text)
    assert decided.decision.outcome == "needs_review"
    assert measured.thresholds_without_region["agency"] == 1.0
    assert measured.thresholds == open_to_all


def test_confidence_is_calibrated_for_the_region_a_complaint_comes_from(fitted_small):
    lowering = ConfidenceCalibration(1.0, -2.0)
    meta = {
        "version": "regions",
        "confidence_calibration_unseen_region": {"agency": lowering.to_dict()},
        "region_thresholds": {
            "kota-surabaya": {"agency": 0.9, "category": 0.9},
            "prov-jawa-tengah": {"category": 0.9},
        },
    }
    classifier = Classifier(fitted_small, meta)
    text = "jalan rusak berlubang di depan sekolah"
    regions = ["kota-surabaya", "default", "kab-baru", "prov-jawa-tengah"]
    seen, named_none, never_seen, no_agency_labels = classifier.predict([text] * 4, regions=regions)
    (raw,) = Classifier(fitted_small, {"version": "raw"}).predict([text])
    assert seen.confidence("agency") == raw.confidence("agency")
    mapped = float(lowering.apply(np.array([raw.confidence("agency")]))[0])
    for prediction in (named_none, never_seen, no_agency_labels):
        assert prediction.confidence("agency") == pytest.approx(mapped)
        assert prediction.label("agency") == raw.label("agency")
        # A head without a map for unseen regions keeps its in-region one.
        assert prediction.confidence("category") == raw.confidence("category")
    # Without regions a complaint names none.
    assert classifier.predict([text])[0].confidence("agency") == pytest.approx(mapped)
    assert classifier.predict_one(text, region="kota-surabaya") == seen
    # A model from before per-region thresholds cannot tell regions apart.
    older = Classifier(fitted_small, {**meta, "region_thresholds": None})
    assert older.predict([text])[0].confidence("agency") == raw.confidence("agency")
    # A missing region (an empty spreadsheet cell) is a complaint naming none.
    for missing in ("", None, float("nan")):
        (unnamed,) = classifier.predict([text], regions=[missing])
        assert unnamed == named_none
    with pytest.raises(ValueError, match="2 documents but 1 regions"):
        classifier.predict([text, text], regions=["default"])
