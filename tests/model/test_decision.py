import numpy as np
import pytest
from salur.model.decision import (
    AUTO_ROUTE,
    NEEDS_REVIEW,
    EmergencyAlert,
    choose_alert_level,
    choose_threshold,
    coverage_precision_curve,
    decide,
    wilson_lower_bound,
)


def test_threshold_reaches_target_precision():
    rng = np.random.default_rng(0)
    conf = rng.uniform(0, 1, 2000)
    correct = rng.uniform(0, 1, 2000) < conf  # calibrated by construction
    threshold = choose_threshold(conf, correct, target_precision=0.9, min_support=30)
    routed = conf >= threshold
    assert correct[routed].mean() >= 0.9
    # the lowest qualifying threshold: a little lower must miss the target
    lower = conf >= threshold - 0.05
    assert correct[lower].mean() < 0.9 or threshold == conf.min()


def test_threshold_is_one_when_target_unreachable():
    assert choose_threshold([0.9, 0.8, 0.7], [False, False, True], 0.95, min_support=1) == 1.0
    assert choose_threshold([], [], 0.95) == 1.0


def test_threshold_respects_min_support():
    conf = [0.99, 0.98] + [0.5] * 50
    correct = [True, True] + [False] * 50
    assert choose_threshold(conf, correct, 0.95, min_support=10) == 1.0
    assert choose_threshold(conf, correct, 0.95, min_support=2) == 0.98


def test_threshold_includes_ties():
    conf = [0.9, 0.9, 0.9, 0.8]
    correct = [True, True, False, True]
    assert choose_threshold(conf, correct, 0.7, min_support=1) == 0.8
    assert choose_threshold(conf, correct, 0.9, min_support=1) == 1.0


def test_wilson_lower_bound_matches_known_values():
    # 95 of 100 at one-sided 95% (z = 1.645), worked by hand:
    # (0.95 + z²/200 - z·sqrt(0.95·0.05/100 + z²/40000)) / (1 + z²/100) = 0.9008
    bound = wilson_lower_bound(np.array([0.95]), np.array([100]), 0.95)
    assert bound[0] == pytest.approx(0.9008, abs=5e-4)
    # The bound tightens towards the proportion as n grows, and never exceeds it.
    wide, narrow = wilson_lower_bound(np.array([0.9, 0.9]), np.array([50, 50_000]), 0.95)
    assert wide < narrow < 0.9
    with pytest.raises(ValueError):
        wilson_lower_bound(np.array([0.9]), np.array([10]), 1.0)


def test_threshold_with_confidence_level_is_stricter_and_holds_out_of_sample():
    rng = np.random.default_rng(1)

    def sample(n):
        conf = rng.uniform(0.3, 1, n)
        return conf, rng.uniform(0, 1, n) < conf

    conf, correct = sample(3000)
    point = choose_threshold(conf, correct, 0.9, min_support=30)
    bounded = choose_threshold(conf, correct, 0.9, min_support=30, confidence_level=0.95)
    assert bounded > point
    fresh_conf, fresh_correct = sample(20_000)
    assert fresh_correct[fresh_conf >= bounded].mean() >= 0.9


def test_threshold_rejects_mismatched_lengths():
    with pytest.raises(ValueError):
        choose_threshold([0.5], [True, False], 0.9)


def test_decide_routes_only_above_threshold():
    thresholds = {"agency": 0.6, "category": 0.5}
    ok = decide({"agency": 0.7, "category": 0.4}, {"agency": "pupr"}, thresholds)
    assert ok.outcome == AUTO_ROUTE and ok.confident_heads == ("agency",)
    low = decide({"agency": 0.59, "category": 0.9}, {"agency": "pupr"}, thresholds)
    assert low.outcome == NEEDS_REVIEW and "agency confidence 0.59" in low.reasons[0]


def test_decide_missing_threshold_means_review():
    assert decide({"agency": 0.99}, {"agency": "pupr"}, {}).needs_review


