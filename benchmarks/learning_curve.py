"""How a head's held-out accuracy and macro-F1 grow with the number of labelled rows.

Answers "would more labelled data help, and how much?": each head is fitted
with the default recipe on a growing share of the train split's rows and
measured on out-of-fold predictions (the same salted folds as the thresholds),
so the test split is never touched:

    python benchmarks/learning_curve.py --head agency --shares 0.25 0.5 0.75 1.0

Prints one line per share: rows used, accuracy and macro-F1 pooled over folds.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from salur.model.classifier import Classifier
from salur.training.dataset import load_labelled
from salur.training.evaluate import head_metrics
from salur.training.train import (
    TrainConfig,
    fit_pipeline,
    predictions_frame,
    split_frames,
    threshold_fold,
)

from salur.paths import default_config_path


def learning_curve(
    config: TrainConfig, head: str, shares: list[float], seed: int = 0
) -> list[dict[str, float]]:
    train = split_frames(load_labelled(config.data_dir, config.sources), config)["train"]
    labelled = train[train[head] != ""]
    fold = threshold_fold(labelled, config.threshold_folds)
    rows = []
    for share in shares:
        parts = []
        used = 0
        for number in range(config.threshold_folds):
            fit = labelled[fold != number].sample(frac=share, random_state=seed)
            used += len(fit)
            pipeline = fit_pipeline(fit, config.pipeline, (head,))
            held = labelled[fold == number]
            parts.append(predictions_frame(Classifier(pipeline, {"version": "curve"}), held))
        predicted = pd.concat(parts).reindex(labelled.index)
        metrics = head_metrics(labelled, predicted, head, threshold=1.0)
        rows.append(
            {
                "share": share,
                "rows": used / config.threshold_folds,
                "accuracy": metrics["accuracy"],
                "macro_f1": metrics["macro_f1"],
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--head", default="agency")
    parser.add_argument("--shares", type=float, nargs="+", default=[0.25, 0.5, 0.75, 1.0])
    parser.add_argument("--config", type=Path, default=default_config_path())
    args = parser.parse_args()
    config = TrainConfig.from_file(args.config)
    print(f"{args.head}: out-of-fold over {config.threshold_folds} folds of the train split")
    for row in learning_curve(config, args.head, args.shares):
        print(
            f"share {row['share']:.2f}  rows {row['rows']:6.0f}  "
            f"accuracy {row['accuracy']:.3f}  macro-F1 {row['macro_f1']:.3f}"
        )


if __name__ == "__main__":
    main()
