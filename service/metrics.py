"""Prometheus metrics, one registry per app so tests can build many apps."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


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
        )
        self.model_loaded = Gauge(
            "salur_model_loaded", "1 when a model is loaded and serving.", registry=self.registry
        )
