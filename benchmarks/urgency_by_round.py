"""Urgency on the gold rows of the earlier annotation rounds only.

Each round of the gold set changes the test split as well as the training data,
so a better figure on the whole test split can come from easier new test rows.
This measures a model on the rows the earlier rounds had, with the later
rounds as training data only:

    python benchmarks/urgency_by_round.py --up-to-round 4

Prints (1) macro-F1 on the test split's gold rows of rounds 1..N, the model
fitted on the whole train split as `salur evaluate` fits it, and (2) 5-fold
cross-validation over all gold rows of rounds 1..N, each training fold joined
by every gold row of the later rounds.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd
from salur.model.classifier import Classifier
from salur.training.dataset import DataPaths, load_labelled
from salur.training.evaluate import head_metrics
from salur.training.train import (
    TrainConfig,
    fit_pipeline,
    predictions_frame,
    split_frames,
    urgency_cross_validation,
)

from salur.paths import default_config_path


def summary(rows: int, metrics: dict[str, Any]) -> str:
    per_class = ", ".join(f"{c} {v['f1']:.2f}" for c, v in sorted(metrics["per_class"].items()))
    return (
        f"rows {rows:5d}  accuracy {metrics['accuracy']:.3f}  "
        f"macro-F1 {metrics['macro_f1']:.3f}  ({per_class})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--up-to-round", type=int, default=4)
    parser.add_argument("--config", type=Path, default=default_config_path())
    args = parser.parse_args()
    config = TrainConfig.from_file(args.config)
    frame = load_labelled(config.data_dir, config.sources)
    gold = pd.read_csv(DataPaths(config.data_dir).urgency_gold, dtype=str, keep_default_na=False)
    early = set(gold.loc[gold["round"].astype(int) <= args.up_to_round, "uid"])

    parts = split_frames(frame, config)
    test = parts["test"][parts["test"]["urgency"] != ""]
    test = test[test["uid"].isin(early)]
    model = Classifier(fit_pipeline(parts["train"], config.pipeline), {"version": "rounds"})
    print(f"test split, gold rows of rounds 1-{args.up_to_round}:")
    metrics = head_metrics(test, predictions_frame(model, test), "urgency", threshold=1.0)
    print("  " + summary(len(test), metrics))

    labelled = frame[frame["urgency"] != ""]
    is_early = labelled["uid"].isin(early)
    metrics = urgency_cross_validation(
        labelled[is_early], config, extra_training=labelled[~is_early]
    )
    print(f"5-fold CV over the gold rows of rounds 1-{args.up_to_round}, later rounds in training:")
    print("  " + summary(int(is_early.sum()), metrics))


if __name__ == "__main__":
    main()
