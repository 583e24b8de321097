"""API-key check for intake systems."""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="Intake system key.")


def key_is_valid(presented: str, configured: list[str]) -> bool:
    """Constant-time comparison against every configured key (no early exit)."""
    presented_bytes = presented.encode("utf-8")
    matched = False
    for key in configured:
        matched |= hmac.compare_digest(presented_bytes, key.encode("utf-8"))
    return matched


def require_api_key(request: Request, api_key: str | None = Security(api_key_header)) -> None:
    settings = request.app.state.settings
    if settings.auth_disabled:
        return
    if not api_key:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing X-API-Key header",
            {"WWW-Authenticate": "API-Key"},
        )
    if not settings.api_keys or not key_is_valid(api_key, settings.api_keys):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid API key")
    limiter = request.app.state.rate_limiter
    if limiter is not None:
        allowed, retry_after = limiter.hit(api_key)
        if not allowed:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                f"rate limit of {limiter.rate} per API key exceeded",
                {"Retry-After": str(retry_after)},
            )
