import numpy as np
import pytest
from salur.model.heads import (
    CumulativeOrdinalClassifier,
    MultiHeadClassifier,
    _sigmoid_calibrated,
)
from sklearn.base import clone

LEVELS = ("rendah", "sedang", "tinggi", "darurat")


def ordinal_sample(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A latent severity read through one informative and two noise features."""
    rng = np.random.default_rng(seed)
    severity = rng.uniform(0, 4, n)
    X = np.column_stack([severity + rng.normal(0, 0.3, n), rng.normal(size=(n, 2))])
    y = np.array(LEVELS, dtype=object)[np.minimum(severity.astype(int), 3)]
    return X, y


def test_ordinal_follows_the_estimator_contract():
    model = CumulativeOrdinalClassifier(order=LEVELS, C=0.5)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "cuts_")
    copy.set_params(C=2.0)
    assert copy.C == 2.0 and model.C == 0.5
    X, y = ordinal_sample()
    assert model.fit(X, y) is model
    assert list(model.classes_) == sorted(LEVELS)


def test_ordinal_probabilities_are_a_distribution_and_predictions_follow_the_scale():
    X, y = ordinal_sample()
    model = CumulativeOrdinalClassifier(order=LEVELS, C=1.0, calibration_folds=3).fit(X, y)
    test_X, test_y = ordinal_sample(seed=1)
    proba = model.predict_proba(test_X)
    assert proba.shape == (len(test_X), 4)
    assert (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # Noise of 0.3 on levels one unit wide caps accuracy near 0.8.
    assert (model.predict(test_X) == test_y).mean() > 0.7
    # The lowest and the highest severity land on the two ends of the scale.
    ends = model.predict(np.array([[-1.0, 0.0, 0.0], [5.0, 0.0, 0.0]]))
    assert list(ends) == ["rendah", "darurat"]


def test_ordinal_decision_is_one_linear_function_per_class():
    X, y = ordinal_sample()
    model = CumulativeOrdinalClassifier(order=LEVELS).fit(X, y)
    scores = model.decision_function(X)
    np.testing.assert_allclose(scores, X @ model.coef_.T + model.intercept_)
    assert (model.classes_[scores.argmax(axis=1)] == model.predict(X)).all()


def test_ordinal_rejects_labels_off_the_scale():
    X, y = ordinal_sample(60)
    y[0] = "mendesak"
    with pytest.raises(ValueError, match="outside the ordinal scale"):
        CumulativeOrdinalClassifier(order=LEVELS).fit(X, y)


def test_multihead_uses_the_ordinal_form_for_ordinal_heads():
    X, y = ordinal_sample()
    head = MultiHeadClassifier(
        heads=("urgency",), C=1.0, min_class_count=3, ordinal_heads={"urgency": LEVELS}
    ).fit(X, y.reshape(-1, 1))
    assert isinstance(head.estimators_["urgency"], CumulativeOrdinalClassifier)
    chosen, proba = head.predict_indices(X)["urgency"]
    assert proba.shape == (len(X), 4)
    assert head.coefficients("urgency").shape == (4, X.shape[1])
    assert (head.predict(X)[:, 0] == y).mean() > 0.7
    assert clone(head).get_params()["ordinal_heads"] == {"urgency": LEVELS}


def test_ordinal_probabilities_are_differences_of_the_calibrated_cuts():
    X, y = ordinal_sample()
    model = CumulativeOrdinalClassifier(order=LEVELS, C=1.0).fit(X, y)
    test_X, _ = ordinal_sample(50, seed=2)
    at_least = []
    for cut in model.cuts_:
        fast = _sigmoid_calibrated(cut, test_X)[1][:, 0]
        true_column = list(cut.classes_).index(True)
        np.testing.assert_allclose(fast, cut.predict_proba(test_X)[:, true_column], atol=1e-12)
        at_least.append(fast)
    ge = np.minimum.accumulate(np.column_stack(at_least), axis=1)
    ones, zeros = np.ones((len(test_X), 1)), np.zeros((len(test_X), 1))
    by_level = np.hstack([ones, ge]) - np.hstack([ge, zeros])
    expected = np.column_stack([by_level[:, LEVELS.index(c)] for c in model.classes_])
    np.testing.assert_allclose(model.predict_proba(test_X), expected, atol=1e-12)


def test_models_pickled_before_ordinal_heads_still_describe_themselves():
    import pickle

    X, y = ordinal_sample(120)
    head = MultiHeadClassifier(heads=("urgency",), min_class_count=3).fit(X, y.reshape(-1, 1))
    del head.__dict__["ordinal_heads"]  # as in a folder saved by an older version
    restored = pickle.loads(pickle.dumps(head))
    assert restored.get_params()["ordinal_heads"] is None
    assert "MultiHeadClassifier" in repr(restored)
    np.testing.assert_allclose(
        restored.predict_proba(X)["urgency"], head.predict_proba(X)["urgency"]
    )


def test_one_pass_margins_match_the_per_class_decision_function():
    X, y = ordinal_sample()
    model = CumulativeOrdinalClassifier(order=LEVELS).fit(X, y)
    scores, proba = model.margins_and_proba(X)
    np.testing.assert_allclose(scores, model.decision_function(X), atol=1e-10)
    np.testing.assert_allclose(proba, model.predict_proba(X))
