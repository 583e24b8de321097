import numpy as np
import pytest
from salur.model.calibration import (
    IDENTITY,
    ConfidenceCalibration,
    calibrate_rows,
    calibrations_from_metadata,
    fit_confidence_calibration,
)
from scipy.special import expit, logit


def underconfident_sample(n=20_000, seed=0):
    """Confidences whose real hit rate is sigmoid(1.5·logit(p) + 0.3), like the agency head's."""
    rng = np.random.default_rng(seed)
    confidence = rng.uniform(0.05, 0.99, n)
    correct = rng.uniform(size=n) < expit(1.5 * logit(confidence) + 0.3)
    return confidence, correct


def calibration_error(confidence, correct, bins=10):
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(confidence, edges) - 1, 0, bins - 1)
    return sum(
        (which == b).mean() * abs(correct[which == b].mean() - confidence[which == b].mean())
        for b in range(bins)
        if (which == b).any()
    )


def test_fit_recovers_the_miscalibration_and_removes_the_error():
    confidence, correct = underconfident_sample()
    calibration = fit_confidence_calibration(confidence, correct)
    assert calibration.slope == pytest.approx(1.5, abs=0.1)
    assert calibration.intercept == pytest.approx(0.3, abs=0.1)
    fresh_confidence, fresh_correct = underconfident_sample(seed=1)
    before = calibration_error(fresh_confidence, fresh_correct)
    after = calibration_error(calibration.apply(fresh_confidence), fresh_correct)
    assert before > 0.04
    assert after < 0.015


def test_the_map_never_reorders_or_merges_confidences():
    calibration = ConfidenceCalibration(slope=1.4, intercept=0.3)
    grid = np.linspace(0.001, 0.999, 999)
    mapped = calibration.apply(grid)
    assert np.all(np.diff(mapped) > 0)
    assert mapped.min() > 0 and mapped.max() < 1


def test_route_nothing_stays_route_nothing_however_steep_the_map():
    from salur.model.decision import decide

    # Every wrong answer at low confidence: a separable sample, a steep fit.
    rng = np.random.default_rng(0)
    confidence = np.r_[rng.uniform(0.2, 0.5, 20), rng.uniform(0.55, 0.999, 100), 1.0]
    correct = np.r_[np.zeros(20, bool), np.ones(101, bool)]
    calibration = fit_confidence_calibration(confidence, correct)
    mapped = calibration.apply(confidence)
    assert mapped.max() < 1.0
    assert (mapped >= 1.0).sum() == 0
    proba = np.array([[1.0, 0.0]])
    assert calibrate_rows(proba, np.array([0]), calibration)[0, 0] < 1.0
    assert decide({"agency": float(mapped.max())}, {"agency": "pupr"}, {"agency": 1.0}).outcome == (
        "needs_review"
    )


@pytest.mark.parametrize(
    "confidence, correct",
    [
        (np.linspace(0.1, 0.9, 60), np.linspace(0.1, 0.9, 60) > 0.3),  # too few rows
        (np.linspace(0.1, 0.9, 200), np.ones(200, bool)),  # never wrong
        (np.linspace(0.1, 0.9, 200), np.zeros(200, bool)),  # never right
        (np.linspace(0.1, 0.9, 200), np.linspace(0.1, 0.9, 200) < 0.5),  # falls with confidence
    ],
)
def test_unestimable_or_inverted_evidence_leaves_confidences_alone(confidence, correct):
    assert fit_confidence_calibration(confidence, correct) is IDENTITY


def test_rows_keep_summing_to_one_and_the_chosen_class_is_mapped():
    proba = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.0, 1.0, 0.0]])
    chosen = np.array([0, 2, 1])  # row 2: a margin head may choose a class that is not the argmax
    calibration = ConfidenceCalibration(slope=1.4, intercept=0.3)
    calibrated = calibrate_rows(proba, chosen, calibration)
    np.testing.assert_allclose(calibrated.sum(axis=1), 1.0, atol=1e-5)
    rows = np.arange(3)
    np.testing.assert_allclose(
        calibrated[rows, chosen][:2], calibration.apply(proba[rows, chosen])[:2]
    )
    assert 1.0 - 1e-5 < calibrated[2, 1] < 1.0
    # The other classes keep their proportions.
    assert calibrated[0, 1] / calibrated[0, 2] == pytest.approx(3.0)
    assert calibrate_rows(proba, chosen, IDENTITY) is proba


def test_lowering_a_weak_confidence_never_lifts_an_alternative_past_it():
    calibration = ConfidenceCalibration(slope=1.4, intercept=0.3)
    # Most probable class chosen, but barely: the map lowers 0.2 to ~0.17.
    weak = np.array([[0.2, 0.19, 0.18, 0.17, 0.16, 0.1]])
    calibrated = calibrate_rows(weak, np.array([0]), calibration)
    assert calibrated[0, 0] == pytest.approx(calibration.apply(np.array([0.2]))[0])
    assert calibrated[0, 0] < 0.2
    assert calibrated[0, 1:].max() <= calibrated[0, 0]
    assert calibrated.sum() < 1.0
    # A margin head's choice below a more probable class keeps that order too.
    margin = np.array([[0.2, 0.6, 0.15, 0.05]])
    calibrated = calibrate_rows(margin, np.array([0]), calibration)
    assert calibrated[0, 1] > calibrated[0, 0] >= calibrated[0, 2] > calibrated[0, 3]


def test_metadata_round_trip_and_old_models():
    calibration = ConfidenceCalibration(slope=1.43, intercept=0.26)
    stored = {"confidence_calibration": {"agency": calibration.to_dict()}}
    assert calibrations_from_metadata(stored) == {"agency": calibration}
    assert calibrations_from_metadata({"thresholds": {"agency": 0.8}}) == {}
    with pytest.raises(ValueError, match="slope > 0"):
        calibrations_from_metadata(
            {"confidence_calibration": {"agency": {"slope": -1, "intercept": 0}}}
        )
