"""Per-API-key rate limiting (moving window).

In-memory by default (per worker process, so N workers allow N times the
rate); with ``SALUR_RATE_LIMIT_STORAGE=redis://127.0.0.1:6379`` every worker
and machine shares one counter per key.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from limits import RateLimitItem, parse, storage, strategies
from limits.errors import ConfigurationError

log = logging.getLogger(__name__)
T = TypeVar("T")
# A counter store that does not answer within this is taken as down: redis-py
# waits forever by default, and every request checks a counter first.
STORE_TIMEOUT_SECONDS = 0.25
# After a failure the store is left alone this long, so an outage costs each
# request nothing rather than a timeout each.
STORE_RETRY_SECONDS = 30.0


class _StoreHealth:
    """Whether a counter store may be asked; shared by every counter on that store.

    The counters only slow clients down. Refusing every request while Redis is
    down would stop complaints from being taken at all, which the counters
    exist to protect, so they fail open: while the store is down nothing is
    counted (neither requests nor wrong keys and logins), and a warning says so.
    """

    def __init__(self) -> None:
        self.down_until = 0.0

    def usable(self) -> bool:
        return time.monotonic() >= self.down_until

    def ask(self, question: Callable[[], T], if_down: T) -> T:
        """``question()``, or ``if_down`` while the store is down or when it fails now."""
        if not self.usable():
            return if_down
        try:
            return question()
        except Exception as error:  # redis, network, timeouts: whatever the store raises
            self.failed(error)
            return if_down

    def failed(self, error: Exception) -> None:
        first = self.usable()
        self.down_until = time.monotonic() + STORE_RETRY_SECONDS
        if first:
            log.warning(
                "rate-limit store unreachable (%s); requests, wrong API keys and failed "
                "logins go uncounted for %.0f s, then it is tried again",
                type(error).__name__,
                STORE_RETRY_SECONDS,
            )


_health: dict[str, _StoreHealth] = {}


def _health_of(uri: str) -> _StoreHealth:
    return _health.setdefault(uri, _StoreHealth())


def _storage(uri: str) -> storage.Storage:
    options = (
        {"socket_timeout": STORE_TIMEOUT_SECONDS, "socket_connect_timeout": STORE_TIMEOUT_SECONDS}
        if uri.startswith(("redis://", "rediss://", "redis+"))
        else {}
    )
    try:
        found = storage.storage_from_string(uri, **options)
    except ConfigurationError:
        raise  # a wrong URI is the operator's to fix, not an outage
    except Exception as error:
        # A cluster client connects when it is built: an unreachable one would
        # keep the service from starting at all. The counters fail open, here
        # as on every later call: per-worker counting until the next start.
        log.warning(
            "rate-limit store %s unreachable at start-up (%s); counting in this worker's "
            "memory until the service restarts",
            uri.split("://")[0],
            type(error).__name__,
        )
        return storage.MemoryStorage()
    if not isinstance(found, storage.Storage):
        # An async:// store would need awaiting; the counters are called synchronously.
        raise ValueError(f"rate-limit storage {uri.split('://')[0]}:// is not a synchronous store")
    return found


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
        self.storage = _storage(storage_uri)
        self.health = _health_of(storage_uri)
        self.strategy = strategies.MovingWindowRateLimiter(self.storage)

    def hit(self, api_key: str) -> tuple[bool, int]:
        """(allowed, seconds until a slot frees up)."""
        key = _digest(api_key)
        return self.health.ask(lambda: self._hit(key), (True, 0))

    def _hit(self, key: str) -> tuple[bool, int]:
        if self.strategy.hit(self.item, "salur", key):
            return True, 0
        return False, _seconds_until_free(self.strategy, self.item, "salur", key)


class FailureWindow:
    """Failures counted per key in a moving window; a key over ``rate`` must wait."""

    def __init__(self, storage_uri: str, rate: str, namespace: str) -> None:
        self.rate = rate
        self.item = parse(rate)
        self.namespace = namespace
        self.strategy = strategies.MovingWindowRateLimiter(_storage(storage_uri))
        self.health = _health_of(storage_uri)

    def _wait(self, keys: list[str]) -> int:
        """0 when no key is over the limit, else the seconds until all are under it."""
        return self.health.ask(
            lambda: max(
                (
                    _seconds_until_free(self.strategy, self.item, self.namespace, key)
                    for key in keys
                    if not self.strategy.test(self.item, self.namespace, key)
                ),
                default=0,
            ),
            0,
        )

    def _failed(self, keys: list[str]) -> None:
        def count() -> None:
            for key in keys:
                self.strategy.hit(self.item, self.namespace, key)

        self.health.ask(count, None)


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
