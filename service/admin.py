"""The admin web page (server-rendered) and the review JSON API."""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi import Path as FastAPIPath
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from salur.model.routing import GENERIC_REGION, why_agency_routes_nothing
from salur.service.auth import require_api_key
from salur.service.indonesian import indonesian_error, indonesian_reason
from salur.service.ratelimit import LoginThrottle
from salur.service.routes import ERRORS, reference_of, require_json_body
from salur.service.runtime import Runtime
from salur.service.schemas import (
    AuditEntryOut,
    ReviewAction,
    ReviewItem,
    ReviewQueue,
)
from salur.service.security import csrf_valid, new_csrf_token, verify_password
from salur.service.storage import (
    AUTO_ROUTED,
    HEADS,
    KEEP_DEADLINE,
    NOT_AUTHORITY,
    PENDING,
    REVIEWABLE,
    REVIEWED,
    AlreadyReviewed,
    ComplaintRecord,
    QueueFilter,
    StorageUnavailable,
    Store,
)
from salur.service.workdays import working_days_left

# Database ids are 32-bit on PostgreSQL; anything outside is a 422, not an overflow.
ItemId = Annotated[int, FastAPIPath(ge=1, le=2**31 - 1)]

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# Indonesia's three zones by their usual names; elsewhere the zone's own abbreviation.
ZONE_NAMES = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


def local_time(moment: datetime, timezone: str, seconds: bool = False) -> str:
    """A stored UTC time as the desk reads it: "2026-11-24 21:05 WIB"."""
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    shown = local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{shown} {ZONE_NAMES.get(timezone) or local.tzname() or timezone}"


templates.env.filters["local_time"] = local_time
templates.env.filters["indonesian_reason"] = indonesian_reason
pages = APIRouter(prefix="/admin", include_in_schema=False)
review_api = APIRouter(
    prefix="/v1/review", dependencies=[Depends(require_api_key)], tags=["review"], responses=ERRORS
)


def store_of(request: Request) -> Store:
    store: Store | None = request.app.state.store
    if store is None:
        raise HTTPException(503, "review database not configured")
    return store


def days_left(
    record: ComplaintRecord, timezone: str = "Asia/Jakarta", today: datetime | None = None
) -> int | None:
    """Working days to the SP4N deadline, counted on the desk's calendar.

    A complaint received at 23:30 WIB on Monday arrived on Monday there, though
    it is still Monday 16:30 in UTC; after 17:00 UTC the two calendars differ.
    """
    if record.deadline_working_days is None:
        return None
    zone = ZoneInfo(timezone)
    received = record.created_at.astimezone(zone).date()
    return working_days_left(
        received, record.deadline_working_days, (today or datetime.now(UTC)).astimezone(zone).date()
    )


def desk_timezone(request: Request, region_code: str) -> str:
    """The region file's time zone, else the deployment's (SALUR_TIMEZONE)."""
    region = reference_of(request).regions.get(region_code)
    return (region.timezone if region else None) or str(request.app.state.settings.timezone)


QUEUE_KEYS = ("region", "agency", "category", "urgency", "channel", "status", "page")


def queue_query(raw: str | None) -> str:
    """The queue's filters and page from an untrusted query string, re-encoded.

    Only the queue's own keys survive, so a "back to the queue" link built from
    it can lead nowhere but the queue.
    """
    kept = [
        (key, value)
        for key, value in parse_qsl(raw or "", keep_blank_values=True)[:20]
        if key in QUEUE_KEYS and len(value) <= 64
    ]
    return urlencode(kept)


def choices(request: Request, region_code: str) -> dict[str, list[str]]:
    reference = reference_of(request)
    region = reference.regions.get(region_code)
    agencies = list(region.opds) if region else list(reference.taxonomy.agencies)
    return {
        "agency": agencies,
        "category": list(reference.taxonomy.categories),
        "urgency": list(reference.taxonomy.urgency),
        "report_type": list(reference.taxonomy.report_types),
    }


def validate_changes(
    request: Request, record: ComplaintRecord, changes: dict[str, str | None]
) -> dict[str, str]:
    allowed = choices(request, record.region)
    clean = {}
    for head, value in changes.items():
        if not value:
            continue
        if value not in allowed[head]:
            raise HTTPException(
                422,
                f"{value!r} is not a valid {head} here; choose one of: {', '.join(allowed[head])}",
            )
        clean[head] = value
    return clean


