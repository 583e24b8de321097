import numpy as np
import pytest
from salur.training.evaluate import expected_calibration_error, reliability


def test_reliability_bins_and_calibration_error():
    # Four predictions at 0.95 (three right) and four at 0.55 (two right).
    confidence = np.array([0.95] * 4 + [0.55] * 4)
    correct = np.array([1, 1, 1, 0, 1, 1, 0, 0], dtype=bool)
    table = reliability(confidence, correct)
    assert [(row["n"], row["accuracy"]) for row in table] == [(4, 0.5), (4, 0.75)]
    assert table[1]["low"] == pytest.approx(0.9) and table[1]["mean_confidence"] == 0.95
    # Half the rows 0.05 off, half 0.2 off.
    assert expected_calibration_error(confidence, correct) == pytest.approx(0.125)
    perfect = np.array([0.5, 0.5, 1.0, 1.0])
    assert expected_calibration_error(perfect, np.array([1, 0, 1, 1], dtype=bool)) == 0.0


def test_report_shows_reliability_and_notes(tmp_path):
    import pandas as pd
    from salur.training.evaluate import head_metrics, write_report

    frame = pd.DataFrame({"agency": ["pupr", "pupr", "sosial", "sosial"]})
    predicted = pd.DataFrame(
        {
            "agency_pred": ["pupr", "sosial", "sosial", "sosial"],
            "agency_confidence": [0.91, 0.55, 0.85, 0.97],
        }
    )
    metrics = head_metrics(frame, predicted, "agency", threshold=0.85)
    results = {"setting": {"agency": metrics, "note": "confidences not recalibrated here"}}
    report = write_report(results, tmp_path, "test").read_text()
    assert "confidences not recalibrated here" in report
    assert "| 0.9–1.0 | 2 | 0.94 | 1.00 |" in report
    assert "| 0.8–0.9 | 1 | 0.85 | 1.00 |" in report
    assert "| 0.5–0.6 | 1 | 0.55 | 0.00 |" in report


def test_report_says_how_a_region_without_history_was_calibrated(tmp_path):
    import pandas as pd
    from salur.training.evaluate import head_metrics, write_report

    frame = pd.DataFrame({"category": ["jalan_jembatan", "kesehatan"]})
    predicted = pd.DataFrame(
        {"category_pred": ["jalan_jembatan", "jalan_jembatan"], "category_confidence": [0.6, 0.7]}
    )
    metrics = head_metrics(frame, predicted, "category", threshold=1.0)
    unseen = {"category": {"prov-jawa-tengah": 1722}}
    results = {
        "mapped": {"category": metrics, "unseen_region_calibration": unseen},
        "unmapped": {"category": metrics, "unseen_region_calibration": {}},
    }
    report = write_report(results, tmp_path, "test").read_text()
    assert "mapped as for an unseen region" in report
    assert "category on prov-jawa-tengah (1722 rows)" in report
    assert "No confidence map for regions without history could be fitted" in report
    # The calibration note is no head: no table row, no figures of its own.
    assert "| unseen_region_calibration |" not in report


def test_nothing_routed_reports_no_precision(tmp_path):
    import pandas as pd
    from salur.training.evaluate import head_metrics, write_report

    frame = pd.DataFrame({"agency": ["pupr", "sosial"]})
    predicted = pd.DataFrame({"agency_pred": ["pupr", "pupr"], "agency_confidence": [0.6, 0.7]})
    metrics = head_metrics(frame, predicted, "agency", threshold=1.0)
    assert metrics["auto_route"] == {"coverage": 0.0, "precision": None, "n": 0}
    report = write_report({"setting": {"agency": metrics}}, tmp_path, "test").read_text()
    # Nothing routed has no precision: a dash, never a made-up 1.000.
    assert "| 1.000 | 0.0% | — |" in report and "| — | 1.000" not in report


def test_a_saved_model_on_held_out_corrections_is_measured_per_region(
    save_small_model, small_frame, tmp_path
):
    """`salur evaluate --model M --held-out F`, as the data team checks a region after retraining."""
    import json
    import subprocess
    import sys

    model = save_small_model(
        "regional-evaluate",
        thresholds={"agency": 0.0, "category": 0.0, "urgency": 0.5, "report_type": 0.5},
        region_thresholds={"kota-surabaya": {"agency": 0.3, "category": 0.3}},
    )
    held_out = tmp_path / "corrections.csv"
    rows = small_frame[small_frame["agency"] != ""].groupby("region").head(40)
    rows[["title", "text", "agency", "category", "region"]].to_csv(held_out, index=False)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "salur.cli",
            "evaluate",
            "--model",
            str(model),
            "--held-out",
            str(held_out),
            "--output",
            str(tmp_path / "report"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "report" / "metrics.json").read_text())["test_split"]
    by_region = metrics["agency"]["auto_route_by_region"]
    assert by_region["kota-surabaya"]["threshold"] == 0.3
    # Bandung has no threshold of its own in this model: nothing auto-routes there.
    assert by_region["kab-bandung"]["threshold"] == 1.0 and by_region["kab-bandung"]["n"] == 0
    # Nothing routed has no precision: not a perfect 1.000.
    assert by_region["kab-bandung"]["precision"] is None
    assert metrics["agency"]["auto_route"]["n"] == by_region["kota-surabaya"]["n"]
    assert (
        "routed with each region's own threshold" in (tmp_path / "report" / "report.md").read_text()
    )


def test_top_k_accuracy_counts_the_label_among_the_first_suggestions(tmp_path):
    import pandas as pd
    from salur.training.evaluate import head_metrics, write_report

    frame = pd.DataFrame({"agency": ["pupr", "sosial", "dukcapil", ""]})
    predicted = pd.DataFrame(
        {
            "agency_pred": ["pupr", "pupr", "pupr", "pupr"],
            "agency_confidence": [0.9, 0.6, 0.5, 0.9],
            "agency_top": [
                ("pupr", "sosial", "dukcapil"),
                ("pupr", "sosial", "dukcapil"),
                ("pupr", "sosial", "dukcapil"),
                ("pupr", "sosial", "dukcapil"),
            ],
        }
    )
    metrics = head_metrics(frame, predicted, "agency", threshold=1.0)
    # The unlabelled row does not count; accuracy is top-1.
    assert metrics["accuracy"] == 1 / 3
    assert metrics["top_k_accuracy"] == {"2": 2 / 3, "3": 1.0}
    report = write_report({"setting": {"agency": metrics}}, tmp_path, "test").read_text()
    assert "agency 0.667 / 1.000" in report
