"""Thin HTTP routes: parse, check limits, call the model, shape the answer."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST
from salur.model.classifier import HeadPrediction
from salur.model.regions import unknown_region
from salur.model.routing import RoutedPrediction, route_prediction
from salur.model.taxonomy import Taxonomy
from salur.model.text import compose_document, readable_word_count
from salur.service.auth import require_api_key
from salur.service.review import to_record
from salur.service.runtime import Reference, Runtime
from salur.service.schemas import (
    AgencyResult,
    Alternative,
    BatchItemResult,
    BatchRequest,
    BatchResponse,
    CategoryEntry,
    ClassifyRequest,
    ClassifyResponse,
    DecisionResult,
    ErrorResponse,
    HeadResult,
    Health,
    ItemError,
    ModelInfo,
    RegionDetail,
    RegionOpd,
    RegionSummary,
    ReportTypeEntry,
    ReportTypeResult,
    TaxonomyEntry,
    TaxonomyResponse,
    parse_batch_item,
)
from salur.service.storage import RequestIdConflict, StorageUnavailable

ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)
}

public = APIRouter()
api = APIRouter(prefix="/v1", dependencies=[Depends(require_api_key)], responses=ERRORS)
metrics_router = APIRouter(dependencies=[Depends(require_api_key)], responses=ERRORS)


def require_json_body(request: Request) -> None:
    """A body sent as a form or plain text is refused as such, not as a shapeless 422."""
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            f"send the body as JSON with Content-Type: application/json (got {media_type[:60]!r})",
        )


class InputProblem(Exception):
    """One complaint cannot be classified; becomes a 4xx (or a batch item error)."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime | None = request.app.state.runtime
    if runtime is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "model not loaded")
    return runtime


def reference_of(request: Request) -> Reference:
    """Taxonomy and regions; there even when the model failed to load."""
    reference: Reference | None = request.app.state.reference
    if reference is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "region files not loaded")
    return reference


def check_item(item: ClassifyRequest, request: Request, runtime: Runtime) -> str:
    """Validate one complaint against the configured limits; return its region code."""
    settings = request.app.state.settings
    if len(item.text) > settings.max_text_chars:
        raise InputProblem(
            413, f"text is {len(item.text)} characters; the limit is {settings.max_text_chars}"
        )
    if item.title and len(item.title) > settings.max_title_chars:
        raise InputProblem(
            413, f"title is {len(item.title)} characters; the limit is {settings.max_title_chars}"
        )
    if not item.text.strip():
        raise InputProblem(422, "text is empty")
    if readable_word_count(item.text) + readable_word_count(item.title or "") == 0:
        raise InputProblem(422, "text contains no readable words")
    region = item.region or "default"
    if region not in runtime.regions:
        raise InputProblem(422, unknown_region(region, runtime.regions))
    return region


def _head(
    head: str, value: HeadPrediction, taxonomy: Taxonomy, thresholds: dict[str, float]
) -> dict[str, object]:
    return {
        "code": value.code,
        "name": taxonomy.name(head, value.code),
        "confidence": round(value.probability, 4),
        "confident": value.probability >= thresholds.get(head, 1.0),
        "top": [
            Alternative(
                code=a.code, name=taxonomy.name(head, a.code), confidence=round(a.probability, 4)
            )
            for a in value.top
        ],
    }


def to_response(
    routed: RoutedPrediction,
    item: ClassifyRequest,
    region: str,
    request_id: str,
    runtime: Runtime,
) -> ClassifyResponse:
    heads = routed.prediction.heads
    taxonomy, thresholds = runtime.taxonomy, dict(routed.thresholds)
    agency = _head("agency", heads["agency"], taxonomy, thresholds)
    if routed.routing.override:
        # The region's rule chose the agency from the category, so the category's
        # confidence is the one that stands behind it (and gated the decision).
        agency.update(
            code=routed.routing.agency,
            name=taxonomy.name("agency", routed.routing.agency),
            confidence=round(routed.agency_confidence, 4),
            confident=routed.agency_confidence >= thresholds.get("agency", 1.0),
        )
    return ClassifyResponse(
        request_id=request_id,
        external_id=item.external_id,
        model_version=routed.prediction.model_version,
        region=region,
        channel=item.channel,
        agency=AgencyResult(
            **agency,
            opd_name=routed.routing.opd_name,
            local_office=routed.routing.local_office,
            predicted_code=routed.routing.predicted_agency,
            override=routed.routing.override,
        ),
        category=HeadResult(**_head("category", heads["category"], taxonomy, thresholds)),
        urgency=HeadResult(**_head("urgency", heads["urgency"], taxonomy, thresholds)),
        report_type=ReportTypeResult(
            **_head("report_type", heads["report_type"], taxonomy, thresholds),
            deadline_working_days=routed.deadline_working_days,
        ),
        explanation={head: list(value.terms) for head, value in heads.items()},
        decision=DecisionResult(
            outcome=routed.decision.outcome,
            reasons=list(routed.decision.reasons),
            possible_emergency=routed.decision.possible_emergency,
        ),
        sp4n_deadline_working_days=routed.deadline_working_days,
    )


