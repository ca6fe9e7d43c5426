"""Prometheus metrics every service exposes on ``/metrics``, and the ASGI
middleware that measures HTTP requests."""

from __future__ import annotations

import time

from prometheus_client import Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
EVENT_AGE = Histogram(
    "regua_event_age_seconds",
    "From a record's Kafka timestamp to the commit of the transaction that handled it.",
    ["service", "topic"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
FETCH_AGE = Histogram(
    "regua_event_fetch_age_seconds",
    "From a record's Kafka timestamp to the moment the consumer had it in hand.",
    ["service", "topic"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
OUTBOX_BATCH = Histogram(
    "regua_outbox_batch_events",
    "Events per Kafka transaction of the relay.",
    ["service"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000),
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
RETENTION_DELETED = Counter(
    "regua_retention_deleted_total",
    "Rows deleted by the retention worker because they outlived their use.",
    ["service", "table"],
)


class HttpMetricsMiddleware:
    """Count and time every HTTP request by route template (``/v1/invoices/{invoice_id}``,
    never the raw path, which would make a series per id; ``unmatched`` when no
    route matched) and status.

    Pure ASGI: it only wraps ``send`` to note the status. Starlette's
    ``BaseHTTPMiddleware`` ran each request in an extra task with memory
    streams between the app and the server, about a third of the CPU of a
    small request.
    """

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises before answering

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            # The router records the matched route in the (shared) scope.
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            HTTP_REQUESTS.labels(self.service, method, route, str(status)).inc()
            HTTP_LATENCY.labels(self.service, method, route).observe(time.perf_counter() - started)
