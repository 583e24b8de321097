"""API-key check for intake systems."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from fastapi import HTTPException, Request, Security, status
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

# Below this a key is warned about at start-up (token_urlsafe(32) gives 43).
MIN_KEY_LENGTH = 24

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="Intake system key.")


def key_is_valid(presented: str, configured: list[str]) -> bool:
    """Constant-time comparison against every configured key (no early exit)."""
    presented_bytes = presented.encode("utf-8")
    matched = False
    for key in configured:
        matched |= hmac.compare_digest(presented_bytes, key.encode("utf-8"))
    return matched


def key_fingerprint(key: str) -> str:
    """A name for a key that is safe to store and log: its SHA-256, shortened.

    The review API takes the reviewer's name from the intake system; the audit
    log also records which key made the change, so a name is never the only
    trace. Operators see their keys' fingerprints in the start-up log.
    """
    return "key:" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def refusal(presented: str | None, settings: Any) -> HTTPException | None:
    """Why a request with this key may not pass, or None if it may."""
    if settings.auth_disabled:
        return None
    if not presented:
        return HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing X-API-Key header",
            {"WWW-Authenticate": "API-Key"},
        )
    if not settings.api_keys or not key_is_valid(presented, settings.api_keys):
        return HTTPException(status.HTTP_403_FORBIDDEN, "invalid API key")
    return None


def require_api_key(request: Request, api_key: str | None = Security(api_key_header)) -> None:
    settings = request.app.state.settings
    problem = refusal(api_key, settings)
    if problem is not None:
        raise problem
    if settings.auth_disabled:
        request.state.api_key_fingerprint = "auth-disabled"
        return
    request.state.api_key_fingerprint = key_fingerprint(str(api_key))
    limiter = request.app.state.rate_limiter
    if limiter is not None:
        allowed, retry_after = limiter.hit(api_key)
        if not allowed:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                f"rate limit of {limiter.rate} per API key exceeded",
                {"Retry-After": str(retry_after)},
            )


KEYED_PREFIXES = ("/v1/", "/metrics")


class ApiKeyGate:
    """Refuse keyless and wrongly keyed requests before their body is read.

    The route dependency checks the key too, but only after FastAPI has read
    and parsed the body: without this gate anyone could make the server read
    and parse megabytes of JSON, and would learn about it from a 422.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @staticmethod
    def _problem(scope: Scope) -> HTTPException | None:
        presented = Headers(scope=scope).get("x-api-key")
        state = scope["app"].state
        client = (scope.get("client") or ("", 0))[0]
        wait = state.key_throttle.wait_seconds(client) if presented else 0
        if wait:
            return HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                f"too many wrong API keys from this address; try again in {wait} s",
                {"Retry-After": str(wait)},
            )
        problem = refusal(presented, state.settings)
        if problem is not None and problem.status_code == status.HTTP_403_FORBIDDEN:
            state.key_throttle.failed(client)
        return problem

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(KEYED_PREFIXES):
            await self.app(scope, receive, send)
            return
        if scope["app"].state.settings.rate_limit_storage.startswith("memory://"):
            problem = self._problem(scope)
        else:
            # The throttle asks Redis: off the event loop, so a slow answer holds
            # up this request only, not every request of the worker.
            problem = await run_in_threadpool(self._problem, scope)
        if problem is None:
            await self.app(scope, receive, send)
            return
        request_id = scope.get("state", {}).get("request_id")
        response = JSONResponse(
            {"detail": problem.detail, "request_id": request_id},
            status_code=problem.status_code,
            headers=problem.headers,
        )
        await response(scope, receive, send)
