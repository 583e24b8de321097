"""Train all heads from a config, choose thresholds, write a version folder."""

from __future__ import annotations

import platform
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from salur.model.artifact import save_model
from salur.model.calibration import (
    MIN_CALIBRATION_ROWS,
    UNSEEN_REGION_KEY,
    ConfidenceCalibration,
    calibrate_rows,
    fit_confidence_calibration,
)
from salur.model.classifier import Classifier
from salur.model.decision import EMERGENCY, choose_alert_level, choose_threshold
from salur.model.pipeline import DEFAULT_PARAMS, HEADS, build_pipeline
from salur.model.routing import GENERIC_REGION, ROUTING_HEADS, thresholds_for_region
from salur.training.dataset import (
    DataError,
    data_hash,
    label_matrix,
    load_corrections,
    load_corrections_file,
    load_labelled,
    random_split,
    row_digests,
    stable_fraction,
    with_suggestions,
)
from salur.training.evaluate import head_metrics, shown_precision
from salur.training.sources import HISTORY_SOURCE_PREFIX, dedup_key

Progress = Callable[[str], None]


@dataclass
class TrainConfig:
    data_dir: Path
    models_dir: Path
    version_prefix: str = "salur"
    test_share: float = 0.2
    threshold_folds: int = 3
    target_precision: dict[str, float] = field(
        default_factory=lambda: {
            "agency": 0.95,
            "category": 0.9,
            "urgency": 0.8,
            "report_type": 0.9,
        }
    )
    min_threshold_support: int = 30
    # Thresholds must reach the target precision with this one-sided confidence
    # (Wilson bound on the out-of-fold predictions), not merely touch it.
    threshold_confidence: float | None = 0.95
    # Share of the out-of-fold gold emergencies the alert level must still
    # flag (null: no alert); see salur.model.decision.choose_alert_level.
    emergency_recall: float | None = 0.7
    # ... but the alert may flag at most this share of all complaints: flagged
    # complaints head the review queue, and a queue headed by everything has no head.
    emergency_max_share: float = 0.15
    pipeline: dict[str, Any] = field(default_factory=dict)
    sources: list[str] | None = None
    refit_on_all: bool = True
    with_corrections: bool = False
    # Fit the routing heads' confidence maps for regions without history, on
    # each training region predicted by a model fitted without it (one more
    # fit per region with enough labelled rows).
    unseen_region_calibration: bool = True

    @classmethod
    def from_file(cls, path: Path, **overrides: Any) -> TrainConfig:
        """The config in ``path``; every mistake in it is a :class:`ConfigError` naming the key."""
        raw = _read_config(path)
        base = path.parent
        values: dict[str, Any] = {**raw, **{k: v for k, v in overrides.items() if v is not None}}
        missing = [key for key in ("data_dir", "models_dir") if key not in values]
        if missing:
            raise ConfigError(f"{path}: missing {' and '.join(missing)} (a folder path)")
        for key in ("data_dir", "models_dir"):
            if not isinstance(values[key], (str, Path)):
                raise ConfigError(f"{path}: {key} must be a folder path, not {values[key]!r}")
            value = Path(values[key])
            values[key] = (
                value
                if value.is_absolute() or overrides.get(key) is not None
                else (base / value).resolve()
            )
        _check_values(path, values)
        return cls(**values)


class ConfigError(ValueError):
    """A training config the user must fix; the message names the file and the key."""


