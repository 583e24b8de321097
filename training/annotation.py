"""Draw the sample of complaints that people read and label for urgency.

No set has an urgency label, so the gold set is written by hand. Urgent
complaints are rare, so part of the sample is drawn from complaints that
mention a term from ``datasets/annotations/sampling_terms.txt``; the terms only
choose what gets read, never the label.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import yaml


def load_sampling_terms(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def mentions_any(texts: pd.Series, terms: list[str]) -> pd.Series:
    """Whether each text (case-folded) contains at least one of the terms."""
    pattern = re.compile("|".join(re.escape(term) for term in terms))
    return texts.str.lower().str.contains(pattern)


def draw_urgency_sample(
    frame: pd.DataFrame,
    per_source: dict[str, int],
    terms: list[str],
    enriched_share: float = 0.4,
    seed: int = 20261124,
) -> pd.DataFrame:
    picked = []
    for source, size in per_source.items():
        pool = frame[frame["source"] == source]
        mentions = mentions_any(pool["text"], terms)
        n_enriched = min(int(size * enriched_share), int(mentions.sum()))
        enriched = pool[mentions].sample(n=n_enriched, random_state=seed)
        rest = pool.drop(enriched.index)
        randoms = rest.sample(n=min(size - n_enriched, len(rest)), random_state=seed)
        picked.append(pd.concat([enriched, randoms]))
    sample = pd.concat(picked)
    return sample.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def draw_stratified_sample(
    frame: pd.DataFrame, plan: dict[str, Any], already_labelled: set[str]
) -> pd.DataFrame:
    """Rows to read next, drawn stratum by stratum from a plan (``round3_strata.yaml``).

    A stratum with ``terms`` draws from rows mentioning one of them; one without
    draws from all rows. A stratum with ``rank_by`` takes the rows with the
    highest values of that column (a model's probability of a rare class, say:
    the model chooses what is read, the reader the label) instead of a random
    draw. Rows are never drawn twice, nor drawn again once labelled. The
    ``stratum`` column says why each row was picked.
    """
    seed = int(plan.get("seed", 0))
    pool = frame
    if plan.get("exclude_already_labelled", True):
        pool = pool[~pool["uid"].isin(already_labelled)]
    picked = []
    for name, stratum in plan["strata"].items():
        candidates = pool
        terms = stratum.get("terms")
        if terms:
            candidates = pool[mentions_any(pool["text"], terms)]
        size = min(int(stratum["size"]), len(candidates))
        rank_by = stratum.get("rank_by")
        if rank_by:
            drawn = candidates.sort_values(rank_by, ascending=False, kind="stable").head(size)
        else:
            drawn = candidates.sample(n=size, random_state=seed)
        picked.append(drawn.assign(stratum=name))
        pool = pool.drop(drawn.index)
    sample = pd.concat(picked)
    return sample.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def load_plan(path: Path) -> dict[str, Any]:
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")))
