"""Prometheus metrics, one registry per app so tests can build many apps.

With several workers each is its own process, and a scrape reaches only one of
them. ``salur serve --workers N`` therefore points prometheus_client's
multiprocess mode at a shared folder (``PROMETHEUS_MULTIPROC_DIR``): every
worker writes its values there, and ``/metrics`` sums them over all workers.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROCESS_ENV) or None


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "salur_requests_total",
            "HTTP requests by route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "salur_request_duration_seconds",
            "Request latency by route.",
            ["route"],
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.decisions = Counter(
            "salur_decisions_total",
            "Per head, whether the prediction reached its threshold; for routing, the outcome.",
            ["head", "outcome"],
            registry=self.registry,
        )
        self.model_info = Gauge(
            "salur_model_info",
            "The loaded model version (value 1).",
            ["version"],
            registry=self.registry,
            multiprocess_mode="livemax",
        )
        self.model_loaded = Gauge(
            "salur_model_loaded",
            "1 when a model is loaded and serving (in every live worker).",
            registry=self.registry,
            multiprocess_mode="livemin",
        )

    def exposition(self) -> bytes:
        """This process's metrics, or every worker's when several serve together."""
        if multiprocess_dir():
            combined = CollectorRegistry()
            multiprocess.MultiProcessCollector(combined)
            return bytes(generate_latest(combined))
        return bytes(generate_latest(self.registry))
