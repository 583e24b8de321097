import hashlib
import json
import logging

import numpy as np
import pytest
from salur.model.artifact import ModelLoadError, load_model, model_digest, save_model, verify_model
from salur.model.classifier import Classifier
from salur.model.heads import (
    CumulativeOrdinalClassifier,
    MultiHeadClassifier,
    _sigmoid_calibrated,
)
from sklearn.base import clone


def _save(fitted, tmp_path, name="v1"):
    meta = {"version": name, "thresholds": {"agency": 0.5}}
    return save_model(fitted, meta, "# card", tmp_path / name)


def test_round_trip_gives_identical_probabilities(fitted_small, small_frame, tmp_path):
    docs = small_frame["document"].tolist()[:50]
    before = fitted_small.predict_proba(docs)
    loaded, meta = load_model(_save(fitted_small, tmp_path))
    after = loaded.predict_proba(docs)
    assert set(before) == set(after)
    for head in before:
        np.testing.assert_array_equal(before[head], after[head])
    assert meta["version"] == "v1" and len(meta["pipeline_sha256"]) == 64


def test_versions_are_never_overwritten(fitted_small, tmp_path):
    _save(fitted_small, tmp_path)
    with pytest.raises(FileExistsError):
        _save(fitted_small, tmp_path)


def test_tampered_pipeline_is_refused(fitted_small, tmp_path):
    folder = _save(fitted_small, tmp_path)
    with (folder / "pipeline.joblib").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelLoadError, match="does not match"):
        load_model(folder)


def test_pinned_hash_is_enforced(fitted_small, tmp_path):
    folder = _save(fitted_small, tmp_path)
    with pytest.raises(ModelLoadError, match="pinned"):
        load_model(folder, expected_sha256="0" * 64)


def test_pin_covers_the_thresholds_in_the_metadata(fitted_small, tmp_path):
    folder = _save(fitted_small, tmp_path)
    pin = model_digest(folder)
    assert pin == hashlib.sha256((folder / "metadata.json").read_bytes()).hexdigest()
    load_model(folder, expected_sha256=pin.upper())  # as PowerShell prints it
    meta = json.loads((folder / "metadata.json").read_text())
    meta["thresholds"] = {"agency": 0.0}  # pipeline untouched: its own hash still matches
    (folder / "metadata.json").write_text(json.dumps(meta))
    load_model(folder)
    with pytest.raises(ModelLoadError, match="pinned"):
        load_model(folder, expected_sha256=pin)
    with pytest.raises(ModelLoadError, match="pinned"):
        verify_model(folder, expected_sha256=pin)


@pytest.mark.parametrize(
    "change",
    [
        {"region_thresholds": {"kota-surabaya": 0.5}},
        {"emergency_alert": 0.5},
        {"thresholds": ["agency", 0.5]},
        {"confidence_calibration": {"agency": {"slope": "steep"}}},
    ],
)
def test_malformed_metadata_is_a_load_error_naming_the_file(fitted_small, tmp_path, change):
    folder = _save(fitted_small, tmp_path)
    meta = json.loads((folder / "metadata.json").read_text())
    (folder / "metadata.json").write_text(json.dumps({**meta, **change}))
    with pytest.raises(ModelLoadError, match="metadata.json: malformed"):
        Classifier.load(folder)


def test_a_pipeline_only_pin_still_loads_but_warns(fitted_small, tmp_path, caplog):
    folder = _save(fitted_small, tmp_path)
    pipeline_pin = json.loads((folder / "metadata.json").read_text())["pipeline_sha256"]
    with caplog.at_level(logging.WARNING, logger="salur.model.artifact"):
        load_model(folder, expected_sha256=pipeline_pin)
    assert "pin the SHA-256 of that file instead" in caplog.text


def test_missing_or_broken_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_model(tmp_path / "nope")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "metadata.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match="unreadable"):
        load_model(tmp_path / "broken")
    (tmp_path / "nopipe").mkdir()
    (tmp_path / "nopipe" / "metadata.json").write_text(json.dumps({"pipeline_sha256": "x"}))
    with pytest.raises(ModelLoadError, match="no pipeline"):
        load_model(tmp_path / "nopipe")


