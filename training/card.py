"""The model card written into every version folder."""

from __future__ import annotations

from typing import Any

from salur.training.evaluate import shown_precision


def model_card(meta: dict[str, Any]) -> str:
    metrics = meta["metrics"]
    rows = []
    for head in meta["heads"]:
        m = metrics.get(head, {})
        if not m.get("support"):
            continue
        rows.append(
            f"| {head} | {m['support']} | {m['accuracy']:.3f} | {m['macro_f1']:.3f} | "
            f"{m['expected_calibration_error']:.3f} | "
            f"{meta['thresholds'][head]:.3f} | {m['auto_route']['coverage']:.1%} | "
            f"{shown_precision(m['auto_route']['precision'])} |"
        )
    urgency_form = (
        "ordinal: calibrated classifiers for rendah < sedang < tinggi < darurat cut by cut"
        if meta["pipeline_params"].get("ordinal_urgency", True)
        else "one-vs-rest"
    )
    urgency_sentence = f" The urgency head is {urgency_form}." if "urgency" in meta["heads"] else ""
    alert = meta.get("emergency_alert")
    held = metrics.get("emergency_alert") or {}
    emergency_sentence = (
        f" A complaint whose `darurat` probability reaches {alert['probability']:.2f} (the level "
        f"that still flagged {alert['out_of_fold_recall']:.0%} of the "
        f"{alert['gold_emergencies']} out-of-fold gold emergencies) but was given a lower "
        "urgency goes to review as a possible emergency"
        + (
            f"; on the held-out rows the alert or the darurat label caught "
            f"{held['called_or_alerted']} of {held['gold_emergencies']} gold emergencies "
            f"({held['called_darurat']} by the label alone) and held "
            f"{held['held_for_review_share']:.1%} of complaints for review."
            if held.get("gold_emergencies")
            else "."
        )
        if alert
        else ""
    )
    dropped = {h: c for h, c in meta["dropped_classes"].items() if c}
    region_rows = []
    for region, thresholds in sorted((meta.get("region_thresholds") or {}).items()):
        by_region = {
            head: metrics.get(head, {}).get("auto_route_by_region", {}).get(region)
            for head in ("agency", "category")
        }
        cells = [
            f"{thresholds[head]:.3f} ({_routed(by_region[head])})"
            if head in thresholds
            else "no labelled rows"
            for head in ("agency", "category")
        ]
        region_rows.append(f"| {region} | " + " | ".join(cells) + " |")
    per_region = (
        "\n## Routing thresholds per region\n"
        "Chosen for the routing heads on each training region's own out-of-fold\n"
        "predictions with the same rule; 1.000 means no threshold reached the target\n"
        "there, so that head routes nothing automatically, and so does a head or a\n"
        "region not listed (no labelled rows here): the service sends those\n"
        "complaints to review unless the region file sets `thresholds`. In brackets:\n"
        "held-out share auto-routed and its precision. The auto-routed figures of\n"
        "agency and category above route each test row with these thresholds; the\n"
        "threshold column above is the pooled one over the training regions; requests\n"
        "naming no region route nothing automatically (they may come from any region).\n"
        "Region files' category overrides are not applied in these figures.\n\n"
        "| region | agency | category |\n|---|---|---|\n" + "\n".join(region_rows) + "\n"
        if region_rows
        else ""
    )
    corrections = meta.get("corrections")
    corrections_sentence = (
        f"\nPlus {corrections['rows']} admin-reviewed complaints from "
        f"`{corrections.get('folder', 'datasets/corrections')}` "
        f"({', '.join(corrections['files'])}), exported by "
        "`salur export-corrections`; they are split with the rest, so some are test rows."
        if corrections
        else ""
    )
    unseen_rows = meta.get("unseen_region_calibration_rows") or {}
    unseen_sentence = (
        "For complaints of such a region, and those naming none, confidence is "
        "mapped as measured on each training region predicted by a model fitted "
        "without it: "
        + "; ".join(
            f"{head} on " + ", ".join(f"{region} ({n:,} rows)" for region, n in rows.items())
            for head, rows in unseen_rows.items()
        )
        + "."
        if unseen_rows
        else "This model has no separate map for such regions."
    )
    return f"""# Model card: {meta["version"]}

Trained {meta["trained_at"]} on {meta["data_rows"]} deduplicated complaints
(data hash `{meta["data_hash"][:16]}…`, fitted on: {meta["trained_on"]}).

## What it does
Reads an Indonesian public-service complaint (title + text) and predicts the
responsible OPD kind (`agency`), the complaint `category`, the `urgency` and the
SP4N-LAPOR! `report_type`, each with a calibrated probability: on held-out
complaints like the training data, a confidence of 0.8 is right about 80% of the
time (expected calibration error below). A complaint is
auto-routed only when the agency probability reaches the threshold chosen on
out-of-fold predictions of the training rows for a target precision of
{meta["target_precision"].get("agency", 0.95):.2f}; otherwise it goes to admin review.
Threshold rule: {meta["split"].get("threshold_rule", "not recorded")}.{urgency_sentence}{emergency_sentence}

## Data
Kota Surabaya Media Center 2023, Kab. Bandung SP4N-LAPOR! 2021–2023, LaporGub
Jawa Tengah 2024–2025 (stemmed tokens only), Kab. Purbalingga Matur Bupati;
raw labels mapped to taxonomy codes by the reviewed tables in
`datasets/mappings`; urgency from the hand-labelled gold set
`datasets/annotations/urgency_gold.csv`. See `datasets/DATA_CARD.md`.{corrections_sentence}

## Held-out figures (random split; model fitted on the train split only)
| head | n | accuracy | macro-F1 | calibration error | threshold | auto-routed | auto precision |
|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}
{per_region}
## Limits
- Agency labels are where each complaint was *sent*, not always the duty
  holder: complaints sent to a kelurahan or kecamatan office (`kewilayahan`)
  cover every subject and are the main source of agency errors.
- Two regions provide agency labels (Surabaya, Bandung); a new region's OPD
  names come from its routing table, but its vocabulary may differ.
- Urgency is learned from {meta["label_counts"]["urgency"] and sum(meta["label_counts"]["urgency"].values())} hand-labelled complaints; `darurat` is rare.
- `report_type` is learned from Kab. Bandung only and is dominated by
  "Pengaduan Berkadar Pengawasan".
- Confidences are calibrated on complaints like the training data. On a region
  the model has not seen that map makes them run high (trained without Kab.
  Bandung, its agency confidence of 0.9 was right about 70% of the time),
  which is why a region without history routes nothing automatically by
  default. {unseen_sentence}
- Classes with too few rows to learn were left out: {dropped or "none"}.
"""


def _routed(figures: dict[str, Any] | None) -> str:
    if not figures or not figures.get("support"):
        return "no held-out rows"
    if not figures.get("n"):
        return "none auto-routed"
    return f"{figures['coverage']:.0%} at {figures['precision']:.2f}"