def classify_items(
    items: list[ClassifyRequest],
    regions: list[str],
    item_ids: list[str],
    request: Request,
    runtime: Runtime,
) -> list[ClassifyResponse]:
    documents = [compose_document(item.title, item.text) for item in items]
    predictions = runtime.classifier.predict_composed(documents, regions=regions)
    metrics = request.app.state.metrics
    responses = []
    for item, region, item_id, prediction, document in zip(
        items, regions, item_ids, predictions, documents, strict=True
    ):
        routed = route_prediction(
            prediction,
            runtime.regions[region],
            runtime.thresholds_for(region),
            runtime.taxonomy,
            document,
        )
        responses.append(to_response(routed, item, region, item_id, runtime))
        metrics.decisions.labels("routing", routed.decision.outcome).inc()
        for head in prediction.heads:
            confident = head in routed.decision.confident_heads
            metrics.decisions.labels(head, "confident" if confident else "uncertain").inc()
    request.state.log_fields = {
        "region": regions[0] if len(set(regions)) == 1 else "mixed",
        "decisions": ",".join(r.decision.outcome for r in responses[:5]),
        "items": len(items),
    }
    return responses


def store_answers(
    items: list[ClassifyRequest], responses: list[ClassifyResponse], request: Request
) -> None:
    """Write review records before answering; a failed write fails the request.

    An intake system that gets a 503 keeps the complaint and retries, so a
    complaint that needs review is never answered and then lost.
    """
    settings = request.app.state.settings
    records = [
        to_record(item, answer, request.app.state.content_key)
        for item, answer in zip(items, responses, strict=True)
        if settings.store_all or answer.decision.outcome == "needs_review"
    ]
    if not records:
        return
    try:
        request.app.state.store.save_complaints(records)
    except RequestIdConflict as error:
        # Retrying cannot help: the id belongs to another complaint. The client
        # still holds this one and can send it again under a new id.
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"X-Request-ID already used for a different complaint ({error}); "
            "the complaint was not accepted, send it again with a new X-Request-ID or none",
        ) from error
    except StorageUnavailable as error:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            f"review queue unavailable ({error}); the complaint was not accepted, retry later",
            {"Retry-After": "5"},
        ) from error


@api.post(
    "/classify",
    response_model=ClassifyResponse,
    summary="Classify and route one complaint",
    dependencies=[Depends(require_json_body)],
)
async def classify(item: ClassifyRequest, request: Request) -> ClassifyResponse:
    # A worker thread, not the event loop: a long complaint of unseen words
    # costs Sastrawi up to a second, and /healthz must still answer meanwhile.
    return await run_in_threadpool(classify_and_store, item, request)


def classify_and_store(item: ClassifyRequest, request: Request) -> ClassifyResponse:
    runtime = runtime_of(request)
    try:
        region = check_item(item, request, runtime)
    except InputProblem as problem:
        raise HTTPException(problem.status_code, problem.detail) from None
    responses = classify_items([item], [region], [request.state.request_id], request, runtime)
    store_answers([item], responses, request)
    return responses[0]


@api.post(
    "/classify/batch",
    response_model=BatchResponse,
    summary="Classify up to max_batch_items complaints; bad items fail alone",
    dependencies=[Depends(require_json_body)],
)
def classify_batch(batch: BatchRequest, request: Request) -> BatchResponse:
    runtime = runtime_of(request)
    settings = request.app.state.settings
    if len(batch.items) > settings.max_batch_items:
        raise HTTPException(
            413, f"batch has {len(batch.items)} items; the limit is {settings.max_batch_items}"
        )
    results: list[BatchItemResult | None] = [None] * len(batch.items)
    good: list[tuple[int, ClassifyRequest, str]] = []
    for index, raw in enumerate(batch.items):
        try:
            try:
                item = parse_batch_item(raw)
            except ValueError as error:
                raise InputProblem(422, str(error)) from None
            good.append((index, item, check_item(item, request, runtime)))
        except InputProblem as problem:
            results[index] = BatchItemResult(
                index=index,
                ok=False,
                error=ItemError(status=problem.status_code, detail=problem.detail),
            )
    if good:
        chosen = [g[1] for g in good]
        # An item's id is its place in the batch, so a retry of the batch with
        # a bad item fixed gives every item the id it had before.
        item_ids = [f"{request.state.request_id}-{g[0]}" for g in good]
        answers = classify_items(chosen, [g[2] for g in good], item_ids, request, runtime)
        store_answers(chosen, answers, request)
        for (index, _, _), answer in zip(good, answers, strict=True):
            results[index] = BatchItemResult(index=index, ok=True, result=answer)
    items = [r for r in results if r is not None]
    return BatchResponse(
        request_id=request.state.request_id,
        model_version=runtime.classifier.version,
        count=len(items),
        failed=sum(1 for r in items if not r.ok),
        items=items,
    )