def test_classifier_gives_label_top3_and_terms(fitted_small, tmp_path):
    classifier = Classifier.load(_save(fitted_small, tmp_path))
    prediction = classifier.predict_one(
        "jalan rusak berlubang parah di depan sekolah, mohon diaspal"
    )
    agency = prediction.heads["agency"]
    assert agency.code == "pupr"
    assert len(agency.top) == 3 and agency.top[0].code == agency.code
    assert agency.top[0].probability >= agency.top[1].probability >= agency.top[2].probability
    assert 0.0 <= agency.probability <= 1.0
    assert any("jalan" in term or "aspal" in term for term in agency.terms)
    assert prediction.decision.outcome in {"auto_route", "needs_review"}


def test_multihead_contract_and_missing_labels():
    head = MultiHeadClassifier(heads=("a", "b"), min_class_count=2, calibration_folds=2)
    copy = clone(head)
    assert copy.get_params() == head.get_params()
    copy.set_params(C=1.0)
    assert copy.C == 1.0 and head.C == 0.5
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5))
    y = np.array(
        [
            ["x" if v > 0 else "y", "" if i % 2 else ("p" if v > 0 else "q")]
            for i, v in enumerate(X[:, 0])
        ],
        dtype=object,
    )
    assert head.fit(X, y) is head
    assert head.n_train_ == {"a": 40, "b": 20}
    proba = head.predict_proba(X)
    assert proba["a"].shape == (40, 2)
    np.testing.assert_allclose(proba["b"].sum(axis=1), 1.0)
    assert head.predict(X).shape == (40, 2)


def test_multihead_drops_rare_classes():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 3))
    y = np.array([["a"] * 14 + ["b"] * 14 + ["rare"] * 2], dtype=object).T
    fitted = MultiHeadClassifier(heads=("h",), min_class_count=3, calibration_folds=2).fit(X, y)
    assert fitted.dropped_classes_ == {"h": ["rare"]}
    assert list(fitted.classes_["h"]) == ["a", "b"]


def test_fast_probabilities_match_sklearn(fitted_small, small_frame):
    classify = fitted_small.named_steps["classify"]
    features = fitted_small[:-1].transform(small_frame["document"].tolist()[:80])
    fast = classify.predict_proba(features)
    for head, estimator in classify.estimators_.items():
        if isinstance(estimator, CumulativeOrdinalClassifier):
            # Its predict_proba is our own arithmetic; what must match sklearn is each cut.
            for cut in estimator.cuts_:
                true_column = list(cut.classes_).index(True)
                np.testing.assert_allclose(
                    _sigmoid_calibrated(cut, features)[1][:, 0],
                    cut.predict_proba(features)[:, true_column],
                    rtol=1e-9,
                    atol=1e-12,
                )
            continue
        np.testing.assert_allclose(
            fast[head], estimator.predict_proba(features), rtol=1e-9, atol=1e-12
        )
    assert isinstance(classify.estimators_["urgency"], CumulativeOrdinalClassifier)


def test_classifier_reports_calibrated_confidence_from_metadata(fitted_small, tmp_path):
    from salur.model.calibration import ConfidenceCalibration

    text = "jalan rusak berlubang parah di depan sekolah, mohon diaspal"
    calibration = ConfidenceCalibration(slope=1.4, intercept=0.3)
    plain = Classifier(fitted_small, {"version": "plain"}).predict_one(text)
    meta = {"version": "cal", "confidence_calibration": {"agency": calibration.to_dict()}}
    folder = save_model(fitted_small, meta, "# card", tmp_path / "cal")
    calibrated = Classifier.load(folder).predict_one(text)
    raw = plain.heads["agency"].probability
    assert calibrated.heads["agency"].code == plain.heads["agency"].code
    assert calibrated.heads["agency"].probability == pytest.approx(
        float(calibration.apply(np.array([raw]))[0])
    )
    # Heads without a map are untouched.
    assert calibrated.heads["category"].probability == plain.heads["category"].probability
