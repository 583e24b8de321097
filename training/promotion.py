"""Compare two model versions on the same held-out rows; promote the better one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from salur.model.artifact import (
    MODELS_ROOT,
    PROMOTED_NAME,
    ModelLoadError,
    metadata_with_digest,
    read_metadata,
    served_model_dir,
    verify_model,
)
from salur.model.files import replaced_on_success
from salur.model.pipeline import HEADS
from salur.training.train import TrainConfig, evaluate_saved, trained_row_digests


class PromotionRefused(RuntimeError):
    """The candidate is worse than the served model and --force was not given."""


def compare_models(
    old: Path, new: Path, config: TrainConfig, held_out: Path | None = None
) -> dict[str, Any]:
    # Both versions are measured on the same rows: none that either trained on.
    metadatas = [read_metadata(old), read_metadata(new)]
    seen = trained_row_digests(metadatas[0]) | trained_row_digests(metadatas[1])
    old_result = evaluate_saved(old, config, held_out, exclude=seen, also_trained=metadatas)
    new_result = evaluate_saved(new, config, held_out, exclude=seen, also_trained=metadatas)
    warnings = (
        [
            f"{r['model']} was refitted on all rows, so the test split was part of its "
            "training data; pass --held-out FILE with rows neither version saw"
            for r in (old_result, new_result)
            if r.get("trained_on") == "all"
        ]
        if held_out is None
        else []
    )
    # Information, not a reason to refuse: with those rows left out the
    # comparison is on unseen rows, which is what the warnings guard.
    left_out = old_result.get("held_out_rows_seen_in_training", 0)
    notes = (
        [
            f"{left_out} row(s) of {held_out} were corrections a version was trained on "
            "and were left out of the comparison"
        ]
        if left_out
        else []
    )
    if "test_share" in old_result:
        notes.append(
            f"a version was trained with a smaller test split, so both are measured on its "
            f"{old_result['test_share']:.0%} of the rows, which neither trained on"
        )
    return {
        "old": old_result["model"],
        "new": new_result["model"],
        "warnings": warnings,
        "notes": notes,
        "results": {
            f"old {old_result['model']}": old_result["test_split"],
            f"new {new_result['model']}": new_result["test_split"],
        },
        "per_head": {
            head: {
                "old_macro_f1": old_result["test_split"].get(head, {}).get("macro_f1"),
                "new_macro_f1": new_result["test_split"].get(head, {}).get("macro_f1"),
                "old_accuracy": old_result["test_split"].get(head, {}).get("accuracy"),
                "new_accuracy": new_result["test_split"].get(head, {}).get("accuracy"),
            }
            for head in HEADS
        },
    }


def format_comparison(comparison: dict[str, Any]) -> str:
    lines = [f"old: {comparison['old']}    new: {comparison['new']}"]
    lines += [f"warning: {w}" for w in comparison["warnings"]]
    lines += [f"note: {n}" for n in comparison.get("notes", [])]
    lines.append(f"{'head':12s} {'old acc':>8s} {'new acc':>8s} {'old mF1':>8s} {'new mF1':>8s}")
    for head, m in comparison["per_head"].items():
        if m["old_macro_f1"] is None or m["new_macro_f1"] is None:
            continue
        lines.append(
            f"{head:12s} {m['old_accuracy']:8.3f} {m['new_accuracy']:8.3f} "
            f"{m['old_macro_f1']:8.3f} {m['new_macro_f1']:8.3f}"
        )
    return "\n".join(lines)


def promote_model(
    candidate: Path,
    current: Path | None,
    config: TrainConfig,
    force: bool = False,
    models_root: Path = MODELS_ROOT,
    held_out: Path | None = None,
    pinned_sha256: str | None = None,
) -> str:
    """Point ``models/PROMOTED`` at ``candidate`` after the agency check.

    ``pinned_sha256`` is the deployment's ``SALUR_MODEL_SHA256``: the pin names
    one version, so a promoted other one is refused at the service's next start
    unless the pin changes too; the message says what to set it to.
    """
    candidate = candidate.resolve()
    try:
        # The service would refuse a version with a missing or altered pipeline
        # only at its next start, after PROMOTED already names it.
        verify_model(candidate)
    except ModelLoadError as error:
        raise PromotionRefused(str(error)) from error
    if candidate.parent != models_root.resolve():
        raise PromotionRefused(
            f"{candidate} is not a version folder inside {models_root}; give --models-root "
            "(the SALUR_MODELS_ROOT the service serves from) or move the version there"
        )
    served = served_model_dir(models_root)
    if current is None and not served.is_dir():
        # A deployment's own models root before its first promotion serves
        # nothing (no PROMOTED, no default): there is no model to be worse than.
        pin_note = _pin_note(candidate, pinned_sha256, force)
        _point_at(candidate, models_root)
        return (
            f"{served} does not exist, so nothing was served from {models_root} and there was "
            f"no model to compare with; promoted {candidate.name}; restart the service "
            "(salur serve) to load it"
        ) + pin_note
    current = (current or served).resolve()
    comparison = compare_models(current, candidate, config, held_out)
    agency = comparison["per_head"]["agency"]
    report = format_comparison(comparison)
    if agency["new_macro_f1"] is None or agency["old_macro_f1"] is None:
        raise PromotionRefused(
            f"no agency labels to compare the two versions on{' in ' + str(held_out) if held_out else ''}"
        )
    if comparison["warnings"] and not force:
        # A model refitted on all rows has seen the test split: it would look
        # better than it is (0.975 against an honest 0.638), so the check
        # could neither catch a worse model nor let an honest one through.
        raise PromotionRefused(
            "the comparison is not on unseen rows: "
            + "; ".join(comparison["warnings"])
            + f" (or --force to promote without a fair check)\n{report}"
        )
    worse = agency["new_macro_f1"] < agency["old_macro_f1"]
    if worse and not force:
        raise PromotionRefused(
            f"{candidate.name} is worse on agency macro-F1 "
            f"({agency['new_macro_f1']:.3f} < {agency['old_macro_f1']:.3f}); "
            f"use --force to promote anyway\n{report}"
        )
    # Checked last, so that a refusal here means the version is otherwise fit to serve.
    pin_note = _pin_note(candidate, pinned_sha256, force)
    _point_at(candidate, models_root)
    return (
        f"{report}\npromoted {candidate.name}; restart the service (salur serve) to load it"
        + pin_note
    )


def _pin_note(candidate: Path, pinned_sha256: str | None, force: bool) -> str:
    """Refuse (unless ``force``) a version the deployment's pin would stop at the next start."""
    if not pinned_sha256:
        return ""
    metadata, digest = metadata_with_digest(candidate)
    pin = pinned_sha256.strip().lower()
    if pin in (digest, metadata.get("pipeline_sha256")):
        return ""
    message = (
        f"SALUR_MODEL_SHA256 pins another version, so the service would refuse to start on "
        f"{candidate.name}: set it to {digest} (the SHA-256 of its metadata.json)"
    )
    if not force:
        raise PromotionRefused(
            f"{message}. It passed every other check: run the same promote command with "
            f"SALUR_MODEL_SHA256={digest} in front, and set the same pin where the service "
            "reads its settings before it restarts"
        )
    return "\n" + message


def _point_at(candidate: Path, models_root: Path) -> None:
    """Write ``models_root/PROMOTED`` atomically: a service starting meanwhile reads old or new."""
    # Readable by a service running as another user.
    with replaced_on_success(models_root / PROMOTED_NAME, mode=0o644) as handle:
        handle.write(candidate.name + "\n")
