"""Turning answers into stored review records, and reviewed records into training rows."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from salur.model.decision import EMERGENCY
from salur.model.files import replaced_on_success
from salur.model.pii import mask_pii_fields
from salur.model.pipeline import CORRECTION_COLUMNS
from salur.model.routing import ROUTING_HEADS
from salur.service.schemas import ClassifyRequest, ClassifyResponse
from salur.service.security import content_digest
from salur.service.storage import (
    AUTO_ROUTED,
    CORRECTED,
    HEADS,
    NOT_AUTHORITY,
    PENDING,
    URGENCY_ORDER,
    ComplaintRecord,
    Store,
    now,
)

EXPORT_COLUMNS = list(CORRECTION_COLUMNS)


def to_record(
    item: ClassifyRequest, answer: ClassifyResponse, content_key: bytes
) -> ComplaintRecord:
    """The record stored for review: masked text, the answer, and a keyed digest of
    what was sent, so that a reused request id is told from a retry."""
    needs_review = answer.decision.outcome == "needs_review"
    # Read together, so a name introduced in one is masked in the other too.
    title_masked, text_masked = mask_pii_fields(item.title or None, item.text)
    heads = {
        head: getattr(answer, head).model_dump(include={"code", "confidence", "top"})
        for head in HEADS
    }
    return ComplaintRecord(
        request_id=answer.request_id,
        external_id=item.external_id,
        region=answer.region,
        channel=item.channel,
        title_masked=title_masked or None,
        text_masked=text_masked or "",
        content_digest=content_digest(
            content_key, item.title, item.text, answer.region, item.external_id, item.channel
        ),
        model_version=answer.model_version,
        predictions={"heads": heads, "explanation": answer.explanation},
        agency=answer.agency.code,
        agency_confidence=answer.agency.confidence,
        opd_name=answer.agency.opd_name,
        category=answer.category.code,
        urgency=answer.urgency.code,
        # A possible emergency heads the queue with the darurat ones, whatever
        # urgency the model chose: that choice is what the admin should check.
        urgency_rank=(
            URGENCY_ORDER[EMERGENCY]
            if answer.decision.possible_emergency
            else URGENCY_ORDER.get(answer.urgency.code, 9)
        ),
        possible_emergency=answer.decision.possible_emergency,
        report_type=answer.report_type.code,
        deadline_working_days=answer.sp4n_deadline_working_days,
        decision=answer.decision.outcome,
        decision_reasons=answer.decision.reasons,
        status=PENDING if needs_review else AUTO_ROUTED,
        created_at=now(),
    )


def reviewed_labels(record: ComplaintRecord, all_heads: bool = False) -> dict[str, str]:
    """The labels a reviewed item teaches, per head ("" where it teaches nothing).

    Reviewing means deciding where a complaint goes, so the routing heads
    (agency, category) count once an admin accepted or corrected them. An
    urgency or report type left as the model said is the model's own answer,
    not a reviewed label: trained on, it would only teach the model itself, and
    on the test split it would score the model against its own echo. Those
    heads count only where an admin changed them, unless ``all_heads`` says
    the desk reviews them too.
    """
    labels = {}
    for head in HEADS:
        final = getattr(record, f"final_{head}") or ""
        changed = record.status == CORRECTED and final != getattr(record, head)
        labels[head] = final if head in ROUTING_HEADS or changed or all_heads else ""
    return labels


def export_corrections(
    store: Store,
    output: Path,
    all_heads: bool = False,
    since: datetime | None = None,
    before: datetime | None = None,
) -> int:
    """Reviewed items as training rows (same columns as ``load_labelled``).

    Items marked "bukan wewenang" carry no label to learn and are left out;
    which heads of the others count is :func:`reviewed_labels`'s rule. The
    file is written to a temporary name and renamed, so a full disk leaves no
    half-written export behind.
    """
    rows = []
    for record in store.reviewed(since, before):
        if record.status == NOT_AUTHORITY:
            continue
        rows.append(
            {
                "source": "corrections",
                "source_id": record.request_id,
                "uid": f"corrections:{record.request_id}",
                "region": record.region,
                "title": record.title_masked or "",
                "text": record.text_masked,
                "submitted_at": record.created_at.isoformat(),
                "channel": record.channel or "",
                **reviewed_labels(record, all_heads),
            }
        )
    output.parent.mkdir(parents=True, exist_ok=True)
    # Complaint texts, masked by patterns that miss some names: a new export is
    # private to its owner (an existing one keeps the mode it was given).
    with replaced_on_success(output, mode=None if output.exists() else 0o600) as handle:
        writer = csv.DictWriter(handle, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)
