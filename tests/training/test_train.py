from dataclasses import replace
from pathlib import Path

import pandas as pd
from salur.model.heads import CumulativeOrdinalClassifier
from salur.training.card import model_card
from salur.training.train import (
    TrainConfig,
    choose_decisions,
    choose_thresholds,
    out_of_fold_predictions,
    trainable_heads,
    unseen_region_calibrations,
    urgency_cross_validation,
)

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "training" / "configs" / "default.yaml"


def small_config(small_params, tmp_path, **changes):
    config = TrainConfig(
        data_dir=tmp_path, models_dir=tmp_path, threshold_folds=2, pipeline=small_params
    )
    return replace(config, **changes)


def test_default_recipe_bounds_thresholds_and_orders_urgency():
    config = TrainConfig.from_file(DEFAULT_CONFIG)
    assert config.threshold_confidence == 0.95
    assert config.pipeline["ordinal_urgency"] is True


def test_confidence_bound_never_lowers_a_threshold(small_frame, small_params, tmp_path):
    config = small_config(small_params, tmp_path, min_threshold_support=10)
    heads = trainable_heads(small_frame, small_params)
    predicted = out_of_fold_predictions(small_frame, config, heads, progress=lambda _: None)
    bounded = choose_thresholds(small_frame, predicted, config, heads)
    point = choose_thresholds(
        small_frame, predicted, replace(config, threshold_confidence=None), heads
    )
    assert set(bounded) == set(heads)
    # The bound sits below the measured precision, so it can only raise a threshold.
    assert any(bounded[head] > point[head] for head in heads)
    off = choose_thresholds(small_frame, predicted, replace(config, threshold_confidence=0), heads)
    assert off == point


def test_calibration_moves_thresholds_but_routes_the_same_complaints(
    small_frame, small_params, tmp_path
):
    config = small_config(small_params, tmp_path, min_threshold_support=10)
    heads = trainable_heads(small_frame, small_params)
    predicted = out_of_fold_predictions(small_frame, config, heads, progress=lambda _: None)
    raw_thresholds = choose_thresholds(small_frame, predicted, config, heads)
    decisions = choose_decisions(small_frame, predicted, config, heads)
    assert set(decisions.calibrations) == set(heads)
    assert any(not c.is_identity for c in decisions.calibrations.values())
    for head in heads:
        labelled = small_frame[head] != ""
        raw = predicted.loc[labelled, f"{head}_confidence"].to_numpy(dtype=float)
        mapped = decisions.calibrations[head].apply(raw)
        routed_raw = raw >= raw_thresholds[head]
        routed_mapped = mapped >= decisions.thresholds[head]
        assert (routed_raw == routed_mapped).all(), head
    stored = decisions.metadata()
    assert stored["thresholds"] == decisions.thresholds
    assert set(stored["confidence_calibration"]) == set(heads)
    # Routing heads also get a threshold per region, chosen on that region's rows alone.
    assert stored["region_thresholds"] == decisions.region_thresholds
    assert set(decisions.region_thresholds) == set(small_frame["region"])
    for region, thresholds in decisions.region_thresholds.items():
        assert set(thresholds) == {"agency", "category"}, region

        rows = small_frame["region"] == region
        alone = choose_thresholds(
            small_frame[rows],
            predicted[rows].assign(
                **{
                    f"{head}_confidence": decisions.calibrations[head].apply(
                        predicted.loc[rows, f"{head}_confidence"].to_numpy(dtype=float)
                    )
                    for head in ("agency", "category")
                }
            ),
            config,
            ("agency", "category"),
        )
        assert thresholds == alone, region
    assert decisions.region_thresholds["kota-surabaya"]["agency"] < 1.0
    # A region without a single agency label has no agency threshold to route with,
    # and rows of no named region (or of the generic one) get no thresholds at all.
    regions = small_frame["region"].copy()
    regions.iloc[:40] = ""
    regions.iloc[40:80] = "default"
    relabelled = small_frame.assign(
        agency=small_frame["agency"].where(small_frame["region"] != "kota-surabaya", ""),
        region=regions,
    )
    without = choose_decisions(relabelled, predicted, config, heads).region_thresholds
    assert "agency" not in without["kota-surabaya"] and "category" in without["kota-surabaya"]
    assert set(without) == {"kota-surabaya", "kab-bandung"}


