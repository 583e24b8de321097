"""Held-out evaluation: per-head metrics, plots and a readable report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from salur.model.decision import coverage_precision_curve
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)


def reliability(
    confidence: np.ndarray, correct: np.ndarray, bins: int = 10
) -> list[dict[str, Any]]:
    """Per equal-width confidence bin: how many predictions, their mean confidence, the share right."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    table = []
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            table.append(
                {
                    "low": float(low),
                    "high": float(high),
                    "n": int(inside.sum()),
                    "mean_confidence": float(confidence[inside].mean()),
                    "accuracy": float(correct[inside].mean()),
                }
            )
    return table


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, bins: int = 10
) -> float:
    """Mean |accuracy − confidence| over equal-width confidence bins, weighted by size."""
    total = sum(
        row["n"] * abs(row["accuracy"] - row["mean_confidence"])
        for row in reliability(confidence, correct, bins)
    )
    return float(total / max(confidence.size, 1))


def head_metrics(
    frame: pd.DataFrame,
    predicted: pd.DataFrame,
    head: str,
    threshold: float,
    row_thresholds: np.ndarray | None = None,
    held_for_review: np.ndarray | None = None,
) -> dict[str, Any]:
    """Metrics for one head on the rows of ``frame`` that carry a label for it.

    ``row_thresholds`` (one per row of ``frame``) replace the single
    ``threshold`` for the auto-routing figures when thresholds differ by
    region; the figures are then also given per region. Rows marked in
    ``held_for_review`` go to review whatever their confidence (possible
    emergencies).
    """
    labelled = (frame[head] != "").to_numpy()
    truth = frame.loc[labelled, head].to_numpy(dtype=object)
    pred = predicted.loc[labelled, f"{head}_pred"].to_numpy(dtype=object)
    confidence = predicted.loc[labelled, f"{head}_confidence"].to_numpy(dtype=float)
    if truth.size == 0:
        return {"support": 0}
    correct = truth == pred
    labels = sorted(set(truth) | set(pred))
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, pred, labels=labels, zero_division=0
    )
    # Macro-F1 over the classes present in the test labels: a class the
    # model predicted but that never occurs would only add a zero.
    present = sorted(set(truth))
    gate = np.full(truth.size, threshold) if row_thresholds is None else row_thresholds[labelled]
    routed = confidence >= gate
    if held_for_review is not None:
        routed &= ~held_for_review[labelled]
    top_accuracy = {}
    if f"{head}_top" in predicted:
        suggested = predicted.loc[labelled, f"{head}_top"].tolist()
        for k in (2, 3):
            top_accuracy[str(k)] = float(
                np.mean(
                    [label in tuple(top)[:k] for label, top in zip(truth, suggested, strict=True)]
                )
            )
    by_region = {}
    if row_thresholds is not None and "region" in frame:
        regions = frame.loc[labelled, "region"].fillna("").astype(str).to_numpy(dtype=object)
        for region in sorted(set(regions)):
            inside = regions == region
            by_region[str(region)] = {
                "support": int(inside.sum()),
                "accuracy": float(correct[inside].mean()),
                "threshold": float(gate[inside][0]),
                **_auto_route(routed[inside], correct[inside]),
            }
    return {
        "support": int(truth.size),
        "accuracy": float(accuracy_score(truth, pred)),
        "macro_f1": float(f1_score(truth, pred, labels=present, average="macro", zero_division=0)),
        "weighted_f1": float(f1_score(truth, pred, average="weighted", zero_division=0)),
        # How often the recorded label is among the first k suggestions an admin sees.
        **({"top_k_accuracy": top_accuracy} if top_accuracy else {}),
        "expected_calibration_error": expected_calibration_error(confidence, correct),
        "reliability": reliability(confidence, correct),
        "per_class": {
            label: {
                "precision": float(p),
                "recall": float(r),
                "f1": float(f),
                "support": int(s),
            }
            for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
        },
        "confusion": {
            "labels": labels,
            "matrix": confusion_matrix(truth, pred, labels=labels).tolist(),
        },
        "threshold": float(threshold),
        "auto_route": _auto_route(routed, correct),
        **({"auto_route_by_region": by_region} if by_region else {}),
        "coverage_precision_curve": coverage_precision_curve(confidence, correct),
    }


def _auto_route(routed: np.ndarray, correct: np.ndarray) -> dict[str, Any]:
    # With nothing routed there is no precision to report: None, not a perfect 1.0.
    return {
        "coverage": float(routed.mean()) if routed.size else 0.0,
        "precision": float(correct[routed].mean()) if routed.any() else None,
        "n": int(routed.sum()),
    }


def shown_precision(precision: float | None) -> str:
    """A measured precision for reports; "—" where nothing was auto-routed."""
    return "—" if precision is None else f"{precision:.3f}"


def unseen_region_sentence(rows: dict[str, dict[str, int]]) -> str:
    """How the confidences of rows from a region without history were calibrated."""
    if not rows:
        return (
            "No confidence map for regions without history could be fitted on these training "
            "rows (no region could be left out): every head keeps its in-region map."
        )
    fitted = "; ".join(
        f"{head} on " + ", ".join(f"{region} ({n} rows)" for region, n in per_region.items())
        for head, per_region in rows.items()
    )
    return (
        "Confidences of rows from a region without history are mapped as for an unseen "
        f"region, fitted on each training region predicted without it: {fitted}. "
        "Other heads keep their in-region map."
    )


