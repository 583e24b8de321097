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

import pandas as pd
from salur.model.classifier import Classifier
from salur.training.dataset import DataPaths, load_labelled
from salur.training.evaluate import head_metrics
from salur.training.train import TrainConfig, fit_pipeline, predictions_frame, split_frames
from sklearn.model_selection import StratifiedKFold

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "training" / "configs" / "default.yaml"


def summary(frame: pd.DataFrame, predicted: pd.DataFrame) -> str:
    metrics = head_metrics(frame, predicted, "urgency", threshold=1.0)
    per_class = ", ".join(f"{c} {v['f1']:.2f}" for c, v in sorted(metrics["per_class"].items()))
    return (
        f"rows {len(frame):5d}  accuracy {metrics['accuracy']:.3f}  "
        f"macro-F1 {metrics['macro_f1']:.3f}  ({per_class})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--up-to-round", type=int, default=4)
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
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
    print("  " + summary(test, predictions_frame(model, test)))

    labelled = frame[frame["urgency"] != ""]
    old = labelled[labelled["uid"].isin(early)].reset_index(drop=True)
    later = labelled[~labelled["uid"].isin(early)]
    predicted = []
    splitter = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    for train_index, test_index in splitter.split(old, old["urgency"]):
        fit = pd.concat([old.iloc[train_index], later])
        fold_model = Classifier(fit_pipeline(fit, config.pipeline, ("urgency",)), {"version": "cv"})
        predicted.append(predictions_frame(fold_model, old.iloc[test_index]))
    print(f"5-fold CV over the gold rows of rounds 1-{args.up_to_round}, later rounds in training:")
    print("  " + summary(old, pd.concat(predicted).reindex(old.index)))


if __name__ == "__main__":
    main()