@api.get("/taxonomy", response_model=TaxonomyResponse, summary="Label codes the API answers with")
def taxonomy(request: Request) -> TaxonomyResponse:
    tax = runtime_of(request).taxonomy
    return TaxonomyResponse(
        groups=list(tax.groups),
        categories=[
            CategoryEntry(code=c.code, name=c.name, group=c.group, description=c.description)
            for c in tax.categories.values()
        ],
        agencies=[
            TaxonomyEntry(code=a.code, name=a.name, description=a.description)
            for a in tax.agencies.values()
        ],
        urgency=[
            TaxonomyEntry(code=u.code, name=u.name, description=u.description)
            for u in tax.urgency.values()
        ],
        report_types=[
            ReportTypeEntry(
                code=r.code,
                name=r.name,
                description=r.description,
                deadline_working_days=r.deadline_working_days,
            )
            for r in tax.report_types.values()
        ],
    )


@api.get("/regions", response_model=list[RegionSummary], summary="Known regions")
def regions(request: Request) -> list[RegionSummary]:
    runtime = runtime_of(request)
    return [
        RegionSummary(
            code=r.code,
            name=r.name,
            kemendagri_code=r.kemendagri_code,
            opd_count=len(r.opds),
            model_has_history=runtime.has_history(r.code),
        )
        for r in runtime.regions.values()
    ]


@api.get("/regions/{code}", response_model=RegionDetail, summary="A region's OPDs and code mapping")
def region_detail(code: str, request: Request) -> RegionDetail:
    runtime = runtime_of(request)
    known = runtime.regions
    region = known.get(code)
    if region is None:
        raise HTTPException(404, unknown_region(code, known))
    tax = runtime.taxonomy
    return RegionDetail(
        code=region.code,
        name=region.name,
        kemendagri_code=region.kemendagri_code,
        opd_count=len(region.opds),
        opds=[
            RegionOpd(agency_code=c, agency_name=tax.name("agency", c), opd_name=n)
            for c, n in region.opds.items()
        ],
        unmapped_agency_codes=sorted(set(tax.agencies) - set(region.opds)),
        category_overrides=region.category_overrides,
        local_offices=list(region.local_offices),
        thresholds=region.thresholds_over(runtime.thresholds_for(region.code)),
        model_has_history=runtime.has_history(region.code),
        heads_calibrated_as_unseen=list(runtime.classifier.heads_calibrated_as_unseen(region.code)),
    )


@api.get("/model", response_model=ModelInfo, summary="The loaded model version and its figures")
def model_info(request: Request) -> ModelInfo:
    runtime = runtime_of(request)
    meta = runtime.classifier.metadata
    metrics = meta.get("metrics", {})
    summary = {
        head: {
            "accuracy": float(m["accuracy"]),
            "macro_f1": float(m["macro_f1"]),
            "auto_route_coverage": float(m["auto_route"]["coverage"]),
            "auto_route_precision": (
                None
                if m["auto_route"]["precision"] is None
                else float(m["auto_route"]["precision"])
            ),
            "support": float(m["support"]),
        }
        for head, m in metrics.items()
        if isinstance(m, dict) and m.get("support")
    }
    return ModelInfo(
        version=runtime.classifier.version,
        trained_at=meta.get("trained_at"),
        trained_on=meta.get("trained_on"),
        heads=list(runtime.classifier.heads),
        thresholds=runtime.thresholds,
        region_thresholds=runtime.classifier.region_thresholds,
        metrics=summary,
        data_hash=meta.get("data_hash"),
        pipeline_sha256=meta.get("pipeline_sha256"),
        model_sha256=runtime.model_sha256,
    )


@public.get("/healthz", response_model=Health, summary="Liveness")
def healthz() -> Health:
    return Health(status="ok")


@public.get(
    "/readyz",
    response_model=Health,
    responses={503: {"model": Health}},
    summary="Readiness: 200 once the model is loaded",
)
def readyz(request: Request, response: Response) -> Health:
    runtime: Runtime | None = request.app.state.runtime
    if runtime is None:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return Health(status="not ready", detail=request.app.state.load_error or "loading")
    return Health(status="ready", model_version=runtime.classifier.version)


# HEAD as well, outside the API schema: load balancers often probe with it.
@public.head("/healthz", include_in_schema=False)
def healthz_head() -> Response:
    return Response()


@public.head("/readyz", include_in_schema=False)
def readyz_head(request: Request) -> Response:
    ready = request.app.state.runtime is not None
    return Response(
        status_code=status.HTTP_200_OK if ready else status.HTTP_503_SERVICE_UNAVAILABLE
    )


@metrics_router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def prometheus_metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
