"""The one feature recipe: normalise → stem → vectorise → classify."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from salur.model.heads import MultiHeadClassifier
from salur.model.taxonomy import load_taxonomy
from salur.model.text import IndonesianNormalizer, SastrawiStemmer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline

HEADS = ("agency", "category", "urgency", "report_type")
# A labelled complaint as `salur export-corrections` writes it and training
# reads it back (--with-corrections, --held-out).
CORRECTION_COLUMNS = (
    "source",
    "source_id",
    "uid",
    "region",
    "title",
    "text",
    "submitted_at",
    "channel",
    *HEADS,
)

DEFAULT_PARAMS: dict[str, Any] = {
    "use_lexicon": True,
    "stem": True,
    "stem_overrides": True,
    "word_ngram_max": 2,
    "word_min_df": 2,
    "word_max_features": 30_000,
    "char_ngram_min": 3,
    "char_ngram_max": 5,
    "char_min_df": 3,
    "char_max_features": 30_000,
    "C": {"default": 0.3},
    "min_class_count": 8,
    "calibration_folds": 3,
    "ordinal_urgency": True,
}


def urgency_levels() -> tuple[str, ...]:
    """Urgency codes from the least to the most urgent (the taxonomy lists them top down)."""
    return tuple(reversed(list(load_taxonomy().urgency)))


def build_pipeline(
    params: Mapping[str, Any] | None = None, heads: Sequence[str] = HEADS
) -> Pipeline:
    """An unfitted pipeline; ``params`` override :data:`DEFAULT_PARAMS`."""
    p = {**DEFAULT_PARAMS, **(params or {})}
    word = TfidfVectorizer(
        ngram_range=(1, int(p["word_ngram_max"])),
        min_df=int(p["word_min_df"]),
        max_features=int(p["word_max_features"]),
        sublinear_tf=True,
        token_pattern=r"(?u)\b[a-z]{2,}\b",  # noqa: S106 (a regex, not a password)
        lowercase=False,
        dtype=_float32(),
    )
    char = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(int(p["char_ngram_min"]), int(p["char_ngram_max"])),
        min_df=int(p["char_min_df"]),
        max_features=int(p["char_max_features"]),
        sublinear_tf=True,
        lowercase=False,
        dtype=_float32(),
    )
    return Pipeline(
        [
            ("normalize", IndonesianNormalizer(use_lexicon=bool(p["use_lexicon"]))),
            (
                "stem",
                SastrawiStemmer(memo=True, use_overrides=bool(p["stem_overrides"]))
                if p["stem"]
                else "passthrough",
            ),
            ("features", FeatureUnion([("word", word), ("char", char)])),
            (
                "classify",
                MultiHeadClassifier(
                    heads=tuple(heads),
                    C=dict(p["C"]) if isinstance(p["C"], Mapping) else float(p["C"]),
                    min_class_count=int(p["min_class_count"]),
                    calibration_folds=int(p["calibration_folds"]),
                    ordinal_heads=(
                        {"urgency": urgency_levels()}
                        if p["ordinal_urgency"] and "urgency" in heads
                        else None
                    ),
                ),
            ),
        ]
    )


def _float32() -> Any:
    import numpy as np

    return np.float32