def test_a_review_only_threshold_is_named_as_such():
    decision = decide({"agency": 0.9954}, {"agency": "pupr"}, {"agency": 1.0})
    assert decision.needs_review
    assert decision.reasons[0].startswith("agency: review-only here (threshold 1.00")
    assert decision.reasons[0].endswith("confidence 0.99")


def test_a_reason_never_shows_a_confidence_equal_to_its_threshold():
    [reason] = decide({"agency": 0.8795}, {"agency": "pupr"}, {"agency": 0.8801}).reasons
    assert reason == "agency confidence 0.87 below threshold 0.89"
    [exact] = decide({"agency": 0.29}, {"agency": "pupr"}, {"agency": 0.3}).reasons
    assert exact == "agency confidence 0.29 below threshold 0.30"


def test_decide_region_without_agency_goes_to_review():
    decision = decide(
        {"agency": 0.99}, {"agency": "pdam"}, {"agency": 0.5}, region_has_agency=False
    )
    assert decision.needs_review and "no OPD" in decision.reasons[0]


def test_coverage_curve_is_monotone_in_coverage():
    curve = coverage_precision_curve([0.1, 0.5, 0.9], [False, True, True], [0.0, 0.5, 0.95])
    assert [p["coverage"] for p in curve] == pytest.approx([1.0, 2 / 3, 0.0])
    assert curve[1]["precision"] == 1.0


def test_alert_level_keeps_the_target_share_of_emergencies():
    probabilities = [0.9, 0.5, 0.3, 0.2, 0.1, 0.05, 0.4, 0.01]
    emergency = [True, True, True, True, False, True, False, False]
    # Five emergencies: 0.6 of them is three, the third highest is 0.3.
    level = choose_alert_level(probabilities, emergency, 0.6, min_positives=5)
    assert level == 0.3
    flagged = np.asarray(probabilities) >= level
    assert flagged[np.asarray(emergency)].mean() >= 0.6
    assert choose_alert_level(probabilities, emergency, 1.0, min_positives=5) == 0.05
    assert choose_alert_level(probabilities, emergency, 0.6, min_positives=6) is None
    with pytest.raises(ValueError):
        choose_alert_level(probabilities, emergency, 0.0)


def test_a_possible_emergency_not_called_darurat_goes_to_review():
    thresholds = {"agency": 0.6}
    alert = EmergencyAlert(probability=0.21, level=0.2)
    calm = decide(
        {"agency": 0.9}, {"agency": "damkar", "urgency": "sedang"}, thresholds, emergency=alert
    )
    assert calm.needs_review and calm.possible_emergency
    assert "possible emergency: urgency 'sedang' was chosen" in calm.reasons[0]
    assert "probability 0.21 (alert level 0.20)" in calm.reasons[0]
    # Called darurat, it is routed as such: the agency sees the urgency.
    called = decide(
        {"agency": 0.9}, {"agency": "damkar", "urgency": "darurat"}, thresholds, emergency=alert
    )
    assert called.outcome == AUTO_ROUTE and called.possible_emergency
    below = EmergencyAlert(probability=0.19, level=0.2)
    quiet = decide(
        {"agency": 0.9}, {"agency": "damkar", "urgency": "sedang"}, thresholds, emergency=below
    )
    assert quiet.outcome == AUTO_ROUTE and not quiet.possible_emergency
    assert (
        decide({"agency": 0.9}, {"agency": "pupr", "urgency": "sedang"}, thresholds).outcome
        == AUTO_ROUTE
    )


def test_an_alert_never_reads_as_below_its_level():
    alert = EmergencyAlert(probability=0.4523, level=0.4512)
    decision = decide({"agency": 0.9}, {"urgency": "sedang"}, {"agency": 0.5}, emergency=alert)
    assert "probability 0.45 (alert level 0.45)" in decision.reasons[0]