def test_urgency_head_is_ordinal(fitted_small):
    estimator = fitted_small.named_steps["classify"].estimators_["urgency"]
    assert isinstance(estimator, CumulativeOrdinalClassifier)
    assert list(estimator.levels_) == ["rendah", "sedang", "tinggi", "darurat"]


def test_model_card_states_the_threshold_rule_and_urgency_form():
    head_metrics = {
        "support": 10,
        "accuracy": 0.8,
        "macro_f1": 0.7,
        "expected_calibration_error": 0.018,
        "auto_route": {"coverage": 0.6, "precision": 0.95},
    }
    meta = {
        "version": "salur-test",
        "trained_at": "2026-11-24T00:00:00+00:00",
        "trained_on": "all",
        "data_rows": 10,
        "data_hash": "0" * 64,
        "heads": ["agency", "urgency"],
        "metrics": {"agency": head_metrics, "urgency": head_metrics},
        "thresholds": {"agency": 0.77, "urgency": 0.69},
        "target_precision": {"agency": 0.95},
        "split": {"threshold_rule": "at one-sided 95% confidence (Wilson bound)"},
        "pipeline_params": {},
        "label_counts": {"urgency": {"sedang": 10}},
        "dropped_classes": {"agency": [], "urgency": []},
    }
    card = model_card(meta)
    assert meta["split"]["threshold_rule"] in card
    assert "| 0.018 |" in card and "calibration error" in card
    assert "urgency head is ordinal" in card
    flat = model_card({**meta, "pipeline_params": {"ordinal_urgency": False}})
    assert "urgency head is one-vs-rest" in flat and "ordinal" not in flat
    no_urgency = model_card({**meta, "heads": ["agency"]})
    assert "urgency head" not in no_urgency
    assert "no separate map for such regions" in card
    unseen = model_card(
        {**meta, "unseen_region_calibration_rows": {"agency": {"kab-a": 1200, "kota-b": 300}}}
    )
    assert "agency on kab-a (1,200 rows), kota-b (300 rows)." in unseen


def _config_error(tmp_path, text):
    import pytest
    from salur.training.train import ConfigError

    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        TrainConfig.from_file(path)
    return str(caught.value)


def test_config_mistakes_are_named_before_training(tmp_path):
    base = "data_dir: ../datasets\nmodels_dir: models\n"
    assert "not found" in str(_missing_config(tmp_path))
    assert "not valid YAML at line 2" in _config_error(tmp_path, "data_dir: x\n  - : ]\n")
    assert "YAML mapping" in _config_error(tmp_path, "- a\n- b\n")
    assert "missing models_dir" in _config_error(tmp_path, "data_dir: x\n")
    typo = _config_error(tmp_path, base + "test_shar: 0.2\n")
    assert "unknown setting(s) 'test_shar' (did you mean 'test_share'?)" in typo
    recipe = _config_error(tmp_path, base + "pipeline: {word_ngram_maxx: 3}\n")
    assert "(did you mean 'word_ngram_max'?)" in recipe
    assert "test_share must be a number" in _config_error(tmp_path, base + "test_share: 20\n")
    assert "threshold_folds must be a whole number" in _config_error(
        tmp_path, base + "threshold_folds: 2.5\n"
    )
    assert "target_precision" in _config_error(tmp_path, base + "target_precision: {agensi: 1}\n")
    assert "sources is a list" in _config_error(tmp_path, base + "sources: [jakarta]\n")
    assert "refit_on_all must be true or false" in _config_error(
        tmp_path, base + "refit_on_all: maybe\n"
    )


def _missing_config(tmp_path):
    from salur.training.train import ConfigError

    try:
        TrainConfig.from_file(tmp_path / "nope.yaml")
    except ConfigError as error:
        return error
    raise AssertionError("no error")


