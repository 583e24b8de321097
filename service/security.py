"""Admin passwords (argon2), session secret, CSRF tokens, security headers."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verifying against a dummy hash when the user does not exist keeps the
# response time the same, so login timing does not reveal valid usernames.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

ADMIN_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def hash_password(password: str) -> str:
    if len(password) < 10:
        raise ValueError("an admin password needs at least 10 characters")
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def session_secret(configured: str | None, key_file: Path) -> str:
    """The admin sessions' secret: ``SALUR_SESSION_SECRET``, or one kept in ``key_file``."""
    return kept_secret(
        configured,
        key_file,
        if_empty="delete it (admins will sign in again) or set SALUR_SESSION_SECRET",
    )


def content_secret(configured: str | None, key_file: Path, session: str) -> str:
    """The request digests' secret: ``SALUR_CONTENT_SECRET``, or one kept in ``key_file``.

    A new key file starts from the session secret, which keyed the digests
    before they had a secret of their own: digests stored then still match,
    and hosts that share ``SALUR_SESSION_SECRET`` agree without a new setting.
    """
    return kept_secret(
        configured,
        key_file,
        if_empty=(
            "write the value of SALUR_CONTENT_SECRET (or the session secret it started from) "
            "into it; a new value makes retries of stored complaints conflict (409)"
        ),
        first_value=session,
    )


def kept_secret(
    configured: str | None, key_file: Path, if_empty: str, first_value: str | None = None
) -> str:
    """The configured secret, or one kept in ``key_file`` (created 0600 once).

    A file rather than a per-process random key: every worker and every
    restart must accept the same session cookies and compute the same digests.
    """
    if configured:
        return configured
    key_file.parent.mkdir(parents=True, exist_ok=True)
    if not key_file.exists():
        # Written in full under another name, then linked into place: a worker
        # starting at the same moment sees either no key file or a whole key,
        # never the empty file between another worker's create and write.
        fd, draft = tempfile.mkstemp(dir=key_file.parent, prefix=f".{key_file.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(first_value or secrets.token_urlsafe(48))
            os.link(draft, key_file)
        except FileExistsError:
            pass  # another worker's key won; use it
        finally:
            os.unlink(draft)
    key = key_file.read_text(encoding="utf-8").strip()
    if not key:
        raise ValueError(f"{key_file} is empty; {if_empty}")
    return key


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_valid(expected: str | None, presented: str | None) -> bool:
    if not expected or not presented:
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())


def content_key(secret: str) -> bytes:
    """The key for :func:`content_digest`, derived from the service's secret."""
    return hmac.new(secret.encode("utf-8"), b"salur request content", hashlib.sha256).digest()


def content_digest(key: bytes, *parts: str | None) -> str:
    """A keyed digest of a request's unmasked fields.

    Keyed, because the fields hold names and NIK: an unkeyed hash of a short
    complaint could be confirmed by hashing guesses.
    """
    message = json.dumps(parts, ensure_ascii=False).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()
