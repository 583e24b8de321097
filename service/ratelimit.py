"""Per-API-key rate limiting (moving window).

In-memory by default (per worker process, so N workers allow N times the
rate); with ``SALUR_RATE_LIMIT_STORAGE=redis://127.0.0.1:6379`` every worker
and machine shares one counter per key.
"""

from __future__ import annotations

import hashlib
import logging
import time

from limits import RateLimitItem, parse, storage, strategies

log = logging.getLogger(__name__)
# How often an unreachable counter store is logged again while it stays down.
STORE_DOWN_LOG_SECONDS = 60.0
_store_down_logged_at = 0.0


def _store_down(error: Exception) -> None:
    """Log (at most once a minute) that a counter store failed; the caller lets the request in.

    The counters only slow clients down. Refusing every request while Redis is
    down would stop complaints from being taken at all, which the counters
    exist to protect, so they fail open.
    """
    global _store_down_logged_at
    moment = time.monotonic()
    if moment - _store_down_logged_at >= STORE_DOWN_LOG_SECONDS:
        _store_down_logged_at = moment
        log.warning(
            "rate-limit store unreachable (%s); requests are let through uncounted until it "
            "answers",
            type(error).__name__,
        )


def _digest(value: str) -> str:
    # Keys, names and addresses go to the counter store only as digests.
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


def _seconds_until_free(
    strategy: strategies.MovingWindowRateLimiter, item: RateLimitItem, namespace: str, key: str
) -> int:
    reset_at, _ = strategy.get_window_stats(item, namespace, key)
    return max(1, int(reset_at - time.time()) + 1)


class RateLimiter:
    def __init__(self, rate: str, storage_uri: str) -> None:
        self.rate = rate
        self.item = parse(rate)
        self.storage = storage.storage_from_string(storage_uri)
        self.strategy = strategies.MovingWindowRateLimiter(self.storage)

    def hit(self, api_key: str) -> tuple[bool, int]:
        """(allowed, seconds until a slot frees up)."""
        key = _digest(api_key)
        try:
            if self.strategy.hit(self.item, "salur", key):
                return True, 0
            return False, _seconds_until_free(self.strategy, self.item, "salur", key)
        except Exception as error:  # redis, network, timeouts: whatever the store raises
            _store_down(error)
            return True, 0


class FailureWindow:
    """Failures counted per key in a moving window; a key over ``rate`` must wait."""

    def __init__(self, storage_uri: str, rate: str, namespace: str) -> None:
        self.rate = rate
        self.item = parse(rate)
        self.namespace = namespace
        self.strategy = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_uri))

    def _wait(self, keys: list[str]) -> int:
        """0 when no key is over the limit, else the seconds until all are under it."""
        try:
            return max(
                (
                    _seconds_until_free(self.strategy, self.item, self.namespace, key)
                    for key in keys
                    if not self.strategy.test(self.item, self.namespace, key)
                ),
                default=0,
            )
        except Exception as error:  # see RateLimiter.hit
            _store_down(error)
            return 0

    def _failed(self, keys: list[str]) -> None:
        try:
            for key in keys:
                self.strategy.hit(self.item, self.namespace, key)
        except Exception as error:  # see RateLimiter.hit
            _store_down(error)


class LoginThrottle(FailureWindow):
    """Failed admin logins per user name and per client address (moving window).

    Argon2 makes each guess slow, but not slow enough against a list of
    common passwords; after ``rate`` failures the name (or the address) must
    wait, while other admins still sign in.
    """

    def __init__(self, storage_uri: str, rate: str = "10/15 minutes") -> None:
        super().__init__(storage_uri, rate, "salur-login")

    @staticmethod
    def _keys(username: str, client: str) -> list[str]:
        return ["user:" + _digest(username.strip().lower()), "client:" + _digest(client)]

    def wait_seconds(self, username: str, client: str) -> int:
        """0 when a login may be tried, else the seconds until it may."""
        return self._wait(self._keys(username, client))

    def failed(self, username: str, client: str) -> None:
        self._failed(self._keys(username, client))


class KeyGuessThrottle(FailureWindow):
    """Wrong API keys per client address (moving window).

    A key an operator chose by hand may be short; after ``rate`` wrong keys
    from one address, every keyed request from it waits, a right key
    included, so the answers teach a guesser nothing more.
    """

    def __init__(self, storage_uri: str, rate: str = "30/15 minutes") -> None:
        super().__init__(storage_uri, rate, "salur-key")

    def wait_seconds(self, client: str) -> int:
        """0 when a keyed request may be tried, else the seconds until it may."""
        return self._wait(["client:" + _digest(client)])

    def failed(self, client: str) -> None:
        self._failed(["client:" + _digest(client)])