def _read_config(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise ConfigError(f"config file {path} not found") from error
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read the config ({error})") from error
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise ConfigError(f"{path}: not valid YAML{line}") from error
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a config is a YAML mapping (key: value lines)")
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(str(key) for key in raw if key not in known)
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {with_suggestions(unknown, known)}")
    return raw


def _check_values(path: Path, values: dict[str, Any]) -> None:
    """Types and ranges, checked before hours of training rather than in the middle of it."""
    from salur.training.sources import LOADERS

    def number(key: str, low: float, high: float, integer: bool = False) -> None:
        if key not in values or (key == "threshold_confidence" and values[key] is None):
            return
        value = values[key]
        kind = int if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kind) or not low <= value <= high:
            what = "a whole number" if integer else "a number"
            raise ConfigError(
                f"{path}: {key} must be {what} from {low:g} to {high:g}, not {value!r}"
            )

    number("test_share", 0.01, 0.9)
    number("threshold_folds", 2, 20, integer=True)
    number("min_threshold_support", 1, 1_000_000, integer=True)
    number("threshold_confidence", 0.5, 0.999)
    if values.get("emergency_recall") is not None:
        number("emergency_recall", 0.01, 1.0)
    number("emergency_max_share", 0.001, 1.0)
    targets = values.get("target_precision", {})
    if not isinstance(targets, dict) or any(
        head not in HEADS
        or isinstance(v, bool)
        or not isinstance(v, (int, float))
        or not 0 < v <= 1
        for head, v in targets.items()
    ):
        raise ConfigError(
            f"{path}: target_precision maps heads ({', '.join(HEADS)}) to numbers in (0, 1]"
        )
    pipeline = values.get("pipeline") or {}
    if not isinstance(pipeline, dict):
        raise ConfigError(f"{path}: pipeline is a mapping of recipe settings")
    unknown = sorted(str(key) for key in pipeline if key not in DEFAULT_PARAMS)
    if unknown:
        raise ConfigError(
            f"{path}: unknown pipeline setting(s) {with_suggestions(unknown, DEFAULT_PARAMS)}"
        )
    sources = values.get("sources")
    if sources is not None and (
        not isinstance(sources, list) or any(source not in LOADERS for source in sources)
    ):
        raise ConfigError(
            f"{path}: sources is a list of source names from {', '.join(LOADERS)}, not {sources!r}"
        )
    for flag in ("refit_on_all", "with_corrections", "unseen_region_calibration"):
        if flag in values and not isinstance(values[flag], bool):
            raise ConfigError(f"{path}: {flag} must be true or false, not {values[flag]!r}")