def refuse_agency_without_opd(request: Request, record: ComplaintRecord, agency: str) -> None:
    """A reviewed complaint must end at an OPD its region has.

    The model may answer an agency the region has no office for (a city has
    no village-empowerment office); accepting that, or correcting another
    head and keeping it, would send the complaint nowhere.
    """
    allowed = choices(request, record.region)["agency"]
    if agency not in allowed:
        raise HTTPException(
            422,
            f"region {record.region} has no OPD for agency {agency!r}: "
            "choose the responsible OPD and save it as a correction",
        )


def queue_filter(
    region: str | None = Query(default=None, max_length=64),
    agency: str | None = Query(default=None, max_length=64),
    category: str | None = Query(default=None, max_length=64),
    urgency: str | None = Query(default=None, max_length=16),
    channel: str | None = Query(default=None, max_length=32),
    status: str = Query(default=PENDING, max_length=16),
) -> QueueFilter:
    """The queue filters, shared by the admin page and the review API (empty = any)."""
    return QueueFilter(
        region or None,
        agency or None,
        category or None,
        urgency or None,
        channel or None,
        status or None,
    )


# -- the admin web page ------------------------------------------------------------------

QUEUE_PAGE_SIZE = 100


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = new_csrf_token()
        request.session["csrf"] = token
    return str(token)


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    context = {"admin": request.session.get("admin"), "csrf_token": csrf_token(request), **context}
    return templates.TemplateResponse(request, name, context, status_code=status_code)


ERROR_HEADINGS = {
    403: "Formulir kedaluwarsa",
    404: "Tidak ditemukan",
    409: "Aduan ini sudah ditinjau",
    422: "Tindakan tidak dapat disimpan",
    503: "Basis data peninjauan tidak tersedia",
}
ITEM_PATH = re.compile(r"^/admin/items/(\d{1,10})(?:/|$)")


def is_admin_page(path: str) -> bool:
    return (path == "/admin" or path.startswith("/admin/")) and not path.startswith(
        "/admin/static/"
    )


def error_page(request: Request, status_code: int, detail: str) -> HTMLResponse:
    """An error an admin meets in the browser, as a page with a way back, not JSON."""
    item = ITEM_PATH.match(request.url.path)
    back, back_label = (
        (f"/admin/items/{item.group(1)}", "Kembali ke aduan")
        # Only a failed action returns to its item; a page that failed to load
        # (a bad or unknown id) would just fail again.
        if item and status_code != 404 and request.method == "POST"
        else ("/admin", "Kembali ke antrean")
    )
    return render(
        request,
        "error.html",
        {
            "heading": "Permintaan tidak valid"
            if status_code == 422 and request.method == "GET"
            else ERROR_HEADINGS.get(status_code, "Permintaan tidak dapat diproses"),
            "detail": shown_in_indonesian(detail),
            "back": back,
            "back_label": back_label,
        },
        status_code=status_code,
    )


def shown_in_indonesian(detail: str) -> str:
    """One message, or validation messages joined by "; ", as the page shows them."""
    whole = indonesian_error(detail)
    if whole != detail:
        return whole
    return "; ".join(indonesian_error(part) for part in detail.split("; "))


def check_csrf(request: Request, presented: str | None) -> None:
    if not csrf_valid(request.session.get("csrf"), presented):
        raise HTTPException(403, "invalid or missing CSRF token; reload the page and try again")


def signed_in(request: Request) -> str | None:
    """The admin of this browser session, if the server still holds the session.

    The cookie is signed, so it cannot be forged, but a copy would stay valid
    until it expires; checking the server's session table makes logging out
    (and a new password) end it.
    """
    admin, token = request.session.get("admin"), request.session.get("sid")
    if not admin or not token:
        return None
    return str(admin) if store_of(request).admin_of_session(str(token)) == admin else None