def test_train_and_evaluate_cli_name_mistakes_without_a_traceback(tmp_path):
    from tests.training.test_batch import run_cli

    (tmp_path / "typo.yaml").write_text(
        "data_dir: data\nmodels_dir: models\nthreshold_fold: 3\n", encoding="utf-8"
    )
    typo = run_cli("train", "--config", str(tmp_path / "typo.yaml"))
    assert typo.returncode == 2 and "did you mean 'threshold_folds'?" in typo.stderr
    assert "Traceback" not in typo.stderr
    (tmp_path / "nodata.yaml").write_text(
        "data_dir: nowhere\nmodels_dir: models\n", encoding="utf-8"
    )
    nodata = run_cli("train", "--config", str(tmp_path / "nodata.yaml"))
    assert nodata.returncode == 2 and "has no raw/ or mappings/" in nodata.stderr
    assert "Traceback" not in nodata.stderr and not (tmp_path / "models").exists()
    not_a_model = tmp_path / "not-a-model"
    not_a_model.mkdir()
    evaluated = run_cli("evaluate", "--model", str(not_a_model), "--output", str(tmp_path / "r"))
    assert evaluated.returncode == 2 and "Traceback" not in evaluated.stderr
    missing = run_cli(
        "evaluate",
        "--compare",
        str(not_a_model),
        str(not_a_model),
        "--held-out",
        str(tmp_path / "held.csv"),
    )
    assert missing.returncode == 2 and "held-out file" in missing.stderr
    alone = run_cli("evaluate", "--held-out", str(tmp_path / "held.csv"))
    assert alone.returncode != 0 and "--held-out needs --model or --compare" in alone.stderr
    # Mistakes that would otherwise surface only after minutes of fitting.
    region = run_cli("evaluate", "--holdout-region", "kab-bandung")
    assert region.returncode == 2 and "give one of bandung" in region.stderr
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    report = run_cli("evaluate", "--output", str(tmp_path / "a-file"))
    assert report.returncode == 2 and "it is a file" in report.stderr
    models = run_cli("train", "--models-dir", str(tmp_path / "a-file" / "models"))
    assert models.returncode == 2 and "is a file" in models.stderr
    assert "Traceback" not in region.stderr + report.stderr + models.stderr


def test_a_head_trains_only_with_two_classes_of_enough_rows(small_frame, small_params):
    frame = small_frame.copy()
    assert "report_type" in trainable_heads(frame, small_params)
    # One class keeps its rows, every other report type is left with too few to fit.
    frame["report_type"] = ""
    frame.loc[frame.index[:40], "report_type"] = "pengaduan"
    frame.loc[frame.index[40:43], "report_type"] = "aspirasi"
    assert "report_type" not in trainable_heads(frame, small_params)
    assert "report_type" in trainable_heads(frame, {**small_params, "min_class_count": 3})


def test_emergency_level_is_chosen_in_the_units_the_service_serves(small_frame, fitted_small):
    import numpy as np
    from salur.model.calibration import ConfidenceCalibration
    from salur.model.classifier import Classifier
    from salur.training.train import (
        choose_emergency_alert,
        emergency_probabilities,
        predictions_frame,
    )

    calibration = ConfidenceCalibration(slope=1.7, intercept=0.4)
    raw = predictions_frame(Classifier(fitted_small, {"version": "fold"}), small_frame)
    served = Classifier(
        fitted_small,
        {
            "version": "served",
            "confidence_calibration": {"urgency": calibration.to_dict()},
            "emergency_alert": {"probability": 0.0},
        },
    )
    served_frame = predictions_frame(served, small_frame)
    assert np.allclose(
        emergency_probabilities(raw, calibration), emergency_probabilities(served_frame)
    )
    assert served_frame["possible_emergency"].all()
    # Training's level flags at least the target share of the gold emergencies.
    frame = small_frame.copy()
    gold = frame.index[:60]
    frame["urgency"] = ""
    frame.loc[gold, "urgency"] = "sedang"
    likely = emergency_probabilities(raw, calibration)[:60].argsort()[-25:]
    frame.loc[gold[likely], "urgency"] = "darurat"
    config = TrainConfig(
        data_dir=Path("."), models_dir=Path("."), emergency_recall=0.8, emergency_max_share=1.0
    )
    alert = choose_emergency_alert(frame, raw, {"urgency": calibration}, config)
    assert alert is not None and alert["gold_emergencies"] == 25
    assert alert["out_of_fold_recall"] >= 0.8
    assert choose_emergency_alert(frame, raw, {}, replace(config, emergency_recall=None)) is None
    # An alert that would flag most complaints is held to the configured share.
    everything = replace(config, emergency_recall=1.0, emergency_max_share=0.1)
    capped = choose_emergency_alert(frame, raw, {"urgency": calibration}, everything)
    assert capped is not None and capped["capped_at_max_share"]
    assert capped["out_of_fold_flagged_share_all"] <= 0.1 + 1 / len(frame)


