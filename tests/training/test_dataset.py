from pathlib import Path

import pandas as pd
from salur.training.dataset import random_split, stable_fraction
from salur.training.sources import dedup_key, load_all

DATASETS = Path(__file__).resolve().parents[2] / "datasets"


def test_loading_deduplicates_texts():
    frame = load_all(DATASETS / "raw", ["surabaya"])
    raw = pd.read_csv(DATASETS / "raw" / "surabaya_mediacenter_2023.csv")
    assert len(frame) < len(raw) - 400
    assert not dedup_key(frame["title"], frame["text"]).duplicated().any()
    # Surabaya id 169005 names two complaints; each row still has its own uid.
    assert frame["uid"].is_unique
    assert frame["uid"].isin(["surabaya:169005", "surabaya:169005#2"]).sum() == 2


def test_every_gold_label_attaches_to_exactly_one_complaint():
    from salur.training.dataset import load_labelled

    gold = pd.read_csv(DATASETS / "annotations" / "urgency_gold.csv")
    frame = load_labelled(DATASETS)
    assert (frame["urgency"] != "").sum() == len(gold)


def test_split_is_stable_and_disjoint():
    frame = load_all(DATASETS / "raw", ["bandung", "purbalingga"])
    first = random_split(frame, 0.2)
    again = random_split(frame.sample(frac=1.0, random_state=3), 0.2)
    assert (first == again.reindex(first.index)).all()
    keys = dedup_key(frame["title"], frame["text"])
    assert not set(keys[first == "test"]) & set(keys[first != "test"])
    share = (first == "test").mean()
    assert 0.15 < share < 0.25


def test_stable_fraction_depends_only_on_text():
    values = stable_fraction(pd.Series(["a", "b", "a"]))
    assert values[0] == values[2] and values.min() >= 0 and values.max() < 1
