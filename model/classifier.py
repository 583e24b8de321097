"""The model as a library: load a version folder, predict, explain."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from salur.model.artifact import METADATA_FILE, ModelLoadError, load_model_with_digest
from salur.model.calibration import (
    IDENTITY,
    UNSEEN_REGION_KEY,
    ConfidenceCalibration,
    calibrate_rows,
    calibrations_from_metadata,
)
from salur.model.decision import EMERGENCY, Decision, EmergencyAlert, decide
from salur.model.pii import personal_words
from salur.model.routing import GENERIC_REGION, head_has_region_history, thresholds_for_region
from salur.model.taxonomy import load_taxonomy
from salur.model.text import PLACEHOLDER_TOKENS, compose_document


@dataclass(frozen=True)
class Alternative:
    code: str
    probability: float


@dataclass(frozen=True)
class HeadPrediction:
    code: str
    probability: float
    top: tuple[Alternative, ...]
    terms: tuple[str, ...] = field(default=())
    # Every class's probability, as calibrated (``top`` holds the first few).
    probabilities: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Prediction:
    heads: dict[str, HeadPrediction]
    # Decided as for a complaint that names no region (see Classifier.decide);
    # salur.model.routing.route_prediction decides it again in a region.
    decision: Decision
    model_version: str
    # None for a model without an emergency alert level (or without urgency).
    emergency: EmergencyAlert | None = None

    def label(self, head: str) -> str:
        return self.heads[head].code

    def confidence(self, head: str) -> float:
        return self.heads[head].probability


class Classifier:
    """A fitted pipeline plus its metadata and thresholds.

    Serving passes raw text here; all preprocessing happens inside the
    pipeline, exactly as it was fitted. The confidence of each chosen label is
    mapped by the head's calibration in the metadata (see
    :mod:`salur.model.calibration`); the thresholds are in the same units.
    Complaints of a region the model has no labelled history of (and those
    that name no region) get the head's map for unseen regions, where
    training could fit one.
    """

    def __init__(
        self,
        pipeline: Any,
        metadata: Mapping[str, Any],
        thresholds: Mapping[str, float] | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.metadata = dict(metadata)
        self.thresholds = dict(thresholds or self.metadata.get("thresholds", {}))
        # Routing thresholds measured per region of the training data; None for
        # model folders from before they were chosen per region.
        per_region = self.metadata.get("region_thresholds")
        self.region_thresholds: dict[str, dict[str, float]] | None = (
            None
            if per_region is None
            else {
                str(region): {str(head): float(v) for head, v in values.items()}
                for region, values in per_region.items()
            }
        )
        self.version = str(self.metadata.get("version", "unversioned"))
        # SHA-256 of the metadata.json bytes this was loaded from (the value
        # SALUR_MODEL_SHA256 pins); None when built in memory.
        self.metadata_sha256: str | None = None
        self.calibrations = calibrations_from_metadata(self.metadata)
        self.unseen_region_calibrations = calibrations_from_metadata(
            self.metadata, UNSEEN_REGION_KEY
        )
        # Set by training from out-of-fold recall of the gold emergencies; None
        # for model folders from before, which raise no alerts.
        alert = self.metadata.get("emergency_alert") or {}
        level = alert.get("probability")
        self.emergency_level: float | None = None if level is None else float(level)
        classify = pipeline.named_steps["classify"]
        self.heads: tuple[str, ...] = tuple(classify.heads)
        self._classify = classify
        self._features = pipeline[:-1]
        # Normalise and stem, as the vectorisers read the text.
        self._preprocess = pipeline[:-2]
        names = pipeline.named_steps["features"].get_feature_names_out()
        # Only whole-word features are shown to admins: character n-grams
        # carry weight but read as noise ("ah j").
        self._feature_names = np.array([name.split("__", 1)[1] for name in names], dtype=object)
        self._readable = np.array([name.startswith("word__") for name in names])

    @property
    def thresholds_without_region(self) -> dict[str, float]:
        """What a complaint that names no region is decided with.

        It may come from a region the model has no history of; the pooled
        thresholds are certified on the training regions only.
        """
        return thresholds_for_region(GENERIC_REGION, self.thresholds, self.region_thresholds)

    def _calibrated_as_unseen(self, head: str, region_code: str) -> bool:
        return (
            head in self.unseen_region_calibrations
            and head_has_region_history(region_code, head, self.region_thresholds) is False
        )

    def calibration_for(self, head: str, region_code: str) -> ConfidenceCalibration:
        """The map of ``head``'s confidence for complaints of ``region_code``."""
        if self._calibrated_as_unseen(head, region_code):
            return self.unseen_region_calibrations[head]
        return self.calibrations.get(head, IDENTITY)

    def heads_calibrated_as_unseen(self, region_code: str) -> tuple[str, ...]:
        """The heads whose confidence in ``region_code`` is mapped as for an unseen region."""
        return tuple(head for head in self.heads if self._calibrated_as_unseen(head, region_code))

    def emergency_alert(self, heads: Mapping[str, HeadPrediction]) -> EmergencyAlert | None:
        """The darurat probability against the level training chose, if it chose one."""
        urgency = heads.get("urgency")
        if self.emergency_level is None or urgency is None:
            return None
        return EmergencyAlert(urgency.probabilities.get(EMERGENCY, 0.0), self.emergency_level)

    def heads_without_threshold(
        self, overrides: Mapping[str, float] | None = None
    ) -> tuple[str, ...]:
        """Heads neither the metadata nor ``overrides`` give a threshold: none is ever confident."""
        given = {**self.thresholds, **(overrides or {})}
        return tuple(head for head in self.heads if head not in given)

    @classmethod
    def load(cls, directory: Path, expected_sha256: str | None = None) -> Classifier:
        pipeline, metadata, digest = load_model_with_digest(directory, expected_sha256)
        try:
            classifier = cls(pipeline, metadata)
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            # A hand-edited metadata.json whose hash was not pinned: say which
            # file is wrong instead of a traceback from deep in the loader.
            raise ModelLoadError(
                f"{directory / METADATA_FILE}: malformed ({type(error).__name__}: {error}); "
                "restore it from the version as trained"
            ) from error
        classifier.metadata_sha256 = digest
        return classifier

    def predict_documents(
        self,
        documents: Sequence[str],
        explain: bool = True,
        top_k: int = 3,
        n_terms: int = 5,
        regions: Sequence[str] | None = None,
    ) -> list[dict[str, HeadPrediction]]:
        """Per document, each head's prediction; ``regions`` names each document's region.

        Without ``regions`` every document is taken to name none (the generic
        region). The region only chooses how confidences are calibrated.
        """
        # An empty or missing region (None, NaN from a spreadsheet column) names none.
        regions = (
            [GENERIC_REGION] * len(documents)
            if regions is None
            else [r if isinstance(r, str) and r else GENERIC_REGION for r in regions]
        )
        if len(regions) != len(documents):
            raise ValueError(f"{len(documents)} documents but {len(regions)} regions")
        features = self._features.transform(list(documents))
        chosen_by_head = self._classify.predict_indices(features)
        results: list[dict[str, HeadPrediction]] = [{} for _ in documents]
        personal = [self._personal_tokens(d) for d in documents] if explain else []
        for head in self.heads:
            classes = self._classify.classes_[head]
            codes = [str(code) for code in classes]
            chosen, proba = chosen_by_head[head]
            proba = self._calibrated(head, proba, chosen, regions)
            order = np.argsort(-proba, axis=1)
            coef = self._classify.coefficients(head) if explain else None
            for row, by_probability in enumerate(order):
                best = int(chosen[row])
                ranking = [best, *(int(i) for i in by_probability if i != best)][:top_k]
                terms: tuple[str, ...] = ()
                if coef is not None:
                    terms = self._terms(features[row], coef[best], n_terms, personal[row])
                results[row][head] = HeadPrediction(
                    code=str(classes[best]),
                    probability=float(proba[row, best]),
                    top=tuple(Alternative(str(classes[i]), float(proba[row, i])) for i in ranking),
                    terms=terms,
                    probabilities=dict(zip(codes, proba[row].tolist(), strict=True)),
                )
        return results

    def _calibrated(
        self, head: str, proba: np.ndarray, chosen: np.ndarray, regions: Sequence[str]
    ) -> np.ndarray:
        by_region = np.asarray(regions, dtype=object)
        calibrated = np.empty_like(proba)
        for region in dict.fromkeys(regions):
            rows = by_region == region
            calibrated[rows] = calibrate_rows(
                proba[rows], chosen[rows], self.calibration_for(head, region)
            )
        return calibrated

    def _personal_tokens(self, document: str) -> frozenset[str]:
        """The model's tokens of the names in ``document`` (normalised and stemmed as it reads them)."""
        names = personal_words(document)
        if not names:
            return frozenset()
        return frozenset(" ".join(self._preprocess.transform(names)).split())

    def _terms(
        self, row: Any, weights: np.ndarray, n_terms: int, personal: frozenset[str] = frozenset()
    ) -> tuple[str, ...]:
        indices = row.indices
        contributions = row.data * weights[indices]
        readable = self._readable[indices] & (contributions > 0)
        indices, contributions = indices[readable], contributions[readable]
        terms: list[str] = []
        for i in np.argsort(-contributions):
            name = str(self._feature_names[indices[i]])
            words = name.split()
            # "xtelepon" stands for a masked number: no admin reads it as a reason.
            if not PLACEHOLDER_TOKENS.isdisjoint(words):
                continue
            if personal and not personal.isdisjoint(words):
                continue
            terms.append(name)
            if len(terms) == n_terms:
                break
        return tuple(terms)

    def predict(
        self,
        texts: Sequence[str],
        titles: Sequence[str | None] | None = None,
        explain: bool = True,
        regions: Sequence[str] | None = None,
    ) -> list[Prediction]:
        titles = titles if titles is not None else [None] * len(texts)
        documents = [
            compose_document(title, text) for title, text in zip(titles, texts, strict=True)
        ]
        return self.predict_composed(documents, explain=explain, regions=regions)

    def predict_composed(
        self,
        documents: Sequence[str],
        explain: bool = True,
        regions: Sequence[str] | None = None,
    ) -> list[Prediction]:
        """:meth:`predict` for documents already composed from title and text.

        For callers that need the composed document themselves (the local-office
        lookup reads it), so that it is built once per complaint. ``regions``
        as in :meth:`predict_documents`; the decision is the generic region's
        either way, and salur.model.routing.route_prediction decides again.
        """
        predictions = []
        thresholds = self.thresholds_without_region
        for heads in self.predict_documents(documents, explain=explain, regions=regions):
            emergency = self.emergency_alert(heads)
            decision = self.decide(heads, thresholds, emergency)
            predictions.append(Prediction(heads, decision, self.version, emergency))
        return predictions

    def decide(
        self,
        heads: Mapping[str, HeadPrediction],
        thresholds: Mapping[str, float],
        emergency: EmergencyAlert | None,
    ) -> Decision:
        """The decision on one complaint's heads with ``thresholds``, outside any region.

        Every agency code counts as routable here; the service re-decides per
        region in salur.model.routing.route_prediction.
        """
        return decide(
            {head: value.probability for head, value in heads.items()},
            {head: value.code for head, value in heads.items()},
            thresholds,
            emergency=emergency,
            outside_duties=load_taxonomy().outside_duties,
        )

    def predict_one(
        self, text: str, title: str | None = None, region: str = GENERIC_REGION
    ) -> Prediction:
        return self.predict([text], [title], regions=[region])[0]
