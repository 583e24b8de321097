"""Request and response bodies of the HTTP API (kept apart from model types)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

# An identifier or a name with control characters is a client bug, and
# PostgreSQL cannot store NUL at all: refused with a 422 rather than a 503 later.
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"

# Hard caps so that schema validation itself never handles absurd payloads;
# the configured (smaller) limits are checked with clear messages in the routes.
HARD_TEXT_CAP = 1_000_000


class ClassifyRequest(BaseModel):
    text: str = Field(
        max_length=HARD_TEXT_CAP, description="The complaint text as the citizen wrote it."
    )
    title: str | None = Field(default=None, max_length=HARD_TEXT_CAP)
    region: str | None = Field(
        default=None,
        max_length=64,
        description=(
            "Region code (GET /v1/regions); omitted means the generic table, whose "
            "complaints may come from any region and so all go to review (models that "
            "measured their regions, as the bundled one) unless its region file sets "
            "thresholds."
        ),
    )
    channel: str | None = Field(
        default=None,
        max_length=32,
        pattern=r"^[a-z0-9_-]+$",
        description='Intake channel: "web", "sms", "app", "email", ...',
    )
    external_id: str | None = Field(
        default=None,
        max_length=128,
        pattern=NO_CONTROL_CHARACTERS,
        description="The intake system's own id.",
    )

    @field_validator("channel", mode="before")
    @classmethod
    def fold_channel(cls, value: object) -> object:
        # Intake systems write "SMS" or "Web " as often as "sms": the same
        # channel, and one batch item written so should not fail the batch.
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("text", "title")
    @classmethod
    def drop_nul_characters(cls, value: str | None) -> str | None:
        # NUL carries nothing in a complaint, and PostgreSQL refuses to store
        # it: left in, a complaint bound for review could never be accepted.
        return value.replace("\x00", "") if value else value

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "kalo ado jalan rusak berlubang di depan sekolah, sudah 2 minggu idak diperbaiki",
                    "title": "Jalan rusak",
                    "region": "kota-surabaya",
                    "channel": "sms",
                    "external_id": "sms-000123",
                }
            ]
        },
    )


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Each item is validated on its own (parse_batch_item) so that one
    # malformed item, a number for a text or an unknown field, fails alone
    # instead of failing its batch; the schema still documents the item shape.
    items: list[Any] = Field(
        min_length=1,
        max_length=100_000,
        json_schema_extra={"items": {"$ref": "#/components/schemas/ClassifyRequest"}},
    )


def parse_batch_item(raw: Any) -> ClassifyRequest:
    """One batch item as a request; ``ValueError`` says what is wrong without echoing it."""
    try:
        return ClassifyRequest.model_validate(raw)
    except ValidationError as error:
        # Only where and what: pydantic's own message can carry the input.
        problems = [
            f"{'.'.join(str(part) for part in e['loc']) or 'item'}: {e['msg']}"
            for e in error.errors(include_input=False, include_url=False)
        ]
        raise ValueError("; ".join(problems)) from None


class Alternative(BaseModel):
    code: str
    name: str
    confidence: float


class HeadResult(BaseModel):
    code: str
    name: str
    confidence: float = Field(
        description=(
            "Probability that the code is right, calibrated for the request's region: for a "
            "region the model has no labelled complaints of (and a request naming none), "
            "as measured on training regions the model was fitted without."
        )
    )
    confident: bool = Field(description="Confidence reaches this head's threshold.")
    top: list[Alternative]


class AgencyResult(HeadResult):
    opd_name: str | None = Field(description="The region's own name for this OPD.")
    local_office: str | None = Field(
        default=None,
        description=(
            "For the local office (kewilayahan): the one kelurahan, desa or kecamatan of the "
            "region that the complaint names, which opd_name then is; null when it names "
            "none or several"
        ),
    )
    predicted_code: str = Field(description="The model's agency before region overrides.")
    override: str | None = None


class ReportTypeResult(HeadResult):
    deadline_working_days: int | None


class DecisionResult(BaseModel):
    outcome: str = Field(description="auto_route or needs_review")
    reasons: list[str]
    possible_emergency: bool = Field(
        description=(
            "darurat was likely enough to check, whatever urgency was chosen; one not "
            "called darurat goes to review and heads the queue"
        )
    )


class ClassifyResponse(BaseModel):
    request_id: str
    external_id: str | None
    model_version: str
    region: str
    channel: str | None
    agency: AgencyResult
    category: HeadResult
    urgency: HeadResult
    report_type: ReportTypeResult
    explanation: dict[str, list[str]] = Field(
        description="Per head, the words that pushed the model towards its answer."
    )
    decision: DecisionResult
    sp4n_deadline_working_days: int | None


class ItemError(BaseModel):
    status: int
    detail: str


class BatchItemResult(BaseModel):
    index: int
    ok: bool
    result: ClassifyResponse | None = None
    error: ItemError | None = None


class BatchResponse(BaseModel):
    request_id: str
    model_version: str
    count: int
    failed: int
    items: list[BatchItemResult]


class TaxonomyEntry(BaseModel):
    code: str
    name: str
    description: str = ""


class CategoryEntry(TaxonomyEntry):
    group: str


class ReportTypeEntry(TaxonomyEntry):
    deadline_working_days: int | None


class TaxonomyResponse(BaseModel):
    groups: list[str]
    categories: list[CategoryEntry]
    agencies: list[TaxonomyEntry]
    urgency: list[TaxonomyEntry]
    report_types: list[ReportTypeEntry]


class RegionSummary(BaseModel):
    code: str
    name: str
    kemendagri_code: str
    opd_count: int
    model_has_history: bool | None = Field(
        description=(
            "Whether the loaded model's training data held labelled complaints of this "
            "region. Without them its routing thresholds are 1.0 (every complaint to review) "
            "unless its region file sets them. Always false for the generic region "
            "(`default`, requests naming none), whose complaints may come from any region; "
            "null for a model that did not record its regions."
        )
    )


class RegionOpd(BaseModel):
    agency_code: str
    agency_name: str
    opd_name: str


class RegionDetail(RegionSummary):
    opds: list[RegionOpd]
    unmapped_agency_codes: list[str] = Field(
        description="Agency codes with no OPD here: predictions of these go to review."
    )
    category_overrides: dict[str, str]
    local_offices: list[str] = Field(
        description=(
            "Kelurahan, desa and kecamatan a complaint for the local office can name to be "
            "routed to that office (agency.local_office)"
        )
    )
    thresholds: dict[str, float] = Field(
        description="The thresholds this region routes with: its own over the service's."
    )
    heads_calibrated_as_unseen: list[str] = Field(
        description=(
            "Heads whose confidence here is calibrated as for a region the model never saw "
            "(the model has no labelled complaints of this region for them); a region file's "
            "thresholds for these heads compare with that confidence."
        )
    )


class ModelInfo(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    version: str
    trained_at: str | None
    trained_on: str | None
    heads: list[str]
    thresholds: dict[str, float]
    region_thresholds: dict[str, dict[str, float]] | None = Field(
        description=(
            "Routing thresholds the model measured on each training region's own "
            "complaints (before SALUR_THRESHOLDS and region files); a region not listed "
            "routes nothing automatically. Null for models from before per-region thresholds."
        )
    )
    metrics: dict[str, dict[str, float | None]]
    data_hash: str | None
    pipeline_sha256: str | None
    model_sha256: str | None = Field(
        default=None,
        description=(
            "SHA-256 of the version's metadata.json, which records the pipeline's hash: "
            "the value to pin with SALUR_MODEL_SHA256"
        ),
    )


class Health(BaseModel):
    status: str
    model_version: str | None = None
    detail: str | None = None


class ErrorResponse(BaseModel):
    detail: str | list[dict[str, object]]
    request_id: str | None = None


class AuditEntryOut(BaseModel):
    action: str
    admin: str
    via: str | None = Field(
        default=None,
        description=(
            "How the reviewer was authenticated: 'admin page' (signed-in admin) or "
            "'review API, key:<fingerprint>' (the name in `admin` is the intake system's word)."
        ),
    )
    at: datetime
    details: dict[str, object]


class ReviewItem(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    id: int
    request_id: str
    external_id: str | None
    region: str
    channel: str | None
    title_masked: str | None
    text_masked: str = Field(
        description="Complaint text with names, phone numbers, NIK and e-mail masked."
    )
    model_version: str
    predictions: dict[str, object]
    predicted: dict[str, str]
    final: dict[str, str | None]
    status: str
    decision_reasons: list[str]
    possible_emergency: bool = Field(
        description="The model's emergency alert was raised (the item heads the queue)."
    )
    deadline_working_days: int | None
    working_days_left: int | None
    created_at: datetime
    reviewed_at: datetime | None
    reviewed_by: str | None
    audit: list[AuditEntryOut] = Field(default_factory=list)


class ReviewQueue(BaseModel):
    items: list[ReviewItem]
    limit: int
    offset: int


class ReviewAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(pattern=r"^(accepted|corrected|bukan_wewenang)$")
    reviewer: str = Field(
        min_length=1,
        max_length=64,
        pattern=NO_CONTROL_CHARACTERS,
        description="Who decided, for the audit log.",
    )
    agency: str | None = Field(default=None, max_length=64)
    category: str | None = Field(default=None, max_length=64)
    urgency: str | None = Field(default=None, max_length=16)
    report_type: str | None = Field(default=None, max_length=64)
