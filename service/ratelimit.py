"""Per-API-key rate limiting (moving window).

In-memory by default (per worker process, so N workers allow N times the
rate); with ``SALUR_RATE_LIMIT_STORAGE=redis://127.0.0.1:6379`` every worker
and machine shares one counter per key.
"""

from __future__ import annotations

import hashlib
import time

from limits import parse, storage, strategies


class RateLimiter:
    def __init__(self, rate: str, storage_uri: str) -> None:
        self.rate = rate
        self.item = parse(rate)
        self.storage = storage.storage_from_string(storage_uri)
        self.strategy = strategies.MovingWindowRateLimiter(self.storage)

    @staticmethod
    def _key(api_key: str) -> str:
        # The key itself is a secret: only a digest goes to the counter store.
        return hashlib.sha256(api_key.encode("utf-8")).hexdigest()[:32]

    def hit(self, api_key: str) -> tuple[bool, int]:
        """(allowed, seconds until a slot frees up)."""
        key = self._key(api_key)
        if self.strategy.hit(self.item, "salur", key):
            return True, 0
        reset_at, _ = self.strategy.get_window_stats(self.item, "salur", key)
        return False, max(1, int(reset_at - time.time()) + 1)


class LoginThrottle:
    """Failed admin logins per user name and per client address (moving window).

    Argon2 makes each guess slow, but not slow enough against a list of
    common passwords; after ``rate`` failures the name (or the address) must
    wait, while other admins still sign in.
    """

    def __init__(self, storage_uri: str, rate: str = "10/15 minutes") -> None:
        self.item = parse(rate)
        self.strategy = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_uri))

    @staticmethod
    def _keys(username: str, client: str) -> list[str]:
        return [
            "user:" + hashlib.sha256(username.strip().lower().encode("utf-8")).hexdigest()[:32],
            "client:" + hashlib.sha256(client.encode("utf-8")).hexdigest()[:32],
        ]

    def wait_seconds(self, username: str, client: str) -> int:
        """0 when a login may be tried, else the seconds until it may."""
        waits = []
        for key in self._keys(username, client):
            if not self.strategy.test(self.item, "salur-login", key):
                reset_at, _ = self.strategy.get_window_stats(self.item, "salur-login", key)
                waits.append(max(1, int(reset_at - time.time()) + 1))
        return max(waits, default=0)

    def failed(self, username: str, client: str) -> None:
        for key in self._keys(username, client):
            self.strategy.hit(self.item, "salur-login", key)


class KeyGuessThrottle:
    """Wrong API keys per client address (moving window).

    A key an operator chose by hand may be short; after ``rate`` wrong keys
    from one address, every keyed request from it waits, a right key
    included, so the answers teach a guesser nothing more.
    """

    def __init__(self, storage_uri: str, rate: str = "30/15 minutes") -> None:
        self.rate = rate
        self.item = parse(rate)
        self.strategy = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_uri))

    @staticmethod
    def _key(client: str) -> str:
        return "client:" + hashlib.sha256(client.encode("utf-8")).hexdigest()[:32]

    def wait_seconds(self, client: str) -> int:
        """0 when a keyed request may be tried, else the seconds until it may."""
        key = self._key(client)
        if self.strategy.test(self.item, "salur-key", key):
            return 0
        reset_at, _ = self.strategy.get_window_stats(self.item, "salur-key", key)
        return max(1, int(reset_at - time.time()) + 1)

    def failed(self, client: str) -> None:
        self.strategy.hit(self.item, "salur-key", self._key(client))
