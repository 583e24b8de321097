"""Would the agency head gain from knowing which offices a region forwards to? A measured lead.

    python benchmarks/region_label_prior.py [--head agency] [--power 0.5]

Regions forward to different sets of offices, and the pooled head may answer
an office a region never records. Two test-time adjustments of the recipe's
calibrated probabilities, using only the fitting rows' labels per region:

1. mask: offices never recorded for the row's region get probability 0;
2. prior: each office's probability is multiplied by (P(office | region) /
   P(office)) ** power, with add-one smoothing per region.

Measured out of fold over 3 folds of the train split (the fold rule of
training's thresholds; the test split is not read), against the plain head.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

# The sibling benchmark's rule for which rows a head can learn from (run as a script,
# this folder is on the path).
from region_features import learnable
from salur.model.pipeline import build_pipeline
from salur.training.dataset import load_labelled, random_split
from salur.training.train import TrainConfig, threshold_fold
from sklearn.base import clone
from sklearn.metrics import accuracy_score, f1_score

from salur.paths import default_config_path


def adjusted(
    proba: np.ndarray,
    classes: np.ndarray,
    fit: pd.DataFrame,
    test_regions: np.ndarray,
    head: str,
    power: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(masked, prior-weighted) predictions of one fold."""
    seen = {region: set(rows[head]) for region, rows in fit.groupby("region")}
    mask = np.array(
        [[label in seen.get(region, set(classes)) for label in classes] for region in test_regions],
        dtype=float,
    )
    overall = fit[head].value_counts(normalize=True).reindex(classes).fillna(0).to_numpy()
    weights = np.ones_like(proba)
    for region, rows in fit.groupby("region"):
        counts = rows[head].value_counts().reindex(classes).fillna(0).to_numpy()
        local = (counts + 1) / (counts.sum() + len(classes))
        weights[test_regions == region] = (local / np.maximum(overall, 1e-9)) ** power
    return classes[(proba * mask).argmax(axis=1)], classes[(proba * weights).argmax(axis=1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=default_config_path())
    parser.add_argument("--head", choices=("agency", "category"), default="agency")
    parser.add_argument("--power", type=float, default=0.5, help="strength of the region prior")
    args = parser.parse_args()
    config = TrainConfig.from_file(args.config)
    least = int(config.pipeline.get("min_class_count", 8))
    frame = load_labelled(config.data_dir, config.sources)
    train = frame[random_split(frame, config.test_share) == "train"].reset_index(drop=True)
    usable = learnable(train, args.head, least)
    fold = threshold_fold(train, 3)
    truth, plain, masked, prior, regions = [], [], [], [], []
    for number in range(3):
        fit = train[(fold != number) & usable]
        test = train[(fold == number) & usable]
        recipe = build_pipeline(config.pipeline, (args.head,))
        features, classifier = recipe[:-1], recipe.named_steps["classify"]
        fit_x = features.fit_transform(fit["document"].to_numpy(dtype=object))
        test_x = features.transform(test["document"].to_numpy(dtype=object))
        model = clone(classifier).fit(fit_x, fit[args.head].to_numpy(dtype=object))
        proba = model.predict_proba(test_x)[args.head]
        classes = np.asarray(model.classes_[args.head], dtype=object)
        test_regions = test["region"].to_numpy(dtype=object)
        by_mask, by_prior = adjusted(proba, classes, fit, test_regions, args.head, args.power)
        truth.append(test[args.head].to_numpy())
        plain.append(classes[proba.argmax(axis=1)])
        masked.append(by_mask)
        prior.append(by_prior)
        regions.append(test_regions)
        print(f"fold {number + 1}/3 done", flush=True)
    y, where = np.concatenate(truth), np.concatenate(regions)
    print(f"{args.head}, out of fold on the train split ({y.size} rows):")
    for name, predicted in (
        ("plain", plain),
        ("mask", masked),
        (f"prior^{args.power:g}", prior),
    ):
        p = np.concatenate(predicted)
        per_region = ", ".join(
            f"{region} {accuracy_score(y[where == region], p[where == region]):.3f}"
            for region in sorted(set(where))
        )
        print(
            f"  {name:10s} accuracy {accuracy_score(y, p):.4f} "
            f"macro-F1 {f1_score(y, p, average='macro'):.4f}  ({per_region})"
        )


if __name__ == "__main__":
    main()