def write_report(results: dict[str, Any], out_dir: Path, title: str) -> Path:
    """metrics.json, one confusion-matrix PNG and one coverage curve per head, report.md."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "metrics.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    lines = [f"# {title}", ""]
    for setting, heads in results.items():
        if not isinstance(heads, dict):
            continue
        lines += [f"## {setting}", ""]
        if isinstance(heads.get("note"), str):
            lines += [heads["note"], ""]
        lines += [
            "| head | n | accuracy | macro-F1 | ECE | threshold | auto-routed | auto precision |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for head, m in heads.items():
            if not isinstance(m, dict) or not m.get("support"):
                continue
            lines.append(
                f"| {head} | {m['support']} | {m['accuracy']:.3f} | {m['macro_f1']:.3f} | "
                f"{m['expected_calibration_error']:.3f} | {m['threshold']:.3f} | "
                f"{m['auto_route']['coverage']:.1%} | {shown_precision(m['auto_route']['precision'])} |"
            )
        lines.append("")
        suggested = [
            f"{head} {m['top_k_accuracy']['2']:.3f} / {m['top_k_accuracy']['3']:.3f}"
            for head, m in heads.items()
            if isinstance(m, dict) and m.get("top_k_accuracy")
        ]
        if suggested:
            lines += [
                "The label among the first two / three suggestions (top-k accuracy): "
                + ", ".join(suggested)
                + ".",
                "",
            ]
        for head, m in heads.items():
            if isinstance(m, dict) and m.get("auto_route_by_region"):
                lines += [
                    f"{head}, routed with each region's own threshold (a region without "
                    "labelled history in the training rows routes nothing automatically):",
                    "",
                    "| region | n | accuracy | threshold | auto-routed | auto precision |",
                    "|---|---|---|---|---|---|",
                ]
                for region, r in m["auto_route_by_region"].items():
                    lines.append(
                        f"| {region} | {r['support']} | {r['accuracy']:.3f} | "
                        f"{r['threshold']:.3f} | {r['coverage']:.1%} | {shown_precision(r['precision'])} |"
                    )
                lines.append("")
        unseen = heads.get("unseen_region_calibration")
        if isinstance(unseen, dict):
            lines += [unseen_region_sentence(unseen), ""]
        alert = heads.get("emergency_alert")
        if isinstance(alert, dict) and alert.get("gold_emergencies"):
            lines += [
                f"Emergency alert: of {alert['gold_emergencies']} gold darurat complaints, "
                f"{alert['called_darurat']} were called darurat and "
                f"{alert['called_or_alerted']} were called darurat or alerted as possible "
                f"emergencies; the alert was raised on {alert['alerted_share_of_gold_rows']:.1%} "
                f"of gold rows and held {alert['held_for_review_share']:.1%} of all rows for "
                "review (the routing figures above include that).",
                "",
            ]
        for head, m in heads.items():
            if not isinstance(m, dict) or not m.get("support"):
                continue
            stem = f"{setting}_{head}"
            labels = m["confusion"]["labels"]
            matrix = np.array(m["confusion"]["matrix"], dtype=float)
            norm = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
            size = max(5, 0.35 * len(labels) + 2)
            fig, ax = plt.subplots(figsize=(size, size))
            ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
            ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
            ax.set_yticks(range(len(labels)), labels, fontsize=7)
            ax.set_xlabel("predicted")
            ax.set_ylabel("true")
            ax.set_title(f"{setting}: {head} (row-normalised)")
            fig.tight_layout()
            fig.savefig(out_dir / f"{stem}_confusion.png", dpi=110)
            plt.close(fig)
            curve = m["coverage_precision_curve"]
            fig, ax = plt.subplots(figsize=(5, 4))
            ax.plot([p["coverage"] for p in curve], [p["precision"] for p in curve])
            ax.axvline(m["auto_route"]["coverage"], linestyle="--", color="grey")
            ax.set_xlabel("share auto-routed")
            ax.set_ylabel("precision of auto-routed")
            ax.set_title(f"{setting}: {head}")
            fig.tight_layout()
            fig.savefig(out_dir / f"{stem}_coverage.png", dpi=110)
            plt.close(fig)
            lines += [
                f"### {setting} / {head}",
                "",
                "| class | precision | recall | F1 | n |",
                "|---|---|---|---|---|",
            ]
            for label, c in sorted(m["per_class"].items(), key=lambda kv: -kv[1]["support"]):
                lines.append(
                    f"| {label} | {c['precision']:.2f} | {c['recall']:.2f} | {c['f1']:.2f} | {c['support']} |"
                )
            lines += [
                "",
                "| confidence | n | mean confidence | share right |",
                "|---|---|---|---|",
            ]
            for row in m.get("reliability", []):
                lines.append(
                    f"| {row['low']:.1f}–{row['high']:.1f} | {row['n']} | "
                    f"{row['mean_confidence']:.2f} | {row['accuracy']:.2f} |"
                )
            lines += [
                "",
                f"![confusion]({stem}_confusion.png) ![coverage]({stem}_coverage.png)",
                "",
            ]
    report = out_dir / "report.md"
    report.write_text("\n".join(lines), encoding="utf-8")
    return report