def library_versions() -> dict[str, str]:
    names = ["scikit-learn", "numpy", "scipy", "pandas", "joblib", "Sastrawi", "salur"]
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def new_version_name(models_dir: Path, prefix: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"{prefix}-{stamp}"
    suffix = 1
    while (models_dir / name).exists():
        suffix += 1
        name = f"{prefix}-{stamp}-{suffix}"
    return name


def trainable_heads(frame: pd.DataFrame, params: dict[str, Any] | None = None) -> tuple[str, ...]:
    """Heads with at least two classes of ``min_class_count`` labelled rows in ``frame``.

    A head below that would make the classifier refuse to fit; a small
    ``sources`` selection then trains the heads it can instead of stopping.
    """
    least = int({**DEFAULT_PARAMS, **(params or {})}["min_class_count"])
    return tuple(
        head
        for head in HEADS
        if (frame.loc[frame[head] != "", head].value_counts() >= least).sum() >= 2
    )


def fit_pipeline(
    frame: pd.DataFrame, params: dict[str, Any], heads: tuple[str, ...] = HEADS
) -> Any:
    pipeline = build_pipeline(params, heads)
    pipeline.fit(frame["document"].to_numpy(dtype=object), label_matrix(frame, heads))
    return pipeline


@dataclass(frozen=True)
class Decisions:
    """What a model version decides with, chosen on out-of-fold predictions."""

    thresholds: dict[str, float]
    calibrations: dict[str, ConfidenceCalibration]
    # Routing-head thresholds chosen on each training region's own rows: the
    # pooled threshold is set by the region with most rows (Surabaya) and
    # auto-routed Kab. Bandung at 0.83 precision.
    region_thresholds: dict[str, dict[str, float]] = field(default_factory=dict)
    # {"probability": level, ...} or None when no level was chosen.
    emergency_alert: dict[str, Any] | None = None
    # Confidence maps for complaints of regions without history, and the rows
    # per left-out region each was fitted on (see unseen_region_calibrations).
    unseen_region_calibrations: dict[str, ConfidenceCalibration] = field(default_factory=dict)
    unseen_region_rows: dict[str, dict[str, int]] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        return {
            "thresholds": self.thresholds,
            "region_thresholds": self.region_thresholds,
            "confidence_calibration": {
                head: calibration.to_dict() for head, calibration in self.calibrations.items()
            },
            UNSEEN_REGION_KEY: {
                head: calibration.to_dict()
                for head, calibration in self.unseen_region_calibrations.items()
            },
            "unseen_region_calibration_rows": self.unseen_region_rows,
            "emergency_alert": self.emergency_alert,
        }


def choose_decisions(
    frame: pd.DataFrame,
    predicted: pd.DataFrame,
    config: TrainConfig,
    heads: tuple[str, ...] = HEADS,
) -> Decisions:
    """Calibrate each head's confidence, then choose its threshold on the calibrated values.

    Both come from the same out-of-fold predictions; the calibration is an
    increasing map, so it moves the threshold's number but not which
    complaints it routes.
    """
    calibrations = fit_calibrations(frame, predicted, heads)
    calibrated = predicted.copy()
    for head, calibration in calibrations.items():
        column = f"{head}_confidence"
        calibrated[column] = calibration.apply(predicted[column].to_numpy(dtype=float))
    return Decisions(
        choose_thresholds(frame, calibrated, config, heads),
        calibrations,
        choose_region_thresholds(frame, calibrated, config, heads),
        choose_emergency_alert(frame, predicted, calibrations, config),
    )


# A region is left out for a head only if it holds at most this share of
# the head's labelled rows, so that the model fitted without it is still much
# the model that serves. Without that rule the map described a different
# model: trained without Kab. Bandung and then without Surabaya (83% of the
# category rows), the remaining Jawa Tengah token lists got 10% of Surabaya's
# categories right at a mean confidence of 0.58, and the map fitted on that
# took Bandung's category calibration error from 0.12 to 0.36.
MAX_LEFT_OUT_SHARE = 0.5


def may_leave_out(region_rows: int, head_rows: int) -> bool:
    """Whether a region with ``region_rows`` of a head's ``head_rows`` labelled rows is left out.

    It needs enough rows to calibrate on (MIN_CALIBRATION_ROWS), and the rest
    must keep at least half of the head's rows (MAX_LEFT_OUT_SHARE).
    """
    return MIN_CALIBRATION_ROWS <= region_rows <= MAX_LEFT_OUT_SHARE * head_rows


def unseen_region_predictions(
    frame: pd.DataFrame, config: TrainConfig, heads: tuple[str, ...], progress: Progress = print
) -> pd.DataFrame:
    """Each training region's rows predicted by a model fitted on every other region.

    Only routing heads, and only regions with at least MIN_CALIBRATION_ROWS
    rows labelled for the head and at most MAX_LEFT_OUT_SHARE of them; rows
    not predicted are NaN. Confidences are the pipeline's own, before any
    calibration.
    """
    regions = frame["region"].fillna("").astype(str)
    routing = tuple(head for head in ROUTING_HEADS if head in heads)
    labelled = {head: (frame[head] != "").to_numpy() for head in routing}
    parts = []
    for region in sorted(set(regions) - {"", GENERIC_REGION}):
        left_out = (regions == region).to_numpy()
        rest = frame[~left_out]
        trainable = trainable_heads(rest, config.pipeline)
        fitted = tuple(
            head
            for head in routing
            if may_leave_out(int((labelled[head] & left_out).sum()), int(labelled[head].sum()))
            and head in trainable
        )
        if not fitted:
            continue
        progress(
            f"confidence for unseen regions: fitting {', '.join(fitted)} without {region} "
            f"on {len(rest)} documents"
        )
        pipeline = fit_pipeline(rest, config.pipeline, fitted)
        predicted = predictions_frame(Classifier(pipeline, {"version": "unseen"}), frame[left_out])
        predicted["left_out_region"] = region
        parts.append(predicted)
    if not parts:
        return pd.DataFrame(index=frame.index)
    return pd.concat(parts).reindex(frame.index)


def unseen_region_calibrations(
    frame: pd.DataFrame, config: TrainConfig, heads: tuple[str, ...], progress: Progress = print
) -> tuple[dict[str, ConfidenceCalibration], dict[str, dict[str, int]]]:
    """Per routing head, the confidence map for regions without history, and its rows per region.

    The in-region map is fitted on complaints of the regions the model learned
    from; on a region left out it made confidence worse (Kab. Bandung agency:
    expected calibration error 0.16 raw, 0.23 mapped), because there the
    model is right less often at the same confidence. A head gets a map where
    at least one region could be left out for it.
    """
    predicted = unseen_region_predictions(frame, config, heads, progress)
    maps: dict[str, ConfidenceCalibration] = {}
    rows: dict[str, dict[str, int]] = {}
    for head in ROUTING_HEADS:
        if f"{head}_pred" not in predicted:
            continue
        labelled = (frame[head] != "") & predicted[f"{head}_pred"].notna()
        per_region = predicted.loc[labelled, "left_out_region"].value_counts()
        if per_region.empty:
            continue
        calibration = fit_confidence_calibration(*scored(frame, predicted, head))
        if not calibration.is_identity:
            maps[head] = calibration
            rows[head] = {str(region): int(n) for region, n in sorted(per_region.items())}
    return maps, rows


def emergency_probabilities(
    predicted: pd.DataFrame, calibration: ConfidenceCalibration | None = None
) -> np.ndarray:
    """P(darurat) per row of ``predicted``, as a model with ``calibration`` serves it."""
    columns = [c for c in predicted.columns if c.startswith(URGENCY_PROBABILITY)]
    codes = [c.removeprefix(URGENCY_PROBABILITY) for c in columns]
    if EMERGENCY not in codes:
        return np.zeros(len(predicted))
    proba = np.nan_to_num(predicted[columns].to_numpy(dtype=float))
    if calibration is not None:
        chosen = predicted["urgency_pred"].map({code: i for i, code in enumerate(codes)})
        proba = calibrate_rows(proba, chosen.fillna(0).to_numpy(dtype=int), calibration)
    return np.asarray(proba[:, codes.index(EMERGENCY)])


def choose_emergency_alert(
    frame: pd.DataFrame,
    predicted: pd.DataFrame,
    calibrations: dict[str, ConfidenceCalibration],
    config: TrainConfig,
) -> dict[str, Any] | None:
    """The darurat probability above which a complaint is a possible emergency.

    Chosen on the gold rows' out-of-fold predictions so that the alert still
    flags ``config.emergency_recall`` of the real emergencies, unless that
    would flag more than ``config.emergency_max_share`` of all complaints
    (gold or not); then the level is raised to flag that share, and the
    recall it keeps is recorded.
    """
    if not config.emergency_recall or "urgency_pred" not in predicted:
        return None
    predicted_rows = predicted["urgency_pred"].notna().to_numpy()
    everyone = emergency_probabilities(predicted, calibrations.get("urgency"))[predicted_rows]
    gold = (frame["urgency"] != "").to_numpy()[predicted_rows]
    probability = everyone[gold]
    emergency = (frame["urgency"] == EMERGENCY).to_numpy()[predicted_rows][gold]
    level = choose_alert_level(probability, emergency, config.emergency_recall)
    if level is None:
        return None
    capped = bool((everyone >= level).mean() > config.emergency_max_share)
    if capped:
        level = float(np.quantile(everyone, 1 - config.emergency_max_share, method="higher"))
    flagged = probability >= level
    return {
        "probability": level,
        "target_recall": config.emergency_recall,
        "out_of_fold_recall": float(flagged[emergency].mean()),
        "out_of_fold_flagged_share": float(flagged.mean()),
        "out_of_fold_flagged_share_all": float((everyone >= level).mean()),
        "capped_at_max_share": capped,
        "gold_emergencies": int(emergency.sum()),
    }


def choose_region_thresholds(
    frame: pd.DataFrame, calibrated: pd.DataFrame, config: TrainConfig, heads: tuple[str, ...]
) -> dict[str, dict[str, float]]:
    """Per named region, a threshold for each routing head it has labelled rows for.

    Rows without a region, or from requests that named none (corrections of
    the generic region), get none: the generic region routes as a region
    without history does.
    """
    regions = frame["region"].fillna("").astype(str)
    chosen = {}
    for region in sorted(set(regions) - {"", GENERIC_REGION}):
        rows = regions == region
        labelled = tuple(
            head for head in ROUTING_HEADS if head in heads and (frame.loc[rows, head] != "").any()
        )
        if labelled:
            chosen[region] = choose_thresholds(
                frame.loc[rows], calibrated.loc[rows], config, labelled
            )
    return chosen


def fit_calibrations(
    frame: pd.DataFrame, predicted: pd.DataFrame, heads: tuple[str, ...] = HEADS
) -> dict[str, ConfidenceCalibration]:
    return {head: fit_confidence_calibration(*scored(frame, predicted, head)) for head in heads}


def scored(
    frame: pd.DataFrame, predicted: pd.DataFrame, head: str
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence and rightness of ``head``'s predictions on the rows labelled for it."""
    labelled = (frame[head] != "") & predicted[f"{head}_pred"].notna()
    confidence = predicted.loc[labelled, f"{head}_confidence"].to_numpy(dtype=float)
    correct = (predicted.loc[labelled, f"{head}_pred"] == frame.loc[labelled, head]).to_numpy()
    return confidence, correct


def fit_and_measure(
    fit_frame: pd.DataFrame,
    test_frame: pd.DataFrame,
    config: TrainConfig,
    progress: Progress = print,
) -> tuple[Any, Decisions, dict[str, Any]]:
    """Fit on one frame, calibrate and choose thresholds out of fold, measure on another.

    Calibration and thresholds are chosen on predictions that each come from a
    model which did not see the row (``threshold_folds`` folds of
    ``fit_frame``), so every labelled row both trains the final model and
    informs its decisions, instead of setting aside a split that trains nothing.
    """
    heads = trainable_heads(fit_frame, config.pipeline)
    decisions = choose_decisions(
        fit_frame, out_of_fold_predictions(fit_frame, config, heads, progress), config, heads
    )
    if config.unseen_region_calibration:
        maps, rows = unseen_region_calibrations(fit_frame, config, heads, progress)
        decisions = replace(decisions, unseen_region_calibrations=maps, unseen_region_rows=rows)
    progress(f"fitting heads {', '.join(heads)} on {len(fit_frame)} documents")
    pipeline = fit_pipeline(fit_frame, config.pipeline, heads)
    progress(f"measuring on {len(test_frame)} held-out documents")
    holdout = Classifier(pipeline, {"version": "holdout", **decisions.metadata()})
    return pipeline, decisions, measure(holdout, test_frame)


def measure(classifier: Classifier, test: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per head, the held-out metrics of ``classifier`` on ``test``, routed as the service routes."""
    predicted = predictions_frame(classifier, test)
    held = predicted["held_for_review"].to_numpy(dtype=bool)
    metrics: dict[str, dict[str, Any]] = {
        head: head_metrics(
            test,
            predicted,
            head,
            classifier.thresholds.get(head, 1.0),
            routing_thresholds(test, classifier.thresholds, classifier.region_thresholds, head),
            held if head in ROUTING_HEADS else None,
        )
        for head in classifier.heads
    }
    if classifier.emergency_level is not None:
        metrics["emergency_alert"] = emergency_figures(test, predicted)
    return metrics


def emergency_figures(test: pd.DataFrame, predicted: pd.DataFrame) -> dict[str, Any]:
    """How the emergency alert did on held-out rows: gold emergencies caught, and its cost."""
    gold = (test["urgency"] != "").to_numpy()
    emergency = (test["urgency"] == EMERGENCY).to_numpy()
    called = (predicted["urgency_pred"] == EMERGENCY).to_numpy()
    raised = predicted["possible_emergency"].to_numpy(dtype=bool)
    # The rows the alert alone sent to review: raised on an urgency below darurat.
    held = raised & ~called
    return {
        "gold_emergencies": int(emergency.sum()),
        "called_darurat": int((emergency & called).sum()),
        "called_or_alerted": int((emergency & (called | raised)).sum()),
        "alerted_share_of_gold_rows": float(raised[gold].mean()) if gold.any() else None,
        "held_for_review_share": float(held.mean()) if held.size else 0.0,
    }


def routing_thresholds(
    frame: pd.DataFrame,
    thresholds: dict[str, float],
    region_thresholds: dict[str, dict[str, float]] | None,
    head: str,
) -> np.ndarray | None:
    """Per row, the threshold the service gates ``head`` with in that row's region.

    None for a head that does not route. Rows without a region (a held-out
    file without the column, too) are gated as a request naming none.
    """
    if head not in ROUTING_HEADS:
        return None
    named = frame["region"] if "region" in frame else pd.Series("", index=frame.index)
    regions = named.fillna("").astype(str).replace("", GENERIC_REGION)
    per_region = {
        region: thresholds_for_region(str(region), thresholds, region_thresholds).get(head, 1.0)
        for region in regions.unique()
    }
    return regions.map(per_region).to_numpy(dtype=float)


def threshold_fold(frame: pd.DataFrame, folds: int) -> np.ndarray:
    """A fold number per row, from the text hash (the same on every run and machine)."""
    # Salted so that fold membership is independent of the train/test hash split.
    fraction = stable_fraction("threshold-fold|" + dedup_key(frame["title"], frame["text"]))
    return np.minimum((fraction * folds).astype(int), folds - 1)


def out_of_fold_predictions(
    frame: pd.DataFrame, config: TrainConfig, heads: tuple[str, ...], progress: Progress = print
) -> pd.DataFrame:
    """Every row predicted by a model fitted on the other folds (for choosing thresholds)."""
    fold = threshold_fold(frame, config.threshold_folds)
    parts = []
    for number in range(config.threshold_folds):
        held = fold == number
        progress(
            f"threshold fold {number + 1}/{config.threshold_folds}: "
            f"fitting on {int((~held).sum())} documents"
        )
        fitted_heads = tuple(
            h for h in heads if h in trainable_heads(frame[~held], config.pipeline)
        )
        pipeline = fit_pipeline(frame[~held], config.pipeline, fitted_heads)
        parts.append(predictions_frame(Classifier(pipeline, {"version": "fold"}), frame[held]))
    return pd.concat(parts).reindex(frame.index)


URGENCY_PROBABILITY = "urgency_p_"


def predictions_frame(classifier: Classifier, frame: pd.DataFrame) -> pd.DataFrame:
    """Predicted code and confidence per head, aligned with ``frame``.

    Also every urgency class's probability (``urgency_p_<code>``) and whether
    the classifier's emergency alert is raised, as the service would decide it.
    """
    # The classifier reads a missing or empty region as naming none.
    regions = frame["region"].tolist() if "region" in frame else None
    results = classifier.predict_documents(list(frame["document"]), explain=False, regions=regions)
    columns: dict[str, list[Any]] = {}
    for head in classifier.heads:
        columns[f"{head}_pred"] = [r[head].code for r in results]
        columns[f"{head}_confidence"] = [r[head].probability for r in results]
        # The suggestions an admin sees, best first (the chosen label leads).
        columns[f"{head}_top"] = [tuple(a.code for a in r[head].top) for r in results]
    if "urgency" in classifier.heads:
        for code in results[0]["urgency"].probabilities if results else ():
            columns[URGENCY_PROBABILITY + code] = [
                r["urgency"].probabilities[code] for r in results
            ]
    # At threshold 0 no confidence holds a complaint back: what still sends it
    # to review is a rule that holds whatever the confidence (a possible
    # emergency not called darurat, a category no regional OPD holds).
    anything_routes = dict.fromkeys(classifier.heads, 0.0)
    decisions = [
        classifier.decide(r, anything_routes, classifier.emergency_alert(r)) for r in results
    ]
    columns["possible_emergency"] = [d.possible_emergency for d in decisions]
    columns["held_for_review"] = [d.needs_review for d in decisions]
    return pd.DataFrame(columns, index=frame.index)


def choose_thresholds(
    frame: pd.DataFrame,
    predicted: pd.DataFrame,
    config: TrainConfig,
    heads: tuple[str, ...] = HEADS,
) -> dict[str, float]:
    thresholds = {}
    for head in heads:
        thresholds[head] = choose_threshold(
            *scored(frame, predicted, head),
            target_precision=config.target_precision.get(head, 0.95),
            min_support=config.min_threshold_support,
            confidence_level=config.threshold_confidence or None,
        )
    return thresholds


def label_counts(frame: pd.DataFrame) -> dict[str, dict[str, int]]:
    return {
        head: {str(k): int(v) for k, v in frame.loc[frame[head] != "", head].value_counts().items()}
        for head in HEADS
    }


def split_frames(frame: pd.DataFrame, config: TrainConfig) -> dict[str, pd.DataFrame]:
    """The train and test rows of the configured random split, in that order."""
    split = random_split(frame, config.test_share)
    return {part: frame[split == part] for part in ("train", "test")}


def merge_corrections(frame: pd.DataFrame, corrections: pd.DataFrame) -> pd.DataFrame:
    """Add reviewed rows; where one repeats a text already present, the admin's labels win.

    Rows of a region's imported history (``source`` "history:<region>") add
    what the project does not hold: one whose text is already among the
    project's rows (with or without its title: exports differ in that) is left
    out, so the project's labels stay and no complaint lands on both sides of
    the split; and an admin's correction of a complaint wins over its history.
    """
    if corrections.empty:
        return frame
    corrections = corrections[frame.columns.intersection(corrections.columns)]
    history = corrections["source"].astype(str).str.startswith(HISTORY_SOURCE_PREFIX)
    known_texts = set(dedup_key(pd.Series("", index=frame.index), frame["text"]))
    known_texts |= set(dedup_key(frame["title"], frame["text"]))
    history_texts = dedup_key(pd.Series("", index=corrections.index), corrections["text"])
    repeated = history & history_texts.isin(known_texts)
    # History first, so that a reviewed correction of the same text comes last and wins.
    added = pd.concat([corrections[history & ~repeated], corrections[~history]])
    merged = pd.concat([frame, added], ignore_index=True).fillna("")
    key = dedup_key(merged["title"], merged["text"])
    return merged.loc[~key.duplicated(keep="last")].reset_index(drop=True)


def train(config: TrainConfig, progress: Progress = print) -> Path:
    """Fit on train, pick thresholds out of fold, measure on test, save.

    With ``refit_on_all`` the saved pipeline is refitted on every row with the
    thresholds kept; its metrics are those of the held-out run of the same
    recipe on the same data, and the metadata says so.
    """
    progress("loading data")
    frame = load_labelled(config.data_dir, config.sources)
    corrections_used = None
    if config.with_corrections:
        folder = config.data_dir / "corrections"
        corrections = load_corrections(folder)
        progress(f"adding {len(corrections)} reviewed corrections")
        frame = merge_corrections(frame, corrections)
        corrections_used = {
            "folder": str(folder),
            "files": sorted(path.name for path in folder.glob("*.csv")),
            "rows": int(len(corrections)),
            "row_digests": sorted(set(row_digests(corrections))),
        }
    parts = split_frames(frame, config)
    progress(f"{len(frame)} documents: " + ", ".join(f"{k} {len(v)}" for k, v in parts.items()))

    pipeline, decisions, metrics = fit_and_measure(*parts.values(), config, progress)

    if config.refit_on_all:
        progress("refitting on all rows")
        pipeline = fit_pipeline(frame, config.pipeline, trainable_heads(frame, config.pipeline))
        trained_on = "all"
    else:
        trained_on = "train"

    config.models_dir.mkdir(parents=True, exist_ok=True)
    version = new_version_name(config.models_dir, config.version_prefix)
    classify = pipeline.named_steps["classify"]
    heads = tuple(classify.heads)
    meta: dict[str, Any] = {
        "version": version,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "trained_on": trained_on,
        "heads": list(heads),
        "labels": {head: [str(c) for c in classify.classes_[head]] for head in heads},
        "dropped_classes": classify.dropped_classes_,
        **decisions.metadata(),
        "target_precision": config.target_precision,
        "data_hash": data_hash(frame),
        "data_rows": int(len(frame)),
        "label_counts": label_counts(frame),
        "split": {
            "method": "sha256 of folded title+text",
            "test_share": config.test_share,
            "thresholds": f"out-of-fold predictions, {config.threshold_folds} folds of the train rows",
            "confidence_calibration": (
                "Platt scaling of the chosen label's confidence on the same out-of-fold "
                "predictions; thresholds are in calibrated units. For regions without "
                "labelled history, a second map per routing head, fitted on each training "
                "region predicted by a model fitted without it"
            ),
            "threshold_rule": (
                "lowest confidence whose auto-routed precision reaches the target"
                + (
                    f" at one-sided {config.threshold_confidence:.0%} confidence (Wilson bound)"
                    if config.threshold_confidence
                    else ""
                )
            ),
        },
        "sources": config.sources or "all",
        "with_corrections": config.with_corrections,
        "corrections": corrections_used,
        "pipeline_params": config.pipeline,
        "library_versions": library_versions(),
        "metrics": {"evaluation": "held-out random split, model fitted on train only", **metrics},
    }
    from salur.training.card import model_card

    path = save_model(pipeline, meta, model_card(meta), config.models_dir / version)
    progress(f"saved {path}")
    return path


def summarise(metrics: dict[str, Any]) -> str:
    lines = []
    for head in HEADS:
        m = metrics.get(head)
        if not m:
            continue
        lines.append(
            f"{head:12s} n={m['support']:5d} acc={m['accuracy']:.3f} macroF1={m['macro_f1']:.3f} "
            f"auto={m['auto_route']['coverage']:.2f} auto-precision={shown_precision(m['auto_route']['precision'])}"
        )
    return "\n".join(lines)


def evaluate_recipe(
    config: TrainConfig, holdout_region: str = "bandung", progress: Progress = print
) -> dict[str, Any]:
    """The recipe measured twice: on the random split, and on an unseen region.

    The cross-region run trains without any row of ``holdout_region`` and tests
    on all of its rows, which is the situation of every region that joins
    without a history of its own.
    """
    frame = load_labelled(config.data_dir, config.sources)
    progress("random split")
    _, _, random_metrics = fit_and_measure(*split_frames(frame, config).values(), config, progress)
    progress(f"cross-region: train without {holdout_region}, test on {holdout_region}")
    _, decisions, region_metrics = fit_and_measure(
        frame[frame["source"] != holdout_region],
        frame[frame["source"] == holdout_region],
        config,
        progress,
    )
    # Every row of the region left out is of a region without history: say
    # which heads' confidences were mapped as such, and on what.
    region_metrics["unseen_region_calibration"] = decisions.unseen_region_rows
    progress("urgency: 5-fold cross-validation over the whole gold set")
    return {
        "data_hash": data_hash(frame),
        "random_split": random_metrics,
        f"cross_region_{holdout_region}": region_metrics,
        "urgency_gold_cv": {
            "urgency": urgency_cross_validation(frame, config),
            "note": (
                "Confidences in this cross-validation are not recalibrated (no inner "
                "out-of-fold fit), so its ECE is not comparable with the random split's."
            ),
        },
    }


def urgency_cross_validation(
    frame: pd.DataFrame,
    config: TrainConfig,
    folds: int = 5,
    extra_training: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Urgency measured on every gold row once, each by a model that never saw it.

    The random split leaves only a fifth of the gold set for testing; pooling
    the out-of-fold predictions of all folds gives a steadier figure.
    ``extra_training`` rows join every training fold and are never measured
    (the later rounds of the gold set, when measuring on the earlier ones).
    """
    from sklearn.model_selection import StratifiedKFold

    gold = frame[frame["urgency"] != ""].reset_index(drop=True)
    predicted = pd.DataFrame(index=gold.index, columns=["urgency_pred", "urgency_confidence"])
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    for train_index, test_index in splitter.split(gold, gold["urgency"]):
        fit = pd.concat([gold.iloc[train_index], extra_training])
        pipeline = fit_pipeline(fit, config.pipeline, ("urgency",))
        classifier = Classifier(pipeline, {"version": "cv"})
        fold = predictions_frame(classifier, gold.iloc[test_index])
        predicted.loc[fold.index, fold.columns] = fold
    predicted["urgency_confidence"] = predicted["urgency_confidence"].astype(float)
    return head_metrics(gold, predicted, "urgency", threshold=1.0)


def trained_row_digests(metadata: dict[str, Any]) -> set[str]:
    """Digests of the correction rows a model version was trained on."""
    return set((metadata.get("corrections") or {}).get("row_digests", []))


def evaluate_saved(
    model_dir: Path,
    config: TrainConfig,
    held_out: Path | None = None,
    exclude: set[str] | None = None,
    also_trained: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A saved model on the project's random test split, or on a labelled file.

    On the split, only rows that neither this model nor the ones whose
    metadata is in ``also_trained`` (the other side of a comparison) were
    trained on (see :func:`unseen_test_share`).

    ``held_out`` is a CSV in the training shape (``title``, ``text`` and one
    column per head, e.g. a fresh ``salur export-corrections``): rows that no
    model version has been trained on, which makes a comparison fair even when
    a version was refitted on all of ``datasets/``.
    """
    classifier = Classifier.load(model_dir)
    seen_rows = 0
    if held_out is not None:
        test = load_corrections_file(held_out)
        # Rows a version learned from are not held out from it.
        seen = row_digests(test).isin(trained_row_digests(classifier.metadata) | (exclude or set()))
        seen_rows = int(seen.sum())
        if seen.all():
            raise DataError(
                f"{held_out}: every row was in the training data of {classifier.version}"
            )
        test = test[~seen.to_numpy()]
    else:
        share = unseen_test_share(config, classifier.metadata, *(also_trained or []))
        test = split_frames(
            load_labelled(config.data_dir, config.sources), replace(config, test_share=share)
        )["test"]
    metrics = measure(classifier, test)
    result = {
        "model": classifier.version,
        "trained_on": classifier.metadata.get("trained_on"),
        "held_out": str(held_out) if held_out is not None else "random test split",
        "held_out_rows_seen_in_training": seen_rows,
        "test_split": metrics,
    }
    if held_out is None and share < config.test_share:
        result["test_share"] = share
    return result


def unseen_test_share(config: TrainConfig, *metadatas: dict[str, Any]) -> float:
    """The largest test share whose rows none of the models trained on.

    The split puts a row in the test split when its text hash falls below the
    share, so a model trained with test_share 0.1 learned the rows between 0.1
    and the config's 0.2: only the rows below 0.1 are unseen by it.
    """
    recorded = [
        float(meta["split"]["test_share"])
        for meta in metadatas
        if isinstance(meta.get("split"), dict) and "test_share" in meta["split"]
    ]
    return min([config.test_share, *recorded])
