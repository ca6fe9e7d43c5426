"""Prometheus metrics every service exposes on ``/metrics``."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "regua_http_requests_total",
    "HTTP requests answered.",
    ["service", "method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "regua_http_request_duration_seconds",
    "HTTP request latency.",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EVENTS_CONSUMED = Counter(
    "regua_events_consumed_total",
    "Events taken from Kafka, by outcome.",
    ["service", "topic", "outcome"],
)
HANDLER_LATENCY = Histogram(
    "regua_event_handling_duration_seconds",
    "Time to handle one event, retries included.",
    ["service", "topic"],
)
CONSUMER_LAG = Gauge(
    "regua_consumer_lag",
    "Records not yet consumed, per partition.",
    ["service", "topic", "partition"],
)
OUTBOX_BACKLOG = Gauge(
    "regua_outbox_backlog",
    "Events written to the outbox and not yet published.",
    ["service"],
)
OUTBOX_PUBLISHED = Counter(
    "regua_outbox_published_total",
    "Events the relay published.",
    ["service"],
)
DLQ_MESSAGES = Counter(
    "regua_dlq_messages_total",
    "Events sent to a dead-letter topic.",
    ["service", "topic"],
)
WORKER_PASSES = Counter(
    "regua_worker_passes_total",
    "Passes completed by a background worker loop (timer, scanners, sender).",
    ["service", "worker"],
)
