"""The FastAPI application: ``create_app()`` wires settings, model, routes and middleware."""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from salur.model.artifact import ModelLoadError
from salur.model.regions import RegionError
from salur.service.admin import error_page, is_admin_page, pages, review_api
from salur.service.auth import MIN_KEY_LENGTH, ApiKeyGate, key_fingerprint
from salur.service.metrics import Metrics
from salur.service.ratelimit import KeyGuessThrottle, LoginThrottle, RateLimiter
from salur.service.routes import api, metrics_router, public
from salur.service.runtime import load_reference, load_runtime
from salur.service.security import ADMIN_HEADERS, content_key, content_secret, session_secret
from salur.service.settings import Settings
from salur.service.storage import ADMIN_SESSION_SECONDS, StorageUnavailable, Store
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from salur import __version__

log = logging.getLogger("salur.service")
access_log = logging.getLogger("salur.access")
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class BodySizeLimit:
    """Refuse bodies above ``max_bytes`` with a 413 before they are parsed.

    Checks Content-Length up front and also counts streamed (chunked) bodies,
    so a client cannot bypass the limit by omitting the header.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send)
            return
        received = 0
        chunks: list[Message] = []
        while True:
            message = await receive()
            chunks.append(message)
            if message["type"] != "http.request":
                break
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                await self._refuse(scope, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return chunks.pop(0) if chunks else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        response = JSONResponse(
            {
                "detail": f"request body larger than {self.max_bytes} bytes",
                "request_id": scope.get("state", {}).get("request_id"),
            },
            status_code=413,
        )
        await response(scope, _drain, send)


async def _drain() -> Message:
    return {"type": "http.disconnect"}


class Observe:
    """Request id, metrics, access log and admin security headers (pure ASGI).

    The access log carries ids, route, status, outcome and timing — never the
    complaint text.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        handler: ASGIApp = self.app
        if incoming and request_id != incoming and scope["path"].startswith("/v1/"):
            # The id is what makes a retry safe (a stored complaint is not stored
            # twice); silently replacing it would store every retry again.
            handler = JSONResponse(
                {
                    "detail": "X-Request-ID must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' "
                    "or '-'; send a valid one or none",
                    "request_id": request_id,
                },
                status_code=400,
            )
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["log_fields"] = {}
        admin_page = scope["path"].startswith("/admin")
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                if admin_page:
                    for name, value in ADMIN_HEADERS.items():
                        headers[name] = value
            await send(message)

        try:
            await handler(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            metrics = scope["app"].state.metrics
            # Any token is a valid HTTP method; an unbounded label would let
            # anyone grow the metrics without limit.
            method = scope["method"] if scope["method"] in KNOWN_METHODS else "other"
            metrics.requests.labels(method, route, str(status)).inc()
            metrics.latency.labels(route).observe(elapsed)
            access_log.info(
                "request_id=%s method=%s route=%s status=%s ms=%.1f %s",
                request_id,
                scope["method"],
                route,
                status,
                elapsed * 1000,
                " ".join(f"{k}={v}" for k, v in state["log_fields"].items()),
            )


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of each record."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def _log_to_stderr(level: str) -> None:
    """Give the service's loggers a handler of their own, once per process.

    uvicorn configures only its own loggers; without a handler the access lines
    (request id, route, status, decision, timing) would be dropped, since
    Python's last-resort handler prints warnings and worse only.
    """
    service_log = logging.getLogger("salur")
    service_log.setLevel(level.upper())
    if not any(isinstance(h, _StderrHandler) for h in service_log.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        service_log.addHandler(handler)


# What FastAPI answers when a body cannot be decoded (JSON it cannot parse as text).
FASTAPI_BODY_ERROR = "There was an error parsing the body"


def _charset_of(request: Request) -> str | None:
    content_type = request.headers.get("content-type", "")
    match = re.search(r"charset=([\w.:-]{1,40})", content_type, flags=re.IGNORECASE)
    return f"charset={match.group(1)}" if match else None


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    _log_to_stderr(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        started = time.perf_counter()
        try:
            app.state.reference = load_reference(settings)
            app.state.runtime = load_runtime(settings, app.state.reference)
        except (ModelLoadError, RegionError) as error:
            app.state.load_error = str(error)
            log.error("model not loaded, serving not ready: %s", error)
        else:
            version = app.state.runtime.classifier.version
            app.state.metrics.model_info.labels(version).set(1)
            app.state.metrics.model_loaded.set(1)
            log.info("model %s ready in %.2f s", version, time.perf_counter() - started)
        app.state.store = Store(settings.database_url)
        try:
            app.state.store.ensure_schema()
        except StorageUnavailable as error:
            log.error("review database not ready (will retry on first write): %s", error)
        if not settings.api_keys and not settings.auth_disabled:
            log.warning("no SALUR_API_KEYS configured: every /v1 request will be refused")
        elif settings.api_keys:
            log.info(
                "API keys accepted (as named in the audit log): %s",
                ", ".join(key_fingerprint(key) for key in settings.api_keys),
            )
            for key in settings.api_keys:
                if len(key) < MIN_KEY_LENGTH:
                    # Wrong keys are refused but not throttled: a short key can be guessed.
                    log.warning(
                        "API key %s has %d characters; use %d or more random ones, e.g. "
                        "python -c 'import secrets; print(secrets.token_urlsafe(32))'",
                        key_fingerprint(key),
                        len(key),
                        MIN_KEY_LENGTH,
                    )
        yield
        app.state.store.engine.dispose()

    app = FastAPI(
        title="salur",
        version=__version__,
        description=(
            "Classifies Indonesian public-service complaints (OPD, category, urgency, "
            "SP4N report type) and decides whether to route them automatically or "
            "send them to admin review. Send the API key in `X-API-Key`."
        ),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.runtime = None
    app.state.reference = None
    app.state.load_error = None
    app.state.metrics = Metrics()
    app.state.store = None
    app.state.login_throttle = LoginThrottle(settings.rate_limit_storage)
    app.state.key_throttle = KeyGuessThrottle(settings.rate_limit_storage, settings.key_guess_limit)
    app.state.rate_limiter = (
        RateLimiter(settings.rate_limit, settings.rate_limit_storage)
        if settings.rate_limit
        else None
    )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        # Pydantic echoes the offending input; a complaint must not be echoed
        # back into logs or proxies, so only location, type and message remain.
        details: list[dict[str, Any]] = [
            {"loc": list(e.get("loc", ())), "type": e.get("type"), "msg": e.get("msg")}
            for e in error.errors()
        ]
        if is_admin_page(request.url.path):
            reasons = "; ".join(
                f"{'.'.join(str(part) for part in d['loc'][1:]) or 'request'}: {d['msg']}"
                for d in details
            )
            return error_page(request, 422, reasons)
        return JSONResponse(
            {"detail": details, "request_id": request.state.request_id}, status_code=422
        )

    @app.exception_handler(StorageUnavailable)
    async def storage_down(request: Request, error: StorageUnavailable) -> Response:
        log.error("review database unavailable: %s", error)
        if is_admin_page(request.url.path):
            page = error_page(request, 503, f"Coba lagi sebentar lagi ({error}).")
            page.headers["Retry-After"] = "5"
            return page
        return JSONResponse(
            {
                "detail": f"review database unavailable ({error}); retry later",
                "request_id": getattr(request.state, "request_id", None),
            },
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if is_admin_page(request.url.path) and error.status_code != 405:
            page = error_page(request, error.status_code, str(error.detail))
            page.headers.update(getattr(error, "headers", None) or {})
            return page
        detail = error.detail
        if error.status_code == 400 and detail == FASTAPI_BODY_ERROR:
            # FastAPI's words when the body is not text it can decode: an intake
            # system sending Latin-1 (an SMS gateway, an old PHP form) is told what to change.
            declared = _charset_of(request)
            detail = (
                "the body is not JSON text in UTF-8 (it holds bytes that are not UTF-8"
                + (f"; Content-Type says {declared}" if declared else "")
                + "): encode the request as UTF-8"
            )
        return JSONResponse(
            {"detail": detail, "request_id": getattr(request.state, "request_id", None)},
            status_code=error.status_code,
            headers=getattr(error, "headers", None),
        )

    app.include_router(public)
    app.include_router(api)
    app.include_router(review_api)
    app.include_router(metrics_router)
    app.include_router(pages)
    app.mount(
        "/admin/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"
    )
    # Its own secret, not the session's: rotating the session secret (which signs
    # admins out) must not turn every retry of a stored complaint into a conflict.
    session = session_secret(settings.session_secret, Path("var/session.key"))
    app.state.content_key = content_key(
        content_secret(settings.content_secret, Path("var/content.key"), session)
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=session,
        session_cookie="salur_admin",
        max_age=ADMIN_SESSION_SECONDS,
        same_site="strict",
        https_only=settings.secure_cookies,
    )
    # Outermost last: the key is checked before the size limit reads (and
    # buffers) a body, so a keyless client cannot make the server hold megabytes.
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(ApiKeyGate)
    app.add_middleware(Observe)
    if settings.trusted_proxies:
        # Outermost: the key-guess and login throttles count per client address,
        # and behind a proxy the peer is the proxy for every client.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    return app
