"""Would per-region copies of the features help? A measured lead, not the shipped recipe.

    python benchmarks/region_features.py [--head agency] [--weight 1.0]

Regions forward the same subject to different offices (street lighting to public
works in Kab. Bandung, to transport in Surabaya; kecamatan offices in Bandung),
and one linear model over pooled text features must average those conventions.
Feature augmentation ("frustratingly easy domain adaptation", Daumé III 2007)
gives every row the shared features plus a copy in its own region's block, so
the classifier can learn a region's own routing from its own history while
sharing the rest. A region the model never saw has no block of its own; it gets
every training region's block scaled by that region's share of the training rows.

Two measurements, with the recipe's features and the recipe's own head (the
class-balanced, calibrated linear SVM of ``salur.model.heads``, choosing the most
probable class):

1. in region: out-of-fold over 3 folds of the train split (the fold rule of
   training's thresholds; the test split is not read), plain against augmented,
   overall and per region;
2. on a region never seen: fitted without Kab. Bandung, tested on all of it,
   plain against augmented with the row-share blocks.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from salur.model.pipeline import build_pipeline
from salur.training.dataset import load_labelled, random_split
from salur.training.train import TrainConfig, threshold_fold
from sklearn.base import clone
from sklearn.metrics import accuracy_score, f1_score

from salur.paths import default_config_path

UNSEEN = "kab-bandung"


def augmented(
    features: sp.csr_matrix,
    row_regions: np.ndarray,
    regions: list[str],
    weight: float,
    unseen_weights: dict[str, float],
) -> sp.csr_matrix:
    """Shared features, then one block per training region (zero outside it).

    A row of a region not in ``regions`` fills every block, scaled by
    ``unseen_weights`` (each training region's share of the rows).
    """
    known = np.isin(row_regions, regions)
    blocks = [features]
    for region in regions:
        scale = np.where(row_regions == region, weight, 0.0)
        scale = np.where(known, scale, weight * unseen_weights.get(region, 0.0))
        blocks.append(sp.diags(scale.astype(np.float32)) @ features)
    return sp.hstack(blocks).tocsr()


def scores(truth: np.ndarray, predicted: np.ndarray) -> str:
    return (
        f"accuracy {accuracy_score(truth, predicted):.4f} "
        f"macro-F1 {f1_score(truth, predicted, average='macro'):.4f}"
    )


def learnable(frame: pd.DataFrame, head: str, least: int) -> np.ndarray:
    labelled = frame[head] != ""
    counts = frame.loc[labelled, head].value_counts()
    return (labelled & frame[head].isin(counts[counts >= least].index)).to_numpy()


def fit_predict(
    config: TrainConfig,
    head: str,
    fit: pd.DataFrame,
    test: pd.DataFrame,
    weight: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(plain, augmented) predictions of ``test`` by models fitted on ``fit``."""
    recipe = build_pipeline(config.pipeline, (head,))
    features, classifier = recipe[:-1], recipe.named_steps["classify"]

    def fitted_predictions(train_x: sp.csr_matrix, test_x: sp.csr_matrix) -> np.ndarray:
        model = clone(classifier).fit(train_x, fit[head].to_numpy(dtype=object))
        return np.asarray(model.predict(test_x)[:, 0])

    fit_x = features.fit_transform(fit["document"].to_numpy(dtype=object))
    test_x = features.transform(test["document"].to_numpy(dtype=object))
    fit_regions = fit["region"].to_numpy(dtype=object)
    test_regions = test["region"].to_numpy(dtype=object)
    shares = fit["region"].value_counts(normalize=True)
    regions = sorted(shares.index)
    plain = fitted_predictions(fit_x, test_x)
    with_regions = fitted_predictions(
        augmented(fit_x, fit_regions, regions, weight, {}),
        augmented(test_x, test_regions, regions, weight, shares.to_dict()),
    )
    return plain, with_regions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=default_config_path())
    parser.add_argument("--head", choices=("agency", "category"), default="agency")
    parser.add_argument("--weight", type=float, default=1.0, help="scale of the region blocks")
    args = parser.parse_args()
    config = TrainConfig.from_file(args.config)
    least = int(config.pipeline.get("min_class_count", 8))
    frame = load_labelled(config.data_dir, config.sources)

    train = frame[random_split(frame, config.test_share) == "train"].reset_index(drop=True)
    fold = threshold_fold(train, 3)
    usable = learnable(train, args.head, least)
    truth, plain, with_regions, regions = [], [], [], []
    for number in range(3):
        fit = train[(fold != number) & usable]
        test = train[(fold == number) & usable]
        p, r = fit_predict(config, args.head, fit, test, args.weight)
        truth.append(test[args.head].to_numpy())
        regions.append(test["region"].to_numpy())
        plain.append(p)
        with_regions.append(r)
        print(f"fold {number + 1}/3 done", flush=True)
    y, p, r, where = map(np.concatenate, (truth, plain, with_regions, regions))
    print(f"{args.head} in region, out of fold ({y.size} rows):")
    print(f"  plain       {scores(y, p)}")
    print(f"  per-region  {scores(y, r)}  (blocks weighted {args.weight:g})")
    for region in sorted(set(where)):
        rows = where == region
        print(
            f"    {region:18s} {rows.sum():6d} rows: plain "
            f"{accuracy_score(y[rows], p[rows]):.3f}, per-region "
            f"{accuracy_score(y[rows], r[rows]):.3f}"
        )

    left_out = (frame["region"] == UNSEEN).to_numpy()
    rest = frame[~left_out]
    fit = rest[learnable(rest, args.head, least)]
    test = frame[left_out & (frame[args.head] != "").to_numpy()]
    p, r = fit_predict(config, args.head, fit, test, args.weight)
    y = test[args.head].to_numpy()
    print(f"{args.head} on {UNSEEN} never seen ({y.size} rows):")
    print(f"  plain       {scores(y, p)}")
    print(f"  per-region  {scores(y, r)}  (row-share blocks)")


if __name__ == "__main__":
    main()