@pages.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    next_page: str = Query(alias="next", default="/admin", max_length=64),
    expired: bool = False,
) -> Response:
    notice = (
        "Sesi Anda telah berakhir; tindakan terakhir belum disimpan. Masuk lagi untuk melanjutkan."
        if expired
        else None
    )
    return render(request, "login.html", {"error": notice, "next": safe_next(next_page)})


@pages.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: str = Form(max_length=64),
    password: str = Form(max_length=256),
    csrf_token_field: str = Form(alias="csrf_token", default=""),
    next_page: str = Form(alias="next", default="/admin", max_length=64),
) -> Response:
    check_csrf(request, csrf_token_field)
    throttle: LoginThrottle = request.app.state.login_throttle
    client = request.client.host if request.client else ""
    wait = throttle.wait_seconds(username, client)
    if wait:
        error = (
            f"Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam {-(-wait // 60)} menit."
        )
        page = render(request, "login.html", {"error": error, "next": next_page}, 429)
        page.headers["Retry-After"] = str(wait)
        return page
    stored = store_of(request).admin_hash(username)
    if not verify_password(stored, password):
        throttle.failed(username, client)
        error = "Nama pengguna atau kata sandi salah."
        return render(request, "login.html", {"error": error, "next": next_page}, 401)
    request.session.clear()
    request.session["admin"] = username
    request.session["sid"] = store_of(request).open_admin_session(username)
    request.session["csrf"] = new_csrf_token()
    return RedirectResponse(safe_next(next_page), status_code=303)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: an admin page of this site, never elsewhere."""
    if target and re.fullmatch(r"/admin(?:/items/\d{1,10})?", target):
        return target
    return "/admin"


def sign_in_again(request: Request, back_to: str) -> RedirectResponse:
    """To the login page, saying why, and back to ``back_to`` afterwards."""
    query = urlencode({"next": back_to, "expired": "1"})
    return RedirectResponse(f"/admin/login?{query}", status_code=303)


@pages.post("/logout")
def logout(
    request: Request, csrf_token_field: str = Form(alias="csrf_token", default="")
) -> Response:
    check_csrf(request, csrf_token_field)
    token = request.session.get("sid")
    if token:
        store_of(request).close_admin_session(str(token))
    request.session.clear()
    return RedirectResponse("/admin/login", status_code=303)


@pages.get("", response_class=HTMLResponse)
def queue_page(
    request: Request,
    flt: QueueFilter = Depends(queue_filter),
    page: int = Query(default=1, ge=1, le=100_000),
) -> Response:
    if not signed_in(request):
        return RedirectResponse("/admin/login", status_code=303)
    reference = reference_of(request)
    store = store_of(request)
    selected = asdict(flt)
    total = store.count(flt)
    pages_total = max(1, -(-total // QUEUE_PAGE_SIZE))
    items = store.queue(flt, limit=QUEUE_PAGE_SIZE, offset=(page - 1) * QUEUE_PAGE_SIZE)
    # Page links keep the filters; an empty value means "semua".
    keep = {name: value or "" for name, value in selected.items()}
    zones = {item.id: desk_timezone(request, item.region) for item in items}
    filters = [
        ("region", "Wilayah", sorted(reference.regions)),
        ("agency", "OPD", list(reference.taxonomy.agencies)),
        ("category", "Kategori", list(reference.taxonomy.categories)),
        ("urgency", "Urgensi", list(reference.taxonomy.urgency)),
        ("channel", "Kanal", ["web", "sms", "app", "email"]),
        ("status", "Status", [PENDING, AUTO_ROUTED, *REVIEWED]),
    ]
    return render(
        request,
        "queue.html",
        {
            "items": items,
            "total": total,
            "page": page,
            "pages_total": pages_total,
            "previous_page": urlencode({**keep, "page": page - 1}) if page > 1 else None,
            "next_page": urlencode({**keep, "page": page + 1}) if page < pages_total else None,
            "last_page": urlencode({**keep, "page": pages_total}) if page > pages_total else None,
            "here": urlencode({**keep, "page": page}),
            "filters": filters,
            "selected": selected,
            "days_left": {item.id: days_left(item, zones[item.id]) for item in items},
            "zones": zones,
        },
    )


@pages.get("/items/{item_id}", response_class=HTMLResponse)
def item_page(
    request: Request,
    item_id: ItemId,
    from_queue: str | None = Query(default=None, alias="from", max_length=1000),
) -> Response:
    if not signed_in(request):
        next_page = urlencode({"next": f"/admin/items/{item_id}"})
        return RedirectResponse(f"/admin/login?{next_page}", status_code=303)
    store = store_of(request)
    item = store.get(item_id)
    if item is None:
        raise HTTPException(404, f"no complaint {item_id}")
    region = reference_of(request).regions.get(item.region)
    timezone = desk_timezone(request, item.region)
    return render(
        request,
        "item.html",
        {
            "item": item,
            "heads": HEADS,
            "choices": choices(request, item.region),
            "opds": region.opds if region else {},
            "audit": store.audit(item_id),
            "days_left": days_left(item, timezone),
            "timezone": timezone,
            "from_queue": queue_query(from_queue),
        },
    )


@pages.post("/items/{item_id}/review")
def review_form(
    request: Request,
    item_id: ItemId,
    action: str = Form(default="", max_length=32),
    agency: str | None = Form(default=None, max_length=64),
    category: str | None = Form(default=None, max_length=64),
    urgency: str | None = Form(default=None, max_length=16),
    report_type: str | None = Form(default=None, max_length=64),
    csrf_token_field: str = Form(alias="csrf_token", default=""),
    from_queue: str = Form(alias="from", default="", max_length=1000),
) -> Response:
    admin = signed_in(request)
    if not admin:
        # The decision is not saved: say so, and come back to the item after signing in.
        return sign_in_again(request, f"/admin/items/{item_id}")
    check_csrf(request, csrf_token_field)
    apply_review(
        request,
        item_id,
        admin,
        action,
        {"agency": agency, "category": category, "urgency": urgency, "report_type": report_type},
        via="admin page",
    )
    back = queue_query(from_queue)
    suffix = "?" + urlencode({"from": back}) if back else ""
    return RedirectResponse(f"/admin/items/{item_id}{suffix}", status_code=303)


@pages.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request) -> Response:
    if not signed_in(request):
        return RedirectResponse("/admin/login", status_code=303)
    stats = store_of(request).dashboard()
    runtime = request.app.state.runtime
    return render(
        request,
        "dashboard.html",
        {
            "stats": stats,
            "corrections": stats["corrections"],
            "store_all": request.app.state.settings.store_all,
            # Without a model nothing is routed at all; the banner says why.
            "review_only": review_only_regions(runtime) if runtime else [],
            "model_error": None if runtime else request.app.state.load_error,
        },
    )


def review_only_regions(runtime: Runtime) -> list[tuple[str, str]]:
    """Regions whose predicted agencies all wait for an admin, and why, in the admins' words.

    Admins otherwise see a region's confident answers pile up in the queue
    without knowing that no threshold lets them through.
    """
    listed = []
    for code, region in runtime.regions.items():
        gate = region.thresholds_over(runtime.thresholds_for(code)).get("agency", 1.0)
        if gate < 1.0:
            continue
        model_reason = why_agency_routes_nothing(code, runtime.classifier.region_thresholds)
        if "agency" in region.thresholds:
            why = "ambang agency di berkas wilayahnya diatur agar semua aduan ditinjau"
        elif model_reason is None:
            why = "operator mengatur ambang agency agar semua aduan ditinjau"
        elif code == GENERIC_REGION:
            why = "aduan tanpa wilayah bisa berasal dari daerah mana pun, termasuk yang belum dikenal model"
        elif runtime.has_history(code) is False:
            why = "model belum dilatih dengan aduan berlabel dari wilayah ini"
        else:
            why = "pada aduan wilayah ini sendiri belum ada ambang yang mencapai presisi target"
        listed.append((region.name, why))
    return listed


def already_decided(error: AlreadyReviewed) -> HTTPException:
    return HTTPException(409, f"{error}; reload it to see the decision")


def apply_review(
    request: Request,
    item_id: int,
    admin: str,
    action: str,
    changes: dict[str, str | None],
    via: str,
) -> ComplaintRecord:
    store = store_of(request)
    record = store.get(item_id)
    if record is None:
        raise HTTPException(404, f"no complaint {item_id}")
    if action not in REVIEWED:
        raise HTTPException(422, f"action must be one of {', '.join(REVIEWED)}")
    if record.status not in REVIEWABLE:
        raise already_decided(AlreadyReviewed(record))
    clean = validate_changes(request, record, changes)
    # The form always posts every head; a change is what differs from the model.
    clean = {head: value for head, value in clean.items() if value != getattr(record, head)}
    if action == "corrected" and not clean:
        raise HTTPException(422, "nothing changed: use accept, or change at least one label")
    if action == "accepted" and clean:
        # Accepting keeps the model's labels; a changed choice would be dropped unseen.
        raise HTTPException(
            422,
            f"you changed {', '.join(clean)}: save it as a correction, "
            "or put the model's choice back to accept it",
        )
    if action != NOT_AUTHORITY:
        refuse_agency_without_opd(request, record, clean.get("agency", record.agency))
    deadline: int | None | object = KEEP_DEADLINE
    if action == "corrected" and "report_type" in clean:
        # The SP4N deadline follows the report type an admin settled on (only
        # a correction saves one: "bukan wewenang" keeps no labels).
        report_type = reference_of(request).taxonomy.report_types.get(clean["report_type"])
        deadline = report_type.deadline_working_days if report_type else None
    try:
        return store.review(item_id, admin, action, clean, via, deadline)
    except AlreadyReviewed as error:
        raise already_decided(error) from error
    except KeyError as error:
        raise HTTPException(404, f"no complaint {item_id}") from error
    except StorageUnavailable as error:
        raise HTTPException(503, str(error)) from error


# -- the review JSON API -----------------------------------------------------------------


def to_item(record: ComplaintRecord, timezone: str) -> ReviewItem:
    return ReviewItem(
        id=record.id,
        request_id=record.request_id,
        external_id=record.external_id,
        region=record.region,
        channel=record.channel,
        title_masked=record.title_masked,
        text_masked=record.text_masked,
        model_version=record.model_version,
        predictions=record.predictions,
        predicted={head: getattr(record, head) for head in HEADS},
        final={head: getattr(record, f"final_{head}") for head in HEADS},
        status=record.status,
        decision_reasons=record.decision_reasons,
        possible_emergency=record.possible_emergency,
        deadline_working_days=record.deadline_working_days,
        working_days_left=days_left(record, timezone),
        created_at=record.created_at,
        reviewed_at=record.reviewed_at,
        reviewed_by=record.reviewed_by,
    )


@review_api.get(
    "/queue", response_model=ReviewQueue, summary="Pending items, most urgent and oldest first"
)
def review_queue(
    request: Request,
    flt: QueueFilter = Depends(queue_filter),
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=1_000_000),
) -> ReviewQueue:
    try:
        items = store_of(request).queue(flt, limit, offset)
    except StorageUnavailable as error:
        raise HTTPException(503, str(error)) from error
    return ReviewQueue(
        items=[to_item(r, desk_timezone(request, r.region)) for r in items],
        limit=limit,
        offset=offset,
    )


@review_api.get(
    "/items/{item_id}", response_model=ReviewItem, summary="One item with its audit log"
)
def review_item(request: Request, item_id: ItemId) -> ReviewItem:
    store = store_of(request)
    record = store.get(item_id)
    if record is None:
        raise HTTPException(404, f"no complaint {item_id}")
    item = to_item(record, desk_timezone(request, record.region))
    item.audit = [
        AuditEntryOut(
            action=e.action,
            admin=e.admin,
            via=str(e.details.get("via", "")) or None,
            at=e.at,
            details=e.details,
        )
        for e in store.audit(item_id)
    ]
    return item


@review_api.post(
    "/items/{item_id}",
    response_model=ReviewItem,
    summary="Accept, correct or mark bukan wewenang",
    dependencies=[Depends(require_json_body)],
)
def review_item_action(request: Request, item_id: ItemId, body: ReviewAction) -> ReviewItem:
    apply_review(
        request,
        item_id,
        body.reviewer,
        body.action,
        {
            "agency": body.agency,
            "category": body.category,
            "urgency": body.urgency,
            "report_type": body.report_type,
        },
        via=f"review API, {request.state.api_key_fingerprint}",
    )
    return review_item(request, item_id)