def test_urgency_cross_validation_measures_only_its_rows_and_trains_on_the_extra(
    small_frame, small_params, tmp_path
):
    gold = small_frame[small_frame["urgency"] != ""].reset_index(drop=True)
    earlier, later = gold.iloc[:120], gold.iloc[120:]
    config = small_config(small_params, tmp_path)
    alone = urgency_cross_validation(earlier, config, folds=3)
    joined = urgency_cross_validation(earlier, config, folds=3, extra_training=later)
    assert alone["support"] == joined["support"] == len(earlier)
    # The later rows teach the folds: the same rows are predicted differently.
    assert alone["per_class"] != joined["per_class"]


def test_maps_for_unseen_regions_come_from_each_region_left_out(
    small_frame, small_params, tmp_path, monkeypatch
):
    import salur.training.train as train_module

    fitted_on: list[set[str]] = []
    fit = train_module.fit_pipeline

    def recording_fit(frame, params, heads):
        fitted_on.append(set(frame["region"]))
        return fit(frame, params, heads)

    monkeypatch.setattr(train_module, "fit_pipeline", recording_fit)
    config = small_config(small_params, tmp_path)
    heads = trainable_heads(small_frame, small_params)
    maps, rows = unseen_region_calibrations(small_frame, config, heads, progress=lambda _: None)
    regions = set(small_frame["region"])
    assert maps and set(maps) == set(rows) and set(maps) <= {"agency", "category"}
    for head, per_region in rows.items():
        labelled = int((small_frame[head] != "").sum())
        # Every row is predicted by a model that saw none of its region's
        # rows, but most of the others: a region holding most of the labelled
        # rows is not left out (a model without it is another model).
        assert all(100 <= n <= labelled / 2 for n in per_region.values()), head
        assert all(regions - seen for seen in fitted_on)
    assert len(fitted_on) == len({r for per_region in rows.values() for r in per_region})
    # A region alone cannot be left out.
    alone = small_frame[small_frame["region"] == "kota-surabaya"]
    assert unseen_region_calibrations(alone, config, heads, progress=lambda _: None) == ({}, {})


def test_a_saved_model_is_measured_only_on_rows_it_did_not_train_on():
    from salur.training.train import TrainConfig, unseen_test_share

    config = TrainConfig(data_dir=Path("data"), models_dir=Path("models"))
    default = {"split": {"test_share": 0.2}}
    narrower = {"split": {"test_share": 0.1}}
    assert unseen_test_share(config) == config.test_share == 0.2
    assert unseen_test_share(config, default) == 0.2
    # Trained with 0.1, the model learned the rows between 0.1 and 0.2 of the hash.
    assert unseen_test_share(config, default, narrower) == 0.1
    assert unseen_test_share(config, {}) == 0.2  # a folder from before the split was recorded


def test_held_out_rows_without_a_region_are_gated_as_the_service_gates_them():
    from salur.training.train import routing_thresholds

    pooled = {"agency": 0.8}
    per_region = {"kota-surabaya": {"agency": 0.85}}
    named = pd.DataFrame({"region": ["kota-surabaya", ""]})
    assert routing_thresholds(named, pooled, per_region, "agency").tolist() == [0.85, 1.0]
    # A held-out file without the column: every row names no region, as in the service.
    unnamed = pd.DataFrame({"text": ["a", "b"]})
    assert routing_thresholds(unnamed, pooled, per_region, "agency").tolist() == [1.0, 1.0]
