"""Routing on a region the model has never seen: each training region left out in turn.

A request that names no region (the service's `default` region, `salur classify`
without `--region`) may come from any region, also one with no labelled history
in the training data. This measures what routing could promise there:

    python benchmarks/unseen_region.py

For each source with labels for a routing head (agency, category), the recipe is
fitted on every other source and predicts the one left out. Printed per head:
accuracy per left-out source, and, pooled over them, the highest precision any
confidence threshold reaches with at least 30 complaints routed, both as
measured and as the one-sided 95% Wilson lower bound that training's threshold
rule asks to clear the target. Confidences are the pipeline's before the
calibration step. Both simplifications can only flatter the result: the
sources' confidences come from different fits and are pooled as they are, and
a cut-off may fall inside a run of tied confidences, which training's rule
never allows; so "no threshold reaches the target" holds a fortiori.

It also prints how well confidence is calibrated on the source left out
(expected calibration error, 10 bins): as the pipeline gives it, with the
in-region map of ``--model`` (what complaints of unseen regions got before
training fitted a map for them), and with a map fitted like training's map for
unseen regions but on the *other* left-out sources only, so that the figure is
measured on a region neither the model nor the map saw. Like training, the map
uses only sources whose leaving out keeps at least half of the head's rows
and have enough rows (training's may_leave_out): a model fitted without Surabaya is
another model.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from salur.model.artifact import read_metadata
from salur.model.calibration import (
    calibrations_from_metadata,
    fit_confidence_calibration,
)
from salur.model.classifier import Classifier
from salur.model.decision import wilson_lower_bound
from salur.model.routing import ROUTING_HEADS
from salur.training.dataset import load_labelled
from salur.training.evaluate import expected_calibration_error
from salur.training.train import (
    TrainConfig,
    fit_pipeline,
    may_leave_out,
    predictions_frame,
    scored,
    trainable_heads,
)

from salur.paths import default_config_path, default_model_dir

MIN_ROUTED = 30


def best_cut_offs(confidence: np.ndarray, correct: np.ndarray) -> tuple[float, float, float]:
    """(precision, its Wilson lower bound, coverage) of the cut-off whose bound is highest."""
    order = np.argsort(-confidence, kind="stable")
    hits = correct[order]
    routed = np.arange(1, hits.size + 1)
    precision = np.cumsum(hits) / routed
    bound = wilson_lower_bound(precision, routed, 0.95)
    bound[routed < MIN_ROUTED] = -1.0
    best = int(np.argmax(bound))
    return float(precision[best]), float(bound[best]), float(routed[best] / hits.size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=default_config_path())
    parser.add_argument("--model", type=Path, default=default_model_dir())
    args = parser.parse_args()
    in_region_maps = calibrations_from_metadata(read_metadata(args.model))
    config = TrainConfig.from_file(args.config)
    frame = load_labelled(config.data_dir, config.sources)
    scores: dict[str, list[pd.DataFrame]] = {head: [] for head in ROUTING_HEADS}
    for source in sorted(frame["source"].unique()):
        left_out = frame["source"] == source
        heads = tuple(
            head
            for head in ROUTING_HEADS
            if (frame.loc[left_out, head] != "").any()
            and head in trainable_heads(frame[~left_out], config.pipeline)
        )
        if not heads:
            continue
        pipeline = fit_pipeline(frame[~left_out], config.pipeline, heads)
        predicted = predictions_frame(Classifier(pipeline, {"version": "unseen"}), frame[left_out])
        for head in heads:
            confidence, correct = scored(frame[left_out], predicted, head)
            print(
                f"{head:9s} left out {source:12s} rows {len(correct):6d}  "
                f"accuracy {correct.mean():.3f}",
                flush=True,
            )
            scores[head].append(
                pd.DataFrame({"source": source, "confidence": confidence, "correct": correct})
            )
    for head, parts in scores.items():
        if not parts:
            continue
        pooled = pd.concat(parts)
        precision, bound, coverage = best_cut_offs(
            pooled["confidence"].to_numpy(dtype=float), pooled["correct"].to_numpy(dtype=bool)
        )
        print(
            f"{head:9s} pooled over {len(parts)} left-out sources ({len(pooled)} rows): "
            f"best threshold routes {coverage:.1%} at precision {precision:.3f} "
            f"(Wilson lower bound {bound:.3f}); target "
            f"{config.target_precision.get(head, 0.95):.2f}"
        )
        counts = pooled["source"].value_counts()
        representative = [s for s, n in counts.items() if may_leave_out(n, counts.sum())]
        for source in pooled["source"].unique():
            left_out = pooled[pooled["source"] == source]
            others = pooled[(pooled["source"] != source) & pooled["source"].isin(representative)]
            confidence = left_out["confidence"].to_numpy(dtype=float)
            correct = left_out["correct"].to_numpy(dtype=bool)
            line = (
                f"{head:9s} calibration on {source:12s} ({len(left_out)} rows): ECE raw "
                f"{expected_calibration_error(confidence, correct):.3f}"
            )
            if head in in_region_maps:
                mapped = in_region_maps[head].apply(confidence)
                line += f", in-region map {expected_calibration_error(mapped, correct):.3f}"
            unseen = fit_confidence_calibration(
                others["confidence"].to_numpy(dtype=float), others["correct"].to_numpy(dtype=bool)
            )
            if not unseen.is_identity:
                mapped = unseen.apply(confidence)
                line += (
                    f", map fitted on {', '.join(sorted(others['source'].unique()))} "
                    f"{expected_calibration_error(mapped, correct):.3f}"
                )
            print(line)


if __name__ == "__main__":
    main()
